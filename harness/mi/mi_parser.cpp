#include "mi/mi_parser.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace kh::mi {
namespace {

// Bytes that may appear in a variable, a result class or an async class. gdb itself uses
// letters, digits, '-' and '_'; any other visible byte that cannot delimit a value is accepted
// as well, so that a field added by a newer gdb does not break parsing.
constexpr std::array<bool, 256> make_name_bytes() {
  std::array<bool, 256> table{};
  for (int byte = 0x21; byte < 0x7f; ++byte) {
    table[static_cast<std::size_t>(byte)] = true;
  }
  for (char delimiter : {'=', ',', '{', '}', '[', ']', '"'}) {
    table[static_cast<unsigned char>(delimiter)] = false;
  }
  return table;
}
constexpr std::array<bool, 256> kNameBytes = make_name_bytes();

bool is_octal_digit(char c) {
  return c >= '0' && c <= '7';
}

// The index of the first '"' or '\\' in data[from, size), or size when there is none. Strings are
// most of the bytes of an MI line, so they are searched eight bytes at a time (SWAR, portable C++):
// x - 0x01..01 borrows into the high bit of a byte of x that is zero, and the lowest such bit is
// exact (a false hit can only follow a real one).
std::size_t find_quote_or_backslash(const char* data, std::size_t from, std::size_t size) {
  std::size_t i = from;
  if constexpr (std::endian::native == std::endian::little) {
    constexpr std::uint64_t kOnes = 0x0101010101010101;
    constexpr std::uint64_t kHighBits = 0x8080808080808080;
    for (; size - i >= 8; i += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, data + i, sizeof(word));
      const std::uint64_t quotes = word ^ (kOnes * '"');
      const std::uint64_t backslashes = word ^ (kOnes * '\\');
      const std::uint64_t hits =
          (((quotes - kOnes) & ~quotes) | ((backslashes - kOnes) & ~backslashes)) & kHighBits;
      if (hits != 0) {
        return i + static_cast<std::size_t>(std::countr_zero(hits)) / 8;
      }
    }
  }
  while (i < size && data[i] != '"' && data[i] != '\\') {
    ++i;
  }
  return i;
}

// A byte as it should appear in an error message.
std::string describe_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) {
    return fmt::format("'{}'", c);
  }
  return fmt::format("byte 0x{:02x}", byte);
}

// What emplace_back() builds a Field or Value from: the conversion's result is constructed in
// place (gcc and clang elide the move), the name straight from the line. emplace_back() with no
// argument value-initialises instead, zero-filling the whole Field with `rep stos` before
// constructing it, and the name was then assigned out of line: a tenth of the parse time.
struct NewField {
  std::string_view name;
  explicit operator Field() const { return Field{std::string(name), Value{}}; }
};
struct NewValue {
  explicit operator Value() const { return Value{}; }
};

// A recursive-descent parser over one line. The grammar functions return false on the first
// failure and leave its column and text in the parser; values are built in place (emplace, then
// fill) so that the hot path copies nothing.
class LineParser {
 public:
  explicit LineParser(std::string_view line) : line_(line) {}

  kh::Result<Record> parse();

 private:
  bool at_end() const { return pos_ >= line_.size(); }
  char peek() const { return line_[pos_]; }

  // What is at the current position, for "found ..." in error messages.
  std::string found() const { return at_end() ? std::string("end of line") : describe_byte(peek()); }

  // Records a failure at 0-based `pos` (reported 1-based) and returns false.
  bool fail(std::size_t pos, std::string message) {
    error_pos_ = pos;
    error_message_ = std::move(message);
    return false;
  }

  // Records "expected <what>, found <current byte>" at the current position.
  bool fail_expected(std::string_view what) {
    return fail(pos_, fmt::format("expected {}, found {}", what, found()));
  }

  bool parse_record(Record& record);
  std::string_view parse_name();
  std::string_view parse_token();
  bool parse_stream_record(StreamKind kind, Record& record);
  bool parse_prompt(Record& record);
  bool parse_result_record(std::string_view token, Record& record);
  bool parse_async_record(std::string_view token, AsyncKind kind, Record& record);
  bool parse_trailing_results(Tuple& results);
  bool parse_result(std::vector<Field>& fields, std::size_t depth);
  bool parse_variable(std::string_view& variable);
  bool parse_value(Value& value, std::size_t depth);
  bool parse_tuple(Tuple& tuple, std::size_t depth);
  bool parse_list(List& list, std::size_t depth);
  bool parse_cstring(std::string& text);
  bool parse_escaped_cstring(std::string& text, std::size_t open_pos, std::size_t first_stop);
  bool parse_escape(std::string& text);

