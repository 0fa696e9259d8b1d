// gdb-scripts/kharness.py on the kernel's mount structures as mount_structs.c lays them out, both
// the list (4.19 to 6.7) and the rbtree (6.8 on) shape of a namespace: each command and function
// prints what /proc/self/mountinfo would, and bad input gives one gdb error line, never a Python
// traceback.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gdb_scripts/gdb_batch.h"

namespace kh::test {
namespace {

struct Layout {
  const char* name;
  const char* program;
};

void PrintTo(const Layout& layout, std::ostream* out) { *out << layout.name; }

struct Case {
  std::string command;
  bool fails;
  std::string text;  // the whole output, or a part of the error message
};

const std::string kMounts =
    "1 1 / rootfs rootfs private\n"
    "2 1 /proc proc proc shared:3\n"
    "3 1 /data/setns setns tmpfs master:3\n"
    "4 3 /data/setns/sub sub tmpfs shared:5 master:3 unbindable\n";

const std::vector<Case> kCases = {
    {"kh-mounts &ns", false, kMounts},
    {"kh-mounts ns", false, kMounts},
    {"kh-mounts &task", false, kMounts},
    {"kh-mount-path &sub_mnt", false, "/data/setns/sub\n"},
    {"kh-mount-path &proc_mnt.mnt", false, "/proc\n"},
    {"kh-mount-path &root_mnt", false, "/\n"},
    {"kh-mount-path new_mnt", false, "/\n"},
    {"kh-dentry-name &dest_mp", false, "setns\n"},
    {"kh-dentry-name dest_mp.m_dentry", false, "setns\n"},
    {"kh-dentry-name &proc_path", false, "/\n"},
    {"kh-task &task", false, "pid=42 tgid=41 comm=mnt_ns_clone mnt_ns=0x"},
    {"kh-task &exiting_task", false, "pid=43 tgid=43 comm=gone mnt_ns=none\n"},
    {"output $kh_mount_path(&setns_mnt)", false, "\"/data/setns\""},
    {"output $kh_mount_path(&sub_mnt.mnt)", false, "\"/data/setns/sub\""},
    {"output $kh_dentry_name(&proc_dir)", false, "\"proc\""},
    {"output $kh_dentry_name(&dest_mp)", false, "\"setns\""},
    {"output $kh_propagation(&sub_mnt)", false, "\"shared:5 master:3 unbindable\""},
    {"output $kh_propagation(&root_mnt)", false, "\"private\""},
    {"output $_streq($kh_dentry_name(&dest_mp), \"setns\")", false, "1"},
    // Without the kernel's scripts there is no current task.
    {"kh-mounts", true, "kh-mounts: no current task: load the kernel's vmlinux-gdb.py"},
    {"kh-task", true, "kh-task: no current task"},
    {"kh-mount-path", true, "kh-mount-path: usage: kh-mount-path EXPR"},
    {"kh-mount-path &task", true,
     "kh-mount-path: expected a struct mount * or struct vfsmount *, got a value of type 'struct task_struct *'"},
    {"kh-mount-path 16", true, "kh-mount-path: cannot read kernel memory: Cannot access memory at address 0x10"},
    {"kh-mount-path 1 +", true, "kh-mount-path: A syntax error in expression"},
    {"kh-mount-path no_such_symbol", true, "kh-mount-path: No symbol \"no_such_symbol\" in current context."},
    {"kh-dentry-name &task", true, "kh-dentry-name: expected a struct dentry *"},
    {"kh-mounts &exiting_task", true, "kh-mounts: task 43 has no nsproxy"},
    {"kh-mounts &proc_dir", true, "kh-mounts: expected a struct mnt_namespace *"},
    {"output $kh_mount_path(&task)", true, "$kh_mount_path: expected a struct mount *"},
    {"output $kh_dentry_name(0)", true, "$kh_dentry_name: null dentry"},
};

std::string layout_name(const testing::TestParamInfo<Layout>& info) { return info.param.name; }

class GdbScriptsTest : public testing::TestWithParam<Layout> {};

TEST_P(GdbScriptsTest, CommandsAndFunctions) {
  GdbBatchSpec spec;
  spec.program = GetParam().program;
  for (const Case& c : kCases) {
    spec.commands.push_back(c.command);
  }
  Result<GdbBatchOutput> run = run_gdb_batch(spec);
  ASSERT_TRUE(run.ok()) << run.error().to_string() << "\n" << (run.ok() ? "" : run.error().details.front());
  for (std::size_t i = 0; i < kCases.size(); ++i) {
    const Case& c = kCases[i];
    const GdbCommandOutput& out = run->commands[i];
    SCOPED_TRACE(c.command);
    EXPECT_EQ(out.command, c.command);
    EXPECT_EQ(out.failed, c.fails) << out.text;
    if (c.fails || c.command.starts_with("kh-task &task")) {
      EXPECT_TRUE(out.text.starts_with(c.text)) << out.text;
    } else {
      EXPECT_EQ(out.text, c.text);
    }
  }
  EXPECT_EQ(run->raw.find("Traceback"), std::string::npos) << run->raw;
  EXPECT_EQ(run->raw.find("Error occurred in Python"), std::string::npos) << run->raw;
}

TEST_P(GdbScriptsTest, HelpDescribesEachCommand) {
  GdbBatchSpec spec;
  spec.program = GetParam().program;
  spec.commands = {"help kh-mounts", "help kh-mount-path", "help kh-dentry-name", "help kh-task",
                   "help function kh_mount_path"};
  Result<GdbBatchOutput> run = run_gdb_batch(spec);
  ASSERT_TRUE(run.ok()) << run.error().to_string();
  EXPECT_NE(run->commands[0].text.find("mount-id parent-id mount-point device fs-type propagation"),
            std::string::npos);
  EXPECT_NE(run->commands[1].text.find("Usage: kh-mount-path EXPR"), std::string::npos);
  EXPECT_NE(run->commands[2].text.find("Usage: kh-dentry-name EXPR"), std::string::npos);
  EXPECT_NE(run->commands[3].text.find("Usage: kh-task [EXPR]"), std::string::npos);
  EXPECT_NE(run->commands[4].text.find("mount point path"), std::string::npos) << run->commands[4].text;
}

INSTANTIATE_TEST_SUITE_P(Layouts, GdbScriptsTest,
                         testing::Values(Layout{"mount_list", KH_MOUNT_STRUCTS_LIST},
                                         Layout{"mount_rbtree", KH_MOUNT_STRUCTS_TREE}),
                         layout_name);

}  // namespace
}  // namespace kh::test
