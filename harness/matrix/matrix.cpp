#include "matrix/matrix.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/file_io.h"
#include "engine/run_outcome.h"
#include "kernel/kernel.h"
#include "report/json_report.h"
#include "report/junit_report.h"
#include "trace/scenario.h"

namespace kh::matrix {
namespace {

using trace::Verdict;
using Seconds = std::chrono::duration<double>;
using nlohmann::json;

constexpr const char* kCellFile = "cell.json";
constexpr const char* kReportFile = "report.json";
constexpr const char* kSerialFile = "serial.log";
constexpr const char* kOutputFile = "output.log";
constexpr const char* kMatrixFile = "matrix.json";
// Every cell run writes its reproducer here; the matrix removes it once the cell passed.
constexpr const char* kBundleDir = "bundle";
// How long interrupted cells get to end their qemu and gdb: a cell waits up to ~3 s for them
// (gdb's -gdb-exit, then each child's own grace), more on a loaded machine.
constexpr std::chrono::milliseconds kCellCleanupGrace{15'000};

// A name that is safe as one folder name: letters, digits and "._-@+" kept, the rest '_'.
std::string folder_name(std::string_view text) {
  std::string name;
  for (char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-' || c == '@' || c == '+';
    name += keep ? c : '_';
  }
  return name;
}

void count_results(const std::vector<trace::ExpectationResult>& results, int& passed, int& total) {
  passed = 0;
  total = 0;
  for (const auto& result : results) {
    if (result.verdict == Verdict::Skipped) {
      continue;
    }
    ++total;
    if (result.verdict == Verdict::Pass) {
      ++passed;
    }
  }
}

// The kernel's provenance for matrix.json: the column, the cache entry and its build metadata.
json kernel_provenance(const KernelColumn& column, const trace::RunReport& report) {
  json kernel = {{"option", column.option},          {"value", column.value},
                 {"key", report.kernel_key},         {"release", report.kernel_release},
                 {"version", report.kernel_version}, {"source", report.kernel_source}};
  json fragments = json::array();
  for (const auto& fragment : column.request.extra_fragments) {
    fragments.push_back(fragment.string());
  }
  kernel["config"] = std::move(fragments);
  for (const auto& build : kernel::list_kernels()) {
    if (build.key == report.kernel_key) {
      auto meta = read_file(build.dir / "meta.json");
      if (meta.ok()) {
        kernel["cache_entry"] = json::parse(*meta, nullptr, /*allow_exceptions=*/false);
      }
    }
  }
  return kernel;
}

CellResult cell_from_report(trace::RunReport report, const json& cell_json,
                            const std::filesystem::path& dir) {
  CellResult cell;
  cell.dir = dir;
  cell.scenario = report.scenario;
  cell.scenario_file = report.scenario_file;
  cell.release = report.kernel_release;
  if (auto version = KernelVersion::parse(report.kernel_version); version.ok()) {
    cell.version = *version;
  }
  cell.verdict = report.verdict;
  count_results(report.results, cell.passed, cell.total);
  cell.detail = report.detail;
  cell.phase = report.phase;
  cell.wall_seconds = report.wall_seconds;
  cell.kernel = cell_json.value("kernel", json::object());
  cell.column = fmt::format("{} {}", cell.kernel.value("option", ""), cell.kernel.value("value", ""));
  cell.cell = cell_json.value("cell", fmt::format("{}@{}", cell.scenario, cell.release));
  if (auto golden = cell_json.find("golden"); golden != cell_json.end() && golden->is_object()) {
    report::GoldenCheck check;
    const std::string status = golden->value("status", "missing");
    check.status = status == "match"     ? report::GoldenCheck::Status::Match
                   : status == "differs" ? report::GoldenCheck::Status::Differs
                                         : report::GoldenCheck::Status::Missing;
    check.file = golden->value("file", "");
    check.diff = golden->value("diff", std::vector<std::string>{});
    cell.golden = std::move(check);
  }
  cell.report = std::move(report);
  return cell;
}

Result<CellResult> read_cell_dir(const std::filesystem::path& dir) {
  KH_ASSIGN_OR_RETURN(std::string text, read_file(dir / kCellFile));
  json cell_json = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (cell_json.is_discarded() || !cell_json.is_object()) {
    return make_error(ErrorKind::Parse, "{}: not a cell description", (dir / kCellFile).string());
  }
  KH_ASSIGN_OR_RETURN(trace::RunReport report, report::read_json_report(dir / kReportFile));
  return cell_from_report(std::move(report), cell_json, dir);
}

json golden_json(const report::GoldenCheck& check) {
  const char* status = check.status == report::GoldenCheck::Status::Match     ? "match"
                       : check.status == report::GoldenCheck::Status::Differs ? "differs"
                                                                              : "missing";
  return {{"status", status}, {"file", check.file.string()}, {"diff", check.diff}};
}

// Re-checks (or writes) a cell's golden and rewrites its folder so that it says so.
Status golden_for_cell(CellResult& cell, const std::filesystem::path& golden_dir, bool update) {
  if (golden_dir.empty() || !cell.report || cell.report->verdict == Verdict::Skipped) {
    return {};
  }
  // A result a previous check appended is replaced, not doubled.
  auto& results = cell.report->results;
  results.erase(
      std::remove_if(results.begin(), results.end(), [](const auto& r) { return r.kind == "golden"; }),
      results.end());
  if (cell.report->verdict == Verdict::Fail && cell.golden &&
      cell.golden->status == report::GoldenCheck::Status::Differs) {
    cell.report->verdict = trace::overall_verdict(results);
  }
  const auto file = report::golden_path(golden_dir, cell.scenario, cell.version);
  KH_ASSIGN_OR_RETURN(report::GoldenCheck check, apply_golden(*cell.report, file, update));
  cell.golden = check;
  cell.verdict = cell.report->verdict;
  count_results(cell.report->results, cell.passed, cell.total);
  if (check.status == report::GoldenCheck::Status::Differs && cell.detail.empty()) {
    cell.detail = "trace differs from golden";
  }
  return {};
}

// The cells a matrix folder planned, from its matrix.json.
std::vector<std::string> planned_cells(const std::filesystem::path& dir) {
  std::vector<std::string> cells;
  auto text = read_file(dir / kMatrixFile);
  if (!text.ok()) {
    return cells;
  }
  json matrix = json::parse(*text, nullptr, false);
  if (matrix.is_object() && matrix.contains("planned") && matrix["planned"].is_array()) {
    for (const auto& name : matrix["planned"]) {
      if (name.is_string()) {
        cells.push_back(name.get<std::string>());
      }
    }
  }
  return cells;
}

// Puts the cells of each scenario in `scenario_order` (the order the scenarios were given) first,
// in that order; cells of other scenarios keep their order after them. Cells finish in any order
// with -j N, and the table's rows follow the cells.
void order_cells(std::vector<CellResult>& cells, const std::vector<std::string>& scenario_order) {
  auto rank = [&](const CellResult& cell) {
    return static_cast<std::size_t>(std::find(scenario_order.begin(), scenario_order.end(), cell.scenario) -
                                    scenario_order.begin());
  };
  std::stable_sort(cells.begin(), cells.end(),
                   [&](const CellResult& a, const CellResult& b) { return rank(a) < rank(b); });
}

// Orders columns by kernel version (unversioned ones last, in the order given) and rows by the
// scenarios' first appearance.
void order(MatrixResult& result) {
  std::stable_sort(result.columns.begin(), result.columns.end(),
                   [](const ColumnResult& a, const ColumnResult& b) {
                     if (a.release.empty() != b.release.empty()) {
                       return b.release.empty();
                     }
                     return a.version < b.version;
                   });
  for (const auto& cell : result.cells) {
    if (std::find(result.scenarios.begin(), result.scenarios.end(), cell.scenario) ==
        result.scenarios.end()) {
      result.scenarios.push_back(cell.scenario);
    }
  }
}

// A cell that never ran because its kernel could not be had.
CellResult unrunnable_cell(const PlannedCell& planned, const ColumnResult& column) {
  CellResult cell;
  cell.cell = planned.cell;
  cell.scenario = planned.scenario;
  cell.scenario_file = planned.scenario_file.string();
  cell.column = column.column.label();
  cell.verdict = column.problem.value_or(Verdict::Infra);
  cell.detail = column.reason;
  cell.kernel = {{"option", column.column.option}, {"value", column.column.value}};
  return cell;
}

}  // namespace

std::string KernelColumn::label() const {
  return fmt::format("{} {}", option, value);
}

std::vector<std::string> KernelColumn::run_arguments() const {
  std::vector<std::string> args = {option, value};
  for (const auto& fragment : request.extra_fragments) {
    args.push_back("--config");
    args.push_back(std::filesystem::absolute(fragment).string());
  }
  return args;
}

KernelColumn column_for_request(const kernel::KernelRequest& request) {
  KernelColumn column;
  column.request = request;
  if (!request.source_tree.empty()) {
    column.option = "--kernel-source";
    column.value = std::filesystem::absolute(request.source_tree).string();
  } else if (!request.tarball.empty()) {
    column.option = "--kernel-tarball";
    column.value = std::filesystem::absolute(request.tarball).string();
  } else if (!request.version.empty()) {
    column.option = "--kernel-version";
    column.value = request.version;
  } else {
    column.option = "--kernel-package";
    column.value = request.debian_package.empty() ? kernel::kDefaultDebianPackage : request.debian_package;
  }
  return column;
}

Result<std::vector<PlannedCell>> plan_matrix(const MatrixOptions& options) {
  if (options.scenarios.empty()) {
    return make_error(ErrorKind::Config, "a matrix needs at least one scenario");
  }
  if (options.columns.empty()) {
    return make_error(ErrorKind::Config,
                      "a matrix needs at least one kernel option (--kernel-package, --kernel-source, "
                      "--kernel-tarball, --kernel-version; each occurrence is one column)");
  }
  std::vector<std::pair<std::filesystem::path, std::string>> scenarios;
  std::set<std::string> names;
  for (const auto& file : options.scenarios) {
    KH_ASSIGN_OR_RETURN(trace::Scenario scenario, trace::load_scenario_file(file));
    if (!names.insert(scenario.name).second) {
      return make_error(ErrorKind::Config, "{}: scenario name '{}' is used twice in this matrix",
                        file.string(), scenario.name);
    }
    scenarios.emplace_back(file, scenario.name);
  }
  std::vector<PlannedCell> cells;
  std::set<std::string> cell_names;
  for (const auto& column : options.columns) {
    // A column whose kernel cannot be had is reported for that column when the matrix runs (the
    // others still run); the plan keeps the reason.
    std::string key;
    std::string key_problem;
    if (auto computed = kernel::kernel_cache_key(column.request); computed.ok()) {
      key = *computed;
    } else {
      key_problem = computed.error().to_string();
    }
    for (const auto& [file, name] : scenarios) {
      PlannedCell cell;
      cell.scenario = name;
      cell.scenario_file = std::filesystem::absolute(file);
      cell.column = column;
      cell.cache_key = key;
      cell.key_problem = key_problem;
      cell.cell =
          folder_name(fmt::format("{}@{}", name, std::filesystem::path(column.value).filename().string()));
      while (!cell_names.insert(cell.cell).second) {
        cell.cell += "+";
      }
      cells.push_back(std::move(cell));
    }
  }
  return cells;
}

json planned_cell_json(const PlannedCell& cell) {
  json config = json::array();
  for (const auto& fragment : cell.column.request.extra_fragments) {
    config.push_back(std::filesystem::absolute(fragment).string());
  }
  return {{"cell", cell.cell},
          {"scenario", cell.scenario},
          {"scenario_file", cell.scenario_file.string()},
          {"kernel_option", cell.column.option},
          {"kernel_value", cell.column.value},
          {"config", std::move(config)},
          {"cache_key", cell.cache_key}};
}

Result<report::GoldenCheck> apply_golden(trace::RunReport& report, const std::filesystem::path& golden_file,
                                         bool update) {
  KernelVersion version;
  if (auto parsed = KernelVersion::parse(report.kernel_version); parsed.ok()) {
    version = *parsed;
  }
  if (update) {
    KH_TRY(report::write_golden(report.trace, version, golden_file));
    report::GoldenCheck written;
    written.status = report::GoldenCheck::Status::Match;
    written.file = golden_file;
    return written;
  }
  KH_ASSIGN_OR_RETURN(report::GoldenCheck check, report::check_golden(report.trace, golden_file));
  if (check.status == report::GoldenCheck::Status::Missing) {
    return check;
  }
  trace::ExpectationResult golden;
  golden.kind = "golden";
  golden.description = fmt::format("the trace equals the golden {}", golden_file.filename().string());
  golden.location = golden_file.string();
  golden.expected = "the golden trace";
  if (check.status == report::GoldenCheck::Status::Match) {
    golden.verdict = Verdict::Pass;
    golden.actual = "the same trace";
  } else {
    golden.verdict = Verdict::Fail;
    golden.actual = fmt::format("trace differs from golden:\n{}", fmt::join(check.diff, "\n"));
    if (report.verdict == Verdict::Pass) {
      report.verdict = Verdict::Fail;
      report.detail = "trace differs from golden";
    }
  }
  report.results.push_back(std::move(golden));
  return check;
}

namespace {

// The files of a cell folder, with the kernel's provenance as JSON.
Status write_cell_files(const std::filesystem::path& dir, const trace::RunReport& report, const json& kernel,
                        const std::optional<report::GoldenCheck>& golden) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", dir.string(), ec.message());
  }
  KH_TRY(report::write_json_report(report, dir / kReportFile));
  KH_TRY(write_file_atomically(dir / kSerialFile, report.serial_log));
  int passed = 0;
  int total = 0;
  count_results(report.results, passed, total);
  json cell = {{"cell", folder_name(fmt::format("{}@{}", report.scenario,
                                                report.kernel_release.empty() ? kernel.value("value", "")
                                                                              : report.kernel_release))},
               {"scenario", report.scenario},
               {"scenario_file", report.scenario_file},
               {"verdict", trace::to_string(report.verdict)},
               {"passed", passed},
               {"total", total},
               {"wall_seconds", report.wall_seconds},
               {"kernel", kernel}};
  if (golden) {
    cell["golden"] = golden_json(*golden);
  }
  return write_file_atomically(dir / kCellFile,
                               cell.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

}  // namespace

Status write_cell_dir(const std::filesystem::path& dir, const trace::RunReport& report,
                      const KernelColumn& column, const std::optional<report::GoldenCheck>& golden) {
  return write_cell_files(dir, report, kernel_provenance(column, report), golden);
}

Result<MatrixResult> run_matrix(const MatrixOptions& options) {
  const auto started = Clock::now();
  KH_ASSIGN_OR_RETURN(std::vector<PlannedCell> planned, plan_matrix(options));
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", options.out_dir.string(), ec.message());
  }
  MatrixResult result;
  // The kernels first, one at a time: a build uses every core.
  for (const auto& column : options.columns) {
    ColumnResult built;
    built.column = column;
    const auto build_started = Clock::now();
    built.was_cached = false;
    if (auto key = kernel::kernel_cache_key(column.request); key.ok()) {
      for (const auto& entry : kernel::list_kernels()) {
        built.was_cached = built.was_cached || entry.key == *key;
      }
    }
    if (options.progress && !built.was_cached) {
      fmt::print(stderr, "kharness: building the kernel of {}\n", column.label());
    }
    kernel::KernelRequest request = column.request;
    request.progress = options.progress;
    auto kernel = kernel::provide_kernel(request);
    built.build_seconds = Seconds(Clock::now() - build_started).count();
    if (kernel.ok()) {
      built.release = kernel->release;
      built.version = kernel->version;
      built.key = kernel->key;
    } else if (kernel.error().kind == ErrorKind::Interrupted) {
      return std::move(kernel).error();
    } else {
      built.problem = engine::verdict_for(kernel.error().kind);
      built.reason = kernel.error().to_string();
      if (options.progress) {
        fmt::print(stderr, "kharness: {}: {} {}\n", column.label(), trace::to_string(*built.problem),
                   built.reason);
      }
    }
    result.columns.push_back(std::move(built));
  }
  auto column_of = [&](const KernelColumn& column) -> const ColumnResult& {
    for (const auto& c : result.columns) {
      if (c.column.option == column.option && c.column.value == column.value) {
        return c;
      }
    }
    return result.columns.front();
  };

