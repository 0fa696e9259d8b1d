#include "mi/mi_session.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iterator>
#include <optional>
#include <utility>

#include "common/child_process.h"
#include "mi/mi_parser.h"

namespace kh::mi {
namespace {

// One read takes what a full pipe holds (64 KiB on Linux) in one go.
constexpr std::size_t kReadBufferBytes = std::size_t{64} << 10;
// A "line" longer than this without a newline is garbage; it is reported and dropped.
constexpr std::size_t kMaxLineBytes = std::size_t{16} << 20;
// Bounds on what waits for the caller to take, so a long trace that never drains stays bounded.
constexpr std::size_t kMaxQueuedAsync = 10'000;
constexpr std::size_t kMaxQueuedStreamBytes = std::size_t{8} << 20;
constexpr std::size_t kMaxQueuedParseErrors = 1'000;
// gdb's last lines that were not MI (stderr, or stdout that did not parse), kept as evidence.
constexpr std::size_t kNonMiLinesKept = 40;
constexpr std::size_t kQuotedLineBytes = 300;
// gdb exits within milliseconds once its stdout hung up; it is killed if it lingers.
constexpr std::chrono::milliseconds kExitGrace{500};
constexpr std::chrono::milliseconds kPoliteExit{2'000};
constexpr std::chrono::milliseconds kTerminateGrace{1'000};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// write(2) that reports EPIPE instead of raising SIGPIPE, without touching the process-wide
// disposition: SIGPIPE from a pipe write goes to the writing thread, which blocks it meanwhile.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_set;
  sigset_t old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  bool already_pending = false;
  if (sigismember(&old_set, SIGPIPE) == 1) {
    sigset_t pending;
    ::sigpending(&pending);
    already_pending = sigismember(&pending, SIGPIPE) == 1;
  }
  ssize_t written = ::write(fd, data, size);
  const int saved_errno = errno;
  if (written < 0 && saved_errno == EPIPE && !already_pending) {
    const timespec no_wait{};
    while (::sigtimedwait(&pipe_set, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved_errno;
  return written;
}

void set_nonblocking(int fd) {
  if (fd >= 0) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
}

std::string quote_line(std::string_view line) {
  if (line.size() <= kQuotedLineBytes) {
    return std::string(line);
  }
  return fmt::format("{}... ({} bytes)", line.substr(0, kQuotedLineBytes), line.size());
}

char async_prefix(AsyncKind kind) {
  switch (kind) {
    case AsyncKind::Exec: return '*';
    case AsyncKind::Status: return '+';
    case AsyncKind::Notify: return '=';
  }
  return '?';
}

}  // namespace

// Everything a session owns, behind a pointer so that a moved-from MiSession is simply empty.
struct MiSession::State {
  State(Options opts, ChildProcess process) : options(std::move(opts)), child(std::move(process)) {}

  Options options;
  ChildProcess child;
  Clock::time_point started = Clock::now();
  std::unique_ptr<std::FILE, FileCloser> transcript;

  std::uint64_t next_token = 1;
  std::string send_buffer;
  // The end of a command line that a failed send() left half-written; it goes first next time,
  // so that gdb never sees two commands run together.
  std::string unsent;
  std::vector<char> read_buffer = std::vector<char>(kReadBufferBytes);
  std::string partial_line;
  std::string partial_stderr_line;
  bool stderr_open = true;
  std::deque<std::string> non_mi_lines;
  std::size_t non_mi_lines_dropped = 0;

  bool saw_prompt = false;
  std::deque<AsyncRecord> async_records;
  std::uint64_t async_pushed = 0;
  std::deque<StreamRecord> stream_records;
  std::size_t stream_bytes = 0;
  std::vector<Error> parse_errors;
  std::size_t parse_errors_dropped = 0;

  // The commands being waited for: tokens [awaited_first, awaited_first + awaited_count), their
  // results go to awaited_out[token - awaited_first]. Results of other tokens belong to commands
  // that timed out earlier and are dropped.
  std::uint64_t awaited_first = 0;
  std::size_t awaited_count = 0;
  std::size_t awaited_missing = 0;
  ResultRecord* awaited_out = nullptr;

  // Set once gdb is gone (exited, killed, hung up, or closed); every later call returns it.
  std::optional<Error> gone;
  bool closed = false;

  double seconds_since_start() const { return std::chrono::duration<double>(Clock::now() - started).count(); }

  void log(std::string_view prefix, std::string_view text) {
    if (!transcript) {
      return;
    }
    fmt::print(transcript.get(), "{:10.6f} {} {}\n", seconds_since_start(), prefix, text);
  }

  // Keeps one line gdb printed outside MI ("stderr", or "stdout" that did not parse) for the
  // evidence, with its time; only the last kNonMiLinesKept are kept.
  void keep_non_mi_line(std::string_view stream, std::string_view line) {
    if (non_mi_lines.size() >= kNonMiLinesKept) {
      non_mi_lines.pop_front();
      ++non_mi_lines_dropped;
    }
    non_mi_lines.push_back(
        fmt::format("gdb {} at {:.3f} s: {}", stream, seconds_since_start(), quote_line(line)));
  }

  std::vector<std::string> non_mi_output() const {
    std::vector<std::string> lines;
    if (non_mi_lines_dropped > 0) {
      lines.push_back(
          fmt::format("({} earlier lines gdb printed outside GDB/MI are not kept)", non_mi_lines_dropped));
    }
    lines.insert(lines.end(), non_mi_lines.begin(), non_mi_lines.end());
    return lines;
  }

  void handle_record(Record&& record) {
    if (auto* result = std::get_if<ResultRecord>(&record)) {
      // Our tokens are integers; gdb echoes them as digits (a longer digit string is not ours).
      const std::optional<std::uint64_t> token = token_number(result->token);
      if (!token || *token < awaited_first || *token - awaited_first >= awaited_count) {
        return;
      }
      ResultRecord& slot = awaited_out[*token - awaited_first];
      // An answered slot holds its (non-empty) token; a repeated answer is dropped.
      if (slot.token.empty()) {
        slot = std::move(*result);
        --awaited_missing;
      }
    } else if (auto* async = std::get_if<AsyncRecord>(&record)) {
      if (async_records.size() >= kMaxQueuedAsync) {
        async_records.pop_front();
      }
      async_records.push_back(std::move(*async));
      ++async_pushed;
    } else if (auto* stream = std::get_if<StreamRecord>(&record)) {
      stream_bytes += stream->text.size();
      stream_records.push_back(std::move(*stream));
      while (stream_bytes > kMaxQueuedStreamBytes && stream_records.size() > 1) {
        stream_bytes -= stream_records.front().text.size();
        stream_records.pop_front();
      }
    } else {
      saw_prompt = true;
    }
  }

  void handle_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      return;
    }
    kh::Result<Record> record = parse_line(line);
    if (record) {
      log("<", line);
      handle_record(std::move(record).value());
      return;
    }
    log("?", line);
    keep_non_mi_line("stdout (not MI)", line);
    if (parse_errors.size() >= kMaxQueuedParseErrors) {
      ++parse_errors_dropped;
      return;
    }
    Error error = std::move(record).error();
    error.wrap("gdb printed a line that is not GDB/MI");
    error.details.push_back("line: " + quote_line(line));
    parse_errors.push_back(std::move(error));
  }

  void handle_stderr_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      return;
    }
    log("!", line);
    keep_non_mi_line("stderr", line);
  }

