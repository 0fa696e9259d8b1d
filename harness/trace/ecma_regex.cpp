#include "trace/ecma_regex.h"

// GCC 12 reports a false -Wmaybe-uninitialized inside <regex>'s automaton when sanitizers are on;
// the warning points into the header, so it is silenced for the header alone.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

namespace kh::trace {

struct EcmaRegex::Compiled {
  std::regex regex;
};

Result<EcmaRegex> EcmaRegex::compile(std::string_view pattern) {
  EcmaRegex compiled;
  compiled.pattern_ = std::string(pattern);
  try {
    compiled.compiled_ = std::make_shared<const Compiled>(Compiled{std::regex(compiled.pattern_, std::regex::ECMAScript)});
  } catch (const std::regex_error& e) {
    return make_error(ErrorKind::Config, "{}", e.what());
  }
  return compiled;
}

bool EcmaRegex::search(std::string_view subject) const {
  if (!compiled_) {
    return false;
  }
  try {
    return std::regex_search(subject.begin(), subject.end(), compiled_->regex);
  } catch (const std::regex_error&) {
    return false;
  }
}

}  // namespace kh::trace
