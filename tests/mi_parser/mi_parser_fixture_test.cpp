// The real gdb 13 transcripts of the trace-mount flow (tests/fixtures/gdb-mi): every line parses,
// formats back byte for byte, and the records the trace engine relies on hold what gdb printed.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mi/mi_parser.h"
#include "mi_parser/record_description.h"

namespace kh::mi {
namespace {

const std::string kFixtures = KH_FIXTURES_DIR;
const std::string k419 = kFixtures + "/trace-mount-linux-4.19.304.mi";
const std::string k61 = kFixtures + "/trace-mount-linux-source-6.1.mi";

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  if (lines.empty()) {
    ADD_FAILURE() << "cannot read fixture " << path;
  }
  return lines;
}

// The first line that starts with `prefix` and contains `part`; "" and a test failure if none.
std::string find_line(const std::vector<std::string>& lines, std::string_view prefix,
                      std::string_view part = "") {
  for (const auto& line : lines) {
    if (line.starts_with(prefix) && line.find(part) != std::string::npos) {
      return line;
    }
  }
  ADD_FAILURE() << "no fixture line starts with " << prefix << " and contains " << part;
  return "";
}

// Parses `line` as a record of type R; a test failure (and an empty R) when it is not one.
template <typename R>
R parse_as(const std::string& line) {
  auto record = parse_line(line);
  if (!record.ok()) {
    ADD_FAILURE() << record.error().message << "\n" << line;
    return R{};
  }
  if (!std::holds_alternative<R>(*record)) {
    ADD_FAILURE() << "unexpected record kind: " << testing::describe(*record);
    return R{};
  }
  return std::get<R>(std::move(*record));
}

std::vector<std::string> field_of_each(const Value& list, std::string_view key) {
  std::vector<std::string> fields;
  for (std::size_t i = 0; i < list.size(); ++i) {
    fields.push_back(list.at(i).get(key).str());
  }
  return fields;
}

struct Transcript {
  const char* name;
  std::string path;
  std::size_t lines;
  // Records per kind, as counted with grep on the line prefixes.
  std::map<std::string, std::size_t> kinds;
};

void PrintTo(const Transcript& transcript, std::ostream* out) {
  *out << transcript.name;
}

std::string kind_of(const Record& record) {
  if (const auto* result = std::get_if<ResultRecord>(&record)) {
    return "^" + std::string(to_string(result->result_class));
  }
  if (const auto* async = std::get_if<AsyncRecord>(&record)) {
    return async->kind == AsyncKind::Exec ? "*" : async->kind == AsyncKind::Status ? "+" : "=";
  }
  if (const auto* stream = std::get_if<StreamRecord>(&record)) {
    return stream->kind == StreamKind::Console ? "~" : stream->kind == StreamKind::Target ? "@" : "&";
  }
  return "(gdb)";
}

class TranscriptTest : public ::testing::TestWithParam<Transcript> {};

TEST_P(TranscriptTest, EveryLineParses) {
  const auto lines = read_lines(GetParam().path);
  ASSERT_EQ(lines.size(), GetParam().lines);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto record = parse_line(lines[i]);
    EXPECT_TRUE(record.ok()) << GetParam().path << ":" << i + 1 << ": " << record.error().message;
  }
}

TEST_P(TranscriptTest, EveryLineFormatsBackByteForByte) {
  const auto lines = read_lines(GetParam().path);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto record = parse_line(lines[i]);
    ASSERT_TRUE(record.ok()) << GetParam().path << ":" << i + 1 << ": " << record.error().message;
    EXPECT_EQ(format_record(*record), lines[i]) << GetParam().path << ":" << i + 1;
  }
}

// format -> parse -> format gives the same bytes again (and they are gdb's own).
TEST_P(TranscriptTest, FormatParseFormatIsByteIdentical) {
  const auto lines = read_lines(GetParam().path);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto record = parse_line(lines[i]);
    ASSERT_TRUE(record.ok()) << GetParam().path << ":" << i + 1 << ": " << record.error().message;
    const std::string formatted = format_record(*record);
    auto reparsed = parse_line(formatted);
    ASSERT_TRUE(reparsed.ok()) << formatted << "\n" << reparsed.error().message;
    EXPECT_EQ(format_record(*reparsed), formatted) << GetParam().path << ":" << i + 1;
    EXPECT_EQ(testing::describe(*reparsed), testing::describe(*record)) << GetParam().path << ":" << i + 1;
  }
}

