// Whether the gdb helper scripts loaded, found before anything boots: a real gdb sources a kernel
// scripts folder laid out like 5.15.135's (its vmlinux-gdb.py imports linux.constants first, and
// that constants.py holds `1UL`), and the check names the Python error, the file and every
// capture that needs the missing helpers. The same folder after the cache's fix-up loads cleanly.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "engine/gdb_setup.h"
#include "kernel/gdb_scripts_fixup.h"
#include "mi/mi_session.h"
#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::engine {
namespace {

namespace fs = std::filesystem;

constexpr auto kBudget = std::chrono::seconds(30);

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A kernel build folder with just the gdb scripts: the loader of 5.15.111 and later (constants
// first), a constants.py as `make scripts_gdb` of 5.15.135 writes it, and the two modules that
// define the helpers the scenarios call.
kernel::KernelBuild fake_kernel(const fs::path& dir, bool broken_constants) {
  write(dir / "vmlinux-gdb.py",
        "import os\n"
        "import sys\n"
        "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)) + \"/scripts/gdb\")\n"
        "import linux.constants\n"
        "import linux.utils\n"
        "import linux.cpus\n");
  write(dir / "scripts/gdb/linux/__init__.py", "");
  write(dir / "scripts/gdb/linux/constants.py",
        std::string("\nimport gdb\nLX_CONFIG_DEBUG_INFO_REDUCED = 0\n") +
            (broken_constants ? "LX_SB_RDONLY = ((((1UL))) << (0))\n" : "LX_SB_RDONLY = 1\n"));
  write(dir / "scripts/gdb/linux/utils.py",
        "import gdb\n"
        "class ContainerOf(gdb.Function):\n"
        "    def __init__(self):\n"
        "        super(ContainerOf, self).__init__(\"container_of\")\n"
        "    def invoke(self, ptr, typename, elementname):\n"
        "        return ptr\n"
        "ContainerOf()\n");
  write(dir / "scripts/gdb/linux/cpus.py",
        "import gdb\n"
        "class LxCurrentFunc(gdb.Function):\n"
        "    def __init__(self):\n"
        "        super(LxCurrentFunc, self).__init__(\"lx_current\")\n"
        "    def invoke(self, cpu=-1):\n"
        "        return gdb.Value(0)\n"
        "LxCurrentFunc()\n");
  kernel::KernelBuild build;
  build.dir = dir;
  build.gdb_scripts = dir / "vmlinux-gdb.py";
  build.config = dir / "config";
  return build;
}

mi::MiSession start_gdb() {
  mi::MiSession::Options options;
  options.command_timeout = kBudget;
  auto gdb = mi::MiSession::start(options);
  EXPECT_TRUE(gdb.ok()) << gdb.error().to_string();
  return std::move(gdb).value();
}

trace::ResolvedScenario scenario(const std::string& breakpoints) {
  const std::string xml =
      "<scenario name=\"lab\">\n<guest program=\"mnt_ns_clone\"/>\n" + breakpoints + "</scenario>\n";
  auto parsed = trace::parse_scenario(xml, "lab.xml");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().to_string());
  auto version = KernelVersion::parse("5.15.135");
  return trace::resolve(parsed.value(), version.value());
}

// Line 3: the breakpoint, 4: the capture calling $lx_current(), 5: the expectation reading it.
const char* const kUsesLxCurrent =
    "<breakpoint function=\"mntns_install\">\n"
    "  <capture expr=\"$lx_current().pid\" as=\"pid\"/>\n"
    "  <expect capture=\"pid\" gt=\"0\"/>\n"
    "</breakpoint>\n";
const char* const kUsesNothing =
    "<breakpoint function=\"do_mount\">\n"
    "  <expect-hits exactly=\"2\"/>\n"
    "</breakpoint>\n";

bool contains(const std::vector<std::string>& lines, const std::string& part) {
  for (const std::string& line : lines) {
    if (line.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) {
    text += line + "\n";
  }
  return text;
}

TEST(GdbHelpers, ABrokenConstantsPyIsFoundBeforeAnythingBoots) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  kernel::KernelBuild kernel = fake_kernel(dir->path(), true);
  mi::MiSession gdb = start_gdb();
  trace::ResolvedScenario lab = scenario(kUsesLxCurrent);
  std::vector<HelperUse> uses = helper_uses(lab, "current_task");

  Result<GdbHelpers> helpers = load_gdb_helpers(gdb, kernel, uses, Deadline::in(kBudget));
  ASSERT_TRUE(helpers.ok()) << helpers.error().to_string();
  ASSERT_EQ(helpers->failures.size(), 1U);
  const ScriptLoadFailure& failure = helpers->failures[0];
  EXPECT_EQ(failure.script, kernel.gdb_scripts.string());
  EXPECT_EQ(failure.error, "SyntaxError: invalid decimal literal");
  EXPECT_EQ(failure.location, (dir->path() / "scripts/gdb/linux/constants.py").string() + ":4");
  EXPECT_EQ(failure.code, "LX_SB_RDONLY = ((((1UL))) << (0))");
  EXPECT_EQ(helpers->missing.count("lx_current"), 1U);
  EXPECT_EQ(helpers->missing.count("container_of"), 1U);
  // kharness's own script loaded after the kernel's failed one.
  EXPECT_EQ(helpers->available.count("kh_mount_path"), 1U);

  Result<std::vector<std::string>> checked = check_gdb_helpers(*helpers, uses, kernel);
  ASSERT_FALSE(checked.ok());
  const Error& error = checked.error();
  EXPECT_EQ(error.kind, ErrorKind::Gdb);
  EXPECT_NE(error.message.find("SyntaxError: invalid decimal literal"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("constants.py:4"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("$lx_current()"), std::string::npos) << error.message;
  EXPECT_EQ(error.location, "lab.xml:4");
  EXPECT_TRUE(contains(error.details,
                       "lab.xml:4: capture 'pid' of mntns_install needs $lx_current(), read by lab.xml:5"))
      << joined(error.details);
  EXPECT_TRUE(contains(error.details, "LX_SB_RDONLY = ((((1UL))) << (0))")) << joined(error.details);
  EXPECT_TRUE(gdb.close(Deadline::in(kBudget)).ok());
}

TEST(GdbHelpers, KernelScriptsNothingNeedsAreNotLoaded) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  kernel::KernelBuild kernel = fake_kernel(dir->path(), true);
  mi::MiSession gdb = start_gdb();
  // Only kharness.py's helpers, on a kernel without SMP: the kernel's broken scripts stay unread.
  std::vector<HelperUse> uses = helper_uses(
      scenario("<breakpoint function=\"f\">\n  <capture expr=\"$kh_mount_path(mnt)\" as=\"p\"/>\n"
               "  <expect capture=\"p\" equals=\"/\"/>\n</breakpoint>\n"),
      "current_task");
  EXPECT_FALSE(needs_kernel_scripts(uses));
  Result<GdbHelpers> helpers = load_gdb_helpers(gdb, kernel, uses, Deadline::in(kBudget));
  ASSERT_TRUE(helpers.ok()) << helpers.error().to_string();
  EXPECT_TRUE(helpers->failures.empty()) << helpers->failures.front().describe();
  EXPECT_EQ(helpers->missing.count("lx_current"), 1U);
  EXPECT_EQ(helpers->available.count("kh_mount_path"), 1U);
  Result<std::vector<std::string>> warnings = check_gdb_helpers(*helpers, uses, kernel);
  ASSERT_TRUE(warnings.ok()) << warnings.error().to_string();
  EXPECT_TRUE(warnings->empty());

  // On an SMP kernel the guest filter itself calls $lx_current(): then it is an error.
  Result<std::vector<std::string>> smp =
      prepare_gdb_helpers(gdb, kernel, scenario(kUsesNothing), "$lx_current()", Deadline::in(kBudget));
  ASSERT_FALSE(smp.ok());
  EXPECT_TRUE(
      contains(smp.error().details, "the guest filter (the current task on this kernel) needs $lx_current()"))
      << joined(smp.error().details);
  EXPECT_TRUE(gdb.close(Deadline::in(kBudget)).ok());
}

TEST(GdbHelpers, TheFixedUpScriptsLoad) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  kernel::KernelBuild kernel = fake_kernel(dir->path(), true);
  ASSERT_TRUE(kernel::fix_up_gdb_scripts(dir->path()).ok());
  mi::MiSession gdb = start_gdb();
  trace::ResolvedScenario lab = scenario(kUsesLxCurrent);
  std::vector<HelperUse> uses = helper_uses(lab, "current_task");
  Result<GdbHelpers> helpers = load_gdb_helpers(gdb, kernel, uses, Deadline::in(kBudget));
  ASSERT_TRUE(helpers.ok()) << helpers.error().to_string();
  EXPECT_TRUE(helpers->failures.empty()) << helpers->failures.front().describe();
  EXPECT_EQ(helpers->available.count("lx_current"), 1U);
  EXPECT_EQ(helpers->available.count("container_of"), 1U);
  Result<std::vector<std::string>> checked = check_gdb_helpers(*helpers, uses, kernel);
  ASSERT_TRUE(checked.ok()) << checked.error().to_string();
  EXPECT_TRUE(checked->empty());
  EXPECT_TRUE(gdb.close(Deadline::in(kBudget)).ok());
}

TEST(GdbHelpers, AMisspelledFunctionIsTheScenariosFault) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  kernel::KernelBuild kernel = fake_kernel(dir->path(), false);
  mi::MiSession gdb = start_gdb();
  Result<std::vector<std::string>> checked = prepare_gdb_helpers(
      gdb, kernel,
      scenario("<breakpoint function=\"f\">\n  <capture expr=\"$lx_curent()\" as=\"c\"/>\n"
               "  <expect capture=\"c\" equals=\"1\"/>\n</breakpoint>\n"),
      "current_task", Deadline::in(kBudget));
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().kind, ErrorKind::Config);
  EXPECT_NE(checked.error().message.find("$lx_curent()"), std::string::npos) << checked.error().message;
  EXPECT_TRUE(gdb.close(Deadline::in(kBudget)).ok());
}

