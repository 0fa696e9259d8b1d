// $kh_mount_table() of gdb-scripts/kharness.py (what <capture-mounts> records) on the structures
// of mount_structs.c, list and rbtree shape: the whole table in one string however low gdb's
// `print elements` is, the limit put back once the target runs, fields escaped, errors as one line.
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

void PrintTo(const Layout& layout, std::ostream* out) {
  *out << layout.name;
}

// The mounts of mount_structs.c after the header line, with gdb's escapes of the string.
const std::string kRows =
    "1 1 / / rootfs rootfs private\\n"
    "2 1 /proc / proc proc shared:3\\n"
    "3 1 /data/setns / setns tmpfs master:3\\n"
    "4 3 /data/setns/sub / sub tmpfs shared:5 master:3 unbindable\\n\"";

class MountTableScriptTest : public testing::TestWithParam<Layout> {};

TEST_P(MountTableScriptTest, WholeTableDespiteThePrintLimitWhichComesBackOnResume) {
  GdbBatchSpec spec;
  spec.program = GetParam().program;
  spec.setup = {"set print elements 30", "break main", "run"};
  spec.commands = {"output $kh_mount_table(&ns)", "show print elements", "output $kh_mount_table(&task)",
                   "next", "show print elements"};
  Result<GdbBatchOutput> run = run_gdb_batch(spec);
  ASSERT_TRUE(run.ok()) << run.error().to_string();
  for (const std::size_t i : {0U, 2U}) {
    const GdbCommandOutput& table = run->commands[i];
    SCOPED_TRACE(table.command);
    ASSERT_FALSE(table.failed) << table.text;
    EXPECT_TRUE(table.text.starts_with("\"kh-mount-table mnt_ns=4026531840\\n")) << table.text;
    std::size_t rows = table.text.find("\\n");
    ASSERT_NE(rows, std::string::npos) << table.text;
    EXPECT_EQ(table.text.substr(rows + 2), kRows);
  }
  EXPECT_EQ(run->commands[0].text, run->commands[2].text);
  // Raised while the hit is read, 30 again after the target ran.
  EXPECT_EQ(run->commands[1].text.find("is 30."), std::string::npos) << run->commands[1].text;
  EXPECT_FALSE(run->commands[3].failed) << run->commands[3].text;
  EXPECT_NE(run->commands[4].text.find("is 30."), std::string::npos) << run->commands[4].text;
  EXPECT_EQ(run->raw.find("Traceback"), std::string::npos) << run->raw;
}

TEST_P(MountTableScriptTest, EscapesFieldsAndReportsBadInputAsOneLine) {
  GdbBatchSpec spec;
  spec.program = GetParam().program;
  spec.commands = {"python print(_escape_field('a b\\\\\\u00e9\\n'))",
                   "output $kh_mount_table(&proc_dir)",
                   "output $kh_mount_table(&exiting_task)",
                   "output $kh_mount_table(0)",
                   "output $kh_mount_table(&ns, &ns)",
                   "output $kh_mount_table()"};
  Result<GdbBatchOutput> run = run_gdb_batch(spec);
  ASSERT_TRUE(run.ok()) << run.error().to_string();
  EXPECT_EQ(run->commands[0].text, "a\\040b\\134\\303\\251\\012\n");
  const std::vector<std::string> errors = {
      "$kh_mount_table: expected a struct mnt_namespace * or struct task_struct *",
      "$kh_mount_table: task 43 has no nsproxy",
      "$kh_mount_table: null mount namespace",
      "$kh_mount_table: takes at most one argument",
      "$kh_mount_table: no current task",
  };
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const GdbCommandOutput& out = run->commands[i + 1];
    SCOPED_TRACE(out.command);
    EXPECT_TRUE(out.failed) << out.text;
    EXPECT_TRUE(out.text.starts_with(errors[i])) << out.text;
  }
  EXPECT_EQ(run->raw.find("Traceback"), std::string::npos) << run->raw;
}

std::string layout_name(const testing::TestParamInfo<Layout>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Layouts, MountTableScriptTest,
                         testing::Values(Layout{"mount_list", KH_MOUNT_STRUCTS_LIST},
                                         Layout{"mount_rbtree", KH_MOUNT_STRUCTS_TREE}),
                         layout_name);

}  // namespace
}  // namespace kh::test
