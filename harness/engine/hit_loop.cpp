#include "engine/hit_loop.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "engine/collected_hits.h"

namespace kh::engine {

namespace {

// The private folders of the hit files ($TMPDIR/kh-hits-XXXXXX); a killed run's are swept.
constexpr std::string_view kHitsDirPrefix = "kh-hits-";
constexpr std::size_t kHitReadBytes = std::size_t{64} << 10;

}  // namespace

HitLoop::HitLoop(mi::MiSession& gdb, const std::vector<PlannedBreakpoint>& plan,
                 std::chrono::milliseconds command_timeout)
    : gdb_(gdb),
      plan_(plan),
      command_timeout_(command_timeout),
      collector_(gdb, command_timeout),
      collecting_(plan.size(), false),
      step_errors_(plan.size()) {}

Status HitLoop::set_engine_hits() {
  // The collected hits go to a file, not to gdb's console: gdb escapes console output for MI one
  // character at a time, ~2 ms for one hit's line, as much as the rest of the hit.
  const char* tmp = std::getenv("TMPDIR");
  const std::filesystem::path parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  sweep_stale_run_dirs(parent, kHitsDirPrefix);
  KH_ASSIGN_OR_RETURN(TempDir dir, TempDir::create_owned(kHitsDirPrefix, parent));
  const std::filesystem::path file = dir.path() / "hits.jsonl";
  hits_fd_.reset(::open(file.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!hits_fd_.valid()) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", file.string(), std::strerror(errno));
  }
  hits_dir_.emplace(std::move(dir));
  auto answer =
      gdb_.command(fmt::format("-interpreter-exec console {}", mi_quote("kh-collect-to " + file.string())),
                   command_deadline());
  if (!answer.ok()) {
    return std::move(answer).error();
  }
  engine_hits_ = true;
  collector_.set_step_past(true);
  return {};
}

Deadline HitLoop::command_deadline() const { return Deadline::in(command_timeout_).min(deadline_); }

Result<std::string> HitLoop::insert_collecting(std::size_t index) {
  const PlannedBreakpoint& planned = plan_[index];
  const std::string plan = collecting_plan(planned, index, collector_.task_reader(), kMaxStepAttempts);
  const std::string commands[] = {
      fmt::format("-interpreter-exec console {}", mi_quote("kh-collect-break " + plan)),
      "-data-evaluate-expression $bpnum",
  };
  KH_ASSIGN_OR_RETURN(std::vector<mi::ResultRecord> answers, gdb_.pipeline(commands, command_deadline()));
  if (answers[0].result_class == mi::ResultClass::Error) {
    return make_error(ErrorKind::Gdb, "{}", answers[0].error_message());
  }
  if (answers[1].result_class == mi::ResultClass::Error) {
    return make_error(ErrorKind::Gdb, "the number of the breakpoint at {}: {}", planned.spec->function,
                      answers[1].error_message());
  }
  collecting_[index] = true;
  return answers[1].get("value").str();
}

Status HitLoop::insert_breakpoints(const std::filesystem::path& vmlinux) {
  for (std::size_t index = 0; index < plan_.size(); ++index) {
    const PlannedBreakpoint& planned = plan_[index];
    // Guest-scoped breakpoints only: their hits end with the guest. A scope="all" one is still
    // hit while the init powers off, and only the hit loop, which sees the guest's markers at
    // every stop, can tell those hits from the guest's.
    const bool collecting = engine_hits_ && planned.spec->scope == trace::Scope::Guest;
    Result<std::string> number = collecting ? insert_collecting(index) : Result<std::string>(std::string());
    if (!collecting) {
      auto answer = gdb_.command(planned.insert_command, command_deadline());
      if (answer.ok()) {
        number = answer->get("bkpt").get("number").str();
      } else {
        number = std::move(answer).error();
      }
    }
    if (!number.ok()) {
      Error error = std::move(number).error();
      if (error.kind == ErrorKind::Gdb) {
        // "Function \"nosuch\" not defined.": a scenario error, found before the VM boots.
        error = make_error(ErrorKind::Symbol, "breakpoint '{}': {} (no such function in {})", planned.spec->name,
                           error.message, vmlinux.string());
        error.location = planned.spec->location;
      }
      return error;
    }
    breakpoint_by_number_.emplace_back(*number, &planned);
  }
  return {};
}

Status HitLoop::read_hit_line(std::string_view line, std::vector<Collected>& out) {
  KH_ASSIGN_OR_RETURN(CollectedHit collected, parse_collected_hit(line, plan_, collector_.task_reader()));
  if (!collected.step_error.empty()) {
    // gdb stops at this hit; handle() reports it when the *stopped record comes.
    step_errors_[collected.breakpoint] = std::move(collected.step_error);
    return {};
  }
  out.push_back(Collected{std::move(collected.hit), collected.at});
  return {};
}

Result<std::vector<HitLoop::Collected>> HitLoop::take_collected() {
  std::vector<Collected> taken;
  if (!hits_fd_.valid()) {
    return taken;
  }
  // gdb appends; this reads on from where the last call stopped (the descriptor's own offset).
  std::string text = std::exchange(hits_partial_, {});
  std::vector<char> buffer(kHitReadBytes);
  for (;;) {
    const ssize_t got = ::read(hits_fd_.get(), buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return make_error(ErrorKind::Io, "cannot read gdb's collected hits: {}", std::strerror(errno));
    }
    if (got == 0) {
      break;
    }
    text.append(buffer.data(), static_cast<std::size_t>(got));
  }
  std::string_view rest = text;
  for (std::size_t end = rest.find('\n'); end != std::string_view::npos; end = rest.find('\n')) {
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    if (line.empty()) {
      continue;
    }
    if (Status read = read_hit_line(line, taken); !read.ok()) {
      Error error = std::move(read).error();
      if (!taken.empty()) {
        // The hits before the bad line are the trace's; the error comes with the next call.
        hits_partial_ = std::string(line) + "\n" + std::string(rest);
        return taken;
      }
      return error;
    }
  }
  hits_partial_ = std::string(rest);
  return taken;
}

Status HitLoop::check_symbols(const std::filesystem::path& vmlinux) {
  for (const auto& planned : plan_) {
    auto answer = gdb_.command_raw(
        fmt::format("-symbol-info-functions --name {}", mi_quote("^" + planned.spec->function + "$")),
        command_deadline());
    if (!answer.ok()) {
      return std::move(answer).error();
    }
    if (answer->get("symbols").get("debug").size() == 0 &&
        answer->get("symbols").get("nondebugging").size() == 0) {
      Error error = make_error(ErrorKind::Symbol, "breakpoint '{}': no function '{}' in {}", planned.spec->name,
                               planned.spec->function, vmlinux.string());
      error.location = planned.spec->location;
      return error;
    }
  }
  return {};
}

Status HitLoop::run_to_start_kernel_and_insert(const std::filesystem::path& vmlinux) {
  auto inserted = gdb_.command("-break-insert -h -t start_kernel", command_deadline());
  if (!inserted.ok()) {
    return std::move(inserted).error();
  }
  KH_TRY(resume());
  auto stop = gdb_.wait_for_stop(command_deadline());
  if (!stop.ok()) {
    return std::move(stop).error();
  }
  return insert_breakpoints(vmlinux);
}

Status HitLoop::resume() {
  // Whatever was being stepped past is behind us once the guest runs freely.
  stepping_from_.clear();
  auto answer = gdb_.command("-exec-continue", command_deadline());
  if (!answer.ok()) {
    return std::move(answer).error();
  }
  return {};
}

const PlannedBreakpoint* HitLoop::planned_for(const std::string& number) const {
  for (const auto& [bkpt, planned] : breakpoint_by_number_) {
    if (bkpt == number) {
      return planned;
    }
  }
  return nullptr;
}

Result<HitLoop::Stop> HitLoop::handle(const mi::AsyncRecord& stop, int next_index, bool counting) {
  const std::string& reason = stop.get("reason").str();
  const std::string& pc = stop.get("frame").get("addr").str();
  if (!stepping_from_.empty() && (reason == "end-stepping-range" || pc == stepping_from_)) {
    // The step after a hit. At the same PC it did not execute (gdb then calls it a hit of the
    // breakpoint there): not a new call, step again.
    KH_TRY(after_step(pc));
    return Stop{StopKind::Stepped, std::nullopt};
  }
  if (reason != "breakpoint-hit") {
    return Stop{StopKind::Other, std::nullopt};
  }
  const PlannedBreakpoint* planned = planned_for(stop.get("bkptno").str());
  if (planned != nullptr) {
    const auto index = static_cast<std::size_t>(planned - plan_.data());
    if (collecting_[index]) {
      // A collecting breakpoint stops only when gdb could not step past its hit.
      return make_error(ErrorKind::Gdb, "gdb could not step the guest past a hit of '{}': {}", planned->spec->name,
                        step_errors_[index].empty() ? std::string("no reason given") : step_errors_[index]);
    }
  }
  if (planned == nullptr || !counting) {
    // A breakpoint of ours that is not in the plan (KVM's start_kernel), or a hit after the guest
    // exited (a scope="all" breakpoint at power-off): not counted, the guest goes on.
    KH_TRY(resume());
    return Stop{StopKind::Resumed, std::nullopt};
  }
  KH_ASSIGN_OR_RETURN(trace::Hit hit, collector_.collect(*planned, stop, next_index, command_deadline()));
  if (collector_.steps_past()) {
    KH_TRY(resume());  // kh-step-past has moved the PC already
  } else {
    stepping_from_ = pc;
    step_attempts_ = 1;
  }
  return Stop{StopKind::Hit, std::move(hit)};
}
// A step that moved onto another breakpoint whose condition holds is reported by gdb as that
// breakpoint's hit, with a different PC: it is counted as a hit, as it should be.

Status HitLoop::after_step(const std::string& pc) {
  if (pc == stepping_from_ && step_attempts_ < kMaxStepAttempts) {
    ++step_attempts_;
    auto stepped = gdb_.command("-exec-step-instruction", command_deadline());
    return stepped.ok() ? Status{} : Status(std::move(stepped).error());
  }
  if (pc == stepping_from_) {
    return make_error(ErrorKind::Process, "the guest did not move past {} in {} single steps", pc,
                      kMaxStepAttempts);
  }
  stepping_from_.clear();
  return resume();
}

}  // namespace kh::engine
