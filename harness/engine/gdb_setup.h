// The gdb commands every session on a kharness kernel starts with, for the MI engine and for the
// interactive lab shell alike.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.h"
#include "common/result.h"
#include "kernel/kernel.h"
#include "mi/mi_session.h"
#include "trace/scenario.h"

namespace kh::engine {

// Whether a session loads the kernel's own helpers (vmlinux-gdb.py) or only kharness's.
enum class KernelScripts { Load, Skip };

// gdb CLI commands that load the kernel's own helpers (vmlinux-gdb.py: lx_current(), lx-dmesg, ...)
// and kharness's (gdb-scripts/kharness.py: kh-mounts, $kh_mount_path(), ...). Empty entries are
// left out: a kernel without gdb scripts gets only kharness's, and so does KernelScripts::Skip.
std::vector<std::string> gdb_setup_commands(const kernel::KernelBuild& kernel,
                                            KernelScripts kernel_scripts = KernelScripts::Load);

// The commands of gdb_setup_commands() that load the kernel's helpers alone; empty without them.
std::vector<std::string> kernel_script_commands(const kernel::KernelBuild& kernel);

// A gdb expression for the current task_struct pointer on `kernel`. Without SMP the per-cpu
// `current_task` (`pcpu_hot.current_task` since 6.2) is a plain global: reading it costs one memory
// read, where the equivalent $lx_current() spends ~13 ms in Python at every evaluation (measured
// under TCG), three times per hit. With SMP (or without a System.map to check the symbol) only
// $lx_current() knows the CPU; without the kernel's gdb scripts either, the result is empty.
std::string current_task_expression(const kernel::KernelBuild& kernel);

// kharness's own gdb helpers (data_dir()/gdb-scripts/kharness.py); empty if not installed.
std::filesystem::path kharness_gdb_script();

// Loads the engine's hit collection in gdb (data_dir()/gdb-scripts/engine_hits.py: collecting
// breakpoints, `kh-step-past`; see HitLoop::set_engine_hits) into `gdb`: true when gdb now has
// its commands. False, not an error, when the script is not installed or this gdb's Python cannot
// send remote packets (before gdb 11): the engine then collects every hit over GDB/MI and steps
// with -exec-step-instruction. Fails only when gdb does not answer.
Result<bool> load_engine_hits(mi::MiSession& gdb, Deadline deadline);

// MI commands that make gdb read, while the guest runs to its first hit and gdb has nothing else
// to do, the debug information of `functions` (trace::expected_functions): `info line NAME`
// expands the compilation unit that defines NAME, which the first backtrace through it would
// otherwise expand during a hit (trace-mount on 6.1: 12 ms in its first hit, 7 ms in its first
// exit). Names that are not plain symbols (letters, digits, '_', '.') are left out, and at most
// kMaxWarmedFunctions are kept.
inline constexpr std::size_t kMaxWarmedFunctions = 64;
std::vector<std::string> symbol_warmup_commands(const std::vector<std::string>& functions);

// --- Did the helpers load? ---------------------------------------------------------------------
//
// gdb runs a script given to `source` and answers ^done even when Python raised: the traceback
// only comes as stream records. A kernel whose generated scripts do not import (5.15.135's
// constants.py, see kernel/gdb_scripts_fixup.h) then has no $lx_current() and no $container_of(),
// and every capture calling them reads "<error: Invalid data type for function to be called.>".
// The engine calls these before the VM boots, so that such a run stops with the Python error and
// the file instead of going on with captures that can never hold a value:
//
//   KH_ASSIGN_OR_RETURN(GdbHelpers helpers, load_gdb_helpers(gdb, kernel, uses, deadline));
//   KH_ASSIGN_OR_RETURN(std::vector<std::string> warnings, check_gdb_helpers(helpers, uses, kernel));
//
// or both at once with prepare_gdb_helpers().

// A Python error that `source SCRIPT` printed instead of loading it.
struct ScriptLoadFailure {
  std::string script;               // the file given to `source`
  std::string error;                // the exception: "SyntaxError: invalid decimal literal"
  std::string location;             // innermost "file:line" of the traceback, empty when it names none
  std::string code;                 // the source line the traceback shows there, empty when none
  std::vector<std::string> output;  // every line gdb printed for the command

