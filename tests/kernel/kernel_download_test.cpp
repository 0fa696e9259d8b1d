#include "kernel/kernel_download.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/child_process.h"
#include "common/sha256.h"
#include "common/temp_dir.h"
#include "kernel/kernel.h"
#include "kernel/kernel_source.h"
#include "kernel/test_files.h"

namespace kh::kernel {
namespace {

using testing::count_entries;
using testing::write_file;

struct VersionCase {
  std::string text;
  std::string tarball;  // empty: rejected
  std::string folder;
};

TEST(ParseKernelOrgVersion, AcceptsReleasedVersionsOnly) {
  const std::vector<VersionCase> cases = {
      {"4.19.304", "linux-4.19.304.tar.xz", "v4.x"},
      {"6.1", "linux-6.1.tar.xz", "v6.x"},
      {"6.1.0", "linux-6.1.tar.xz", "v6.x"},
      {"3.10.108", "linux-3.10.108.tar.xz", "v3.x"},
      {"latest", "", ""},
      {"6", "", ""},
      {"6.1-rc3", "", ""},
      {"v6.1", "", ""},
      {"2.6.32", "", ""},
      {"6.1.2.3", "", ""},
      {"6..1", "", ""},
      {"", "", ""},
      {" 6.1", "", ""},
      {"6.1.x", "", ""},
  };
  for (const auto& c : cases) {
    auto release = parse_kernel_org_version(c.text);
    if (c.tarball.empty()) {
      ASSERT_FALSE(release.ok()) << c.text;
      EXPECT_EQ(release.error().kind, ErrorKind::Config);
      EXPECT_NE(release.error().message.find("X.Y.Z"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(release.ok()) << c.text;
    EXPECT_EQ(release->tarball_name(), c.tarball);
    EXPECT_EQ(release->folder(), c.folder);
  }
}

constexpr const char* kSums = R"(-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

# This file contains SHA256 sums of the files in this directory.
f0a8ad5a5c0e3bb0e11b0a1bb50d0cd17b9ec2a05b58b9d0fe64e4a4a8a4bd7e  linux-4.19.303.tar.xz
ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789  linux-4.19.304.tar.xz
1111111111111111111111111111111111111111111111111111111111111111  linux-4.19.304.tar.xz.extra
2222222222222222222222222222222222222222222222222222222222222222 *linux-4.19.305.tar.xz
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCAAdFiEEZH8oZUiU471FcZm+ONu9yGCSaT4FAmXXXXXX
-----END PGP SIGNATURE-----
)";

TEST(FindSha256, FindsTheExactFileName) {
  auto sha = find_sha256(kSums, "linux-4.19.304.tar.xz");
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(*sha, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  auto binary_mode = find_sha256(kSums, "linux-4.19.305.tar.xz");
  ASSERT_TRUE(binary_mode.ok());
  EXPECT_EQ(*binary_mode, std::string(64, '2'));
  EXPECT_FALSE(find_sha256(kSums, "linux-4.19.tar.xz").ok());
  EXPECT_FALSE(find_sha256(kSums, "linux-4.19.30").ok());
  EXPECT_FALSE(find_sha256("", "linux-4.19.304.tar.xz").ok());
}

// A port nothing listens on right now.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "no free port on 127.0.0.1: " << std::strerror(errno);
  }
  if (fd >= 0) {
    ::close(fd);
  }
  return ntohs(address.sin_port);
}

// python3's http.server on 127.0.0.1 serving a folder laid out like kernel.org.
class LoopbackMirror {
 public:
  static std::optional<LoopbackMirror> start(const std::filesystem::path& root) {
    int port = free_port();
    ChildSpec spec;
    spec.argv = {"python3", "-u",        "-m",          "http.server", std::to_string(port),
                 "--bind",  "127.0.0.1", "--directory", root.string()};
    spec.stdout_mode = Stdio::Pipe;
    spec.stderr_mode = Stdio::Null;
    auto child = ChildProcess::spawn(spec);
    if (!child.ok()) {
      return std::nullopt;
    }
    // The server prints "Serving HTTP on ..." once it listens.
    std::string banner;
    std::array<char, 512> buffer{};
    Deadline deadline = Deadline::in(std::chrono::seconds(20));
    while (banner.find("Serving HTTP") == std::string::npos) {
      const int fd = child->stdout_fd();
      if (!wait_readable(std::span<const int>(&fd, 1), deadline).ok()) {
        return std::nullopt;
      }
      ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n <= 0) {
        return std::nullopt;
      }
      banner.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return LoopbackMirror(std::move(*child), fmt::format("http://127.0.0.1:{}", port));
  }
  const std::string& url() const { return url_; }

 private:
  LoopbackMirror(ChildProcess server, std::string url) : server_(std::move(server)), url_(std::move(url)) {}
  ChildProcess server_;
  std::string url_;
};

class DownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A proxy from the environment must not catch requests to the loopback mirror.
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);
    ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    auto dir = TempDir::create("kh-download-test-");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
    write_file(mirror_root() / "v4.x" / "linux-4.19.999.tar.xz", tarball_);
    write_sums(sha256_hex(tarball_));
    auto mirror = LoopbackMirror::start(mirror_root());
    ASSERT_TRUE(mirror.has_value()) << "python3 -m http.server did not start";
    mirror_.emplace(std::move(*mirror));
  }

