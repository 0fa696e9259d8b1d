#include "trace/scenario.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include <pugixml.hpp>

#include "common/file_io.h"
#include "common/strings.h"
#include "common/task_comm.h"
#include "trace/version_names.h"
#include "trace/xml_walker.h"

namespace kh::trace {
namespace {

// What may appear where. The loader and scenarios/scenario.xsd describe the same language.
const Names kScenarioChildren = {"description", "guest", "breakpoint", "when"};
const Names kScenarioWhenChildren = {"breakpoint", "when"};
const Names kBreakpointChildren = {"capture",     "capture-mounts", "expect-backtrace",
                                   "expect-backtrace-without",     "expect",         "expect-hit",
                                   "expect-hits", "when"};
const Names kGroupChildren = {"expect-backtrace", "expect-backtrace-without", "expect", "when"};
const Names kGuestChildren = {"arg", "source", "file", "dir"};
const Names kKnownElements = {"scenario",    "description", "guest",          "arg",
                              "source",      "file",        "dir",            "breakpoint",
                              "capture",     "capture-mounts", "expect-backtrace",
                              "expect-backtrace-without",   "expect",         "expect-hit",
                              "expect-hits", "when"};

const Names kScenarioAttributes = {"name", "kernel", "timeout"};
const Names kGuestAttributes = {"program", "source", "binary", "command", "cflags", "comm"};
const Names kGuestFileAttributes = {"src", "dest"};
const Names kGuestDirAttributes = {"dest"};
const Names kBreakpointAttributes = {"function", "name", "scope", "condition"};
const Names kCaptureAttributes = {"expr", "as"};
const Names kCaptureMountsAttributes = {"as"};
const Names kBacktraceAttributes = {"anchored", "contiguous", "on"};
const Names kBacktraceWithoutAttributes = {"on"};
const Names kValueAttributes = {"capture", "expr", "arg", "frame",    "equals",     "not-equals", "matches",
                                "lt",      "le",   "gt",  "ge",       "bits-set",   "bits-clear", "on"};
const Names kGroupAttributes = {"on"};
const Names kHitCountAttributes = {"exactly", "at-least", "at-most"};
const Names kWhenAttributes = {"kernel"};

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) {
      words.emplace_back(text.substr(start, i - start));
    }
  }
  return words;
}

bool is_name(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

bool has_space(std::string_view text) { return std::any_of(text.begin(), text.end(), is_space); }

std::optional<int> parse_count(std::string_view text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 0 || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// "90", "90s", "1500ms", "2m".
std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text) {
  long long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr == text.data() || value <= 0 || value > 24LL * 3600 * 1000) {
    return std::nullopt;
  }
  std::string_view unit = text.substr(static_cast<std::size_t>(ptr - text.data()));
  if (unit.empty() || unit == "s") return std::chrono::seconds(value);
  if (unit == "ms") return std::chrono::milliseconds(value);
  if (unit == "m") return std::chrono::minutes(value);
  return std::nullopt;
}

class ScenarioParser {
 public:
  ScenarioParser(std::string_view xml, std::string_view file_name) : xml_(xml, file_name, kKnownElements) {}

  Result<Scenario> parse() {
    if (pugi::xml_node root = xml_.load("scenario")) {
      parse_scenario_element(root);
      if (xml_.problem_count() == 0) {
        for (const NameProblem& problem : check_names_across_versions(scenario_, ranges_)) {
          xml_.report(line_of_location(problem.location), problem.message);
        }
      }
    }
    if (auto error = xml_.error()) {
      return std::move(*error);
    }
    return std::move(scenario_);
  }

 private:
  int line_of(pugi::xml_node node) const { return xml_.line_of(node); }
  int line_of(pugi::xml_attribute attribute, pugi::xml_node owner) const { return xml_.line_of(attribute, owner); }
  std::string location(pugi::xml_node node) const { return xml_.location(node); }
  void report(int line, std::string message) { xml_.report(line, std::move(message)); }
  bool check_attributes(pugi::xml_node node, const Names& allowed) { return xml_.check_attributes(node, allowed); }
  std::optional<std::string> required(pugi::xml_node node, const char* name) { return xml_.required(node, name); }
  std::optional<std::string> non_empty(pugi::xml_attribute attribute, pugi::xml_node node) {
    return xml_.non_empty(attribute, node);
  }
  std::string text_of(pugi::xml_node node) { return xml_.text_of(node); }
  void reject_content(pugi::xml_node node) { xml_.reject_content(node); }
  template <typename OnElement>
  void for_each_child(pugi::xml_node parent, const Names& allowed, OnElement on_element) {
    xml_.for_each_child(parent, allowed, on_element);
  }