  // "SyntaxError: invalid decimal literal (/x/constants.py:5: LX_SB_RDONLY = ((((1UL))) << (0)))"
  std::string describe() const;
};

// The Python failure in what gdb printed for `source script` (its console and log stream text),
// or nullopt when it printed none: a "Traceback (most recent call last):" block, or gdb's one-line
// "Python Exception <class 'X'>: message" form. Pure.
std::optional<ScriptLoadFailure> parse_script_load_failure(std::string_view output, std::string_view script);

// One place that calls a gdb convenience function ($name(...)), which some script must provide.
struct HelperUse {
  std::string function;              // without '$': "lx_current", "container_of", "kh_mount_path"
  std::string what;                  // "capture 'joins' of mntns_install", "the guest filter"
  std::string location;              // the scenario's "file:line", empty for the engine's own uses
  std::vector<std::string> readers;  // "file:line" of each expectation reading that capture
};

// Every call of a convenience function in the resolved scenario's captures and breakpoint
// conditions, plus the engine's guest filter when `current_task_expression` calls one (an SMP
// kernel: "$lx_current()"). Calls inside string literals do not count. Pure; in file order.
std::vector<HelperUse> helper_uses(const trace::ResolvedScenario& scenario,
                                   std::string_view current_task_expression);

// Whether some use calls a function that only the kernel's scripts can define: one whose name does
// not start with "kh_" (kharness.py's own). A trace needs the kernel's scripts only then: loading
// them is ~30 ms of every gdb start (some twenty Python modules), and on kernels without SMP the
// guest filter and kharness.py's helpers read `current_task` themselves. The lab shell, a
// reproducer and a hang's evidence (lx-ps, lx-dmesg) load them anyway.
bool needs_kernel_scripts(const std::vector<HelperUse>& uses);

// What loading the helper scripts left in a gdb session.
struct GdbHelpers {
  std::vector<ScriptLoadFailure> failures;  // one per script whose `source` printed a Python error
  std::set<std::string> available;          // the probed functions gdb has
  std::set<std::string> missing;            // the probed functions gdb does not have
};

// The kernel's helper functions kharness's own features use ($lx_current() for kh-mounts and the
// SMP guest filter, $container_of()) and kharness.py's: always probed.
const std::vector<std::string>& standard_helper_functions();

// Sends gdb_setup_commands(kernel) (the kernel's scripts only when needs_kernel_scripts(uses))
// through `-interpreter-exec console` one by one, keeping the
// Python failure each `source` printed (a `source` that gdb refuses, e.g. a missing file, counts
// as a failure too), then probes each function of `uses` and standard_helper_functions() with
// `-data-evaluate-expression $name` (an unset name reads "void"). Stream records queued before the
// call are dropped. Fails only when gdb itself does: ErrorKind::Gdb (any other command refused),
// Timeout (no answer by `deadline`), Eof (gdb gone).
Result<GdbHelpers> load_gdb_helpers(mi::MiSession& gdb, const kernel::KernelBuild& kernel,
                                    const std::vector<HelperUse>& uses, Deadline deadline);

// Judges a load for a scenario. Every use has its function: returns one warning line per script
// failure (empty when every script loaded), naming the script and the Python error; the run can go
// on. A use lacks its function: fails with an Error whose message names the missing functions and
// whose details list each script failure (its Python error, file:line and code), then each use
// ("file:line: capture 'x' of f needs $lx_current(), read by file:line"), then the Python output.
// Kind: ErrorKind::Gdb (an INFRA verdict) when a script failed, the kernel has no gdb scripts or
// kharness.py is not installed, else ErrorKind::Config (the scenario calls a function no script
// defines: a typo). `location` is the first needing item's "file:line". Pure but for looking up
// kharness_gdb_script().
Result<std::vector<std::string>> check_gdb_helpers(const GdbHelpers& helpers,
                                                   const std::vector<HelperUse>& uses,
                                                   const kernel::KernelBuild& kernel);

// helper_uses(), load_gdb_helpers() and check_gdb_helpers() in one call: what the engine runs after
// starting gdb, in place of sending gdb_setup_commands() itself. Returns the warnings; fails as
// load_gdb_helpers() or check_gdb_helpers().
Result<std::vector<std::string>> prepare_gdb_helpers(mi::MiSession& gdb, const kernel::KernelBuild& kernel,
                                                     const trace::ResolvedScenario& scenario,
                                                     std::string_view current_task_expression,
                                                     Deadline deadline);

}  // namespace kh::engine
