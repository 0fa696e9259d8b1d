#include "trace/expectation.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/strings.h"

namespace kh::trace {
namespace {

// `matches` looks at this many bytes of a value at most (gdb prints 200 characters by default).
constexpr std::size_t kMaxRegexSubject = 4096;

// The 64-bit pattern of a number, as the kernel stores it (-1 is all ones).
std::uint64_t two_complement(const GdbNumber& number) {
  return number.negative ? ~number.magnitude + 1 : number.magnitude;
}

// How well one hit meets one check.
struct CheckOutcome {
  bool satisfied = false;
  double closeness = 0;  // 1 when satisfied; the fraction of a backtrace found; 0.1 for a readable value
  std::string actual;
  bool gdb_error = false;  // the value could not be read because gdb failed to evaluate it
};

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

// Compilers clone functions as "name.isra.0", "name.constprop.0", "name.part.0", "name.cold".
bool same_function(std::string_view frame, std::string_view name) {
  return frame == name || (frame.size() > name.size() && frame.starts_with(name) && frame[name.size()] == '.');
}

// How many of the check's functions, from the first, the frames hold in order.
std::size_t matched_prefix(const BacktraceCheck& check, const std::vector<Frame>& frames) {
  const std::vector<std::string>& names = check.functions;
  if (check.contiguous) {
    std::size_t best = 0;
    std::size_t last_start = check.anchored ? std::min<std::size_t>(frames.size(), 1) : frames.size();
    for (std::size_t start = 0; start < last_start; ++start) {
      std::size_t k = 0;
      while (k < names.size() && start + k < frames.size() && same_function(frames[start + k].func, names[k])) ++k;
      best = std::max(best, k);
    }
    return best;
  }
  std::size_t position = 0;
  std::size_t k = 0;
  if (check.anchored) {
    if (frames.empty() || !same_function(frames[0].func, names[0])) {
      return 0;
    }
    position = 1;
    k = 1;
  }
  while (k < names.size()) {
    auto it = std::find_if(frames.begin() + static_cast<std::ptrdiff_t>(position), frames.end(),
                           [&](const Frame& frame) { return same_function(frame.func, names[k]); });
    if (it == frames.end()) {
      break;
    }
    position = static_cast<std::size_t>(it - frames.begin()) + 1;
    ++k;
  }
  return k;
}

std::string chain_or_empty(const std::vector<Frame>& frames) {
  return frames.empty() ? std::string("(no frames)") : format_chain(frames);
}

CheckOutcome check_backtrace(const BacktraceCheck& check, const Hit& hit) {
  CheckOutcome outcome;
  std::size_t matched = matched_prefix(check, hit.frames);
  outcome.satisfied = matched == check.functions.size();
  outcome.closeness = static_cast<double>(matched) / static_cast<double>(check.functions.size());
  outcome.actual = chain_or_empty(hit.frames);
  if (!outcome.satisfied) {
    const std::string& missing = check.functions[matched];
    if (matched == 0 && check.anchored) {
      outcome.actual += fmt::format(" (frame 0 is not {})", missing);
    } else if (matched == 0) {
      outcome.actual += fmt::format(" (missing {})", missing);
    } else if (check.contiguous) {
      outcome.actual += fmt::format(" ({} is not directly followed by {})", check.functions[matched - 1], missing);
    } else {
      outcome.actual += fmt::format(" (missing {} after {})", missing, check.functions[matched - 1]);
    }
  }
  return outcome;
}

CheckOutcome check_without(const BacktraceWithoutCheck& check, const Hit& hit) {
  std::vector<std::string> present;
  for (const std::string& name : check.functions) {
    if (std::any_of(hit.frames.begin(), hit.frames.end(),
                    [&](const Frame& frame) { return same_function(frame.func, name); })) {
      present.push_back(name);
    }
  }
  CheckOutcome outcome;
  outcome.satisfied = present.empty();
  outcome.closeness = 1.0 - static_cast<double>(present.size()) / static_cast<double>(check.functions.size());
  outcome.actual = chain_or_empty(hit.frames);
  if (!outcome.satisfied) {
    outcome.actual += fmt::format(" (has {})", join(present, ", "));
  }
  return outcome;
}

// The value a check reads at a hit, or why there is none.
struct ReadValue {
  std::optional<std::string> value;
  std::string problem;
  bool gdb_error = false;
};

ReadValue read_value(const ValueCheck& check, const Hit& hit) {
  ReadValue read;
  if (check.source == ValueCheck::Source::Capture) {
    const CapturedValue* capture = find_capture(hit, check.name);
    if (capture == nullptr) {
      read.problem = fmt::format("<not captured: {}>", check.name);
      read.gdb_error = true;
    } else if (capture->value) {
      read.value = *capture->value;
    } else {
      read.problem = fmt::format("<error: {}>", capture->error);
      read.gdb_error = true;
    }
    return read;
  }
  const Frame* frame = nullptr;
  if (check.frame.level) {
    auto it = std::find_if(hit.frames.begin(), hit.frames.end(),
                           [&](const Frame& f) { return f.level == *check.frame.level; });
    frame = it == hit.frames.end() ? nullptr : &*it;
  } else {
    auto it = std::find_if(hit.frames.begin(), hit.frames.end(),
                           [&](const Frame& f) { return same_function(f.func, check.frame.function); });
    frame = it == hit.frames.end() ? nullptr : &*it;
  }
  if (frame == nullptr) {
    read.problem = fmt::format("<no {} in the backtrace>", check.frame.to_string());
    return read;
  }
  for (const FrameArg& arg : frame->args) {
    if (arg.name == check.name) {
      read.value = arg.value;
      return read;
    }
  }
  std::vector<std::string> names;
  for (const FrameArg& arg : frame->args) names.push_back(arg.name);
  read.problem = names.empty() ? fmt::format("<{} ({}) has no argument '{}'>", check.frame.to_string(), frame->func,
                                             check.name)
                               : fmt::format("<{} ({}) has no argument '{}'; it has {}>", check.frame.to_string(),
                                             frame->func, check.name, join(names, ", "));
  return read;
}

CheckOutcome check_value(const ValueCheck& check, const Hit& hit) {
  CheckOutcome outcome;
  ReadValue read = read_value(check, hit);
  if (!read.value) {
    outcome.actual = read.problem;
    outcome.gdb_error = read.gdb_error;
    return outcome;
  }
  outcome.actual = *read.value;
  outcome.satisfied = std::all_of(check.tests.begin(), check.tests.end(),
                                  [&](const ValueTest& test) { return value_passes(test, *read.value); });
  outcome.closeness = outcome.satisfied ? 1.0 : 0.1;
  return outcome;
}

CheckOutcome check_hit(const Check& check, const Hit& hit) {
  if (const auto* backtrace = std::get_if<BacktraceCheck>(&check.body)) return check_backtrace(*backtrace, hit);
  if (const auto* without = std::get_if<BacktraceWithoutCheck>(&check.body)) return check_without(*without, hit);
  return check_value(std::get<ValueCheck>(check.body), hit);
}

std::string operand_text(const ValueTest& test) {
  return test.number ? test.operand : fmt::format("\"{}\"", test.operand);
}

std::string test_text(const ValueTest& test) {
  switch (test.op) {
    case ValueOp::Equals: return "== " + operand_text(test);
    case ValueOp::NotEquals: return "!= " + operand_text(test);
    case ValueOp::Matches: return fmt::format("matches /{}/", test.operand);
    case ValueOp::Less: return "< " + test.operand;
    case ValueOp::LessEqual: return "<= " + test.operand;
    case ValueOp::Greater: return "> " + test.operand;
    case ValueOp::GreaterEqual: return ">= " + test.operand;
    case ValueOp::BitsSet: return "has bits " + test.operand + " set";
    case ValueOp::BitsClear: return "has bits " + test.operand + " clear";
  }
  return test.operand;
}

std::string subject_text(const ValueCheck& check) {
  if (check.source == ValueCheck::Source::Capture) {
    return check.name;
  }
  if (check.frame.level && *check.frame.level == 0) {
    return fmt::format("arg {}", check.name);
  }
  return check.frame.level ? fmt::format("arg {} of frame {}", check.name, *check.frame.level)
                           : fmt::format("arg {} of {}", check.name, check.frame.function);
}

// The expected side alone: "a <- b", "none of x, y", "!= 0".
std::string expected_text(const Check& check) {
  if (const auto* backtrace = std::get_if<BacktraceCheck>(&check.body)) {
    std::string chain = join(backtrace->functions, " <- ");
    if (backtrace->anchored && backtrace->contiguous) return chain + " (consecutive, from frame 0)";
    if (backtrace->anchored) return chain + " (from frame 0)";
    if (backtrace->contiguous) return chain + " (consecutive)";
    return chain;
  }
  if (const auto* without = std::get_if<BacktraceWithoutCheck>(&check.body)) {
    return "none of " + join(without->functions, ", ");
  }
  std::vector<std::string> tests;
  for (const ValueTest& test : std::get<ValueCheck>(check.body).tests) tests.push_back(test_text(test));
  return join(tests, " and ");
}

std::string_view kind_of(const Check& check) {
  if (std::holds_alternative<BacktraceCheck>(check.body)) return "backtrace";
  if (std::holds_alternative<BacktraceWithoutCheck>(check.body)) return "backtrace-without";
  return "value";
}

std::string subject_of(const Check& check) {
  const auto* value = std::get_if<ValueCheck>(&check.body);
  return value ? subject_text(*value) : std::string("backtrace");
}

// The outcome of a whole expectation on one hit.
struct HitOutcome {
  const Hit* hit = nullptr;
  std::vector<CheckOutcome> checks;
  bool satisfied = false;
  double closeness = 0;
};

HitOutcome check_expectation_on(const HitExpectation& expectation, const Hit& hit) {
  HitOutcome outcome;
  outcome.hit = &hit;
  outcome.satisfied = true;
  for (const Check& check : expectation.checks) {
    CheckOutcome one = check_hit(check, hit);
    outcome.satisfied = outcome.satisfied && one.satisfied;
    outcome.closeness += one.closeness;
    outcome.checks.push_back(std::move(one));
  }
  return outcome;
}

// The actual side of a hit: the check's own text, or "subject: text" per check for a group.
std::string actual_text(const HitExpectation& expectation, const HitOutcome& outcome, bool failing_only) {
  if (!expectation.grouped) {
    return outcome.checks.front().actual;
  }
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < expectation.checks.size(); ++i) {
    if (failing_only && outcome.checks[i].satisfied) continue;
    parts.push_back(fmt::format("{}: {}", subject_of(expectation.checks[i]), outcome.checks[i].actual));
  }
  return join(parts, "; ");
}

ExpectationResult evaluate_expectation(const BreakpointSpec& breakpoint, const HitExpectation& expectation,
                                       const std::vector<const Hit*>& hits) {
  ExpectationResult result;
  result.breakpoint = breakpoint.name;
  result.location = expectation.location;
  bool every = expectation.on == Quantifier::Every;
  if (expectation.grouped) {
    std::vector<std::string> parts;
    for (const Check& check : expectation.checks) parts.push_back(describe(check));
    result.kind = "hit";
    result.expected = join(parts, "; ");
    result.description = fmt::format("{} hit with: {}", every ? "every" : "one", result.expected);
  } else {
    const Check& check = expectation.checks.front();
    result.kind = std::string(kind_of(check));
    result.expected = expected_text(check);
    result.description = describe(check) + (every ? " on every hit" : "");
  }
  if (hits.empty()) {
    result.verdict = Verdict::Fail;
    result.actual = "no hits";
    return result;
  }
  std::vector<HitOutcome> outcomes;
  outcomes.reserve(hits.size());
  for (const Hit* hit : hits) outcomes.push_back(check_expectation_on(expectation, *hit));

  const HitOutcome* shown = nullptr;
  if (every) {
    auto failing = std::find_if(outcomes.begin(), outcomes.end(), [](const HitOutcome& o) { return !o.satisfied; });
    result.verdict = failing == outcomes.end() ? Verdict::Pass : Verdict::Fail;
    shown = failing == outcomes.end() ? &outcomes.front() : &*failing;
  } else {
    auto passing = std::find_if(outcomes.begin(), outcomes.end(), [](const HitOutcome& o) { return o.satisfied; });
    result.verdict = passing == outcomes.end() ? Verdict::Fail : Verdict::Pass;
    if (passing != outcomes.end()) {
      shown = &*passing;
    } else {
      // The closest hit: the most checks met, the longest part of a backtrace found; the first on ties.
      shown = &*std::max_element(outcomes.begin(), outcomes.end(), [](const HitOutcome& a, const HitOutcome& b) {
        return a.closeness < b.closeness;
      });
    }
  }
  result.hit_index = shown->hit->index;
  result.actual = actual_text(expectation, *shown, result.verdict == Verdict::Fail);
  if (result.verdict == Verdict::Fail) {
    // A value gdb could not evaluate on any hit is a broken scenario (or kernel), not an observation.
    for (std::size_t i = 0; i < expectation.checks.size(); ++i) {
      bool never_read = std::all_of(outcomes.begin(), outcomes.end(),
                                    [&](const HitOutcome& o) { return o.checks[i].gdb_error; });
      if (never_read) {
        result.verdict = Verdict::Error;
        result.actual = fmt::format("{}: {}", subject_of(expectation.checks[i]), outcomes.front().checks[i].actual);
        result.hit_index = outcomes.front().hit->index;
        break;
      }
    }
  }
  return result;
}

ExpectationResult evaluate_hit_count(const BreakpointSpec& breakpoint, const HitCountExpectation& expectation,
                                     std::size_t count) {
  ExpectationResult result;
  result.breakpoint = breakpoint.name;
  result.kind = "hits";
  result.location = expectation.location;
  if (expectation.at_least && expectation.at_most) {
    result.expected = *expectation.at_least == *expectation.at_most
                          ? fmt::format("{}", *expectation.at_least)
                          : fmt::format("{} to {}", *expectation.at_least, *expectation.at_most);
  } else if (expectation.at_least) {
    result.expected = fmt::format("at least {}", *expectation.at_least);
  } else {
    result.expected = fmt::format("at most {}", expectation.at_most.value_or(0));
  }
  result.description = fmt::format("{} is hit {} time(s)", breakpoint.name, result.expected);
  result.actual = fmt::format("{}", count);
  bool ok = (!expectation.at_least || count >= static_cast<std::size_t>(*expectation.at_least)) &&
            (!expectation.at_most || count <= static_cast<std::size_t>(*expectation.at_most));
  result.verdict = ok ? Verdict::Pass : Verdict::Fail;
  return result;
}

}  // namespace

