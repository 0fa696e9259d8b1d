// The guest's serial protocol (initramfs/README.md, kh::image::k*Marker) as typed events, and how
// far a run got from what the console has shown so far.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kh::engine {

struct GuestReady {};                   // KH-READY: proc, sysfs, devtmpfs mounted
struct GuestStarted {                   // KH-START NAME: the guest starts
  std::string program;
};
struct GuestResult {                    // KH-RESULT name=value, printed by the guest
  std::string text;                     // "name=value" as printed
};
struct GuestExited {                    // KH-EXIT STATUS
  int status = -1;                      // -1 when the status is not a number
};
struct GuestInitFailed {                // KH-INIT-FAILED what: no guest ran
  std::string what;
};

using GuestEvent = std::variant<GuestReady, GuestStarted, GuestResult, GuestExited, GuestInitFailed>;

// The event a serial line carries (a marker may follow kernel output on the same line), or
// nullopt for any other line. Trailing '\r' and spaces are ignored.
std::optional<GuestEvent> parse_guest_line(std::string_view line);

// Where a run is, from the guest's markers; a TIMEOUT names it.
enum class GuestPhase { Boot, GuestStart, GuestExit, Poweroff };

// "boot", "guest start", "guest exit", "poweroff".
std::string_view to_string(GuestPhase phase);

// Follows the serial console as it grows: feed it the whole text seen so far, as often as new
// output arrives; only complete lines are read, each once.
class GuestProtocol {
 public:
  // Reads the complete lines of `serial` that were not read yet. `serial` must extend the text
  // of the previous call (the console only grows). When `final` (qemu has exited), a last line
  // without its newline counts too.
  void update(std::string_view serial, bool final = false);

  GuestPhase phase() const { return phase_; }
  // The KH-RESULT lines so far, "name=value".
  const std::vector<std::string>& results() const { return results_; }
  // The status of KH-EXIT, once seen.
  std::optional<int> exit_status() const { return exit_status_; }
  // What KH-INIT-FAILED said, once seen.
  const std::optional<std::string>& init_failure() const { return init_failure_; }

 private:
  void apply(const GuestEvent& event);

  std::size_t consumed_ = 0;
  GuestPhase phase_ = GuestPhase::Boot;
  std::vector<std::string> results_;
  std::optional<int> exit_status_;
  std::optional<std::string> init_failure_;
};

}  // namespace kh::engine
