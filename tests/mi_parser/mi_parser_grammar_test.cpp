// Table tests: one valid line per grammar rule of "GDB/MI Output Syntax" -> the expected record.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "mi/mi_parser.h"
#include "mi_parser/record_description.h"

namespace kh::mi {
namespace {

struct GrammarCase {
  const char* rule;
  std::string line;
  std::string expected;
};

void PrintTo(const GrammarCase& grammar_case, std::ostream* out) {
  *out << grammar_case.rule;
}

class GrammarTest : public ::testing::TestWithParam<GrammarCase> {};

TEST_P(GrammarTest, ParsesToExpectedRecord) {
  const GrammarCase& grammar_case = GetParam();
  auto record = parse_line(grammar_case.line);
  ASSERT_TRUE(record.ok()) << grammar_case.line << "\n" << record.error().message;
  EXPECT_EQ(testing::describe(*record), grammar_case.expected) << grammar_case.line;
}

// A line that parses must come back from format_record() as a line that parses to the same
// record (the formatter is the parser's inverse up to escape spelling).
TEST_P(GrammarTest, FormattedRecordParsesBackToTheSameRecord) {
  const GrammarCase& grammar_case = GetParam();
  auto record = parse_line(grammar_case.line);
  ASSERT_TRUE(record.ok()) << record.error().message;
  const std::string formatted = format_record(*record);
  auto reparsed = parse_line(formatted);
  ASSERT_TRUE(reparsed.ok()) << formatted << "\n" << reparsed.error().message;
  EXPECT_EQ(testing::describe(*reparsed), grammar_case.expected) << formatted;
}

const std::vector<GrammarCase> kRecordCases = {
    // GDB/MI Result Records.
    {"done", "^done", "result done {}"},
    {"running", "^running", "result running {}"},
    {"connected", "^connected", "result connected {}"},
    {"error_with_msg", R"(^error,msg="No registers.")", R"(result error {msg:"No registers."})"},
    {"exit", "^exit", "result exit {}"},
    {"done_with_results", R"(^done,value="7",type="int")", R"(result done {value:"7",type:"int"})"},
    {"token", R"(42^done,value="7")", R"(result #42 done {value:"7"})"},
    {"token_zero", "0^running", "result #0 running {}"},
    {"token_max", "18446744073709551615^done", "result #18446744073709551615 done {}"},
    {"error_with_escaped_quotes", R"(^error,msg="No symbol \"foo\" in current context.")",
     R"(result error {msg:"No symbol \"foo\" in current context."})"},
    // GDB/MI Async Records.
    {"exec_stopped", R"(*stopped,reason="breakpoint-hit",bkptno="1")",
     R"(exec stopped {reason:"breakpoint-hit",bkptno:"1"})"},
    {"exec_without_results", "*stopped", "exec stopped {}"},
    {"exec_with_token", R"(7*running,thread-id="all")", R"(exec #7 running {thread-id:"all"})"},
    {"status", R"(+download,section=".text",section-size="1024")",
     R"(status download {section:".text",section-size:"1024"})"},
    {"notify", R"(=thread-group-added,id="i1")", R"(notify thread-group-added {id:"i1"})"},
    {"notify_with_token", R"(3=library-loaded,id="a")", R"(notify #3 library-loaded {id:"a"})"},
    // GDB/MI Stream Records.
    {"console", R"(~"Reading symbols\n")", R"(console "Reading symbols\x0a")"},
    {"target", R"(@"hello from the target")", R"(target "hello from the target")"},
    {"log", R"(&"warning: \"x\"\n")", R"(log "warning: \"x\"\x0a")"},
    {"empty_stream", R"(~"")", R"(console "")"},
    // The prompt, with and without gdb's trailing space.
    {"prompt_with_space", "(gdb) ", "prompt"},
    {"prompt_without_space", "(gdb)", "prompt"},
    // A trailing '\r' (CR-LF line ends) is ignored.
    {"crlf_prompt", "(gdb) \r", "prompt"},
    {"crlf_result", "^done,a=\"1\"\r", R"(result done {a:"1"})"},
    {"crlf_stream", "~\"x\"\r", R"(console "x")"},
    // Values: tuples.
    {"empty_tuple", "^done,a={}", "result done {a:{}}"},
    {"nested_tuple", R"(^done,a={b="1",c={d="2"}})", R"(result done {a:{b:"1",c:{d:"2"}}})"},
    {"duplicate_keys_in_record", R"(^done,a="1",a="2")", R"(result done {a:"1",a:"2"})"},
    {"duplicate_keys_in_tuple", R"(^done,t={x="1",y="2",x="3"})", R"(result done {t:{x:"1",y:"2",x:"3"}})"},
    // Values: lists.
    {"empty_list", "^done,a=[]", "result done {a:[]}"},
    {"list_of_values", R"(^done,thread-groups=["i1","i2"])", R"(result done {thread-groups:["i1","i2"]})"},
    {"list_of_results", R"(^done,stack=[frame={level="0"},frame={level="1"}])",
     R"(result done {stack:[frame:{level:"0"},frame:{level:"1"}]})"},
    {"list_of_tuples", R"(^done,args=[{name="a",value="1"},{name="b",value="2"}])",
     R"(result done {args:[{name:"a",value:"1"},{name:"b",value:"2"}]})"},
    {"list_of_lists", R"(^done,a=[[],["x"],[[]]])", R"(result done {a:[[],["x"],[[]]]})"},
    {"list_of_results_with_duplicates", R"(^done,a=[k="1",j="2",k="3"])",
     R"(result done {a:[k:"1",j:"2",k:"3"]})"},
    {"empty_string_value", R"(^done,a="")", R"(result done {a:""})"},
    {"value_with_angle_brackets", R"(^done,v="0xffffffff8183f600 <init_user_ns>")",
     R"(result done {v:"0xffffffff8183f600 <init_user_ns>"})"},
    {"value_with_mi_punctuation", R"(^done,v="a={b},[c]=\"d\"")", R"(result done {v:"a={b},[c]=\"d\""})"},
};
INSTANTIATE_TEST_SUITE_P(Records, GrammarTest, ::testing::ValuesIn(kRecordCases),
                         [](const auto& case_info) { return std::string(case_info.param.rule); });