  // Splits a chunk of gdb's output into lines for `handle`; an unfinished line waits in
  // `partial` for the next chunk.
  template <typename Handle>
  static void split_lines(std::string_view chunk, std::string& partial, Handle handle) {
    std::size_t start = 0;
    for (;;) {
      std::size_t newline = chunk.find('\n', start);
      if (newline == std::string_view::npos) {
        partial.append(chunk.substr(start));
        break;
      }
      if (partial.empty()) {
        handle(chunk.substr(start, newline - start));
      } else {
        partial.append(chunk.substr(start, newline - start));
        handle(std::string_view(partial));
        partial.clear();
      }
      start = newline + 1;
    }
    if (partial.size() > kMaxLineBytes) {
      handle(std::string_view(partial));
      partial.clear();
    }
  }

  void handle_output(std::string_view chunk) {
    split_lines(chunk, partial_line, [this](std::string_view line) { handle_line(line); });
  }

  // Reads what gdb's stdout holds now. False when it hung up.
  bool read_stdout() {
    for (;;) {
      ssize_t n = ::read(child.stdout_fd(), read_buffer.data(), read_buffer.size());
      if (n > 0) {
        handle_output(std::string_view(read_buffer.data(), static_cast<std::size_t>(n)));
        if (static_cast<std::size_t>(n) < read_buffer.size()) {
          return true;
        }
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        return n < 0 && errno == EAGAIN;
      }
    }
  }

