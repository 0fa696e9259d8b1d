#include "common/result.h"

namespace kh {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::Eof: return "eof";
    case ErrorKind::Parse: return "parse";
    case ErrorKind::Process: return "process";
    case ErrorKind::Config: return "config";
    case ErrorKind::Symbol: return "symbol";
    case ErrorKind::Gdb: return "gdb";
    case ErrorKind::Io: return "io";
    case ErrorKind::Network: return "network";
    case ErrorKind::Build: return "build";
    case ErrorKind::Interrupted: return "interrupted";
    case ErrorKind::Internal: return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const {
  if (location.empty()) {
    return message;
  }
  return location + ": " + message;
}

Error& Error::wrap(std::string_view context) {
  message = fmt::format("{}: {}", context, message);
  return *this;
}

}  // namespace kh
