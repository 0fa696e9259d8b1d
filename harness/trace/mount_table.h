// The mount list of a namespace as <capture-mounts> records it: the text of gdb-scripts/kharness.py's
// $kh_mount_table(), parsed, and what changed between two such lists of one namespace. Pure.
//
// The text: a header line `kh-mount-table mnt_ns=INUM`, then one line per mount
//   <id> <parent-id> <mount-point> <root> <device> <fs-type> <propagation...>
// path fields with `\ooo` escapes (space, backslash, non-ASCII bytes), propagation `private` or
// tags `shared:N`, `master:N`, `unbindable`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kh::trace {

// The first word of a mount table's text.
inline constexpr std::string_view kMountTableHeader = "kh-mount-table";

// One mount, as /proc/self/mountinfo would show it from the kernel's side.
struct MountEntry {
  int id = 0;
  int parent_id = 0;        // the mount's own id for a namespace root
  std::string mount_point;  // from the root of the namespace
  std::string root;         // the directory of its file system that is mounted ("/" unless a bind)
  std::string device;
  std::string fs_type;
  std::optional<int> shared_group;  // peer group when shared
  std::optional<int> master_group;  // the peer group it is a slave of
  bool unbindable = false;

  // "shared:1 master:3", "unbindable", or "private" when it propagates nowhere.
  std::string propagation() const;

  friend bool operator==(const MountEntry&, const MountEntry&) = default;
};

struct MountTable {
  std::string namespace_id;        // the namespace's inode number, "4026531840"
  std::vector<MountEntry> mounts;  // in the order the kernel lists them

  // The mount with this id, or nullptr.
  const MountEntry* find(int id) const;

  friend bool operator==(const MountTable&, const MountTable&) = default;
};

// Parses the text of $kh_mount_table() (already unquoted). ErrorKind::Parse naming the line for
// anything else: no header, a line with too few fields, a bad number, escape or propagation tag.
Result<MountTable> parse_mount_table(std::string_view text);

// True when a capture's value as gdb printed it holds a mount table (a string starting with the
// header), whether or not it parses.
bool is_mount_table_value(std::string_view gdb_value);

// The mount table in a capture's value as gdb printed it (`"kh-mount-table mnt_ns=...\n..."`).
// ErrorKind::Parse when it holds no string, when gdb cut the string short, or as parse_mount_table.
Result<MountTable> mount_table_from_value(std::string_view gdb_value);

// How one mount differs between two lists of the same namespace.
struct MountChange {
  enum class Kind { Added, Removed, Changed };
  Kind kind = Kind::Added;
  MountEntry before;                // Removed, Changed
  MountEntry after;                 // Added, Changed
  std::vector<std::string> fields;  // Changed: "mount point", "parent", "device", "propagation"

  friend bool operator==(const MountChange&, const MountChange&) = default;
};

// What changed from `before` to `after`: mounts are the same when their id, file system type and
// root agree (the kernel reuses the ids of unmounted mounts). Removed mounts in `before`'s order,
// then changed and added ones in `after`'s. Cannot fail.
std::vector<MountChange> diff_mount_tables(const MountTable& before, const MountTable& after);

}  // namespace kh::trace
