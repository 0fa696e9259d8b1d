// How reports look on a terminal: colour on or off, and how much they show.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "trace/trace_model.h"

namespace kh::report {

enum class Verbosity {
  Normal,   // what a student reads top to bottom: chains without the syscall-entry tail
  Verbose,  // every frame, gdb's raw values, the serial log tail of a FAIL
};

struct TerminalStyle {
  bool colour = false;
  Verbosity verbosity = Verbosity::Normal;
};

// Whether to colour: only on a terminal, and never when NO_COLOR is set to a non-empty value
// (https://no-color.org). `no_color` is the variable's value, nullptr when unset. Pure.
bool colour_wanted(bool is_terminal, const char* no_color);

// The style for writing to `out`: colour when `out` is a terminal and NO_COLOR is unset.
TerminalStyle terminal_style_for(std::FILE* out, Verbosity verbosity = Verbosity::Normal);

// The colours reports use; each names what it marks, not a hue.
enum class Tone { Good, Bad, Warn, Strong, Faint };

// `text` wrapped in the ANSI codes of `tone` when `style.colour`, else `text` unchanged.
std::string paint(const TerminalStyle& style, Tone tone, std::string_view text);

// The tone a verdict is shown in: PASS good, FAIL/TIMEOUT/INFRA/ERROR bad, SKIPPED warn.
Tone tone_of(trace::Verdict verdict);

}  // namespace kh::report
