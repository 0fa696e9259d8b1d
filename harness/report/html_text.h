// Text for HTML pages: any bytes (a kernel string, a serial console, a gdb message) made safe for
// element content and quoted attribute values, so that a captured `<`, `&`, quote or non-UTF-8
// byte can never break the page or its parse.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kh::report {

// `text` as HTML: `&`, `<`, `>`, `"` and `'` as character references; valid UTF-8 kept; each byte
// that is no valid UTF-8, and each control or non-character that HTML forbids (all of C0 but tab
// and newline, DEL, C1, U+FDD0-U+FDEF, U+xFFFE/U+xFFFF), as the visible text `\xNN` (one per
// byte). Safe in element content (also <pre>) and in double- or single-quoted attributes. Pure.
std::string html_escape(std::string_view text);

// An id for an HTML anchor made of `text`: ASCII letters, digits, '-' and '_' kept, every other
// byte as `.XX` (hex), so that distinct texts give distinct ids. Pure.
std::string html_id(std::string_view text);

// How many characters a UTF-8 `text` shows (continuation bytes do not count): the width of a
// label in the SVG drawings, whose fonts are monospace. Pure.
std::size_t display_length(std::string_view text);

}  // namespace kh::report
