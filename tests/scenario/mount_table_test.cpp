// The text of $kh_mount_table() (gdb-scripts/kharness.py) parsed into a mount list, and the
// changes between two lists of one namespace.
#include "trace/mount_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kh::trace {
namespace {

// What the child of trace-mount sees after its bind mount, as the 6.1 guest prints it.
const std::string kAfterBind =
    "kh-mount-table mnt_ns=0xffff888003a4c000\n"
    "1 1 / / rootfs rootfs private\n"
    "12 1 /proc / proc proc shared:3\n"
    "13 1 /data\\040dir / tmpfs tmpfs master:3\n"
    "14 13 /data\\040dir/sub\\134x / sub tmpfs shared:5 master:3 unbindable\n"
    "20 1 /mount_dir_test /myproc rootfs rootfs private\n";

MountEntry entry(int id, int parent, std::string mount_point, std::string root, std::string device,
                 std::string fs_type) {
  MountEntry out;
  out.id = id;
  out.parent_id = parent;
  out.mount_point = std::move(mount_point);
  out.root = std::move(root);
  out.device = std::move(device);
  out.fs_type = std::move(fs_type);
  return out;
}

TEST(MountTable, ParsesEveryFieldAndUnescapesPaths) {
  Result<MountTable> table = parse_mount_table(kAfterBind);
  ASSERT_TRUE(table.ok()) << table.error().to_string();
  EXPECT_EQ(table->namespace_id, "0xffff888003a4c000");
  ASSERT_EQ(table->mounts.size(), 5U);
  EXPECT_EQ(table->mounts[0], entry(1, 1, "/", "/", "rootfs", "rootfs"));
  EXPECT_EQ(table->mounts[1].shared_group, 3);
  EXPECT_EQ(table->mounts[1].propagation(), "shared:3");
  EXPECT_EQ(table->mounts[2].mount_point, "/data dir");
  EXPECT_EQ(table->mounts[2].propagation(), "master:3");
  EXPECT_EQ(table->mounts[3].mount_point, "/data dir/sub\\x");
  EXPECT_EQ(table->mounts[3].parent_id, 13);
  EXPECT_EQ(table->mounts[3].propagation(), "shared:5 master:3 unbindable");
  EXPECT_EQ(table->mounts[4].root, "/myproc");
  EXPECT_EQ(table->mounts[4].propagation(), "private");
  ASSERT_NE(table->find(20), nullptr);
  EXPECT_EQ(table->find(20)->mount_point, "/mount_dir_test");
  EXPECT_EQ(table->find(99), nullptr);
}

TEST(MountTable, NonAsciiBytesComeBackAsTheyWere) {
  Result<MountTable> table =
      parse_mount_table("kh-mount-table mnt_ns=0x1\n2 1 /caf\\303\\251/\\377 / none tmpfs private\n");
  ASSERT_TRUE(table.ok()) << table.error().to_string();
  EXPECT_EQ(table->mounts[0].mount_point, "/caf\xc3\xa9/\xff");
}

struct BadCase {
  std::string text;
  std::string message;
};

TEST(MountTable, RejectsWhatIsNoMountTable) {
  const std::vector<BadCase> cases = {
      {"", "the text is empty"},
      {"1 1 / / rootfs rootfs private\n", "expected 'kh-mount-table mnt_ns=INUM'"},
      {"kh-mount-table\n", "expected 'kh-mount-table mnt_ns=INUM'"},
      {"kh-mount-table mnt_ns=\n", "expected 'kh-mount-table mnt_ns=INUM'"},
      {"kh-mount-table mnt_ns=0x1\n1 1 / / rootfs\n", "line 2: expected id, parent id"},
      {"kh-mount-table mnt_ns=0x1\nx 1 / / rootfs rootfs private\n", "line 2: bad mount id"},
      {"kh-mount-table mnt_ns=0x1\n1 1 /\\04 / rootfs rootfs private\n", "line 2: bad escape"},
      {"kh-mount-table mnt_ns=0x1\n1 1 /\\9999 / rootfs rootfs private\n", "line 2: bad escape"},
      {"kh-mount-table mnt_ns=0x1\n1 1 / / rootfs rootfs shared:x\n", "line 2: bad propagation"},
      {"kh-mount-table mnt_ns=0x1\n1 1 / / rootfs rootfs shared:1 shared:2\n", "line 2: bad propagation"},
      {"kh-mount-table mnt_ns=0x1\n1 1 / / rootfs rootfs private unbindable\n", "line 2: bad propagation"},
      {"kh-mount-table mnt_ns=0x1\n1 1 / / rootfs rootfs peer\n", "line 2: bad propagation"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.text);
    Result<MountTable> table = parse_mount_table(c.text);
    ASSERT_FALSE(table.ok());
    EXPECT_EQ(table.error().kind, ErrorKind::Parse);
    EXPECT_NE(table.error().message.find(c.message), std::string::npos) << table.error().message;
  }
}

TEST(MountTable, ReadsTheValueAsGdbPrintsIt) {
  const std::string value =
      "\"kh-mount-table mnt_ns=0xffff888003a4c000\\n1 1 / / rootfs rootfs private\\n"
      "5 1 /dev / devtmpfs devtmpfs private\\n\"";
  EXPECT_TRUE(is_mount_table_value(value));
  Result<MountTable> table = mount_table_from_value(value);
  ASSERT_TRUE(table.ok()) << table.error().to_string();
  ASSERT_EQ(table->mounts.size(), 2U);
  EXPECT_EQ(table->mounts[1].mount_point, "/dev");

  // gdb's `print elements` limit cut it short: an error, never half a tree.
  const std::string cut = "\"kh-mount-table mnt_ns=0x1\\n1 1 / / rootfs rootfs private\\n5 1 /de\"...";
  EXPECT_TRUE(is_mount_table_value(cut));
  Result<MountTable> truncated = mount_table_from_value(cut);
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("cut short"), std::string::npos);

