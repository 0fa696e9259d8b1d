// The trace model's JSON form (the report and `kharness diff` read it back) and verdict helpers.
#include <gtest/gtest.h>

#include <string>

#include "trace/trace_model.h"

namespace kh::trace {
namespace {

Trace sample_trace() {
  Trace trace;
  trace.scenario = "trace-mount";
  trace.kernel_release = "6.1.0-28-amd64";
  Hit hit;
  hit.breakpoint = "attach_recursive_mnt";
  hit.index = 3;
  hit.frames = {Frame{0, "attach_recursive_mnt", "fs/namespace.c", 2239, "0xffffffff811a4b54",
                      {{"source_mnt", "0xffff8880003fde00"}, {"moving", "false"}}},
                Frame{1, "graft_tree", "fs/namespace.c", 2393, "0xffffffff811a4f8a", {}}};
  hit.captures = {{"dest", "dest_mp->m_dentry->d_name.name", "0xffff888000400000 \"mount_dir_test\"", {}},
                  {"bad", "x->y", std::nullopt, "There is no member named y."}};
  hit.task_comm = "nsclone";
  hit.task_pid = 42;
  hit.time_s = 1.25;
  trace.hits.push_back(hit);
  return trace;
}

TEST(TraceJson, RoundTripsATrace) {
  Trace trace = sample_trace();
  nlohmann::json json = trace;
  EXPECT_EQ(json["hits"][0]["captures"][1]["value"], nullptr);
  EXPECT_EQ(json["hits"][0]["frames"][0]["args"][1]["value"], "false");
  auto back = parse_trace_json(json.dump(2));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, trace);
}

TEST(TraceJson, RoundTripsResults) {
  ExpectationResult result{"copy_mnt_ns", "backtrace", "backtrace has copy_process <- kernel_clone", Verdict::Fail,
                           "copy_process <- kernel_clone", "copy_process <- _do_fork (missing kernel_clone)", 7,
                           "scenarios/trace-mount.xml:12"};
  nlohmann::json json = result;
  EXPECT_EQ(json["verdict"], "FAIL");
  EXPECT_EQ(json.get<ExpectationResult>(), result);
  result.hit_index.reset();
  json = result;
  EXPECT_EQ(json["hit_index"], nullptr);
  EXPECT_EQ(json.get<ExpectationResult>(), result);
}

TEST(TraceJson, MissingFieldsTakeDefaults) {
  auto trace = parse_trace_json(R"({"scenario":"s","hits":[{"breakpoint":"b","frames":[{"func":"f"}]}]})");
  ASSERT_TRUE(trace.ok()) << trace.error().to_string();
  EXPECT_EQ(trace->hits[0].task_pid, -1);
  EXPECT_EQ(trace->hits[0].frames[0].func, "f");
  EXPECT_TRUE(trace->hits[0].captures.empty());
}

TEST(TraceJson, BadJsonIsAParseError) {
  for (const char* text : {"{", R"({"hits":"no"})", R"({"hits":[{"frames":[{"level":"zero"}]}]})"}) {
    auto trace = parse_trace_json(text);
    ASSERT_FALSE(trace.ok()) << text;
    EXPECT_EQ(trace.error().kind, ErrorKind::Parse) << text;
  }
  EXPECT_THROW(nlohmann::json("MAYBE").get<Verdict>(), nlohmann::json::exception);
}

TEST(Verdicts, NamesAndAggregation) {
  for (Verdict verdict : {Verdict::Pass, Verdict::Fail, Verdict::Timeout, Verdict::Infra, Verdict::Error,
                          Verdict::Skipped}) {
    EXPECT_EQ(*parse_verdict(to_string(verdict)), verdict);
  }
  EXPECT_EQ(*parse_verdict("pass"), Verdict::Pass);
  EXPECT_FALSE(parse_verdict("passed").ok());

  auto with = [](std::initializer_list<Verdict> verdicts) {
    std::vector<ExpectationResult> results;
    for (Verdict v : verdicts) results.push_back(ExpectationResult{{}, {}, {}, v, {}, {}, {}, {}});
    return overall_verdict(results);
  };
  EXPECT_EQ(with({}), Verdict::Pass);
  EXPECT_EQ(with({Verdict::Pass, Verdict::Pass}), Verdict::Pass);
  EXPECT_EQ(with({Verdict::Pass, Verdict::Fail}), Verdict::Fail);
  EXPECT_EQ(with({Verdict::Fail, Verdict::Error, Verdict::Timeout}), Verdict::Error);
  EXPECT_EQ(with({Verdict::Skipped}), Verdict::Skipped);
  EXPECT_EQ(with({Verdict::Skipped, Verdict::Pass}), Verdict::Pass);
}

TEST(TraceModel, Helpers) {
  Trace trace = sample_trace();
  trace.hits.push_back(Hit{"other", 4, {}, {}, {}, -1, 0});
  EXPECT_EQ(hits_of(trace, "attach_recursive_mnt").size(), 1u);
  EXPECT_TRUE(hits_of(trace, "none").empty());
  EXPECT_EQ(find_capture(trace.hits[0], "dest")->expr, "dest_mp->m_dentry->d_name.name");
  EXPECT_EQ(find_capture(trace.hits[0], "nope"), nullptr);
  EXPECT_EQ(format_chain(trace.hits[0].frames), "attach_recursive_mnt <- graft_tree");
}

}  // namespace
}  // namespace kh::trace