TEST(GdbHelpers, AKernelWithoutScriptsCannotServeLxCurrent) {
  kernel::KernelBuild kernel;  // no vmlinux-gdb.py
  mi::MiSession gdb = start_gdb();
  Result<std::vector<std::string>> checked =
      prepare_gdb_helpers(gdb, kernel, scenario(kUsesLxCurrent), "current_task", Deadline::in(kBudget));
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().kind, ErrorKind::Gdb);
  EXPECT_NE(checked.error().message.find("no gdb scripts"), std::string::npos) << checked.error().message;
  EXPECT_TRUE(gdb.close(Deadline::in(kBudget)).ok());
}

// kharness's own gdb-scripts/kharness.py is checked the same way (KHARNESS_DATA_DIR points at a
// copy with a bug).
TEST(GdbHelpers, ABrokenKharnessScriptIsReportedToo) {
  auto data = TempDir::create();
  ASSERT_TRUE(data.ok());
  write(data->path() / "gdb-scripts" / "kharness.py", "import gdb\nraise KeyError('mnt_list')\n");
  ::setenv("KHARNESS_DATA_DIR", data->path().c_str(), 1);
  kernel::KernelBuild kernel;
  mi::MiSession gdb = start_gdb();
  Result<std::vector<std::string>> checked = prepare_gdb_helpers(
      gdb, kernel,
      scenario("<breakpoint function=\"f\">\n  <capture expr=\"$kh_mount_path(mnt)\" as=\"p\"/>\n"
               "  <expect capture=\"p\" equals=\"/\"/>\n</breakpoint>\n"),
      "current_task", Deadline::in(kBudget));
  ::unsetenv("KHARNESS_DATA_DIR");
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().kind, ErrorKind::Gdb);
  EXPECT_NE(checked.error().message.find("KeyError: 'mnt_list'"), std::string::npos)
      << checked.error().message;
  EXPECT_NE(checked.error().message.find("kharness.py:2"), std::string::npos) << checked.error().message;
  EXPECT_TRUE(gdb.close(Deadline::in(kBudget)).ok());
}