  for (const std::string other :
       {"131584", "0xffff888003a4c000 \"myproc\"", "\"kh-mounts\"", "<optimized out>"}) {
    EXPECT_FALSE(is_mount_table_value(other)) << other;
  }
  EXPECT_FALSE(mount_table_from_value("131584").ok());
}

TEST(MountTable, DiffNamesAddedRemovedAndChangedMounts) {
  MountTable before = *parse_mount_table(
      "kh-mount-table mnt_ns=0x1\n"
      "1 1 / / rootfs rootfs private\n"
      "12 1 /proc / proc proc private\n"
      "13 1 /tmp / tmpfs tmpfs private\n"
      "14 1 /old / tmpfs tmpfs private\n");
  MountTable after = *parse_mount_table(
      "kh-mount-table mnt_ns=0x1\n"
      "1 1 / / rootfs rootfs private\n"
      "12 1 /proc / proc proc shared:1\n"
      "13 1 /moved / tmpfs tmpfs private\n"
      "14 1 /old / proc proc private\n"
      "20 1 /mount_dir_test /myproc rootfs rootfs private\n");
  std::vector<MountChange> changes = diff_mount_tables(before, after);
  ASSERT_EQ(changes.size(), 5U);
  // Id 14 was reused by another file system: the old mount went, a new one came.
  EXPECT_EQ(changes[0].kind, MountChange::Kind::Removed);
  EXPECT_EQ(changes[0].before.fs_type, "tmpfs");
  EXPECT_EQ(changes[1].kind, MountChange::Kind::Changed);
  EXPECT_EQ(changes[1].after.id, 12);
  EXPECT_EQ(changes[1].fields, std::vector<std::string>{"propagation"});
  EXPECT_EQ(changes[2].kind, MountChange::Kind::Changed);
  EXPECT_EQ(changes[2].fields, std::vector<std::string>{"mount point"});
  EXPECT_EQ(changes[3].kind, MountChange::Kind::Added);
  EXPECT_EQ(changes[3].after.fs_type, "proc");
  EXPECT_EQ(changes[4].kind, MountChange::Kind::Added);
  EXPECT_EQ(changes[4].after.mount_point, "/mount_dir_test");

  EXPECT_TRUE(diff_mount_tables(after, after).empty());
}

}  // namespace
}  // namespace kh::trace
