// The one error-result type of kharness: recoverable failures are values, not exceptions.
#pragma once

#include <cassert>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

namespace kh {

// What went wrong, coarse enough for callers to branch on (a timeout is retried or reported as
// TIMEOUT, a config error as ERROR, a process error as INFRA).
enum class ErrorKind {
  Timeout,   // a deadline passed while waiting for an event
  Eof,       // a peer (gdb, qemu, a pipe) went away
  Parse,     // malformed input from a peer or a file (MI line, cpio, sha256 list)
  Process,   // a child could not be started or died unexpectedly
  Config,    // bad user input: scenario file, option, fragment, kernel tree
  Symbol,    // a symbol or debug info the trace needs is missing
  Gdb,       // gdb answered a command with ^error (the message is gdb's)
  Io,        // a file system operation failed
  Network,   // a download failed
  Build,     // a compiler or kernel build failed
  Interrupted,  // the user pressed Ctrl-C or kharness got SIGTERM
  Internal,  // a broken invariant of kharness itself
};

// "timeout", "eof", "parse", ... (the enumerator in lower case). Cannot fail.
inline std::string_view to_string(ErrorKind kind) {
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

// A failure with a one-line message, an optional place ("file:line" or "file:line:col") and
// optional evidence lines (a log tail, the gdb error text). Header-only (with fmt), so that the
// pure libraries (the MI parser) report errors without linking kh_common.
struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;
  std::string location;
  std::vector<std::string> details;
  // For a parse error inside one line of input (an MI line): the 1-based column where it was
  // found, for callers that point at it; the message says it for readers too.
  std::optional<std::size_t> column = std::nullopt;

  // "location: message" (or just the message), one line, for users.
  std::string to_string() const {
    if (location.empty()) {
      return message;
    }
    return location + ": " + message;
  }
  // Adds context in front of the message: "context: message".
  Error& wrap(std::string_view context) {
    message = fmt::format("{}: {}", context, message);
    return *this;
  }
};

// Builds an Error with a fmt-formatted message.
template <typename... Args>
Error make_error(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  Error error;
  error.kind = kind;
  error.message = fmt::format(format, std::forward<Args>(args)...);
  return error;
}

// Either a T or an Error. Accessing the wrong side is a programming error (asserted).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(storage_); }
  const T& value() const& { assert(ok()); return std::get<0>(storage_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(storage_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(storage_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(storage_)); }

 private:
  std::variant<T, Error> storage_;
};

// Success without a value, or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { assert(failed_); return error_; }
  Error&& error() && { assert(failed_); return std::move(error_); }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace kh

// Evaluates a Result expression and returns its error from the enclosing function on failure.
#define KH_TRY(expr)                                   \
  do {                                                 \
    auto kh_try_result_ = (expr);                      \
    if (!kh_try_result_.ok()) {                        \
      return std::move(kh_try_result_).error();        \
    }                                                  \
  } while (false)

// Evaluates a Result expression, returns its error on failure, else moves its value into `lhs`.
// `lhs` is often a declaration ("std::string text"), which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define KH_ASSIGN_OR_RETURN(lhs, expr)                 \
  auto KH_CONCAT_(kh_result_, __LINE__) = (expr);      \
  if (!KH_CONCAT_(kh_result_, __LINE__).ok()) {        \
    return std::move(KH_CONCAT_(kh_result_, __LINE__)).error(); \
  }                                                    \
  lhs = std::move(KH_CONCAT_(kh_result_, __LINE__)).value()
// NOLINTEND(bugprone-macro-parentheses)

#define KH_CONCAT_INNER_(a, b) a##b
#define KH_CONCAT_(a, b) KH_CONCAT_INNER_(a, b)
