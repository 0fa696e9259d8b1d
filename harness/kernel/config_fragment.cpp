#include "kernel/config_fragment.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <unordered_map>

#include "common/file_io.h"
#include "common/strings.h"

namespace kh::kernel {
namespace {

constexpr std::string_view kVersionsHeader = "# kharness-versions:";

bool is_symbol_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_symbol(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_symbol_char);
}

// "# CONFIG_X is not set" -> "X"; anything else -> empty.
std::string_view not_set_name(std::string_view line) {
  constexpr std::string_view kPrefix = "# CONFIG_";
  constexpr std::string_view kSuffix = " is not set";
  if (!line.starts_with(kPrefix) || !line.ends_with(kSuffix)) {
    return {};
  }
  std::string_view name = line.substr(kPrefix.size(), line.size() - kPrefix.size() - kSuffix.size());
  return is_symbol(name) ? name : std::string_view{};
}

// A line as an error message may show it: bytes outside printable ASCII as \xNN (a binary file must
// not send control characters to the terminal), cut after kShownLineLength characters.
constexpr std::size_t kShownLineLength = 80;
std::string shown_line(std::string_view line) {
  std::string shown;
  for (char c : line) {
    if (shown.size() >= kShownLineLength) {
      shown += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      shown.push_back(c);
    } else {
      shown += fmt::format("\\x{:02x}", byte);
    }
  }
  return shown;
}

Result<std::string> read_text(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) {
    Error error = make_error(ErrorKind::Config, "cannot read config fragment {}", path.string());
    error.details.push_back(text.error().message);
    return error;
  }
  return std::move(text).value();
}

}  // namespace

std::string ConfigEntry::to_line() const {
  if (!value) {
    return fmt::format("# CONFIG_{} is not set", name);
  }
  return fmt::format("CONFIG_{}={}", name, *value);
}

Result<std::vector<ConfigEntry>> parse_config_text(std::string_view text, std::string_view origin_name) {
  std::vector<ConfigEntry> entries;
  std::size_t line_number = 0;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;
    std::string origin = fmt::format("{}:{}", origin_name, line_number);
    if (line.empty()) {
      continue;
    }
    if (line.front() == '#') {
      std::string_view name = not_set_name(line);
      if (!name.empty()) {
        entries.push_back(ConfigEntry{std::string(name), std::nullopt, origin});
      }
      continue;
    }
    std::size_t equals = line.find('=');
    std::string_view name = line.substr(0, equals);
    if (equals == std::string_view::npos || !name.starts_with("CONFIG_") || !is_symbol(name.substr(7)) ||
        trim(line.substr(equals + 1)).empty()) {
      Error error = make_error(ErrorKind::Config,
                               "'{}' is not a Kconfig line (expected CONFIG_NAME=value or "
                               "'# CONFIG_NAME is not set')",
                               shown_line(line));
      error.location = origin;
      return error;
    }
    std::string value(trim(line.substr(equals + 1)));
    // Kconfig reads =n as "not set"; keeping one spelling makes comparisons simple.
    std::optional<std::string> stored = value == "n" ? std::nullopt : std::optional<std::string>(value);
    entries.push_back(ConfigEntry{std::string(name.substr(7)), stored, origin});
  }
  return entries;
}

Result<ConfigFragment> read_fragment(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorKind::Config, "config fragment {} does not exist or is not a file", path.string());
  }
  ConfigFragment fragment;
  fragment.path = path;
  KH_ASSIGN_OR_RETURN(fragment.text, read_text(path));
  KH_ASSIGN_OR_RETURN(fragment.entries, parse_config_text(fragment.text, path.filename().string()));
  std::istringstream lines(fragment.text);
  std::string line;
  for (std::size_t number = 1; std::getline(lines, line); ++number) {
    std::string_view view = trim(line);
    if (!view.starts_with(kVersionsHeader)) {
      continue;
    }
    auto range = KernelVersionRange::parse(trim(view.substr(kVersionsHeader.size())));
    if (!range) {
      Error error = std::move(range).error();
      error.location = fmt::format("{}:{}", path.string(), number);
      return error;
    }
    fragment.versions = std::move(*range);
    break;
  }
  return fragment;
}

bool applies_to(const ConfigFragment& fragment, const KernelVersion& version) {
  return fragment.versions && fragment.versions->contains(version);
}

