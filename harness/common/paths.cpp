#include "common/paths.h"

#include <cstdlib>

namespace kh {
namespace {

const char* env_or_null(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

std::filesystem::path data_dir() {
  if (const char* dir = env_or_null("KHARNESS_DATA_DIR")) {
    return dir;
  }
  return KH_SOURCE_DIR;
}

std::filesystem::path guest_programs_dir() {
  if (const char* dir = env_or_null("KHARNESS_GUEST_DIR")) {
    return dir;
  }
  return KH_GUEST_DIR;
}

std::filesystem::path cache_dir() {
  if (const char* dir = env_or_null("KHARNESS_CACHE_DIR")) {
    return dir;
  }
  if (const char* xdg = env_or_null("XDG_CACHE_HOME")) {
    return std::filesystem::path(xdg) / "kharness";
  }
  const char* home = env_or_null("HOME");
  return std::filesystem::path(home != nullptr ? home : "/tmp") / ".cache" / "kharness";
}

std::string_view version() { return KH_VERSION; }

}  // namespace kh