  std::string_view line_;
  std::size_t pos_ = 0;
  std::size_t error_pos_ = 0;
  std::string error_message_;
};

kh::Result<Record> LineParser::parse() {
  // gdb ends lines with "\n"; a "\r\n" (gdb on a pty, or on Windows) must parse the same.
  if (!line_.empty() && line_.back() == '\r') {
    line_.remove_suffix(1);
  }
  Record record;
  if (!parse_record(record)) {
    Error error = kh::make_error(ErrorKind::Parse, "column {}: {}", error_pos_ + 1, error_message_);
    error.column = error_pos_ + 1;
    return error;
  }
  return record;
}

// GDB/MI Output Syntax: one `out-of-band-record`, `result-record` or `"(gdb)"` line.
bool LineParser::parse_record(Record& record) {
  if (line_.empty()) {
    return fail(0, "expected an MI record, found an empty line");
  }
  switch (peek()) {
    case '~':
      return parse_stream_record(StreamKind::Console, record);
    case '@':
      return parse_stream_record(StreamKind::Target, record);
    case '&':
      return parse_stream_record(StreamKind::Log, record);
    case '(':
      return parse_prompt(record);
    default:
      break;
  }
  const std::string_view token = parse_token();
  if (!at_end()) {
    switch (peek()) {
      case '^':
        return parse_result_record(token, record);
      case '*':
        return parse_async_record(token, AsyncKind::Exec, record);
      case '+':
        return parse_async_record(token, AsyncKind::Status, record);
      case '=':
        return parse_async_record(token, AsyncKind::Notify, record);
      default:
        break;
    }
  }
  if (!token.empty()) {
    return fail_expected("'^', '*', '+' or '=' after the token");
  }
  return fail_expected("a record prefix ('^', '*', '+', '=', '~', '@', '&', '(gdb)' or a token)");
}

// The run of name bytes at the current position, possibly empty.
std::string_view LineParser::parse_name() {
  // A local cursor: stepping pos_ itself stores it to memory on every byte, as the compiler
  // cannot keep a member in a register across the loop.
  const std::size_t start = pos_;
  std::size_t end = start;
  while (end < line_.size() && kNameBytes[static_cast<unsigned char>(line_[end])]) {
    ++end;
  }
  pos_ = end;
  return line_.substr(start, end - start);
}

// GDB/MI Output Syntax: `token -> any sequence of digits`, kept as gdb wrote it (gdb echoes the
// digits it was sent, of any length). Empty when absent, which is not an error.
std::string_view LineParser::parse_token() {
  const std::size_t start = pos_;
  std::size_t end = start;
  while (end < line_.size() && line_[end] >= '0' && line_[end] <= '9') {
    ++end;
  }
  pos_ = end;
  return line_.substr(start, end - start);
}

// GDB/MI Stream Records: `"~" c-string` (console), `"@" c-string` (target), `"&" c-string` (log).
bool LineParser::parse_stream_record(StreamKind kind, Record& record) {
  auto& stream = record.emplace<StreamRecord>();
  stream.kind = kind;
  ++pos_;
  if (at_end() || peek() != '"') {
    return fail_expected("'\"' to start the stream text");
  }
  if (!parse_cstring(stream.text)) {
    return false;
  }
  if (!at_end()) {
    return fail_expected("end of line after the stream text");
  }
  return true;
}

// GDB/MI Output Syntax: the `"(gdb)" nl` that ends each group of output; gdb prints "(gdb) ".
bool LineParser::parse_prompt(Record& record) {
  constexpr std::string_view kPrompt = "(gdb)";
  for (std::size_t i = 0; i < kPrompt.size(); ++i, ++pos_) {
    if (at_end() || peek() != kPrompt[i]) {
      return fail_expected("the '(gdb)' prompt");
    }
  }
  while (!at_end() && peek() == ' ') {
    ++pos_;
  }
  if (!at_end()) {
    return fail_expected("end of line after the '(gdb)' prompt");
  }
  record.emplace<PromptRecord>();
  return true;
}

