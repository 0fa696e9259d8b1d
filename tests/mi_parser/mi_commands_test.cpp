// Table tests: mi::quote() and the command builders give the exact command lines gdb reads.
#include "mi/mi_commands.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mi/mi_parser.h"

namespace kh::mi {
namespace {

struct QuoteCase {
  const char* name;
  std::string text;
  std::string quoted;
};

void PrintTo(const QuoteCase& quote_case, std::ostream* out) {
  *out << quote_case.name;
}

class QuoteTest : public ::testing::TestWithParam<QuoteCase> {};

TEST_P(QuoteTest, QuotesAsGdbReadsIt) {
  EXPECT_EQ(quote(GetParam().text), GetParam().quoted);
}

// gdb reads an MI c-string parameter with the C escapes our output parser reads too, so the
// parser must give the text back; and the quoted form is always one line.
TEST_P(QuoteTest, ParsesBackToTheTextOnOneLine) {
  const std::string quoted = quote(GetParam().text);
  EXPECT_EQ(quoted.find_first_of("\r\n"), std::string::npos) << quoted;
  auto record = parse_line("~" + quoted);
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_EQ(std::get<StreamRecord>(*record).text, GetParam().text);
}

const std::vector<QuoteCase> kQuoteCases = {
    {"plain", "copy_mnt_ns", R"("copy_mnt_ns")"},
    {"empty", "", R"("")"},
    {"double_quotes", R"(a "b")", R"("a \"b\"")"},
    {"backslash", R"(back\slash)", R"("back\\slash")"},
    {"tab_and_newline", "tab\tnew\nline", R"("tab\tnew\nline")"},
    {"carriage_return", "a\rb", R"("a\rb")"},
    {"control_bytes_as_octal", std::string("\x01\x1b\x7f", 3), R"("\001\033\177")"},
    {"octal_is_three_digits_before_a_digit",
     "\x01"
     "2",
     R"("\0012")"},
    {"nul_as_octal", std::string("a\0b", 3), R"("a\000b")"},
    {"utf8_raw", "caf\xc3\xa9", "\"caf\xc3\xa9\""},
    {"gdb_expression", R"($_streq($lx_current()->comm, "nsclone"))",
     R"x("$_streq($lx_current()->comm, \"nsclone\")")x"},
    {"single_quote_and_punctuation", "it's {a}[b],c=d", R"("it's {a}[b],c=d")"},
};
INSTANTIATE_TEST_SUITE_P(Texts, QuoteTest, ::testing::ValuesIn(kQuoteCases),
                         [](const auto& case_info) { return std::string(case_info.param.name); });

// Every byte value survives quote() -> parse.
TEST(QuoteTest, EveryByteParsesBack) {
  std::string bytes;
  for (int byte = 0; byte < 256; ++byte) {
    bytes += static_cast<char>(byte);
  }
  auto record = parse_line("~" + quote(bytes));
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_EQ(std::get<StreamRecord>(*record).text, bytes);
}

struct CommandCase {
  const char* name;
  std::string command;
  std::string expected;
};

void PrintTo(const CommandCase& command_case, std::ostream* out) {
  *out << command_case.name;
}

class CommandTest : public ::testing::TestWithParam<CommandCase> {};

TEST_P(CommandTest, BuildsTheCommandLine) {
  EXPECT_EQ(GetParam().command, GetParam().expected);
}

const std::vector<CommandCase> kCommandCases = {
    {"break_insert", break_insert("copy_mnt_ns", "", false, false), R"(-break-insert "copy_mnt_ns")"},
    {"break_insert_hardware", break_insert("do_mount", "", true, false), R"(-break-insert -h "do_mount")"},
    {"break_insert_temporary", break_insert("main", "", false, true), R"(-break-insert -t "main")"},
    {"break_insert_all_options", break_insert("fs/namespace.c:2905", "flags == 0x20000", true, true),
     R"(-break-insert -t -h -c "flags == 0x20000" "fs/namespace.c:2905")"},
    {"break_insert_condition_with_string", break_insert("f", R"($_streq(p, "x\y"))", false, false),
     R"x(-break-insert -c "$_streq(p, \"x\\y\")" "f")x"},
    {"evaluate_expression", evaluate_expression("ns->root->mnt_devname"),
     R"(-data-evaluate-expression "ns->root->mnt_devname")"},
    {"evaluate_expression_quoted", evaluate_expression(R"("a\n")"),
     R"(-data-evaluate-expression "\"a\\n\"")"},
    {"target_select_remote", target_select_remote("/tmp/kh run/gdb.sock"),
     R"(-target-select remote "/tmp/kh run/gdb.sock")"},
    {"target_select_remote_tcp", target_select_remote("localhost:1234"),
     R"(-target-select remote "localhost:1234")"},
    {"stack_list_frames", stack_list_frames(), "-stack-list-frames"},
    {"stack_list_arguments_simple", stack_list_arguments(true), "-stack-list-arguments --simple-values"},
    {"stack_list_arguments_names", stack_list_arguments(false), "-stack-list-arguments --no-values"},
    {"exec_continue", exec_continue(), "-exec-continue"},
    {"exec_step_instruction", exec_step_instruction(), "-exec-step-instruction"},
    {"interpreter_exec_console", interpreter_exec_console("source /x/vmlinux-gdb.py"),
     R"(-interpreter-exec console "source /x/vmlinux-gdb.py")"},
    {"interpreter_exec_console_quotes", interpreter_exec_console(R"(echo "hi"\n)"),
     R"(-interpreter-exec console "echo \"hi\"\\n")"},
    {"symbol_info_functions", symbol_info_functions("^copy_mnt_ns$"),
     R"(-symbol-info-functions --name "^copy_mnt_ns$")"},
};
INSTANTIATE_TEST_SUITE_P(Commands, CommandTest, ::testing::ValuesIn(kCommandCases),
                         [](const auto& case_info) { return std::string(case_info.param.name); });

}  // namespace
}  // namespace kh::mi
