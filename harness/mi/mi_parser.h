// The pure GDB/MI output parser: one line of gdb output in, one typed record out. No I/O, no state
// between lines; buffering, tokens and timeouts belong to the MI session above it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"
#include "mi/mi_record.h"

namespace kh::mi {

// Tuples and lists nested deeper than this are rejected, so hostile input cannot exhaust the stack.
inline constexpr std::size_t kMaxNestingDepth = 256;

// Parses one line of gdb/MI output (without its '\n'; one trailing '\r' is ignored) into a record,
// following the grammar of the GDB manual, "GDB/MI Output Syntax". Runs in time linear in the line.
// Fails with ErrorKind::Parse and a message "column N: expected ..., found ..." (1-based column)
// on any malformed line, including an empty one, and with ErrorKind::Internal if memory runs
// out; never throws.
kh::Result<Record> parse_line(std::string_view line);

// Renders a value in MI syntax, escaping strings the way gdb does, so that
// parse_line(format_record(r)) gives back r. Cannot fail.
std::string format_value(const Value& value);

// Renders a record as the single line gdb would print for it (without '\n'; the prompt is
// "(gdb) " with gdb's trailing space). Cannot fail.
std::string format_record(const Record& record);

}  // namespace kh::mi
