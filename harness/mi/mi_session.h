// A gdb child driven over GDB/MI: numbered commands, their result records, and the async and
// stream records that arrive in between, with a deadline on every wait.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.h"
#include "common/result.h"
#include "mi/mi_record.h"

namespace kh::mi {

// One gdb process (`gdb --interpreter=mi3`), owned for the session's lifetime. Commands are sent
// with increasing numeric tokens and matched to their result records by token; every other record
// (async, stream, unparsable line) is queued for the caller to take. Reads are event-driven
// (poll on gdb's stdout, stderr and pidfd), never sleeps. When gdb exits or is killed, every later
// call fails at once with ErrorKind::Eof. Destroying the session ends gdb and its process group.
// One thread drives a session, and it should outlive gdb (see ChildProcess on PR_SET_PDEATHSIG).
// A moved-from session may only be destroyed or assigned to.
class MiSession {
 public:
  struct Options {
    std::string gdb_path = "gdb";
    std::filesystem::path program;        // the file to debug; empty: none
    std::vector<std::string> extra_args;  // placed before `program` on gdb's command line
    // Budget for command() without a deadline and for commands sent on the caller's behalf
    // (start-up settings, interrupt()).
    std::chrono::milliseconds command_timeout{10'000};
    // How long gdb may take to print its first prompt (reading a vmlinux's symbols takes seconds).
    std::chrono::milliseconds startup_timeout{60'000};
    // When set, this file is rewritten with every line sent ("> "), received ("< "), received but
    // not GDB/MI ("? ") and printed on gdb's stderr ("! "), each line prefixed with seconds since
    // start, for debugging.
    std::filesystem::path transcript;
    // Set in gdb's environment, on top of this process's.
    std::vector<std::pair<std::string, std::string>> env;
  };

  // Starts gdb (debuginfod off, so it never waits for the network), waits for its first prompt and
  // turns on mi-async, pagination off and confirm off.
  // Fails with ErrorKind::Process (gdb cannot start), Eof (gdb died during start-up, with its
  // stderr), Timeout (no prompt), Gdb (a setting was refused) or Io (transcript not writable).
  static kh::Result<MiSession> start(const Options& options);

  MiSession(MiSession&& other) noexcept;
  MiSession& operator=(MiSession&& other) noexcept;
  MiSession(const MiSession&) = delete;
  MiSession& operator=(const MiSession&) = delete;
  // Ends gdb like close() with a short deadline; gdb never outlives the session.
  ~MiSession();

  // Sends one MI (or CLI) command and returns its result record. A command that is empty, starts
  // with a digit or holds a line break fails with Config, unsent. A `^error` answer fails with
  // ErrorKind::Gdb whose message is gdb's msg; no answer by the deadline fails with Timeout
  // naming the command; gdb gone fails with Eof.
  kh::Result<ResultRecord> command(std::string_view mi_command, Deadline deadline);
  // Like command() with the session's default command timeout.
  kh::Result<ResultRecord> command(std::string_view mi_command);
  // Like command(), but a `^error` answer is returned as a record, not as an error.
  kh::Result<ResultRecord> command_raw(std::string_view mi_command, Deadline deadline);
  // Writes all commands at once, then reads until each is answered; results come back in the
  // order of `commands`, `^error` ones included (gdb runs the later commands regardless).
  // Fails with Timeout naming the first unanswered command, or Eof.
  kh::Result<std::vector<ResultRecord>> pipeline(std::span<const std::string> commands, Deadline deadline);

  // Returns the first queued or arriving `*stopped` record. Fails with Timeout or Eof.
  kh::Result<AsyncRecord> wait_for_stop(Deadline deadline);
  // Like wait_for_stop(), but returns nullopt as soon as `wake_fd` is readable (it is not read),
  // so that one wait serves gdb and another event source (the VM's serial and exit). gdb's own
  // output is taken first when both are ready. Fails with Timeout or Eof.
  kh::Result<std::optional<AsyncRecord>> wait_for_stop_or(int wake_fd, Deadline deadline);
  // Returns (and removes from the queue) the first queued or arriving async record of this kind
  // and class, e.g. (AsyncKind::Notify, "thread-group-exited"). Fails with Timeout or Eof.
  kh::Result<AsyncRecord> wait_for_async(AsyncKind kind, std::string_view async_class, Deadline deadline);
  // The same with any predicate. Fails with Timeout or Eof.
  kh::Result<AsyncRecord> wait_for_async(const std::function<bool(const AsyncRecord&)>& matches,
                                         Deadline deadline);

  // Stops the running target: `-exec-interrupt`, or SIGINT to gdb when gdb does not answer it
  // within the command timeout. The `*stopped` record follows; wait_for_stop() takes it. Fails
  // with Gdb when gdb answers ^error, or Eof. (With no program running gdb answers ^done.)
  Status interrupt();

  // Removes and returns the queued async records that no wait has taken, oldest first.
  std::vector<AsyncRecord> take_async_records();
  // Removes and returns the queued console, target and log stream records, oldest first.
  std::vector<StreamRecord> take_stream_records();
  // Removes the queued stream records and returns their text joined; cannot fail.
  std::string take_stream_text();
  // Removes and returns one ErrorKind::Parse error per line of gdb output that was not valid MI
  // (the line is in the error's details). Such lines never end the session.
  std::vector<Error> take_parse_errors();
  // The last lines gdb printed outside GDB/MI (every stderr line, and stdout lines that did not
  // parse), oldest first, each as "gdb stderr at 1.234 s: TEXT" (or "gdb stdout (not MI) at ..."),
  // with a first line counting older ones no longer kept. The evidence when gdb dies or
  // misbehaves: an Eof, a Timeout and a refused start-up setting carry them as their details.
  // Not taken: every call returns them all. Cannot fail.
  std::vector<std::string> non_mi_output() const;

  // Asks gdb to exit (`-gdb-exit`), waits until the deadline, then kills its process group.
  // gdb is gone afterwards whatever happens; fails (with the reason) only when it had to be killed.
  Status close(Deadline deadline);

  // gdb's process id (still valid as a number after it exited); -1 for a moved-from session.
  pid_t pid() const;
  // True while gdb runs and its output has not hung up; false after close() or once Eof was seen.
  bool alive() const;

 private:
  struct State;
  explicit MiSession(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace kh::mi
