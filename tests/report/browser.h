// Looking at report pages the way people do: headless Chromium renders a page to a PNG and dumps
// the DOM it built, a small PNG decoder tells a picture from a blank one, and html5lib's strict
// parser (python3-html5lib) checks the markup. Every child is a kh::ChildProcess with a deadline.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace kh::test {

// What `make deps` installs and these helpers need; named in every "not found" error.
inline constexpr const char* kBrowserDepsHint =
    "the report tests need the Debian packages chromium and python3-html5lib: `make deps` installs them";

// How a page is looked at: the colour scheme the browser prefers.
enum class ColourScheme { Light, Dark };

// Renders `page` (a local file) at 1200x1600 into `png`. Fails with ErrorKind::Process when
// chromium is missing (the message says `make deps` installs it), Timeout, or Process when
// chromium fails or writes no picture.
Status chromium_screenshot(const std::filesystem::path& page, const std::filesystem::path& png,
                           ColourScheme scheme = ColourScheme::Light);

// Prints `page` to `pdf` as Chromium's print preview would (the page's print style sheet). Fails
// as chromium_screenshot.
Status chromium_print(const std::filesystem::path& page, const std::filesystem::path& pdf);

// The DOM Chromium built from `page`, serialised (its --dump-dom). Fails as chromium_screenshot.
Result<std::string> chromium_dom(const std::filesystem::path& page);

// A decoded 8-bit RGB or RGBA PNG, pixels row by row.
struct PngImage {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;
};

// Decodes a PNG as Chromium writes them (8-bit RGB/RGBA, not interlaced; zlib for the data).
// ErrorKind::Parse for anything else or a damaged file.
Result<PngImage> decode_png(const std::string& bytes);

// How many different colours the image has (a blank page has one).
std::size_t distinct_colours(const PngImage& image);

// html5lib.HTMLParser(strict=True) over `page`, and every src/href/xlink:href/srcset/action/poster
// attribute and CSS url() checked not to load anything from http:// or https://. Returns the
// script's report ("ok" when both hold, else the first parse error or the resource). Fails with
// ErrorKind::Process when no python3 with html5lib is found (the message says `make deps`).
Result<std::string> html5lib_check(const std::filesystem::path& page);

}  // namespace kh::test
