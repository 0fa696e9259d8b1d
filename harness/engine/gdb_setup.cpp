#include "engine/gdb_setup.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include "common/file_io.h"
#include "common/paths.h"
#include "engine/breakpoint_plan.h"

namespace kh::engine {

namespace {

std::filesystem::path installed_gdb_script(std::string_view name) {
  std::filesystem::path script = data_dir() / "gdb-scripts" / name;
  std::error_code ec;
  return std::filesystem::is_regular_file(script, ec) ? script : std::filesystem::path();
}

}  // namespace

std::filesystem::path kharness_gdb_script() { return installed_gdb_script("kharness.py"); }

Result<bool> load_engine_hits(mi::MiSession& gdb, Deadline deadline) {
  const std::filesystem::path script = installed_gdb_script("engine_hits.py");
  if (script.empty()) {
    return false;
  }
  const std::string commands[] = {
      fmt::format("-interpreter-exec console {}", mi_quote("source " + script.string())),
      "-data-evaluate-expression $kh_engine_hits",
  };
  KH_ASSIGN_OR_RETURN(std::vector<mi::ResultRecord> answers, gdb.pipeline(commands, deadline));
  gdb.take_stream_records();
  return answers[1].result_class == mi::ResultClass::Done && answers[1].get("value").str() == "1";
}

std::vector<std::string> symbol_warmup_commands(const std::vector<std::string>& functions) {
  auto plain = [](std::string_view name) {
    auto symbol_char = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    };
    return !name.empty() && !(name.front() >= '0' && name.front() <= '9') && name.front() != '.' &&
           std::all_of(name.begin(), name.end(), symbol_char);
  };
  std::vector<std::string> commands;
  for (const std::string& name : functions) {
    if (commands.size() == kMaxWarmedFunctions) {
      break;
    }
    if (plain(name)) {
      commands.push_back(fmt::format("-interpreter-exec console {}", mi_quote("info line " + name)));
    }
  }
  return commands;
}

std::string current_task_expression(const kernel::KernelBuild& kernel) {
  std::string fallback = kernel.gdb_scripts.empty() ? "" : "$lx_current()";
  auto config = read_file(kernel.config);
  auto symbols = read_file(kernel.dir / "System.map");
  if (!config.ok() || !symbols.ok() || config->find("\nCONFIG_SMP=y") != std::string::npos) {
    return fallback;
  }
  if (symbols->find(" current_task\n") != std::string::npos) {
    return "current_task";
  }
  if (symbols->find(" pcpu_hot\n") != std::string::npos) {
    return "pcpu_hot.current_task";
  }
  return fallback;
}

std::vector<std::string> kernel_script_commands(const kernel::KernelBuild& kernel) {
  std::vector<std::string> commands;
  if (!kernel.gdb_scripts.empty()) {
    commands.push_back(fmt::format("add-auto-load-safe-path {}", kernel.gdb_scripts.parent_path().string()));
    // The kernel's helpers are some twenty modules: compiled once into the cache entry
    // (__pycache__), they load in half the time (16 against 30 ms). Python writes them unless
    // PYTHONDONTWRITEBYTECODE is set, as in many containers: allowed for these modules only.
    commands.push_back(
        "python import sys; kh_dont_write_bytecode = sys.dont_write_bytecode; sys.dont_write_bytecode = False");
    commands.push_back(fmt::format("source {}", kernel.gdb_scripts.string()));
    commands.push_back("python sys.dont_write_bytecode = kh_dont_write_bytecode; del kh_dont_write_bytecode");
  }
  return commands;
}

std::vector<std::string> gdb_setup_commands(const kernel::KernelBuild& kernel, KernelScripts kernel_scripts) {
  std::vector<std::string> commands;
  if (kernel_scripts == KernelScripts::Load) {
    commands = kernel_script_commands(kernel);
  }
  if (auto script = kharness_gdb_script(); !script.empty()) {
    commands.push_back(fmt::format("source {}", script.string()));
  }
  return commands;
}

namespace {

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end;
    std::string line(text.substr(start, end - start));
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (!line.empty()) {
      lines.push_back(std::move(line));
    }
    start = end + 1;
  }
  return lines;
}