struct ParseCase {
  const char* name;
  const char* output;
  bool fails;
  const char* error;
  const char* location;
  const char* code;
};

TEST(ParseScriptLoadFailure, ReadsWhatGdbPrints) {
  const ParseCase cases[] = {
      {"5.15.135 constants.py (gdb 13.1, verbatim)",
       "Traceback (most recent call last):\n"
       "  File \"/c/vmlinux-gdb.py\", line 25, in <module>\n"
       "    import linux.constants\n"
       "  File \"/c/scripts/gdb/linux/constants.py\", line 5\n"
       "    LX_SB_RDONLY = ((((1UL))) << (0))\n"
       "                       ^\n"
       "SyntaxError: invalid decimal literal\n",
       true, "SyntaxError: invalid decimal literal", "/c/scripts/gdb/linux/constants.py:5",
       "LX_SB_RDONLY = ((((1UL))) << (0))"},
      {"a runtime error deeper down",
       "Traceback (most recent call last):\n"
       "  File \"/c/vmlinux-gdb.py\", line 29, in <module>\n"
       "    import linux.utils\n"
       "  File \"/c/scripts/gdb/linux/utils.py\", line 134, in <module>\n"
       "    atomic_long_counter_offset = atomic_long_type.get_type()['counter'].bitpos\n"
       "                                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
       "  File \"/c/scripts/gdb/linux/utils.py\", line 28, in get_type\n"
       "    self._type = gdb.lookup_type(self._name)\n"
       "gdb.error: No type named atomic_long_t.\n",
       true, "gdb.error: No type named atomic_long_t.", "/c/scripts/gdb/linux/utils.py:28",
       "self._type = gdb.lookup_type(self._name)"},
      {"gdb's one-line form", "Python Exception <class 'gdb.GdbError'>: Reduced debug information\n", true,
       "gdb.GdbError: Reduced debug information", "", ""},
      {"a clean load", "", false, "", "", ""},
      {"a note, not an error", "NOTE: gdb 7.2 or later required for Linux helper scripts to work.\n", false,
       "", "", ""},
  };
  for (const ParseCase& c : cases) {
    std::optional<ScriptLoadFailure> failure = parse_script_load_failure(c.output, "/c/vmlinux-gdb.py");
    ASSERT_EQ(failure.has_value(), c.fails) << c.name;
    if (!failure) {
      continue;
    }
    EXPECT_EQ(failure->script, "/c/vmlinux-gdb.py") << c.name;
    EXPECT_EQ(failure->error, c.error) << c.name;
    EXPECT_EQ(failure->location, c.location) << c.name;
    EXPECT_EQ(failure->code, c.code) << c.name;
  }
}

