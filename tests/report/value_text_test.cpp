#include "report/value_text.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace kh::report {
namespace {

trace::CapturedValue captured(std::optional<std::string> value, std::string error = {}) {
  return trace::CapturedValue{"name", "expr", std::move(value), std::move(error)};
}

struct ValueCase {
  std::optional<std::string> gdb;  // nullopt: gdb could not evaluate it
  std::string display;
  std::string comparable;
};

// Values as gdb 13 prints them on the fixture kernels.
TEST(ValueText, ShowsCStringsAndComparesWhatSurvivesAReboot) {
  const std::vector<ValueCase> cases = {
      {"(const unsigned char *) 0xffff88807c55f6f8 \"mount_dir_test\"", "\"mount_dir_test\"",
       "\"mount_dir_test\""},
      {"0xffff88807c22a128 \"/myproc\"", "\"/myproc\"", "\"/myproc\""},
      {"\"ab\", 'c' <repeats 30 times>, \"d\"...", "\"abccccccccccccccccccccccccccccccd\"...",
       "\"abccccccccccccccccccccccccccccccd\"..."},
      {"0xffff8880000841b8 \"tab\\there\"", "\"tab\\there\"", "\"tab\\there\""},
      {"131072", "131072", "131072"},
      {"0xffffffff8183f600 <init_user_ns>", "0xffffffff8183f600 <init_user_ns>", "<init_user_ns>"},
      {"0xffff88800031a0d8", "0xffff88800031a0d8", "<address>"},
      {"(struct mountpoint *) 0xffff88800031a0d8", "(struct mountpoint *) 0xffff88800031a0d8", "<address>"},
      {"0x0", "0x0", "NULL"},
      {"<optimized out>", "<optimized out>", "<optimized out>"},
      {std::nullopt, "<error: Cannot access memory at address 0x8>", "<error>"},
  };
  for (const ValueCase& c : cases) {
    trace::CapturedValue value = captured(c.gdb, c.gdb ? "" : "Cannot access memory at address 0x8");
    EXPECT_EQ(display_capture(value), c.display) << c.gdb.value_or("(error)");
    EXPECT_EQ(comparable_capture(value), c.comparable) << c.gdb.value_or("(error)");
  }
}

TEST(ValueText, QuotesControlBytesAsCEscapes) {
  EXPECT_EQ(quoted_c_string(trace::GdbString{std::string("a\"b\\c\n\x01", 7), false}),
            "\"a\\\"b\\\\c\\n\\001\"");
  EXPECT_EQ(quoted_c_string(trace::GdbString{"long", true}), "\"long\"...");
}

}  // namespace
}  // namespace kh::report