// GDB/MI Result Records: `[token] "^" result-class ("," result)*` with result-class one of
// done, running, connected, error, exit.
bool LineParser::parse_result_record(std::string_view token, Record& record) {
  auto& result = record.emplace<ResultRecord>();
  result.token.assign(token);
  ++pos_;
  const std::size_t class_pos = pos_;
  const std::string_view name = parse_name();
  if (name == "done") {
    result.result_class = ResultClass::Done;
  } else if (name == "running") {
    result.result_class = ResultClass::Running;
  } else if (name == "connected") {
    result.result_class = ResultClass::Connected;
  } else if (name == "error") {
    result.result_class = ResultClass::Error;
  } else if (name == "exit") {
    result.result_class = ResultClass::Exit;
  } else if (name.empty()) {
    return fail_expected("a result class (done, running, connected, error or exit) after '^'");
  } else {
    return fail(class_pos, fmt::format("unknown result class '{}', expected done, running, "
                                       "connected, error or exit",
                                       name.substr(0, 40)));
  }
  return parse_trailing_results(result.results);
}

// GDB/MI Async Records: `[token] "*" async-class ("," result)*` (exec), the same with "+"
// (status) and "=" (notify); async-class is "stopped", "running", "thread-group-added", ...
bool LineParser::parse_async_record(std::string_view token, AsyncKind kind, Record& record) {
  auto& async = record.emplace<AsyncRecord>();
  async.token.assign(token);
  async.kind = kind;
  const char prefix = peek();
  ++pos_;
  const std::string_view name = parse_name();
  if (name.empty()) {
    return fail_expected(fmt::format("an async class after '{}'", prefix));
  }
  async.async_class.assign(name);
  return parse_trailing_results(async.results);
}

// The `("," result)*` that ends result and async records, up to the end of the line. A bare
// tuple in place of a result is taken as an unnamed field: gdb's mi_ui_out writes a tuple opened
// without a name that way (-target-download's `+download,{section=...}`; MI2's extra breakpoint
// locations `bkpt={...},{...}`).
bool LineParser::parse_trailing_results(Tuple& results) {
  // A record has up to 8 results (`*stopped` has 6 or 7): reserving them at once saves the
  // reallocations from 1 to 2 to 4 to 8, as for tuples.
  if (!at_end()) {
    results.fields.reserve(8);
  }
  while (!at_end()) {
    if (peek() != ',') {
      return fail_expected("',' or end of line");
    }
    ++pos_;
    if (!at_end() && peek() == '{') {
      if (!parse_tuple(results.fields.emplace_back().value.data.emplace<Tuple>(), 1)) {
        return false;
      }
      continue;
    }
    if (at_end() || !kNameBytes[static_cast<unsigned char>(peek())]) {
      return fail_expected("a variable name or an unnamed tuple");
    }
    if (!parse_result(results.fields, 0)) {
      return false;
    }
  }
  return true;
}

// GDB/MI Output Syntax: `result -> variable "=" value`. Appends the field to `fields`.
bool LineParser::parse_result(std::vector<Field>& fields, std::size_t depth) {
  std::string_view variable;
  if (!parse_variable(variable)) {
    return false;
  }
  Field& field = fields.emplace_back(NewField{variable});
  return parse_value(field.value, depth);
}

// The `variable "="` of a result.
bool LineParser::parse_variable(std::string_view& variable) {
  variable = parse_name();
  if (variable.empty()) {
    return fail_expected("a variable name");
  }
  if (at_end() || peek() != '=') {
    return fail_expected("'=' after variable name");
  }
  ++pos_;
  return true;
}

// GDB/MI Output Syntax: `value -> const | tuple | list`, `const -> c-string`. `depth` is the
// number of tuples and lists around the value.
bool LineParser::parse_value(Value& value, std::size_t depth) {
  if (!at_end()) {
    switch (peek()) {
      case '"':
        return parse_cstring(value.data.emplace<std::string>());
      case '{':
        return parse_tuple(value.data.emplace<Tuple>(), depth + 1);
      case '[':
        return parse_list(value.data.emplace<List>(), depth + 1);
      default:
        break;
    }
  }
  return fail_expected("a value ('\"', '{' or '[')");
}

// GDB/MI Output Syntax: `tuple -> "{}" | "{" result ("," result)* "}"`. Duplicate variables
// are kept, in order.
bool LineParser::parse_tuple(Tuple& tuple, std::size_t depth) {
  if (depth > kMaxNestingDepth) {
    return fail(pos_, fmt::format("tuples and lists nested deeper than {} levels", kMaxNestingDepth));
  }
  const std::size_t open_pos = pos_;
  ++pos_;
  if (!at_end() && peek() == '}') {
    ++pos_;
    return true;
  }
  // gdb's tuples (frames, breakpoints, arguments) have 2 to 13 fields; starting at 8 saves most
  // of the reallocations, which were a fifth of the parse time on the fixtures.
  tuple.fields.reserve(8);
  while (true) {
    if (!parse_result(tuple.fields, depth)) {
      return false;
    }
    if (!at_end() && peek() == ',') {
      ++pos_;
      continue;
    }
    if (!at_end() && peek() == '}') {
      ++pos_;
      return true;
    }
    return fail_expected(fmt::format("',' or '}}' in the tuple opened at column {}", open_pos + 1));
  }
}

