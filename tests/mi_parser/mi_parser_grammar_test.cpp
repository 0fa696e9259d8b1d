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
    // gdb echoes any digit string as the token: longer than 64 bits, leading zeros kept.
    {"token_longer_than_64_bits", "99999999999999999999999^done", "result #99999999999999999999999 done {}"},
    {"token_leading_zeros", "007^done", "result #007 done {}"},
    {"error_with_escaped_quotes", R"(^error,msg="No symbol \"foo\" in current context.")",
     R"(result error {msg:"No symbol \"foo\" in current context."})"},
    // GDB/MI Async Records.
    {"exec_stopped", R"(*stopped,reason="breakpoint-hit",bkptno="1")",
     R"(exec stopped {reason:"breakpoint-hit",bkptno:"1"})"},
    {"exec_without_results", "*stopped", "exec stopped {}"},
    {"exec_with_token", R"(7*running,thread-id="all")", R"(exec #7 running {thread-id:"all"})"},
    {"status", R"(+download,section=".text",section-size="1024")",
     R"(status download {section:".text",section-size:"1024"})"},
    // -target-download progress (gdb 13 mi_load_progress): an unnamed tuple after the comma.
    {"status_download_progress", R"(2+download,{section=".text",section-size="487359",total-size="696540"})",
     R"(status #2 download {{section:".text",section-size:"487359",total-size:"696540"}})"},
    {"status_download_sent",
     R"(+download,{section=".data",section-sent="1024",section-size="4096",total-sent="2048",total-size="8192"})",
     R"(status download {{section:".data",section-sent:"1024",section-size:"4096",total-sent:"2048",total-size:"8192"}})"},
    {"unnamed_tuples_among_results", R"(^done,bkpt={number="1"},{number="1.1"},{})",
     R"(result done {bkpt:{number:"1"},{number:"1.1"},{}})"},
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

// c-string escapes (the rule is in mi_parser.h): every escape gdb's printchar() emits, plus the
// C escapes \v \' \? and C's one- and two-digit octal.
const std::vector<GrammarCase> kEscapeCases = {
    {"newline_and_tab", R"(~"a\nb\tc")", R"(console "a\x0ab\x09c")"},
    {"quote_and_backslash", R"(~"\"\\")", R"(console "\"\\")"},
    {"control_escapes", R"(~"\r\a\b\f\v\e")", R"(console "\x0d\x07\x08\x0c\x0b\x1b")"},
    {"single_quote_and_question_mark", R"(~"it\'s \?")", R"(console "it's ?")"},
    {"octal_three_digits", R"(~"\101\102\177")", R"(console "AB\x7f")"},
    {"octal_one_and_two_digits", R"(~"\0\7\12x")", R"(console "\x00\x07\x0ax")"},
    {"octal_stops_after_three_digits", R"(~"\1234")", R"(console "S4")"},
    {"octal_stops_at_non_octal_digit", R"(~"\18")", R"(console "\x018")"},
    {"octal_max", R"(~"\377")", R"(console "\xff")"},
    {"octal_utf8_sequence", R"(~"caf\303\251")", R"(console "caf\xc3\xa9")"},
    {"octal_every_high_byte_as_mi_writes_it", R"(~"\200\237\240\377")", R"(console "\x80\x9f\xa0\xff")"},
    {"raw_utf8_bytes", "~\"caf\xc3\xa9\"", R"(console "caf\xc3\xa9")"},
    {"gdb_char_array", R"(^done,value="\"nsclone\\000\\000\"")",
     R"(result done {value:"\"nsclone\\000\\000\""})"},
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
            "~\"a\\n\\t\\\"\\\\\\r\\a\\b\\f\\e\\013\\001\\177\\237\\240\\303\\251\"");
}

// The bytes from `first` to `last`, both included.
std::string byte_range(int first, int last) {
  std::string bytes;
  for (int byte = first; byte <= last; ++byte) {
    bytes += static_cast<char>(byte);
  }
  return bytes;
}

struct ByteRangeCase {
  const char* name;
  std::string bytes;
};

void PrintTo(const ByteRangeCase& byte_case, std::ostream* out) {
  *out << byte_case.name;
}

class ByteRangeTest : public ::testing::TestWithParam<ByteRangeCase> {};

