// The guest's serial protocol: each marker line as a typed event, and the phase a run is in.
#include "engine/guest_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace kh::engine {
namespace {

TEST(ParseGuestLine, EachMarkerIsItsEvent) {
  EXPECT_TRUE(std::holds_alternative<GuestReady>(*parse_guest_line("KH-READY")));
  auto started = parse_guest_line("KH-START mnt_ns_clone\r");
  ASSERT_TRUE(started && std::holds_alternative<GuestStarted>(*started));
  EXPECT_EQ(std::get<GuestStarted>(*started).program, "mnt_ns_clone");
  auto result = parse_guest_line("KH-RESULT bind=ok  ");
  ASSERT_TRUE(result && std::holds_alternative<GuestResult>(*result));
  EXPECT_EQ(std::get<GuestResult>(*result).text, "bind=ok");
  auto exited = parse_guest_line("KH-EXIT 137");
  ASSERT_TRUE(exited && std::holds_alternative<GuestExited>(*exited));
  EXPECT_EQ(std::get<GuestExited>(*exited).status, 137);
  auto failed = parse_guest_line("KH-INIT-FAILED mount -a");
  ASSERT_TRUE(failed && std::holds_alternative<GuestInitFailed>(*failed));
  EXPECT_EQ(std::get<GuestInitFailed>(*failed).what, "mount -a");
}

TEST(ParseGuestLine, MarkersAfterKernelOutputAndOtherLines) {
  // A kernel message without its newline may stand before the marker on the same line.
  auto exited = parse_guest_line("[    1.2] random: crng init doneKH-EXIT 0");
  ASSERT_TRUE(exited && std::holds_alternative<GuestExited>(*exited));
  EXPECT_EQ(std::get<GuestExited>(*exited).status, 0);
  EXPECT_FALSE(parse_guest_line("Linux version 6.1.0"));
  EXPECT_FALSE(parse_guest_line("KH-EXITED"));
  EXPECT_FALSE(parse_guest_line(""));
  auto garbled = parse_guest_line("KH-EXIT zero");
  ASSERT_TRUE(garbled && std::holds_alternative<GuestExited>(*garbled));
  EXPECT_EQ(std::get<GuestExited>(*garbled).status, -1);
}

TEST(GuestProtocol, FollowsTheConsoleAsItGrowsAndReadsEachLineOnce) {
  GuestProtocol protocol;
  std::string serial = "Linux version 6.1\nKH-REA";
  protocol.update(serial);
  EXPECT_EQ(protocol.phase(), GuestPhase::Boot);
  serial += "DY\nKH-START nsclone\nKH-RESULT a=1\n";
  protocol.update(serial);
  EXPECT_EQ(protocol.phase(), GuestPhase::GuestExit);
  protocol.update(serial);
  EXPECT_EQ(protocol.results(), (std::vector<std::string>{"a=1"}));
  serial += "KH-RESULT b=2\nKH-EXIT 3";
  protocol.update(serial);
  EXPECT_FALSE(protocol.exit_status());  // the line is not complete yet
  protocol.update(serial, /*final=*/true);
  EXPECT_EQ(protocol.phase(), GuestPhase::Poweroff);
  EXPECT_EQ(protocol.exit_status(), 3);
  EXPECT_EQ(protocol.results(), (std::vector<std::string>{"a=1", "b=2"}));
}

TEST(GuestProtocol, AnInitFailureEndsTheRunWithoutAGuest) {
  GuestProtocol protocol;
  protocol.update("KH-READY\nKH-INIT-FAILED no /etc/kharness/guest\n");
  ASSERT_TRUE(protocol.init_failure());
  EXPECT_EQ(*protocol.init_failure(), "no /etc/kharness/guest");
  EXPECT_EQ(protocol.phase(), GuestPhase::Poweroff);
  EXPECT_FALSE(protocol.exit_status());
}

TEST(GuestPhase, NamesThePhasesATimeoutReports) {
  EXPECT_EQ(to_string(GuestPhase::Boot), "boot");
  EXPECT_EQ(to_string(GuestPhase::GuestStart), "guest start");
  EXPECT_EQ(to_string(GuestPhase::GuestExit), "guest exit");
  EXPECT_EQ(to_string(GuestPhase::Poweroff), "poweroff");
}

}  // namespace
}  // namespace kh::engine