// GDB/MI Output Syntax: `list -> "[]" | "[" value ("," value)* "]" | "[" result ("," result)* "]"`.
// The first element decides which kind; the others must be of the same kind.
bool LineParser::parse_list(List& list, std::size_t depth) {
  if (depth > kMaxNestingDepth) {
    return fail(pos_, fmt::format("tuples and lists nested deeper than {} levels", kMaxNestingDepth));
  }
  const std::size_t open_pos = pos_;
  ++pos_;
  if (!at_end() && peek() == ']') {
    ++pos_;
    return true;
  }
  const bool of_values = !at_end() && (peek() == '"' || peek() == '{' || peek() == '[');
  // Lists are one `thread-groups=["i1"]` or several frames or arguments: 4 spares the first
  // two reallocations of most lists for little memory.
  list.values.reserve(4);
  if (!of_values) {
    list.keys.reserve(4);
  }
  while (true) {
    if (!of_values) {
      std::string_view variable;
      if (!parse_variable(variable)) {
        return false;
      }
      list.keys.emplace_back(variable);
    }
    if (!parse_value(list.values.emplace_back(NewValue{}), depth)) {
      return false;
    }
    if (!at_end() && peek() == ',') {
      ++pos_;
      continue;
    }
    if (!at_end() && peek() == ']') {
      ++pos_;
      return true;
    }
    return fail_expected(fmt::format("',' or ']' in the list opened at column {}", open_pos + 1));
  }
}

// GDB/MI Output Syntax: `c-string`, a C string in double quotes. Appends the unescaped bytes.
bool LineParser::parse_cstring(std::string& text) {
  const std::size_t open_pos = pos_;
  const char* const data = line_.data();
  const std::size_t size = line_.size();
  // Most strings hold no escape: find the closing quote and copy the bytes in one allocation.
  const std::size_t end = find_quote_or_backslash(data, open_pos + 1, size);
  if (end < size && data[end] == '"') {
    text.append(data + open_pos + 1, end - open_pos - 1);
    pos_ = end + 1;
    return true;
  }
  return parse_escaped_cstring(text, open_pos, end);
}

// The rest of a c-string opened at `open_pos` whose first escape (or the end of the line) is at
// `first_stop`.
bool LineParser::parse_escaped_cstring(std::string& text, std::size_t open_pos, std::size_t first_stop) {
  const char* const data = line_.data();
  const std::size_t size = line_.size();
  // The raw bytes up to the closing quote bound the text (an escape is two bytes or more for one):
  // one allocation instead of one per doubling.
  std::size_t close = first_stop;
  while (close < size && data[close] == '\\') {
    close = find_quote_or_backslash(data, std::min(close + 2, size), size);
  }
  text.reserve(text.size() + (close - open_pos - 1));
  std::size_t chunk_start = open_pos + 1;
  std::size_t cursor = first_stop;
  while (cursor < size) {
    text.append(data + chunk_start, cursor - chunk_start);
    if (data[cursor] == '"') {
      pos_ = cursor + 1;
      return true;
    }
    pos_ = cursor;
    if (!parse_escape(text)) {
      return false;
    }
    chunk_start = pos_;
    cursor = find_quote_or_backslash(data, chunk_start, size);
  }
  pos_ = cursor;
  return fail_expected(fmt::format("'\"' to close the string opened at column {}", open_pos + 1));
}