  void read_stderr() {
    for (;;) {
      ssize_t n = ::read(child.stderr_fd(), read_buffer.data(), read_buffer.size());
      if (n > 0) {
        split_lines(std::string_view(read_buffer.data(), static_cast<std::size_t>(n)), partial_stderr_line,
                    [this](std::string_view line) { handle_stderr_line(line); });
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        if (n == 0 || errno != EAGAIN) {
          stderr_open = false;
        }
        return;
      }
    }
  }

  // gdb exited or hung up: take its last words, reap it (killing its group), remember why.
  void mark_gone() {
    if (gone) {
      return;
    }
    (void)read_stdout();
    if (!partial_line.empty()) {
      std::string last = std::move(partial_line);
      partial_line.clear();
      handle_line(last);
    }
    if (stderr_open) {
      read_stderr();
    }
    if (!partial_stderr_line.empty()) {
      std::string last = std::move(partial_stderr_line);
      partial_stderr_line.clear();
      handle_stderr_line(last);
    }
    if (!child.wait(Deadline::in(kExitGrace))) {
      child.terminate(std::chrono::milliseconds(0));
    }
    Error error = make_error(ErrorKind::Eof, "gdb is gone: {}", child.describe());
    error.details = non_mi_output();
    gone = std::move(error);
  }

  // Waits once for gdb output, stderr or gdb's exit, and takes it in. Fails only when the wait
  // does (Timeout, Interrupted); gdb's exit is recorded in `gone`, not returned.
  Status pump(Deadline deadline) {
    // poll(2) ignores a negative fd: no wake-up source.
    KH_TRY(pump_or_wake(-1, deadline));
    return {};
  }

  // Like pump(), but also returns true, without reading it, when `wake_fd` is readable first.
  kh::Result<bool> pump_or_wake(int wake_fd, Deadline deadline) {
    int fds[4] = {child.stdout_fd(), child.exit_fd(), wake_fd, child.stderr_fd()};
    const std::size_t count = stderr_open ? 4 : 3;
    KH_ASSIGN_OR_RETURN(std::size_t ready, wait_readable(std::span<const int>(fds, count), deadline));
    if (ready == 0) {
      if (!read_stdout()) {
        mark_gone();
      }
    } else if (ready == 1) {
      mark_gone();
    } else if (ready == 2) {
      return true;
    } else {
      read_stderr();
    }
    return false;
  }

  // Takes in gdb's output until `done()` holds. Fails with Timeout/Interrupted from the wait, or
  // with the Eof error once gdb is gone and `done()` still does not hold.
  template <typename Done>
  Status pump_until(Done done, Deadline deadline) {
    for (;;) {
      if (done()) {
        return {};
      }
      if (gone) {
        return *gone;
      }
      KH_TRY(pump(deadline));
    }
  }

  // Writes whole lines to gdb's stdin.
  Status send(std::string_view lines, Deadline deadline) {
    std::string_view rest = lines;
    while (!rest.empty()) {
      if (gone) {
        return *gone;
      }
      ssize_t n = write_without_sigpipe(child.stdin_fd(), rest.data(), rest.size());
      if (n > 0) {
        rest.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        // gdb's stdin is full; gdb answers every command it takes from it, so its output (or its
        // exit) is the event that tells that there is room again.
        Status waited = pump(deadline);
        if (!waited) {
          const bool mid_line = rest.size() < lines.size() && lines[lines.size() - rest.size() - 1] != '\n';
          if (mid_line) {
            unsent.assign(rest.substr(0, rest.find('\n') + 1));
          }
          return waited;
        }
      } else {
        mark_gone();
      }
    }
    return {};
  }