  // An absent attribute is false.
  std::optional<bool> parse_bool(pugi::xml_node node, const char* name) {
    pugi::xml_attribute attribute = node.attribute(name);
    if (!attribute) {
      return false;
    }
    return xml_.choice<bool>(attribute, node, {{"true", true}, {"1", true}, {"false", false}, {"0", false}},
                             "true or false");
  }

  // A kernel version range attribute (on <scenario> or <when>); nullopt after reporting it bad.
  std::optional<KernelVersionRange> parse_range(pugi::xml_node node, const std::string& text) {
    auto range = KernelVersionRange::parse(text);
    if (!range) {
      report(line_of(node.attribute("kernel"), node), range.error().message);
      return std::nullopt;
    }
    return *range;
  }

  std::optional<Quantifier> parse_quantifier(pugi::xml_node node, bool in_group) {
    pugi::xml_attribute attribute = node.attribute("on");
    if (!attribute) {
      return Quantifier::Some;
    }
    if (in_group) {
      report(line_of(attribute, node),
             fmt::format("attribute 'on' is not allowed on <{}> inside <expect-hit> (put it on the <expect-hit>)",
                         node.name()));
      return std::nullopt;
    }
    return xml_.choice<Quantifier>(attribute, node, {{"some", Quantifier::Some}, {"every", Quantifier::Every}},
                                   "some or every");
  }

  // The range of a <when>, appended to the enclosing condition; nullopt after reporting it bad.
  std::optional<KernelCondition> parse_when(pugi::xml_node node, const KernelCondition& outer) {
    check_attributes(node, kWhenAttributes);
    auto text = required(node, "kernel");
    if (!text) {
      return std::nullopt;
    }
    auto range = parse_range(node, *text);
    if (!range) {
      return std::nullopt;
    }
    ranges_.push_back(*range);
    KernelCondition condition = outer;
    condition.push_back(*range);
    return condition;
  }

  void parse_scenario_element(pugi::xml_node node) {
    scenario_.file = xml_.file();
    scenario_.location = location(node);
    check_attributes(node, kScenarioAttributes);
    if (auto name = required(node, "name")) {
      if (!is_name(*name)) {
        report(line_of(node.attribute("name"), node),
               fmt::format("bad scenario name '{}' (letters, digits, '.', '_' and '-' only)", *name));
      }
      scenario_.name = *name;
    }
    if (auto kernel = non_empty(node.attribute("kernel"), node)) {
      scenario_.kernels = parse_range(node, *kernel);
    }
    if (auto timeout = non_empty(node.attribute("timeout"), node)) {
      if (auto value = parse_timeout(*timeout)) {
        scenario_.timeout = *value;
      } else {
        report(line_of(node.attribute("timeout"), node),
               fmt::format("bad timeout '{}' on <scenario> (expected seconds, or a number with unit ms, s or m)",
                           *timeout));
      }
    }
    int guests = 0;
    int descriptions = 0;
    for_each_child(node, kScenarioChildren, [&](pugi::xml_node child) {
      std::string_view name = child.name();
      if (name == "description") {
        if (++descriptions > 1) {
          report(line_of(child), "more than one <description> in <scenario>");
        }
        check_attributes(child, {});
        scenario_.description = std::string(trim(text_of(child)));
      } else if (name == "guest") {
        if (++guests > 1) {
          report(line_of(child), "more than one <guest> in <scenario>");
        }
        parse_guest(child);
      } else {
        parse_scenario_level(child, {});
      }
    });
    if (guests == 0) {
      report(line_of(node), "missing <guest> element in <scenario>");
    }
    if (!node.find_node([](pugi::xml_node n) { return std::string_view(n.name()) == "breakpoint"; })) {
      report(line_of(node), "no <breakpoint> in <scenario>");
    }
  }