TEST(HelperUses, FindsEveryCallOfAConvenienceFunction) {
  trace::ResolvedScenario lab = scenario(
      "<breakpoint function=\"propagate_one\" condition=\"$_caller_is(&quot;propagate_mnt&quot;)\">\n"
      "  <capture expr=\"$container_of(ns, &quot;struct mnt_namespace&quot;, &quot;ns&quot;) != "
      "$lx_current().nsproxy-&gt;mnt_ns &amp;&amp; $lx_current().pid\" as=\"other\"/>\n"
      "  <capture expr=\"m-&gt;mnt_master != 0 &amp;&amp; $count == 1\" as=\"plain\"/>\n"
      "  <capture expr=\"$_as_string(&quot;$fake(1)&quot;)\" as=\"quoted\"/>\n"
      "  <expect capture=\"other\" equals=\"1\"/>\n"
      "  <expect capture=\"plain\" equals=\"1\"/>\n"
      "  <expect capture=\"quoted\" equals=\"1\"/>\n"
      "</breakpoint>\n");
  std::vector<HelperUse> uses = helper_uses(lab, "$lx_current()");
  std::vector<std::string> seen;
  seen.reserve(uses.size());
  for (const HelperUse& use : uses) {
    seen.push_back(use.function + "@" + use.location + " " + use.what);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "lx_current@ the guest filter (the current task on this kernel)",
                      "_caller_is@lab.xml:3 the condition of breakpoint propagate_one",
                      "container_of@lab.xml:4 capture 'other' of propagate_one",
                      "lx_current@lab.xml:4 capture 'other' of propagate_one",
                      "_as_string@lab.xml:6 capture 'quoted' of propagate_one",
                  }));
  EXPECT_EQ(uses[2].readers, (std::vector<std::string>{"lab.xml:7"}));
  EXPECT_TRUE(helper_uses(lab, "pcpu_hot.current_task").size() == uses.size() - 1);
}

}  // namespace
}  // namespace kh::engine