  // Sends `commands` in one write and fills `out[i]` with the result record of commands[i].
  Status exchange(std::span<const std::string_view> commands, ResultRecord* out, Deadline deadline) {
    if (gone) {
      return *gone;
    }
    if (deadline.expired() && !commands.empty()) {
      // Nothing is sent, so the caller knows the command did not run.
      return make_error(ErrorKind::Timeout, "the deadline passed before '{}' was sent to gdb",
                        quote_line(commands.front()));
    }
    for (std::string_view command : commands) {
      // A leading digit would merge into the token; a line break would make two commands.
      if (command.empty() || (command.front() >= '0' && command.front() <= '9') ||
          command.find_first_of("\r\n") != std::string_view::npos) {
        return make_error(ErrorKind::Config, "not a gdb command line: '{}'", quote_line(command));
      }
    }
    send_buffer.assign(unsent);
    unsent.clear();
    const std::uint64_t first = next_token;
    for (std::string_view command : commands) {
      const std::size_t line_start = send_buffer.size();
      fmt::format_to(std::back_inserter(send_buffer), "{}{}", next_token++, command);
      log(">", std::string_view(send_buffer).substr(line_start));
      send_buffer.push_back('\n');
    }
    awaited_first = first;
    awaited_count = commands.size();
    awaited_missing = commands.size();
    awaited_out = out;
    Status status = send(send_buffer, deadline);
    if (status) {
      status = pump_until([this] { return awaited_missing == 0; }, deadline);
    }
    awaited_count = 0;
    awaited_missing = 0;
    awaited_out = nullptr;
    if (status) {
      return status;
    }
    std::size_t unanswered = 0;
    while (unanswered + 1 < commands.size() && !out[unanswered].token.empty()) {
      ++unanswered;
    }
    return describe_failure(std::move(status).error(),
                            fmt::format("the answer to '{}'", quote_line(commands[unanswered])));
  }

  // Turns a failed wait into an error that says what was awaited.
  Error describe_failure(Error error, std::string_view awaited) const {
    if (error.kind == ErrorKind::Timeout) {
      Error timeout = make_error(ErrorKind::Timeout, "timed out waiting for {} from gdb", awaited);
      timeout.details = non_mi_output();
      return timeout;
    }
    if (error.kind != ErrorKind::Eof) {
      error.wrap(fmt::format("waiting for {}", awaited));
    }
    return error;
  }

  template <typename Matches>
  kh::Result<AsyncRecord> wait_for_async(const Matches& matches, std::string_view awaited, Deadline deadline) {
    std::size_t scan_from = 0;
    for (;;) {
      for (std::size_t i = scan_from; i < async_records.size(); ++i) {
        if (matches(async_records[i])) {
          AsyncRecord found = std::move(async_records[i]);
          async_records.erase(async_records.begin() + static_cast<std::ptrdiff_t>(i));
          return found;
        }
      }
      if (gone) {
        return *gone;
      }
      // Only records that arrive during this pump need a look next time.
      const std::uint64_t pushed_before = async_pushed;
      Status status = pump(deadline);
      if (!status) {
        return describe_failure(std::move(status).error(), awaited);
      }
      const std::uint64_t arrived = async_pushed - pushed_before;
      scan_from = arrived >= async_records.size() ? 0 : async_records.size() - static_cast<std::size_t>(arrived);
    }
  }
};

MiSession::MiSession(std::unique_ptr<State> state) : state_(std::move(state)) {}

MiSession::MiSession(MiSession&& other) noexcept = default;

MiSession& MiSession::operator=(MiSession&& other) noexcept {
  if (this != &other) {
    if (state_) {
      (void)close(Deadline::in(kPoliteExit));
    }
    state_ = std::move(other.state_);
  }
  return *this;
}

MiSession::~MiSession() {
  if (state_) {
    (void)close(Deadline::in(kPoliteExit));
  }
}

kh::Result<MiSession> MiSession::start(const Options& options) {
  std::unique_ptr<std::FILE, FileCloser> transcript;
  if (!options.transcript.empty()) {
    transcript.reset(std::fopen(options.transcript.c_str(), "we"));
    if (!transcript) {
      return make_error(ErrorKind::Io, "cannot write the MI transcript {}: {}", options.transcript.string(),
                        std::strerror(errno));
    }
    // Line-buffered, so that the transcript of a hung or crashed run is complete.
    std::setvbuf(transcript.get(), nullptr, _IOLBF, 0);
  }

  ChildSpec spec;
  // debuginfod off: it would ask a question on stdin or wait for the network while loading symbols.
  spec.argv = {options.gdb_path, "--interpreter=mi3", "-nx", "-q", "-iex", "set debuginfod enabled off"};
  spec.argv.insert(spec.argv.end(), options.extra_args.begin(), options.extra_args.end());
  spec.env = options.env;
  if (!options.program.empty()) {
    spec.argv.push_back(options.program.string());
  }
  spec.stdin_mode = Stdio::Pipe;
  spec.stdout_mode = Stdio::Pipe;
  spec.stderr_mode = Stdio::Pipe;
  KH_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::spawn(spec));
  set_nonblocking(child.stdin_fd());
  set_nonblocking(child.stdout_fd());
  set_nonblocking(child.stderr_fd());