  // A <breakpoint> or a scenario-level <when>.
  void parse_scenario_level(pugi::xml_node node, const KernelCondition& when) {
    if (std::string_view(node.name()) == "breakpoint") {
      parse_breakpoint(node, when);
      return;
    }
    auto condition = parse_when(node, when);
    for_each_child(node, kScenarioWhenChildren, [&](pugi::xml_node child) {
      if (condition) {
        parse_scenario_level(child, *condition);
      }
    });
  }

  // The folder that a guest's relative paths start from: the scenario file's.
  std::filesystem::path scenario_dir() const {
    std::filesystem::path dir = std::filesystem::path(xml_.file()).parent_path();
    return dir.empty() ? std::filesystem::path(".") : dir;
  }

  void parse_guest(pugi::xml_node node) {
    GuestSpec& guest = scenario_.guest;
    guest.location = location(node);
    check_attributes(node, kGuestAttributes);
    std::vector<std::string_view> forms;
    for (const char* form : {"program", "source", "binary", "command"}) {
      if (node.attribute(form)) {
        forms.push_back(form);
      }
    }
    bool source_children = static_cast<bool>(node.child("source"));
    if (source_children && !node.attribute("source")) {
      forms.push_back("source");
    }
    if (forms.size() != 1) {
      report(line_of(node),
             forms.empty() ? std::string("<guest> needs one of program=, source= (or <source> children), binary= "
                                         "or command=")
                           : fmt::format("<guest> has {}: give exactly one of them", fmt::join(forms, ", ")));
      return;
    }
    std::string_view form = forms.front();
    if (form == "program") {
      guest.kind = GuestKind::Program;
      if (auto program = required(node, "program")) {
        if (has_space(*program)) {
          report(line_of(node.attribute("program"), node),
                 fmt::format("bad program name '{}' on <guest> (no spaces; arguments go in <arg>)", *program));
        }
        guest.program = *program;
      }
    } else if (form == "source") {
      guest.kind = GuestKind::Source;
      if (node.attribute("source")) {
        if (source_children) {
          report(line_of(node.child("source")), "<guest> has both source= and <source> children: use one");
        }
        if (auto source = required(node, "source")) {
          guest.sources.push_back(scenario_dir() / *source);
        }
      }
      for (pugi::xml_node child : node.children("source")) {
        std::string text(trim(text_of(child)));
        if (!text.empty()) {
          guest.sources.push_back(scenario_dir() / text);
        }
      }
      if (!guest.sources.empty()) {
        guest.program = guest.sources.front().stem().string();
      }
    } else if (form == "binary") {
      guest.kind = GuestKind::Binary;
      if (auto binary = required(node, "binary")) {
        guest.binary = scenario_dir() / *binary;
        guest.program = guest.binary.filename().string();
      }
    } else {
      guest.kind = GuestKind::Command;
      if (auto command = required(node, "command")) {
        guest.command = *command;
      }
      guest.program = "sh";
    }
    if (pugi::xml_attribute cflags = node.attribute("cflags"); cflags && guest.kind != GuestKind::Source) {
      report(line_of(cflags, node), "cflags= on <guest> is for source=: kharness only compiles sources");
    } else if (cflags) {
      guest.cflags = std::string(trim(cflags.value()));
    }
    guest.comm = task_comm(guest.program);
    if (auto comm = non_empty(node.attribute("comm"), node)) {
      if (comm->size() > kTaskCommLength) {
        report(line_of(node.attribute("comm"), node),
               fmt::format("comm '{}' on <guest> is longer than the kernel's {} characters", *comm, kTaskCommLength));
      }
      guest.comm = *comm;
    }
    for_each_child(node, kGuestChildren, [&](pugi::xml_node child) {
      std::string_view name = child.name();
      if (name == "arg") {
        check_attributes(child, {});
        if (guest.kind == GuestKind::Command) {
          report(line_of(child), "<arg> in a <guest command=...>: the arguments belong in the command line");
        }
        guest.args.push_back(text_of(child));
      } else if (name == "source") {
        check_attributes(child, {});
        if (trim(text_of(child)).empty()) {
          report(line_of(child), "empty <source> (it holds the path of a C file)");
        }
      } else if (name == "file" || name == "dir") {
        parse_guest_file(child, guest);
      }
    });
  }

