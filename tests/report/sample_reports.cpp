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

Hit hit(std::string breakpoint, const std::vector<FrameSpec>& chain, std::vector<CapturedValue> captures,
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

std::vector<FrameSpec> proc_mount_chain_61() {
  return {{"attach_recursive_mnt", "fs/namespace.c", 2222},
          {"graft_tree", "fs/namespace.c", 2372},
          {"do_add_mount", "fs/namespace.c", 2938},
          {"do_new_mount_fc", "fs/namespace.c", 2991},
          {"do_new_mount", "fs/namespace.c", 3049},
          {"path_mount", "fs/namespace.c", 3452},
          {"do_mount", "fs/namespace.c", 3475},
          {"__do_sys_mount", "fs/namespace.c", 3683},
          {"__se_sys_mount", "fs/namespace.c", 3660},
          {"__x64_sys_mount", "fs/namespace.c", 3660},
          {"x64_sys_call", "./arch/x86/include/generated/asm/syscalls_64.h", 166},
          {"do_syscall_x64", "arch/x86/entry/common.c", 46},
          {"do_syscall_64", "arch/x86/entry/common.c", 76},
          {"entry_SYSCALL_64", "arch/x86/entry/entry_64.S", 120}};
}

std::vector<FrameSpec> exit_chain_61() {
  return {{"exit_task_namespaces", "kernel/nsproxy.c", 244},
          {"do_exit", "kernel/exit.c", 818},
          {"do_group_exit", "kernel/exit.c", 950},
          {"__do_sys_exit_group", "kernel/exit.c", 961},
          {"__se_sys_exit_group", "kernel/exit.c", 959},
          {"__x64_sys_exit_group", "kernel/exit.c", 959},
          {"x64_sys_call", "./arch/x86/include/generated/asm/syscalls_64.h", 232},
          {"do_syscall_x64", "arch/x86/entry/common.c", 46},
          {"do_syscall_64", "arch/x86/entry/common.c", 76},
          {"entry_SYSCALL_64", "arch/x86/entry/entry_64.S", 120}};
}

// A mount-list capture as <capture-mounts> records it.
CapturedValue mounts(const std::string& table) {
  return CapturedValue{"mounts", "$kh_mount_table()", gdb_quoted(table), ""};
}

const std::string kParentNamespace = "0xffff888002b8c180";
const std::string kChildNamespace = "0xffff888003bd2300";

std::string parent_mounts() {
  return "kh-mount-table mnt_ns=" + kParentNamespace +
         "\n"
         "1 1 / / rootfs rootfs private\n"
         "2 1 /dev / devtmpfs devtmpfs private\n"
         "3 1 /proc / proc proc private\n"
         "4 1 /sys / sysfs sysfs private\n";
}

std::string child_mounts(bool proc, bool bind) {
  std::string table = "kh-mount-table mnt_ns=" + kChildNamespace +
                      "\n"
                      "5 5 / / rootfs rootfs private\n"
                      "6 5 /dev / devtmpfs devtmpfs private\n"
                      "7 5 /proc / proc proc private\n"
                      "8 5 /sys / sysfs sysfs private\n";
  if (proc)
    table += "9 7 /proc / proc proc private\n";
  if (bind)
    table += "10 5 /mount_dir_test /myproc rootfs rootfs private\n";
  return table;
}

CapturedValue named(std::string name, std::string expr, std::string value) {
  return CapturedValue{std::move(name), std::move(expr), std::move(value), ""};
}

}  // namespace

std::string gdb_quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