  std::filesystem::path mirror_root() const { return dir_->path() / "mirror"; }
  std::filesystem::path downloads() const { return dir_->path() / "downloads"; }
  void write_sums(const std::string& sha) {
    write_file(mirror_root() / "v4.x" / "sha256sums.asc",
               "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + sha + "  linux-4.19.999.tar.xz\n" +
                   std::string(64, '0') + "  linux-4.19.998.tar.xz\n-----BEGIN PGP SIGNATURE-----\nxx\n");
  }
  Result<std::filesystem::path> download(const std::string& version) {
    auto release = parse_kernel_org_version(version);
    EXPECT_TRUE(release.ok());
    return download_kernel_tarball(*release, downloads(), mirror_->url(), false);
  }
  // Nothing but finished downloads (and their lock files) may stay in the folder.
  void expect_no_partial_files() {
    std::error_code ec;
    for (const auto& item : std::filesystem::directory_iterator(downloads(), ec)) {
      std::string name = item.path().filename().string();
      EXPECT_TRUE(name.ends_with(".lock") || name == "linux-4.19.999.tar.xz") << name;
    }
  }

  const std::string tarball_ = "a small fake kernel tarball\n";
  std::optional<TempDir> dir_;
  std::optional<LoopbackMirror> mirror_;
};

TEST_F(DownloadTest, AGoodChecksumIsAccepted) {
  auto path = download("4.19.999");
  ASSERT_TRUE(path.ok()) << path.error().to_string();
  EXPECT_EQ(*path, downloads() / "linux-4.19.999.tar.xz");
  EXPECT_EQ(testing::read_file(*path), tarball_);
  expect_no_partial_files();
}

TEST_F(DownloadTest, AVerifiedDownloadIsReusedWithoutNetwork) {
  ASSERT_TRUE(download("4.19.999").ok());
  mirror_.reset();
  auto again = download("4.19.999");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(testing::read_file(*again), tarball_);
}

TEST_F(DownloadTest, AWrongChecksumIsRejectedAndNothingStays) {
  write_sums(std::string(64, 'f'));
  auto path = download("4.19.999");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().kind, ErrorKind::Network);
  EXPECT_NE(path.error().message.find("checksum mismatch"), std::string::npos) << path.error().message;
  EXPECT_NE(path.error().message.find(std::string(64, 'f')), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(downloads() / "linux-4.19.999.tar.xz"));
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(downloads(), ec)) {
    EXPECT_TRUE(item.path().filename().string().ends_with(".lock")) << item.path();
  }
}

TEST_F(DownloadTest, AReleaseMissingFromTheListIsABadVersion) {
  auto path = download("4.19.1000");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().kind, ErrorKind::Config);
  EXPECT_NE(path.error().message.find("lists no linux-4.19.1000.tar.xz"), std::string::npos)
      << path.error().message;
}

TEST_F(DownloadTest, AListedButMissingTarballIsAnHttpError) {
  std::filesystem::remove(mirror_root() / "v4.x" / "linux-4.19.999.tar.xz");
  auto path = download("4.19.999");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().kind, ErrorKind::Network);
  EXPECT_NE(path.error().message.find("HTTP 404"), std::string::npos) << path.error().message;
  expect_no_partial_files();
}

TEST_F(DownloadTest, OfflineFailsFastNamingTheOtherWays) {
  auto release = parse_kernel_org_version("4.19.999");
  ASSERT_TRUE(release.ok());
  auto path =
      download_kernel_tarball(*release, downloads(), fmt::format("http://127.0.0.1:{}", free_port()), false);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().kind, ErrorKind::Network);
  const std::string& message = path.error().message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
  for (const char* way : {"--kernel-source", "--kernel-tarball", "linux-source-6.1"}) {
    EXPECT_NE(message.find(way), std::string::npos) << message;
  }
}

TEST_F(DownloadTest, KernelVersionRequestsGoThroughTheMirrorAndTheCache) {
  ::setenv("KHARNESS_KERNEL_MIRROR", (mirror_->url() + "/").c_str(), 1);
  ::setenv("KHARNESS_CACHE_DIR", (dir_->path() / "cache").c_str(), 1);
  KernelCache cache(dir_->path() / "cache");
  ASSERT_TRUE(cache.create_dirs().ok());
  KernelRequest request;
  request.version = "4.19.999";
  auto source = identify_source(request, cache);
  ::unsetenv("KHARNESS_KERNEL_MIRROR");
  ::unsetenv("KHARNESS_CACHE_DIR");
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ(source->kind, SourceIdentity::Kind::Tarball);
  EXPECT_EQ(source->sha256, sha256_hex(tarball_));
  EXPECT_EQ(source->path, cache.downloads_dir() / "linux-4.19.999.tar.xz");
  EXPECT_EQ(source->description, "kernel.org linux-4.19.999");
}

TEST(KernelMirror, DefaultsToKernelOrgAndDropsTrailingSlashes) {
  ::unsetenv("KHARNESS_KERNEL_MIRROR");
  EXPECT_EQ(kernel_mirror(), "https://cdn.kernel.org/pub/linux/kernel");
  ::setenv("KHARNESS_KERNEL_MIRROR", "http://127.0.0.1:8000//", 1);
  EXPECT_EQ(kernel_mirror(), "http://127.0.0.1:8000");
  ::unsetenv("KHARNESS_KERNEL_MIRROR");
}

}  // namespace
}  // namespace kh::kernel