  // <file src="..." dest="..."/> and <dir dest="..."/>: src inside the scenario's folder, dest an
  // absolute path of the image that does not climb with "..".
  void parse_guest_file(pugi::xml_node node, GuestSpec& guest) {
    bool is_file = std::string_view(node.name()) == "file";
    check_attributes(node, is_file ? kGuestFileAttributes : kGuestDirAttributes);
    GuestFile file;
    file.location = location(node);
    if (auto dest = required(node, "dest")) {
      std::filesystem::path path(*dest);
      bool climbs = std::any_of(path.begin(), path.end(), [](const auto& part) { return part == ".."; });
      if (!path.is_absolute() || climbs || path.lexically_normal() == "/") {
        report(line_of(node.attribute("dest"), node),
               fmt::format("dest '{}' on <{}> must be an absolute path in the guest below / without '..'", *dest,
                           node.name()));
      }
      file.dest = path.lexically_normal().string();
    }
    if (is_file) {
      if (auto src = required(node, "src")) {
        std::filesystem::path path = std::filesystem::path(*src).lexically_normal();
        if (path.is_absolute() || path.empty() || *path.begin() == "..") {
          report(line_of(node.attribute("src"), node),
                 fmt::format("src '{}' on <file> is outside the scenario's folder (it must be a relative path "
                             "below {})",
                             *src, scenario_dir().string()));
        }
        file.src = scenario_dir() / path;
      }
    }
    guest.files.push_back(std::move(file));
  }

  void parse_breakpoint(pugi::xml_node node, const KernelCondition& when) {
    BreakpointSpec breakpoint;
    breakpoint.when = when;
    breakpoint.location = location(node);
    check_attributes(node, kBreakpointAttributes);
    if (auto function = required(node, "function")) {
      if (has_space(*function)) {
        report(line_of(node.attribute("function"), node),
               fmt::format("bad function '{}' on <breakpoint> (one gdb location, no spaces)", *function));
      }
      breakpoint.function = *function;
      breakpoint.name = *function;
    }
    if (auto name = non_empty(node.attribute("name"), node)) {
      if (!is_name(*name)) {
        report(line_of(node.attribute("name"), node),
               fmt::format("bad breakpoint name '{}' (letters, digits, '.', '_' and '-' only)", *name));
      }
      breakpoint.name = *name;
    }
    if (pugi::xml_attribute scope = node.attribute("scope")) {
      if (auto value = xml_.choice<Scope>(scope, node, {{"guest", Scope::Guest}, {"all", Scope::All}}, "guest or all")) {
        breakpoint.scope = *value;
      }
    }
    if (auto condition = non_empty(node.attribute("condition"), node)) {
      breakpoint.condition = *condition;
    }
    parse_breakpoint_children(node, breakpoint, {});
    scenario_.breakpoints.push_back(std::move(breakpoint));
  }

  void parse_breakpoint_children(pugi::xml_node parent, BreakpointSpec& breakpoint, const KernelCondition& when) {
    for_each_child(parent, kBreakpointChildren, [&](pugi::xml_node child) {
      std::string_view name = child.name();
      if (name == "when") {
        if (auto condition = parse_when(child, when)) {
          parse_breakpoint_children(child, breakpoint, *condition);
        }
      } else if (name == "capture" || name == "capture-mounts") {
        parse_capture(child, breakpoint, when);
      } else if (name == "expect-hits") {
        parse_hit_count(child, breakpoint, when);
      } else if (name == "expect-hit") {
        parse_group(child, breakpoint, when);
      } else {
        HitExpectation expectation;
        expectation.when = when;
        expectation.location = location(child);
        auto quantifier = parse_quantifier(child, false);
        auto check = parse_check(child, {});
        if (quantifier && check) {
          expectation.on = *quantifier;
          expectation.checks.push_back(std::move(*check));
          breakpoint.expectations.push_back(std::move(expectation));
        }
      }
    });
  }

