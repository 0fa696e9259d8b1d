// Table tests: *stopped records, -stack-list-frames and -stack-list-arguments answers -> the plain
// structs of mi_frames.h, on real gdb 13 lines (tests/fixtures/gdb-mi) and on malformed ones.
#include "mi/mi_frames.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "mi/mi_parser.h"

namespace kh::mi {
namespace {

const std::string kFixtures = KH_FIXTURES_DIR;

template <typename R>
R parse_as(const std::string& line) {
  auto record = parse_line(line);
  if (!record.ok()) {
    ADD_FAILURE() << record.error().message << "\n" << line;
    return R{};
  }
  if (!std::holds_alternative<R>(*record)) {
    ADD_FAILURE() << "not the expected record kind: " << line;
    return R{};
  }
  return std::get<R>(std::move(*record));
}

StackFrame frame(int level, std::string addr, std::string func, std::string file = {},
                 std::string fullname = {}, std::optional<int> line = std::nullopt,
                 std::vector<FrameArg> args = {}) {
  return StackFrame{level, std::move(addr), std::move(func), std::move(file), std::move(fullname),
                    line,  std::move(args)};
}

struct StopCase {
  const char* name;
  std::string line;
  StopEvent expected;
};

void PrintTo(const StopCase& stop_case, std::ostream* out) {
  *out << stop_case.name;
}

class StopEventTest : public ::testing::TestWithParam<StopCase> {};

TEST_P(StopEventTest, DecodesTheStop) {
  auto event = decode_stop_event(parse_as<AsyncRecord>(GetParam().line));
  ASSERT_TRUE(event.ok()) << event.error().to_string();
  EXPECT_EQ(*event, GetParam().expected);
}

const std::vector<StopCase> kStopCases = {
    // Line 32 of trace-mount-linux-4.19.304.mi: the guest's copy_mnt_ns hit.
    {"breakpoint_hit_4_19",
     R"(*stopped,reason="breakpoint-hit",disp="keep",bkptno="1",frame={addr="0xffffffff810a27e6",func="copy_mnt_ns",)"
     R"(args=[{name="flags",value="131584"},{name="ns",value="0xffff8880000841b8"},{name="user_ns",)"
     R"(value="0xffffffff8183f600 <init_user_ns>"},{name="new_fs",value="0xffff88800001e080"}],file="fs/namespace.c",)"
     R"(fullname="/usr/src/linux-4.19.304/fs/namespace.c",line="2905",arch="i386:x86-64"},thread-id="1",)"
     R"(stopped-threads="all")",
     StopEvent{"breakpoint-hit", 1, 1,
               frame(0, "0xffffffff810a27e6", "copy_mnt_ns", "fs/namespace.c",
                     "/usr/src/linux-4.19.304/fs/namespace.c", 2905,
                     {{"flags", "131584"},
                      {"ns", "0xffff8880000841b8"},
                      {"user_ns", "0xffffffff8183f600 <init_user_ns>"},
                      {"new_fs", "0xffff88800001e080"}})}},
    // Line 16: the stop after -target-select, no reason, no source.
    {"after_target_select",
     R"(*stopped,frame={addr="0x000000000000fff0",func="??",args=[],arch="i386:x86-64"},thread-id="1",)"
     R"(stopped-threads="all")",
     StopEvent{"", std::nullopt, 1, frame(0, "0x000000000000fff0", "??")}},
    {"exited_without_frame", R"(*stopped,reason="exited-normally")",
     StopEvent{"exited-normally", {}, {}, {}}},
    {"step_without_func", R"(*stopped,reason="end-stepping-range",frame={addr="0x10"},thread-id="3")",
     StopEvent{"end-stepping-range", {}, 3, frame(0, "0x10", "??")}},
    {"entry_values_kept_in_order",
     R"(*stopped,reason="breakpoint-hit",bkptno="12",frame={addr="0x1",func="f",args=[{name="flags",)"
     R"(value="1"},{name="flags@entry",value="1"},{name="p"}]},thread-id="1")",
     StopEvent{"breakpoint-hit", 12, 1,
               frame(0, "0x1", "f", {}, {}, {}, {{"flags", "1"}, {"flags@entry", "1"}, {"p", ""}})}},
};
INSTANTIATE_TEST_SUITE_P(Stops, StopEventTest, ::testing::ValuesIn(kStopCases),
                         [](const auto& case_info) { return std::string(case_info.param.name); });

struct BadCase {
  const char* name;
  std::string line;
  ErrorKind kind;
  std::string message;
};

void PrintTo(const BadCase& bad_case, std::ostream* out) {
  *out << bad_case.name;
}

class BadStopTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadStopTest, FailsWithParse) {
  auto event = decode_stop_event(parse_as<AsyncRecord>(GetParam().line));
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.error().kind, GetParam().kind);
  EXPECT_EQ(event.error().message, GetParam().message);
}

