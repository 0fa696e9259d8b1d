// Every product scenario, resolved for each long-term kernel line from 4.19 to 6.12, only names
// kernel functions that line has: its breakpoints, the functions of its backtrace expectations and
// the frames it reads arguments from. The lines' functions are tests/scenarios/kernel_versions.txt,
// which must say what docs/kernel-versions.md says.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "common/kernel_version.h"
#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::test {
namespace {

namespace fs = std::filesystem;

const fs::path kTable = fs::path(KH_SOURCE_DIR) / "tests" / "scenarios" / "kernel_versions.txt";
const fs::path kDoc = fs::path(KH_SOURCE_DIR) / "docs" / "kernel-versions.md";

// The lines, and the release each is resolved as (Debian's 6.1 and 6.12, the 5.15 of issue 16, the
// last or a late release of the others).
const std::vector<std::pair<std::string, std::string>> kLines = {
    {"4.19", "4.19.325"}, {"5.4", "5.4.294"}, {"5.10", "5.10.238"}, {"5.15", "5.15.135"},
    {"6.1", "6.1.192"},   {"6.6", "6.6.93"},  {"6.12", "6.12.117"},
};

// function -> line -> present
using VersionTable = std::map<std::string, std::map<std::string, bool>>;

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line.substr(0, line.find('#')));
  std::vector<std::string> result;
  for (std::string word; in >> word;) {
    result.push_back(word);
  }
  return result;
}

// Parses kernel_versions.txt; a malformed line fails the calling test.
VersionTable read_table(std::vector<std::string>* lines_out) {
  std::ifstream in(kTable);
  EXPECT_TRUE(in) << kTable;
  VersionTable table;
  std::vector<std::string> lines;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    std::vector<std::string> cells = words(line);
    if (cells.empty()) {
      continue;
    }
    if (cells[0] == "function") {
      lines.assign(cells.begin() + 1, cells.end());
      continue;
    }
    EXPECT_FALSE(lines.empty()) << "kernel_versions.txt:" << number << ": a row before the header";
    EXPECT_EQ(cells.size(), lines.size() + 1) << "kernel_versions.txt:" << number;
    EXPECT_EQ(table.count(cells[0]), 0U) << "kernel_versions.txt:" << number << ": " << cells[0] << " twice";
    for (std::size_t i = 1; i < cells.size() && i <= lines.size(); ++i) {
      EXPECT_TRUE(cells[i] == "y" || cells[i] == "-")
          << "kernel_versions.txt:" << number << ": '" << cells[i] << "'";
      table[cells[0]][lines[i - 1]] = cells[i] == "y";
    }
  }
  if (lines_out != nullptr) {
    *lines_out = lines;
  }
  return table;
}

// The kernel functions a resolved scenario names, each with the place that names it.
std::vector<std::pair<std::string, std::string>> named_functions(const trace::ResolvedScenario& scenario) {
  std::vector<std::pair<std::string, std::string>> named;
  for (const trace::BreakpointSpec& breakpoint : scenario.breakpoints) {
    named.emplace_back(breakpoint.function, breakpoint.location);
    for (const trace::HitExpectation& expectation : breakpoint.expectations) {
      for (const trace::Check& check : expectation.checks) {
        if (const auto* backtrace = std::get_if<trace::BacktraceCheck>(&check.body)) {
          for (const std::string& function : backtrace->functions) {
            named.emplace_back(function, check.location);
          }
        } else if (const auto* without = std::get_if<trace::BacktraceWithoutCheck>(&check.body)) {
          for (const std::string& function : without->functions) {
            named.emplace_back(function, check.location);
          }
        } else if (const auto* value = std::get_if<trace::ValueCheck>(&check.body);
                   value != nullptr && value->source == trace::ValueCheck::Source::Arg &&
                   !value->frame.function.empty()) {
          named.emplace_back(value->frame.function, check.location);
        }
      }
    }
  }
  return named;
}