  // <capture expr=... as=...> or <capture-mounts as=...>.
  void parse_capture(pugi::xml_node node, BreakpointSpec& breakpoint, const KernelCondition& when) {
    bool mounts = std::string_view(node.name()) == "capture-mounts";
    check_attributes(node, mounts ? kCaptureMountsAttributes : kCaptureAttributes);
    reject_content(node);
    CaptureSpec capture;
    capture.when = when;
    capture.location = location(node);
    if (mounts) {
      capture.kind = CaptureKind::Mounts;
      capture.expr = std::string(kMountTableExpression);
      capture.name = "mounts";
    } else {
      auto expr = required(node, "expr");
      if (!expr) {
        return;
      }
      capture.expr = *expr;
      capture.name = *expr;
    }
    if (pugi::xml_attribute as = node.attribute("as")) {
      auto name = non_empty(as, node);
      if (!name) {
        return;
      }
      if (!is_name(*name)) {
        report(line_of(as, node),
               fmt::format("bad capture name '{}' (letters, digits, '.', '_' and '-' only)", *name));
      }
      capture.name = *name;
    }
    breakpoint.captures.push_back(std::move(capture));
  }

  void parse_hit_count(pugi::xml_node node, BreakpointSpec& breakpoint, const KernelCondition& when) {
    check_attributes(node, kHitCountAttributes);
    reject_content(node);
    HitCountExpectation expectation;
    expectation.when = when;
    expectation.location = location(node);
    bool ok = true;
    auto count = [&](const char* name) -> std::optional<int> {
      pugi::xml_attribute attribute = node.attribute(name);
      if (!attribute) {
        return std::nullopt;
      }
      auto value = parse_count(trim(attribute.value()));
      if (!value) {
        report(line_of(attribute, node),
               fmt::format("bad count '{}' in attribute '{}' on <expect-hits> (expected a non-negative integer)",
                           attribute.value(), name));
        ok = false;
      }
      return value;
    };
    auto exactly = count("exactly");
    auto at_least = count("at-least");
    auto at_most = count("at-most");
    if (!ok) {
      return;
    }
    if (node.attribute("exactly") && (node.attribute("at-least") || node.attribute("at-most"))) {
      report(line_of(node), fmt::format("conflicting attributes 'exactly' and '{}' on <expect-hits>",
                                        node.attribute("at-least") ? "at-least" : "at-most"));
      return;
    }
    if (exactly) {
      at_least = exactly;
      at_most = exactly;
    }
    if (!at_least && !at_most) {
      report(line_of(node), "<expect-hits> needs 'exactly', 'at-least' or 'at-most'");
      return;
    }
    if (at_least && at_most && *at_least > *at_most) {
      report(line_of(node), fmt::format("at-least {} is greater than at-most {} on <expect-hits>", *at_least, *at_most));
      return;
    }
    expectation.at_least = at_least;
    expectation.at_most = at_most;
    breakpoint.hit_counts.push_back(std::move(expectation));
  }

  void parse_group(pugi::xml_node node, BreakpointSpec& breakpoint, const KernelCondition& when) {
    check_attributes(node, kGroupAttributes);
    HitExpectation group;
    group.grouped = true;
    group.when = when;
    group.location = location(node);
    auto quantifier = parse_quantifier(node, false);
    std::size_t problems_before = xml_.problem_count();
    parse_group_children(node, group, {});
    if (group.checks.empty() && xml_.problem_count() == problems_before) {
      report(line_of(node), "<expect-hit> holds no expectation");
    }
    if (quantifier) {
      group.on = *quantifier;
      breakpoint.expectations.push_back(std::move(group));
    }
  }

  void parse_group_children(pugi::xml_node parent, HitExpectation& group, const KernelCondition& when) {
    for_each_child(parent, kGroupChildren, [&](pugi::xml_node child) {
      if (std::string_view(child.name()) == "when") {
        if (auto condition = parse_when(child, when)) {
          parse_group_children(child, group, *condition);
        }
        return;
      }
      parse_quantifier(child, true);
      if (auto check = parse_check(child, when)) {
        group.checks.push_back(std::move(*check));
      }
    });
  }