trace::RunReport mount_report_61() {
  trace::RunReport report = base_report("6.1.0");
  report.scenario_file = "scenarios/trace-mount.xml";
  report.verdict = Verdict::Pass;
  trace::Trace& trace = report.trace;
  trace.scenario = "trace-mount";
  trace.kernel_release = "6.1.0";
  std::vector<FrameSpec> copy_tree = {{"mnt_set_mountpoint", "fs/namespace.c", 913},
                                      {"attach_mnt", "fs/namespace.c", 935},
                                      {"copy_tree", "fs/namespace.c", 1940}};
  auto mountpoint = [](const std::string& name) {
    return named("mountpoint", "mp->m_dentry->d_name.name",
                 "(const unsigned char *) 0xffff888003a11e78 \"" + name + "\"");
  };
  std::string string_prefix = "(const unsigned char *) 0xffff888003a12838 ";
  trace.hits.push_back(
      hit("copy_mnt_ns", clone_chain_61(),
          {named("old_root_device", "ns->root->mnt_devname", "0xffff888003b4e4c0 \"rootfs\""),
           mounts(parent_mounts())},
          0.38));
  for (const char* name : {"dev", "proc", "sys"}) {
    trace.hits.push_back(
        hit("mnt_set_mountpoint", under(copy_tree, clone_chain_61()), {mountpoint(name)}, 0.39));
  }
  auto attach = [&](const std::vector<FrameSpec>& chain, const char* dest, const char* source, const char* fstype,
                    bool proc) {
    return hit(
        "attach_recursive_mnt", chain,
        {named("dest", "dest_mp->m_dentry->d_name.name", string_prefix + "\"" + dest + "\""),
         named("source", "source_mnt->mnt_mountpoint->d_name.name", string_prefix + "\"" + source + "\""),
         named("source_fstype", "source_mnt->mnt.mnt_sb->s_type->name", string_prefix + "\"" + fstype + "\""),
         mounts(child_mounts(proc, false))},
        proc ? 0.47 : 0.44);
  };
  trace.hits.push_back(attach(proc_mount_chain_61(), "/", "/", "proc", false));
  trace.hits.push_back(hit("mnt_set_mountpoint",
                           under({{"mnt_set_mountpoint", "fs/namespace.c", 913}}, proc_mount_chain_61()),
                           {mountpoint("/")}, 0.45));
  trace.hits.push_back(attach(bind_chain_61(), "mount_dir_test", "myproc", "rootfs", true));
  trace.hits.push_back(hit("mnt_set_mountpoint",
                           under({{"mnt_set_mountpoint", "fs/namespace.c", 913}}, bind_chain_61()),
                           {mountpoint("mount_dir_test")}, 0.48));
  trace.hits.push_back(
      hit("exit_task_namespaces", exit_chain_61(), {mounts(child_mounts(true, true))}, 0.52));
  trace.hits.back().task_pid = 38;
  trace.hits.push_back(hit("exit_task_namespaces", exit_chain_61(), {mounts(parent_mounts())}, 0.55));
  trace = numbered(std::move(trace));
  report.results = {
      result("copy_mnt_ns", "hits", "copy_mnt_ns is hit exactly 1 time(s)", Verdict::Pass, "exactly 1", "1",
             std::nullopt, 27),
      result("copy_mnt_ns", "value", "old_root_device == \"rootfs\"", Verdict::Pass, "== \"rootfs\"",
             "0xffff888003b4e4c0 \"rootfs\"", 0, 48),
      result("attach_recursive_mnt", "hit",
             "one hit with: backtrace has attach_recursive_mnt <- graft_tree <- do_loopback; dest == "
             "\"mount_dir_test\"",
             Verdict::Pass, "", "", 6, 95),
      result("mnt_set_mountpoint", "hits", "mnt_set_mountpoint is hit at least 3 time(s)", Verdict::Pass,
             "at least 3", "5", std::nullopt, 120),
      result("exit_task_namespaces", "hits", "exit_task_namespaces is hit at least 1 time(s)", Verdict::Pass,
             "at least 1", "2", std::nullopt, 140),
  };
  for (ExpectationResult& r : report.results) {
    r.location = "scenarios/trace-mount.xml:" + r.location.substr(r.location.rfind(':') + 1);
  }
  report.guest_results = {"child.pid=1",
                          "clone=ok",
                          "child.hostname=container",
                          "child.proc_self=1",
                          "child.sees_bind=yes",
                          "child.target_is_mount_point=yes",
                          "child.exit=ok"};
  report.guest_exit_status = 0;
  return report;
}

