#include "kernel/kernel_download.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "common/deadline.h"
#include "common/file_lock.h"
#include "common/sha256.h"
#include "common/temp_dir.h"
#include "common/unique_fd.h"

namespace kh::kernel {
namespace {

constexpr const char* kDefaultMirror = "https://cdn.kernel.org/pub/linux/kernel";
constexpr std::size_t kMaxSumsBytes = 4 << 20;
constexpr long kConnectTimeoutMs = 10000;

constexpr const char* kOfflineHint =
    "without network, use --kernel-source DIR, --kernel-tarball FILE, or Debian's source package "
    "(--kernel-package linux-source-6.1, the default)";

bool take_number(std::string_view& text, int& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || ptr == text.data()) {
    return false;
  }
  text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
  return true;
}

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Owns a CURL easy handle.
struct CurlHandle {
  CURL* curl = curl_easy_init();
  CurlHandle() = default;
  CurlHandle(const CurlHandle&) = delete;
  CurlHandle& operator=(const CurlHandle&) = delete;
  ~CurlHandle() { curl_easy_cleanup(curl); }
};

// Where a transfer's bytes go and what its progress line says.
struct Transfer {
  std::string name;  // shown on the progress line
  bool progress = false;
  std::string* memory = nullptr;  // the body kept in memory (checksum list) ...
  int fd = -1;                    // ... or written to a file (tarball)
  Sha256* sha = nullptr;          // digest of what was written
  bool too_large = false;
  bool write_failed = false;
  Clock::time_point last_draw{};
  bool drawn = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view bytes(data, size * count);
  if (transfer->memory != nullptr) {
    if (transfer->memory->size() + bytes.size() > kMaxSumsBytes) {
      transfer->too_large = true;
      return 0;
    }
    transfer->memory->append(bytes);
  }
  if (transfer->fd >= 0) {
    std::string_view rest = bytes;
    while (!rest.empty()) {
      ssize_t n = ::write(transfer->fd, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        transfer->write_failed = true;
        return 0;
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  if (transfer->sha != nullptr) {
    transfer->sha->update(bytes);
  }
  return bytes.size();
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t /*ul_total*/,
                curl_off_t /*ul_now*/) {
  auto* transfer = static_cast<Transfer*>(user);
  if (interrupted()) {
    return 1;
  }
  if (transfer->progress && Clock::now() - transfer->last_draw > std::chrono::milliseconds(250)) {
    transfer->last_draw = Clock::now();
    transfer->drawn = true;
    constexpr double kMiB = 1024.0 * 1024.0;
    if (total > 0) {
      fmt::print(stderr, "\r\033[Kdownloading {}: {:.1f} / {:.1f} MiB", transfer->name,
                 static_cast<double>(now) / kMiB, static_cast<double>(total) / kMiB);
    } else {
      fmt::print(stderr, "\r\033[Kdownloading {}: {:.1f} MiB", transfer->name,
                 static_cast<double>(now) / kMiB);
    }
    std::fflush(stderr);
  }
  return 0;
}

// Fetches `url` into the transfer. ErrorKind::Network with the offline hint when the host cannot
// be reached, with the HTTP status for a server error; ErrorKind::Interrupted on Ctrl-C.
Status fetch(const std::string& url, Transfer& transfer) {
  init_curl_once();
  CurlHandle handle;
  if (handle.curl == nullptr) {
    return make_error(ErrorKind::Internal, "curl_easy_init failed");
  }
  char message[CURL_ERROR_SIZE] = {};
  CURL* curl = handle.curl;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  // A stalled transfer (under 1 KiB/s for a minute) fails instead of hanging.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "kharness");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  CURLcode code = curl_easy_perform(curl);
  if (transfer.drawn) {
    std::fputc('\n', stderr);
  }
  if (code == CURLE_OK) {
    return {};
  }
  if (code == CURLE_ABORTED_BY_CALLBACK && interrupted()) {
    return make_error(ErrorKind::Interrupted, "download of {} interrupted", url);
  }
  if (transfer.too_large) {
    return make_error(ErrorKind::Network, "{} is larger than {} bytes: not a checksum list", url,
                      kMaxSumsBytes);
  }
  if (transfer.write_failed) {
    return make_error(ErrorKind::Io, "cannot write the download of {}: {}", url, std::strerror(errno));
  }
  std::string reason = message[0] != '\0' ? message : curl_easy_strerror(code);
  if (code == CURLE_HTTP_RETURNED_ERROR) {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return make_error(ErrorKind::Network, "cannot download {}: HTTP {}", url, status);
  }
  return make_error(ErrorKind::Network, "cannot download {}: {}; {}", url, reason, kOfflineHint);
}

}  // namespace

std::string KernelOrgRelease::name() const {
  return patch == 0 ? fmt::format("{}.{}", major, minor) : fmt::format("{}.{}.{}", major, minor, patch);
}

std::string KernelOrgRelease::tarball_name() const {
  return fmt::format("linux-{}.tar.xz", name());
}

std::string KernelOrgRelease::folder() const {
  return fmt::format("v{}.x", major);
}

Result<KernelOrgRelease> parse_kernel_org_version(std::string_view text) {
  auto bad = [&]() {
    return make_error(
        ErrorKind::Config,
        "--kernel-version '{}' is not a kernel.org release: expected X.Y or X.Y.Z, e.g. 4.19.304", text);
  };
  std::string_view rest = text;
  KernelOrgRelease release;
  if (!take_number(rest, release.major) || rest.empty() || rest.front() != '.') {
    return bad();
  }
  rest.remove_prefix(1);
  if (!take_number(rest, release.minor)) {
    return bad();
  }
  if (!rest.empty()) {
    if (rest.front() != '.') {
      return bad();
    }
    rest.remove_prefix(1);
    if (!take_number(rest, release.patch) || !rest.empty()) {
      return bad();
    }
  }
  // Tarballs of 2.6 and older live elsewhere and have no sha256 list.
  if (release.major < 3 || release.minor < 0 || release.patch < 0) {
    return bad();
  }
  return release;
}

Result<std::string> find_sha256(std::string_view sums, std::string_view filename) {
  while (!sums.empty()) {
    std::size_t newline = sums.find('\n');
    std::string_view line = sums.substr(0, newline);
    sums = newline == std::string_view::npos ? std::string_view{} : sums.substr(newline + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.remove_suffix(1);
    }
    if (line.size() < 66) {
      continue;
    }
    std::string_view digest = line.substr(0, 64);
    bool hex = digest.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
    std::size_t name_start = line.find_first_not_of(" \t*", 64);
    if (!hex || (line[64] != ' ' && line[64] != '\t') || name_start == std::string_view::npos) {
      continue;
    }
    if (line.substr(name_start) == filename) {
      std::string lower(digest);
      for (char& c : lower) {
        if (c >= 'A' && c <= 'F') {
          c = static_cast<char>(c - 'A' + 'a');
        }
      }
      return lower;
    }
  }
  return make_error(ErrorKind::Parse, "the checksum list has no entry for {}", filename);
}

std::string kernel_mirror() {
  const char* mirror = std::getenv("KHARNESS_KERNEL_MIRROR");
  std::string url = mirror != nullptr && *mirror != '\0' ? mirror : kDefaultMirror;
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

Result<std::filesystem::path> download_kernel_tarball(const KernelOrgRelease& release,
                                                      const std::filesystem::path& downloads_dir,
                                                      const std::string& mirror, bool progress) {
  std::error_code ec;
  std::filesystem::create_directories(downloads_dir, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", downloads_dir.string(), ec.message());
  }
  const std::string filename = release.tarball_name();
  const std::filesystem::path target = downloads_dir / filename;
  KH_ASSIGN_OR_RETURN(FileLock lock,
                      FileLock::acquire(downloads_dir / ("." + filename + ".lock"), Deadline::never()));
  if (std::filesystem::is_regular_file(target, ec)) {
    return target;
  }

  const std::string folder_url = fmt::format("{}/{}", mirror, release.folder());
  std::string sums;
  Transfer sums_transfer;
  sums_transfer.name = "sha256sums.asc";
  sums_transfer.memory = &sums;
  KH_TRY(fetch(folder_url + "/sha256sums.asc", sums_transfer));
  auto expected = find_sha256(sums, filename);
  if (!expected) {
    return make_error(ErrorKind::Config, "{}/sha256sums.asc lists no {}: is {} a released kernel version?",
                      folder_url, filename, release.name());
  }

  KH_ASSIGN_OR_RETURN(TempDir partial, TempDir::create(".download-", downloads_dir));
  const std::filesystem::path partial_file = partial.path() / filename;
  UniqueFd fd(::open(partial_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", partial_file.string(), std::strerror(errno));
  }
  Sha256 sha;
  Transfer tarball_transfer;
  tarball_transfer.name = filename;
  tarball_transfer.progress = progress;
  tarball_transfer.fd = fd.get();
  tarball_transfer.sha = &sha;
  KH_TRY(fetch(folder_url + "/" + filename, tarball_transfer));
  if (::fsync(fd.get()) != 0) {
    return make_error(ErrorKind::Io, "cannot write {}: {}", partial_file.string(), std::strerror(errno));
  }
  fd.reset();
  std::string actual = sha.hex_digest();
  if (actual != *expected) {
    return make_error(ErrorKind::Network,
                      "checksum mismatch for {} from {}: sha256 is {}, sha256sums.asc says {}; the download "
                      "was discarded",
                      filename, folder_url, actual, *expected);
  }
  std::filesystem::rename(partial_file, target, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot move the download to {}: {}", target.string(), ec.message());
  }
  return target;
}

}  // namespace kh::kernel
