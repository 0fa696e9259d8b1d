#include "report/terminal_style.h"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

namespace kh::report {

bool colour_wanted(bool is_terminal, const char* no_color) {
  return is_terminal && (no_color == nullptr || *no_color == '\0');
}

TerminalStyle terminal_style_for(std::FILE* out, Verbosity verbosity) {
  bool is_terminal = out != nullptr && ::isatty(::fileno(out)) == 1;
  return TerminalStyle{colour_wanted(is_terminal, std::getenv("NO_COLOR")), verbosity};
}

std::string paint(const TerminalStyle& style, Tone tone, std::string_view text) {
  if (!style.colour || text.empty()) {
    return std::string(text);
  }
  std::string_view code;
  switch (tone) {
    case Tone::Good:
      code = "32";
      break;
    case Tone::Bad:
      code = "1;31";
      break;
    case Tone::Warn:
      code = "33";
      break;
    case Tone::Strong:
      code = "1";
      break;
    case Tone::Faint:
      code = "2";
      break;
  }
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

Tone tone_of(trace::Verdict verdict) {
  switch (verdict) {
    case trace::Verdict::Pass:
      return Tone::Good;
    case trace::Verdict::Skipped:
    case trace::Verdict::Interrupted:
      return Tone::Warn;
    case trace::Verdict::Fail:
    case trace::Verdict::Timeout:
    case trace::Verdict::Infra:
    case trace::Verdict::Error:
      return Tone::Bad;
  }
  return Tone::Bad;
}

}  // namespace kh::report