  auto state = std::make_unique<State>(options, std::move(child));
  state->transcript = std::move(transcript);
  MiSession session(std::move(state));
  State& s = *session.state_;
  s.log("#", fmt::format("started {}", fmt::join(spec.argv, " ")));

  Status prompt = s.pump_until([&s] { return s.saw_prompt; }, Deadline::in(options.startup_timeout));
  if (!prompt) {
    Error error = s.describe_failure(std::move(prompt).error(), "the first prompt");
    error.wrap("starting gdb");
    return error;
  }
  static const std::string_view kSettings[] = {
      "-gdb-set mi-async on",  // commands (interrupt, breakpoints) are accepted while the target runs
      "-gdb-set pagination off",
      "-gdb-set confirm off",
      // gdb also prints each breakpoint stop on the console stream, which no client reads: one
      // line without the source line saves reading the source file at every hit (gdb >= 10; an
      // older gdb refuses it, which costs only that time).
      "-gdb-set print frame-info short-location",
      // gdb caches the stack and code memory it reads during one stop in lines of 64 bytes, one
      // remote packet each: a backtrace reads the same few hundred bytes of stack in three or four.
      // Lines of 256 bytes (never crossing a page, so never less readable than a smaller read)
      // take one; ~0.2 ms less per kernel backtrace under TCG.
      "-gdb-set dcache line-size 256",
  };
  constexpr std::size_t kRequiredSettings = 3;
  ResultRecord answers[std::size(kSettings)];
  Status set = s.exchange(kSettings, answers, Deadline::in(options.command_timeout));
  if (!set) {
    Error error = std::move(set).error();
    error.wrap("starting gdb");
    return error;
  }
  for (std::size_t i = 0; i < kRequiredSettings; ++i) {
    if (answers[i].result_class == ResultClass::Error) {
      Error error = make_error(ErrorKind::Gdb, "starting gdb: '{}' failed: {}", kSettings[i], answers[i].error_message());
      error.details = s.non_mi_output();
      return error;
    }
  }
  return session;
}

kh::Result<ResultRecord> MiSession::command_raw(std::string_view mi_command, Deadline deadline) {
  ResultRecord answer;
  const std::string_view commands[1] = {mi_command};
  KH_TRY(state_->exchange(commands, &answer, deadline));
  return answer;
}

kh::Result<ResultRecord> MiSession::command(std::string_view mi_command, Deadline deadline) {
  KH_ASSIGN_OR_RETURN(ResultRecord answer, command_raw(mi_command, deadline));
  if (answer.result_class == ResultClass::Error) {
    Error error = make_error(ErrorKind::Gdb, "{}", answer.error_message());
    error.details.push_back(fmt::format("command: {}", quote_line(mi_command)));
    return error;
  }
  return answer;
}

kh::Result<ResultRecord> MiSession::command(std::string_view mi_command) {
  return command(mi_command, Deadline::in(state_->options.command_timeout));
}

kh::Result<std::vector<ResultRecord>> MiSession::pipeline(std::span<const std::string> commands, Deadline deadline) {
  std::vector<std::string_view> views(commands.begin(), commands.end());
  std::vector<ResultRecord> answers(commands.size());
  KH_TRY(state_->exchange(views, answers.data(), deadline));
  return answers;
}

kh::Result<AsyncRecord> MiSession::wait_for_stop(Deadline deadline) {
  return wait_for_async(AsyncKind::Exec, "stopped", deadline);
}

