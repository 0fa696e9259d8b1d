#include "engine/guest_protocol.h"

#include <charconv>

#include "image/initramfs.h"

namespace kh::engine {
namespace {

// The text after `marker` in `line`, without leading spaces, or nullopt when the line lacks it.
std::optional<std::string_view> after_marker(std::string_view line, std::string_view marker) {
  const std::size_t at = line.find(marker);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view rest = line.substr(at + marker.size());
  if (!rest.empty() && rest.front() != ' ') {
    return std::nullopt;  // "KH-EXITED" is not "KH-EXIT"
  }
  while (!rest.empty() && rest.front() == ' ') {
    rest.remove_prefix(1);
  }
  return rest;
}

}  // namespace

std::optional<GuestEvent> parse_guest_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\n')) {
    line.remove_suffix(1);
  }
  if (auto rest = after_marker(line, image::kResultPrefix)) {
    return GuestResult{std::string(*rest)};
  }
  if (auto rest = after_marker(line, image::kExitMarker)) {
    int status = -1;
    auto [end, ec] = std::from_chars(rest->data(), rest->data() + rest->size(), status);
    if (ec != std::errc() || end != rest->data() + rest->size()) {
      status = -1;
    }
    return GuestExited{status};
  }
  if (auto rest = after_marker(line, image::kGuestStartMarker)) {
    return GuestStarted{std::string(*rest)};
  }
  if (auto rest = after_marker(line, image::kInitFailedMarker)) {
    return GuestInitFailed{std::string(*rest)};
  }
  if (after_marker(line, image::kReadyMarker)) {
    return GuestReady{};
  }
  return std::nullopt;
}

std::string_view to_string(GuestPhase phase) {
  switch (phase) {
    case GuestPhase::Boot: return "boot";
    case GuestPhase::GuestStart: return "guest start";
    case GuestPhase::GuestExit: return "guest exit";
    case GuestPhase::Poweroff: return "poweroff";
  }
  return "run";
}

void GuestProtocol::update(std::string_view serial, bool final) {
  while (consumed_ < serial.size()) {
    const std::size_t end = serial.find('\n', consumed_);
    if (end == std::string_view::npos && !final) {
      return;
    }
    const std::size_t stop = end == std::string_view::npos ? serial.size() : end;
    if (auto event = parse_guest_line(serial.substr(consumed_, stop - consumed_))) {
      apply(*event);
    }
    consumed_ = end == std::string_view::npos ? serial.size() : end + 1;
  }
}

void GuestProtocol::apply(const GuestEvent& event) {
  auto advance = [this](GuestPhase to) {
    if (phase_ < to) {
      phase_ = to;
    }
  };
  if (std::holds_alternative<GuestReady>(event)) {
    advance(GuestPhase::GuestStart);
  } else if (std::holds_alternative<GuestStarted>(event)) {
    advance(GuestPhase::GuestExit);
  } else if (const auto* result = std::get_if<GuestResult>(&event)) {
    results_.push_back(result->text);
  } else if (const auto* exited = std::get_if<GuestExited>(&event)) {
    exit_status_ = exited->status;
    advance(GuestPhase::Poweroff);
  } else if (const auto* failed = std::get_if<GuestInitFailed>(&event)) {
    init_failure_ = failed->what;
    advance(GuestPhase::Poweroff);
  }
}

}  // namespace kh::engine
