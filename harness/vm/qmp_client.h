// A client of qemu's QMP monitor on a unix socket: enough to pause a guest, save its state to a
// file and follow an incoming migration (the snapshots of engine/snapshot_store.h).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/deadline.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace kh::vm {

class QmpClient {
 public:
  // Connects to `socket`, reads qemu's greeting and enters command mode (qmp_capabilities).
  // ErrorKind::Io when the socket cannot be reached, Protocol-like failures as ErrorKind::Process,
  // Timeout at the deadline, Interrupted on Ctrl-C.
  static Result<QmpClient> connect(const std::filesystem::path& socket, Deadline deadline);

  QmpClient(QmpClient&&) noexcept = default;
  QmpClient& operator=(QmpClient&&) noexcept = default;
  QmpClient(const QmpClient&) = delete;
  QmpClient& operator=(const QmpClient&) = delete;

  // Runs `command` with `arguments_json` (a JSON object, or empty for none) and returns its
  // "return" member as JSON text. ErrorKind::Process with qemu's description when it answers with
  // an error, Eof when qemu closed the monitor, Timeout, Interrupted.
  Result<std::string> execute(std::string_view command, std::string_view arguments_json, Deadline deadline);
  // Starts saving the machine to `uri` (migrate); follow it with migration_status().
  Result<void> migrate(std::string_view uri, Deadline deadline);
  // The run state of query-status ("running", "paused", "inmigrate", "prelaunch", ...).
  Result<std::string> run_status(Deadline deadline);
  // The status of query-migrate ("active", "completed", "failed", ...; "none" before any).
  Result<std::string> migration_status(Deadline deadline);

 private:
  explicit QmpClient(UniqueFd fd) : fd_(std::move(fd)) {}
  // The next complete message (events included), without its line end.
  Result<std::string> read_message(Deadline deadline);

  UniqueFd fd_;
  std::string buffer_;
};

// Quotes `text` as one word for /bin/sh (qemu runs exec: migration URIs through it).
std::string shell_quote(std::string_view text);

}  // namespace kh::vm
