// A private temporary directory that is removed, with everything in it, on destruction.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.h"

namespace kh {

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>XXXXXX (mode 0700), or under `parent` when it is given.
  static Result<TempDir> create(std::string_view prefix = "kharness-",
                                const std::filesystem::path& parent = {});

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory on destruction (for --keep-temp debugging); returns its path.
  std::filesystem::path release();

 private:
  TempDir() = default;
  std::filesystem::path path_;
};

}  // namespace kh
