// `kharness kernel build|list|clean`: the kernel cache from the command line.
#include <memory>
#include <string>

#include <fmt/format.h>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/kernel_options.h"
#include "engine/snapshot_store.h"
#include "kernel/kernel.h"

namespace kh::cli {
namespace {

std::string human_size(std::uintmax_t bytes) {
  constexpr double kMiB = 1024.0 * 1024.0;
  if (bytes >= std::uintmax_t{1} << 30) {
    return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (kMiB * 1024.0));
  }
  return fmt::format("{:.0f} MiB", static_cast<double>(bytes) / kMiB);
}

int run_build(const kernel::KernelRequest& request) {
  auto build = kernel::provide_kernel(request);
  if (!build) {
    print_error(build.error());
    return exit_code_for(build.error());
  }
  fmt::print("{}\n", build->dir.string());
  return kExitPass;
}

// One line per entry; a broken entry says what is wrong and how to remove it instead of its source.
int run_list() {
  for (const auto& build : kernel::list_kernels()) {
    std::string date = build.built_at.substr(0, 16);
    if (date.size() > 10) {
      date[10] = ' ';
    }
    auto sound = kernel::check_kernel(build);
    std::string what = sound ? build.source
                             : fmt::format("BROKEN: {}; remove it with `{}`", sound.error().message,
                                           kernel::clean_command(build));
    fmt::print("{}  {:<12}  {:<9}  {}  {}\n", build.key, build.release, human_size(kernel::entry_size(build)),
               date, what);
  }
  return kExitPass;
}

int run_clean(const std::string& key, bool all) {
  if (all == !key.empty()) {
    print_error(make_error(ErrorKind::Config,
                           "kernel clean: give either a KEY (see `kharness kernel list`) or --all"));
    return kExitError;
  }
  if (all) {
    auto freed = kernel::remove_all_kernels();
    if (!freed) {
      print_error(freed.error());
      return exit_code_for(freed.error());
    }
    auto snapshots = engine::remove_all_snapshots();
    if (!snapshots) {
      print_error(snapshots.error());
      return exit_code_for(snapshots.error());
    }
    fmt::print(stderr, "kharness: removed the kernel cache and its snapshots ({} freed)\n",
               human_size(*freed + *snapshots));
    return kExitPass;
  }
  auto removed = kernel::remove_kernel(key);
  if (!removed) {
    print_error(removed.error());
    return exit_code_for(removed.error());
  }
  const std::uintmax_t snapshots = engine::remove_snapshots_of(removed->key);
  fmt::print(stderr, "kharness: removed kernel {} ({}) and {} of its snapshots\n", removed->key,
             removed->release.empty() ? "not ready" : removed->release, human_size(snapshots));
  return kExitPass;
}

}  // namespace

void add_kernel_command(CLI::App& app, int& exit_code) {
  auto* kernel = app.add_subcommand("kernel", "Build, list and remove cached debug kernels");
  kernel->require_subcommand(1);

  auto request = std::make_shared<kernel::KernelRequest>();
  auto* build = kernel->add_subcommand(
      "build", "Build (or find in the cache) a debug kernel and print its cache entry's directory");
  add_kernel_options(*build, *request);
  build->callback([request, &exit_code] { exit_code = run_build(*request); });

  auto* list = kernel->add_subcommand(
      "list", "List the ready kernels: key, release, size, date, source (or what is broken)");
  list->callback([&exit_code] { exit_code = run_list(); });

  auto key = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  auto* clean = kernel->add_subcommand("clean", "Remove one cached kernel, or everything with --all");
  clean->add_option("KEY", *key, "The key of the entry (a unique prefix is enough)");
  clean->add_flag("--all", *all, "Remove every kernel, extracted source and download");
  clean->callback([key, all, &exit_code] { exit_code = run_clean(*key, *all); });
}

}  // namespace kh::cli
