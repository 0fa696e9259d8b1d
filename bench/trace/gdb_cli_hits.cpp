#include "gdb_cli_hits.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>

#include "common/child_process.h"
#include "common/file_io.h"
#include "common/temp_dir.h"
#include "engine/breakpoint_plan.h"
#include "engine/gdb_setup.h"

namespace kh::bench {
namespace {

// The environment variable that tells the command file where to write the hit times: no path
// needs quoting inside the script.
constexpr const char* kTimesFileVariable = "KH_BENCH_HIT_TIMES";
// How long qemu may take to exit once gdb is done (the guest has powered off by then).
constexpr std::chrono::milliseconds kPoweroffGrace{10'000};
constexpr std::size_t kOutputTailLines = 20;

std::string command_file(const std::vector<engine::PlannedBreakpoint>& plan, const kernel::KernelBuild& kernel,
                         const std::filesystem::path& socket) {
  std::string script = "set pagination off\nset confirm off\nset height 0\nset width 0\n";
  for (const auto& command : engine::gdb_setup_commands(kernel)) {
    script += command + "\n";
  }
  script += "python\nimport os, time\nkh_hit_times = []\nend\n";
  script += fmt::format("target remote {}\n", socket.string());
  for (const auto& planned : plan) {
    script += planned.condition.empty()
                  ? fmt::format("break {}\n", planned.spec->function)
                  : fmt::format("break {} if {}\n", planned.spec->function, planned.condition);
    // The engine's -stack-list-frames unwinds every frame; so does a full bt.
    script += "commands\nsilent\nbt\n";
    for (const auto& capture : planned.spec->captures) {
      script += fmt::format("print {}\n", capture.expr);
    }
    script += "python kh_hit_times.append(time.monotonic())\ncontinue\nend\n";
  }
  // When the guest powers off, qemu closes the gdbstub and the continue fails: that is the end of
  // the run, and the times are written either way.
  script += fmt::format(
      "python\n"
      "try:\n"
      "    gdb.execute(\"continue\")\n"
      "except gdb.error:\n"
      "    pass\n"
      "with open(os.environ[\"{}\"], \"w\") as out:\n"
      "    out.write(\"\".join(\"%r\\n\" % t for t in kh_hit_times))\n"
      "end\n",
      kTimesFileVariable);
  return script;
}

Result<std::vector<double>> parse_times(const std::string& text) {
  std::vector<double> times;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    double value = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
    if (ec != std::errc() || end != line.data() + line.size()) {
      return make_error(ErrorKind::Parse, "gdb wrote a hit time that is not a number: '{}'", line);
    }
    times.push_back(value);
  }
  return times;
}

std::vector<std::string> output_tail(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  auto text = read_file(file);
  if (!text.ok()) {
    return lines;
  }
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > kOutputTailLines) {
      lines.erase(lines.begin());
    }
  }
  return lines;
}

}  // namespace

Result<std::vector<double>> gdb_cli_hit_times(const engine::PreparedRun& run, std::chrono::milliseconds timeout) {
  const std::vector<engine::PlannedBreakpoint>& plan = run.plan;
  const kernel::KernelBuild& kernel = run.kernel;
  KH_ASSIGN_OR_RETURN(TempDir work, TempDir::create("kharness-bench-"));
  const std::filesystem::path script = work.path() / "hits.gdb";
  const std::filesystem::path times_file = work.path() / "hit-times";
  const std::filesystem::path output = work.path() / "gdb.out";

  KH_ASSIGN_OR_RETURN(vm::QemuVm vm, vm::QemuVm::start(run.vm));
  KH_TRY(write_file_atomically(script, command_file(plan, kernel, vm.gdb_socket())));

  ChildSpec gdb;
  // As the lab shell does: the script loads the kernel's helpers itself, after allowing them.
  gdb.argv = {"gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off", "-iex", "set auto-load python-scripts off",
              "-x", script.string(), kernel.vmlinux.string()};
  gdb.env = {{kTimesFileVariable, times_file.string()}};
  gdb.stdout_mode = Stdio::File;
  gdb.stdout_file = output;
  gdb.stderr_to_stdout = true;
  KH_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::spawn(gdb));
  auto ended = child.wait(Deadline::in(timeout));
  if (!ended.ok()) {
    Error error = std::move(ended).error();
    error.wrap("gdb with breakpoint commands");
    error.details = output_tail(output);
    return error;
  }
  (void)vm.wait_for_exit(Deadline::in(kPoweroffGrace));
  vm.terminate();

  auto text = read_file(times_file);
  if (!text.ok()) {
    Error error = make_error(ErrorKind::Process, "{}; wrote no hit times", child.describe());
    error.details = output_tail(output);
    return error;
  }
  KH_ASSIGN_OR_RETURN(std::vector<double> times, parse_times(*text));
  if (times.empty()) {
    Error error = make_error(ErrorKind::Process, "gdb's breakpoint commands recorded no hit ({})", child.describe());
    error.details = output_tail(output);
    return error;
  }
  return times;
}

}  // namespace kh::bench
