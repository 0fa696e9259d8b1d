// The task a hit happened in: its pid and comm, asked of gdb together with the hit's other
// commands (HitCollector). Once gdb has the kernel's types, both come from one read of the
// task_struct bytes that span them (the pointer, then one memory packet); before that, or when the
// layout cannot be known, from two expressions (<task>->pid, <task>->comm), four memory packets.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.h"
#include "common/result.h"
#include "mi/mi_record.h"
#include "mi/mi_session.h"
#include "trace/trace_model.h"

namespace kh::engine {

// Where pid and comm sit in the kernel's struct task_struct (bytes from its start).
struct TaskLayout {
  std::size_t pid_offset = 0;
  std::size_t pid_size = 0;
  std::size_t comm_offset = 0;
  std::size_t comm_size = 0;

  // The bytes one read must cover: from the first field to the end of the last.
  std::size_t begin() const;
  std::size_t end() const;
};

// Asks gdb (symbols loaded; no target needed) for the layout: offsets and sizes of
// task_struct.pid and task_struct.comm, one pipelined write. Fails with Gdb when gdb cannot say
// (no task_struct type, no such field), Parse when an answer is not a number, Config when pid is
// not a 4- or 8-byte integer.
Result<TaskLayout> query_task_layout(mi::MiSession& gdb, Deadline deadline);

// The task's comm from gdb's print of a char[16] ("\"nsclone\\000\\000...\"" -> "nsclone").
std::string comm_from_value(std::string_view value);

class TaskReader {
 public:
  // No task is read: commands() is empty and decode() leaves the hit alone.
  TaskReader() = default;
  // <current_task>->pid and <current_task>->comm, evaluated by gdb.
  static TaskReader by_expressions(std::string_view current_task);
  // One -data-read-memory-bytes at <current_task> + layout.begin().
  static TaskReader by_layout(std::string_view current_task, const TaskLayout& layout);

  // The MI commands that read the task; their answers go to decode() in the same order.
  const std::vector<std::string>& commands() const { return commands_; }

  // Sets hit.task_pid and hit.task_comm from the answers to commands(); an answer that is an error
  // or malformed leaves its field as it was (task_pid -1, task_comm empty). Never fails: the task
  // is evidence, not a condition of the hit.
  void decode(std::span<const mi::ResultRecord> answers, trace::Hit& hit) const;

  // The same reads done elsewhere (gdb's Python, engine_hits.py): the current-task expression,
  // the layout for by_layout, the two expressions for by_expressions. decode_texts() takes what
  // they gave, one text per command, nullopt for a read that failed: the hex of the bytes read
  // from <task> + layout.begin(), or the two values as gdb printed them.
  const std::string& task_expression() const { return task_; }
  const std::optional<TaskLayout>& layout() const { return layout_; }
  const std::vector<std::string>& expressions() const { return expressions_; }
  void decode_texts(std::span<const std::optional<std::string>> texts, trace::Hit& hit) const;

 private:
  std::vector<std::string> commands_;
  std::string task_;
  std::vector<std::string> expressions_;  // set for by_expressions
  std::optional<TaskLayout> layout_;      // set for by_layout
};

}  // namespace kh::engine