  // An <expect-backtrace>, <expect-backtrace-without> or <expect>.
  std::optional<Check> parse_check(pugi::xml_node node, const KernelCondition& when) {
    Check check;
    check.when = when;
    check.location = location(node);
    std::string_view name = node.name();
    if (name == "expect") {
      auto value = parse_value_check(node);
      if (!value) {
        return std::nullopt;
      }
      check.body = std::move(*value);
      return check;
    }
    bool with = name == "expect-backtrace";
    check_attributes(node, with ? kBacktraceAttributes : kBacktraceWithoutAttributes);
    std::vector<std::string> functions;
    for (std::string& word : split_words(text_of(node))) {
      if (word != "<-") {  // the arrows of kharness's own output may be pasted in
        functions.push_back(std::move(word));
      }
    }
    if (functions.empty()) {
      report(line_of(node), fmt::format("<{}> lists no function", name));
      return std::nullopt;
    }
    if (!with) {
      check.body = BacktraceWithoutCheck{std::move(functions)};
      return check;
    }
    auto anchored = parse_bool(node, "anchored");
    auto contiguous = parse_bool(node, "contiguous");
    if (!anchored || !contiguous) {
      return std::nullopt;
    }
    check.body = BacktraceCheck{std::move(functions), *anchored, *contiguous};
    return check;
  }

  std::optional<ValueCheck> parse_value_check(pugi::xml_node node) {
    std::size_t problems_before = xml_.problem_count();
    check_attributes(node, kValueAttributes);
    reject_content(node);
    ValueCheck check;
    // `expr` is the spelling of the original trace-mount example; `capture` says what it is.
    std::vector<const char*> subjects;
    for (const char* attribute : {"capture", "expr", "arg"}) {
      if (node.attribute(attribute)) subjects.push_back(attribute);
    }
    if (subjects.empty()) {
      report(line_of(node), "<expect> needs 'capture' (or 'expr') naming a capture, or 'arg' naming a frame argument");
    } else if (subjects.size() > 1) {
      report(line_of(node), fmt::format("conflicting attributes '{}' and '{}' on <expect>", subjects[0], subjects[1]));
    } else if (auto subject = non_empty(node.attribute(subjects[0]), node)) {
      check.source = std::string_view(subjects[0]) == "arg" ? ValueCheck::Source::Arg : ValueCheck::Source::Capture;
      check.name = *subject;
    }
    check.frame.level = 0;
    if (pugi::xml_attribute frame = node.attribute("frame")) {
      if (!node.attribute("arg")) {
        report(line_of(frame, node), "attribute 'frame' on <expect> only applies with 'arg'");
      } else if (auto value = non_empty(frame, node)) {
        if (std::all_of(value->begin(), value->end(), [](char c) { return c >= '0' && c <= '9'; })) {
          check.frame.level = parse_count(*value);
          if (!check.frame.level) {
            report(line_of(frame, node), fmt::format("bad frame level '{}' on <expect>", *value));
          }
        } else if (has_space(*value)) {
          report(line_of(frame, node),
                 fmt::format("bad frame '{}' on <expect> (a level number or one function name)", *value));
        } else {
          check.frame.level.reset();
          check.frame.function = *value;
        }
      }
    }
    parse_value_tests(node, check);
    if (xml_.problem_count() != problems_before) {
      return std::nullopt;
    }
    return check;
  }

