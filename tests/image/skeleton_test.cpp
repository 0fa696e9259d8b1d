// The skeleton manifest: the real one loads, and bad lines fail with their file:line.
#include "image/skeleton.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/temp_dir.h"

namespace kh::image {
namespace {

const std::filesystem::path kRealSkeleton =
    std::filesystem::path(KH_SOURCE_DIR) / "initramfs" / "skeleton.txt";

// Writes a manifest (and rootfs/etc/fstab for `file` lines) into a fresh directory.
std::filesystem::path write_manifest(const TempDir& dir, const std::string& text) {
  std::filesystem::create_directories(dir.path() / "rootfs" / "etc");
  std::ofstream(dir.path() / "rootfs" / "etc" / "fstab") << "proc /proc proc defaults 0 0\n";
  auto manifest = dir.path() / "skeleton.txt";
  std::ofstream(manifest) << text;
  return manifest;
}

TEST(SkeletonTest, TheRealSkeletonLoadsWithTheSeedsFiles) {
  CpioWriter archive;
  auto added = add_skeleton(archive, kRealSkeleton);
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  for (const char* path :
       {"init", "etc/inittab", "etc/init.d/rcS", "etc/fstab", "proc", "sys", "dev", "myproc",
        "mount_dir_test", "data/busybox/rootfs/.oldrootfs", "bin/sh", "sbin/init"}) {
    EXPECT_TRUE(archive.contains(path)) << path;
  }
  auto bytes = archive.to_newc();
  EXPECT_TRUE(bytes.ok());
}

TEST(SkeletonTest, GoodManifestAddsEntries) {
  auto dir = TempDir::create("kh-skeleton-test-");
  ASSERT_TRUE(dir.ok());
  auto manifest = write_manifest(*dir,
                                 "# comment\n"
                                 "\n"
                                 "dir /etc 0755\n"
                                 "file /etc/fstab 0644\n"
                                 "   slink /etc/mtab /proc/mounts   \n");
  CpioWriter archive;
  auto added = add_skeleton(archive, manifest);
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_EQ(archive.size(), 3U);
  EXPECT_TRUE(archive.contains("etc/mtab"));
}

TEST(SkeletonTest, BadLinesFailWithTheirLocation) {
  struct Case {
    const char* what;
    const char* text;
    int line;
    ErrorKind kind;
    const char* message_part;
  };
  const Case cases[] = {
      {"unknown type", "dir /a 0755\nnod /dev/console 0600\n", 2, ErrorKind::Config,
       "unknown entry type 'nod'"},
      {"bad mode", "dir /a 0855\n", 1, ErrorKind::Config, "bad mode '0855'"},
      {"mode too big", "dir /a 17777\n", 1, ErrorKind::Config, "bad mode"},
      {"missing field", "\n\nfile /etc/fstab\n", 3, ErrorKind::Config, "takes a path and a mode"},
      {"escape", "dir /../x 0755\n", 1, ErrorKind::Config, "escapes the archive root"},
      {"missing file", "file /etc/hosts 0644\n", 1, ErrorKind::Io, "etc/hosts"},
      {"duplicate", "dir /a 0755\ndir a/ 0700\n", 2, ErrorKind::Config, "added twice"},
      {"symlink loop", "slink /etc/a b\nslink /etc/b /etc/c\nslink /etc/c a\n", 1, ErrorKind::Config,
       "symlink loop"},
  };
  for (const auto& c : cases) {
    auto dir = TempDir::create("kh-skeleton-test-");
    ASSERT_TRUE(dir.ok());
    auto manifest = write_manifest(*dir, c.text);
    CpioWriter archive;
    auto added = add_skeleton(archive, manifest);
    ASSERT_FALSE(added.ok()) << c.what;
    EXPECT_EQ(added.error().kind, c.kind) << c.what;
    EXPECT_EQ(added.error().location, manifest.string() + ":" + std::to_string(c.line)) << c.what;
    EXPECT_NE(added.error().message.find(c.message_part), std::string::npos)
        << c.what << ": " << added.error().message;
  }
}

TEST(SkeletonTest, MissingManifestIsAnIoError) {
  CpioWriter archive;
  auto added = add_skeleton(archive, "/nonexistent/skeleton.txt");
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().kind, ErrorKind::Io);
}

}  // namespace
}  // namespace kh::image
