// The fix-up of the kernel's generated constants.py: C integer literals become Python ones, the
// rest of the file is untouched, the cache entry records what changed, and the result imports in
// Python (checked by running python3 on it).
#include "kernel/gdb_scripts_fixup.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/file_io.h"
#include "common/temp_dir.h"

namespace kh::kernel {
namespace {

namespace fs = std::filesystem;

struct LiteralCase {
  const char* in;
  const char* out;
};

TEST(FixCIntegerLiterals, RewritesSuffixesAndOctalOnly) {
  const LiteralCase cases[] = {
      {"LX_SB_RDONLY = ((((1UL))) << (0))", "LX_SB_RDONLY = ((((1))) << (0))"},
      {"X = 0x10ULL", "X = 0x10"},
      {"X = 0X1fu | 5U | 7L | 9ll | 3lu | 4Ul", "X = 0X1f | 5 | 7 | 9 | 3 | 4"},
      {"X = 0755", "X = 0o755"},
      {"X = 0", "X = 0"},
      {"X = 00", "X = 00"},
      {"X = 0x0", "X = 0x0"},
      // Names, strings, comments, floats and Python's own literals stay as they are.
      {"LX_1UL = x1UL", "LX_1UL = x1UL"},
      {"X = gdb.parse_and_eval(\"((((1UL))) << (0))\")", "X = gdb.parse_and_eval(\"((((1UL))) << (0))\")"},
      {"X = '1UL'  # 1UL", "X = '1UL'  # 1UL"},
      {"X = \"\"\"a 1UL\nb\"\"\"", "X = \"\"\"a 1UL\nb\"\"\""},
      {"X = 1.5e3 + 0b101 + 0o17 + 1_000 + 3j", "X = 1.5e3 + 0b101 + 0o17 + 1_000 + 3j"},
      {"X = 'it\\'s 1UL'", "X = 'it\\'s 1UL'"},
  };
  for (const LiteralCase& c : cases) {
    LiteralFixResult result = fix_c_integer_literals(c.in);
    EXPECT_EQ(result.text, c.out) << c.in;
    EXPECT_EQ(result.fixes.empty(), std::string(c.in) == c.out) << c.in;
  }
}

TEST(FixCIntegerLiterals, ReportsEachChangedLine) {
  LiteralFixResult result = fix_c_integer_literals("import gdb\nA = 1UL\nB = 2\nC = (1UL << 3) | 0x4ULL\n");
  ASSERT_EQ(result.fixes.size(), 2U);
  EXPECT_EQ(result.fixes[0].line, 2U);
  EXPECT_EQ(result.fixes[0].before, "A = 1UL");
  EXPECT_EQ(result.fixes[0].after, "A = 1");
  EXPECT_EQ(result.fixes[1].line, 4U);
  EXPECT_EQ(result.fixes[1].after, "C = (1 << 3) | 0x4");
  EXPECT_EQ(fix_c_integer_literals(result.text).fixes.size(), 0U) << "the fix-up is idempotent";
}

// constants.py as 5.15.135's `make scripts_gdb` writes it (the preprocessor's output of
// constants.py.in: LX_VALUE(SB_RDONLY) with SB_RDONLY defined as BIT(0)).
const char* const kBroken515Constants =
    "\n"
    "import gdb\n"
    "LX_CONFIG_DEBUG_INFO_REDUCED = 0\n"
    "if 0:\n"
    "    LX_CLK_GET_RATE_NOCACHE = gdb.parse_and_eval(\"((((1UL))) << (6))\")\n"
    "LX_SB_RDONLY = ((((1UL))) << (0))\n"
    "LX_SB_SYNCHRONOUS = ((((1UL))) << (4))\n"
    "LX_SB_MANDLOCK = ((((1UL))) << (6))\n"
    "LX_SB_DIRSYNC = ((((1UL))) << (7))\n"
    "LX_SB_NOATIME = ((((1UL))) << (10))\n"
    "LX_SB_NODIRATIME = ((((1UL))) << (11))\n"
    "LX_hrtimer_resolution = gdb.parse_and_eval(\"hrtimer_resolution\")\n"
    "LX_MNT_NOSUID = 0x01\n"
    "LX_MNT_RELATIME = 0x20\n"
    "LX_NR_CPUS = 1\n"
    "LX_OF_DT_HEADER = 0xd00dfeed\n"
    "LX_CONFIG_GENERIC_CLOCKEVENTS = 1\n";

// Runs the file with python3 and a stand-in `gdb` module; returns what it printed, or the error.
Result<CommandOutput> run_python(const fs::path& constants) {
  ChildSpec spec;
  spec.argv = {"python3", "-c",
               "import sys, types\n"
               "gdb = types.ModuleType('gdb')\n"
               "gdb.parse_and_eval = lambda text: text\n"
               "sys.modules['gdb'] = gdb\n"
               "scope = {}\n"
               "exec(compile(open(sys.argv[1]).read(), sys.argv[1], 'exec'), scope)\n"
               "print(scope['LX_SB_RDONLY'], scope['LX_SB_NODIRATIME'], scope['LX_OF_DT_HEADER'])\n",
               constants.string()};
  return run_command(spec, Deadline::in(std::chrono::seconds(30)));
}

struct Entry {
  TempDir dir;
  fs::path constants;
};

Entry make_entry(const char* constants_text) {
  auto dir = TempDir::create();
  EXPECT_TRUE(dir.ok());
  Entry entry{std::move(dir).value(), {}};
  entry.constants = entry.dir.path() / "scripts" / "gdb" / "linux" / "constants.py";
  if (constants_text != nullptr) {
    fs::create_directories(entry.constants.parent_path());
    std::ofstream(entry.constants) << constants_text;
  }
  return entry;
}

TEST(FixUpGdbScripts, MakesThe515ConstantsImportable) {
  Entry entry = make_entry(kBroken515Constants);
  // The fixture really is what breaks: python3 refuses it as it is.
  Result<CommandOutput> before = run_python(entry.constants);
  ASSERT_TRUE(before.ok()) << before.error().to_string();
  ASSERT_NE(before->exit_code, 0);
  EXPECT_NE(before->output.find("SyntaxError"), std::string::npos) << before->output;

  EXPECT_FALSE(gdb_scripts_fixed_up(entry.dir.path()));
  Status fixed = fix_up_gdb_scripts(entry.dir.path());
  ASSERT_TRUE(fixed.ok()) << fixed.error().to_string();
  EXPECT_TRUE(gdb_scripts_fixed_up(entry.dir.path()));

  Result<CommandOutput> after = run_python(entry.constants);
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(after->exit_code, 0) << after->output;
  EXPECT_EQ(after->output, "1 2048 3490578157\n");

  // The gdb-parsed string stays C: gdb reads it, not Python.
  Result<std::string> text = read_file(entry.constants);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("gdb.parse_and_eval(\"((((1UL))) << (6))\")"), std::string::npos);