  void parse_value_tests(pugi::xml_node node, ValueCheck& check) {
    static const std::array<std::pair<const char*, ValueOp>, 9> kOps = {{
        {"equals", ValueOp::Equals},
        {"not-equals", ValueOp::NotEquals},
        {"matches", ValueOp::Matches},
        {"lt", ValueOp::Less},
        {"le", ValueOp::LessEqual},
        {"gt", ValueOp::Greater},
        {"ge", ValueOp::GreaterEqual},
        {"bits-set", ValueOp::BitsSet},
        {"bits-clear", ValueOp::BitsClear},
    }};
    std::vector<const char*> present;
    for (const auto& [name, op] : kOps) {
      pugi::xml_attribute attribute = node.attribute(name);
      if (!attribute) {
        continue;
      }
      present.push_back(name);
      ValueTest test;
      test.op = op;
      test.operand = attribute.value();
      test.number = parse_number(trim(test.operand));
      if (op == ValueOp::Matches) {
        auto regex = EcmaRegex::compile(test.operand);
        if (!regex) {
          report(line_of(attribute, node), fmt::format("bad regular expression '{}' in attribute 'matches' on <expect>: {}",
                                                       test.operand, regex.error().message));
          continue;
        }
        test.regex = *regex;
      } else if (op != ValueOp::Equals && op != ValueOp::NotEquals && !test.number) {
        report(line_of(attribute, node),
               fmt::format("bad number '{}' in attribute '{}' on <expect> (expected decimal or 0x hex)", test.operand,
                           name));
        continue;
      }
      check.tests.push_back(std::move(test));
    }
    if (present.empty()) {
      report(line_of(node),
             "<expect> has no comparison (equals, not-equals, matches, lt, le, gt, ge, bits-set or bits-clear)");
      return;
    }
    // One string comparison, or numeric tests (at most one lower and one upper bound).
    auto is = [&](std::size_t i, std::initializer_list<std::string_view> names) {
      return std::find(names.begin(), names.end(), std::string_view(present[i])) != names.end();
    };
    for (std::size_t i = 0; i < present.size(); ++i) {
      for (std::size_t j = i + 1; j < present.size(); ++j) {
        bool conflict = is(i, {"equals", "not-equals", "matches"}) || is(j, {"equals", "not-equals", "matches"}) ||
                        (is(i, {"lt", "le"}) && is(j, {"lt", "le"})) || (is(i, {"gt", "ge"}) && is(j, {"gt", "ge"}));
        if (conflict) {
          report(line_of(node), fmt::format("conflicting attributes '{}' and '{}' on <expect>", present[i], present[j]));
          return;
        }
      }
    }
  }

  XmlWalker xml_;
  Scenario scenario_;
  std::vector<KernelVersionRange> ranges_;  // every <when> range, for check_names
};

}  // namespace

bool applies_to(const KernelCondition& condition, const KernelVersion& version) {
  return std::all_of(condition.begin(), condition.end(),
                     [&](const KernelVersionRange& range) { return range.contains(version); });
}

std::string GuestSpec::describe() const {
  switch (kind) {
    case GuestKind::Program: return program;
    case GuestKind::Source: return fmt::format("{} (compiled from {})", program, sources.empty() ? std::string("?") : sources.front().filename().string());
    case GuestKind::Binary: return binary.string();
    case GuestKind::Command: return fmt::format("sh -c '{}'", command);
  }
  return program;
}

std::string FrameSelector::to_string() const {
  return level ? fmt::format("frame {}", *level) : fmt::format("frame {}", function);
}

Result<Scenario> parse_scenario(std::string_view xml, std::string_view file_name) {
  ScenarioParser parser(xml, file_name);
  return parser.parse();
}

Result<Scenario> load_scenario_file(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) {
    Error error = make_error(ErrorKind::Io, "cannot read scenario file {}", path.string());
    error.details.push_back(text.error().message);
    return error;
  }
  return parse_scenario(*text, path.string());
}

bool needs_caller_args(const BreakpointSpec& breakpoint) {
  for (const HitExpectation& expectation : breakpoint.expectations) {
    for (const Check& check : expectation.checks) {
      const auto* value = std::get_if<ValueCheck>(&check.body);
      if (value != nullptr && value->source == ValueCheck::Source::Arg &&
          (!value->frame.level || *value->frame.level != 0)) {
        return true;
      }
    }
  }
  return false;
}

std::vector<std::string> expected_functions(const ResolvedScenario& scenario) {
  std::vector<std::string> names;
  auto add = [&names](const std::string& name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  };
  for (const BreakpointSpec& breakpoint : scenario.breakpoints) {
    for (const HitExpectation& expectation : breakpoint.expectations) {
      for (const Check& check : expectation.checks) {
        if (const auto* chain = std::get_if<BacktraceCheck>(&check.body)) {
          std::for_each(chain->functions.begin(), chain->functions.end(), add);
        } else if (const auto* without = std::get_if<BacktraceWithoutCheck>(&check.body)) {
          std::for_each(without->functions.begin(), without->functions.end(), add);
        } else if (const auto* value = std::get_if<ValueCheck>(&check.body)) {
          add(value->frame.function);
        }
      }
    }
  }
  return names;
}

}  // namespace kh::trace
