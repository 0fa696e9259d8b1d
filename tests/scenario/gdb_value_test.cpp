// Reading gdb's printed values as numbers and C strings.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "trace/gdb_value.h"

namespace kh::trace {
namespace {

struct StringCase {
  const char* value;
  std::optional<std::string> text;  // nullopt: not a string
  bool truncated;
};

const StringCase kStringCases[] = {
    {R"(0xffff888003a4c000 "myproc")", "myproc", false},
    {R"((const unsigned char *) 0xffff88807c55f6f8 "mount_dir_test")", "mount_dir_test", false},
    {R"(0xffffffff81a0 <saved_command_line> "console=ttyS0")", "console=ttyS0", false},
    {R"("myproc")", "myproc", false},
    {R"("abc", '\000' <repeats 12 times>)", "abc", false},
    {R"('x' <repeats 3 times>, "yz")", "xxxyz", false},
    {R"("a\"b\\c\nd\te")", "a\"b\\c\nd\te", false},
    {R"("\303\251t\303\251")", "\xc3\xa9t\xc3\xa9", false},
    {R"("ab\000cd")", "ab", false},
    {R"(0x4000 "aaaa"...)", "aaaa", true},
    {R"("")", "", false},
    {"0xffff888000092d80", std::nullopt, false},
    {"0x0", std::nullopt, false},
    {"131584", std::nullopt, false},
    {"0xffffffff8183f600 <init_user_ns>", std::nullopt, false},
    {"<optimized out>", std::nullopt, false},
    {"0xdead <error: Cannot access memory at address 0xdead>", std::nullopt, false},
    {"MNT_SHARED", std::nullopt, false},
    {R"("unterminated)", std::nullopt, false},
    {R"("a" junk)", std::nullopt, false},
    {R"({name = 0x0, len = 3})", std::nullopt, false},
};

class CStringTable : public testing::TestWithParam<StringCase> {};

TEST_P(CStringTable, Decodes) {
  const StringCase& c = GetParam();
  auto text = c_string(c.value);
  ASSERT_EQ(text.has_value(), c.text.has_value()) << c.value;
  if (text) {
    EXPECT_EQ(text->text, *c.text) << c.value;
    EXPECT_EQ(text->truncated, c.truncated) << c.value;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, CStringTable, testing::ValuesIn(kStringCases));

TEST(CString, HugeRepeatIsCappedAndTruncated) {
  auto text = c_string("'a' <repeats 99999999999 times>");
  ASSERT_TRUE(text.has_value());
  EXPECT_TRUE(text->truncated);
  EXPECT_LE(text->text.size(), 1u << 20);
}

struct NumberCase {
  const char* value;
  std::optional<GdbNumber> number;
};

const NumberCase kLeadingNumbers[] = {
    {"131584", GdbNumber{false, 131584}},
    {"-1", GdbNumber{true, 1}},
    {"-0", GdbNumber{false, 0}},
    {"0x0", GdbNumber{false, 0}},
    {"0xffffffffffffffff", GdbNumber{false, 0xffffffffffffffffULL}},
    {"0xffffffff8183f600 <init_user_ns>", GdbNumber{false, 0xffffffff8183f600ULL}},
    {R"((struct mount *) 0xffff888000092d80)", GdbNumber{false, 0xffff888000092d80ULL}},
    {"97 'a'", GdbNumber{false, 97}},
    {" 42 ", GdbNumber{false, 42}},
    {"1.5", std::nullopt},
    {"true", std::nullopt},
    {"<optimized out>", std::nullopt},
    {R"("12")", std::nullopt},
    {"0x10000000000000000", std::nullopt},
    {"", std::nullopt},
};

class LeadingNumberTable : public testing::TestWithParam<NumberCase> {};

TEST_P(LeadingNumberTable, Reads) {
  const NumberCase& c = GetParam();
  EXPECT_EQ(leading_number(c.value), c.number) << c.value;
}

INSTANTIATE_TEST_SUITE_P(Table, LeadingNumberTable, testing::ValuesIn(kLeadingNumbers));

TEST(GdbNumber, ParsesOnlyWholeNumbers) {
  EXPECT_EQ(parse_number("0x00020000"), (GdbNumber{false, 0x20000}));
  EXPECT_EQ(parse_number("-12"), (GdbNumber{true, 12}));
  EXPECT_EQ(parse_number("12 "), std::nullopt);
  EXPECT_EQ(parse_number("0x"), std::nullopt);
  EXPECT_EQ(parse_number("abc"), std::nullopt);
}

TEST(GdbNumber, OrdersSignedValues) {
  GdbNumber minus_two{true, 2};
  GdbNumber minus_one{true, 1};
  GdbNumber zero{false, 0};
  GdbNumber big{false, 0xffffffffffffffffULL};
  EXPECT_LT(minus_two, minus_one);
  EXPECT_LT(minus_one, zero);
  EXPECT_LT(zero, big);
  EXPECT_EQ(minus_one.to_string(), "-1");
  EXPECT_EQ(big.to_string(), "18446744073709551615");
}

}  // namespace
}  // namespace kh::trace
