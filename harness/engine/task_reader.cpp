#include "engine/task_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "trace/gdb_value.h"
#include "mi/mi_commands.h"

namespace kh::engine {
namespace {

// A task_struct every kernel has, as a global: looking the type up by name ("struct task_struct")
// costs gdb ~18 ms per expression (every compilation unit defines it), a global's symbol ~0.1 ms.
constexpr std::string_view kTask = "init_task";

Result<std::size_t> number_answer(const mi::ResultRecord& answer, std::string_view what) {
  if (answer.result_class != mi::ResultClass::Done) {
    return make_error(ErrorKind::Gdb, "gdb cannot tell the {} of struct task_struct: {}", what,
                      answer.error_message());
  }
  const std::string& text = answer.get("value").str();
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return make_error(ErrorKind::Parse, "gdb gave the {} of struct task_struct as '{}', not a number", what,
                      text);
  }
  return value;
}

// The bytes of `hex` (two digits each); nullopt when a digit is not hex or one is left over.
std::optional<std::vector<std::uint8_t>> hex_bytes(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    if (ec != std::errc() || end != hex.data() + i + 2) {
      return std::nullopt;
    }
    bytes.push_back(static_cast<std::uint8_t>(value));
  }
  return bytes;
}

// The bytes of a -data-read-memory-bytes answer that start where the read started, as hex
// ("contents"); empty when the answer is an error or the read began elsewhere.
std::string_view read_contents(const mi::ResultRecord& answer) {
  if (answer.result_class != mi::ResultClass::Done) {
    return {};
  }
  const mi::Value& blocks = answer.get("memory");
  if (blocks.size() == 0) {
    return {};
  }
  const mi::Value& first = blocks.at(0);
  const std::string& offset = first.get("offset").str();
  if (offset != "0x0000000000000000" && offset != "0x0" && offset != "0") {
    return {};
  }
  return first.get("contents").str();
}

}  // namespace

std::string comm_from_value(std::string_view value) {
  if (auto text = trace::c_string(value)) {
    return text->text;
  }
  return std::string(value);
}

std::size_t TaskLayout::begin() const {
  return std::min(pid_offset, comm_offset);
}

std::size_t TaskLayout::end() const {
  return std::max(pid_offset + pid_size, comm_offset + comm_size);
}

Result<TaskLayout> query_task_layout(mi::MiSession& gdb, Deadline deadline) {
  const std::vector<std::string> commands = {
      mi::evaluate_expression(fmt::format("(unsigned long)&{0}.pid - (unsigned long)&{0}", kTask)),
      mi::evaluate_expression(fmt::format("sizeof({}.pid)", kTask)),
      mi::evaluate_expression(fmt::format("(unsigned long)&{0}.comm - (unsigned long)&{0}", kTask)),
      mi::evaluate_expression(fmt::format("sizeof({}.comm)", kTask)),
  };
  KH_ASSIGN_OR_RETURN(std::vector<mi::ResultRecord> answers, gdb.pipeline(commands, deadline));
  TaskLayout layout;
  KH_ASSIGN_OR_RETURN(layout.pid_offset, number_answer(answers[0], "offset of pid"));
  KH_ASSIGN_OR_RETURN(layout.pid_size, number_answer(answers[1], "size of pid"));
  KH_ASSIGN_OR_RETURN(layout.comm_offset, number_answer(answers[2], "offset of comm"));
  KH_ASSIGN_OR_RETURN(layout.comm_size, number_answer(answers[3], "size of comm"));
  if (layout.pid_size != 4 && layout.pid_size != 8) {
    return make_error(ErrorKind::Config, "task_struct.pid is {} bytes, not a 4- or 8-byte integer",
                      layout.pid_size);
  }
  return layout;
}

TaskReader TaskReader::by_expressions(std::string_view current_task) {
  TaskReader reader;
  reader.task_ = std::string(current_task);
  reader.expressions_ = {fmt::format("{}->pid", current_task), fmt::format("{}->comm", current_task)};
  for (const std::string& expression : reader.expressions_) {
    reader.commands_.push_back(mi::evaluate_expression(expression));
  }
  return reader;
}

TaskReader TaskReader::by_layout(std::string_view current_task, const TaskLayout& layout) {
  TaskReader reader;
  reader.task_ = std::string(current_task);
  reader.commands_ = {fmt::format("-data-read-memory-bytes -o {} {} {}", layout.begin(),
                                  mi::quote(current_task), layout.end() - layout.begin())};
  reader.layout_ = layout;
  return reader;
}

void TaskReader::decode(std::span<const mi::ResultRecord> answers, trace::Hit& hit) const {
  if (answers.size() != commands_.size() || commands_.empty()) {
    return;
  }
  std::vector<std::optional<std::string>> texts;
  texts.reserve(answers.size());
  for (const mi::ResultRecord& answer : answers) {
    if (answer.result_class != mi::ResultClass::Done) {
      texts.emplace_back();
    } else if (layout_) {
      texts.emplace_back(std::string(read_contents(answer)));
    } else {
      texts.emplace_back(answer.get("value").str());
    }
  }
  decode_texts(texts, hit);
}

void TaskReader::decode_texts(std::span<const std::optional<std::string>> texts, trace::Hit& hit) const {
  if (texts.size() != commands_.size() || commands_.empty()) {
    return;
  }
  if (!layout_) {
    if (texts[0]) {
      std::from_chars(texts[0]->data(), texts[0]->data() + texts[0]->size(), hit.task_pid);
    }
    if (texts[1]) {
      hit.task_comm = comm_from_value(*texts[1]);
    }
    return;
  }
  const auto bytes = texts[0] ? hex_bytes(*texts[0]) : std::nullopt;
  if (!bytes || bytes->size() < layout_->end() - layout_->begin()) {
    return;
  }
  // Little-endian (x86-64), signed.
  const std::size_t pid_at = layout_->pid_offset - layout_->begin();
  std::uint64_t pid = 0;
  for (std::size_t i = layout_->pid_size; i-- > 0;) {
    pid = (pid << 8U) | (*bytes)[pid_at + i];
  }
  hit.task_pid = layout_->pid_size == 4 ? static_cast<std::int32_t>(static_cast<std::uint32_t>(pid))
                                        : static_cast<int>(static_cast<std::int64_t>(pid));
  // A C string: up to its NUL, at most the array.
  const std::size_t comm_at = layout_->comm_offset - layout_->begin();
  std::string comm;
  for (std::size_t i = 0; i < layout_->comm_size && (*bytes)[comm_at + i] != 0; ++i) {
    comm.push_back(static_cast<char>((*bytes)[comm_at + i]));
  }
  hit.task_comm = std::move(comm);
}

}  // namespace kh::engine
