#include "report/junit_report.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "common/file_io.h"

namespace kh::report {
namespace {

using trace::ExpectationResult;
using trace::Verdict;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

bool is_broken(Verdict verdict) {
  return verdict == Verdict::Timeout || verdict == Verdict::Infra || verdict == Verdict::Error ||
         verdict == Verdict::Interrupted;
}

// The length of the UTF-8 sequence at the start of `text` and its code point, or 0 when the
// bytes there are not a valid, shortest-form sequence.
std::size_t utf8_sequence(std::string_view text, std::uint32_t& code_point) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  std::uint8_t lead = byte(0);
  std::size_t length = 0;
  std::uint32_t minimum = 0;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  }
  if ((lead & 0xE0) == 0xC0) {
    length = 2, minimum = 0x80, code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, minimum = 0x800, code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, minimum = 0x10000, code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() < length) {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) {
      return 0;
    }
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  if (code_point < minimum || code_point > 0x10FFFF || surrogate) {
    return 0;
  }
  return length;
}

void set_attribute(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name).set_value(xml_text(value).c_str());
}

void set_text(pugi::xml_node node, std::string_view text) {
  node.append_child(pugi::node_pcdata).set_value(xml_text(text).c_str());
}

// Counts of one suite, also summed over the document.
struct SuiteCounts {
  int tests = 0;
  int failures = 0;
  int errors = 0;
  int skipped = 0;
  double seconds = 0;

  void add(const SuiteCounts& other) {
    tests += other.tests, failures += other.failures, errors += other.errors, skipped += other.skipped;
    seconds += other.seconds;
  }
};

// JUnit readers look for the counts on the element itself; they are known only once its test
// cases are written, so the attributes are made first (in the usual order) and filled in last.
// The schema Jenkins' xUnit plugin and GitLab read allows `skipped` on <testsuite> only.
void add_count_attributes(pugi::xml_node node, bool with_skipped) {
  for (const char* name : {"tests", "failures", "errors", "skipped", "time"}) {
    if (with_skipped || std::string_view(name) != "skipped") {
      node.append_attribute(name);
    }
  }
}

void set_counts(pugi::xml_node node, const SuiteCounts& counts) {
  node.attribute("tests").set_value(counts.tests);
  node.attribute("failures").set_value(counts.failures);
  node.attribute("errors").set_value(counts.errors);
  if (pugi::xml_attribute skipped = node.attribute("skipped")) {
    skipped.set_value(counts.skipped);
  }
  node.attribute("time").set_value(fmt::format("{:.3f}", counts.seconds).c_str());
}

std::string result_body(const ExpectationResult& result) {
  std::string body =
      fmt::format("{}\nexpected: {}\nactual:   {}\n", result.description, result.expected, result.actual);
  if (result.hit_index) {
    body += fmt::format("hit:      #{}\n", *result.hit_index);
  }
  if (!result.location.empty()) {
    body += fmt::format("at:       {}\n", result.location);
  }
  return body;
}

void add_result_case(pugi::xml_node suite, const std::string& classname, const ExpectationResult& result,
                     SuiteCounts& counts) {
  pugi::xml_node testcase = suite.append_child("testcase");
  set_attribute(testcase, "classname", classname);
  set_attribute(testcase, "name",
                result.breakpoint.empty() ? result.description
                                          : fmt::format("{}: {}", result.breakpoint, result.description));
  ++counts.tests;
  std::string message = fmt::format("expected: {}; actual: {}", result.expected, result.actual);
  if (result.verdict == Verdict::Fail) {
    ++counts.failures;
    pugi::xml_node failure = testcase.append_child("failure");
    set_attribute(failure, "message", message);
    set_attribute(failure, "type", "FAIL");
    set_text(failure, result_body(result));
  } else if (is_broken(result.verdict)) {
    ++counts.errors;
    pugi::xml_node error = testcase.append_child("error");
    set_attribute(error, "message", message);
    set_attribute(error, "type", trace::to_string(result.verdict));
    set_text(error, result_body(result));
  } else if (result.verdict == Verdict::Skipped) {
    ++counts.skipped;
    set_attribute(testcase.append_child("skipped"), "message", result.description);
  }
}

