// Scenario files (docs/scenarios.md, scenarios/scenario.xsd): the model and the loader that
// validates a file with file:line errors (its grammar; the XML walk is trace/xml_walker.*, the
// name checks across kernel versions trace/version_names.*). The resolution of its
// <when kernel="..."> variants for one kernel version is trace/scenario_resolve.h.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/kernel_version.h"
#include "common/result.h"
#include "trace/ecma_regex.h"
#include "trace/gdb_value.h"

namespace kh::trace {

// The kernel versions an item applies to: the ranges of the <when> elements between the item and
// the item that contains it (a breakpoint for a capture, an <expect-hit> for its checks); all must
// contain the version. Empty means every version.
using KernelCondition = std::vector<KernelVersionRange>;

// True when every range of `condition` contains `version`.
bool applies_to(const KernelCondition& condition, const KernelVersion& version);

// Which hits of a breakpoint count: only those in the guest program's tasks, or all.
enum class Scope { Guest, All };

// How many counted hits of its breakpoint an expectation must hold on.
enum class Quantifier { Some, Every };

// How the guest is given: a program built into kharness (guest-programs/), C sources kharness
// compiles at run time, a prebuilt static program, or a busybox command line.
enum class GuestKind { Program, Source, Binary, Command };

// A file of the scenario's folder copied into the image, or (src empty) an empty directory.
struct GuestFile {
  std::filesystem::path src;  // resolved: the scenario's folder / the `src` attribute
  std::string dest;           // an absolute path in the image, without ".."
  std::string location;
};

// What the initramfs runs as the guest, and how to recognise its tasks.
struct GuestSpec {
  GuestKind kind = GuestKind::Program;
  std::string program;  // Program: a name under guest-programs/ (e.g. "mnt_ns_clone"); Source and
                        // Binary: the file name it gets in the image's /guest; Command: "sh"
  std::vector<std::filesystem::path> sources;  // Source: resolved against the scenario's folder
  std::string cflags;                          // Source: more compiler flags, shell words
  std::filesystem::path binary;                // Binary: resolved against the scenario's folder
  std::string command;                         // Command: run by busybox sh -c
  std::vector<std::string> args;  // argv[1..] (not for Command)
  std::vector<GuestFile> files;   // <file> and <dir> children, in file order
  std::string comm;               // task name of its first task: the `comm` attribute, else the
                                  // program's file name cut to 15 characters as the kernel does
  std::string location;

  // "mnt_ns_clone", "lab.c (compiled)", "prog", "sh -c '...'": for reports.
  std::string describe() const;
};

// What a capture records: a value, or (<capture-mounts>) the mount list of the current task's
// namespace, as the text of gdb-scripts/kharness.py's $kh_mount_table() (trace/mount_table.h).
enum class CaptureKind { Value, Mounts };

// The expression <capture-mounts> evaluates.
inline constexpr std::string_view kMountTableExpression = "$kh_mount_table()";

// An expression gdb evaluates at every counted hit (in frame 0), recorded under `name`.
struct CaptureSpec {
  std::string name;  // the `as` attribute, else the expression itself ("mounts" for Mounts)
  std::string expr;
  CaptureKind kind = CaptureKind::Value;
  KernelCondition when;
  std::string location;
};

// Which frame a frame-argument expectation reads: `level` when set, else the innermost frame
// whose function is `function`.
struct FrameSelector {
  std::optional<int> level;
  std::string function;