kh::Result<std::optional<AsyncRecord>> MiSession::wait_for_stop_or(int wake_fd, Deadline deadline) {
  State& state = *state_;
  for (;;) {
    for (std::size_t i = 0; i < state.async_records.size(); ++i) {
      const AsyncRecord& record = state.async_records[i];
      if (record.kind == AsyncKind::Exec && record.async_class == "stopped") {
        AsyncRecord found = std::move(state.async_records[i]);
        state.async_records.erase(state.async_records.begin() + static_cast<std::ptrdiff_t>(i));
        return std::optional<AsyncRecord>(std::move(found));
      }
    }
    if (state.gone) {
      return *state.gone;
    }
    auto woke = state.pump_or_wake(wake_fd, deadline);
    if (!woke) {
      return state.describe_failure(std::move(woke).error(), "a *stopped record");
    }
    if (*woke) {
      return std::optional<AsyncRecord>();
    }
  }
}

kh::Result<AsyncRecord> MiSession::wait_for_async(AsyncKind kind, std::string_view async_class, Deadline deadline) {
  auto matches = [kind, async_class](const AsyncRecord& record) {
    return record.kind == kind && record.async_class == async_class;
  };
  return state_->wait_for_async(matches, fmt::format("{}{}", async_prefix(kind), async_class), deadline);
}

kh::Result<AsyncRecord> MiSession::wait_for_async(const std::function<bool(const AsyncRecord&)>& matches,
                                                  Deadline deadline) {
  return state_->wait_for_async(matches, "an async record", deadline);
}

Status MiSession::interrupt() {
  const std::chrono::milliseconds budget = state_->options.command_timeout;
  kh::Result<ResultRecord> answer = command("-exec-interrupt", Deadline::in(budget));
  if (answer) {
    return {};
  }
  if (answer.error().kind != ErrorKind::Timeout) {
    return std::move(answer).error();
  }
  // gdb is not reading its input (a synchronous command is running): SIGINT is its own Ctrl-C.
  state_->log("#", "no answer to -exec-interrupt; sending SIGINT");
  ::kill(state_->child.pid(), SIGINT);
  return {};
}

std::vector<AsyncRecord> MiSession::take_async_records() {
  std::vector<AsyncRecord> taken(std::make_move_iterator(state_->async_records.begin()),
                                 std::make_move_iterator(state_->async_records.end()));
  state_->async_records.clear();
  return taken;
}

std::vector<StreamRecord> MiSession::take_stream_records() {
  std::vector<StreamRecord> taken(std::make_move_iterator(state_->stream_records.begin()),
                                  std::make_move_iterator(state_->stream_records.end()));
  state_->stream_records.clear();
  state_->stream_bytes = 0;
  return taken;
}

std::string MiSession::take_stream_text() {
  std::string text;
  text.reserve(state_->stream_bytes);
  for (const StreamRecord& record : state_->stream_records) {
    text += record.text;
  }
  state_->stream_records.clear();
  state_->stream_bytes = 0;
  return text;
}

std::vector<std::string> MiSession::non_mi_output() const {
  return state_->non_mi_output();
}

std::vector<Error> MiSession::take_parse_errors() {
  std::vector<Error> taken = std::move(state_->parse_errors);
  state_->parse_errors.clear();
  if (state_->parse_errors_dropped > 0) {
    taken.push_back(make_error(ErrorKind::Parse, "{} more lines from gdb were not GDB/MI",
                               state_->parse_errors_dropped));
    state_->parse_errors_dropped = 0;
  }
  return taken;
}

Status MiSession::close(Deadline deadline) {
  State& s = *state_;
  if (s.closed) {
    return {};
  }
  Status result;
  if (!s.gone) {
    const std::string_view exit_command[1] = {"-gdb-exit"};
    ResultRecord answer;
    // The answer (^exit) may or may not make it out before gdb exits; the exit itself matters.
    (void)s.exchange(exit_command, &answer, deadline);
    Status exited = s.pump_until([&s] { return s.gone.has_value(); }, deadline);
    if (!exited && exited.error().kind != ErrorKind::Eof) {
      result = make_error(ErrorKind::Process, "gdb did not exit after -gdb-exit ({}); killed it",
                          exited.error().message);
    }
  }
  s.child.terminate(kTerminateGrace);
  if (!s.gone) {
    s.gone = make_error(ErrorKind::Eof, "the gdb session is closed: {}", s.child.describe());
  }
  s.closed = true;
  s.log("#", "closed");
  return result;
}

pid_t MiSession::pid() const { return state_ ? state_->child.pid() : -1; }

bool MiSession::alive() const { return state_ && !state_->gone && state_->child.running(); }

}  // namespace kh::mi