// "file:line: f is not in 5.4" for each function the scenario names on `line` that the table says
// the line lacks (or does not list at all).
std::vector<std::string> problems(const trace::Scenario& scenario, const VersionTable& table) {
  std::vector<std::string> found;
  for (const auto& [line, release] : kLines) {
    Result<KernelVersion> version = KernelVersion::parse(release);
    if (!version.ok()) {
      found.push_back("bad release " + release);
      continue;
    }
    trace::ResolvedScenario resolved = trace::resolve(scenario, *version);
    if (!resolved.applies) {
      continue;
    }
    for (const auto& [function, location] : named_functions(resolved)) {
      auto row = table.find(function);
      if (row == table.end()) {
        found.push_back(location + ": " + function + " is not in kernel_versions.txt");
      } else if (!row->second.at(line)) {
        found.push_back(location + ": " + function + " is not in " + line);
      }
    }
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

TEST(KernelVersionTable, CoversEveryLongTermLine) {
  std::vector<std::string> lines;
  VersionTable table = read_table(&lines);
  std::vector<std::string> expected;
  expected.reserve(kLines.size());
  for (const auto& [line, release] : kLines) {
    expected.push_back(line);
  }
  EXPECT_EQ(lines, expected);
  EXPECT_GE(table.size(), 30U);
  // The known moves.
  EXPECT_TRUE(table.at("_do_fork").at("5.4"));
  EXPECT_FALSE(table.at("_do_fork").at("5.10"));
  EXPECT_TRUE(table.at("kernel_clone").at("5.10"));
  EXPECT_FALSE(table.at("ksys_mount").at("5.10"));
  EXPECT_TRUE(table.at("path_mount").at("5.10"));
  EXPECT_FALSE(table.at("do_new_mount_fc").at("4.19"));
  EXPECT_FALSE(table.at("prepare_nsset").at("5.4"));
}

// docs/kernel-versions.md's table: "| `name` | yes | no | ... | callers |".
TEST(KernelVersionTable, AgreesWithTheDocumentation) {
  VersionTable table = read_table(nullptr);
  std::ifstream in(kDoc);
  ASSERT_TRUE(in) << kDoc;
  VersionTable documented;
  bool in_table = false;  // the rows after the "| function | 4.19 | ..." header
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("| function |")) {
      in_table = true;
    } else if (!line.starts_with("|")) {
      in_table = false;
    }
    if (!in_table || !line.starts_with("| `")) {
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream row(line.substr(1));
    for (std::string cell; std::getline(row, cell, '|');) {
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
    }
    ASSERT_GE(cells.size(), kLines.size() + 1) << line;
    std::string name = cells[0].substr(1, cells[0].find('`', 1) - 1);
    for (std::size_t i = 0; i < kLines.size(); ++i) {
      EXPECT_TRUE(cells[i + 1] == "yes" || cells[i + 1] == "no") << line;
      documented[name][kLines[i].first] = cells[i + 1] == "yes";
    }
  }
  EXPECT_EQ(documented, table) << "docs/kernel-versions.md and tests/scenarios/kernel_versions.txt differ";
}

TEST(KernelVersionTable, CatchesAVariantOnTheWrongLines) {
  VersionTable table = read_table(nullptr);
  // _do_fork is gone in 5.10; a range that keeps it there is wrong.
  Result<trace::Scenario> scenario = trace::parse_scenario(
      "<scenario name=\"wrong\">\n<guest program=\"mnt_ns_clone\"/>\n<breakpoint function=\"copy_mnt_ns\">\n"
      "<when kernel=\"&lt;5.15\"><expect-backtrace>copy_process _do_fork</expect-backtrace></when>\n"
      "<expect arg=\"dir_name\" frame=\"no_such_function\" equals=\"/\"/>\n"
      "</breakpoint>\n</scenario>\n",
      "wrong.xml");
  ASSERT_TRUE(scenario.ok()) << scenario.error().to_string();
  EXPECT_EQ(problems(*scenario, table), (std::vector<std::string>{
                                            "wrong.xml:4: _do_fork is not in 5.10",
                                            "wrong.xml:5: no_such_function is not in kernel_versions.txt",
                                        }));
}

std::vector<fs::path> scenario_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(KH_SOURCE_DIR) / "scenarios")) {
    if (entry.path().extension() == ".xml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class ScenarioOnEveryLine : public testing::TestWithParam<fs::path> {};

TEST_P(ScenarioOnEveryLine, NamesOnlyFunctionsTheLineHas) {
  Result<trace::Scenario> scenario = trace::load_scenario_file(GetParam());
  ASSERT_TRUE(scenario.ok()) << scenario.error().to_string();
  VersionTable table = read_table(nullptr);
  for (const std::string& problem : problems(*scenario, table)) {
    ADD_FAILURE() << problem;
  }
  // Every line runs it: the scenarios are written for 4.19 and later.
  for (const auto& [line, release] : kLines) {
    EXPECT_TRUE(trace::resolve(*scenario, KernelVersion::parse(release).value()).applies) << release;
  }
}

std::string test_name(const testing::TestParamInfo<fs::path>& info) {
  std::string name = info.param.stem().string();
  std::replace_if(
      name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) == 0; }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(ProductScenarios, ScenarioOnEveryLine, testing::ValuesIn(scenario_files()),
                         test_name);

}  // namespace
}  // namespace kh::test