// The testcase "run": the outcome of the run itself, for runs that broke or have no results.
void add_run_case(pugi::xml_node suite, const std::string& classname, const trace::RunReport& report,
                  SuiteCounts& counts) {
  pugi::xml_node testcase = suite.append_child("testcase");
  set_attribute(testcase, "classname", classname);
  set_attribute(testcase, "name", "run");
  set_attribute(testcase, "time", fmt::format("{:.3f}", counts.seconds));
  ++counts.tests;
  std::string_view verdict = trace::to_string(report.verdict);
  std::string message = report.detail.empty() ? std::string(verdict) : report.detail;
  if (report.verdict == Verdict::Skipped) {
    ++counts.skipped;
    set_attribute(testcase.append_child("skipped"), "message", message);
    return;
  }
  if (report.verdict == Verdict::Pass) {
    return;
  }
  std::string body = report.phase.empty()
                         ? fmt::format("{}: {}\n", verdict, message)
                         : fmt::format("{} in phase {}: {}\n", verdict, report.phase, message);
  if (!report.evidence.empty()) {
    body += "evidence:\n";
    for (const std::string& line : report.evidence) {
      body += fmt::format("  {}\n", line);
    }
  }
  if (!report.serial_tail.empty()) {
    body += "serial console, last lines:\n";
    for (const std::string& line : report.serial_tail) {
      body += fmt::format("  {}\n", line);
    }
  }
  bool failed = report.verdict == Verdict::Fail;
  if (failed) {
    ++counts.failures;
  } else {
    ++counts.errors;
  }
  pugi::xml_node element = testcase.append_child(failed ? "failure" : "error");
  set_attribute(element, "message", message);
  set_attribute(element, "type", verdict);
  set_text(element, body);
}

void add_property(pugi::xml_node properties, const char* name, std::string_view value) {
  if (value.empty()) {
    return;
  }
  pugi::xml_node property = properties.append_child("property");
  set_attribute(property, "name", name);
  set_attribute(property, "value", value);
}

SuiteCounts add_suite(pugi::xml_node root, const std::string& name, const trace::RunReport& report) {
  pugi::xml_node suite = root.append_child("testsuite");
  SuiteCounts counts;
  // The wall time of the whole run; reports written before it was recorded sum their phases.
  counts.seconds = report.wall_seconds;
  if (counts.seconds <= 0) {
    for (const trace::PhaseTime& phase : report.phases) {
      counts.seconds += phase.seconds;
    }
  }
  set_attribute(suite, "name", name);
  add_count_attributes(suite, /*with_skipped=*/true);

  pugi::xml_node properties = suite.append_child("properties");
  add_property(properties, "verdict", trace::to_string(report.verdict));
  add_property(properties, "detail", report.detail);
  add_property(properties, "scenario_file", report.scenario_file);
  add_property(properties, "kernel_release", report.kernel_release);
  add_property(properties, "kernel_version", report.kernel_version);
  add_property(properties, "accel", report.accel);
  if (report.guest_exit_status) {
    add_property(properties, "guest_exit_status", std::to_string(*report.guest_exit_status));
  }

  for (const ExpectationResult& result : report.results) {
    add_result_case(suite, name, result, counts);
  }
  bool result_shows_breakage = std::any_of(report.results.begin(), report.results.end(),
                                           [](const ExpectationResult& r) { return is_broken(r.verdict); });
  if (report.results.empty() || (is_broken(report.verdict) && !result_shows_breakage)) {
    add_run_case(suite, name, report, counts);
  }
  if (!report.serial_log.empty()) {
    set_text(suite.append_child("system-out"), report.serial_log);
  }
  set_counts(suite, counts);
  return counts;
}

}  // namespace

std::string xml_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    std::uint32_t code_point = 0;
    std::size_t length = utf8_sequence(text, code_point);
    if (length == 0) {
      out += kReplacement;
      text.remove_prefix(1);
      continue;
    }
    if (code_point == 0x7F) {
      out += "^?";
    } else if (code_point < 0x20 && code_point != '\t' && code_point != '\n' && code_point != '\r') {
      out += '^';
      out += static_cast<char>(code_point + 0x40);
    } else if (code_point == 0xFFFE || code_point == 0xFFFF) {
      out += kReplacement;
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

std::string junit_xml(const std::vector<JunitSuite>& suites) {
  pugi::xml_document document;
  pugi::xml_node declaration = document.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("UTF-8");
  pugi::xml_node root = document.append_child("testsuites");
  set_attribute(root, "name", "kharness");
  add_count_attributes(root, /*with_skipped=*/false);
  SuiteCounts total;
  for (const JunitSuite& suite : suites) {
    total.add(add_suite(root, suite.name, *suite.report));
  }
  set_counts(root, total);

  std::ostringstream out;
  document.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

std::string junit_xml(const std::vector<trace::RunReport>& reports) {
  // A scenario run on several kernels gets one suite per kernel, told apart by the release.
  std::map<std::string, int> runs_of;
  for (const trace::RunReport& report : reports) {
    ++runs_of[report.scenario];
  }
  std::vector<JunitSuite> suites;
  for (const trace::RunReport& report : reports) {
    std::string name = report.scenario.empty() ? std::string("(unnamed scenario)") : report.scenario;
    if (runs_of[report.scenario] > 1 && !report.kernel_release.empty()) {
      name += fmt::format(" [{}]", report.kernel_release);
    }
    suites.push_back(JunitSuite{std::move(name), &report});
  }
  return junit_xml(suites);
}

Status write_junit_report(const std::vector<trace::RunReport>& reports, const std::filesystem::path& path) {
  return write_file_atomically(path, junit_xml(reports));
}

}  // namespace kh::report
