#include "common/deadline.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

namespace kh {
namespace {

// Self-pipe: the signal handler writes one byte, waits poll its read end. Never drained, so it
// stays readable and every later wait also returns Interrupted.
std::atomic<int> g_interrupt_read_fd{-1};
std::atomic<int> g_interrupt_write_fd{-1};
std::atomic<int> g_interrupt_signal{0};

// One registered process group: its id (0: free, -1: being filled in) and its program's name, read
// by the signal handler.
struct GroupSlot {
  std::atomic<int> pgid{0};
  std::array<char, 32> name{};
};
constexpr std::size_t kMaxGroups = 64;
std::array<GroupSlot, kMaxGroups> g_groups{};

// Appends to a fixed buffer: all the signal handler may use (no allocation, no stdio).
struct SignalSafeLine {
  std::array<char, 1024> text{};
  std::size_t size = 0;

  void add(const char* part) {
    for (; *part != '\0' && size < text.size(); ++part) {
      text[size++] = *part;
    }
  }
  void add_number(int number) {
    char digits[16];
    std::size_t count = 0;
    unsigned value = number < 0 ? 0U : static_cast<unsigned>(number);
    do {
      digits[count++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0 && count < sizeof digits);
    while (count > 0 && size < text.size()) {
      text[size++] = digits[--count];
    }
  }
};

// Second signal: the user insists. Kill what we started, say so in one line, and leave now.
[[noreturn]] void kill_everything_and_exit(int signo) {
  SignalSafeLine line;
  line.add("kharness: interrupted again: ");
  int killed = 0;
  for (auto& group : g_groups) {
    const int pgid = group.pgid.load();
    if (pgid <= 0) {
      continue;
    }
    ::kill(-pgid, SIGKILL);
    line.add(killed++ == 0 ? "killed " : ", ");
    line.add(group.name[0] != '\0' ? group.name.data() : "a child");
    line.add(" (pid ");
    line.add_number(pgid);
    line.add(")");
  }
  line.add(killed == 0 ? "nothing was running; exiting\n" : " with their process groups; exiting\n");
  if (line.size == line.text.size()) {
    line.text[line.size - 1] = '\n';
  }
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.text.data(), line.size);
  ::_exit(128 + signo);
}

void on_signal(int signo) {
  int expected = 0;
  if (!g_interrupt_signal.compare_exchange_strong(expected, signo)) {
    kill_everything_and_exit(signo);
  }
  int fd = g_interrupt_write_fd.load();
  if (fd >= 0) {
    char byte = 1;
    [[maybe_unused]] ssize_t n = ::write(fd, &byte, 1);
  }
}

}  // namespace

int Deadline::poll_timeout_ms() const {
  if (is_never()) {
    return -1;
  }
  auto left = at_ - Clock::now();
  if (left <= Clock::duration::zero()) {
    return 0;
  }
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(ms);
}

Result<std::size_t> wait_readable(std::span<const int> fds, Deadline deadline) {
  std::vector<pollfd> pfds;
  pfds.reserve(fds.size() + 1);
  for (int fd : fds) {
    pfds.push_back(pollfd{fd, POLLIN, 0});
  }
  int interrupt_fd = g_interrupt_read_fd.load();
  if (interrupt_fd >= 0) {
    pfds.push_back(pollfd{interrupt_fd, POLLIN, 0});
  }
  for (;;) {
    if (g_interrupt_signal.load() != 0) {
      return make_error(ErrorKind::Interrupted, "interrupted by signal {}", g_interrupt_signal.load());
    }
    int rc = ::poll(pfds.data(), pfds.size(), deadline.poll_timeout_ms());
    if (rc < 0) {
      if (errno == EINTR) {
        continue;
      }
      return make_error(ErrorKind::Io, "poll failed: {}", std::strerror(errno));
    }
    if (g_interrupt_signal.load() != 0) {
      return make_error(ErrorKind::Interrupted, "interrupted by signal {}", g_interrupt_signal.load());
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (pfds[i].revents != 0) {
        return i;
      }
    }
    if (rc == 0 || deadline.expired()) {
      return make_error(ErrorKind::Timeout, "timed out");
    }
  }
}

void install_interrupt_handlers() {
  if (g_interrupt_read_fd.load() < 0) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
      g_interrupt_read_fd.store(fds[0]);
      g_interrupt_write_fd.store(fds[1]);
    }
  }
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signo : {SIGINT, SIGTERM, SIGHUP}) {
    ::sigaction(signo, &action, nullptr);
  }
}

bool interrupted() { return g_interrupt_signal.load() != 0; }

int interrupt_signal() { return g_interrupt_signal.load(); }

void register_process_group(int pgid, std::string_view name) {
  for (auto& group : g_groups) {
    int expected = 0;
    // Reserved (-1) while the name is written: the handler only reads slots with a pgid.
    if (group.pgid.compare_exchange_strong(expected, -1)) {
      const std::size_t length = std::min(name.size(), group.name.size() - 1);
      std::copy_n(name.data(), length, group.name.data());
      group.name[length] = '\0';
      group.pgid.store(pgid);
      return;
    }
  }
}

void unregister_process_group(int pgid) {
  for (auto& group : g_groups) {
    int expected = pgid;
    if (group.pgid.compare_exchange_strong(expected, 0)) {
      return;
    }
  }
}

}  // namespace kh