  // Cells are named after the release their kernel turned out to be: SCENARIO@RELEASE.
  std::set<std::string> final_names;
  for (auto& cell : planned) {
    const ColumnResult& column = column_of(cell.column);
    if (!column.release.empty()) {
      cell.cell = folder_name(fmt::format("{}@{}", cell.scenario, column.release));
    }
    while (!final_names.insert(cell.cell).second) {
      cell.cell += "+";
    }
  }

  // Then the cells, `jobs` at once, each an independent `kharness run`.
  struct Running {
    const PlannedCell* planned;
    ChildProcess child;
    std::filesystem::path dir;
  };
  std::deque<const PlannedCell*> queue;
  for (const auto& cell : planned) {
    const ColumnResult& column = column_of(cell.column);
    if (column.problem) {
      result.cells.push_back(unrunnable_cell(cell, column));
    } else {
      queue.push_back(&cell);
    }
  }
  const std::size_t total = queue.size();
  std::size_t finished = 0;
  std::vector<Running> running;
  auto take_result = [&](Running& done) {
    auto cell = read_cell_dir(done.dir);
    if (cell.ok()) {
      cell->cell = done.planned->cell;
      result.cells.push_back(std::move(*cell));
    } else {
      CellResult broken;
      broken.cell = done.planned->cell;
      broken.scenario = done.planned->scenario;
      broken.scenario_file = done.planned->scenario_file.string();
      broken.column = done.planned->column.label();
      broken.dir = done.dir;
      broken.verdict = Verdict::Infra;
      broken.detail = fmt::format("the cell wrote no result ({}); see {}", done.child.describe(),
                                  (done.dir / kOutputFile).string());
      const ColumnResult& column = column_of(done.planned->column);
      broken.release = column.release;
      broken.version = column.version;
      result.cells.push_back(std::move(broken));
    }
    ++finished;
    if (options.progress) {
      const CellResult& cell_result = result.cells.back();
      fmt::print(stderr, "kharness: [{}/{}] {} {} ({:.1f} s)\n", finished, total, cell_result.cell,
                 trace::to_string(cell_result.verdict), cell_result.wall_seconds);
    }
  };
  while (!queue.empty() || !running.empty()) {
    while (!queue.empty() && static_cast<int>(running.size()) < std::max(1, options.jobs)) {
      const PlannedCell* cell = queue.front();
      queue.pop_front();
      const std::filesystem::path dir = options.out_dir / cell->cell;
      std::filesystem::remove_all(dir, ec);
      std::filesystem::create_directories(dir, ec);
      ChildSpec spec;
      spec.argv = {options.kharness.string(),
                   "run",
                   cell->scenario_file.string(),
                   "--accel",
                   std::string(vm::to_string(options.accel)),
                   "--out",
                   dir.string(),
                   "--bundle",
                   (dir / kBundleDir).string()};
      for (const auto& arg : cell->column.run_arguments()) {
        spec.argv.push_back(arg);
      }
      if (options.timeout) {
        spec.argv.push_back("--timeout");
        spec.argv.push_back(fmt::format("{:.3f}", static_cast<double>(options.timeout->count()) / 1000.0));
      }
      spec.env = {{"NO_COLOR", "1"}};
      spec.stdin_mode = Stdio::Null;
      spec.stdout_mode = Stdio::File;
      spec.stdout_file = dir / kOutputFile;
      spec.stderr_to_stdout = true;
      auto child = ChildProcess::spawn(spec);
      if (!child.ok()) {
        return std::move(child).error().wrap("cannot start a matrix cell");
      }
      running.push_back(Running{cell, std::move(*child), dir});
    }
    std::vector<int> fds;
    fds.reserve(running.size());
    for (const auto& run : running) {
      fds.push_back(run.child.exit_fd());
    }
    auto ready = wait_readable(fds, Deadline::never());
    if (!ready.ok()) {
      // Ctrl-C: every running cell's kharness is told at once and given the time to end its own
      // qemu and gdb (each waits up to a few seconds for them) before anything is killed.
      std::vector<ChildProcess*> children;
      children.reserve(running.size());
      for (auto& run : running) {
        children.push_back(&run.child);
      }
      terminate_all(children, kCellCleanupGrace);
      return std::move(ready).error();
    }
    for (auto it = running.begin(); it != running.end();) {
      if (it->child.state() != ChildProcess::State::Running) {
        take_result(*it);
        it = running.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& cell : result.cells) {
    KH_TRY(golden_for_cell(cell, options.golden_dir, options.update_golden));
    if (cell.report && !options.golden_dir.empty()) {
      KH_TRY(write_cell_files(cell.dir, *cell.report, cell.kernel, cell.golden));
    }
    // Only a failing cell keeps its reproducer; the verdict is final once the golden was checked.
    if (!cell.dir.empty() && (cell.verdict == Verdict::Pass || cell.verdict == Verdict::Skipped)) {
      std::filesystem::remove_all(cell.dir / kBundleDir, ec);
    }
  }
  std::vector<std::string> scenario_order;
  for (const auto& cell : planned) {
    if (std::find(scenario_order.begin(), scenario_order.end(), cell.scenario) == scenario_order.end()) {
      scenario_order.push_back(cell.scenario);
    }
  }
  order_cells(result.cells, scenario_order);
  order(result);
  result.wall_seconds = Seconds(Clock::now() - started).count();
  json matrix = matrix_json(result);
  json names = json::array();
  for (const auto& cell : planned) {
    names.push_back(cell.cell);
  }
  matrix["planned"] = std::move(names);
  KH_TRY(write_file_atomically(options.out_dir / kMatrixFile,
                               matrix.dump(2, ' ', false, json::error_handler_t::replace) + "\n"));
  return result;
}

Result<MatrixResult> merge_results(const std::vector<std::filesystem::path>& dirs,
                                   const std::filesystem::path& golden_dir, bool update_golden) {
  MatrixResult result;
  std::set<std::string> planned;
  std::vector<std::string> scenario_order;  // from the plans, in their order
  std::set<std::string> seen;
  std::map<std::string, ColumnResult> columns;
  auto add_cell = [&](CellResult cell) -> Status {
    if (!seen.insert(cell.cell).second) {
      return {};
    }
    KH_TRY(golden_for_cell(cell, golden_dir, update_golden));
    const std::string label = cell.column;
    if (!columns.count(label)) {
      ColumnResult column;
      column.column.option = cell.kernel.value("option", "");
      column.column.value = cell.kernel.value("value", "");
      column.release = cell.release;
      column.version = cell.version;
      column.key = cell.kernel.value("key", "");
      columns.emplace(label, std::move(column));
    }
    result.cells.push_back(std::move(cell));
    return {};
  };
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(dir / kCellFile, ec)) {
      KH_ASSIGN_OR_RETURN(CellResult cell, read_cell_dir(dir));
      KH_TRY(add_cell(std::move(cell)));
      continue;
    }
    if (!std::filesystem::is_directory(dir, ec)) {
      return make_error(ErrorKind::Config, "--merge {}: not a folder", dir.string());
    }
    for (const auto& name : planned_cells(dir)) {
      planned.insert(name);
      // A planned cell is SCENARIO@KERNEL: the plan gives the scenarios' order.
      const std::string scenario = name.substr(0, name.find('@'));
      if (std::find(scenario_order.begin(), scenario_order.end(), scenario) == scenario_order.end()) {
        scenario_order.push_back(scenario);
      }
    }
    std::vector<std::filesystem::path> cell_dirs;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.is_directory(ec) && std::filesystem::is_regular_file(entry.path() / kCellFile, ec)) {
        cell_dirs.push_back(entry.path());
      }
    }
    std::sort(cell_dirs.begin(), cell_dirs.end());
    if (cell_dirs.empty() && planned.empty()) {
      return make_error(ErrorKind::Config, "--merge {}: holds no matrix cell (no */cell.json, no cell.json)",
                        dir.string());
    }
    for (const auto& cell_dir : cell_dirs) {
      auto cell = read_cell_dir(cell_dir);
      if (!cell.ok()) {
        return std::move(cell).error();
      }
      cell->cell = cell_dir.filename().string();
      KH_TRY(add_cell(std::move(*cell)));
    }
  }
  for (const auto& name : planned) {
    if (!seen.count(name)) {
      result.missing.push_back(name);
    }
  }
  for (auto& [label, column] : columns) {
    result.columns.push_back(std::move(column));
  }
  order_cells(result.cells, scenario_order);
  order(result);
  return result;
}