std::string trimmed(std::string_view text) {
  std::size_t begin = text.find_first_not_of(" \t");
  std::size_t end = text.find_last_not_of(" \t");
  return begin == std::string_view::npos ? std::string() : std::string(text.substr(begin, end - begin + 1));
}

// Python's marker line under a SyntaxError (`    ^^^^`), which is not code.
bool is_caret_line(std::string_view line) {
  return line.find_first_not_of(" \t^~") == std::string_view::npos;
}

// "/x/constants.py:5" from `  File "/x/constants.py", line 5, in <module>`; empty if not that form.
std::string traceback_location(std::string_view line) {
  const std::string_view prefix = "File \"";
  std::size_t start = line.find(prefix);
  if (start == std::string_view::npos || trimmed(line.substr(0, start)) != "") {
    return "";
  }
  start += prefix.size();
  std::size_t quote = line.find("\", line ", start);
  if (quote == std::string_view::npos) {
    return "";
  }
  std::size_t number = quote + std::string_view("\", line ").size();
  std::size_t number_end = number;
  while (number_end < line.size() && std::isdigit(static_cast<unsigned char>(line[number_end])) != 0) {
    ++number_end;
  }
  if (number_end == number) {
    return "";
  }
  return fmt::format("{}:{}", line.substr(start, quote - start), line.substr(number, number_end - number));
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// The convenience functions an expression calls ($name(...)), once each, in order of appearance.
std::vector<std::string> called_functions(std::string_view expr) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    if (c == '"' || c == '\'') {
      for (++i; i < expr.size() && expr[i] != c; ++i) {
        i += expr[i] == '\\' ? 1 : 0;
      }
      continue;
    }
    if (c != '$') {
      continue;
    }
    std::size_t end = i + 1;
    while (end < expr.size() && is_name_char(expr[end])) {
      ++end;
    }
    std::size_t after = end;
    while (after < expr.size() && (expr[after] == ' ' || expr[after] == '\t')) {
      ++after;
    }
    std::string name(expr.substr(i + 1, end - i - 1));
    if (!name.empty() && after < expr.size() && expr[after] == '(' &&
        std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(std::move(name));
    }
    i = end - 1;
  }
  return names;
}

}  // namespace

std::string ScriptLoadFailure::describe() const {
  if (location.empty()) {
    return error;
  }
  return code.empty() ? fmt::format("{} ({})", error, location)
                      : fmt::format("{} ({}: {})", error, location, code);
}

std::optional<ScriptLoadFailure> parse_script_load_failure(std::string_view output, std::string_view script) {
  std::vector<std::string> lines = lines_of(output);
  ScriptLoadFailure failure;
  failure.script = std::string(script);
  failure.output = lines;
  auto traceback = std::find(lines.begin(), lines.end(), "Traceback (most recent call last):");
  if (traceback != lines.end()) {
    for (auto it = std::next(traceback); it != lines.end(); ++it) {
      if (std::string location = traceback_location(*it); !location.empty()) {
        failure.location = location;
        auto next = std::next(it);
        const bool shows_code = next != lines.end() && !next->empty() && next->front() == ' ' &&
                                !is_caret_line(*next) && traceback_location(*next).empty();
        failure.code = shows_code ? trimmed(*next) : std::string();
      } else if (!it->empty() && it->front() != ' ') {
        // The exception line; with chained exceptions ("During handling ...") the last one counts.
        failure.error = *it;
      }
    }
    if (failure.error.empty()) {
      failure.error = "a Python exception (no message)";
    }
    return failure;
  }
  const std::string_view marker = "Python Exception <class '";
  for (const std::string& line : lines) {
    if (!line.starts_with(marker)) {
      continue;
    }
    std::size_t name_end = line.find("'>", marker.size());
    std::string name = line.substr(
        marker.size(), name_end == std::string::npos ? std::string::npos : name_end - marker.size());
    std::string message = name_end == std::string::npos ? std::string() : trimmed(line.substr(name_end + 2));
    if (message.starts_with(":")) {
      message = trimmed(message.substr(1));
    }
    failure.error = message.empty() ? name : fmt::format("{}: {}", name, message);
    return failure;
  }
  return std::nullopt;
}