TEST_P(TranscriptTest, RecordKindsMatchTheLinePrefixes) {
  std::map<std::string, std::size_t> kinds;
  for (const auto& line : read_lines(GetParam().path)) {
    auto record = parse_line(line);
    ASSERT_TRUE(record.ok()) << record.error().message;
    ++kinds[kind_of(*record)];
  }
  EXPECT_EQ(kinds, GetParam().kinds);
}

const Transcript kLinux419Transcript{"linux_4_19",
                                     k419,
                                     178,
                                     {{"(gdb)", 60},
                                      {"^done", 14},
                                      {"^running", 10},
                                      {"^connected", 1},
                                      {"^error", 24},
                                      {"*", 20},
                                      {"=", 14},
                                      {"~", 33},
                                      {"&", 2}}};
const Transcript kLinux61Transcript{"linux_6_1",
                                    k61,
                                    168,
                                    {{"(gdb)", 55},
                                     {"^done", 14},
                                     {"^running", 10},
                                     {"^connected", 1},
                                     {"^error", 19},
                                     {"*", 20},
                                     {"=", 14},
                                     {"~", 33},
                                     {"&", 2}}};
INSTANTIATE_TEST_SUITE_P(Fixtures, TranscriptTest, ::testing::Values(kLinux419Transcript, kLinux61Transcript),
                         [](const auto& case_info) { return std::string(case_info.param.name); });

