#include "kernel/build_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kh::kernel {
namespace {

constexpr std::size_t kTailLines = 25;
constexpr auto kRedrawInterval = std::chrono::milliseconds(250);

std::string format_elapsed(Clock::duration elapsed) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
  if (seconds < 60) {
    return fmt::format("{}s", seconds);
  }
  return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace

bool is_error_line(std::string_view line) {
  return contains(line, ": error:") || contains(line, ": fatal error:") ||
         contains(line, "undefined reference") || contains(line, "*** ") || line.starts_with("tar: ") ||
         line.starts_with("xz: ") || line.starts_with("gzip: ");
}

BuildProgress::BuildProgress(bool enabled, std::string title)
    : enabled_(enabled), title_(std::move(title)), start_(Clock::now()) {}

BuildProgress::~BuildProgress() {
  if (enabled_ && drawn_) {
    draw(true);
    std::fputc('\n', stderr);
  }
}

void BuildProgress::set_title(std::string title) {
  title_ = std::move(title);
}

void BuildProgress::set_phase(std::string_view phase) {
  phase_ = std::string(phase);
  draw(true);
}

void BuildProgress::observe_line(std::string_view line) {
  // kbuild's quiet output: two spaces, the tool, padding, the target.
  if (line.starts_with("  CC ") || line.starts_with("  AS ")) {
    ++compiled_;
  }
  draw();
}

void BuildProgress::draw(bool force) {
  if (!enabled_) {
    return;
  }
  auto now = Clock::now();
  if (!force && now - last_draw_ < kRedrawInterval) {
    return;
  }
  last_draw_ = now;
  drawn_ = true;
  std::string files = compiled_ > 0 ? fmt::format(", {} files compiled", compiled_) : std::string();
  fmt::print(stderr, "\r\033[K{}: {}{}, {}", title_, phase_, files, format_elapsed(now - start_));
  std::fflush(stderr);
}

Result<BuildLog> BuildLog::create(const std::filesystem::path& path, BuildProgress& progress) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return make_error(ErrorKind::Io, "cannot create build log {}: {}", path.string(), std::strerror(errno));
  }
  return BuildLog(path, std::move(fd), progress);
}

void BuildLog::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      // A full disk shows up in the build itself; the log is evidence, not a result.
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void BuildLog::note(std::string_view line) {
  write_all(fmt::format("kharness: {}\n", line));
}

void BuildLog::take_line(std::string_view line) {
  if (first_error_.empty() && is_error_line(line)) {
    first_error_ = std::string(line);
  }
  tail_.emplace_back(line);
  if (tail_.size() > kTailLines) {
    tail_.pop_front();
  }
  progress_->observe_line(line);
}

Status BuildLog::run(std::string_view step, const ChildSpec& spec) {
  std::string command;
  for (const auto& arg : spec.argv) {
    command += command.empty() ? arg : " " + arg;
  }
  note(fmt::format("{}: {}", step, command));
  first_error_.clear();
  tail_.clear();

  ChildSpec piped = spec;
  piped.stdout_mode = Stdio::Pipe;
  piped.stderr_to_stdout = true;
  KH_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::spawn(piped));

  std::string pending;
  auto take_output = [&](std::string_view chunk) {
    write_all(chunk);
    pending.append(chunk);
    std::size_t start = 0;
    for (std::size_t newline; (newline = pending.find('\n', start)) != std::string::npos;
         start = newline + 1) {
      take_line(std::string_view(pending).substr(start, newline - start));
    }
    pending.erase(0, start);
  };
  // A step has no deadline of its own, but wakes up once a second at least so that the elapsed
  // time on the progress line moves.
  const IdleTick redraw{std::chrono::seconds(1), [this] { progress_->draw(); }};
  if (Status pumped = pump_stdout_until_exit(child, Deadline::never(), take_output, redraw); !pumped.ok()) {
    child.terminate();
    note(fmt::format("{}: stopped ({})", step, pumped.error().message));
    return std::move(pumped).error();
  }
  if (!pending.empty()) {
    take_line(pending);
  }
  KH_TRY(child.wait(Deadline::never()));
  progress_->draw(true);
  if (child.state() == ChildProcess::State::Exited && child.exit_code() == 0) {
    return {};
  }
  std::string how = child.describe();
  note(fmt::format("{}: failed: {}", step, how));
  Error error = make_error(ErrorKind::Build, "{} failed: {}", step, how);
  if (!first_error_.empty()) {
    error.details.push_back("first error: " + first_error_);
  }
  error.details.push_back("last lines of the build log:");
  for (const auto& line : tail_) {
    error.details.push_back("  " + line);
  }
  return error;
}

}  // namespace kh::kernel
