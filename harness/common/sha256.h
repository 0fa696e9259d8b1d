// SHA-256 digests (OpenSSL's EVP), as lowercase hex: tarball checksums and cache keys.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kh {

// An incremental SHA-256 over bytes fed in pieces (a download, a file read in blocks).
class Sha256 {
 public:
  Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();

  // Adds bytes to the digest. Infallible (OpenSSL only fails on allocation, which aborts).
  void update(std::string_view bytes);
  // The digest of everything fed so far as 64 hex digits; the object is then reset.
  std::string hex_digest();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// The hex SHA-256 of a string.
std::string sha256_hex(std::string_view bytes);
// The hex SHA-256 of a file's contents; ErrorKind::Io when it cannot be read.
Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace kh