struct Arg {
  std::string name;
  std::string value;
  bool operator==(const Arg&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Arg& arg) {
  return out << arg.name << "=" << arg.value;
}

std::vector<Arg> args_of(const Value& frame) {
  std::vector<Arg> args;
  const Value& list = frame.get("args");
  for (std::size_t i = 0; i < list.size(); ++i) {
    args.push_back({list.at(i).get("name").str(), list.at(i).get("value").str()});
  }
  return args;
}

TEST(Linux419Transcript, BreakpointHitStopHasFrameWithArguments) {
  const auto stop = parse_as<AsyncRecord>(find_line(read_lines(k419), R"(*stopped,reason="breakpoint-hit")"));
  EXPECT_EQ(stop.kind, AsyncKind::Exec);
  EXPECT_EQ(stop.token, "");
  EXPECT_EQ(stop.async_class, "stopped");
  EXPECT_EQ(stop.get("reason").str(), "breakpoint-hit");
  EXPECT_EQ(stop.get("bkptno").str(), "1");
  EXPECT_EQ(stop.get("thread-id").str(), "1");
  EXPECT_EQ(stop.get("stopped-threads").str(), "all");
  const Value& frame = stop.get("frame");
  ASSERT_TRUE(frame.is_tuple());
  EXPECT_EQ(frame.get("addr").str(), "0xffffffff810a27e6");
  EXPECT_EQ(frame.get("func").str(), "copy_mnt_ns");
  EXPECT_EQ(frame.get("file").str(), "fs/namespace.c");
  EXPECT_EQ(frame.get("fullname").str(), "/usr/src/linux-4.19.304/fs/namespace.c");
  EXPECT_EQ(frame.get("line").str(), "2905");
  ASSERT_TRUE(frame.get("args").is_list());
  EXPECT_TRUE(std::get<List>(frame.get("args").data).keys.empty());
  const std::vector<Arg> expected = {{"flags", "131584"},
                                     {"ns", "0xffff8880000841b8"},
                                     {"user_ns", "0xffffffff8183f600 <init_user_ns>"},
                                     {"new_fs", "0xffff88800001e080"}};
  EXPECT_EQ(args_of(frame), expected);
}

TEST(Linux419Transcript, StackOfTheBindMountHasInlinedAndTrailingUnknownFrames) {
  const auto reply = parse_as<ResultRecord>(find_line(read_lines(k419), "^done,stack=", "__do_sys_mount"));
  EXPECT_EQ(reply.result_class, ResultClass::Done);
  const Value& stack = reply.get("stack");
  ASSERT_TRUE(stack.is_list());
  const auto& list = std::get<List>(stack.data);
  EXPECT_EQ(list.keys, std::vector<std::string>(14, "frame"));
  EXPECT_EQ(stack.get_all("frame").size(), 14u);
  const std::vector<std::string> funcs = {"attach_recursive_mnt",
                                          "graft_tree",
                                          "do_add_mount",
                                          "do_new_mount",
                                          "do_mount",
                                          "ksys_mount",
                                          "__do_sys_mount",
                                          "__se_sys_mount",
                                          "__x64_sys_mount",
                                          "do_syscall_64",
                                          "entry_SYSCALL_64",
                                          "??",
                                          "??",
                                          "??"};
  EXPECT_EQ(field_of_each(stack, "func"), funcs);
  std::vector<std::string> levels;
  levels.reserve(14);
  for (int level = 0; level < 14; ++level) {
    levels.push_back(std::to_string(level));
  }
  EXPECT_EQ(field_of_each(stack, "level"), levels);
  // Inlined frames share the address of the frame they are inlined into.
  EXPECT_EQ(stack.at(3).get("addr").str(), "0xffffffff810a27bc");
  EXPECT_EQ(stack.at(4).get("addr").str(), "0xffffffff810a27bc");
  EXPECT_EQ(stack.at(6).get("addr").str(), "0xffffffff810a2a16");
  EXPECT_EQ(stack.at(7).get("addr").str(), "0xffffffff810a2a16");
  EXPECT_EQ(stack.at(8).get("addr").str(), "0xffffffff810a2a16");
  EXPECT_EQ(stack.at(12).get("addr").str(), "0x00007fff5457b418");
  EXPECT_EQ(stack.at(13).get("addr").str(), "0x0000000000000000");
  // Unknown frames carry no source position.
  EXPECT_EQ(stack.at(13).find("file"), nullptr);
  EXPECT_EQ(stack.at(13).get("arch").str(), "i386:x86-64");
  EXPECT_EQ(stack.at(10).get("fullname").str(), "/usr/src/linux-4.19.304/arch/x86/entry/entry_64.S");
}

TEST(Linux419Transcript, ErrorRepliesCarryGdbsMessages) {
  std::map<std::string, int> messages;
  for (const auto& line : read_lines(k419)) {
    if (line.starts_with("^error")) {
      const auto reply = parse_as<ResultRecord>(line);
      EXPECT_EQ(reply.result_class, ResultClass::Error);
      ++messages[reply.error_message()];
    }
  }
  const std::map<std::string, int> expected = {
      {"-data-evaluate-expression: Usage: -data-evaluate-expression expression", 14},
      {"No registers.", 5},
      {"The program is not being run.", 5}};
  EXPECT_EQ(messages, expected);
}

TEST(Linux419Transcript, NotifyRecords) {
  const auto lines = read_lines(k419);
  const auto added = parse_as<AsyncRecord>(lines.front());
  EXPECT_EQ(added.kind, AsyncKind::Notify);
  EXPECT_EQ(added.async_class, "thread-group-added");
  ASSERT_EQ(added.results.fields.size(), 1u);
  EXPECT_EQ(added.get("id").str(), "i1");

  const auto modified = parse_as<AsyncRecord>(find_line(lines, "=breakpoint-modified"));
  EXPECT_EQ(modified.kind, AsyncKind::Notify);
  const Value& bkpt = modified.get("bkpt");
  EXPECT_EQ(bkpt.get("number").str(), "1");
  EXPECT_EQ(bkpt.get("times").str(), "1");
  EXPECT_EQ(bkpt.get("original-location").str(), "copy_mnt_ns");
  const Value& groups = bkpt.get("thread-groups");
  ASSERT_TRUE(groups.is_list());
  EXPECT_TRUE(std::get<List>(groups.data).keys.empty());
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups.at(0).str(), "i1");
}

