#include "report/sample_reports.h"

#include <fstream>
#include <sstream>
#include <utility>

namespace kh::report::testing {
namespace {

using trace::CapturedValue;
using trace::ExpectationResult;
using trace::Frame;
using trace::FrameArg;
using trace::Hit;
using trace::Verdict;

// Frames innermost first, with the source positions of the fixtures where the test cares.
struct FrameSpec {
  std::string func;
  std::string file;
  int line = 0;
};

std::vector<Frame> frames(const std::vector<FrameSpec>& specs) {
  std::vector<Frame> out;
  for (const FrameSpec& spec : specs) {
    Frame frame;
    frame.level = static_cast<int>(out.size());
    frame.func = spec.func;
    frame.file = spec.file;
    frame.line = spec.line;
    frame.addr = "0xffffffff81000000";
    out.push_back(std::move(frame));
  }
  return out;
}

std::vector<FrameSpec> clone_chain_419() {
  return {{"copy_mnt_ns", "fs/namespace.c", 2905},
          {"create_new_namespaces", "kernel/nsproxy.c", 75},
          {"copy_namespaces", "kernel/nsproxy.c", 165},
          {"copy_process", "kernel/fork.c", 1916},
          {"_do_fork", "kernel/fork.c", 2219},
          {"__do_sys_clone", "kernel/fork.c", 2326},
          {"__se_sys_clone", "kernel/fork.c", 2320},
          {"__x64_sys_clone", "kernel/fork.c", 2320},
          {"do_syscall_64", "arch/x86/entry/common.c", 293},
          {"entry_SYSCALL_64", "arch/x86/entry/entry_64.S", 242}};
}

std::vector<FrameSpec> clone_chain_61() {
  return {{"copy_mnt_ns", "fs/namespace.c", 3554},
          {"create_new_namespaces", "kernel/nsproxy.c", 78},
          {"copy_namespaces", "kernel/nsproxy.c", 178},
          {"copy_process", "kernel/fork.c", 2374},
          {"kernel_clone", "kernel/fork.c", 2778},
          {"__do_sys_clone", "kernel/fork.c", 2919},
          {"__se_sys_clone", "kernel/fork.c", 2903},
          {"__x64_sys_clone", "kernel/fork.c", 2903},
          {"x64_sys_call", "./arch/x86/include/generated/asm/syscalls_64.h", 57},
          {"do_syscall_x64", "arch/x86/entry/common.c", 46},
          {"do_syscall_64", "arch/x86/entry/common.c", 76},
          {"entry_SYSCALL_64", "arch/x86/entry/entry_64.S", 120}};
}

std::vector<FrameSpec> bind_chain_419() {
  return {{"attach_recursive_mnt", "fs/namespace.c", 1995},
          {"graft_tree", "fs/namespace.c", 2120},
          {"do_loopback", "fs/namespace.c", 2228},
          {"do_mount", "fs/namespace.c", 2819},
          {"ksys_mount", "fs/namespace.c", 3041},
          {"__do_sys_mount", "fs/namespace.c", 3055},
          {"__se_sys_mount", "fs/namespace.c", 3052},
          {"__x64_sys_mount", "fs/namespace.c", 3052},
          {"do_syscall_64", "arch/x86/entry/common.c", 293},
          {"entry_SYSCALL_64", "arch/x86/entry/entry_64.S", 242}};
}

std::vector<FrameSpec> bind_chain_61() {
  return {{"attach_recursive_mnt", "fs/namespace.c", 2222},
          {"graft_tree", "fs/namespace.c", 2372},
          {"do_loopback", "fs/namespace.c", 2507},
          {"path_mount", "fs/namespace.c", 3456},
          {"do_mount", "fs/namespace.c", 3475},
          {"__do_sys_mount", "fs/namespace.c", 3683},
          {"__se_sys_mount", "fs/namespace.c", 3660},
          {"__x64_sys_mount", "fs/namespace.c", 3660},
          {"x64_sys_call", "./arch/x86/include/generated/asm/syscalls_64.h", 166},
          {"do_syscall_x64", "arch/x86/entry/common.c", 46},
          {"do_syscall_64", "arch/x86/entry/common.c", 76},
          {"entry_SYSCALL_64", "arch/x86/entry/entry_64.S", 120}};
}

// `inner` called from the frames of `outer`.
std::vector<FrameSpec> under(std::vector<FrameSpec> inner, const std::vector<FrameSpec>& outer) {
  inner.insert(inner.end(), outer.begin(), outer.end());
  return inner;
}

Hit hit(std::string breakpoint, std::vector<FrameSpec> chain, std::vector<CapturedValue> captures,
        double time_s) {
  Hit out;
  out.breakpoint = std::move(breakpoint);
  out.frames = frames(chain);
  out.captures = std::move(captures);
  out.task_comm = "nsclone";
  out.task_pid = 37;
  out.time_s = time_s;
  return out;
}

// Hits get their Hit::index from their position, as the engine numbers them.
trace::Trace numbered(trace::Trace trace) {
  for (std::size_t i = 0; i < trace.hits.size(); ++i) {
    trace.hits[i].index = static_cast<int>(i);
  }
  return trace;
}

CapturedValue newns() {
  return CapturedValue{"newns", "flags & 0x00020000", "131072", ""};
}

CapturedValue dest(const std::string& address) {
  return CapturedValue{"dest", "dest_mp->m_dentry->d_name.name",
                       "(const unsigned char *) " + address + " \"mount_dir_test\"", ""};
}

CapturedValue source(const std::string& address) {
  return CapturedValue{"source", "source_mnt->mnt_mountpoint->d_name.name",
                       "(const unsigned char *) " + address + " \"myproc\"", ""};
}

ExpectationResult result(std::string breakpoint, std::string kind, std::string description, Verdict verdict,
                         std::string expected, std::string actual, std::optional<int> hit_index, int line) {
  ExpectationResult out;
  out.breakpoint = std::move(breakpoint);
  out.kind = std::move(kind);
  out.description = std::move(description);
  out.verdict = verdict;
  out.expected = std::move(expected);
  out.actual = std::move(actual);
  out.hit_index = hit_index;
  out.location = "scenarios/trace_mount.xml:" + std::to_string(line);
  return out;
}

std::vector<trace::PhaseTime> phases() {
  return {{"scenario", 0.01}, {"kernel", 0.21}, {"initramfs", 0.05}, {"gdb", 0.12},
          {"boot", 1.18},     {"guest", 0.84},  {"poweroff", 0.06}};
}

std::vector<std::string> last_lines(const std::string& text, std::size_t count) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  if (lines.size() > count) {
    lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(count));
  }
  return lines;
}

