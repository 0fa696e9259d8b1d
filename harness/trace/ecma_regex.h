// ECMAScript regular expressions for scenario files, with <regex> kept inside one source file.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kh::trace {

// A compiled ECMAScript regular expression (std::regex). Copies share the compiled form.
class EcmaRegex {
 public:
  // A regex that matches nothing (the state of a default-constructed ValueTest).
  EcmaRegex() = default;

  // Compiles `pattern`; ErrorKind::Config with the library's explanation when it is not valid.
  static Result<EcmaRegex> compile(std::string_view pattern);

  // True when some part of `subject` matches. False when the matcher gives up on it (too complex),
  // and always for a default-constructed regex. Never throws.
  bool search(std::string_view subject) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;
  std::string pattern_;
};

}  // namespace kh::trace
