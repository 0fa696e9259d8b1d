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

// Mount lists of the same guest on two boots (6.1.192 and 6.12.117 here): other ids, another
// namespace address, other peer-group numbers; the same mounts compare equal, a new one does not.
TEST(ValueText, MountListsCompareByTheirMountsNotTheirIdsOrAddresses) {
  auto mounts = [](const std::string& lines) {
    return captured("\"kh-mount-table mnt_ns=0xffff88800042b458\\n" + lines + "\"");
  };
  trace::CapturedValue on_61 = mounts(
      "13 13 / / rootfs rootfs private\\n14 13 /dev / devtmpfs devtmpfs private\\n"
      "15 13 /proc / proc proc shared:3\\n16 15 /proc/a\\\\040b /x proc proc master:3\\n");
  trace::CapturedValue on_612 = mounts(
      "14 14 / / rootfs rootfs private\\n15 14 /dev / devtmpfs devtmpfs private\\n"
      "16 14 /proc / proc proc shared:7\\n17 16 /proc/a\\\\040b /x proc proc master:7\\n");
  on_612.value->replace(on_612.value->find("42b458"), 6, "413e00");
  EXPECT_EQ(comparable_capture(on_61),
            "<mounts: / rootfs, /dev devtmpfs, /proc proc shared:1, \"/proc/a b\"[/x] proc master:1>");
  EXPECT_EQ(comparable_capture(on_61), comparable_capture(on_612));
  trace::CapturedValue with_bind = mounts(
      "13 13 / / rootfs rootfs private\\n14 13 /dev / devtmpfs devtmpfs private\\n"
      "15 13 /proc / proc proc shared:3\\n16 15 /proc/a\\\\040b /x proc proc master:3\\n"
      "18 13 /mount_dir_test /myproc rootfs rootfs private\\n");
  EXPECT_NE(comparable_capture(on_61), comparable_capture(with_bind));
  EXPECT_TRUE(comparable_capture(with_bind).ends_with(", /mount_dir_test[/myproc] rootfs>"));
  // A list that does not parse is compared as the text it is.
  trace::CapturedValue broken = captured("\"kh-mount-table mnt_ns=0x1\\nnot a line\\n\"");
  EXPECT_EQ(comparable_capture(broken), "\"kh-mount-table mnt_ns=0x1\\nnot a line\\n\"");
}

TEST(ValueText, QuotesControlBytesAsCEscapes) {
  EXPECT_EQ(quoted_c_string(trace::GdbString{std::string("a\"b\\c\n\x01", 7), false}),
            "\"a\\\"b\\\\c\\n\\001\"");
  EXPECT_EQ(quoted_c_string(trace::GdbString{"long", true}), "\"long\"...");
}

}  // namespace
}  // namespace kh::report