TEST(Linux419Transcript, StreamRecordsAreUnescaped) {
  const auto lines = read_lines(k419);
  const auto console = parse_as<StreamRecord>(find_line(lines, "~\"To enable execution"));
  EXPECT_EQ(console.kind, StreamKind::Console);
  EXPECT_EQ(console.text, "To enable execution of this file add\n\tadd-auto-load-safe-path ");

  const auto log = parse_as<StreamRecord>(find_line(lines, "&\"warning: File"));
  EXPECT_EQ(log.kind, StreamKind::Log);
  EXPECT_EQ(log.text,
            "warning: File \"/usr/src/linux-4.19.304/scripts/gdb/vmlinux-gdb.py\" auto-loading has been "
            "declined by your `auto-load safe-path' set to \"$debugdir:$datadir/auto-load\".\n");

  const auto source_line = parse_as<StreamRecord>(find_line(lines, "~\"2905"));
  EXPECT_EQ(source_line.text, "2905\t\tBUG_ON(!ns);\n");
}

TEST(Linux419Transcript, ConnectionRecords) {
  const auto lines = read_lines(k419);
  const auto connected = parse_as<ResultRecord>(find_line(lines, "^connected"));
  EXPECT_EQ(connected.result_class, ResultClass::Connected);
  EXPECT_TRUE(connected.results.fields.empty());

  const auto first_stop = parse_as<AsyncRecord>(find_line(lines, "*stopped,frame="));
  const Value& args = first_stop.get("frame").get("args");
  EXPECT_TRUE(args.is_list());
  EXPECT_EQ(args.size(), 0u);
  EXPECT_EQ(first_stop.get("frame").get("func").str(), "??");
}

TEST(Linux61Transcript, BreakpointHitStopKeepsEntryValuesInOrder) {
  const auto stop = parse_as<AsyncRecord>(find_line(read_lines(k61), R"(*stopped,reason="breakpoint-hit")"));
  const std::vector<Arg> expected = {{"flags", "131584"},
                                     {"flags@entry", "131584"},
                                     {"ns", "0xffff888000152388"},
                                     {"user_ns", "0xffffffff8184e2c0 <init_user_ns>"},
                                     {"user_ns@entry", "0xffffffff8184e2c0 <init_user_ns>"},
                                     {"new_fs", "0xffff888000184100"},
                                     {"new_fs@entry", "0xffff888000184100"}};
  EXPECT_EQ(args_of(stop.get("frame")), expected);
}

TEST(Linux61Transcript, StackOfTheGuestCloneEndsInUnknownFrames) {
  const auto reply = parse_as<ResultRecord>(find_line(read_lines(k61), "^done,stack=", "kernel_clone"));
  const Value& stack = reply.get("stack");
  ASSERT_EQ(stack.size(), 33u);
  std::vector<std::string> funcs = {"copy_mnt_ns",    "create_new_namespaces", "copy_namespaces",
                                    "copy_process",   "kernel_clone",          "__do_sys_clone",
                                    "__se_sys_clone", "__x64_sys_clone",       "x64_sys_call",
                                    "do_syscall_x64", "do_syscall_64",         "entry_SYSCALL_64"};
  funcs.resize(33, "??");
  EXPECT_EQ(field_of_each(stack, "func"), funcs);
  EXPECT_EQ(stack.at(32).get("level").str(), "32");
}

TEST(Linux61Transcript, InlinedPathMountSharesItsAddress) {
  const auto reply = parse_as<ResultRecord>(find_line(read_lines(k61), "^done,stack=", "init_mount"));
  const Value& stack = reply.get("stack");
  ASSERT_EQ(stack.size(), 12u);
  EXPECT_EQ(field_of_each(stack, "func")[3], "do_new_mount_fc");
  EXPECT_EQ(field_of_each(stack, "func")[5], "path_mount");
  for (std::size_t i : {3, 4, 5}) {
    EXPECT_EQ(stack.at(i).get("addr").str(), "0xffffffff810c4afb") << i;
  }
}

}  // namespace
}  // namespace kh::mi
