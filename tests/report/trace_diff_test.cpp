#include "report/trace_diff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "report/sample_reports.h"

namespace kh::report {
namespace {

using Kind = FrameChange::Kind;
using testing::trace_mount_trace_419;
using testing::trace_mount_trace_61;

const TerminalStyle kPlain{false, Verbosity::Normal};

FrameChange same(const std::string& function) {
  return FrameChange{Kind::Same, function, function};
}
FrameChange removed(const std::string& function) {
  return FrameChange{Kind::Removed, function, {}};
}
FrameChange added(const std::string& function) {
  return FrameChange{Kind::Added, {}, function};
}
FrameChange renamed(const std::string& before, const std::string& after) {
  return FrameChange{Kind::Renamed, before, after};
}

struct AlignCase {
  std::string name;
  std::vector<std::string> a;
  std::vector<std::string> b;
  std::vector<FrameChange> expected;
};

TEST(AlignChains, PairsFramesOnTheLongestCommonSubsequence) {
  const std::vector<AlignCase> cases = {
      {"identical", {"a", "b"}, {"a", "b"}, {same("a"), same("b")}},
      {"both empty", {}, {}, {}},
      {"_do_fork became kernel_clone",
       {"copy_process", "_do_fork", "__do_sys_clone"},
       {"copy_process", "kernel_clone", "__do_sys_clone"},
       {same("copy_process"), renamed("_do_fork", "kernel_clone"), same("__do_sys_clone")}},
      {"do_mount calls path_mount; ksys_mount is gone",
       {"do_loopback", "do_mount", "ksys_mount", "__do_sys_mount"},
       {"do_loopback", "path_mount", "do_mount", "__do_sys_mount"},
       {same("do_loopback"), added("path_mount"), same("do_mount"), removed("ksys_mount"),
        same("__do_sys_mount")}},
      {"more frames on one side of a gap: renames first, then the rest",
       {"do_new_mount", "do_mount", "ksys_mount", "devtmpfsd"},
       {"do_new_mount", "path_mount", "init_mount", "devtmpfs_setup", "devtmpfsd"},
       {same("do_new_mount"), renamed("do_mount", "path_mount"), renamed("ksys_mount", "init_mount"),
        added("devtmpfs_setup"), same("devtmpfsd")}},
      {"all new", {}, {"x", "y"}, {added("x"), added("y")}},
      {"all gone", {"x"}, {}, {removed("x")}},
      {"a trailing difference", {"a", "b"}, {"a", "c", "d"}, {same("a"), renamed("b", "c"), added("d")}},
  };
  for (const AlignCase& c : cases) {
    EXPECT_EQ(align_chains(c.a, c.b), c.expected) << c.name;
  }
}

const BreakpointDiff* find(const TraceDiff& diff, const std::string& breakpoint) {
  auto it = std::find_if(diff.breakpoints.begin(), diff.breakpoints.end(),
                         [&](const BreakpointDiff& b) { return b.breakpoint == breakpoint; });
  return it == diff.breakpoints.end() ? nullptr : &*it;
}

bool has_change(const HitDiff& hit, const FrameChange& change) {
  return std::find(hit.chain.begin(), hit.chain.end(), change) != hit.chain.end();
}

TEST(DiffTraces, Kernel419Against61) {
  TraceDiff diff = diff_traces(trace_mount_trace_419(), trace_mount_trace_61());
  EXPECT_FALSE(diff.equivalent());
  EXPECT_EQ(diff.label_a, "4.19.304");
  EXPECT_EQ(diff.label_b, "6.1.0");

  const BreakpointDiff* clone = find(diff, "copy_mnt_ns");
  ASSERT_NE(clone, nullptr);
  EXPECT_EQ(clone->hits_a, 1);
  EXPECT_EQ(clone->hits_b, 1);
  ASSERT_EQ(clone->hits.size(), 1U);
  EXPECT_TRUE(clone->hits[0].paired());
  EXPECT_TRUE(has_change(clone->hits[0], renamed("_do_fork", "kernel_clone")));
  EXPECT_TRUE(has_change(clone->hits[0], added("x64_sys_call")));
  // Captures agree: the same flag bit on both kernels.
  EXPECT_TRUE(clone->hits[0].values.empty());

  const BreakpointDiff* bind = find(diff, "attach_recursive_mnt");
  ASSERT_NE(bind, nullptr);
  ASSERT_EQ(bind->hits.size(), 1U);
  EXPECT_TRUE(has_change(bind->hits[0], removed("ksys_mount")));
  EXPECT_TRUE(has_change(bind->hits[0], added("path_mount")));
  // The strings agree although the addresses differ.
  EXPECT_TRUE(bind->hits[0].values.empty());
}

TEST(DiffTraces, IdenticalTracesHaveNoDifferences) {
  for (const trace::Trace& trace : {trace_mount_trace_419(), trace_mount_trace_61(), trace::Trace{}}) {
    TraceDiff diff = diff_traces(trace, trace);
    EXPECT_TRUE(diff.equivalent());
    for (const BreakpointDiff& breakpoint : diff.breakpoints) {
      EXPECT_FALSE(breakpoint.differs()) << breakpoint.breakpoint;
      for (const HitDiff& hit : breakpoint.hits) {
        EXPECT_TRUE(hit.paired());
        EXPECT_EQ(*hit.index_a, *hit.index_b);
      }
    }
    std::string text = format_trace_diff(diff, kPlain);
    EXPECT_NE(text.find("\nequivalent: same hits, call chains and values at"), std::string::npos) << text;
  }
}

TEST(DiffTraces, ReportsHitCountsAndValues) {
  trace::Trace a = trace_mount_trace_419();
  trace::Trace b = trace_mount_trace_419();
  // B: the bind mount names another directory, and the guest mounts once more from a new path.
  b.hits[3].captures[0].value = "(const unsigned char *) 0xffff88800031a118 \"other_dir\"";
  trace::Hit extra = b.hits[3];
  extra.index = 5;
  extra.frames.insert(extra.frames.begin() + 3, trace::Frame{3, "do_reconfigure_mnt", "", 0, "", {}});
  b.hits.push_back(extra);

  TraceDiff diff = diff_traces(a, b);
  EXPECT_FALSE(diff.equivalent());
  const BreakpointDiff* bind = find(diff, "attach_recursive_mnt");
  ASSERT_NE(bind, nullptr);
  EXPECT_EQ(bind->hits_a, 1);
  EXPECT_EQ(bind->hits_b, 2);
  ASSERT_EQ(bind->hits.size(), 2U);
  // The identical chain is paired, the changed one is only in B.
  EXPECT_EQ(bind->hits[0].index_a, 3);
  EXPECT_EQ(bind->hits[0].index_b, 3);
  EXPECT_FALSE(bind->hits[0].chain_differs());
  ASSERT_EQ(bind->hits[0].values.size(), 1U);
  EXPECT_EQ(bind->hits[0].values[0],
            (ValueChange{"dest", std::string("\"mount_dir_test\""), std::string("\"other_dir\"")}));
  EXPECT_FALSE(bind->hits[1].index_a.has_value());
  EXPECT_EQ(bind->hits[1].index_b, 5);
  EXPECT_FALSE(find(diff, "copy_mnt_ns")->differs());

  std::string text = format_trace_diff(diff, kPlain);
  EXPECT_NE(
      text.find("\nattach_recursive_mnt: hits 1 -> 2\n"
                "  hit #3 vs #3:\n"
                "    value   dest: \"mount_dir_test\" -> \"other_dir\"\n"
                "  hit #5 only in B:\n"
                "    attach_recursive_mnt <- graft_tree <- do_loopback <- do_reconfigure_mnt <- do_mount <- "
                "ksys_mount <- __do_sys_mount\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("\ncopy_mnt_ns: same (1 hit)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ndifferent: 1 of 3 breakpoints (attach_recursive_mnt)\n"), std::string::npos) << text;
}

TEST(DiffTraces, PointersCompareBySymbolOrNullness) {
  trace::Trace a = trace_mount_trace_419();
  trace::Trace b = a;
  a.hits[0].captures = {{"user_ns", "user_ns", "0xffffffff8183f600 <init_user_ns>", ""},
                        {"mp", "dest_mp", "0xffff88800031a0d8", ""},
                        {"parent", "parent_path", "0x0", ""}};
  b.hits[0].captures = {{"user_ns", "user_ns", "0xffffffff8184e2c0 <init_user_ns>", ""},
                        {"mp", "dest_mp", "0xffff888000184518", ""},
                        {"parent", "parent_path", "0xffff888000184600", ""}};
  TraceDiff diff = diff_traces(a, b);
  const BreakpointDiff* clone = find(diff, "copy_mnt_ns");
  ASSERT_NE(clone, nullptr);
  ASSERT_EQ(clone->hits[0].values.size(), 1U);
  EXPECT_EQ(clone->hits[0].values[0].name, "parent");
}

TEST(DiffTraces, BreakpointOnlyInOneTrace) {
  trace::Trace a = trace_mount_trace_419();
  trace::Trace b = a;
  b.hits.erase(std::remove_if(b.hits.begin(), b.hits.end(),
                              [](const trace::Hit& hit) { return hit.breakpoint == "mnt_set_mountpoint"; }),
               b.hits.end());
  TraceDiff diff = diff_traces(a, b);
  const BreakpointDiff* set = find(diff, "mnt_set_mountpoint");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->hits_a, 3);
  EXPECT_EQ(set->hits_b, 0);
  std::string text = format_trace_diff(diff, kPlain);
  EXPECT_NE(
      text.find(
          "\nmnt_set_mountpoint: hits 3 -> 0\n"
          "  hits #1, #2 only in A:\n"
          "    mnt_set_mountpoint <- attach_mnt <- copy_tree <- copy_mnt_ns <- create_new_namespaces <- "
          "copy_namespaces <- copy_process <- _do_fork <- __do_sys_clone\n"
          "  hit #4 only in A:\n"),
      std::string::npos)
      << text;
}

TEST(FormatTraceDiff, NamesRenamedRemovedAndAddedFrames) {
  std::string text = format_trace_diff(diff_traces(trace_mount_trace_419(), trace_mount_trace_61()), kPlain);
  const std::string expected =
      "A = 4.19.304   B = 6.1.0\n"
      "copy_mnt_ns: 1 hit in both\n"
      "  hit #0 vs #0:\n"
      "    renamed _do_fork -> kernel_clone  (between copy_process and __do_sys_clone)\n"
      "    added   x64_sys_call, do_syscall_x64  (between __x64_sys_clone and do_syscall_64)\n"
      "mnt_set_mountpoint: 3 hits in both\n"
      "  hits #1 vs #1, #2 vs #2:\n"
      "    renamed _do_fork -> kernel_clone  (between copy_process and __do_sys_clone)\n"
      "    added   x64_sys_call, do_syscall_x64  (between __x64_sys_clone and do_syscall_64)\n"
      "  hit #4 vs #4:\n"
      "    added   path_mount  (between do_loopback and do_mount)\n"
      "    removed ksys_mount  (between do_mount and __do_sys_mount)\n"
      "    added   x64_sys_call, do_syscall_x64  (between __x64_sys_mount and do_syscall_64)\n"
      "attach_recursive_mnt: 1 hit in both\n"
      "  hit #3 vs #3:\n"
      "    added   path_mount  (between do_loopback and do_mount)\n"
      "    removed ksys_mount  (between do_mount and __do_sys_mount)\n"
      "    added   x64_sys_call, do_syscall_x64  (between __x64_sys_mount and do_syscall_64)\n"
      "different: 3 of 3 breakpoints (copy_mnt_ns, mnt_set_mountpoint, attach_recursive_mnt)\n";
  EXPECT_EQ(text, expected);
}

TEST(FormatTraceDiff, VerboseShowsTheAlignedChain) {
  std::string text = format_trace_diff(diff_traces(trace_mount_trace_419(), trace_mount_trace_61()),
                                       TerminalStyle{false, Verbosity::Verbose});
  EXPECT_NE(
      text.find("\n    attach_recursive_mnt <- graft_tree <- do_loopback <- +path_mount <- do_mount <- "
                "-ksys_mount <- __do_sys_mount <- __se_sys_mount <- __x64_sys_mount <- +x64_sys_call <- "
                "+do_syscall_x64 <- do_syscall_64 <- entry_SYSCALL_64\n"),
      std::string::npos)
      << text;
}

}  // namespace
}  // namespace kh::report
