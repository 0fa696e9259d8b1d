// Kconfig fragments (kernel-configs/*.config, --config FILE) and the check that a final .config
// honours them, the way kunit_tool checks a .kunitconfig.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/kernel_version.h"
#include "common/result.h"

namespace kh::kernel {

// One line of a fragment or a .config: `CONFIG_<name>=<value>` or `# CONFIG_<name> is not set`.
struct ConfigEntry {
  std::string name;                  // without the CONFIG_ prefix
  std::optional<std::string> value;  // "y", "m", "0x1000", "\"text\""; nullopt: not set (or =n)
  std::string origin;                // "base.config:12", where the line was written

  // "CONFIG_X=y" or "# CONFIG_X is not set".
  std::string to_line() const;
};

// A fragment file, parsed.
struct ConfigFragment {
  std::filesystem::path path;
  std::string text;  // the raw contents: part of the cache key
  std::vector<ConfigEntry> entries;
  // From a `# kharness-versions: RANGE` header: the kernels this per-version fragment is for.
  std::optional<KernelVersionRange> versions;
};

// Parses fragment or .config text. Comments and blank lines are skipped; any other line that is not
// an assignment or a not-set line is an ErrorKind::Config error at "<origin_name>:<line>".
Result<std::vector<ConfigEntry>> parse_config_text(std::string_view text, std::string_view origin_name);
// Reads and parses a fragment file: ErrorKind::Config when it is missing or malformed.
Result<ConfigFragment> read_fragment(const std::filesystem::path& path);
// The per-version fragments of `dir`: files *.config with a `# kharness-versions:` header (other
// than base.config), sorted by file name. Fails on a malformed one. Files without the header are
// only used when a request names them (--config).
Result<std::vector<ConfigFragment>> read_version_fragments(const std::filesystem::path& dir);
// True when `fragment` is a per-version fragment whose range contains `version`.
bool applies_to(const ConfigFragment& fragment, const KernelVersion& version);

// What the fragments ask for, in order: a later fragment overrides an earlier one's line for the
// same option, as scripts/kconfig/merge_config.sh does.
std::vector<ConfigEntry> merge_fragments(std::span<const ConfigFragment> fragments);

// A fragment line that the final .config does not honour.
struct ConfigMismatch {
  enum class Reason {
    Dropped,  // asked for, but olddefconfig turned it off or left it out (dependencies not met)
    Changed,  // .config has another value (y instead of m, forced on by a select, ...)
    Unknown,  // not a Kconfig option of this kernel at all
  };
  ConfigEntry wanted;
  std::optional<std::string> actual;  // the .config value; nullopt: not set or absent
  bool in_config = false;             // .config mentions the option (set or `is not set`)
  Reason reason = Reason::Dropped;

  // One line for users: "CONFIG_TMPFS=y (base.config:40): dropped ...".
  std::string describe() const;
};

// Compares the merged fragment entries with the final .config. `is_kconfig_symbol` tells whether
// the kernel declares an option; it is only called for options the .config does not mention.
std::vector<ConfigMismatch> verify_config(std::span<const ConfigEntry> wanted,
                                          std::span<const ConfigEntry> final_config,
                                          const std::function<bool(const std::string&)>& is_kconfig_symbol);

// Every symbol declared (`config X` / `menuconfig X`) in the Kconfig files of a kernel tree.
// ErrorKind::Io when the tree cannot be walked.
Result<std::vector<std::string>> scan_kconfig_symbols(const std::filesystem::path& source_tree);

}  // namespace kh::kernel