trace::RunReport base_report(std::string release) {
  trace::RunReport report;
  report.scenario = "trace-mount";
  report.scenario_file = "scenarios/trace_mount.xml";
  report.description =
      "\n    A clone(CLONE_NEWNS|...) builds a mount namespace; the child bind-mounts /myproc on\n"
      "    /mount_dir_test.\n  ";
  report.kernel_release = release;
  report.kernel_version = std::move(release);
  report.accel = "tcg";
  report.kernel_key = "0123456789abcdef";
  report.kernel_source = "debian linux-source-6.1 6.1.192-1";
  report.phases = phases();
  return report;
}

}  // namespace

std::string fixture_text(const std::string& name) {
  std::ifstream in(std::string(KH_FIXTURES_DIR) + "/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

trace::Trace trace_mount_trace_419() {
  trace::Trace trace;
  trace.scenario = "trace-mount";
  trace.kernel_release = "4.19.304";
  std::vector<FrameSpec> copy_tree = {{"mnt_set_mountpoint", "fs/namespace.c", 836},
                                      {"attach_mnt", "fs/namespace.c", 858},
                                      {"copy_tree", "fs/namespace.c", 1771}};
  trace.hits.push_back(hit("copy_mnt_ns", clone_chain_419(), {newns()}, 0.41));
  trace.hits.front().frames.front().args = {{"flags", "738328593"},
                                            {"ns", "0xffff8880000841b8"},
                                            {"user_ns", "0xffffffff8183f600 <init_user_ns>"},
                                            {"new_fs", "0xffff8880002fc7c0"}};
  trace.hits.push_back(hit("mnt_set_mountpoint", under(copy_tree, clone_chain_419()), {}, 0.42));
  trace.hits.push_back(hit("mnt_set_mountpoint", under(copy_tree, clone_chain_419()), {}, 0.43));
  trace.hits.push_back(hit("attach_recursive_mnt", bind_chain_419(),
                           {dest("0xffff88800031a118"), source("0xffff8880002fc2f8")}, 0.52));
  trace.hits.back().frames.front().args = {{"source_mnt", "0xffff8880003194c0"},
                                           {"dest_mnt", "0xffff8880002e9d40"},
                                           {"dest_mp", "0xffff88800031a0d8"},
                                           {"parent_path", "0x0"}};
  trace.hits.push_back(
      hit("mnt_set_mountpoint",
          under({{"mnt_set_mountpoint", "fs/namespace.c", 836}}, std::vector<FrameSpec>(bind_chain_419())),
          {}, 0.53));
  return numbered(std::move(trace));
}

trace::Trace trace_mount_trace_61() {
  trace::Trace trace;
  trace.scenario = "trace-mount";
  trace.kernel_release = "6.1.0";
  std::vector<FrameSpec> copy_tree = {{"mnt_set_mountpoint", "fs/namespace.c", 913},
                                      {"attach_mnt", "fs/namespace.c", 935},
                                      {"copy_tree", "fs/namespace.c", 1940}};
  trace.hits.push_back(hit("copy_mnt_ns", clone_chain_61(), {newns()}, 0.38));
  trace.hits.front().frames.front().args = {{"flags", "131584"},
                                            {"ns", "0xffff888000152388"},
                                            {"user_ns", "0xffffffff8184e2c0 <init_user_ns>"},
                                            {"new_fs", "0xffff888000184100"}};
  trace.hits.push_back(hit("mnt_set_mountpoint", under(copy_tree, clone_chain_61()), {}, 0.39));
  trace.hits.push_back(hit("mnt_set_mountpoint", under(copy_tree, clone_chain_61()), {}, 0.40));
  trace.hits.push_back(hit("attach_recursive_mnt", bind_chain_61(),
                           {dest("0xffff888000402bb8"), source("0xffff8880003fd688")}, 0.47));
  trace.hits.push_back(
      hit("mnt_set_mountpoint",
          under({{"mnt_set_mountpoint", "fs/namespace.c", 913}}, std::vector<FrameSpec>(bind_chain_61())), {},
          0.48));
  return numbered(std::move(trace));
}

trace::RunReport passing_report_419() {
  trace::RunReport report = base_report("4.19.304");
  report.verdict = Verdict::Pass;
  report.trace = trace_mount_trace_419();
  std::string clone = trace::format_chain(report.trace.hits[0].frames);
  std::string bind = trace::format_chain(report.trace.hits[3].frames);
  report.results = {
      result("copy_mnt_ns", "hits", "copy_mnt_ns is hit exactly 1 time(s)", Verdict::Pass, "exactly 1", "1",
             std::nullopt, 13),
      result("copy_mnt_ns", "backtrace",
             "backtrace has copy_mnt_ns <- create_new_namespaces <- copy_namespaces <- copy_process (from "
             "frame 0)",
             Verdict::Pass,
             "copy_mnt_ns <- create_new_namespaces <- copy_namespaces <- copy_process (from frame 0)", clone,
             0, 14),
      result("copy_mnt_ns", "backtrace", "backtrace has copy_process <- _do_fork <- __do_sys_clone",
             Verdict::Pass, "copy_process <- _do_fork <- __do_sys_clone", clone, 0, 16),
      result("copy_mnt_ns", "value", "newns != 0", Verdict::Pass, "!= 0", "131072", 0, 24),
      result("attach_recursive_mnt", "hit",
             "one hit with: backtrace has attach_recursive_mnt <- graft_tree <- do_loopback; dest == "
             "\"mount_dir_test\"; "
             "source == \"myproc\"",
             Verdict::Pass,
             "backtrace has attach_recursive_mnt <- graft_tree <- do_loopback; dest == \"mount_dir_test\"; "
             "source == \"myproc\"",
             "backtrace: " + bind +
                 "; dest: (const unsigned char *) 0xffff88800031a118 \"mount_dir_test\"; "
                 "source: (const unsigned char *) 0xffff8880002fc2f8 \"myproc\"",
             3, 33),
      result("mnt_set_mountpoint", "hits", "mnt_set_mountpoint is hit at least 3 time(s)", Verdict::Pass,
             "at least 3", "3", std::nullopt, 50),
  };
  report.guest_results = {"bind=ok", "child_pid=1"};
  report.guest_exit_status = 0;
  report.serial_log = fixture_text("trace-mount-linux-4.19.304.serial");
  return report;
}

trace::RunReport failing_report_419() {
  trace::RunReport report = passing_report_419();
  report.verdict = Verdict::Fail;
  report.results[2] =
      result("copy_mnt_ns", "backtrace", "backtrace has copy_process <- kernel_clone <- __do_sys_clone",
             Verdict::Fail, "copy_process <- kernel_clone <- __do_sys_clone",
             trace::format_chain(report.trace.hits[0].frames), 0, 19);
  report.serial_tail = last_lines(report.serial_log, 5);
  return report;
}

trace::RunReport timeout_report_61() {
  trace::RunReport report = base_report("6.1.0");
  report.wall_seconds = 62.0;  // the whole run, more than the sum of its phases
  report.verdict = Verdict::Timeout;
  report.phase = "guest";
  report.detail = "timeout in phase guest: the guest did not power off within 60 s";
  report.trace = trace_mount_trace_61();
  report.trace.hits.resize(1);
  report.phases.resize(6);
  report.phases.back().seconds = 60.0;
  report.evidence = {"last stop: breakpoint 1 (copy_mnt_ns) at fs/namespace.c:3554",
                     "gdb: ^error,msg=\"The program is not being run.\""};
  report.serial_log = fixture_text("trace-mount-linux-source-6.1.serial");
  report.serial_tail = last_lines(report.serial_log, 4);
  return report;
}

trace::RunReport infra_report() {
  trace::RunReport report = base_report("6.1.0");
  report.scenario = "bind-mount";
  report.scenario_file = "scenarios/bind_mount.xml";
  report.description.clear();
  report.verdict = Verdict::Infra;
  report.phase = "boot";
  report.detail = "qemu-system-x86_64 (pid 4242) exited with status 1";
  report.accel = "kvm";
  report.phases.resize(4);
  report.evidence = {
      "qemu-system-x86_64: error: failed to set MSR 0x48f to 0x7fffff00036dfb",
      "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3206: kvm_buf_set_msrs: Assertion failed."};
  return report;
}

trace::RunReport skipped_report_419() {
  trace::RunReport report = base_report("4.19.304");
  report.scenario = "trace-mount-6x";
  report.scenario_file = "scenarios/trace_mount_6x.xml";
  report.verdict = Verdict::Skipped;
  report.detail = "scenario applies to kernels >=5.10, not 4.19.304";
  report.phases.resize(2);
  ExpectationResult skipped;
  skipped.kind = "scenario";
  skipped.description = "scenario trace-mount-6x applies to kernels >=5.10";
  skipped.verdict = Verdict::Skipped;
  skipped.expected = ">=5.10";
  skipped.actual = "4.19.304";
  skipped.location = "scenarios/trace_mount_6x.xml:4";
  report.results = {skipped};
  return report;
}

}  // namespace kh::report::testing
