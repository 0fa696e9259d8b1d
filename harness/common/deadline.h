// Deadlines for every wait in kharness: waits are for events, bounded by a Deadline, never sleeps.
#pragma once

#include <chrono>
#include <span>
#include <string_view>

#include "common/result.h"

namespace kh {

using Clock = std::chrono::steady_clock;

// A point in time after which a wait gives up. `Deadline::never()` waits without bound.
class Deadline {
 public:
  static Deadline in(std::chrono::milliseconds duration) { return Deadline(Clock::now() + duration); }
  static Deadline never() { return Deadline(Clock::time_point::max()); }
  explicit Deadline(Clock::time_point at) : at_(at) {}

  bool is_never() const { return at_ == Clock::time_point::max(); }
  bool expired() const { return !is_never() && Clock::now() >= at_; }
  Clock::time_point at() const { return at_; }
  // Milliseconds left, rounded up, for poll(2): -1 for never, 0 when expired.
  int poll_timeout_ms() const;
  // The earlier of the two deadlines.
  Deadline min(Deadline other) const { return at_ <= other.at_ ? *this : other; }

 private:
  Clock::time_point at_;
};

// Waits until one of `fds` is readable (or hung up), the deadline passes (ErrorKind::Timeout) or
// the user interrupts kharness (ErrorKind::Interrupted). Returns the index of a ready fd.
Result<std::size_t> wait_readable(std::span<const int> fds, Deadline deadline);

// Installs SIGINT/SIGTERM/SIGHUP handlers: the first signal makes every wait_readable() return
// ErrorKind::Interrupted so that destructors end children and remove temp dirs; a second signal
// kills every registered child process group at once, says which in one line on stderr
// ("kharness: interrupted again: killed qemu-system-x86_64 (pid 42), gdb (pid 41) ...") and exits
// with 128+signal. Its private run folders stay; the next run's sweep removes them.
void install_interrupt_handlers();
// True once a SIGINT/SIGTERM/SIGHUP arrived.
bool interrupted();
// The signal that interrupted kharness, or 0.
int interrupt_signal();

// Child process groups that the second-signal path kills and names (up to 31 bytes of `name`).
// ChildProcess registers itself.
void register_process_group(int pgid, std::string_view name = {});
void unregister_process_group(int pgid);

}  // namespace kh
