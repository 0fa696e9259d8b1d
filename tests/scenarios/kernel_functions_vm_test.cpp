// tests/scenarios/kernel_functions.txt against a real kharness kernel: every function listed for
// its version is one gdb can break on in its vmlinux (a symbol or inlined copies in the debug info).
// Needs the kernel cache: the first run builds Debian's 6.1.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gdb_scripts/gdb_batch.h"
#include "kernel/kernel.h"
#include "scenarios/kernel_function_list.h"

namespace kh::test {
namespace {

TEST(KernelFunctionsVm, EveryListedFunctionIsABreakpointLocation) {
  Result<kernel::KernelBuild> kernel = kernel::provide_kernel(kernel::KernelRequest{});
  ASSERT_TRUE(kernel.ok()) << kernel.error().to_string();
  Result<std::vector<KernelFunction>> list =
      read_kernel_function_list(std::filesystem::path(KH_SOURCE_DIR) / "tests" / "scenarios" / "kernel_functions.txt");
  ASSERT_TRUE(list.ok()) << list.error().to_string();
  std::vector<std::string> functions = functions_for(*list, kernel->version);
  ASSERT_FALSE(functions.empty());

  GdbBatchSpec spec;
  spec.program = kernel->vmlinux;
  spec.timeout = std::chrono::seconds(180);
  spec.setup = {"set breakpoint pending off"};
  for (const std::string& function : functions) {
    spec.commands.push_back("break " + function);
  }
  Result<GdbBatchOutput> run = run_gdb_batch(spec);
  ASSERT_TRUE(run.ok()) << run.error().to_string();
  for (std::size_t i = 0; i < functions.size(); ++i) {
    const GdbCommandOutput& out = run->commands[i];
    EXPECT_FALSE(out.failed) << functions[i] << " on " << kernel->release << ": " << out.text;
    EXPECT_TRUE(out.text.starts_with("Breakpoint ")) << functions[i] << ": " << out.text;
  }
}

}  // namespace
}  // namespace kh::test
