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

// Escapes in c-strings: one rule, read and written alike. gdb writes MI strings with printchar()
// (gdb/utils.c) and sevenbit-strings on, so it emits only: \n \b \t \f \r \e (0x1b) \a, \" and
// \\, and three-digit octal \NNN for every other byte below 0x20, for 0x7f and for every byte from
// 0x80 up (UTF-8 text arrives as octal bytes); all else is raw printable ASCII.
//   Read:  all of that, plus the remaining C escapes a tolerant reader takes: \v \' \?, and C's
//          one- and two-digit octal (\0, \12; at most three digits are read, value <= 0377).
//          Raw bytes other than '"' and '\' are taken as they are. Anything else after a
//          backslash is a parse error: \x (gdb never writes hex, and C's \x has no length
//          limit), \u, \8, a backslash at the end of the line.
//   Write: exactly gdb's output above, so format_record() reproduces gdb's lines byte for byte.

// Parses one line of gdb/MI output (without its '\n'; one trailing '\r' is ignored) into a record,
// following the grammar of the GDB manual, "GDB/MI Output Syntax", with one extension gdb needs:
// a bare tuple in place of a result of a record (`+download,{section=".text",...}`) is an
// unnamed Field. Runs in time linear in the line. Fails with ErrorKind::Parse, Error::column set
// to the 1-based column and a message "column N: expected ..., found ..." on any malformed line,
// including an empty one, and with ErrorKind::Internal if memory runs out; never throws.
kh::Result<Record> parse_line(std::string_view line);

// Renders a value in MI syntax, escaping strings as gdb does (see above), so that
// parse_line(format_record(r)) gives back r for every parsed r. An unnamed field is written as
// its bare value, as gdb does; only an unnamed tuple of a record parses back. Cannot fail.
std::string format_value(const Value& value);

// Renders a record as the single line gdb would print for it (without '\n'; the prompt is
// "(gdb) " with gdb's trailing space); for a line gdb printed, format_record(parse_line(line))
// is that line. Cannot fail.
std::string format_record(const Record& record);

}  // namespace kh::mi