std::vector<HelperUse> helper_uses(const trace::ResolvedScenario& scenario,
                                   std::string_view current_task_expression) {
  std::vector<HelperUse> uses;
  for (const std::string& function : called_functions(current_task_expression)) {
    uses.push_back(HelperUse{function, "the guest filter (the current task on this kernel)", "", {}});
  }
  for (const trace::BreakpointSpec& breakpoint : scenario.breakpoints) {
    for (const std::string& function : called_functions(breakpoint.condition)) {
      uses.push_back(HelperUse{
          function, fmt::format("the condition of breakpoint {}", breakpoint.name), breakpoint.location, {}});
    }
    for (const trace::CaptureSpec& capture : breakpoint.captures) {
      std::vector<std::string> readers;
      for (const trace::HitExpectation& expectation : breakpoint.expectations) {
        for (const trace::Check& check : expectation.checks) {
          const auto* value = std::get_if<trace::ValueCheck>(&check.body);
          if (value != nullptr && value->source == trace::ValueCheck::Source::Capture &&
              value->name == capture.name) {
            readers.push_back(check.location);
          }
        }
      }
      for (const std::string& function : called_functions(capture.expr)) {
        uses.push_back(HelperUse{function, fmt::format("capture '{}' of {}", capture.name, breakpoint.name),
                                 capture.location, readers});
      }
    }
  }
  return uses;
}

bool needs_kernel_scripts(const std::vector<HelperUse>& uses) {
  return std::any_of(uses.begin(), uses.end(), [](const HelperUse& use) { return !use.function.starts_with("kh_"); });
}

const std::vector<std::string>& standard_helper_functions() {
  static const std::vector<std::string> functions = {"lx_current", "container_of", "kh_mount_path",
                                                     "kh_dentry_name", "kh_propagation"};
  return functions;
}

Result<GdbHelpers> load_gdb_helpers(mi::MiSession& gdb, const kernel::KernelBuild& kernel,
                                    const std::vector<HelperUse>& uses, Deadline deadline) {
  GdbHelpers helpers;
  gdb.take_stream_records();
  const KernelScripts kernel_scripts = needs_kernel_scripts(uses) ? KernelScripts::Load : KernelScripts::Skip;
  for (const std::string& command : gdb_setup_commands(kernel, kernel_scripts)) {
    KH_ASSIGN_OR_RETURN(
        mi::ResultRecord answer,
        gdb.command_raw(fmt::format("-interpreter-exec console {}", mi_quote(command)), deadline));
    std::string output;
    for (const mi::StreamRecord& record : gdb.take_stream_records()) {
      output += record.text;
    }
    const bool is_source = command.starts_with("source ");
    const std::string script = is_source ? command.substr(std::string_view("source ").size()) : std::string();
    if (answer.result_class == mi::ResultClass::Error) {
      if (!is_source) {
        return make_error(ErrorKind::Gdb, "gdb: {}: {}", command, answer.error_message());
      }
      ScriptLoadFailure failure;
      failure.script = script;
      failure.error = answer.error_message();
      failure.output = lines_of(output);
      helpers.failures.push_back(std::move(failure));
    } else if (is_source) {
      if (auto failure = parse_script_load_failure(output, script)) {
        helpers.failures.push_back(std::move(*failure));
      }
    }
  }

  std::vector<std::string> probes = standard_helper_functions();
  for (const HelperUse& use : uses) {
    if (std::find(probes.begin(), probes.end(), use.function) == probes.end()) {
      probes.push_back(use.function);
    }
  }
  std::vector<std::string> commands;
  commands.reserve(probes.size());
  for (const std::string& function : probes) {
    commands.push_back(fmt::format("-data-evaluate-expression ${}", function));
  }
  KH_ASSIGN_OR_RETURN(std::vector<mi::ResultRecord> answers, gdb.pipeline(commands, deadline));
  gdb.take_stream_records();
  for (std::size_t i = 0; i < probes.size(); ++i) {
    // An unset convenience name evaluates to "void"; a function gives anything else (gdb 13 prints
    // "<error reading variable: Unhandled type code 27 ...>" for it, which is still a ^done).
    const bool present =
        answers[i].result_class == mi::ResultClass::Done && answers[i].get("value").str() != "void";
    (present ? helpers.available : helpers.missing).insert(probes[i]);
  }
  return helpers;
}

