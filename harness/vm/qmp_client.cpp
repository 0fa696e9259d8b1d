#include "vm/qmp_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <cstring>

namespace kh::vm {
namespace {

using nlohmann::json;

Result<json> parse(std::string_view text) {
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return make_error(ErrorKind::Process, "qemu's monitor sent something that is not a JSON object: {}",
                      text.substr(0, 200));
  }
  return parsed;
}

}  // namespace

std::string shell_quote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  quoted += '\'';
  return quoted;
}

Result<QmpClient> QmpClient::connect(const std::filesystem::path& socket, Deadline deadline) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof(address.sun_path)) {
    return make_error(ErrorKind::Config, "QMP socket path {} is too long", path);
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return make_error(ErrorKind::Io, "socket failed: {}", std::strerror(errno));
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return make_error(ErrorKind::Io, "cannot connect to qemu's monitor {}: {}", path, std::strerror(errno));
  }
  QmpClient client(std::move(fd));
  // QEMU 7.2 can write an event before the greeting: one emitted between its accept() of our
  // connection and the monitor's "opened" handling (seen: MIGRATION "setup" of -incoming). Such
  // events are skipped; anything else first is not a QMP monitor.
  for (;;) {
    KH_ASSIGN_OR_RETURN(std::string greeting, client.read_message(deadline));
    KH_ASSIGN_OR_RETURN(json hello, parse(greeting));
    if (hello.contains("QMP")) {
      break;
    }
    if (!hello.contains("event")) {
      return make_error(ErrorKind::Process, "qemu's monitor did not greet with QMP: {}",
                        greeting.substr(0, 200));
    }
  }
  KH_TRY(client.execute("qmp_capabilities", "", deadline));
  return client;
}

Result<std::string> QmpClient::read_message(Deadline deadline) {
  for (;;) {
    const std::size_t end = buffer_.find('\n');
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      if (!line.empty()) {
        return line;
      }
      continue;
    }
    const int fd = fd_.get();
    KH_TRY(wait_readable(std::span<const int>(&fd, 1), deadline));
    std::array<char, 4096> chunk{};
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return make_error(ErrorKind::Io, "reading qemu's monitor failed: {}", std::strerror(errno));
    }
    if (n == 0) {
      return make_error(ErrorKind::Eof, "qemu closed its monitor");
    }
    buffer_.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

Result<std::string> QmpClient::execute(std::string_view command, std::string_view arguments_json,
                                       Deadline deadline) {
  json request = {{"execute", std::string(command)}};
  if (!arguments_json.empty()) {
    KH_ASSIGN_OR_RETURN(request["arguments"], parse(arguments_json));
  }
  const std::string line = request.dump() + "\n";
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::send(fd_.get(), line.data() + written, line.size() - written, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return make_error(ErrorKind::Eof, "qemu's monitor is gone: {}", std::strerror(errno));
    }
    written += static_cast<std::size_t>(n);
  }
  for (;;) {
    KH_ASSIGN_OR_RETURN(std::string message, read_message(deadline));
    KH_ASSIGN_OR_RETURN(json answer, parse(message));
    if (answer.contains("return")) {
      return answer["return"].dump();
    }
    if (answer.contains("error")) {
      const json& error = answer["error"];
      return make_error(ErrorKind::Process, "qemu's monitor: {} failed: {}", command,
                        error.value("desc", error.dump()));
    }
    // An event ({"event": ...}): not the answer.
  }
}

Result<void> QmpClient::migrate(std::string_view uri, Deadline deadline) {
  const json arguments = {{"uri", std::string(uri)}};
  KH_TRY(execute("migrate", arguments.dump(), deadline));
  return {};
}

Result<std::string> QmpClient::run_status(Deadline deadline) {
  KH_ASSIGN_OR_RETURN(std::string answer, execute("query-status", "", deadline));
  KH_ASSIGN_OR_RETURN(json status, parse(answer));
  return status.value("status", std::string("unknown"));
}

Result<std::string> QmpClient::migration_status(Deadline deadline) {
  KH_ASSIGN_OR_RETURN(std::string answer, execute("query-migrate", "", deadline));
  KH_ASSIGN_OR_RETURN(json status, parse(answer));
  return status.value("status", std::string("none"));
}

}  // namespace kh::vm