  std::string to_string() const;  // "frame 0", "frame path_mount"
};

// A comparison of a value with an operand from the file. BitsSet/BitsClear: every bit of the
// operand is set/clear in the value (flags such as CLONE_NEWNS or MS_BIND).
enum class ValueOp { Equals, NotEquals, Matches, Less, LessEqual, Greater, GreaterEqual, BitsSet, BitsClear };

struct ValueTest {
  ValueOp op = ValueOp::Equals;
  std::string operand;              // as written in the file
  std::optional<GdbNumber> number;  // the operand as a number, when it is one (always for numeric ops)
  EcmaRegex regex;                  // for Matches
};

// The backtrace holds `functions` in this order, innermost first, with gaps unless `contiguous`;
// `anchored`: the first one is frame 0.
struct BacktraceCheck {
  std::vector<std::string> functions;
  bool anchored = false;
  bool contiguous = false;
};

// None of `functions` is in the backtrace.
struct BacktraceWithoutCheck {
  std::vector<std::string> functions;
};

// A captured value or a frame argument passes every test.
struct ValueCheck {
  enum class Source { Capture, Arg };
  Source source = Source::Capture;
  std::string name;      // the capture's name or the argument's name
  FrameSelector frame;   // for Source::Arg
  std::vector<ValueTest> tests;
};

// One check of one hit, from <expect-backtrace>, <expect-backtrace-without> or <expect>.
struct Check {
  std::variant<BacktraceCheck, BacktraceWithoutCheck, ValueCheck> body;
  KernelCondition when;
  std::string location;
};

// Checks that must all hold on the same hit: one check from a standalone element, or the checks of
// an <expect-hit> group. Passes when some counted hit satisfies them (every hit, with Every).
struct HitExpectation {
  Quantifier on = Quantifier::Some;
  bool grouped = false;  // written as <expect-hit>
  std::vector<Check> checks;
  KernelCondition when;
  std::string location;
};

// <expect-hits>: the number of counted hits lies in [at_least, at_most].
struct HitCountExpectation {
  std::optional<int> at_least;
  std::optional<int> at_most;
  KernelCondition when;
  std::string location;
};

struct BreakpointSpec {
  std::string name;      // unique in the scenario; defaults to `function`
  std::string function;  // a gdb location, usually a kernel function name
  Scope scope = Scope::Guest;
  std::string condition;  // a gdb expression the engine ANDs with its own; empty for none
  std::vector<CaptureSpec> captures;
  std::vector<HitExpectation> expectations;
  std::vector<HitCountExpectation> hit_counts;
  KernelCondition when;
  std::string location;
};

// A scenario as written, every kernel variant included. Items keep their "file:line".
struct Scenario {
  std::string name;
  std::string description;
  std::string file;  // the path the scenario was loaded from, as given
  std::optional<KernelVersionRange> kernels;  // nullopt: every kernel
  GuestSpec guest;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::vector<BreakpointSpec> breakpoints;
  std::string location;
};

// A scenario for one kernel version: only the items whose <when> conditions hold for it, in file
// order. When `applies` is false the scenario is skipped on this kernel and `breakpoints` is empty.
struct ResolvedScenario {
  std::string name;
  std::string description;
  std::string file;
  std::string kernels;  // the scenario's kernel range as written, empty for every kernel
  KernelVersion kernel;
  bool applies = true;
  GuestSpec guest;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::vector<BreakpointSpec> breakpoints;
  std::string location;
};

// Parses and validates a scenario from XML text; `file_name` is used in messages only. Fails with
// ErrorKind::Config, `location` "file:line" and a message such as "unknown attribute 'fuction' on
// <breakpoint> (did you mean 'function'?)"; every further error found is in `details`, as
// "file:line: message" lines.
Result<Scenario> parse_scenario(std::string_view xml, std::string_view file_name);

// Reads and parses a scenario file: ErrorKind::Io when it cannot be read, else as parse_scenario.
Result<Scenario> load_scenario_file(const std::filesystem::path& path);

// True when some expectation of the breakpoint reads an argument of a frame other than frame 0,
// so the engine must ask gdb for the arguments of every frame (frame 0's come with *stopped).
bool needs_caller_args(const BreakpointSpec& breakpoint);

// The functions the scenario's expectations name (<expect-backtrace>, <expect-backtrace-without>,
// <expect frame="NAME">), each once, in file order: where its hits' backtraces are expected to go.
std::vector<std::string> expected_functions(const ResolvedScenario& scenario);

}  // namespace kh::trace
