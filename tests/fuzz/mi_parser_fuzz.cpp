// libFuzzer target for kh::mi::parse_line(). Besides crashes and sanitizer reports it checks
// properties on every input: a failure is a Parse error whose column (field and message) is
// inside the line, the accessors of a parsed record agree with its data, the record formats to a
// 7-bit line that parses to the same record, and formatting that record again gives the same
// bytes. The parser sources are compiled in and only fmt is linked: the parser needs nothing else.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mi/mi_parser.h"

namespace {

void require(bool condition, const char* property, std::string_view input) {
  if (!condition) {
    std::fprintf(stderr, "mi_parser_fuzz: property violated: %s (input of %zu bytes)\n", property,
                 input.size());
    std::abort();
  }
}

// Reads every value through the public accessors, as the trace engine would, and checks that
// they agree with the data they expose.
void check_value(const kh::mi::Value& value, std::string_view input) {
  require(&value.at(value.size()) == &kh::mi::empty_value(), "at(size()) is the empty value", input);
  if (const auto* tuple = std::get_if<kh::mi::Tuple>(&value.data)) {
    for (std::size_t i = 0; i < tuple->fields.size(); ++i) {
      const auto& [name, child] = tuple->fields[i];
      require(&value.at(i) == &child, "at(i) is result i of a tuple", input);
      require(value.find(name) != nullptr, "find() finds every variable of a tuple", input);
      const auto all = value.get_all(name);
      require(std::find(all.begin(), all.end(), &child) != all.end(), "get_all() has every duplicate", input);
      check_value(child, input);
    }
  } else if (const auto* list = std::get_if<kh::mi::List>(&value.data)) {
    require(list->keys.empty() || list->keys.size() == list->values.size(),
            "a list has no keys or one per value", input);
    for (std::size_t i = 0; i < list->values.size(); ++i) {
      require(&value.at(i) == &list->values[i], "at(i) is element i of a list", input);
      check_value(list->values[i], input);
    }
  } else {
    require(value.size() == 0, "a string has size 0", input);
  }
}

void check_record(const kh::mi::Record& record, std::string_view input) {
  const kh::mi::Tuple* results = nullptr;
  if (const auto* result = std::get_if<kh::mi::ResultRecord>(&record)) {
    results = &result->results;
  } else if (const auto* async = std::get_if<kh::mi::AsyncRecord>(&record)) {
    require(!async->async_class.empty(), "an async record has a class", input);
    results = &async->results;
  }
  if (results != nullptr) {
    for (const auto& [name, value] : results->fields) {
      require(!name.empty() || value.is_tuple(), "an unnamed field of a record is a tuple", input);
      check_value(value, input);
    }
  }
}

bool same_value(const kh::mi::Value& a, const kh::mi::Value& b);

bool same_results(const kh::mi::Tuple& a, const kh::mi::Tuple& b) {
  return std::equal(a.fields.begin(), a.fields.end(), b.fields.begin(), b.fields.end(),
                    [](const kh::mi::Field& x, const kh::mi::Field& y) {
                      return x.name == y.name && same_value(x.value, y.value);
                    });
}

bool same_value(const kh::mi::Value& a, const kh::mi::Value& b) {
  if (a.data.index() != b.data.index()) {
    return false;
  }
  if (a.is_string()) {
    return a.str() == b.str();
  }
  if (a.is_tuple()) {
    return same_results(std::get<kh::mi::Tuple>(a.data), std::get<kh::mi::Tuple>(b.data));
  }
  const auto& x = std::get<kh::mi::List>(a.data);
  const auto& y = std::get<kh::mi::List>(b.data);
  return x.keys == y.keys &&
         std::equal(x.values.begin(), x.values.end(), y.values.begin(), y.values.end(), same_value);
}

bool same_record(const kh::mi::Record& a, const kh::mi::Record& b) {
  if (a.index() != b.index()) {
    return false;
  }
  if (const auto* x = std::get_if<kh::mi::ResultRecord>(&a)) {
    const auto& y = std::get<kh::mi::ResultRecord>(b);
    return x->token == y.token && x->result_class == y.result_class && same_results(x->results, y.results);
  }
  if (const auto* x = std::get_if<kh::mi::AsyncRecord>(&a)) {
    const auto& y = std::get<kh::mi::AsyncRecord>(b);
    return x->token == y.token && x->kind == y.kind && x->async_class == y.async_class &&
           same_results(x->results, y.results);
  }
  if (const auto* x = std::get_if<kh::mi::StreamRecord>(&a)) {
    const auto& y = std::get<kh::mi::StreamRecord>(b);
    return x->kind == y.kind && x->text == y.text;
  }
  return true;
}

// The N of a "column N: ..." message, or 0 when the message does not start that way.
std::size_t column_of(const std::string& message) {
  constexpr std::string_view kPrefix = "column ";
  if (message.compare(0, kPrefix.size(), kPrefix) != 0) {
    return 0;
  }
  return std::strtoull(message.c_str() + kPrefix.size(), nullptr, 10);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto record = kh::mi::parse_line(line);
  if (!record.ok()) {
    require(record.error().kind == kh::ErrorKind::Parse, "a failure is a Parse error", line);
    const std::size_t column = column_of(record.error().message);
    require(column >= 1 && column <= size + 1, "the error names a column inside the line", line);
    require(record.error().column == column, "Error::column is the column of the message", line);
    return 0;
  }
  check_record(*record, line);

  const std::string formatted = kh::mi::format_record(*record);
  require(std::all_of(formatted.begin(), formatted.end(),
                      [](char c) {
                        return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
                      }),
          "a formatted record is printable 7-bit ASCII, as gdb's MI writes it", line);
  auto reparsed = kh::mi::parse_line(formatted);
  require(reparsed.ok(), "a formatted record parses", line);
  require(same_record(*reparsed, *record), "parse(format(r)) == r", line);
  require(kh::mi::format_record(*reparsed) == formatted, "format(parse(format(r))) == format(r)", line);
  return 0;
}
