// What the HTML reports (run and diff) share: the frame of a self-contained page (inline style
// sheet, light and dark colours, print rules; nothing loaded from anywhere), and writing it out.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kh::report {

// "<!DOCTYPE html>...<body>": the head with `title` (escaped here) and the style sheet.
std::string html_page_start(std::string_view title);
// "</body></html>".
std::string html_page_end();

// Whether a report can be written to `path`: not a folder, and its folder exists and is writable.
// Meant to run before anything slow (a kernel boot). ErrorKind::Config naming the path and why.
Status check_html_output(const std::filesystem::path& path);

// Writes a page atomically (a temporary file renamed over `path`). ErrorKind::Io on failure.
Status write_html_file(const std::filesystem::path& path, std::string_view html);

}  // namespace kh::report