  Result<std::string> record = read_file(entry.dir.path() / kGdbScriptsFixupFile);
  ASSERT_TRUE(record.ok()) << record.error().to_string();
  EXPECT_TRUE(record->starts_with("kharness gdb-scripts fix-up format 1\n")) << *record;
  EXPECT_NE(record->find("scripts/gdb/linux/constants.py: 6 lines with C integer literals rewritten"),
            std::string::npos)
      << *record;
  EXPECT_NE(record->find("scripts/gdb/linux/constants.py:6: LX_SB_RDONLY = ((((1UL))) << (0))  ->  "
                         "LX_SB_RDONLY = ((((1))) << (0))"),
            std::string::npos)
      << *record;
}

TEST(FixUpGdbScripts, RunsOncePerEntry) {
  Entry entry = make_entry(kBroken515Constants);
  ASSERT_TRUE(fix_up_gdb_scripts(entry.dir.path()).ok());
  Result<std::string> record = read_file(entry.dir.path() / kGdbScriptsFixupFile);
  ASSERT_TRUE(record.ok());
  // A later constants.py (a stand-in for "someone changed it") is not looked at again: the record
  // says this entry is done.
  std::ofstream(entry.constants) << "A = 1UL\n";
  ASSERT_TRUE(fix_up_gdb_scripts(entry.dir.path()).ok());
  EXPECT_EQ(read_file(entry.constants).value(), "A = 1UL\n");
  EXPECT_EQ(read_file(entry.dir.path() / kGdbScriptsFixupFile).value(), *record);

  // A record of another format is redone.
  std::ofstream(entry.dir.path() / kGdbScriptsFixupFile) << "kharness gdb-scripts fix-up format 0\n";
  EXPECT_FALSE(gdb_scripts_fixed_up(entry.dir.path()));
  ASSERT_TRUE(fix_up_gdb_scripts(entry.dir.path()).ok());
  EXPECT_EQ(read_file(entry.constants).value(), "A = 1\n");
}

TEST(FixUpGdbScripts, LeavesCorrectScriptsAsTheyAre) {
  const char* const good =
      "import gdb\nLX_SB_RDONLY = gdb.parse_and_eval(\"((((1UL))) << (0))\")\nLX_NR_CPUS = 1\n";
  Entry entry = make_entry(good);
  const auto written = fs::last_write_time(entry.constants);
  ASSERT_TRUE(fix_up_gdb_scripts(entry.dir.path()).ok());
  EXPECT_EQ(read_file(entry.constants).value(), good);
  EXPECT_EQ(fs::last_write_time(entry.constants), written);
  EXPECT_NE(read_file(entry.dir.path() / kGdbScriptsFixupFile)->find("0 lines with C integer literals"),
            std::string::npos);
}

TEST(FixUpGdbScripts, AnEntryWithoutScriptsOnlyGetsTheRecord) {
  Entry entry = make_entry(nullptr);
  ASSERT_TRUE(fix_up_gdb_scripts(entry.dir.path()).ok());
  EXPECT_FALSE(fs::exists(entry.constants));
  EXPECT_NE(read_file(entry.dir.path() / kGdbScriptsFixupFile)->find("not in this entry"), std::string::npos);
}

TEST(FixUpGdbScripts, FailsWithIoWhenTheRecordCannotBeWritten) {
  Entry entry = make_entry(kBroken515Constants);
  // A folder where the record goes: no rename can replace it, whoever runs the test.
  fs::create_directories(entry.dir.path() / kGdbScriptsFixupFile / "x");
  Status fixed = fix_up_gdb_scripts(entry.dir.path());
  ASSERT_FALSE(fixed.ok());
  EXPECT_EQ(fixed.error().kind, ErrorKind::Io);
  EXPECT_FALSE(gdb_scripts_fixed_up(entry.dir.path()));
}

}  // namespace
}  // namespace kh::kernel
