// gzip compression with zlib, reproducible: the same input always gives the same bytes.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace kh::image {

// Compresses `data` into a gzip member: deflate level 9, no file name, mtime 0 and OS byte 3
// (Unix) in the header. Fails with ErrorKind::Internal when zlib does.
Result<std::string> gzip_compress(std::string_view data);

// Decompresses a gzip (or zlib) stream. Fails with ErrorKind::Parse on corrupt or truncated input.
Result<std::string> gzip_decompress(std::string_view data);

}  // namespace kh::image
