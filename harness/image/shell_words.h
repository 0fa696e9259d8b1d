// Shell-style words: splitting a command line given as one string, and quoting for /bin/sh.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kh::image {

// Splits text into words like a POSIX shell does, without any expansion: blanks separate words,
// '...' is literal, "..." keeps everything but \" \\ \$ \` and \newline escapes, and a backslash
// outside quotes escapes the next character. `$`, backquotes and globs stay as they are.
// Fails with ErrorKind::Config on an unterminated quote or a trailing backslash.
Result<std::vector<std::string>> split_shell_words(std::string_view text);

// Quotes one word for /bin/sh so that it reads back as exactly this word: safe words stay as they
// are, anything else goes in single quotes (a ' becomes '\'').
std::string shell_quote(std::string_view word);

}  // namespace kh::image
