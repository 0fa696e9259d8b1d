#include "common/deadline.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

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

constexpr std::size_t kMaxGroups = 64;
std::array<std::atomic<int>, kMaxGroups> g_groups{};

void on_signal(int signo) {
  int expected = 0;
  if (!g_interrupt_signal.compare_exchange_strong(expected, signo)) {
    // Second signal: the user insists. Kill what we started and leave now.
    for (auto& group : g_groups) {
      int pgid = group.load();
      if (pgid > 0) {
        ::kill(-pgid, SIGKILL);
      }
    }
    ::_exit(128 + signo);
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

void register_process_group(int pgid) {
  for (auto& group : g_groups) {
    int expected = 0;
    if (group.compare_exchange_strong(expected, pgid)) {
      return;
    }
  }
}

void unregister_process_group(int pgid) {
  for (auto& group : g_groups) {
    int expected = pgid;
    if (group.compare_exchange_strong(expected, 0)) {
      return;
    }
  }
}

}  // namespace kh