Result<std::vector<std::string>> check_gdb_helpers(const GdbHelpers& helpers,
                                                   const std::vector<HelperUse>& uses,
                                                   const kernel::KernelBuild& kernel) {
  std::vector<const HelperUse*> unmet;
  std::vector<std::string> missing_names;
  for (const HelperUse& use : uses) {
    if (helpers.available.count(use.function) == 0) {
      unmet.push_back(&use);
      if (std::find(missing_names.begin(), missing_names.end(), use.function) == missing_names.end()) {
        missing_names.push_back(use.function);
      }
    }
  }
  if (unmet.empty()) {
    std::vector<std::string> warnings;
    for (const ScriptLoadFailure& failure : helpers.failures) {
      warnings.push_back(
          fmt::format("gdb script {} did not load: {}; its commands and functions are missing, but this "
                      "scenario calls none of them",
                      failure.script, failure.describe()));
    }
    return warnings;
  }

  std::string names;
  for (const std::string& name : missing_names) {
    names += (names.empty() ? "$" : ", $") + name + "()";
  }
  const std::string needed =
      fmt::format("{} needed by {} scenario item{}", names, unmet.size(), unmet.size() == 1 ? "" : "s");
  const bool needs_kharness = std::any_of(
      unmet.begin(), unmet.end(), [](const HelperUse* use) { return use->function.starts_with("kh_"); });
  Error error;
  if (!helpers.failures.empty()) {
    const ScriptLoadFailure& first = helpers.failures.front();
    error = make_error(ErrorKind::Gdb, "gdb helper script {} did not load ({}): {}", first.script,
                       first.describe(), needed);
  } else if (needs_kharness && kharness_gdb_script().empty()) {
    error = make_error(ErrorKind::Gdb,
                       "kharness's gdb-scripts/kharness.py is not installed (KHARNESS_DATA_DIR): {}", needed);
  } else if (!needs_kharness && kernel.gdb_scripts.empty()) {
    error = make_error(ErrorKind::Gdb, "the kernel build has no gdb scripts (vmlinux-gdb.py): {}", needed);
  } else {
    error = make_error(ErrorKind::Config, "no gdb script defines {}: is it misspelled?", names);
  }
  for (const ScriptLoadFailure& failure : helpers.failures) {
    error.details.push_back(fmt::format("{}: {}", failure.script, failure.describe()));
  }
  for (const HelperUse* use : unmet) {
    std::string line = use->location.empty() ? use->what : fmt::format("{}: {}", use->location, use->what);
    line += fmt::format(" needs ${}()", use->function);
    if (!use->readers.empty()) {
      std::string readers;
      for (const std::string& reader : use->readers) {
        readers += (readers.empty() ? "" : ", ") + reader;
      }
      line += ", read by " + readers;
    }
    error.details.push_back(std::move(line));
  }
  for (const ScriptLoadFailure& failure : helpers.failures) {
    for (const std::string& output_line : failure.output) {
      error.details.push_back("  " + output_line);
    }
  }
  if (!unmet.front()->location.empty()) {
    error.location = unmet.front()->location;
  }
  return error;
}

Result<std::vector<std::string>> prepare_gdb_helpers(mi::MiSession& gdb, const kernel::KernelBuild& kernel,
                                                     const trace::ResolvedScenario& scenario,
                                                     std::string_view current_task_expression,
                                                     Deadline deadline) {
  std::vector<HelperUse> uses = helper_uses(scenario, current_task_expression);
  KH_ASSIGN_OR_RETURN(GdbHelpers helpers, load_gdb_helpers(gdb, kernel, uses, deadline));
  return check_gdb_helpers(helpers, uses, kernel);
}

}  // namespace kh::engine