// One escape sequence, at the backslash; the rule is in mi_parser.h. Octal escapes yield raw
// bytes (UTF-8 arrives as such bytes).
bool LineParser::parse_escape(std::string& text) {
  const std::size_t backslash_pos = pos_;
  ++pos_;
  if (at_end()) {
    return fail_expected("an escape character after '\\'");
  }
  const char c = peek();
  ++pos_;
  switch (c) {
    // What gdb's printchar() writes.
    case 'n':
      text += '\n';
      return true;
    case 't':
      text += '\t';
      return true;
    case '"':
      text += '"';
      return true;
    case '\\':
      text += '\\';
      return true;
    case 'r':
      text += '\r';
      return true;
    case 'a':
      text += '\a';
      return true;
    case 'b':
      text += '\b';
      return true;
    case 'f':
      text += '\f';
      return true;
    case 'e':
      text += '\x1b';
      return true;
    // C's other simple escapes, which gdb never writes but a C-minded writer may.
    case 'v':
      text += '\v';
      return true;
    case '\'':
      text += '\'';
      return true;
    case '?':
      text += '?';
      return true;
    case 'x':
      return fail(backslash_pos, "hex escape '\\x' not accepted: gdb writes such bytes as octal \\NNN");
    default:
      break;
  }
  if (is_octal_digit(c)) {
    int byte = c - '0';
    for (int digits = 1; digits < 3 && !at_end() && is_octal_digit(peek()); ++digits, ++pos_) {
      byte = byte * 8 + (peek() - '0');
    }
    if (byte > 0xff) {
      return fail(backslash_pos, fmt::format("octal escape '\\{}' is larger than 255",
                                             line_.substr(backslash_pos + 1, pos_ - backslash_pos - 1)));
    }
    text += static_cast<char>(byte);
    return true;
  }
  return fail(backslash_pos, fmt::format("bad escape '\\' followed by {}, expected one of \\n \\t "
                                         "\\\" \\\\ \\r \\a \\b \\f \\e \\v \\' \\? or octal \\NNN",
                                         describe_byte(c)));
}

// Appends `text` as a c-string escaped like gdb's MI output (printchar() with sevenbit-strings
// on, which MI sets): the named escapes of printchar(), \" and \\, three-digit octal for every
// other byte below 0x20 and every byte from 0x7f up; printable ASCII raw.
void append_cstring(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\x1b':
        out += "\\e";
        continue;
      default:
        break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) {
      const char octal[4] = {'\\', static_cast<char>('0' + (byte >> 6)),
                             static_cast<char>('0' + ((byte >> 3) & 7)), static_cast<char>('0' + (byte & 7))};
      out.append(octal, sizeof(octal));
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_value(std::string& out, const Value& value);

// The fields of a tuple or record; an unnamed field is its value alone.
void append_results(std::string& out, const Tuple& tuple, bool leading_comma) {
  bool comma = leading_comma;
  for (const auto& [name, value] : tuple.fields) {
    if (comma) {
      out += ',';
    }
    comma = true;
    if (!name.empty()) {
      out += name;
      out += '=';
    }
    append_value(out, value);
  }
}

void append_value(std::string& out, const Value& value) {
  if (const auto* text = std::get_if<std::string>(&value.data)) {
    append_cstring(out, *text);
  } else if (const auto* tuple = std::get_if<Tuple>(&value.data)) {
    out += '{';
    append_results(out, *tuple, false);
    out += '}';
  } else if (const auto* list = std::get_if<List>(&value.data)) {
    const bool of_results = !list->keys.empty() && list->keys.size() == list->values.size();
    out += '[';
    for (std::size_t i = 0; i < list->values.size(); ++i) {
      if (i > 0) {
        out += ',';
      }
      if (of_results) {
        out += list->keys[i];
        out += '=';
      }
      append_value(out, list->values[i]);
    }
    out += ']';
  }
}

char async_prefix(AsyncKind kind) {
  switch (kind) {
    case AsyncKind::Exec:
      return '*';
    case AsyncKind::Status:
      return '+';
    case AsyncKind::Notify:
      return '=';
  }
  return '*';
}

char stream_prefix(StreamKind kind) {
  switch (kind) {
    case StreamKind::Console:
      return '~';
    case StreamKind::Target:
      return '@';
    case StreamKind::Log:
      return '&';
  }
  return '~';
}

}  // namespace

kh::Result<Record> parse_line(std::string_view line) {
  // Allocation is the only thing that can throw here; a line too large for memory is reported
  // like any other bad line instead of unwinding through the caller.
  try {
    return LineParser(line).parse();
  } catch (const std::bad_alloc&) {
    return kh::make_error(ErrorKind::Internal, "out of memory parsing an MI line of {} bytes", line.size());
  }
}

std::string format_value(const Value& value) {
  std::string out;
  append_value(out, value);
  return out;
}

std::string format_record(const Record& record) {
  std::string out;
  if (const auto* result = std::get_if<ResultRecord>(&record)) {
    out += result->token;
    out += '^';
    out += to_string(result->result_class);
    append_results(out, result->results, true);
  } else if (const auto* async = std::get_if<AsyncRecord>(&record)) {
    out += async->token;
    out += async_prefix(async->kind);
    out += async->async_class;
    append_results(out, async->results, true);
  } else if (const auto* stream = std::get_if<StreamRecord>(&record)) {
    out += stream_prefix(stream->kind);
    append_cstring(out, stream->text);
  } else {
    out += "(gdb) ";
  }
  return out;
}

}  // namespace kh::mi