const std::vector<BadCase> kBadStops = {
    {"running", R"(*running,thread-id="all")", ErrorKind::Parse, "not a *stopped record: 'running'"},
    {"notify_stopped", R"(=stopped,reason="x")", ErrorKind::Parse, "not a *stopped record: 'stopped'"},
    {"bad_bkptno", R"(*stopped,reason="breakpoint-hit",bkptno="1.2")", ErrorKind::Parse,
     "*stopped has a bad bkptno '1.2'"},
    {"bad_thread_id", R"(*stopped,thread-id="all")", ErrorKind::Parse, "*stopped has a bad thread-id 'all'"},
    {"bad_line", R"(*stopped,frame={addr="0x1",func="f",line="12a"})", ErrorKind::Parse,
     "the frame of *stopped has a bad line '12a'"},
};
INSTANTIATE_TEST_SUITE_P(Bad, BadStopTest, ::testing::ValuesIn(kBadStops),
                         [](const auto& case_info) { return std::string(case_info.param.name); });

struct StackCase {
  const char* name;
  std::string line;
  std::vector<StackFrame> expected;
};

void PrintTo(const StackCase& stack_case, std::ostream* out) {
  *out << stack_case.name;
}

class StackFramesTest : public ::testing::TestWithParam<StackCase> {};

TEST_P(StackFramesTest, DecodesEveryFrame) {
  auto frames = decode_stack_frames(parse_as<ResultRecord>(GetParam().line));
  ASSERT_TRUE(frames.ok()) << frames.error().to_string();
  EXPECT_EQ(*frames, GetParam().expected);
}

const std::vector<StackCase> kStackCases = {
    {"empty", "^done,stack=[]", {}},
    {"inlined_and_unknown_frames_stay",
     R"(^done,stack=[frame={level="0",addr="0xffffffff810a27bc",func="do_new_mount",file="fs/namespace.c",)"
     R"(fullname="/usr/src/linux-4.19.304/fs/namespace.c",line="2602",arch="i386:x86-64"},)"
     R"(frame={level="1",addr="0xffffffff810a27bc",func="do_mount",file="fs/namespace.c",)"
     R"(fullname="/usr/src/linux-4.19.304/fs/namespace.c",line="2932",arch="i386:x86-64"},)"
     R"(frame={level="2",addr="0x0000000000000000",func="??",arch="i386:x86-64"},)"
     R"(frame={level="3",addr="0x0000000000000001"}])",
     {frame(0, "0xffffffff810a27bc", "do_new_mount", "fs/namespace.c",
            "/usr/src/linux-4.19.304/fs/namespace.c", 2602),
      frame(1, "0xffffffff810a27bc", "do_mount", "fs/namespace.c", "/usr/src/linux-4.19.304/fs/namespace.c",
            2932),
      frame(2, "0x0000000000000000", "??"), frame(3, "0x0000000000000001", "??")}},
};
INSTANTIATE_TEST_SUITE_P(Stacks, StackFramesTest, ::testing::ValuesIn(kStackCases),
                         [](const auto& case_info) { return std::string(case_info.param.name); });

class BadStackTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadStackTest, Fails) {
  auto frames = decode_stack_frames(parse_as<ResultRecord>(GetParam().line));
  ASSERT_FALSE(frames.ok());
  EXPECT_EQ(frames.error().kind, GetParam().kind);
  EXPECT_EQ(frames.error().message, GetParam().message);
}

const std::vector<BadCase> kBadStacks = {
    {"not_a_list", R"(^done,stack="x")", ErrorKind::Parse, "stack is not a list of frames"},
    {"no_stack", R"(^done,value="1")", ErrorKind::Parse, "stack is not a list of frames"},
    {"element_not_a_tuple", R"(^done,stack=["x"])", ErrorKind::Parse, "stack element 0 is not a frame tuple"},
    {"bad_level", R"(^done,stack=[frame={level="x",func="f"}])", ErrorKind::Parse,
     "frame 0 has a bad level 'x'"},
    {"missing_level", R"(^done,stack=[frame={level="0"},frame={func="f"}])", ErrorKind::Parse,
     "frame 1 has a bad level ''"},
    {"bad_line", R"(^done,stack=[frame={level="0",line="-"}])", ErrorKind::Parse,
     "frame 0 has a bad line '-'"},
    {"gdb_error", R"(^error,msg="No registers.")", ErrorKind::Gdb,
     "-stack-list-frames failed: No registers."},
};
INSTANTIATE_TEST_SUITE_P(Bad, BadStackTest, ::testing::ValuesIn(kBadStacks),
                         [](const auto& case_info) { return std::string(case_info.param.name); });

// Every -stack-list-frames answer of both transcripts decodes, with every frame gdb listed.
TEST(StackFramesTest, RealStacksOfBothKernels) {
  for (const char* name : {"/trace-mount-linux-4.19.304.mi", "/trace-mount-linux-source-6.1.mi"}) {
    std::ifstream in(kFixtures + name);
    std::size_t stacks = 0;
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with("^done,stack=")) {
        continue;
      }
      const auto answer = parse_as<ResultRecord>(line);
      auto frames = decode_stack_frames(answer);
      ASSERT_TRUE(frames.ok()) << frames.error().to_string();
      ASSERT_EQ(frames->size(), answer.get("stack").size());
      for (std::size_t i = 0; i < frames->size(); ++i) {
        EXPECT_EQ((*frames)[i].level, static_cast<int>(i));
        EXPECT_FALSE((*frames)[i].addr.empty());
      }
      ++stacks;
    }
    EXPECT_EQ(stacks, 9u) << name;
  }
}

TEST(StackFramesTest, TheGuestCloneOn61KeepsItsUnknownTail) {
  std::ifstream in(kFixtures + "/trace-mount-linux-source-6.1.mi");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("^done,stack=") && line.find("kernel_clone") != std::string::npos) {
      auto frames = decode_stack_frames(parse_as<ResultRecord>(line));
      ASSERT_TRUE(frames.ok());
      ASSERT_EQ(frames->size(), 33u);
      EXPECT_EQ((*frames)[0].func, "copy_mnt_ns");
      EXPECT_EQ((*frames)[4].func, "kernel_clone");
      EXPECT_EQ((*frames)[11].func, "entry_SYSCALL_64");
      EXPECT_EQ((*frames)[32].func, "??");
      EXPECT_EQ((*frames)[32].line, std::nullopt);
      return;
    }
  }
  ADD_FAILURE() << "no kernel_clone stack in the 6.1 transcript";
}

struct ArgumentsCase {
  const char* name;
  std::string line;
  std::vector<FrameArguments> expected;
};

void PrintTo(const ArgumentsCase& arguments_case, std::ostream* out) {
  *out << arguments_case.name;
}

class StackArgumentsTest : public ::testing::TestWithParam<ArgumentsCase> {};

