// GNU cpio reads what CpioWriter writes: it lists the entries and restores modes, symlinks and
// contents.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "common/temp_dir.h"
#include "image/cpio_writer.h"
#include "common/file_io.h"
#include "image_test_support.h"

namespace kh::image {
namespace {

using testing::quoted;
using testing::run_shell;

class CpioGnuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kh-cpio-test-");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
    CpioWriter archive;
    ASSERT_TRUE(archive.add_directory("d", 0750).ok());
    ASSERT_TRUE(archive.add_file("d/f", 0640, "hi\n").ok());
    ASSERT_TRUE(archive.add_file("d/empty", 0600, "").ok());
    ASSERT_TRUE(archive.add_file("bin/tool", 04755, "#!/bin/sh\n").ok());
    ASSERT_TRUE(archive.add_symlink("l", "d/f").ok());
    ASSERT_TRUE(archive.add_symlink("abs", "/proc/mounts").ok());
    ASSERT_TRUE(archive.write_gzip(image()).ok());
  }

  std::filesystem::path image() const { return dir_->path() / "tiny.cpio.gz"; }

  std::optional<TempDir> dir_;
};

TEST_F(CpioGnuTest, ListsEveryEntryInOrder) {
  auto listed = run_shell("gzip -dc " + quoted(image()) + " | cpio --list --quiet");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->exit_code, 0) << listed->output;
  EXPECT_EQ(listed->output, ".\nabs\nbin\nbin/tool\nd\nd/empty\nd/f\nl\n");
}

TEST_F(CpioGnuTest, ExtractsModesSymlinksAndContents) {
  auto out = dir_->path() / "out";
  std::filesystem::create_directory(out);
  auto extracted =
      run_shell("gzip -dc " + quoted(image()) + " | cpio --extract --make-directories --quiet", out);
  ASSERT_TRUE(extracted.ok());
  ASSERT_EQ(extracted->exit_code, 0) << extracted->output;

  struct Expected {
    const char* path;
    mode_t mode;  // with the type bits
  };
  const Expected entries[] = {
      {"d", S_IFDIR | 0750},   {"d/f", S_IFREG | 0640},       {"d/empty", S_IFREG | 0600},
      {"bin", S_IFDIR | 0755}, {"bin/tool", S_IFREG | 04755}, {"l", S_IFLNK | 0777},
  };
  for (const auto& entry : entries) {
    struct stat st {};
    ASSERT_EQ(::lstat((out / entry.path).c_str(), &st), 0) << entry.path;
    EXPECT_EQ(st.st_mode, entry.mode) << entry.path;
  }
  EXPECT_EQ(std::filesystem::read_symlink(out / "l"), "d/f");
  EXPECT_EQ(std::filesystem::read_symlink(out / "abs"), "/proc/mounts");
  auto contents = read_file(out / "d/f");
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(*contents, "hi\n");
  EXPECT_EQ(std::filesystem::file_size(out / "d/empty"), 0U);
}

}  // namespace
}  // namespace kh::image