int matrix_exit_code(const MatrixResult& result) {
  int code = engine::kExitPass;
  for (const auto& cell : result.cells) {
    code = std::max(code, engine::exit_code_for(cell.verdict));
  }
  if (!result.missing.empty()) {
    code = std::max(code, static_cast<int>(engine::kExitInfra));
  }
  return code;
}

json matrix_json(const MatrixResult& result) {
  json columns = json::array();
  for (const auto& column : result.columns) {
    json entry = {{"option", column.column.option},
                  {"value", column.column.value},
                  {"release", column.release},
                  {"key", column.key},
                  {"build_seconds", column.build_seconds},
                  {"cached", column.was_cached}};
    if (column.problem) {
      entry["problem"] = trace::to_string(*column.problem);
      entry["reason"] = column.reason;
    }
    columns.push_back(std::move(entry));
  }
  json cells = json::array();
  for (const auto& cell : result.cells) {
    json entry = {{"cell", cell.cell},
                  {"scenario", cell.scenario},
                  {"scenario_file", cell.scenario_file},
                  {"release", cell.release},
                  {"verdict", trace::to_string(cell.verdict)},
                  {"passed", cell.passed},
                  {"total", cell.total},
                  {"detail", cell.detail},
                  {"phase", cell.phase},
                  {"wall_seconds", cell.wall_seconds},
                  {"kernel", cell.kernel},
                  {"dir", cell.dir.string()}};
    if (cell.report) {
      json phases = json::object();
      for (const auto& phase : cell.report->phases) {
        phases[phase.phase] = phase.seconds;
      }
      entry["phases"] = std::move(phases);
    }
    if (cell.golden) {
      entry["golden"] = golden_json(*cell.golden);
    }
    cells.push_back(std::move(entry));
  }
  return {{"format", 1},
          {"wall_seconds", result.wall_seconds},
          {"columns", std::move(columns)},
          {"scenarios", result.scenarios},
          {"cells", std::move(cells)},
          {"missing", result.missing}};
}

std::string matrix_junit_xml(const MatrixResult& result) {
  std::vector<report::JunitSuite> suites;
  std::vector<trace::RunReport> placeholders;
  placeholders.reserve(result.cells.size());
  for (const auto& cell : result.cells) {
    if (cell.report) {
      suites.push_back(report::JunitSuite{cell.cell, &*cell.report});
    } else {
      trace::RunReport placeholder;
      placeholder.scenario = cell.scenario;
      placeholder.scenario_file = cell.scenario_file;
      placeholder.verdict = cell.verdict;
      placeholder.detail = cell.detail;
      placeholders.push_back(std::move(placeholder));
      suites.push_back(report::JunitSuite{cell.cell, &placeholders.back()});
    }
  }
  return report::junit_xml(suites);
}

}  // namespace kh::matrix
