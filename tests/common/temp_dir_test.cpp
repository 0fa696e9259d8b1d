// kh::TempDir: private, removed with its contents on destruction, kept by release().
#include "common/temp_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <gtest/gtest.h>

#include "common/child_process.h"

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

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string pid_namespace() {
  return fs::read_symlink("/proc/self/ns/pid").string();
}

// A pid that no process has now: a child that ran and was reaped.
pid_t dead_pid() {
  ChildSpec spec;
  spec.argv = {"true"};
  auto child = ChildProcess::spawn(spec);
  EXPECT_TRUE(child.ok());
  if (!child.ok()) {
    return -1;
  }
  const pid_t pid = child->pid();
  EXPECT_TRUE(child->wait(Deadline::in(std::chrono::seconds(10))).ok());
  return pid;
}

TEST(ProcessStartTime, IsStableForALiveProcessAndAbsentForAGoneOne) {
  auto mine = process_start_time(::getpid());
  ASSERT_TRUE(mine.has_value());
  EXPECT_GT(*mine, 0u);
  EXPECT_EQ(process_start_time(::getpid()), mine);
  EXPECT_FALSE(process_start_time(dead_pid()).has_value());
}

TEST(TempDir, AnOwnedDirectoryNamesThisProcess) {
  auto dir = TempDir::create_owned("kh-owned-test-");
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  std::istringstream owner(read_text(dir->path() / std::string(kRunDirOwnerFile)));
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  std::string pid_ns;
  ASSERT_TRUE(owner >> pid >> start_time >> pid_ns);
  EXPECT_EQ(pid, ::getpid());
  EXPECT_EQ(start_time, *process_start_time(::getpid()));
  EXPECT_EQ(pid_ns, pid_namespace());
  // Only the owner file: nothing else (no temporary file of the atomic write) stays.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir->path()), fs::directory_iterator()), 1);
}

TEST(SweepStaleRunDirs, RemovesOnlyFoldersWhoseOwnerIsGone) {
  auto parent = TempDir::create("kh-sweep-test-");
  ASSERT_TRUE(parent.ok());
  const std::uint64_t my_start = *process_start_time(::getpid());
  const pid_t gone = dead_pid();
  struct Folder {
    std::string name;
    std::optional<std::string> owner;  // nullopt: no owner file
    bool swept;
  };
  const std::vector<Folder> folders = {
      {"kh-dead01", fmt::format("{} 12345 {}\n", gone, pid_namespace()), true},
      {"kh-reuse1", fmt::format("{} {} {}\n", ::getpid(), my_start + 1, pid_namespace()), true},
      {"kh-alive1", fmt::format("{} {} {}\n", ::getpid(), my_start, pid_namespace()), false},
      {"kh-foreig", std::nullopt, false},
      {"kh-broken", std::string("not an owner\n"), false},
      {"kh-empty1", std::string(), false},
      {"kh-ns0001", fmt::format("{} 12345 pid:[1]\n", gone), false},
      {"other-dea", fmt::format("{} 12345 {}\n", gone, pid_namespace()), false},
  };
  for (const auto& folder : folders) {
    fs::create_directories(parent->path() / folder.name / "inner");
    std::ofstream(parent->path() / folder.name / "serial.log") << "boot\n";
    if (folder.owner) {
      std::ofstream(parent->path() / folder.name / std::string(kRunDirOwnerFile)) << *folder.owner;
    }
  }
  // A file with the prefix is no run folder.
  std::ofstream(parent->path() / "kh-file01") << fmt::format("{} 1 {}\n", gone, pid_namespace());

  auto removed = sweep_stale_run_dirs(parent->path(), "kh-");
  for (const auto& folder : folders) {
    EXPECT_EQ(fs::exists(parent->path() / folder.name), !folder.swept) << folder.name;
  }
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_TRUE(fs::exists(parent->path() / "kh-file01"));
  EXPECT_TRUE(sweep_stale_run_dirs(parent->path(), "kh-").empty()) << "nothing left to sweep";
  EXPECT_TRUE(sweep_stale_run_dirs(parent->path() / "missing", "kh-").empty());
}

TEST(SweepStaleRunDirs, KeepsTheFolderOfThisProcess) {
  auto parent = TempDir::create("kh-sweep-test-");
  ASSERT_TRUE(parent.ok());
  auto mine = TempDir::create_owned("kh-", parent->path());
  ASSERT_TRUE(mine.ok());
  EXPECT_TRUE(sweep_stale_run_dirs(parent->path(), "kh-").empty());
  EXPECT_TRUE(fs::is_directory(mine->path()));
}

}  // namespace
}  // namespace kh