TEST_P(StackArgumentsTest, DecodesEveryFramesArguments) {
  auto arguments = decode_stack_arguments(parse_as<ResultRecord>(GetParam().line));
  ASSERT_TRUE(arguments.ok()) << arguments.error().to_string();
  EXPECT_EQ(*arguments, GetParam().expected);
}

const std::vector<ArgumentsCase> kArgumentsCases = {
    {"simple_values",
     R"(^done,stack-args=[frame={level="0",args=[{name="recurse",value="<optimized out>"}]},)"
     R"(frame={level="1",args=[{name="dev_name",value="0xffff888000300a38 \"/myproc\""},{name="flags",value="4096"}]},)"
     R"(frame={level="2",args=[]}])",
     {{0, {{"recurse", "<optimized out>"}}},
      {1, {{"dev_name", "0xffff888000300a38 \"/myproc\""}, {"flags", "4096"}}},
      {2, {}}}},
    {"no_values",
     R"(^done,stack-args=[frame={level="0",args=[name="a",name="b"]}])",
     {{0, {{"a", ""}, {"b", ""}}}}},
    {"aggregate_gives_no_value",
     R"(^done,stack-args=[frame={level="3",args=[{name="s",type="struct path"}]}])",
     {{3, {{"s", ""}}}}},
    {"other_elements_skipped",
     R"(^done,stack-args=[frame={level="0",args=[[],{name="x",value="1"}]}])",
     {{0, {{"x", "1"}}}}},
};
INSTANTIATE_TEST_SUITE_P(Arguments, StackArgumentsTest, ::testing::ValuesIn(kArgumentsCases),
                         [](const auto& case_info) { return std::string(case_info.param.name); });

class BadArgumentsTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadArgumentsTest, Fails) {
  auto arguments = decode_stack_arguments(parse_as<ResultRecord>(GetParam().line));
  ASSERT_FALSE(arguments.ok());
  EXPECT_EQ(arguments.error().kind, GetParam().kind);
  EXPECT_EQ(arguments.error().message, GetParam().message);
}

const std::vector<BadCase> kBadArguments = {
    {"not_a_list", R"(^done,stack-args={})", ErrorKind::Parse, "stack-args is not a list of frames"},
    {"element_not_a_tuple", R"(^done,stack-args=[frame="0"])", ErrorKind::Parse,
     "stack-args element 0 is not a frame tuple"},
    {"bad_level", R"(^done,stack-args=[frame={level="0x1",args=[]}])", ErrorKind::Parse,
     "stack-args frame 0 has a bad level '0x1'"},
    {"gdb_error", R"(^error,msg="No stack.")", ErrorKind::Gdb, "-stack-list-arguments failed: No stack."},
};
INSTANTIATE_TEST_SUITE_P(Bad, BadArgumentsTest, ::testing::ValuesIn(kBadArguments),
                         [](const auto& case_info) { return std::string(case_info.param.name); });

TEST(AttachArgumentsTest, EachFrameGetsTheArgumentsOfItsLevel) {
  std::vector<StackFrame> frames = {frame(0, "0x1", "do_loopback", {}, {}, {}, {{"old", "1"}}),
                                    frame(1, "0x2", "path_mount"),
                                    frame(2, "0x3", "do_mount", {}, {}, {}, {{"kept", "1"}})};
  const std::vector<FrameArguments> arguments = {
      {1, {{"dev_name", "0x1 \"/myproc\""}}}, {0, {{"recurse", "1"}}}, {7, {{"nobody", "0"}}}};
  attach_arguments(frames, arguments);
  EXPECT_EQ(frames[0].args, (std::vector<FrameArg>{{"recurse", "1"}}));
  EXPECT_EQ(frames[1].args, (std::vector<FrameArg>{{"dev_name", "0x1 \"/myproc\""}}));
  EXPECT_EQ(frames[2].args, (std::vector<FrameArg>{{"kept", "1"}}));
}

}  // namespace
}  // namespace kh::mi
