// The accessors of mi_record.h: lookups never throw, and absent things read as empty.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "mi/mi_parser.h"

namespace kh::mi {
namespace {

Value parse_value_of(const std::string& mi_value) {
  auto record = parse_line("^done,v=" + mi_value);
  EXPECT_TRUE(record.ok()) << record.error().message;
  return record.ok() ? std::get<ResultRecord>(*record).get("v") : Value{};
}

TEST(ValueTest, KindPredicates) {
  EXPECT_TRUE(parse_value_of(R"("x")").is_string());
  EXPECT_TRUE(parse_value_of("{}").is_tuple());
  EXPECT_TRUE(parse_value_of("[]").is_list());
  EXPECT_FALSE(parse_value_of("[]").is_tuple());
  EXPECT_FALSE(parse_value_of("{}").is_string());
}

TEST(ValueTest, StrIsEmptyForNonStrings) {
  EXPECT_EQ(parse_value_of(R"("text")").str(), "text");
  EXPECT_EQ(parse_value_of(R"({a="1"})").str(), "");
  EXPECT_EQ(parse_value_of(R"(["1"])").str(), "");
}

TEST(ValueTest, GetFindsTheFirstOfDuplicateKeys) {
  const Value tuple = parse_value_of(R"({a="1",b="2",a="3"})");
  EXPECT_EQ(tuple.get("a").str(), "1");
  EXPECT_EQ(tuple.get("b").str(), "2");
  ASSERT_NE(tuple.find("a"), nullptr);
  EXPECT_EQ(tuple.find("a")->str(), "1");
  EXPECT_EQ(tuple.find("c"), nullptr);
  const auto all = tuple.get_all("a");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->str(), "1");
  EXPECT_EQ(all[1]->str(), "3");
  EXPECT_TRUE(tuple.get_all("c").empty());
}

TEST(ValueTest, GetWorksOnListsOfResults) {
  const Value list = parse_value_of(R"([frame={level="0"},other="x",frame={level="1"}])");
  EXPECT_EQ(list.get("frame").get("level").str(), "0");
  EXPECT_EQ(list.get("other").str(), "x");
  const auto frames = list.get_all("frame");
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1]->get("level").str(), "1");
  EXPECT_EQ(list.find("missing"), nullptr);
}

TEST(ValueTest, GetOnAbsentOrWrongKindIsAnEmptyValueThatChains) {
  const Value list_of_values = parse_value_of(R"(["frame"])");
  EXPECT_EQ(list_of_values.find("frame"), nullptr);
  EXPECT_TRUE(list_of_values.get_all("frame").empty());
  const Value text = parse_value_of(R"("x")");
  EXPECT_EQ(text.find("x"), nullptr);
  EXPECT_EQ(text.get("x").get("y").at(3).str(), "");
  EXPECT_EQ(text.get("x").size(), 0u);
}

TEST(ValueTest, AbsentValuesAreTheSharedEmptyValue) {
  const Value tuple = parse_value_of(R"({a="",b={}})");
  EXPECT_EQ(&tuple.get("missing"), &empty_value());
  EXPECT_EQ(&tuple.at(7), &empty_value());
  EXPECT_NE(&tuple.get("a"), &empty_value());
  EXPECT_TRUE(empty_value().is_string());
  EXPECT_EQ(empty_value().str(), "");
}

TEST(ValueTest, AtIndexesListsAndTuples) {
  const Value list = parse_value_of(R"(["a","b"])");
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(list.at(0).str(), "a");
  EXPECT_EQ(list.at(1).str(), "b");
  EXPECT_EQ(list.at(2).str(), "");
  const Value tuple = parse_value_of(R"({x="1",y={z="2"}})");
  EXPECT_EQ(tuple.size(), 2u);
  EXPECT_EQ(tuple.at(0).str(), "1");
  EXPECT_EQ(tuple.at(1).get("z").str(), "2");
  EXPECT_TRUE(tuple.at(5).is_string());
  EXPECT_EQ(parse_value_of(R"("abc")").size(), 0u);
  EXPECT_EQ(parse_value_of(R"("abc")").at(0).str(), "");
}

TEST(RecordTest, ResultAndAsyncRecordLookups) {
  auto reply = parse_line(R"(^error,msg="No symbol \"x\" in current context.",code="undefined-command")");
  ASSERT_TRUE(reply.ok());
  const auto& result = std::get<ResultRecord>(*reply);
  EXPECT_EQ(result.error_message(), "No symbol \"x\" in current context.");
  EXPECT_EQ(result.get("code").str(), "undefined-command");
  EXPECT_EQ(result.get("absent").str(), "");

  auto stop = parse_line(R"(*stopped,reason="exited-normally")");
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(std::get<AsyncRecord>(*stop).get("reason").str(), "exited-normally");
  EXPECT_TRUE(std::get<AsyncRecord>(*stop).get("frame").get("func").str().empty());

  auto done = parse_line("^done");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(std::get<ResultRecord>(*done).error_message(), "");
}

// The session's tokens are integers; a record keeps gdb's digits and converts on demand.
TEST(RecordTest, TokenNumbers) {
  struct Case {
    const char* token;
    std::optional<std::uint64_t> number;
  };
  const Case cases[] = {
      {"", std::nullopt},
      {"0", 0},
      {"42", 42},
      {"007", 7},
      {"18446744073709551615", 18446744073709551615u},
      {"18446744073709551616", std::nullopt},
      {"99999999999999999999999", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(token_number(c.token), c.number) << c.token;
  }
  auto long_token = parse_line("99999999999999999999999^done");
  ASSERT_TRUE(long_token.ok()) << long_token.error().message;
  EXPECT_EQ(std::get<ResultRecord>(*long_token).token, "99999999999999999999999");
  EXPECT_EQ(token_number(std::get<ResultRecord>(*long_token).token), std::nullopt);
  auto async = parse_line("12*running,thread-id=\"all\"");
  ASSERT_TRUE(async.ok());
  EXPECT_EQ(token_number(std::get<AsyncRecord>(*async).token), 12u);
}

// -target-download's progress: the unnamed tuple is a field named "", found with get("").
TEST(RecordTest, UnnamedTupleOfADownloadRecord) {
  auto record = parse_line(R"(2+download,{section=".text",section-size="487359",total-size="696540"})");
  ASSERT_TRUE(record.ok()) << record.error().message;
  const auto& download = std::get<AsyncRecord>(*record);
  EXPECT_EQ(download.kind, AsyncKind::Status);
  EXPECT_EQ(download.async_class, "download");
  EXPECT_EQ(download.token, "2");
  ASSERT_EQ(download.results.fields.size(), 1u);
  EXPECT_EQ(download.results.fields[0].name, "");
  const Value& progress = download.get("");
  ASSERT_TRUE(progress.is_tuple());
  EXPECT_EQ(progress.get("section").str(), ".text");
  EXPECT_EQ(progress.get("section-size").str(), "487359");
  EXPECT_EQ(progress.get("total-size").str(), "696540");
  EXPECT_EQ(download.get("section").str(), "");
}

TEST(RecordTest, ResultClassNames) {
  EXPECT_EQ(to_string(ResultClass::Done), "done");
  EXPECT_EQ(to_string(ResultClass::Running), "running");
  EXPECT_EQ(to_string(ResultClass::Connected), "connected");
  EXPECT_EQ(to_string(ResultClass::Error), "error");
  EXPECT_EQ(to_string(ResultClass::Exit), "exit");
}

}  // namespace
}  // namespace kh::mi
