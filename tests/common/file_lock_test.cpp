#include "common/file_lock.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/temp_dir.h"

namespace kh {
namespace {

TEST(FileLock, ASecondHolderIsRefusedUntilTheFirstReleases) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  const auto path = dir->path() / ".key.lock";
  auto first = FileLock::try_acquire(path);
  ASSERT_TRUE(first.ok() && first->has_value());
  auto second = FileLock::try_acquire(path);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->has_value());
  first->reset();
  auto third = FileLock::try_acquire(path);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->has_value());
}

TEST(FileLock, WaitingGivesUpAtTheDeadline) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  const auto path = dir->path() / ".key.lock";
  auto held = FileLock::try_acquire(path);
  ASSERT_TRUE(held.ok() && held->has_value());
  int waits = 0;
  auto waited = FileLock::acquire(path, Deadline::in(std::chrono::milliseconds(200)), [&] { ++waits; });
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.error().kind, ErrorKind::Timeout);
  EXPECT_EQ(waits, 1);
}

TEST(FileLock, AWaiterWakesUpWhenTheHolderReleases) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  const auto path = dir->path() / ".key.lock";
  auto held = FileLock::try_acquire(path);
  ASSERT_TRUE(held.ok() && held->has_value());
  std::optional<FileLock> holder = std::move(**held);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    holder.reset();
  });
  int waits = 0;
  auto waited = FileLock::acquire(path, Deadline::in(std::chrono::seconds(20)), [&] { ++waits; });
  releaser.join();
  ASSERT_TRUE(waited.ok()) << waited.error().to_string();
  EXPECT_EQ(waits, 1);
}

TEST(FileLock, AFreeLockIsTakenWithoutWaiting) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  int waits = 0;
  auto lock =
      FileLock::acquire(dir->path() / "new.lock", Deadline::in(std::chrono::seconds(1)), [&] { ++waits; });
  ASSERT_TRUE(lock.ok());
  EXPECT_EQ(waits, 0);
  EXPECT_TRUE(std::filesystem::exists(dir->path() / "new.lock"));
}

TEST(FileLock, AnUnwritableFolderIsAnIoError) {
  auto lock = FileLock::try_acquire("/proc/kharness-no-such-dir/x.lock");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().kind, ErrorKind::Io);
}

}  // namespace
}  // namespace kh
