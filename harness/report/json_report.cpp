#include "report/json_report.h"

#include <cstring>
#include <string>

#include <fmt/format.h>

#include "common/paths.h"
#include "common/file_io.h"

namespace kh::report {
namespace {

using nlohmann::json;

Result<json> read_json_file(const std::filesystem::path& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return make_error(ErrorKind::Io, "{}: is a directory, not a JSON file", path.string());
  }
  auto text = read_file(path);
  if (!text) {
    // One line that starts with the file, as every bad-input message of `kharness diff` does.
    const std::string& message = text.error().message;
    const std::size_t reason = message.rfind(": ");
    const char* what = message.starts_with("cannot open") ? "cannot open" : "cannot read";
    return make_error(ErrorKind::Io, "{}: {}: {}", path.string(), what,
                      reason == std::string::npos ? message : message.substr(reason + 2));
  }
  try {
    return json::parse(*text);
  } catch (const json::exception& e) {
    return make_error(ErrorKind::Parse, "{}: bad JSON: {}", path.string(), e.what());
  }
}

// Reads `field` of `json` into `out` when present; absent fields keep their defaults.
template <typename T>
void read_field(const json& object, const char* field, T& out) {
  if (auto it = object.find(field); it != object.end() && !it->is_null()) {
    it->get_to(out);
  }
}

trace::RunReport report_from_json(const json& object) {
  trace::RunReport report;
  read_field(object, "scenario", report.scenario);
  read_field(object, "scenario_file", report.scenario_file);
  read_field(object, "description", report.description);
  read_field(object, "verdict", report.verdict);
  read_field(object, "detail", report.detail);
  read_field(object, "phase", report.phase);
  read_field(object, "kernel_release", report.kernel_release);
  read_field(object, "kernel_version", report.kernel_version);
  read_field(object, "accel", report.accel);
  read_field(object, "wall_seconds", report.wall_seconds);
  read_field(object, "kernel_key", report.kernel_key);
  read_field(object, "kernel_source", report.kernel_source);
  read_field(object, "breakpoints", report.breakpoints);
  read_field(object, "trace", report.trace);
  read_field(object, "results", report.results);
  if (auto phases = object.find("phases"); phases != object.end() && !phases->is_null()) {
    for (const json& phase : phases->get_ref<const json::array_t&>()) {
      report.phases.push_back(
          trace::PhaseTime{phase.at("phase").get<std::string>(), phase.at("seconds").get<double>()});
    }
  }
  if (auto guest = object.find("guest"); guest != object.end() && !guest->is_null()) {
    read_field(*guest, "results", report.guest_results);
    if (auto status = guest->find("exit_status"); status != guest->end() && !status->is_null()) {
      report.guest_exit_status = status->get<int>();
    }
  }
  read_field(object, "serial_log", report.serial_log);
  read_field(object, "serial_tail", report.serial_tail);
  read_field(object, "evidence", report.evidence);
  return report;
}

// The "format" field of a run report: ErrorKind::Parse when it is missing or newer than ours.
Status check_format(const json& object) {
  if (!object.is_object()) {
    return make_error(ErrorKind::Parse, "not a kharness run report (a JSON {} instead of an object)",
                      object.type_name());
  }
  auto format = object.find("format");
  if (format == object.end()) {
    return make_error(ErrorKind::Parse, "not a kharness run report (no \"format\" field)");
  }
  if (!format->is_number_integer()) {
    return make_error(ErrorKind::Parse, "not a kharness run report (\"format\" is not a number)");
  }
  if (format->get<int>() > kJsonReportFormat || format->get<int>() < 1) {
    return make_error(ErrorKind::Parse, "run report format {} is not supported (this kharness reads 1 to {})",
                      format->get<int>(), kJsonReportFormat);
  }
  return {};
}

}  // namespace

json run_report_json(const trace::RunReport& report) {
  json phases = json::array();
  double total = 0;
  for (const trace::PhaseTime& phase : report.phases) {
    phases.push_back(json{{"phase", phase.phase}, {"seconds", phase.seconds}});
    total += phase.seconds;
  }
  json guest = {{"results", report.guest_results}};
  guest["exit_status"] = report.guest_exit_status ? json(*report.guest_exit_status) : json(nullptr);
  return json{
      {"format", kJsonReportFormat},
      {"generator", fmt::format("kharness {}", kh::version())},
      {"scenario", report.scenario},
      {"scenario_file", report.scenario_file},
      {"description", report.description},
      {"verdict", report.verdict},
      {"detail", report.detail},
      {"phase", report.phase},
      {"kernel_release", report.kernel_release},
      {"kernel_version", report.kernel_version},
      {"accel", report.accel},
      {"phases", std::move(phases)},
      {"wall_seconds", report.wall_seconds},
      {"kernel_key", report.kernel_key},
      {"kernel_source", report.kernel_source},
      {"total_seconds", total},
      {"results", report.results},
      {"breakpoints", report.breakpoints},
      {"trace", report.trace},
      {"guest", std::move(guest)},
      {"evidence", report.evidence},
      {"serial_tail", report.serial_tail},
      {"serial_log", report.serial_log},
  };
}

Result<trace::RunReport> run_report_from_json(const json& object) {
  KH_TRY(check_format(object));
  try {
    return report_from_json(object);
  } catch (const json::exception& e) {
    return make_error(ErrorKind::Parse, "bad run report: {}", e.what());
  }
}

Status write_json_report(const trace::RunReport& report, const std::filesystem::path& path) {
  std::string text = run_report_json(report).dump(2, ' ', false, json::error_handler_t::replace);
  text += '\n';
  return write_file_atomically(path, text);
}

Result<trace::RunReport> read_json_report(const std::filesystem::path& path) {
  KH_ASSIGN_OR_RETURN(json object, read_json_file(path));
  auto report = run_report_from_json(object);
  if (!report.ok()) {
    return make_error(ErrorKind::Parse, "{}: {}", path.string(), report.error().message);
  }
  return report;
}

Result<trace::Trace> read_trace_file(const std::filesystem::path& path) {
  KH_ASSIGN_OR_RETURN(json object, read_json_file(path));
  if (object.is_object() && !object.contains("format") && object.contains("hits")) {
    try {
      return object.get<trace::Trace>();
    } catch (const json::exception& e) {
      return make_error(ErrorKind::Parse, "{}: bad trace: {}", path.string(), e.what());
    }
  }
  auto report = run_report_from_json(object);
  if (!report.ok()) {
    return make_error(ErrorKind::Parse, "{}: {}", path.string(), report.error().message);
  }
  return std::move(report).value().trace;
}

}  // namespace kh::report