Result<std::vector<ConfigFragment>> read_version_fragments(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> paths;
  for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
    const auto& path = item.path();
    if (path.extension() == ".config" && path.filename() != "base.config") {
      paths.push_back(path);
    }
  }
  if (ec) {
    return make_error(ErrorKind::Config, "cannot list config fragments in {}: {}", dir.string(),
                      ec.message());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<ConfigFragment> selected;
  for (const auto& path : paths) {
    KH_ASSIGN_OR_RETURN(ConfigFragment fragment, read_fragment(path));
    if (fragment.versions) {
      selected.push_back(std::move(fragment));
    }
  }
  return selected;
}

std::vector<ConfigEntry> merge_fragments(std::span<const ConfigFragment> fragments) {
  std::vector<ConfigEntry> merged;
  std::unordered_map<std::string, std::size_t> index;
  for (const auto& fragment : fragments) {
    for (const auto& entry : fragment.entries) {
      auto [it, inserted] = index.emplace(entry.name, merged.size());
      if (inserted) {
        merged.push_back(entry);
      } else {
        merged[it->second] = entry;
      }
    }
  }
  return merged;
}

std::string ConfigMismatch::describe() const {
  std::string wanted_line = fmt::format("{} ({})", wanted.to_line(), wanted.origin);
  std::string found =
      actual ? fmt::format("CONFIG_{}={}", wanted.name, *actual)
             : (in_config ? fmt::format("'# CONFIG_{} is not set'", wanted.name) : std::string("nothing"));
  switch (reason) {
    case Reason::Dropped:
      return fmt::format("{}: dropped by olddefconfig (dependencies not met?), .config has {}", wanted_line,
                         found);
    case Reason::Changed:
      return fmt::format("{}: .config has {} instead", wanted_line, found);
    case Reason::Unknown:
      return fmt::format("{}: not a Kconfig option of this kernel", wanted_line);
  }
  return wanted_line;
}

std::vector<ConfigMismatch> verify_config(std::span<const ConfigEntry> wanted,
                                          std::span<const ConfigEntry> final_config,
                                          const std::function<bool(const std::string&)>& is_kconfig_symbol) {
  std::unordered_map<std::string, const ConfigEntry*> actual;
  for (const auto& entry : final_config) {
    actual[entry.name] = &entry;
  }
  std::vector<ConfigMismatch> mismatches;
  for (const auto& entry : wanted) {
    auto it = actual.find(entry.name);
    const ConfigEntry* found = it == actual.end() ? nullptr : it->second;
    if (found != nullptr && found->value == entry.value) {
      continue;
    }
    ConfigMismatch mismatch;
    mismatch.wanted = entry;
    mismatch.in_config = found != nullptr;
    mismatch.actual = found != nullptr ? found->value : std::nullopt;
    if (found == nullptr) {
      // Kconfig leaves out options whose dependencies fail: for "not set" that is what was asked.
      if (is_kconfig_symbol(entry.name)) {
        if (!entry.value) {
          continue;
        }
        mismatch.reason = ConfigMismatch::Reason::Dropped;
      } else {
        mismatch.reason = ConfigMismatch::Reason::Unknown;
      }
    } else if (entry.value && !found->value) {
      mismatch.reason = ConfigMismatch::Reason::Dropped;
    } else {
      mismatch.reason = ConfigMismatch::Reason::Changed;
    }
    mismatches.push_back(std::move(mismatch));
  }
  return mismatches;
}

Result<std::vector<std::string>> scan_kconfig_symbols(const std::filesystem::path& source_tree) {
  std::vector<std::string> symbols;
  std::error_code ec;
  auto options = std::filesystem::directory_options::skip_permission_denied;
  std::filesystem::recursive_directory_iterator it(source_tree, options, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot walk {}: {}", source_tree.string(), ec.message());
  }
  for (; it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      return make_error(ErrorKind::Io, "cannot walk {}: {}", source_tree.string(), ec.message());
    }
    const auto& path = it->path();
    std::string filename = path.filename().string();
    if (it->is_directory(ec)) {
      if (filename == ".git") {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!filename.starts_with("Kconfig")) {
      continue;
    }
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      std::string_view view = trim(line);
      for (std::string_view keyword : {"config", "menuconfig"}) {
        if (view.starts_with(keyword) && view.size() > keyword.size() &&
            (view[keyword.size()] == ' ' || view[keyword.size()] == '\t')) {
          std::string_view name = trim(view.substr(keyword.size()));
          if (is_symbol(name)) {
            symbols.emplace_back(name);
          }
        }
      }
    }
  }
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  return symbols;
}

}  // namespace kh::kernel
