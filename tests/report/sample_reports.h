// Hand-made run reports shaped like real ones: the frames, arguments and values come from the
// gdb/MI fixture transcripts of 4.19.304 and 6.1 (tests/fixtures/gdb-mi/), the serial logs are
// the fixtures' own.
#pragma once

#include <string>
#include <vector>

#include "trace/run_report.h"
#include "trace/trace_model.h"

namespace kh::report::testing {

// The guest's trace of trace-mount on 4.19.304: copy_mnt_ns (1 hit), mnt_set_mountpoint from
// copy_tree (2 identical hits), the bind mount at attach_recursive_mnt, mnt_set_mountpoint under it.
trace::Trace trace_mount_trace_419();
// The same run on 6.1: kernel_clone for _do_fork, path_mount between do_loopback and do_mount,
// x64_sys_call and do_syscall_x64 in the syscall entry.
trace::Trace trace_mount_trace_61();

// A run of trace-mount on 4.19.304 in which every expectation passes.
trace::RunReport passing_report_419();
// The same run checked against a 6.x expectation (copy_process <- kernel_clone): one FAIL.
trace::RunReport failing_report_419();
// trace-mount on 6.1 that timed out in phase guest after one hit, with evidence and serial tail.
trace::RunReport timeout_report_61();
// bind-mount on 6.1, whose QEMU failed to start under KVM: INFRA in phase boot, no trace.
trace::RunReport infra_report();
// trace-mount-6x (for kernels >= 5.10) on 4.19.304: SKIPPED.
trace::RunReport skipped_report_419();

// trace-mount on 6.1 with its <capture-mounts>: the parent's namespace at copy_mnt_ns, the
// child's at both attach_recursive_mnt hits (before the proc and before the bind), and at
// exit_task_namespaces the child's (with /proc stacked and /mount_dir_test bound) and the
// parent's. Mount lists as $kh_mount_table() prints them; every expectation passes.
trace::RunReport mount_report_61();

// A run whose every text is hostile to a page: `<`, `&`, quotes, `</script>`, control and
// non-UTF-8 bytes in the scenario name, description, breakpoint and function names, captured
// strings, gdb errors, KH-RESULT lines, expectation texts, evidence and serial console. FAIL.
trace::RunReport hostile_report();

// `count` hits of one breakpoint with the bind chain of 6.1; with `distinct_values` each hit
// captures its own number, else all capture the same. PASS.
trace::RunReport many_hits_report(int count, bool distinct_values);

// A run that counted no hit: the breakpoints' expectations fail. FAIL.
trace::RunReport no_hits_report();

// `text` as gdb prints a char array holding it: quoted, with C escapes.
std::string gdb_quoted(const std::string& text);

// The fixture file `name` of KH_FIXTURES_DIR, whole.
std::string fixture_text(const std::string& name);

}  // namespace kh::report::testing
