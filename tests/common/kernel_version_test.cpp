// kh::KernelVersion and kh::KernelVersionRange: parsing, ordering and range membership, as tables.
#include "common/kernel_version.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace kh {
namespace {

struct VersionCase {
  std::string text;
  int major;
  int minor;
  int patch;
  std::string suffix;
};

class ParsesVersion : public ::testing::TestWithParam<VersionCase> {};

TEST_P(ParsesVersion, IntoItsParts) {
  const VersionCase& c = GetParam();
  auto version = KernelVersion::parse(c.text);
  ASSERT_TRUE(version.ok()) << version.error().to_string();
  EXPECT_EQ(version->major, c.major);
  EXPECT_EQ(version->minor, c.minor);
  EXPECT_EQ(version->patch, c.patch);
  EXPECT_EQ(version->suffix, c.suffix);
  EXPECT_EQ(version->to_string(), fmt::format("{}.{}.{}", c.major, c.minor, c.patch));
}

INSTANTIATE_TEST_SUITE_P(Table, ParsesVersion,
                         ::testing::Values(VersionCase{"4.19.304", 4, 19, 304, ""},
                                           VersionCase{"6.1.0-28-amd64", 6, 1, 0, "-28-amd64"},
                                           VersionCase{"6.12", 6, 12, 0, ""},
                                           VersionCase{"6.12-rc3", 6, 12, 0, "-rc3"},
                                           VersionCase{"5.10.0+", 5, 10, 0, "+"},
                                           VersionCase{" 6.1.5\t", 6, 1, 5, ""},
                                           VersionCase{"2.4.19", 2, 4, 19, ""}));

class RejectsVersion : public ::testing::TestWithParam<std::string> {};

TEST_P(RejectsVersion, AsAConfigError) {
  auto version = KernelVersion::parse(GetParam());
  ASSERT_FALSE(version.ok()) << GetParam() << " parsed as " << version->to_string();
  EXPECT_EQ(version.error().kind, ErrorKind::Config);
  EXPECT_NE(version.error().message.find("not a kernel version"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Table, RejectsVersion,
                         ::testing::Values("", "   ", "6", "6.", ".1", "6.x", "v6.1", "6.1.", "6.1.2.3",
                                           "6.1rc1", "6,1", "linux-6.1", "-6.1", "6.-1", "6.1.-5",
                                           "+6.1", "6.+1"));

struct OrderCase {
  std::string lower;
  std::string higher;
};

class OrdersVersions : public ::testing::TestWithParam<OrderCase> {};

TEST_P(OrdersVersions, ByNumbersOnly) {
  auto lower = KernelVersion::parse(GetParam().lower);
  auto higher = KernelVersion::parse(GetParam().higher);
  ASSERT_TRUE(lower.ok() && higher.ok());
  EXPECT_LT(*lower, *higher);
  EXPECT_GT(*higher, *lower);
  EXPECT_NE(*lower, *higher);
}

INSTANTIATE_TEST_SUITE_P(Table, OrdersVersions,
                         ::testing::Values(OrderCase{"4.19.304", "5.0"}, OrderCase{"5.9.16", "5.10"},
                                           OrderCase{"6.1.99", "6.12"}, OrderCase{"6.1", "6.1.1"},
                                           OrderCase{"4.19.9", "4.19.10"}));

TEST(KernelVersion, TheSuffixDoesNotTakePartInComparisons) {
  auto debian = KernelVersion::parse("6.1.0-28-amd64");
  auto plain = KernelVersion::parse("6.1");
  ASSERT_TRUE(debian.ok() && plain.ok());
  EXPECT_EQ(*debian, *plain);
}

struct RangeCase {
  std::string range;
  std::vector<std::string> inside;
  std::vector<std::string> outside;
};

class RangeMembership : public ::testing::TestWithParam<RangeCase> {};

TEST_P(RangeMembership, ContainsExactlyTheRightVersions) {
  const RangeCase& c = GetParam();
  auto range = KernelVersionRange::parse(c.range);
  ASSERT_TRUE(range.ok()) << range.error().to_string();
  for (const std::string& text : c.inside) {
    auto version = KernelVersion::parse(text);
    ASSERT_TRUE(version.ok()) << text;
    EXPECT_TRUE(range->contains(*version)) << c.range << " should contain " << text;
  }
  for (const std::string& text : c.outside) {
    auto version = KernelVersion::parse(text);
    ASSERT_TRUE(version.ok()) << text;
    EXPECT_FALSE(range->contains(*version)) << c.range << " should not contain " << text;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, RangeMembership,
    ::testing::Values(
        RangeCase{"<5.10", {"4.19.304", "5.9.16", "2.4.19"}, {"5.10", "5.10.1", "6.1.0-28-amd64"}},
        RangeCase{">=4.19,<5.0", {"4.19", "4.19.304", "4.20.17"}, {"4.18.20", "5.0", "5.0.1", "6.1"}},
        RangeCase{"6.1", {"6.1", "6.1.0-28-amd64", "6.1.99"}, {"6.0.19", "6.12", "6.2", "5.1"}},
        RangeCase{"=6.1", {"6.1.0", "6.1.158"}, {"6.10", "6.2.1"}},
        RangeCase{"=6.1.5", {"6.1.5", "6.1.5-rc1"}, {"6.1.4", "6.1.6", "6.1"}},
        RangeCase{"6.1.5", {"6.1.5"}, {"6.1.6"}},
        RangeCase{">6.1", {"6.1.1", "6.12"}, {"6.1", "6.0.99"}},
        RangeCase{"<=6.12", {"6.12", "6.1.99"}, {"6.12.1", "6.13"}},
        RangeCase{" >= 5.10 , < 6.12 ", {"5.10", "6.11.9"}, {"5.9", "6.12"}}));

class RejectsRange : public ::testing::TestWithParam<std::string> {};

TEST_P(RejectsRange, AsAConfigError) {
  auto range = KernelVersionRange::parse(GetParam());
  ASSERT_FALSE(range.ok()) << "'" << GetParam() << "' was accepted";
  EXPECT_EQ(range.error().kind, ErrorKind::Config);
}

INSTANTIATE_TEST_SUITE_P(Table, RejectsRange,
                         ::testing::Values("", "  ", "<", ">=", "<5.x", "5.10,", ",5.10", ">=4.19,,<5.0",
                                           "~6.1", "!6.1", "<<5.10", "6"));

TEST(KernelVersionRange, KeepsItsText) {
  auto range = KernelVersionRange::parse(" >=4.19,<5.0 ");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->text(), ">=4.19,<5.0");
}

}  // namespace
}  // namespace kh
