// Typed GDB/MI output records, as defined in the GDB manual, section "GDB/MI Output Syntax".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace kh::mi {

struct Value;
struct Field;

// A tuple `{result, ...}`: the fields in gdb's order, duplicate names kept (gdb emits them).
struct Tuple {
  std::vector<Field> fields;
};

// A list `[value, ...]` or `[result, ...]`. For a list of results, `keys[i]` is the variable of
// `values[i]` (e.g. "frame" in `stack=[frame={...},frame={...}]`); for a list of values `keys` is empty.
struct List {
  std::vector<Value> values;
  std::vector<std::string> keys;
};

// A value: a c-string (already unescaped), a tuple or a list.
struct Value {
  std::variant<std::string, Tuple, List> data;

  bool is_string() const { return data.index() == 0; }
  bool is_tuple() const { return data.index() == 1; }
  bool is_list() const { return data.index() == 2; }

  // The string, or "" when this is not a string.
  const std::string& str() const;
  // The first value named `key` in a tuple (or list of results); a shared empty value when absent
  // or when this is not a tuple, so that chains like v.get("frame").get("func").str() never throw.
  const Value& get(std::string_view key) const;
  // Like get(), but nullptr when absent. The key "" finds the first unnamed field.
  const Value* find(std::string_view key) const;
  // Every value named `key` (duplicate keys), in order.
  std::vector<const Value*> get_all(std::string_view key) const;
  // Element `index` of a list (or the value of field `index` of a tuple); shared empty when out of range.
  const Value& at(std::size_t index) const;
  // Number of elements of a list or fields of a tuple; 0 for a string.
  std::size_t size() const;
};

// A field of a tuple or record, what the GDB manual calls a result: `variable "=" value`. `name`
// is empty for an unnamed value: gdb writes a tuple opened without a name as a bare `{...}`
// after the comma of a record (`+download,{section=".text",...}` from -target-download).
struct Field {
  std::string name;
  Value value;
};

// A vector moves its elements when it grows only if their moves cannot throw; otherwise it copies
// them, and with them every string of every nested tuple and list, on each reallocation while
// parsing: slower, and no behaviour test would notice. Keep these types nothrow-movable.
static_assert(std::is_nothrow_move_constructible_v<Value> && std::is_nothrow_move_assignable_v<Value>);
static_assert(std::is_nothrow_move_constructible_v<Field> && std::is_nothrow_move_assignable_v<Field>);
static_assert(std::is_nothrow_move_constructible_v<Tuple> && std::is_nothrow_move_constructible_v<List>);

// The shared empty value that get() and at() return when nothing matches; compare addresses with
// it to tell "absent" from "present and empty".
inline const Value& empty_value() {
  static const Value empty;
  return empty;
}

// The token of a record as a number: nullopt when `token` is empty or does not fit in 64 bits.
// Cannot fail otherwise (a token holds only digits).
std::optional<std::uint64_t> token_number(std::string_view token);

// `^done`, `^running`, `^connected`, `^error`, `^exit` (GDB manual: "GDB/MI Result Records").
enum class ResultClass { Done, Running, Connected, Error, Exit };

struct ResultRecord {
  std::string token;  // the digits gdb echoed (any length, leading zeros kept); empty when none
  ResultClass result_class = ResultClass::Done;
  Tuple results;

  const Value& get(std::string_view key) const;
  // For ^error: the `msg` field.
  const std::string& error_message() const { return get("msg").str(); }
};

// `*` exec-async, `+` status-async, `=` notify-async (GDB manual: "GDB/MI Async Records").
enum class AsyncKind { Exec, Status, Notify };

struct AsyncRecord {
  std::string token;  // the digits gdb echoed; empty when none
  AsyncKind kind = AsyncKind::Exec;
  std::string async_class;  // "stopped", "running", "breakpoint-modified", "thread-group-added", ...
  Tuple results;

  const Value& get(std::string_view key) const;
};

// `~` console, `@` target, `&` log (GDB manual: "GDB/MI Stream Records"). `text` is unescaped.
enum class StreamKind { Console, Target, Log };

struct StreamRecord {
  StreamKind kind = StreamKind::Console;
  std::string text;
};

// The `(gdb)` prompt that ends a group of output records.
struct PromptRecord {};

using Record = std::variant<ResultRecord, AsyncRecord, StreamRecord, PromptRecord>;

// Records are moved out of parse_line()'s result and queued by the session.
static_assert(std::is_nothrow_move_constructible_v<Record>);

std::string_view to_string(ResultClass result_class);

}  // namespace kh::mi
