// How a hit reads its task: the commands per kernel layout, and the decoding of gdb's answers.
#include "engine/task_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mi/mi_parser.h"

namespace kh::engine {
namespace {

mi::ResultRecord answer(const std::string& line) {
  auto record = mi::parse_line(line);
  EXPECT_TRUE(record.ok()) << line;
  return std::get<mi::ResultRecord>(std::move(*record));
}

// 6.1's layout: pid at 696 (4 bytes), comm at 1040 (16 bytes).
constexpr TaskLayout kLayout{696, 4, 1040, 16};

// The hex of a read of kLayout's span: pid, zeros, then comm padded with NULs.
std::string task_bytes(std::string_view pid_hex, std::string_view comm) {
  std::string hex(pid_hex);
  hex += std::string(std::size_t{2} * (1040 - 700), '0');
  for (char c : comm) {
    hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
  }
  hex += std::string(2 * (16 - comm.size()), '0');
  return hex;
}

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

}  // namespace
}  // namespace kh::engine
