// How a hit reads its task: the commands per kernel layout, and the decoding of gdb's answers.
#include "engine/task_reader.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mi/mi_parser.h"
#include "task_bytes.h"

namespace kh::engine {
namespace {

mi::ResultRecord answer(const std::string& line) {
  auto record = mi::parse_line(line);
  EXPECT_TRUE(record.ok()) << line;
  return std::get<mi::ResultRecord>(std::move(*record));
}

using test_data::task_bytes;
constexpr TaskLayout kLayout = test_data::kLayout61;

std::string read_answer(const std::string& hex) {
  return "5^done,memory=[{begin=\"0xffff8880002992b8\",offset=\"0x0000000000000000\",end="
         "\"0xffff888000299420\","
         "contents=\"" +
         hex + "\"}]";
}

TEST(TaskLayout, SpansBothFieldsWhicheverComesFirst) {
  EXPECT_EQ(kLayout.begin(), 696u);
  EXPECT_EQ(kLayout.end(), 1056u);
  constexpr TaskLayout kCommFirst{900, 4, 100, 16};
  EXPECT_EQ(kCommFirst.begin(), 100u);
  EXPECT_EQ(kCommFirst.end(), 904u);
}

TEST(TaskReader, ByLayoutIsOneReadOfTheSpanAtTheTask) {
  TaskReader reader = TaskReader::by_layout("current_task", kLayout);
  ASSERT_EQ(reader.commands().size(), 1u);
  EXPECT_EQ(reader.commands()[0], "-data-read-memory-bytes -o 696 \"current_task\" 360");
  EXPECT_EQ(TaskReader::by_layout("$lx_current()", kLayout).commands()[0],
            "-data-read-memory-bytes -o 696 \"$lx_current()\" 360");
}

TEST(TaskReader, DecodesPidAndCommFromTheBytes) {
  TaskReader reader = TaskReader::by_layout("current_task", kLayout);
  trace::Hit hit;
  const std::vector<mi::ResultRecord> answers = {answer(read_answer(task_bytes("16000000", "mnt_ns_clone")))};
  reader.decode(answers, hit);
  EXPECT_EQ(hit.task_pid, 22);
  EXPECT_EQ(hit.task_comm, "mnt_ns_clone");
}

TEST(TaskReader, ACommOfSixteenBytesHasNoNulAndIsKeptWhole) {
  TaskReader reader = TaskReader::by_layout("current_task", kLayout);
  trace::Hit hit;
  const std::vector<mi::ResultRecord> answers = {
      answer(read_answer(task_bytes("01010000", "abcdefghijklmnop")))};
  reader.decode(answers, hit);
  EXPECT_EQ(hit.task_pid, 257);
  EXPECT_EQ(hit.task_comm, "abcdefghijklmnop");
}

TEST(TaskReader, AnErrorAShortReadOrBadHexLeavesTheTaskUnknown) {
  TaskReader reader = TaskReader::by_layout("current_task", kLayout);
  const std::vector<std::string> lines = {
      "5^error,msg=\"Cannot access memory at address 0x2b8\"",
      read_answer("16000000"),
      read_answer(task_bytes("1600000g", "x")),
      read_answer(task_bytes("16000000", "x") + "0"),
      "5^done,memory=[]",
  };
  for (const std::string& line : lines) {
    trace::Hit hit;
    const std::vector<mi::ResultRecord> answers = {answer(line)};
    reader.decode(answers, hit);
    EXPECT_EQ(hit.task_pid, -1) << line;
    EXPECT_EQ(hit.task_comm, "") << line;
  }
}

TEST(TaskReader, ByExpressionsEvaluatesPidAndComm) {
  TaskReader reader = TaskReader::by_expressions("current_task");
  ASSERT_EQ(reader.commands().size(), 2u);
  EXPECT_EQ(reader.commands()[0], "-data-evaluate-expression \"current_task->pid\"");
  EXPECT_EQ(reader.commands()[1], "-data-evaluate-expression \"current_task->comm\"");
  trace::Hit hit;
  const std::vector<mi::ResultRecord> answers = {answer("3^done,value=\"37\""),
                                                 answer("4^done,value=\"\\\"nsclone\\\\000\\\\000\\\"\"")};
  reader.decode(answers, hit);
  EXPECT_EQ(hit.task_pid, 37);
  EXPECT_EQ(hit.task_comm, "nsclone");
}

TEST(TaskReader, NoReaderReadsNothing) {
  TaskReader reader;
  EXPECT_TRUE(reader.commands().empty());
  trace::Hit hit;
  reader.decode({}, hit);
  EXPECT_EQ(hit.task_pid, -1);
}

TEST(TaskReader, SaysHowItReadsForGdbsPythonToDoTheSame) {
  TaskReader by_layout = TaskReader::by_layout("current_task", kLayout);
  EXPECT_EQ(by_layout.task_expression(), "current_task");
  ASSERT_TRUE(by_layout.layout().has_value());
  EXPECT_EQ(by_layout.layout()->begin(), 696u);
  EXPECT_TRUE(by_layout.expressions().empty());
  TaskReader by_expressions = TaskReader::by_expressions("$lx_current()");
  EXPECT_EQ(by_expressions.task_expression(), "$lx_current()");
  EXPECT_FALSE(by_expressions.layout().has_value());
  EXPECT_EQ(by_expressions.expressions(), (std::vector<std::string>{"$lx_current()->pid", "$lx_current()->comm"}));
}

TEST(TaskReader, DecodesTheTextsGdbsPythonReadAsItDecodesMiAnswers) {
  TaskReader by_layout = TaskReader::by_layout("current_task", kLayout);
  trace::Hit hit;
  const std::vector<std::optional<std::string>> bytes = {task_bytes("16000000", "mnt_ns_clone")};
  by_layout.decode_texts(bytes, hit);
  EXPECT_EQ(hit.task_pid, 22);
  EXPECT_EQ(hit.task_comm, "mnt_ns_clone");

  TaskReader by_expressions = TaskReader::by_expressions("current_task");
  trace::Hit evaluated;
  const std::vector<std::optional<std::string>> values = {"7", R"("sh", '\000' <repeats 13 times>)"};
  by_expressions.decode_texts(values, evaluated);
  EXPECT_EQ(evaluated.task_pid, 7);
  EXPECT_EQ(evaluated.task_comm, "sh");

  // A failed read (nullopt), or the wrong number of texts, leaves the task unknown.
  trace::Hit unknown;
  const std::vector<std::optional<std::string>> failed = {std::nullopt};
  by_layout.decode_texts(failed, unknown);
  by_expressions.decode_texts(failed, unknown);
  EXPECT_EQ(unknown.task_pid, -1);
  EXPECT_EQ(unknown.task_comm, "");
}

}  // namespace
}  // namespace kh::engine
