#include "trace/scenario_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "common/paths.h"
#include "trace/gdb_value.h"

namespace kh::trace {
namespace {

constexpr std::size_t kMaxChainWithoutSyscall = 12;
constexpr std::uint64_t kSmallInteger = 65536;

bool is_syscall_entry(std::string_view function) {
  return function.starts_with("__do_sys_") || function.starts_with("__se_sys_") ||
         function.starts_with("__x64_sys_") || function.starts_with("__ia32_sys_");
}

bool is_entry_code(std::string_view function) {
  return function == "do_syscall_64" || function.starts_with("entry_SYSCALL") || function == "x64_sys_call";
}

// An XML comment may not hold "--".
std::string comment_safe(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '-' && !out.empty() && out.back() == '-') {
      out += ' ';
    }
    out += c;
  }
  if (!out.empty() && out.back() == '-') {
    out += ' ';
  }
  return out;
}

// A path of the guest as the recorded file must name it: relative to the output's folder.
std::string relative_to(const std::filesystem::path& path, const std::filesystem::path& folder) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  std::filesystem::path base = std::filesystem::absolute(folder.empty() ? "." : folder, ec);
  std::filesystem::path relative = absolute.lexically_normal().lexically_relative(base.lexically_normal());
  return relative.empty() ? path.string() : relative.string();
}

std::string guest_xml(const GuestSpec& guest, const std::filesystem::path& folder) {
  std::string attributes;
  std::string children;
  switch (guest.kind) {
    case GuestKind::Program:
      attributes = fmt::format(" program=\"{}\"", xml_escape(guest.program));
      break;
    case GuestKind::Source:
      if (guest.sources.size() == 1) {
        attributes = fmt::format(" source=\"{}\"", xml_escape(relative_to(guest.sources.front(), folder)));
      } else {
        for (const auto& source : guest.sources) {
          children += fmt::format("    <source>{}</source>\n", xml_escape(relative_to(source, folder)));
        }
      }
      if (!guest.cflags.empty()) {
        attributes += fmt::format(" cflags=\"{}\"", xml_escape(guest.cflags));
      }
      break;
    case GuestKind::Binary:
      attributes = fmt::format(" binary=\"{}\"", xml_escape(relative_to(guest.binary, folder)));
      break;
    case GuestKind::Command:
      attributes = fmt::format(" command=\"{}\"", xml_escape(guest.command));
      break;
  }
  for (const auto& arg : guest.args) {
    children += fmt::format("    <arg>{}</arg>\n", xml_escape(arg));
  }
  for (const auto& file : guest.files) {
    if (file.src.empty()) {
      children += fmt::format("    <dir dest=\"{}\"/>\n", xml_escape(file.dest));
    } else {
      children += fmt::format("    <file src=\"{}\" dest=\"{}\"/>\n", xml_escape(relative_to(file.src, folder)),
                              xml_escape(file.dest));
    }
  }
  if (children.empty()) {
    return fmt::format("  <guest{}/>\n", attributes);
  }
  return fmt::format("  <guest{}>\n{}  </guest>\n", attributes, children);
}

// The facts one run shows of one breakpoint, each an XML fragment indented for a <breakpoint>.
std::vector<std::string> facts_of(const BreakpointSpec& breakpoint, const Trace& trace) {
  std::vector<const Hit*> hits = hits_of(trace, breakpoint.name);
  std::vector<std::string> facts;
  facts.push_back(fmt::format("<expect-hits exactly=\"{}\"/>", hits.size()));
  std::set<std::string> seen;
  for (const Hit* hit : hits) {
    std::vector<std::string> chain = recorded_chain(hit->frames);
    std::string group = "<expect-hit>\n";
    if (!chain.empty()) {
      group += fmt::format("  <expect-backtrace anchored=\"true\" contiguous=\"true\">{}</expect-backtrace>\n",
                           xml_escape(fmt::format("{}", fmt::join(chain, " "))));
    }
    for (const auto& capture : breakpoint.captures) {
      const CapturedValue* value = find_capture(*hit, capture.name);
      // A mount list is for reading (the HTML report draws it): its ids and namespace differ with
      // the guest's timing, so it gets no expectation.
      if (value == nullptr || capture.kind == CaptureKind::Mounts) {
        continue;
      }
      std::string operand = recorded_value(*value);
      if (!operand.empty()) {
        group += fmt::format("  <expect capture=\"{}\" equals=\"{}\"/>\n", xml_escape(capture.name),
                             xml_escape(operand));
      }
    }
    group += "</expect-hit>";
    if (group != "<expect-hit>\n</expect-hit>" && seen.insert(group).second) {
      facts.push_back(std::move(group));
    }
  }
  return facts;
}