// Lines holding the bytes raw in a c-string, as a stream and as a value: the formatted line is
// 7-bit printable ASCII (gdb's MI writes every byte >= 0x80 as \NNN), parses back to the same
// bytes, and formats again to the same line.
TEST_P(ByteRangeTest, FormatParseFormatIsByteIdentical) {
  const std::string& bytes = GetParam().bytes;
  for (const std::string& line :
       {"~\"" + bytes + "\"", "^done,value=\"" + bytes + "\",t={a=\"" + bytes + "\"}"}) {
    auto record = parse_line(line);
    ASSERT_TRUE(record.ok()) << record.error().message;
    const std::string formatted = format_record(*record);
    for (const char c : formatted) {
      const auto byte = static_cast<unsigned char>(c);
      ASSERT_TRUE(byte >= 0x20 && byte < 0x7f) << "byte " << static_cast<int>(byte) << " in " << formatted;
    }
    auto reparsed = parse_line(formatted);
    ASSERT_TRUE(reparsed.ok()) << formatted << "\n" << reparsed.error().message;
    EXPECT_EQ(testing::describe(*reparsed), testing::describe(*record)) << formatted;
    EXPECT_EQ(format_record(*reparsed), formatted);
  }
  auto stream = parse_line("~\"" + bytes + "\"");
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(std::get<StreamRecord>(*stream).text, bytes);
}

const std::vector<ByteRangeCase> kByteRanges = {
    {"low_controls", byte_range(0x01, 0x1f)},
    {"printable", byte_range(0x20, 0x21) + byte_range(0x23, 0x5b) + byte_range(0x5d, 0x7e)},
    {"del", byte_range(0x7f, 0x7f)},
    {"high_controls", byte_range(0x80, 0x9f)},
    {"latin1_and_utf8_bytes", byte_range(0xa0, 0xff)},
    {"utf8_text", "caf\xc3\xa9 \xe2\x82\xac"},
};
INSTANTIATE_TEST_SUITE_P(Bytes, ByteRangeTest, ::testing::ValuesIn(kByteRanges),
                         [](const auto& case_info) { return std::string(case_info.param.name); });

// Every byte, NUL and the two that must be escaped included, survives format -> parse -> format.
TEST(FormatRecordTest, EveryByteValueRoundTrips) {
  StreamRecord stream{StreamKind::Log, byte_range(0x00, 0xff)};
  const std::string formatted = format_record(Record{stream});
  auto parsed = parse_line(formatted);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(std::get<StreamRecord>(*parsed).text, stream.text);
  EXPECT_EQ(format_record(*parsed), formatted);
}

TEST(FormatRecordTest, WritesEveryRecordKind) {
  ResultRecord result;
  result.token = "12";
  result.result_class = ResultClass::Error;
  result.results.fields.push_back(Field{"msg", Value{std::string("bad")}});
  EXPECT_EQ(format_record(Record{result}), R"(12^error,msg="bad")");

  AsyncRecord async;
  async.kind = AsyncKind::Status;
  async.async_class = "download";
  EXPECT_EQ(format_record(Record{async}), "+download");
  // An unnamed field is its bare value, as gdb writes -target-download's progress.
  Tuple progress;
  progress.fields.push_back(Field{"section", Value{std::string(".text")}});
  async.token = "2";
  async.results.fields.push_back(Field{"", Value{progress}});
  EXPECT_EQ(format_record(Record{async}), R"(2+download,{section=".text"})");

  EXPECT_EQ(format_record(Record{StreamRecord{StreamKind::Log, "x"}}), R"(&"x")");
  EXPECT_EQ(format_record(Record{StreamRecord{StreamKind::Target, "y"}}), R"(@"y")");
  EXPECT_EQ(format_record(Record{PromptRecord{}}), "(gdb) ");
}

// The parser looks for a string's closing quote or first escape eight bytes at a time, with a
// byte loop for the last bytes of the line: an escape or quote at any offset within a word, and
// strings ending at any distance from the end of the line, must read the same.
TEST(CStringTest, EscapesAndQuotesAtEveryOffsetOfAWord) {
  struct Escape {
    const char* written;
    const char* read;
  };
  const Escape escapes[] = {{R"(\")", "\""}, {R"(\\)", "\\"}, {R"(\n)", "\n"}, {R"(\101)", "A"}};
  for (std::size_t length = 0; length <= 20; ++length) {
    for (std::size_t offset = 0; offset <= length; ++offset) {
      for (const Escape& escape : escapes) {
        const std::string before(offset, 'a');
        const std::string after(length - offset, 'b');
        const std::string expected = before + escape.read + after;
        const std::string string = "\"" + before + escape.written + after + "\"";
        auto stream = parse_line("~" + string);
        ASSERT_TRUE(stream.ok()) << string << "\n" << stream.error().message;
        EXPECT_EQ(std::get<StreamRecord>(*stream).text, expected) << string;
        auto result = parse_line("^done,v=" + string + ",w=\"" + after + "\"");
        ASSERT_TRUE(result.ok()) << string << "\n" << result.error().message;
        EXPECT_EQ(std::get<ResultRecord>(*result).get("v").str(), expected) << string;
        EXPECT_EQ(std::get<ResultRecord>(*result).get("w").str(), after) << string;
      }
      const std::string plain(length, 'c');
      auto unterminated = parse_line("~\"" + plain);
      ASSERT_FALSE(unterminated.ok()) << plain;
      EXPECT_EQ(unterminated.error().column, length + 3) << plain;
    }
  }
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