trace::RunReport hostile_report() {
  trace::RunReport report = base_report("6.1.0 <b>&amp;");
  report.scenario = "</title><script>alert(\"x\")</script>";
  report.scenario_file = "scenarios/'quoted\" & <odd>.xml";
  report.description =
      "<!-- not a comment --> a & b < c \x01\x7f \xff\xfe caf\xc3\xa9 \xed\xa0\x80 \xef\xbf\xbe";
  report.verdict = Verdict::Fail;
  report.detail = "gdb said \"<error>\" & left";
  Hit odd = hit("brk<&>\"'",
                {{"func<script>", "fs/<x>.c", 1},
                 {"\xff\xfe"
                  "bad",
                  "a&b.c", 2},
                 {"??", "", 0}},
                {named("v\"<", "p->name", "0xffff888003a4c000 \"<script>&amp;\\\"'\\377\\303(\""),
                 CapturedValue{"err", "q->x", std::nullopt, "There is no member named <x> & \"y\"."},
                 mounts("kh-mount-table mnt_ns=0x1\n1 1 / / rootfs rootfs private\n"
                        "2 1 /a<b>&\\042c\\377 /\\047 dev<&> type\\001 shared:1\n")},
                0.1);
  odd.task_comm = "<comm>&";
  report.trace.hits.push_back(odd);
  report.trace.hits.push_back(odd);
  report.trace.hits.back().captures.back() = mounts("kh-mount-table mnt_ns=0x1\nnot a line\n");
  report.trace = numbered(std::move(report.trace));
  report.results = {result("brk<&>\"'", "value", "v\"< == \"</td>\"", Verdict::Fail, "== \"</td>\"",
                           "0xffff \"<script>&\"\xff", 0, 3)};
  report.results.front().location = "scenarios/'quoted\" & <odd>.xml:3";
  report.guest_results = {"<name>=<value & \"more\">", "no_equals_sign<"};
  report.guest_exit_status = 1;
  report.evidence = {"gdb: ^error,msg=\"<bad> & \\\"worse\\\"\"\r",
                     "\x1b[31mred\x1b[0m " + std::string(1, '\0') + " nul"};
  report.serial_log =
      "KH-START\r\n\x1b"
      "c<html>&amp; \xff\r\nKernel panic - not syncing: <x>\r\n";
  return report;
}

trace::RunReport many_hits_report(int count, bool distinct_values) {
  trace::RunReport report = base_report("6.1.0");
  report.verdict = Verdict::Pass;
  report.trace.scenario = "trace-mount";
  report.trace.kernel_release = "6.1.0";
  for (int i = 0; i < count; ++i) {
    std::string value = distinct_values ? std::to_string(1000 + i) : "1";
    report.trace.hits.push_back(hit("attach_recursive_mnt", bind_chain_61(),
                                    {named("counter", "counter", value), source("0xffff8880003fd688")},
                                    0.01 * i));
  }
  report.trace = numbered(std::move(report.trace));
  report.results = {
      result("attach_recursive_mnt", "hits", "attach_recursive_mnt is hit at least 1 time(s)", Verdict::Pass,
             "at least 1", std::to_string(count), std::nullopt, 10),
      result("attach_recursive_mnt", "value", "counter == 1", Verdict::Pass, "== 1", "1", count - 1, 11)};
  return report;
}

trace::RunReport no_hits_report() {
  trace::RunReport report = base_report("6.1.0");
  report.verdict = Verdict::Fail;
  report.trace.scenario = "trace-mount";
  report.trace.kernel_release = "6.1.0";
  report.results = {
      result("copy_mnt_ns", "hits", "copy_mnt_ns is hit exactly 1 time(s)", Verdict::Fail, "exactly 1", "0",
             std::nullopt, 13),
      result("attach_recursive_mnt", "backtrace", "backtrace has attach_recursive_mnt <- graft_tree",
             Verdict::Fail, "attach_recursive_mnt <- graft_tree", "", std::nullopt, 33)};
  report.guest_exit_status = 0;
  return report;
}

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