std::string indent(std::string_view text, std::string_view prefix) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    out += prefix;
    out += line;
    out += '\n';
    start = end == std::string_view::npos ? text.size() : end + 1;
  }
  return out;
}

// The kernel range of runs [first, last] of the sorted versions: open where it reaches an end.
std::string range_text(const std::vector<KernelVersion>& versions, std::size_t first, std::size_t last) {
  if (first == last) {
    return "=" + versions[first].to_string();
  }
  std::vector<std::string> bounds;
  if (first > 0) {
    bounds.push_back(">=" + versions[first].to_string());
  }
  if (last + 1 < versions.size()) {
    bounds.push_back("<=" + versions[last].to_string());
  }
  return fmt::format("{}", fmt::join(bounds, ","));
}

std::string breakpoint_xml(const BreakpointSpec& breakpoint, const std::vector<RecordedRun>& runs,
                           const std::vector<KernelVersion>& versions) {
  std::string attributes = fmt::format(" function=\"{}\"", xml_escape(breakpoint.function));
  if (breakpoint.name != breakpoint.function) {
    attributes += fmt::format(" name=\"{}\"", xml_escape(breakpoint.name));
  }
  if (breakpoint.scope == Scope::All) {
    attributes += " scope=\"all\"";
  }
  if (!breakpoint.condition.empty()) {
    attributes += fmt::format(" condition=\"{}\"", xml_escape(breakpoint.condition));
  }
  std::string body;
  for (const auto& capture : breakpoint.captures) {
    if (capture.kind == CaptureKind::Mounts) {
      body += fmt::format("    <capture-mounts as=\"{}\"/>\n", xml_escape(capture.name));
    } else {
      body += fmt::format("    <capture expr=\"{}\" as=\"{}\"/>\n", xml_escape(capture.expr), xml_escape(capture.name));
    }
  }
  // Every fact, in the order first seen, with the runs (indices into the sorted runs) showing it.
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::size_t>> shown_by;
  for (std::size_t run = 0; run < runs.size(); ++run) {
    if (!applies_to(breakpoint.when, runs[run].version)) {
      continue;
    }
    for (auto& fact : facts_of(breakpoint, runs[run].trace)) {
      auto [it, inserted] = shown_by.try_emplace(fact);
      if (inserted) {
        order.push_back(fact);
      }
      it->second.push_back(run);
    }
  }
  std::size_t applicable = 0;
  for (const auto& run : runs) {
    applicable += applies_to(breakpoint.when, run.version) ? 1 : 0;
  }
  // Facts shown by every run are unconditioned; the others go under one <when> per contiguous
  // stretch of versions that shows them, grouped by stretch.
  std::vector<std::pair<std::string, std::vector<std::string>>> variants;
  for (const auto& fact : order) {
    const auto& indices = shown_by[fact];
    if (indices.size() == applicable) {
      body += indent(fact, "    ");
      continue;
    }
    for (std::size_t i = 0; i < indices.size();) {
      std::size_t j = i;
      while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) {
        ++j;
      }
      std::string range = range_text(versions, indices[i], indices[j]);
      auto found = std::find_if(variants.begin(), variants.end(), [&](const auto& v) { return v.first == range; });
      if (found == variants.end()) {
        variants.emplace_back(range, std::vector<std::string>{});
        found = variants.end() - 1;
      }
      found->second.push_back(fact);
      i = j + 1;
    }
  }
  for (const auto& [range, facts] : variants) {
    body += fmt::format("    <when kernel=\"{}\">\n", xml_escape(range));
    for (const auto& fact : facts) {
      body += indent(fact, "      ");
    }
    body += "    </when>\n";
  }
  std::string element = fmt::format("  <breakpoint{}>\n{}  </breakpoint>\n", attributes, body);
  // A breakpoint that only some kernels have keeps its own conditions.
  for (auto it = breakpoint.when.rbegin(); it != breakpoint.when.rend(); ++it) {
    element = fmt::format("  <when kernel=\"{}\">\n{}  </when>\n", xml_escape(it->text()), indent(element, "  "));
  }
  return element;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c; break;
    }
  }
  return out;
}

