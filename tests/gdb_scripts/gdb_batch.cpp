#include "gdb_scripts/gdb_batch.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/temp_dir.h"

namespace kh::test {
namespace {

// Loaded into gdb: runs one command and prints one line "@@KH OK|ERROR <command hex> <text hex>",
// hex so that no output can break the line apart or forge a record.
constexpr const char* kRunner = R"(import gdb

def kh_test_run(command_hex):
    command = bytes.fromhex(command_hex).decode()
    try:
        text = gdb.execute(command, to_string=True)
        status = "OK"
    except gdb.error as error:
        text = str(error)
        status = "ERROR"
    gdb.write("@@KH {} {} {}\n".format(status, command_hex, text.encode().hex() or "-"))
)";

constexpr std::string_view kRecordPrefix = "@@KH ";

std::string to_hex(std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : text) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 0xf];
  }
  return hex;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex == "-") {
    return std::string();
  }
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string text;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int high = digit(hex[i]);
    int low = digit(hex[i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    text += static_cast<char>(high * 16 + low);
  }
  return text;
}

// The record lines of gdb's output, in order.
Result<std::vector<GdbCommandOutput>> parse_records(const std::string& output) {
  std::vector<GdbCommandOutput> records;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::size_t at = line.find(kRecordPrefix);
    if (at == std::string::npos) {
      continue;
    }
    std::istringstream fields(line.substr(at + kRecordPrefix.size()));
    std::string status;
    std::string command_hex;
    std::string text_hex;
    fields >> status >> command_hex >> text_hex;
    std::optional<std::string> command = from_hex(command_hex);
    std::optional<std::string> text = from_hex(text_hex);
    if ((status != "OK" && status != "ERROR") || !command || !text) {
      return make_error(ErrorKind::Parse, "malformed record line from gdb: {}", line);
    }
    records.push_back(GdbCommandOutput{*command, status == "ERROR", *text});
  }
  return records;
}

}  // namespace

std::filesystem::path kharness_gdb_script() {
  return std::filesystem::path(KH_SOURCE_DIR) / "gdb-scripts" / "kharness.py";
}

Result<GdbBatchOutput> run_gdb_batch(const GdbBatchSpec& spec) {
  KH_ASSIGN_OR_RETURN(TempDir dir, TempDir::create("kh-gdb-batch-"));
  std::filesystem::path runner = dir.path() / "runner.py";
  {
    std::ofstream out(runner);
    out << kRunner;
    if (!out) {
      return make_error(ErrorKind::Io, "cannot write {}", runner.string());
    }
  }
  ChildSpec child;
  child.argv = {"gdb", "-nx", "-batch"};
  if (!spec.program.empty()) {
    child.argv.push_back(spec.program.string());
  }
  child.argv.insert(child.argv.end(), {"-ex", "source " + kharness_gdb_script().string()});
  child.argv.insert(child.argv.end(), {"-ex", "source " + runner.string()});
  for (const std::string& command : spec.setup) {
    child.argv.insert(child.argv.end(), {"-ex", command});
  }
  for (const std::string& command : spec.commands) {
    child.argv.insert(child.argv.end(), {"-ex", "python kh_test_run('" + to_hex(command) + "')"});
  }
  KH_ASSIGN_OR_RETURN(CommandOutput run, run_command(child, Deadline::in(spec.timeout)));
  KH_ASSIGN_OR_RETURN(std::vector<GdbCommandOutput> records, parse_records(run.output));
  if (records.size() != spec.commands.size()) {
    Error error = make_error(ErrorKind::Parse, "gdb reported {} of {} commands (exit status {})", records.size(),
                             spec.commands.size(), run.exit_code);
    error.details.push_back(run.output);
    return error;
  }
  return GdbBatchOutput{std::move(records), std::move(run.output)};
}

}  // namespace kh::test
