#include "support/processes.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "common/deadline.h"

namespace kh::test_support {
namespace {

std::set<pid_t> child_pids() {
  std::set<pid_t> pids;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream children(task.path() / "children");
    pid_t pid;
    while (children >> pid) {
      pids.insert(pid);
    }
  }
  return pids;
}

std::string comm_of(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

// Parent pid and state from /proc/PID/stat ("pid (comm) S ppid ..."; comm may hold spaces).
bool read_stat(pid_t pid, pid_t& parent, char& state) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const auto close = text.rfind(')');
  if (close == std::string::npos || close + 4 > text.size()) {
    return false;
  }
  state = text[close + 2];
  parent = static_cast<pid_t>(std::atoi(text.c_str() + close + 4));
  return true;
}

}  // namespace

void become_subreaper() {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
}

std::vector<std::string> children_left() {
  const Deadline deadline = Deadline::in(std::chrono::seconds(10));
  while (!child_pids().empty() && !deadline.expired()) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<std::string> left;
  for (pid_t pid : child_pids()) {
    left.push_back(comm_of(pid) + "[" + std::to_string(pid) + "]");
  }
  return left;
}

void kill_children() {
  for (pid_t pid : child_pids()) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

int descendants_named(pid_t root, const std::string& comm) {
  std::map<pid_t, pid_t> parents;
  std::map<pid_t, std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const pid_t pid = static_cast<pid_t>(std::stoi(name));
    pid_t parent = 0;
    char state = '?';
    if (read_stat(pid, parent, state) && state != 'Z') {
      parents[pid] = parent;
      names[pid] = comm_of(pid);
    }
  }
  int count = 0;
  for (const auto& [pid, name] : names) {
    if (name != comm) {
      continue;
    }
    for (pid_t up = parents[pid]; up > 1; up = parents.count(up) ? parents[up] : 0) {
      if (up == root) {
        ++count;
        break;
      }
    }
  }
  return count;
}

}  // namespace kh::test_support
