// kh::TempDir: private, removed with its contents on destruction, kept by release().
#include "common/temp_dir.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include <gtest/gtest.h>

namespace kh {
namespace {

namespace fs = std::filesystem;

TEST(TempDir, IsAPrivateDirectoryRemovedWithItsContents) {
  fs::path path;
  {
    auto dir = TempDir::create("kh-temp-test-");
    ASSERT_TRUE(dir.ok()) << dir.error().to_string();
    path = dir->path();
    EXPECT_TRUE(fs::is_directory(path));
    EXPECT_EQ(path.filename().string().rfind("kh-temp-test-", 0), 0u);
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u);
    fs::create_directories(path / "a" / "b");
    std::ofstream(path / "a" / "b" / "file") << "content";
    ASSERT_TRUE(fs::exists(path / "a" / "b" / "file"));
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDir, IsCreatedUnderTheGivenParent) {
  auto parent = TempDir::create("kh-temp-parent-");
  ASSERT_TRUE(parent.ok());
  auto child = TempDir::create("inner-", parent->path());
  ASSERT_TRUE(child.ok()) << child.error().to_string();
  EXPECT_EQ(child->path().parent_path(), parent->path());
}

TEST(TempDir, AMissingParentIsAnIoError) {
  auto dir = TempDir::create("kh-", "/nonexistent/kh-parent");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().kind, ErrorKind::Io);
}

TEST(TempDir, ReleaseKeepsTheDirectory) {
  fs::path kept;
  {
    auto dir = TempDir::create("kh-temp-kept-");
    ASSERT_TRUE(dir.ok());
    kept = dir->release();
    EXPECT_TRUE(dir->path().empty());
  }
  EXPECT_TRUE(fs::is_directory(kept));
  std::error_code ignored;
  fs::remove_all(kept, ignored);
}

TEST(TempDir, MovingTransfersOwnership) {
  fs::path first_path;
  fs::path second_path;
  {
    auto first = TempDir::create("kh-temp-move-");
    auto second = TempDir::create("kh-temp-move-");
    ASSERT_TRUE(first.ok() && second.ok());
    first_path = first->path();
    second_path = second->path();
    TempDir owner = std::move(*first);
    EXPECT_EQ(owner.path(), first_path);
    owner = std::move(*second);  // the directory it owned before is removed now
    EXPECT_FALSE(fs::exists(first_path));
    EXPECT_TRUE(fs::exists(second_path));
  }
  EXPECT_FALSE(fs::exists(second_path));
}

}  // namespace
}  // namespace kh
