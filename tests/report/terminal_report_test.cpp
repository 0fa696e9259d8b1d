#include "report/terminal_report.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "report/sample_reports.h"
#include "report/terminal_style.h"

namespace kh::report {
namespace {

using testing::failing_report_419;
using testing::infra_report;
using testing::passing_report_419;
using testing::skipped_report_419;
using testing::timeout_report_61;

const TerminalStyle kPlain{false, Verbosity::Normal};
const TerminalStyle kPlainVerbose{false, Verbosity::Verbose};

// The whole report of a FAIL run: the chains of seed 000, the values as C strings, one line per
// expectation, expected vs actual under the FAIL, the totals.
TEST(TerminalReport, FailingRunReadsLikeTheGdbSessionChecked) {
  const std::string expected =
      "trace-mount  scenarios/trace_mount.xml\n"
      "kernel 4.19.304 | accel tcg | scenario 0.01s kernel 0.21s initramfs 0.05s gdb 0.12s boot 1.18s guest "
      "0.84s "
      "poweroff 0.06s = 2.47s\n"
      "guest exit status 0 | guest results: bind=ok, child_pid=1\n"
      "\n"
      "copy_mnt_ns: 1 hit\n"
      "  copy_mnt_ns <- create_new_namespaces <- copy_namespaces <- copy_process <- _do_fork <- "
      "__do_sys_clone\n"
      "    newns = 131072\n"
      "attach_recursive_mnt: 1 hit\n"
      "  attach_recursive_mnt <- graft_tree <- do_loopback <- do_mount <- ksys_mount <- __do_sys_mount\n"
      "    dest = \"mount_dir_test\"   source = \"myproc\"\n"
      "mnt_set_mountpoint: 3 hits\n"
      "  mnt_set_mountpoint <- attach_mnt <- copy_tree <- copy_mnt_ns <- create_new_namespaces <- "
      "copy_namespaces "
      "<- copy_process <- _do_fork <- __do_sys_clone x2\n"
      "  mnt_set_mountpoint <- attach_recursive_mnt <- graft_tree <- do_loopback <- do_mount <- ksys_mount "
      "<- "
      "__do_sys_mount\n"
      "\n"
      "  PASS  copy_mnt_ns: copy_mnt_ns is hit exactly 1 time(s)\n"
      "  PASS  copy_mnt_ns: backtrace has copy_mnt_ns <- create_new_namespaces <- copy_namespaces <- "
      "copy_process "
      "(from frame 0)\n"
      "  FAIL  copy_mnt_ns: backtrace has copy_process <- kernel_clone <- __do_sys_clone  "
      "(scenarios/trace_mount.xml:19)\n"
      "            expected: copy_process <- kernel_clone <- __do_sys_clone\n"
      "            actual:   copy_mnt_ns <- create_new_namespaces <- copy_namespaces <- copy_process <- "
      "_do_fork <- "
      "__do_sys_clone <- __se_sys_clone <- __x64_sys_clone <- do_syscall_64 <- entry_SYSCALL_64  (hit #0)\n"
      "  PASS  copy_mnt_ns: newns != 0\n"
      "  PASS  attach_recursive_mnt: one hit with: backtrace has attach_recursive_mnt <- graft_tree <- "
      "do_loopback; "
      "dest == \"mount_dir_test\"; source == \"myproc\"\n"
      "  PASS  mnt_set_mountpoint: mnt_set_mountpoint is hit at least 3 time(s)\n"
      "\n"
      "FAIL: 5 passed, 1 failed\n";
  EXPECT_EQ(format_run_report(failing_report_419(), kPlain), expected);
}

struct ReportCase {
  std::string name;
  trace::RunReport report;
  TerminalStyle style;
  std::vector<std::string> lines;   // each must be a whole line of the output
  std::vector<std::string> absent;  // none may appear anywhere
};

std::vector<ReportCase> report_cases() {
  return {
      {"pass",
       passing_report_419(),
       kPlain,
       {"  copy_mnt_ns <- create_new_namespaces <- copy_namespaces <- copy_process <- _do_fork <- "
        "__do_sys_clone",
        "  PASS  copy_mnt_ns: newns != 0", "PASS: 6 passed, 0 failed"},
       {"serial console", "expected:", "\x1b["}},
      {"pass verbose: every frame, gdb's raw value, the hits",
       passing_report_419(),
       kPlainVerbose,
       {"  A clone(CLONE_NEWNS|...) builds a mount namespace; the child bind-mounts /myproc on",
        "  attach_recursive_mnt <- graft_tree <- do_loopback <- do_mount <- ksys_mount <- __do_sys_mount <- "
        "__se_sys_mount <- __x64_sys_mount <- do_syscall_64 <- entry_SYSCALL_64",
        "    hits #1 nsclone[37] 0.42s, #2 nsclone[37] 0.43s",
        "    dest: dest_mp->m_dentry->d_name.name = \"mount_dir_test\"",
        "      gdb: (const unsigned char *) 0xffff88800031a118 \"mount_dir_test\"",
        "  PASS  copy_mnt_ns: newns != 0  (scenarios/trace_mount.xml:24)",
        "            actual:   131072  (hit #0)"},
       {"serial console"}},
      {"fail verbose shows the serial tail",
       failing_report_419(),
       kPlainVerbose,
       {"serial console, last 5 lines:", "  reboot: Power down", "FAIL: 5 passed, 1 failed"},
       {}},
      {"timeout: verdict with phase, evidence, serial tail",
       timeout_report_61(),
       kPlain,
       {"  copy_mnt_ns <- create_new_namespaces <- copy_namespaces <- copy_process <- kernel_clone <- "
        "__do_sys_clone",
        "kernel 6.1.0 | accel tcg | scenario 0.01s kernel 0.21s initramfs 0.05s gdb 0.12s boot 1.18s guest "
        "60.00s "
        "= 61.57s",
        "evidence:", "  gdb: ^error,msg=\"The program is not being run.\"", "serial console, last 4 lines:",
        "  KH: exit=0", "TIMEOUT: timeout in phase guest: the guest did not power off within 60 s"},
       {"passed"}},
      {"infra: the phase is named when the detail does not",
       infra_report(),
       kPlain,
       {"kernel 6.1.0 | accel kvm | scenario 0.01s kernel 0.21s initramfs 0.05s gdb 0.12s = 0.39s",
        "  qemu-system-x86_64: error: failed to set MSR 0x48f to 0x7fffff00036dfb",
        "INFRA in phase boot: qemu-system-x86_64 (pid 4242) exited with status 1"},
       {"hit", "serial console"}},
      {"skipped: the reason, no totals",
       skipped_report_419(),
       kPlain,
       {"  SKIPPED scenario trace-mount-6x applies to kernels >=5.10",
        "SKIPPED: scenario applies to kernels >=5.10, not 4.19.304"},
       {"passed"}},
  };
}

TEST(TerminalReport, ShowsWhatEachVerdictNeeds) {
  for (const ReportCase& c : report_cases()) {
    SCOPED_TRACE(c.name);
    std::string text = format_run_report(c.report, c.style);
    for (const std::string& line : c.lines) {
      EXPECT_NE(("\n" + text).find("\n" + line + "\n"), std::string::npos) << "missing line: " << line << "\n"
                                                                           << text;
    }
    for (const std::string& absent : c.absent) {
      EXPECT_EQ(text.find(absent), std::string::npos) << "unexpected: " << absent << "\n" << text;
    }
  }
}

TEST(TerminalReport, SerialControlBytesCannotReachTheTerminal) {
  trace::RunReport report = infra_report();
  report.serial_tail = {
      "\x1b"
      "c\x1b[0mSeaBIOS (version 1.16.2)\r",
      "Booting from ROM..\x07"};
  std::string text = format_run_report(report, kPlain);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\x07'), std::string::npos);
  EXPECT_NE(text.find("\n  ^[c^[[0mSeaBIOS (version 1.16.2)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  Booting from ROM..^G\n"), std::string::npos) << text;
}

TEST(TerminalReport, ColourMarksVerdicts) {
  std::string text = format_run_report(failing_report_419(), TerminalStyle{true, Verbosity::Normal});
  EXPECT_NE(text.find("\x1b[32mPASS\x1b[0m"), std::string::npos);
  EXPECT_NE(text.find("\x1b[1;31mFAIL\x1b[0m: 5 passed, 1 failed"), std::string::npos);
}

TEST(TerminalReport, DistinctCapturesUnderOneChainAreCounted) {
  trace::RunReport report = passing_report_419();
  trace::Hit second = report.trace.hits[3];
  second.index = 5;
  report.trace.hits.push_back(second);
  second.index = 6;
  second.captures[0].value = "(const unsigned char *) 0xffff88800031a200 \"proc\"";
  report.trace.hits.push_back(second);
  report.trace.hits.push_back(second);
  std::string text = format_run_report(report, kPlain);
  EXPECT_NE(text.find("\n  attach_recursive_mnt <- graft_tree <- do_loopback <- do_mount <- ksys_mount <- "
                      "__do_sys_mount x4\n"
                      "    dest = \"mount_dir_test\"   source = \"myproc\" x2\n"
                      "    dest = \"proc\"   source = \"myproc\" x2\n"),
            std::string::npos)
      << text;
}

TEST(TerminalReport, BreakpointWithoutHitsIsNamed) {
  trace::RunReport report = failing_report_419();
  report.trace.hits.erase(report.trace.hits.begin() + 3);
  EXPECT_NE(format_run_report(report, kPlain).find("\nattach_recursive_mnt: no counted hits\n"),
            std::string::npos);
}

// A breakpoint with no expectations that was never hit has no result to name it: the run's list
// of breakpoints still shows it, in the scenario's order.
TEST(TerminalReport, UnhitBreakpointWithoutExpectationsIsNamed) {
  trace::RunReport report = failing_report_419();
  report.breakpoints = {"copy_mnt_ns", "do_umount", "attach_recursive_mnt", "mnt_set_mountpoint"};
  const std::string text = format_run_report(report, kPlain);
  const std::size_t unhit = text.find("\ndo_umount: no counted hits\n");
  ASSERT_NE(unhit, std::string::npos) << text;
  EXPECT_LT(text.find("\ncopy_mnt_ns: 1 hit\n"), unhit);
  EXPECT_GT(text.find("\nattach_recursive_mnt: 1 hit\n"), unhit);
}

struct ChainCase {
  std::vector<std::string> functions;
  Verbosity verbosity;
  std::string expected;
};

TEST(DisplayedChain, LeavesOutTheSyscallEntryOnlyInNormalMode) {
  const std::vector<ChainCase> cases = {
      {{"copy_mnt_ns", "copy_process", "kernel_clone", "__do_sys_clone", "__se_sys_clone", "__x64_sys_clone",
        "x64_sys_call", "do_syscall_x64", "do_syscall_64", "entry_SYSCALL_64"},
       Verbosity::Normal,
       "copy_mnt_ns <- copy_process <- kernel_clone <- __do_sys_clone"},
      {{"copy_mnt_ns", "__do_sys_clone", "__se_sys_clone", "entry_SYSCALL_64"},
       Verbosity::Verbose,
       "copy_mnt_ns <- __do_sys_clone <- __se_sys_clone <- entry_SYSCALL_64"},
      // Kernel threads have no syscall entry: nothing is left out.
      {{"copy_mnt_ns", "ksys_unshare", "devtmpfsd", "kthread", "ret_from_fork"},
       Verbosity::Normal,
       "copy_mnt_ns <- ksys_unshare <- devtmpfsd <- kthread <- ret_from_fork"},
      // Frame 0 stays even when it is one of them.
      {{"do_syscall_64", "entry_SYSCALL_64"}, Verbosity::Normal, "do_syscall_64"},
      {{}, Verbosity::Normal, ""},
  };
  for (const ChainCase& c : cases) {
    EXPECT_EQ(displayed_chain(c.functions, c.verbosity), c.expected);
  }
}

TEST(FormatTotals, CountsEveryVerdictClass) {
  auto results = [](const std::vector<trace::Verdict>& verdicts) {
    std::vector<trace::ExpectationResult> out;
    for (trace::Verdict verdict : verdicts) {
      trace::ExpectationResult result;
      result.verdict = verdict;
      out.push_back(result);
    }
    return out;
  };
  using trace::Verdict;
  EXPECT_EQ(format_totals({}), "0 passed, 0 failed");
  EXPECT_EQ(format_totals(results(std::vector<Verdict>(12, Verdict::Pass))), "12 passed, 0 failed");
  EXPECT_EQ(format_totals(
                results({Verdict::Pass, Verdict::Fail, Verdict::Error, Verdict::Timeout, Verdict::Skipped})),
            "1 passed, 1 failed, 2 errors, 1 skipped");
  EXPECT_EQ(format_totals(results({Verdict::Infra})), "0 passed, 0 failed, 1 error");
}

struct ColourCase {
  bool is_terminal;
  const char* no_color;
  bool expected;
};

TEST(TerminalStyle, ColourOnlyOnATerminalWithoutNoColor) {
  const std::vector<ColourCase> cases = {
      {true, nullptr, true},   {true, "", true},    {true, "1", false},
      {false, nullptr, false}, {false, "1", false},
  };
  for (const ColourCase& c : cases) {
    EXPECT_EQ(colour_wanted(c.is_terminal, c.no_color), c.expected)
        << c.is_terminal << " " << (c.no_color ? c.no_color : "(unset)");
  }
}

}  // namespace
}  // namespace kh::report
