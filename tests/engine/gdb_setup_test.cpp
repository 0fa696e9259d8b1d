// Which expression the engine reads the current task with, per kernel configuration.
#include "engine/gdb_setup.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/temp_dir.h"

namespace kh::engine {
namespace {

struct Case {
  const char* name;
  const char* config;      // nullptr: no .config file
  const char* system_map;  // nullptr: no System.map
  bool gdb_scripts;
  const char* expected;
};

TEST(CurrentTaskExpression, ChoosesTheCheapestCorrectOne) {
  const Case cases[] = {
      {"4.19/6.1 without SMP", "# CONFIG_SMP is not set\nCONFIG_X=y\n", "ffffffff81a49040 D current_task\n", true,
       "current_task"},
      {"6.2+ without SMP", "# CONFIG_SMP is not set\n", "ffffffff81a49040 D pcpu_hot\n", true,
       "pcpu_hot.current_task"},
      {"SMP needs the cpu", "CONFIG_A=y\nCONFIG_SMP=y\n", "ffffffff81a49040 D current_task\n", true, "$lx_current()"},
      {"no System.map", "# CONFIG_SMP is not set\n", nullptr, true, "$lx_current()"},
      {"no symbol", "# CONFIG_SMP is not set\n", "ffffffff81a49040 D other\n", true, "$lx_current()"},
      {"no symbol, no scripts", "# CONFIG_SMP is not set\n", "ffffffff81a49040 D other\n", false, ""},
      {"no config", nullptr, "ffffffff81a49040 D current_task\n", true, "$lx_current()"},
  };
  for (const Case& c : cases) {
    auto dir = TempDir::create();
    ASSERT_TRUE(dir.ok());
    kernel::KernelBuild build;
    build.dir = dir->path();
    build.config = dir->path() / "config";
    if (c.config != nullptr) {
      std::ofstream(build.config) << c.config;
    }
    if (c.system_map != nullptr) {
      std::ofstream(dir->path() / "System.map") << c.system_map;
    }
    if (c.gdb_scripts) {
      build.gdb_scripts = dir->path() / "vmlinux-gdb.py";
    }
    EXPECT_EQ(current_task_expression(build), c.expected) << c.name;
  }
}

TEST(SymbolWarmupCommands, AskInfoLineForPlainSymbolsOnly) {
  EXPECT_EQ(symbol_warmup_commands({"copy_process", "do_sys_open.isra.0", "__do_sys_clone"}),
            (std::vector<std::string>{"-interpreter-exec console \"info line copy_process\"",
                                      "-interpreter-exec console \"info line do_sys_open.isra.0\"",
                                      "-interpreter-exec console \"info line __do_sys_clone\""}));
  // Nothing a console command could take for more than a name.
  EXPECT_TRUE(symbol_warmup_commands({"", "a b", "f\"; shell rm", "0day", ".hidden", "fs/namespace.c:12"}).empty());
  std::vector<std::string> many(kMaxWarmedFunctions + 5, "f");
  EXPECT_EQ(symbol_warmup_commands(many).size(), kMaxWarmedFunctions);
}

}  // namespace
}  // namespace kh::engine
