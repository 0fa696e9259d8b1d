// `kharness run scenarios/trace-mount.xml --html` on Debian's 6.1 under TCG (the kernel from the
// cache): the page holds a call tree per breakpoint and the real mount lists of <capture-mounts>,
// and the child's namespace at exit shows /mount_dir_test as added, in the page and in the DOM
// Chromium builds from it. No qemu, gdb or chromium outlives the test.
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "common/child_process.h"
#include "common/file_io.h"
#include "common/temp_dir.h"
#include "report/browser.h"
#include "report/json_report.h"
#include "trace/mount_table.h"

namespace kh::report {
namespace {

std::size_t count_matches(const std::string& text, const std::string& pattern) {
  std::regex re(pattern);
  return static_cast<std::size_t>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

// Our direct children that still run: after kharness (or chromium) was reaped, the orphans it
// left, which come to us as their reaper. Each gets `grace` to end (chromium's helpers get their
// SIGTERM as chromium's process group is ended, and take a moment); the ended ones are reaped.
std::set<pid_t> children(std::chrono::milliseconds grace = std::chrono::milliseconds(0)) {
  auto list = [] {
    std::set<pid_t> pids;
    std::ifstream file("/proc/self/task/" + std::to_string(::gettid()) + "/children");
    for (pid_t pid; file >> pid;)
      pids.insert(pid);
    return pids;
  };
  for (pid_t pid : list()) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0) {
      pollfd ended{fd, POLLIN, 0};
      ::poll(&ended, 1, static_cast<int>(grace.count()));
      ::close(fd);
    }
    ::waitpid(pid, nullptr, WNOHANG);
  }
  return list();
}

TEST(HtmlReportVm, TraceMountMarksTheBindMountAsAdded) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  auto dir = TempDir::create("kh-html-vm-");
  ASSERT_TRUE(dir.ok());
  std::filesystem::path html_path = dir->path() / "trace-mount.html";
  std::filesystem::path json_path = dir->path() / "trace-mount.json";
  ChildSpec spec;
  spec.argv = {std::string(KH_BINARY_DIR) + "/kharness",
               "run",
               "--accel",
               "tcg",
               std::string(KH_SOURCE_DIR) + "/scenarios/trace-mount.xml",
               "--html",
               html_path.string(),
               "--json",
               json_path.string()};
  spec.env = {{"NO_COLOR", "1"}};
  auto run = run_command(spec, Deadline::in(std::chrono::seconds(600)));
  ASSERT_TRUE(run.ok()) << run.error().to_string();
  EXPECT_EQ(run->exit_code, 0) << run->output;
  EXPECT_TRUE(children().empty()) << "a process outlived kharness";

  // Every mount list was read whole, and the child's last one has the bind.
  auto report = read_json_report(json_path);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  std::size_t lists = 0;
  bool bind_seen = false;
  for (const trace::Hit& hit : report->trace.hits) {
    for (const trace::CapturedValue& capture : hit.captures) {
      if (capture.expr != "$kh_mount_table()")
        continue;
      ++lists;
      // The scenario names each <capture-mounts>.
      EXPECT_TRUE(capture.name == "parent_mounts" || capture.name == "child_mounts" ||
                  capture.name == "mounts_at_exit")
          << hit.breakpoint << ": " << capture.name;
      ASSERT_TRUE(capture.value.has_value()) << hit.breakpoint << ": " << capture.error;
      auto table = trace::mount_table_from_value(*capture.value);
      ASSERT_TRUE(table.ok()) << table.error().to_string() << "\n" << *capture.value;
      for (const trace::MountEntry& mount : table->mounts) {
        bind_seen = bind_seen || (mount.mount_point == "/mount_dir_test" && mount.root == "/myproc");
      }
    }
  }
  EXPECT_GE(lists, 4U);  // copy_mnt_ns, attach_recursive_mnt twice, exit_task_namespaces
  EXPECT_TRUE(bind_seen);
  // The terminal report prints the `as` name, a mount list in one line.
  EXPECT_NE(run->output.find("child_mounts = <"), std::string::npos) << run->output;
  EXPECT_EQ(run->output.find("$kh_mount_table()"), std::string::npos) << run->output;

  auto html = read_file(html_path);
  ASSERT_TRUE(html.ok()) << html.error().to_string();
  // copy_mnt_ns, do_mount, attach_recursive_mnt, mnt_set_mountpoint, exit_task_namespaces.
  EXPECT_EQ(count_matches(*html, "<svg[^>]* class=\"call-tree\""), 5U);
  EXPECT_EQ(count_matches(*html, "<g class=\"mount added\" data-mount-point=\"/mount_dir_test\""), 1U);

  auto dom = test::chromium_dom(html_path);
  ASSERT_TRUE(dom.ok()) << dom.error().to_string();
  EXPECT_EQ(count_matches(*dom, "<g class=\"mount added\" data-mount-point=\"/mount_dir_test\""), 1U);
  EXPECT_EQ(count_matches(*dom, "data-failed=\"0\""), 1U);
  EXPECT_TRUE(children(std::chrono::seconds(5)).empty()) << "a process outlived chromium";
}

}  // namespace
}  // namespace kh::report
