#include "common/temp_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>

#include "common/file_io.h"

namespace kh {
namespace {

// What an owner file says.
struct Owner {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  std::string pid_namespace;
};

// "pid:[4026531836]": processes of another pid namespace have other pids.
std::string own_pid_namespace() {
  std::error_code ec;
  auto target = std::filesystem::read_symlink("/proc/self/ns/pid", ec);
  return ec ? std::string("unknown") : target.string();
}

std::optional<Owner> read_owner(const std::filesystem::path& file) {
  auto text = read_file(file);
  if (!text) {
    return std::nullopt;
  }
  std::istringstream in(*text);
  Owner owner;
  long long pid = 0;
  if (!(in >> pid >> owner.start_time >> owner.pid_namespace) || pid <= 0) {
    return std::nullopt;
  }
  owner.pid = static_cast<pid_t>(pid);
  return owner;
}

}  // namespace

Result<TempDir> TempDir::create(std::string_view prefix, const std::filesystem::path& parent) {
  std::filesystem::path base = parent;
  if (base.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  std::string pattern = (base / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return make_error(ErrorKind::Io, "cannot create a temporary directory under {}: {}", base.string(),
                      std::strerror(errno));
  }
  TempDir dir;
  dir.path_ = pattern;
  return dir;
}

Result<TempDir> TempDir::create_owned(std::string_view prefix, const std::filesystem::path& parent) {
  KH_ASSIGN_OR_RETURN(TempDir dir, create(prefix, parent));
  auto start_time = process_start_time(::getpid());
  if (!start_time) {
    return make_error(ErrorKind::Io, "cannot read the start time of this process from /proc");
  }
  KH_TRY(write_file_atomically(dir.path() / std::string(kRunDirOwnerFile),
                               fmt::format("{} {} {}\n", ::getpid(), *start_time, own_pid_namespace()),
                               0600));
  return dir;
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    std::error_code ignored;
    if (!path_.empty()) {
      std::filesystem::remove_all(path_, ignored);
    }
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
}

std::filesystem::path TempDir::release() { return std::exchange(path_, {}); }

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  auto stat = read_file(fmt::format("/proc/{}/stat", pid));
  if (!stat) {
    return std::nullopt;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ')'.
  const std::size_t close = stat->rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(stat->substr(close + 1));
  std::string field;
  // Field 3 (state) is the first after the ')'; the start time is field 22.
  for (int number = 3; number < 22 && fields >> field; ++number) {
  }
  std::uint64_t start_time = 0;
  if (!(fields >> field)) {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), start_time);
  if (ec != std::errc() || end != field.data() + field.size()) {
    return std::nullopt;
  }
  return start_time;
}

std::vector<std::filesystem::path> sweep_stale_run_dirs(const std::filesystem::path& parent,
                                                        std::string_view prefix) {
  std::vector<std::filesystem::path> removed;
  const std::string namespace_here = own_pid_namespace();
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(parent, ec)) {
    const std::filesystem::path& dir = item.path();
    struct stat st {};
    if (!dir.filename().string().starts_with(prefix) || ::lstat(dir.c_str(), &st) != 0 ||
        !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
      continue;
    }
    auto owner = read_owner(dir / std::string(kRunDirOwnerFile));
    if (!owner || owner->pid_namespace != namespace_here) {
      continue;
    }
    auto start_time = process_start_time(owner->pid);
    if (start_time && *start_time == owner->start_time) {
      continue;  // the owner still runs
    }
    std::error_code ignored;
    if (std::filesystem::remove_all(dir, ignored) != static_cast<std::uintmax_t>(-1) && !ignored) {
      removed.push_back(dir);
    }
  }
  return removed;
}

}  // namespace kh