std::vector<std::string> recorded_chain(const std::vector<Frame>& frames) {
  std::vector<std::string> chain;
  for (const Frame& frame : frames) {
    if (frame.func.empty() || frame.func == "??") {
      continue;
    }
    if (is_entry_code(frame.func)) {
      return chain;
    }
    chain.push_back(frame.func);
    if (is_syscall_entry(frame.func)) {
      return chain;
    }
  }
  if (chain.size() > kMaxChainWithoutSyscall) {
    chain.resize(kMaxChainWithoutSyscall);
  }
  return chain;
}

std::string recorded_value(const CapturedValue& value) {
  if (!value.value) {
    return {};
  }
  if (auto text = c_string(*value.value)) {
    return text->truncated ? std::string() : text->text;
  }
  std::string_view raw = *value.value;
  while (!raw.empty() && raw.front() == ' ') {
    raw.remove_prefix(1);
  }
  if (raw.starts_with("0x") || raw.starts_with("(")) {
    return {};
  }
  if (auto number = leading_number(raw); number && number->magnitude < kSmallInteger) {
    return (number->negative ? "-" : "") + std::to_string(number->magnitude);
  }
  return {};
}

Result<std::string> write_recorded_scenario(const Scenario& scenario, const std::vector<RecordedRun>& runs,
                                            const std::filesystem::path& output, std::string_view how) {
  if (runs.empty()) {
    return make_error(ErrorKind::Config, "no run to record a scenario from");
  }
  std::vector<RecordedRun> sorted = runs;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const RecordedRun& a, const RecordedRun& b) { return a.version < b.version; });
  std::vector<KernelVersion> versions;
  std::vector<std::string> releases;
  for (const auto& run : sorted) {
    versions.push_back(run.version);
    releases.push_back(run.release);
  }
  const std::filesystem::path folder = output.parent_path();
  std::string text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  text += fmt::format(
      "<!--\n  Recorded by kharness {} with `{}`\n  from {} on Linux {}: it expects exactly what those runs saw (hit\n"
      "  counts, call chains up to the syscall, captured strings and small integers; pointers are left\n"
      "  out). Trim what does not matter to the lab and add <when kernel=\"...\"> variants for other kernels.\n-->\n",
      comment_safe(version()), comment_safe(how), comment_safe(scenario.file), comment_safe(fmt::format("{}", fmt::join(releases, ", "))));
  std::string attributes = fmt::format(" name=\"{}\"", xml_escape(scenario.name));
  if (scenario.kernels) {
    attributes += fmt::format(" kernel=\"{}\"", xml_escape(scenario.kernels->text()));
  }
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(scenario.timeout).count();
  attributes += fmt::format(" timeout=\"{}\"", seconds);
  text += fmt::format("<scenario{}>\n", attributes);
  std::string description = scenario.description.empty()
                                ? std::string("Recorded from ") + scenario.name
                                : scenario.description;
  text += fmt::format("  <description>{}</description>\n", xml_escape(description));
  text += guest_xml(scenario.guest, folder);
  for (const auto& breakpoint : scenario.breakpoints) {
    text += "\n";
    text += breakpoint_xml(breakpoint, sorted, versions);
  }
  text += "</scenario>\n";
  auto parsed = parse_scenario(text, output.string());
  if (!parsed.ok()) {
    Error error = std::move(parsed).error();
    return error.wrap("the recorded scenario does not load");
  }
  return text;
}

}  // namespace kh::trace
