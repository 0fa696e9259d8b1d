#include "trace/mount_table.h"

#include <algorithm>
#include <charconv>

#include "trace/gdb_value.h"

namespace kh::trace {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t end = line.find(' ', i);
    end = end == std::string_view::npos ? line.size() : end;
    words.push_back(line.substr(i, end - i));
    i = end;
  }
  return words;
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// A path field: `\ooo` escapes become their byte.
std::optional<std::string> unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out += field[i];
      continue;
    }
    if (field.size() - i < 4) {
      return std::nullopt;
    }
    int value = 0;
    for (std::size_t k = 1; k <= 3; ++k) {
      char digit = field[i + k];
      if (digit < '0' || digit > '7') {
        return std::nullopt;
      }
      value = value * 8 + (digit - '0');
    }
    if (value > 0xff) {
      return std::nullopt;
    }
    out += static_cast<char>(value);
    i += 3;
  }
  return out;
}

Error line_error(std::size_t line_number, std::string_view what, std::string_view line) {
  return make_error(ErrorKind::Parse, "mount table line {}: {}: '{}'", line_number, what, line);
}

Result<MountEntry> parse_entry(std::string_view line, std::size_t line_number) {
  std::vector<std::string_view> words = split_words(line);
  if (words.size() < 7) {
    return line_error(line_number, "expected id, parent id, mount point, root, device, fs type, propagation",
                      line);
  }
  MountEntry entry;
  auto id = parse_int(words[0]);
  auto parent = parse_int(words[1]);
  if (!id || !parent) {
    return line_error(line_number, "bad mount id", line);
  }
  entry.id = *id;
  entry.parent_id = *parent;
  std::string* fields[] = {&entry.mount_point, &entry.root, &entry.device, &entry.fs_type};
  for (std::size_t k = 0; k < std::size(fields); ++k) {
    auto text = unescape(words[2 + k]);
    if (!text) {
      return line_error(line_number, "bad escape", line);
    }
    *fields[k] = std::move(*text);
  }
  for (std::size_t k = 6; k < words.size(); ++k) {
    std::string_view tag = words[k];
    if (tag == "private" && words.size() == 7) {
      continue;
    }
    if (tag == "unbindable") {
      entry.unbindable = true;
      continue;
    }
    std::optional<int>* group = tag.starts_with("shared:")   ? &entry.shared_group
                                : tag.starts_with("master:") ? &entry.master_group
                                                             : nullptr;
    std::optional<int> number = group != nullptr ? parse_int(tag.substr(7)) : std::nullopt;
    if (group == nullptr || !number || group->has_value()) {
      return line_error(line_number, "bad propagation", line);
    }
    *group = *number;
  }
  return entry;
}

}  // namespace

std::string MountEntry::propagation() const {
  std::string text;
  auto add = [&text](const std::string& tag) { text += (text.empty() ? "" : " ") + tag; };
  if (shared_group) {
    add("shared:" + std::to_string(*shared_group));
  }
  if (master_group) {
    add("master:" + std::to_string(*master_group));
  }
  if (unbindable) {
    add("unbindable");
  }
  return text.empty() ? "private" : text;
}

const MountEntry* MountTable::find(int id) const {
  auto it = std::find_if(mounts.begin(), mounts.end(), [id](const MountEntry& m) { return m.id == id; });
  return it == mounts.end() ? nullptr : &*it;
}

Result<MountTable> parse_mount_table(std::string_view text) {
  MountTable table;
  std::size_t line_number = 0;
  bool header = false;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (!header) {
      std::vector<std::string_view> words = split_words(line);
      if (words.size() != 2 || words[0] != kMountTableHeader || !words[1].starts_with("mnt_ns=") ||
          words[1].size() == 7) {
        return make_error(ErrorKind::Parse, "not a mount table: expected '{} mnt_ns=INUM', got '{}'",
                          kMountTableHeader, line);
      }
      table.namespace_id = std::string(words[1].substr(7));
      header = true;
      continue;
    }
    if (line.find_first_not_of(' ') == std::string_view::npos) {
      continue;
    }
    KH_ASSIGN_OR_RETURN(MountEntry entry, parse_entry(line, line_number));
    table.mounts.push_back(std::move(entry));
  }
  if (!header) {
    return make_error(ErrorKind::Parse, "not a mount table: the text is empty");
  }
  return table;
}

bool is_mount_table_value(std::string_view gdb_value) {
  std::optional<GdbString> string = c_string(gdb_value);
  return string && std::string_view(string->text).starts_with(kMountTableHeader);
}

Result<MountTable> mount_table_from_value(std::string_view gdb_value) {
  std::optional<GdbString> string = c_string(gdb_value);
  if (!string) {
    return make_error(ErrorKind::Parse, "not a mount table: the value holds no string");
  }
  if (string->truncated) {
    return make_error(ErrorKind::Parse, "mount table cut short by gdb ({} characters printed)",
                      string->text.size());
  }
  return parse_mount_table(string->text);
}

std::vector<MountChange> diff_mount_tables(const MountTable& before, const MountTable& after) {
  auto same_mount = [](const MountEntry& a, const MountEntry& b) {
    return a.id == b.id && a.fs_type == b.fs_type && a.root == b.root;
  };
  auto counterpart = [&](const MountEntry& entry, const MountTable& other) -> const MountEntry* {
    const MountEntry* found = other.find(entry.id);
    return found != nullptr && same_mount(entry, *found) ? found : nullptr;
  };
  std::vector<MountChange> changes;
  for (const MountEntry& old : before.mounts) {
    if (counterpart(old, after) == nullptr) {
      changes.push_back(MountChange{MountChange::Kind::Removed, old, {}, {}});
    }
  }
  for (const MountEntry& now : after.mounts) {
    const MountEntry* old = counterpart(now, before);
    if (old == nullptr) {
      changes.push_back(MountChange{MountChange::Kind::Added, {}, now, {}});
      continue;
    }
    std::vector<std::string> fields;
    if (old->mount_point != now.mount_point)
      fields.emplace_back("mount point");
    if (old->parent_id != now.parent_id)
      fields.emplace_back("parent");
    if (old->device != now.device)
      fields.emplace_back("device");
    if (old->propagation() != now.propagation())
      fields.emplace_back("propagation");
    if (!fields.empty()) {
      changes.push_back(MountChange{MountChange::Kind::Changed, *old, now, std::move(fields)});
    }
  }
  return changes;
}

}  // namespace kh::trace
