// Builds Debian's linux-source-6.1 with kernel-configs/base.config through the cache (a hit after
// the first run) and checks what the trace engine relies on.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "kernel/kernel.h"
#include "kernel/kernel_builder.h"

namespace kh::kernel {
namespace {

// The shared cache's build (a hit after the first run), or nullptr with the failure reported.
const KernelBuild* debian_build() {
  static const Result<KernelBuild> build = provide_kernel(KernelRequest{});
  if (!build.ok()) {
    std::string details;
    for (const auto& line : build.error().details) {
      details += "\n  " + line;
    }
    ADD_FAILURE() << build.error().to_string() << details;
    return nullptr;
  }
  return &build.value();
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CommandOutput run_tool(std::vector<std::string> argv,
                       std::chrono::seconds timeout = std::chrono::seconds(300)) {
  ChildSpec spec;
  spec.argv = std::move(argv);
  auto output = run_command(spec, Deadline::in(timeout));
  EXPECT_TRUE(output.ok()) << (output.ok() ? "" : output.error().to_string());
  return output.ok() ? *output : CommandOutput{};
}

TEST(Debian61Build, IsAVerifiedDebugKernel) {
  const KernelBuild* built = debian_build();
  ASSERT_NE(built, nullptr);
  const KernelBuild& build = *built;
  EXPECT_EQ(build.version.major, 6);
  EXPECT_EQ(build.version.minor, 1);
  EXPECT_FALSE(build.release.empty());
  EXPECT_TRUE(std::filesystem::is_regular_file(build.bzimage));
  auto has_dwarf = elf_has_section(build.vmlinux, ".debug_info");
  ASSERT_TRUE(has_dwarf.ok());
  EXPECT_TRUE(*has_dwarf);

  std::string config = read_text(build.config);
  EXPECT_EQ(config.find("CONFIG_RANDOMIZE_BASE=y"), std::string::npos);
  // The guest ends by reboot -f under qemu -no-reboot: neither ACPI nor PCI is compiled.
  EXPECT_EQ(config.find("\nCONFIG_ACPI=y"), std::string::npos);
  EXPECT_EQ(config.find("\nCONFIG_PCI=y"), std::string::npos);
  // The console is the serial port: no virtual terminals, no input layer, no ethtool netlink.
  for (const char* off : {"\nCONFIG_VT=y", "\nCONFIG_INPUT=y", "\nCONFIG_ETHTOOL_NETLINK=y"}) {
    EXPECT_EQ(config.find(off), std::string::npos) << off;
  }
  for (const char* line :
       {"CONFIG_64BIT=y", "CONFIG_DEBUG_INFO=y", "CONFIG_FRAME_POINTER=y", "CONFIG_GDB_SCRIPTS=y",
        "CONFIG_NAMESPACES=y", "CONFIG_PID_NS=y", "CONFIG_SERIAL_8250_CONSOLE=y",
        "CONFIG_RD_GZIP=y", "CONFIG_DEVTMPFS=y", "CONFIG_TMPFS=y"}) {
    EXPECT_NE(config.find(std::string("\n") + line + "\n"), std::string::npos) << line;
  }
  EXPECT_TRUE(std::filesystem::is_regular_file(build.build_log));
}

TEST(Debian61Build, HasTheTracedFunctionsInItsSymbolTable) {
  const KernelBuild* built = debian_build();
  ASSERT_NE(built, nullptr);
  const KernelBuild& build = *built;
  CommandOutput nm = run_tool({"nm", build.vmlinux.string()});
  std::set<std::string> symbols;
  std::istringstream lines(nm.output);
  std::string address, type, name;
  while (lines >> address >> type >> name) {
    symbols.insert(name);
  }
  for (const char* function :
       {"copy_mnt_ns", "do_mount", "path_mount", "attach_recursive_mnt", "mnt_set_mountpoint",
        "propagate_mnt", "ksys_unshare", "unshare_nsproxy_namespaces", "create_new_namespaces",
        "copy_namespaces", "copy_process", "kernel_clone", "__x64_sys_pivot_root", "__x64_sys_setns",
        "__x64_sys_unshare", "__x64_sys_mount"}) {
    EXPECT_TRUE(symbols.count(function)) << function << " is not in nm " << build.vmlinux;
  }
}

TEST(Debian61Build, GdbFindsEveryTracedFunctionIncludingInlinedOnes) {
  const KernelBuild* built = debian_build();
  ASSERT_NE(built, nullptr);
  const KernelBuild& build = *built;
  std::vector<std::string> argv = {"gdb", "-batch", "-nx", build.vmlinux.string()};
  const std::vector<std::string> functions = {"copy_mnt_ns",
                                              "do_mount",
                                              "path_mount",
                                              "do_loopback",
                                              "graft_tree",
                                              "attach_recursive_mnt",
                                              "mnt_set_mountpoint",
                                              "commit_tree",
                                              "propagate_mnt",
                                              "ksys_unshare",
                                              "unshare_nsproxy_namespaces",
                                              "create_new_namespaces",
                                              "copy_namespaces",
                                              "copy_process",
                                              "kernel_clone",
                                              "__do_sys_pivot_root",
                                              "__do_sys_setns"};
  for (const auto& function : functions) {
    argv.push_back("-ex");
    argv.push_back("break " + function);
  }
  CommandOutput gdb = run_tool(argv);
  EXPECT_EQ(gdb.exit_code, 0) << gdb.output;
  for (const auto& function : functions) {
    EXPECT_EQ(gdb.output.find("Function \"" + function + "\" not defined"), std::string::npos) << gdb.output;
  }
  // One "Breakpoint N at 0x...: file ..., line ..." per function: gdb resolved every one to code.
  std::size_t resolved = 0;
  for (std::size_t at = gdb.output.find("\nBreakpoint "); at != std::string::npos;
       at = gdb.output.find("\nBreakpoint ", at + 1)) {
    ++resolved;
  }
  resolved += gdb.output.starts_with("Breakpoint ") ? 1 : 0;
  EXPECT_EQ(resolved, functions.size()) << gdb.output;
}

TEST(Debian61Build, GdbScriptsLoadFromTheCacheEntryAlone) {
  const KernelBuild* built = debian_build();
  ASSERT_NE(built, nullptr);
  const KernelBuild& build = *built;
  ASSERT_FALSE(build.gdb_scripts.empty());
  ASSERT_TRUE(std::filesystem::is_regular_file(build.gdb_scripts));
  ASSERT_TRUE(build.gdb_scripts.parent_path() == build.dir);
  CommandOutput gdb =
      run_tool({"gdb", "-batch", "-nx", "-ex", "add-auto-load-safe-path " + build.dir.string(), "-ex",
                "source " + build.gdb_scripts.string(), "-ex", "python import linux.tasks, linux.utils",
                "-ex", "p $lx_current", "-ex", "p $lx_task_by_pid", "-ex",
                "python import linux; print('from', linux.__file__)", build.vmlinux.string()});
  EXPECT_EQ(gdb.exit_code, 0) << gdb.output;
  EXPECT_EQ(gdb.output.find("Error"), std::string::npos) << gdb.output;
  EXPECT_EQ(gdb.output.find("Traceback"), std::string::npos) << gdb.output;
  EXPECT_NE(gdb.output.find("<internal function lx_current>"), std::string::npos) << gdb.output;
  EXPECT_NE(gdb.output.find("<internal function lx_task_by_pid>"), std::string::npos) << gdb.output;
  // The package comes from the entry, not from the source tree it was built from.
  EXPECT_NE(gdb.output.find("from " + (build.dir / "scripts" / "gdb").string()), std::string::npos)
      << gdb.output;
}

TEST(Debian61Build, ASecondRequestIsACacheHit) {
  const KernelBuild* built = debian_build();
  ASSERT_NE(built, nullptr);
  const KernelBuild& first = *built;
  auto start = Clock::now();
  auto again = provide_kernel(KernelRequest{});
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->key, first.key);
  EXPECT_EQ(again->dir, first.dir);
  EXPECT_EQ(again->built_at, first.built_at);
  // A figure for people, not an assertion (speed goals are benchmarks).
  std::printf("cache hit took %lld ms\n", static_cast<long long>(elapsed.count()));
}

// Processes whose command line mentions `text` (a private cache path): none may outlive a build.
std::vector<std::string> processes_mentioning(const std::string& text) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator("/proc", ec)) {
    std::string cmdline = read_text(item.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(text) != std::string::npos) {
      found.push_back(item.path().filename().string() + ": " + cmdline);
    }
  }
  return found;
}

class StoppedBuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kh-stopped-build-");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
  }

  std::filesystem::path cache() const { return dir_->path() / "cache"; }

  ChildSpec kharness(std::vector<std::string> args) const {
    ChildSpec spec;
    spec.argv = {std::string(KH_BINARY_DIR) + "/kharness"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = {{"KHARNESS_CACHE_DIR", cache().string()}};
    spec.stdout_mode = Stdio::File;
    spec.stdout_file = dir_->path() / "stdout";
    spec.stderr_mode = Stdio::File;
    spec.stderr_file = dir_->path() / "stderr";
    return spec;
  }

  // Starts `kharness kernel build` and stops it with `signo` a few seconds in (extracting or
  // configuring: cheap, and as much "midway" as any later moment).
  int stop_build_with(int signo) {
    auto build = ChildProcess::spawn(kharness({"kernel", "build"}));
    EXPECT_TRUE(build.ok());
    if (!build.ok()) {
      return -1;
    }
    auto early = build->wait(Deadline::in(std::chrono::seconds(4)));
    EXPECT_FALSE(early.ok()) << "the build ended within 4 s: " << read_text(dir_->path() / "stderr");
    build->signal(signo);
    auto ended = build->wait(Deadline::in(std::chrono::seconds(60)));
    EXPECT_TRUE(ended.ok());
    if (!ended.ok()) {
      return -1;
    }
    return *ended == ChildProcess::State::Signaled ? 128 + build->term_signal() : build->exit_code();
  }

  void expect_nothing_ready() {
    auto list = run_command(kharness({"kernel", "list"}), Deadline::in(std::chrono::seconds(60)));
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(list->exit_code, 0);
    EXPECT_TRUE(list->output.empty()) << list->output;
    EXPECT_EQ(processes_mentioning(cache().string()), std::vector<std::string>{});
  }

  int count_temps() const {
    int count = 0;
    for (const auto& dir : {cache() / "kernels", cache() / "kernel-sources"}) {
      std::error_code ec;
      for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
        count += item.path().filename().string().starts_with(".tmp-") ? 1 : 0;
      }
    }
    return count;
  }

  std::optional<TempDir> dir_;
};

TEST_F(StoppedBuildTest, AKilledBuildLeavesNoReadyEntry) {
  EXPECT_EQ(stop_build_with(SIGKILL), 128 + SIGKILL);
  expect_nothing_ready();
  EXPECT_GT(count_temps(), 0) << "a killed process cannot clean up: its leftovers stay until the next build";
  auto clean = run_command(kharness({"kernel", "clean", "--all"}), Deadline::in(std::chrono::seconds(120)));
  ASSERT_TRUE(clean.ok());
  EXPECT_EQ(clean->exit_code, 0) << clean->output;
  EXPECT_EQ(count_temps(), 0);
}

TEST_F(StoppedBuildTest, AnInterruptedBuildCleansUpAfterItself) {
  EXPECT_EQ(stop_build_with(SIGINT), 130) << read_text(dir_->path() / "stderr");
  expect_nothing_ready();
  EXPECT_EQ(count_temps(), 0);
}

}  // namespace
}  // namespace kh::kernel
