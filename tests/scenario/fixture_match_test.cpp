// The matcher against the real gdb/MI transcripts of trace-mount on 4.19.304 and 6.1: hits are
// built the way the engine builds them (frames from `^done,stack=`, frame 0's arguments from
// `*stopped`), then trace_mount.xml is evaluated for each kernel.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/mi_to_trace.h"
#include "mi/mi_frames.h"
#include "mi/mi_parser.h"
#include "trace/expectation.h"
#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::trace {
namespace {

const std::filesystem::path kFixtures = KH_FIXTURES_DIR;
const std::filesystem::path kGoodDir = std::filesystem::path(KH_SOURCE_DIR) / "tests/scenario/good";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool has_frame(const Hit& hit, std::string_view function) {
  for (const Frame& frame : hit.frames) {
    if (frame.func == function) return true;
  }
  return false;
}

// What gdb prints for a `char *` capture; the address is made up, the string is what the fixture
// README reports for these hits (checked by hand with gdb on both kernels).
std::string char_pointer(const std::string& text) { return "0xffff888000400000 \"" + text + "\""; }

// Plays the engine's part for the captures of trace_mount.xml at `hit`.
void add_captures(Hit& hit) {
  if (hit.breakpoint == "copy_mnt_ns") {
    // flags & 0x00020000, from the real `flags` argument of the hit.
    for (const FrameArg& arg : hit.frames.front().args) {
      if (arg.name == "flags") {
        auto flags = leading_number(arg.value);
        std::string value = flags ? std::to_string(flags->magnitude & 0x00020000) : std::string();
        hit.captures.push_back({"newns", "flags & 0x00020000", value, {}});
      }
    }
  } else if (hit.breakpoint == "attach_recursive_mnt") {
    bool bind = has_frame(hit, "do_loopback");
    hit.captures.push_back(
        {"dest", "dest_mp->m_dentry->d_name.name", char_pointer(bind ? "mount_dir_test" : "proc"), {}});
    hit.captures.push_back(
        {"source", "source_mnt->mnt_mountpoint->d_name.name", char_pointer(bind ? "myproc" : "/"), {}});
  }
}

// The counted hits of a transcript for `scenario`: boot-time hits of kdevtmpfs are recognised by
// their frames (the engine filters them by task) and dropped from scope="guest" breakpoints.
Trace trace_from_transcript(const std::filesystem::path& path, const ResolvedScenario& scenario) {
  std::map<std::string, std::string> breakpoint_names;  // gdb's number -> the scenario's name
  std::map<std::string, Scope> scopes;
  for (const BreakpointSpec& breakpoint : scenario.breakpoints) scopes[breakpoint.name] = breakpoint.scope;

  Trace trace;
  trace.scenario = scenario.name;
  trace.kernel_release = scenario.kernel.to_string();
  std::optional<Hit> pending;
  std::istringstream lines(read_text(path));
  std::string line;
  int line_number = 0;
  while (std::getline(lines, line)) {
    ++line_number;
    auto record = mi::parse_line(line);
    EXPECT_TRUE(record.ok()) << path << ":" << line_number << ": " << record.error().to_string();
    if (!record.ok()) continue;
    if (const auto* result = std::get_if<mi::ResultRecord>(&*record)) {
      if (const mi::Value& bkpt = result->get("bkpt"); bkpt.is_tuple()) {
        breakpoint_names[bkpt.get("number").str()] = bkpt.get("original-location").str();
      }
      if (pending && result->get("stack").is_list()) {
        auto frames = mi::decode_stack_frames(*result);
        EXPECT_TRUE(frames.ok()) << path << ":" << line_number;
        if (!frames.ok()) continue;
        std::vector<FrameArg> args = std::move(pending->frames.front().args);
        pending->frames = engine::to_trace_frames(*frames);
        if (!pending->frames.empty()) pending->frames.front().args = std::move(args);
        bool boot = has_frame(*pending, "devtmpfsd") || has_frame(*pending, "ksys_unshare");
        pending->task_comm = boot ? "kdevtmpfs" : scenario.guest.comm;
        auto scope = scopes.find(pending->breakpoint);
        if (scope != scopes.end() && (scope->second == Scope::All || !boot)) {
          pending->index = static_cast<int>(trace.hits.size());
          add_captures(*pending);
          trace.hits.push_back(std::move(*pending));
        }
        pending.reset();
      }
    } else if (const auto* async = std::get_if<mi::AsyncRecord>(&*record)) {
      if (async->async_class == "stopped" && async->get("reason").str() == "breakpoint-hit") {
        auto stop = mi::decode_stop_event(*async);
        EXPECT_TRUE(stop.ok() && stop->frame && stop->breakpoint) << path << ":" << line_number;
        if (!stop.ok() || !stop->frame || !stop->breakpoint) continue;
        Hit hit;
        hit.breakpoint = breakpoint_names[std::to_string(*stop->breakpoint)];
        hit.frames.push_back(Frame{});
        hit.frames.front().args = engine::to_trace_args(stop->frame->args);
        pending = std::move(hit);
      }
    }
  }
  return trace;
}

std::string describe_all(const std::vector<ExpectationResult>& results) {
  std::string text;
  for (const ExpectationResult& r : results) {
    text += fmt::format("{} {} [{}] {}: expected {} | actual {}\n", r.location, to_string(r.verdict), r.breakpoint,
                        r.description, r.expected, r.actual);
  }
  return text;
}

struct KernelCase {
  const char* transcript;
  const char* kernel;
  const char* fork_function;  // the function the mutated file misspells
  int fork_line;              // the line of the <expect-backtrace> naming it
};

const KernelCase kKernels[] = {
    {"trace-mount-linux-4.19.304.mi", "4.19.304", "_do_fork", 17},
    {"trace-mount-linux-source-6.1.mi", "6.1.0", "kernel_clone", 20},
};

class FixtureMatch : public testing::TestWithParam<KernelCase> {
 protected:
  std::vector<ExpectationResult> evaluate_file(const std::string& xml, Trace* trace_out = nullptr) {
    auto scenario = parse_scenario(xml, "trace_mount.xml");
    EXPECT_TRUE(scenario.ok()) << (scenario.ok() ? "" : scenario.error().to_string());
    if (!scenario.ok()) return {};
    ResolvedScenario resolved = resolve(*scenario, *KernelVersion::parse(GetParam().kernel));
    Trace trace = trace_from_transcript(kFixtures / GetParam().transcript, resolved);
    if (trace_out != nullptr) *trace_out = trace;
    return evaluate(resolved, trace);
  }
};

TEST_P(FixtureMatch, TraceMountPasses) {
  Trace trace;
  auto results = evaluate_file(read_text(kGoodDir / "trace_mount.xml"), &trace);
  // copy_mnt_ns once (the guest's clone), attach_recursive_mnt twice (proc and bind mounts),
  // mnt_set_mountpoint four times with scope="all" (the boot-time devtmpfs mount too).
  EXPECT_EQ(hits_of(trace, "copy_mnt_ns").size(), 1u);
  EXPECT_EQ(hits_of(trace, "attach_recursive_mnt").size(), 2u);
  EXPECT_EQ(hits_of(trace, "mnt_set_mountpoint").size(), 4u);
  ASSERT_EQ(results.size(), 11u) << describe_all(results);
  for (const ExpectationResult& result : results) {
    EXPECT_EQ(result.verdict, Verdict::Pass) << describe_all(results);
  }
  EXPECT_EQ(overall_verdict(results), Verdict::Pass);
}

TEST_P(FixtureMatch, WrongFrameNameFails) {
  std::string xml = read_text(kGoodDir / "trace_mount.xml");
  std::string right = fmt::format("copy_process {} __do_sys_clone", GetParam().fork_function);
  std::string wrong = fmt::format("copy_process {}3 __do_sys_clone", GetParam().fork_function);
  ASSERT_NE(xml.find(right), std::string::npos);
  xml.replace(xml.find(right), right.size(), wrong);

  Trace trace;
  auto results = evaluate_file(xml, &trace);
  std::vector<ExpectationResult> failed;
  for (const ExpectationResult& result : results) {
    if (result.verdict != Verdict::Pass) failed.push_back(result);
  }
  ASSERT_EQ(failed.size(), 1u) << describe_all(results);
  const ExpectationResult& fail = failed.front();
  EXPECT_EQ(fail.verdict, Verdict::Fail);
  EXPECT_EQ(fail.breakpoint, "copy_mnt_ns");
  EXPECT_EQ(fail.kind, "backtrace");
  EXPECT_EQ(fail.expected, fmt::format("copy_process <- {}3 <- __do_sys_clone", GetParam().fork_function));
  // The actual chain of the guest's hit, the right name in it, and what is missing.
  EXPECT_NE(fail.actual.find(fmt::format("copy_process <- {} <- __do_sys_clone", GetParam().fork_function)),
            std::string::npos)
      << fail.actual;
  EXPECT_NE(fail.actual.find(fmt::format("(missing {}3 after copy_process)", GetParam().fork_function)),
            std::string::npos)
      << fail.actual;
  EXPECT_EQ(fail.location, fmt::format("trace_mount.xml:{}", GetParam().fork_line));
  ASSERT_EQ(hits_of(trace, "copy_mnt_ns").size(), 1u);
  EXPECT_EQ(fail.hit_index, hits_of(trace, "copy_mnt_ns")[0]->index);
}

TEST_P(FixtureMatch, WrongStringFailsOnTheBindHit) {
  std::string xml = read_text(kGoodDir / "trace_mount.xml");
  const std::string right = "equals=\"mount_dir_test\"";
  ASSERT_NE(xml.find(right), std::string::npos);
  xml.replace(xml.find(right), right.size(), "equals=\"mount_dir\"");

  Trace trace;
  auto results = evaluate_file(xml, &trace);
  std::vector<ExpectationResult> failed;
  for (const ExpectationResult& result : results) {
    if (result.verdict != Verdict::Pass) failed.push_back(result);
  }
  ASSERT_EQ(failed.size(), 1u) << describe_all(results);
  const ExpectationResult& fail = failed.front();
  EXPECT_EQ(fail.verdict, Verdict::Fail);
  EXPECT_EQ(fail.kind, "hit");
  EXPECT_NE(fail.expected.find("dest == \"mount_dir\""), std::string::npos) << fail.expected;
  EXPECT_EQ(fail.actual, "dest: 0xffff888000400000 \"mount_dir_test\"");
  // The closest hit is the bind mount, the second attach_recursive_mnt hit.
  auto attach = hits_of(trace, "attach_recursive_mnt");
  ASSERT_EQ(attach.size(), 2u);
  EXPECT_EQ(fail.hit_index, attach[1]->index);
  EXPECT_TRUE(has_frame(*attach[1], "do_loopback"));
}

INSTANTIATE_TEST_SUITE_P(Kernels, FixtureMatch, testing::ValuesIn(kKernels),
                         [](const testing::TestParamInfo<KernelCase>& param_info) {
                           std::string name = param_info.param.kernel;
                           for (char& c : name) c = c == '.' ? '_' : c;
                           return "linux_" + name;
                         });

// -stack-list-frames on real stacks, decoded by mi/ and turned into trace frames by the engine:
// trailing ?? frames go, inlined frames stay.
TEST(MiFrames, RealStacks) {
  std::istringstream lines(read_text(kFixtures / "trace-mount-linux-4.19.304.mi"));
  std::string line;
  std::vector<std::vector<Frame>> stacks;
  while (std::getline(lines, line)) {
    if (!line.starts_with("^done,stack=")) continue;
    auto record = mi::parse_line(line);
    ASSERT_TRUE(record.ok());
    auto frames = mi::decode_stack_frames(std::get<mi::ResultRecord>(*record));
    ASSERT_TRUE(frames.ok()) << frames.error().to_string();
    stacks.push_back(engine::to_trace_frames(*frames));
  }
  ASSERT_EQ(stacks.size(), 9u);
  for (const auto& frames : stacks) {
    ASSERT_FALSE(frames.empty());
    EXPECT_NE(frames.back().func, "??");
  }
  // The guest's clone: 33 frames from gdb, 10 after the ?? tail.
  const std::vector<Frame>& clone = stacks[5];
  ASSERT_EQ(clone.size(), 10u);
  EXPECT_EQ(format_chain(clone),
            "copy_mnt_ns <- create_new_namespaces <- copy_namespaces <- copy_process <- _do_fork <- "
            "__do_sys_clone <- __se_sys_clone <- __x64_sys_clone <- do_syscall_64 <- entry_SYSCALL_64");
  EXPECT_EQ(clone[0].level, 0);
  EXPECT_EQ(clone[0].file, "fs/namespace.c");
  EXPECT_EQ(clone[0].line, 2905);
  EXPECT_EQ(clone[0].addr, "0xffffffff810a27e6");
  // do_new_mount is inlined into do_mount: two frames at one address.
  const std::vector<Frame>& proc_mount = stacks[3];
  EXPECT_EQ(proc_mount[3].func, "do_new_mount");
  EXPECT_EQ(proc_mount[4].func, "do_mount");
  EXPECT_EQ(proc_mount[3].addr, proc_mount[4].addr);
}

TEST(MiFrames, RejectsWhatIsNotAStack) {
  auto not_list = mi::parse_line("^done,stack=\"x\"");
  ASSERT_TRUE(not_list.ok());
  EXPECT_EQ(mi::decode_stack_frames(std::get<mi::ResultRecord>(*not_list)).error().kind, ErrorKind::Parse);
  auto bad_level = mi::parse_line("^done,stack=[frame={level=\"x\",func=\"f\"}]");
  ASSERT_TRUE(bad_level.ok());
  EXPECT_EQ(mi::decode_stack_frames(std::get<mi::ResultRecord>(*bad_level)).error().kind, ErrorKind::Parse);
}

TEST(MiFrames, ArgumentsOfEveryFrame) {
  auto stack = mi::parse_line(
      "^done,stack=[frame={level=\"0\",addr=\"0x1\",func=\"do_loopback\"},"
      "frame={level=\"1\",addr=\"0x2\",func=\"path_mount\"},frame={level=\"2\",addr=\"0x0\",func=\"??\"}]");
  auto args = mi::parse_line(
      "^done,stack-args=[frame={level=\"0\",args=[{name=\"recurse\",value=\"<optimized out>\"}]},"
      "frame={level=\"1\",args=[{name=\"dev_name\",value=\"0xffff888000300a38 \\\"/myproc\\\"\"},"
      "{name=\"flags\",value=\"4096\"}]},frame={level=\"2\",args=[name=\"x\"]}]");
  ASSERT_TRUE(stack.ok() && args.ok());
  auto stack_frames = mi::decode_stack_frames(std::get<mi::ResultRecord>(*stack));
  ASSERT_TRUE(stack_frames.ok());
  auto stack_args = mi::decode_stack_arguments(std::get<mi::ResultRecord>(*args));
  ASSERT_TRUE(stack_args.ok()) << stack_args.error().to_string();
  mi::attach_arguments(*stack_frames, *stack_args);
  const std::vector<Frame> frames = engine::to_trace_frames(*stack_frames);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].args, (std::vector<FrameArg>{{"recurse", "<optimized out>"}}));
  EXPECT_EQ(frames[1].args,
            (std::vector<FrameArg>{{"dev_name", "0xffff888000300a38 \"/myproc\""}, {"flags", "4096"}}));
}

}  // namespace
}  // namespace kh::trace