bool value_passes(const ValueTest& test, std::string_view gdb_value) {
  std::optional<GdbString> text = c_string(gdb_value);
  switch (test.op) {
    case ValueOp::Equals:
    case ValueOp::NotEquals: {
      bool equal = false;
      if (text) {
        // A string gdb cut short can only equal what starts with the part it showed.
        equal = text->truncated ? std::string_view(test.operand).starts_with(text->text) : text->text == test.operand;
      } else if (auto number = leading_number(gdb_value); number && test.number) {
        equal = *number == *test.number;
      } else {
        equal = trim(gdb_value) == test.operand;
      }
      return test.op == ValueOp::Equals ? equal : !equal;
    }
    case ValueOp::Matches: {
      std::string subject = text ? text->text : std::string(trim(gdb_value));
      // libstdc++'s matcher recurses per character: a bounded subject keeps it off the stack's end.
      subject.resize(std::min(subject.size(), kMaxRegexSubject));
      return test.regex.search(subject);
    }
    case ValueOp::Less:
    case ValueOp::LessEqual:
    case ValueOp::Greater:
    case ValueOp::GreaterEqual:
    case ValueOp::BitsSet:
    case ValueOp::BitsClear: {
      auto number = leading_number(gdb_value);
      if (!number || !test.number) {
        return false;
      }
      if (test.op == ValueOp::BitsSet) return (two_complement(*number) & two_complement(*test.number)) ==
                                              two_complement(*test.number);
      if (test.op == ValueOp::BitsClear) return (two_complement(*number) & two_complement(*test.number)) == 0;
      if (test.op == ValueOp::Less) return *number < *test.number;
      if (test.op == ValueOp::LessEqual) return *number <= *test.number;
      if (test.op == ValueOp::Greater) return *number > *test.number;
      return *number >= *test.number;
    }
  }
  return false;
}

