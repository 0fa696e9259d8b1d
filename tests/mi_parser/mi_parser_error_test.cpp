// Table tests: malformed lines -> ErrorKind::Parse with the exact "column N: ..." message and
// Error::column N.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mi/mi_parser.h"
#include "mi_parser/record_description.h"

namespace kh::mi {
namespace {

struct ErrorCase {
  const char* rule;
  std::string line;
  std::string expected_message;
};

void PrintTo(const ErrorCase& error_case, std::ostream* out) {
  *out << error_case.rule;
}

class ParseErrorTest : public ::testing::TestWithParam<ErrorCase> {};

// The N of an expected "column N: ..." message, read from the table, not from the parser.
std::optional<std::size_t> expected_column(std::string_view message) {
  constexpr std::string_view kPrefix = "column ";
  if (!message.starts_with(kPrefix)) {
    return std::nullopt;
  }
  std::size_t column = 0;
  for (std::size_t i = kPrefix.size(); i < message.size() && message[i] >= '0' && message[i] <= '9'; ++i) {
    column = column * 10 + static_cast<std::size_t>(message[i] - '0');
  }
  return column;
}

TEST_P(ParseErrorTest, FailsWithColumnAndExpectation) {
  const ErrorCase& error_case = GetParam();
  auto record = parse_line(error_case.line);
  ASSERT_FALSE(record.ok()) << "parsed as " << testing::describe(*record);
  EXPECT_EQ(record.error().kind, ErrorKind::Parse);
  EXPECT_EQ(record.error().message, error_case.expected_message);
  // The column is a field of its own too, for callers that point at it.
  ASSERT_TRUE(expected_column(error_case.expected_message).has_value()) << error_case.expected_message;
  EXPECT_EQ(record.error().column, expected_column(error_case.expected_message));
}

const std::vector<ErrorCase> kErrorCases = {
    // Empty line and unknown record prefixes.
    {"empty_line", "", "column 1: expected an MI record, found an empty line"},
    {"only_cr", "\r", "column 1: expected an MI record, found an empty line"},
    {"unknown_prefix", "hello",
     "column 1: expected a record prefix ('^', '*', '+', '=', '~', '@', '&', '(gdb)' or a token), found 'h'"},
    {"unknown_prefix_control_byte", "\x01^done",
     "column 1: expected a record prefix ('^', '*', '+', '=', '~', '@', '&', '(gdb)' or a token), "
     "found byte 0x01"},
    {"leading_space", " ^done",
     "column 1: expected a record prefix ('^', '*', '+', '=', '~', '@', '&', '(gdb)' or a token), found ' '"},
    {"token_alone", "12", "column 3: expected '^', '*', '+' or '=' after the token, found end of line"},
    {"token_before_stream", "12~\"x\"", "column 3: expected '^', '*', '+' or '=' after the token, found '~'"},
    // Result and async classes.
    {"missing_result_class", "^",
     "column 2: expected a result class (done, running, connected, error or exit) after '^', found end of "
     "line"},
    {"unknown_result_class", "^finished",
     "column 2: unknown result class 'finished', expected done, running, connected, error or exit"},
    {"result_class_prefix_only", "^don",
     "column 2: unknown result class 'don', expected done, running, connected, error or exit"},
    {"missing_async_class", "*", "column 2: expected an async class after '*', found end of line"},
    {"missing_notify_class", "=,id=\"1\"", "column 2: expected an async class after '=', found ','"},
    // Results: missing variable, missing '='.
    {"trailing_comma", "^done,", "column 7: expected a variable name or an unnamed tuple, found end of line"},
    {"double_comma", "^done,,a=\"1\"", "column 7: expected a variable name or an unnamed tuple, found ','"},
    {"bare_string_in_record", "^done,\"x\"",
     "column 7: expected a variable name or an unnamed tuple, found '\"'"},
    {"bare_list_in_record", "+download,[\"x\"]",
     "column 11: expected a variable name or an unnamed tuple, found '['"},
    {"unclosed_unnamed_tuple", "+download,{section=\".text\"",
     "column 27: expected ',' or '}' in the tuple opened at column 11, found end of line"},
    {"unnamed_tuple_inside_tuple", "^done,a={b=\"1\",{c=\"2\"}}",
     "column 16: expected a variable name, found '{'"},
    {"missing_equals_at_end", "^done,a", "column 8: expected '=' after variable name, found end of line"},
    {"missing_equals", "^done,msg\"x\"", "column 10: expected '=' after variable name, found '\"'"},
    {"missing_equals_in_tuple", "*stopped,frame={addr\"0x1\"}",
     "column 21: expected '=' after variable name, found '\"'"},
    {"space_in_variable", "^done,a b=\"1\"", "column 8: expected '=' after variable name, found ' '"},
    {"missing_value", "^done,a=", "column 9: expected a value ('\"', '{' or '['), found end of line"},
    {"unquoted_value", "^done,a=1", "column 9: expected a value ('\"', '{' or '['), found '1'"},
    // Strings.
    {"unterminated_string", "^done,a=\"x",
     "column 11: expected '\"' to close the string opened at column 9, found end of line"},
    {"unterminated_stream", "~\"Reading symbols",
     "column 18: expected '\"' to close the string opened at column 2, found end of line"},
    {"escaped_closing_quote", "~\"abc\\\"",
     "column 8: expected '\"' to close the string opened at column 2, found end of line"},
    {"backslash_at_end", "^done,a=\"x\\",
     "column 12: expected an escape character after '\\', found end of line"},
    {"bad_escape", "^done,a=\"\\q\"",
     "column 10: bad escape '\\' followed by 'q', expected one of \\n \\t \\\" \\\\ \\r \\a \\b \\f \\e \\v "
     "\\' \\? or octal \\NNN"},
    {"bad_escape_byte", "~\"\\\x80\"",
     "column 3: bad escape '\\' followed by byte 0x80, expected one of \\n \\t \\\" \\\\ \\r \\a \\b \\f \\e "
     "\\v \\' \\? or octal \\NNN"},
    {"bad_escape_digit_8", "~\"\\8\"",
     "column 3: bad escape '\\' followed by '8', expected one of \\n \\t \\\" \\\\ \\r \\a \\b \\f \\e \\v "
     "\\' \\? or octal \\NNN"},
    {"bad_escape_unicode", "~\"\\u00e9\"",
     "column 3: bad escape '\\' followed by 'u', expected one of \\n \\t \\\" \\\\ \\r \\a \\b \\f \\e \\v "
     "\\' \\? or octal \\NNN"},
    {"hex_escape", "^done,a=\"\\x41\"",
     "column 10: hex escape '\\x' not accepted: gdb writes such bytes as octal \\NNN"},
    {"hex_escape_at_end", "~\"\\x",
     "column 3: hex escape '\\x' not accepted: gdb writes such bytes as octal \\NNN"},
    {"octal_escape_too_large", "^done,a=\"\\777\"", "column 10: octal escape '\\777' is larger than 255"},
    {"octal_escape_400", "~\"ab\\400\"", "column 5: octal escape '\\400' is larger than 255"},
    {"stream_without_string", "~x", "column 2: expected '\"' to start the stream text, found 'x'"},
    {"stream_empty", "&", "column 2: expected '\"' to start the stream text, found end of line"},
    // Unbalanced brackets and braces.
    {"unclosed_tuple", "^done,a={b=\"1\"",
     "column 15: expected ',' or '}' in the tuple opened at column 9, found end of line"},
    {"unclosed_empty_tuple", "^done,a={", "column 10: expected a variable name, found end of line"},
    {"tuple_closed_by_bracket", "^done,a={b=\"1\"]",
     "column 15: expected ',' or '}' in the tuple opened at column 9, found ']'"},
    {"unclosed_list", "^done,a=[\"1\"",
     "column 13: expected ',' or ']' in the list opened at column 9, found end of line"},
    {"unclosed_empty_list", "^done,a=[", "column 10: expected a variable name, found end of line"},
    {"list_closed_by_brace", "^done,a=[\"1\"}",
     "column 13: expected ',' or ']' in the list opened at column 9, found '}'"},
    {"unclosed_inner_tuple", "^done,stack=[frame={level=\"0\"]",
     "column 30: expected ',' or '}' in the tuple opened at column 20, found ']'"},
    {"extra_closing_brace", "^done,a=\"1\"}", "column 12: expected ',' or end of line, found '}'"},
    {"extra_closing_bracket", "^done,a=[]]", "column 11: expected ',' or end of line, found ']'"},
    {"value_in_list_of_results", "^done,a=[b=\"1\",\"2\"]",
     "column 16: expected a variable name, found '\"'"},
    {"result_in_list_of_values", "^done,a=[\"1\",b=\"2\"]",
     "column 14: expected a value ('\"', '{' or '['), found 'b'"},
    {"value_in_tuple", "^done,a={\"1\"}", "column 10: expected a variable name, found '\"'"},
    // Garbage after a complete record.
    {"garbage_after_result_class", "^done garbage", "column 6: expected ',' or end of line, found ' '"},
    {"trailing_space_after_record", "^done,a=\"1\" ", "column 12: expected ',' or end of line, found ' '"},
    {"garbage_after_value", "^done,a=\"1\"\"2\"", "column 12: expected ',' or end of line, found '\"'"},
    {"garbage_after_stream", "~\"x\"y", "column 5: expected end of line after the stream text, found 'y'"},
    {"two_carriage_returns", "^done\r\r", "column 6: expected ',' or end of line, found byte 0x0d"},
    {"nul_after_record", std::string("^done\0", 6), "column 6: expected ',' or end of line, found byte 0x00"},
    // The prompt.
    {"garbage_after_prompt", "(gdb) x", "column 7: expected end of line after the '(gdb)' prompt, found 'x'"},
    {"misspelt_prompt", "(gdx)", "column 4: expected the '(gdb)' prompt, found 'x'"},
    {"truncated_prompt", "(gd", "column 4: expected the '(gdb)' prompt, found end of line"},
};
INSTANTIATE_TEST_SUITE_P(Malformed, ParseErrorTest, ::testing::ValuesIn(kErrorCases),
                         [](const auto& case_info) { return std::string(case_info.param.rule); });

// "^done,a=" then `depth` times `open`, `innermost`, `depth` times `close`.
std::string nested(std::size_t depth, std::string_view open, std::string_view innermost,
                   std::string_view close) {
  std::string line = "^done,a=";
  for (std::size_t i = 0; i < depth; ++i) {
    line += open;
  }
  line += innermost;
  for (std::size_t i = 0; i < depth; ++i) {
    line += close;
  }
  return line;
}

// The depth of the innermost container under `value` (a string counts 0).
std::size_t depth_of(const Value& value) {
  std::size_t deepest = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    deepest = std::max(deepest, depth_of(value.at(i)));
  }
  return value.is_string() ? 0 : deepest + 1;
}

TEST(NestingTest, AcceptsTheMaximumDepth) {
  struct Nesting {
    const char* open;
    const char* innermost;
    const char* close;
  };
  for (const auto& [open, innermost, close] : {Nesting{"[", "", "]"}, Nesting{"{a=", "\"x\"", "}"}}) {
    auto record = parse_line(nested(kMaxNestingDepth, open, innermost, close));
    ASSERT_TRUE(record.ok()) << open << ": " << record.error().message;
    EXPECT_EQ(depth_of(std::get<ResultRecord>(*record).get("a")), kMaxNestingDepth) << open;
  }
}

TEST(NestingTest, RejectsOneLevelMore) {
  auto lists = parse_line(nested(kMaxNestingDepth + 1, "[", "", "]"));
  ASSERT_FALSE(lists.ok());
  EXPECT_EQ(lists.error().kind, ErrorKind::Parse);
  // "^done,a=" is 8 columns, so the 257th '[' is at column 8 + 257.
  EXPECT_EQ(lists.error().message, "column 265: tuples and lists nested deeper than 256 levels");
  EXPECT_EQ(lists.error().column, 265u);

  auto tuples = parse_line(nested(kMaxNestingDepth + 1, "{a=", "\"x\"", "}"));
  ASSERT_FALSE(tuples.ok());
  EXPECT_EQ(tuples.error().message, "column 777: tuples and lists nested deeper than 256 levels");
}

TEST(NestingTest, RejectsHostileDepthWithoutExhaustingTheStack) {
  auto record = parse_line(nested(1'000'000, "[", "", "]"));
  ASSERT_FALSE(record.ok());
  EXPECT_EQ(record.error().message, "column 265: tuples and lists nested deeper than 256 levels");
}

TEST(NestingTest, MixedTuplesAndListsCountTogether) {
  std::string line = "^done,a=";
  for (std::size_t i = 0; i < 200; ++i) {
    line += "[";
  }
  for (std::size_t i = 0; i < 57; ++i) {
    line += "{b=";
  }
  line += "\"x\"";
  auto record = parse_line(line);
  ASSERT_FALSE(record.ok());
  // The 57th tuple is the 257th container; its '{' is at column 8 + 200 + 56 * 3 + 1.
  EXPECT_EQ(record.error().message, "column 377: tuples and lists nested deeper than 256 levels");
}

constexpr std::size_t kOneMegabyte = 1 << 20;

TEST(LongLineTest, ParsesAOneMegabyteListOfFrames) {
  const std::string frame = R"(frame={level="0",addr="0xffffffff810a27e6",func="copy_mnt_ns"})";
  std::string line = "^done,stack=[";
  std::size_t frames = 0;
  while (line.size() < kOneMegabyte) {
    line += frames > 0 ? "," : "";
    line += frame;
    ++frames;
  }
  line += "]";
  auto record = parse_line(line);
  ASSERT_TRUE(record.ok()) << record.error().message;
  const Value& stack = std::get<ResultRecord>(*record).get("stack");
  ASSERT_EQ(stack.size(), frames);
  EXPECT_EQ(stack.at(frames - 1).get("func").str(), "copy_mnt_ns");
  EXPECT_EQ(std::get<List>(stack.data).keys.size(), frames);
}

TEST(LongLineTest, ParsesAOneMegabyteStringWithEscapes) {
  std::string line = "~\"";
  std::string expected;
  while (line.size() < kOneMegabyte) {
    line += "line\\tof text\\n\\303\\251";
    expected += "line\tof text\n\xc3\xa9";
  }
  line += "\"";
  auto record = parse_line(line);
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_EQ(std::get<StreamRecord>(*record).text, expected);
}

TEST(LongLineTest, ReportsTheColumnOfAnErrorAtTheEndOfAOneMegabyteLine) {
  std::string line = "^done,a=[";
  while (line.size() < kOneMegabyte) {
    line += "\"value\",";
  }
  line += "\"unterminated";
  auto record = parse_line(line);
  ASSERT_FALSE(record.ok());
  EXPECT_EQ(record.error().kind, ErrorKind::Parse);
  EXPECT_EQ(record.error().message,
            fmt::format("column {}: expected '\"' to close the string opened at column {}, found end of line",
                        line.size() + 1, line.size() - 12));
  EXPECT_EQ(record.error().column, line.size() + 1);
}

TEST(LongLineTest, ReportsOneMegabyteOfGarbageAfterARecordAtItsStart) {
  const std::string line = "^done,a=\"1\"" + std::string(kOneMegabyte, 'x');
  auto record = parse_line(line);
  ASSERT_FALSE(record.ok());
  EXPECT_EQ(record.error().message, "column 12: expected ',' or end of line, found 'x'");
}

}  // namespace
}  // namespace kh::mi
