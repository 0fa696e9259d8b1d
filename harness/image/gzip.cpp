#include "image/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>

namespace kh::image {
namespace {

constexpr int kGzipWindowBits = 15 + 16;        // a gzip header and trailer around deflate
constexpr int kAutoDetectWindowBits = 15 + 32;  // inflate: gzip or zlib
constexpr int kMemLevel = 8;                    // what gzip(1) uses
constexpr int kOsUnix = 3;

// zlib counts in uInt; feed it at most this much at a time.
constexpr std::size_t kChunk = std::size_t{1} << 30;

Bytef* as_bytes(const char* data) {
  // zlib's API is not const-correct: next_in is never written through.
  return reinterpret_cast<Bytef*>(const_cast<char*>(data));
}

// Before each deflate/inflate call: hands zlib the next chunk of input once it used the last one,
// and room for output, doubling `out` when it is full (zlib counts both in uInt).
void next_buffers(z_stream& stream, std::string_view data, std::size_t& in_offset, std::string& out) {
  if (stream.avail_in == 0 && in_offset < data.size()) {
    std::size_t chunk = std::min(kChunk, data.size() - in_offset);
    stream.next_in = as_bytes(data.data() + in_offset);
    stream.avail_in = static_cast<uInt>(chunk);
    in_offset += chunk;
  }
  if (stream.total_out >= out.size()) {
    out.resize(out.size() * 2);
  }
  stream.next_out = reinterpret_cast<Bytef*>(out.data() + stream.total_out);
  stream.avail_out = static_cast<uInt>(std::min(kChunk, out.size() - stream.total_out));
}

}  // namespace

Result<std::string> gzip_compress(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, kGzipWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return make_error(ErrorKind::Internal, "zlib: deflateInit2 failed: {}",
                      stream.msg != nullptr ? stream.msg : "out of memory");
  }
  gz_header header{};
  header.time = 0;
  header.os = kOsUnix;
  deflateSetHeader(&stream, &header);

  std::string out;
  out.resize(deflateBound(&stream, static_cast<uLong>(std::min<std::size_t>(data.size(), ULONG_MAX))) + 64);
  std::size_t in_offset = 0;
  int status = Z_OK;
  while (status == Z_OK) {
    next_buffers(stream, data, in_offset, out);
    status = deflate(&stream, in_offset == data.size() ? Z_FINISH : Z_NO_FLUSH);
    if (status == Z_BUF_ERROR) {
      status = Z_OK;  // no progress possible with this buffer: the loop grows it
    }
  }
  std::size_t produced = stream.total_out;
  deflateEnd(&stream);
  if (status != Z_STREAM_END) {
    return make_error(ErrorKind::Internal, "zlib: deflate failed with status {}", status);
  }
  out.resize(produced);
  return out;
}

Result<std::string> gzip_decompress(std::string_view data) {
  z_stream stream{};
  if (inflateInit2(&stream, kAutoDetectWindowBits) != Z_OK) {
    return make_error(ErrorKind::Internal, "zlib: inflateInit2 failed");
  }
  std::string out;
  out.resize(std::max<std::size_t>(data.size() * 4, 4096));
  std::size_t in_offset = 0;
  int status = Z_OK;
  while (status == Z_OK) {
    next_buffers(stream, data, in_offset, out);
    status = inflate(&stream, Z_NO_FLUSH);
    if (status == Z_BUF_ERROR && stream.avail_in == 0 && in_offset == data.size()) {
      break;  // input ended before the stream did
    }
    if (status == Z_BUF_ERROR) {
      status = Z_OK;
    }
  }
  std::size_t produced = stream.total_out;
  const char* message = stream.msg;
  inflateEnd(&stream);
  if (status != Z_STREAM_END) {
    return make_error(ErrorKind::Parse, "not a valid gzip stream: {}",
                      message != nullptr ? message : "truncated input");
  }
  out.resize(produced);
  return out;
}

}  // namespace kh::image