std::string describe(const Check& check) {
  if (std::holds_alternative<BacktraceCheck>(check.body)) return "backtrace has " + expected_text(check);
  if (std::holds_alternative<BacktraceWithoutCheck>(check.body)) return "backtrace has " + expected_text(check);
  return subject_of(check) + " " + expected_text(check);
}

std::vector<ExpectationResult> evaluate(const ResolvedScenario& scenario, const Trace& trace) {
  std::vector<ExpectationResult> results;
  if (!scenario.applies) {
    ExpectationResult skipped;
    skipped.kind = "scenario";
    skipped.description = fmt::format("scenario {} applies to kernels {}", scenario.name, scenario.kernels);
    skipped.verdict = Verdict::Skipped;
    skipped.expected = scenario.kernels;
    skipped.actual = scenario.kernel.to_string();
    skipped.location = scenario.location;
    results.push_back(std::move(skipped));
    return results;
  }
  for (const BreakpointSpec& breakpoint : scenario.breakpoints) {
    std::vector<const Hit*> hits = hits_of(trace, breakpoint.name);
    std::size_t first = results.size();
    for (const HitCountExpectation& count : breakpoint.hit_counts) {
      results.push_back(evaluate_hit_count(breakpoint, count, hits.size()));
    }
    for (const HitExpectation& expectation : breakpoint.expectations) {
      results.push_back(evaluate_expectation(breakpoint, expectation, hits));
    }
    // The model keeps hit counts apart from the other expectations; a reader expects file order.
    std::stable_sort(results.begin() + static_cast<std::ptrdiff_t>(first), results.end(),
                     [](const ExpectationResult& a, const ExpectationResult& b) {
                       return line_of_location(a.location) < line_of_location(b.location);
                     });
  }
  return results;
}

}  // namespace kh::trace