// c-string escapes: every escape gdb emits, plus the C escapes it may pass through.
const std::vector<GrammarCase> kEscapeCases = {
    {"newline_and_tab", R"(~"a\nb\tc")", R"(console "a\x0ab\x09c")"},
    {"quote_and_backslash", R"(~"\"\\")", R"(console "\"\\")"},
    {"control_escapes", R"(~"\r\a\b\f\v\e")", R"(console "\x0d\x07\x08\x0c\x0b\x1b")"},
    {"octal_three_digits", R"(~"\101\102\177")", R"(console "AB\x7f")"},
    {"octal_one_and_two_digits", R"(~"\0\7\12x")", R"(console "\x00\x07\x0ax")"},
    {"octal_stops_after_three_digits", R"(~"\1234")", R"(console "S4")"},
    {"octal_stops_at_non_octal_digit", R"(~"\18")", R"(console "\x018")"},
    {"octal_max", R"(~"\377")", R"(console "\xff")"},
    {"octal_utf8_sequence", R"(~"caf\303\251")", R"(console "caf\xc3\xa9")"},
    {"raw_utf8_bytes", "~\"caf\xc3\xa9\"", R"(console "caf\xc3\xa9")"},
    {"hex_two_digits", R"(~"\x41\x7e")", R"(console "A~")"},
    {"hex_one_digit", R"(~"\x4z")", R"(console "\x04z")"},
    {"hex_stops_after_two_digits", R"(~"\x41B")", R"(console "AB")"},
    {"hex_upper_case", R"(~"\xC3\xA9")", R"(console "\xc3\xa9")"},
    {"escape_at_string_end", R"(^done,a="x\n",b="\\")", R"(result done {a:"x\x0a",b:"\\"})"},
    {"only_escapes", R"(~"\n\n")", R"(console "\x0a\x0a")"},
};
INSTANTIATE_TEST_SUITE_P(Escapes, GrammarTest, ::testing::ValuesIn(kEscapeCases),
                         [](const auto& case_info) { return std::string(case_info.param.rule); });

// format_record() writes strings the way gdb's printchar() does, so gdb's own spelling of a line
// survives a round trip byte for byte.
TEST(FormatRecordTest, EscapesLikeGdb) {
  StreamRecord stream{StreamKind::Console, "a\n\t\"\\\r\a\b\f\x1b\v\x01\x7f\x9f\xa0\xc3\xa9"};
  EXPECT_EQ(format_record(Record{stream}),
            "~\"a\\n\\t\\\"\\\\\\r\\a\\b\\f\\e\\013\\001\\177\\237\xa0\xc3\xa9\"");
}

TEST(FormatRecordTest, WritesEveryRecordKind) {
  ResultRecord result;
  result.token = 12;
  result.result_class = ResultClass::Error;
  result.results.results.emplace_back("msg", Value{std::string("bad")});
  EXPECT_EQ(format_record(Record{result}), R"(12^error,msg="bad")");

  AsyncRecord async;
  async.kind = AsyncKind::Status;
  async.async_class = "download";
  EXPECT_EQ(format_record(Record{async}), "+download");

  EXPECT_EQ(format_record(Record{StreamRecord{StreamKind::Log, "x"}}), R"(&"x")");
  EXPECT_EQ(format_record(Record{StreamRecord{StreamKind::Target, "y"}}), R"(@"y")");
  EXPECT_EQ(format_record(Record{PromptRecord{}}), "(gdb) ");
}

TEST(FormatValueTest, WritesListsOfValuesAndOfResults) {
  List values;
  values.values = {Value{std::string("i1")}, Value{Tuple{}}};
  EXPECT_EQ(format_value(Value{values}), R"(["i1",{}])");

  List results;
  results.values = {Value{std::string("0")}, Value{List{}}};
  results.keys = {"level", "args"};
  EXPECT_EQ(format_value(Value{results}), R"([level="0",args=[]])");
}

}  // namespace
}  // namespace kh::mi
