#include "vm/serial_log.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace kh::vm {
namespace {

using namespace std::string_view_literals;

struct CleanCase {
  std::string_view raw;
  std::string_view clean;
};

TEST(SerialLogTest, CleansCarriageReturnsAndEscapes) {
  const CleanCase cases[] = {
      {"KH-READY\r", "KH-READY"},
      {"\x1b" "c\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2)\r", "SeaBIOS (version 1.16.2)"},
      {"Booting from ROM..\x1b" "c\x1b[0m.KH: start\r", "Booting from ROM...KH: start"},
      {"tab\there", "tab\there"},
      {"bell\a and nul\0x"sv, "bell and nulx"},
      {"dangling escape \x1b[12", "dangling escape "},
      {"", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(clean_serial_line(c.raw), c.clean) << "raw: " << c.raw;
  }
}

struct CrashCase {
  std::string_view line;
  bool crash;
};

TEST(SerialLogTest, RecognisesKernelCrashLines) {
  const CrashCase cases[] = {
      {"Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)", true},
      {"[    1.234567] Kernel panic - not syncing: No working init found.", true},
      {"BUG: kernel NULL pointer dereference, address: 0000000000000000", true},
      {"Oops: 0002 [#1] SMP PTI", true},
      {"kernel BUG at mm/slub.c:306!", true},
      {"general protection fault, probably for non-canonical address 0xdead: 0000 [#1]", true},
      {"VFS: Cannot open root device \"(null)\" or unknown-block(0,0): error -6", false},
      {"KH-EXIT 0", false},
      {"reboot: Power down", false},
      {"DEBUG: all fine", false},
      {"Booting from ROM...Kernel panic - not syncing: No working init found.", true},
      {"guest says: BUG: not the kernel's", false},
      {"[   12.5] BUG: soft lockup - CPU#0 stuck for 22s!", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(is_kernel_crash_line(c.line), c.crash) << c.line;
  }
}

TEST(SerialLogTest, SplitsLinesAcrossChunks) {
  SerialLog log;
  log.append("first li");
  EXPECT_TRUE(log.lines().empty());
  EXPECT_EQ(log.partial_line(), "first li");
  log.append("ne\r\nsecond\r\nthi");
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[0], "first line");
  EXPECT_EQ(log.lines()[1], "second");
  EXPECT_EQ(log.partial_line(), "thi");
  EXPECT_EQ(log.text(), "first line\r\nsecond\r\nthi");
}

TEST(SerialLogTest, FindsCompleteLinesAndThePartialOneOnlyWhenAsked) {
  SerialLog log;
  log.append("boot\nKH-READY\nKH-START nsclone\nKH-EXIT 0");
  EXPECT_EQ(log.find_line("KH-READY"), "KH-READY");
  EXPECT_EQ(log.find_line("KH-"), "KH-READY");
  EXPECT_EQ(log.find_line("KH-", 2), "KH-START nsclone");
  EXPECT_FALSE(log.find_line("KH-EXIT"));
  EXPECT_EQ(log.find_line("KH-EXIT", 0, true), "KH-EXIT 0");
  EXPECT_FALSE(log.find_line("absent", 0, true));
}

TEST(SerialLogTest, TailIncludesTheUnfinishedLine) {
  SerialLog log;
  log.append("a\nb\nc\nd");
  EXPECT_EQ(log.tail(2), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(log.tail(10), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_TRUE(log.tail(0).empty());
  log.append("\n");
  EXPECT_EQ(log.tail(2), (std::vector<std::string>{"c", "d"}));
}

TEST(SerialLogTest, KeepsTheFirstCrashLine) {
  SerialLog log;
  log.append("BUG: unable to handle page fault for address: 0000000000000008\r\n");
  log.append("Oops: 0000 [#1] PREEMPT SMP NOPTI\r\n");
  log.append("Kernel panic - not syncing: Fatal exception\r\n");
  ASSERT_TRUE(log.panic_line());
  EXPECT_EQ(*log.panic_line(), "BUG: unable to handle page fault for address: 0000000000000008");
}

TEST(SerialLogTest, ThePanicLineStartsWithTheKernelsOwnMessage) {
  SerialLog log;
  log.append(
      "\x1b"
      "c\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n");
  log.append(
      "Booting from ROM..\x1b"
      "c\x1b[0m.Kernel panic - not syncing: No working init found.  Try passing "
      "init= option to kernel.\r\n");
  ASSERT_TRUE(log.panic_line());
  EXPECT_EQ(*log.panic_line(),
            "Kernel panic - not syncing: No working init found.  Try passing init= option to kernel.");
  // The serial lines themselves stay as the guest wrote them: they are the evidence.
  EXPECT_TRUE(log.lines().back().starts_with("Booting from ROM..."));
}

TEST(SerialLogTest, KernelMessageInDropsOnlyTheFirmwaresText) {
  const CleanCase cases[] = {
      {"Booting from ROM...Kernel panic - not syncing: VFS: Unable to mount root fs",
       "Kernel panic - not syncing: VFS: Unable to mount root fs"},
      {"Booting from ROM..[    0.912345] Kernel panic - not syncing: No init",
       "[    0.912345] Kernel panic - not syncing: No init"},
      {"[    0.912345] Kernel panic - not syncing: No init",
       "[    0.912345] Kernel panic - not syncing: No init"},
      {"Kernel panic - not syncing: Fatal exception", "Kernel panic - not syncing: Fatal exception"},
      {"Booting from ROM..[x] Kernel panic - not syncing: odd", "Kernel panic - not syncing: odd"},
      {"BUG: kernel NULL pointer dereference", "BUG: kernel NULL pointer dereference"},
      {"KH-EXIT 0", "KH-EXIT 0"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(kernel_message_in(c.raw), c.clean) << c.raw;
  }
}

TEST(SerialLogTest, ReadsTheRealSerialFixture) {
  std::ifstream in(std::string(KH_FIXTURES_DIR) + "/trace-mount-linux-source-6.1.serial", std::ios::binary);
  ASSERT_TRUE(in) << "fixture missing";
  std::ostringstream raw;
  raw << in.rdbuf();
  SerialLog log;
  // Byte by byte, as a slow UART would deliver it.
  for (char c : raw.str()) {
    log.append(std::string_view(&c, 1));
  }
  EXPECT_EQ(log.text(), raw.str());
  EXPECT_TRUE(log.find_line("SeaBIOS (version"));
  EXPECT_EQ(log.find_line("exit="), "KH: exit=0");
  EXPECT_EQ(log.find_line("Power down"), "reboot: Power down");
  EXPECT_FALSE(log.panic_line());
}

}  // namespace
}  // namespace kh::vm
