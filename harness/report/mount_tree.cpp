#include "report/mount_tree.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "report/html_text.h"

namespace kh::report {
namespace {

using trace::MountChange;
using trace::MountEntry;

constexpr double kMonoCharWidth = 0.61 * 12;  // monospace 12 px, as the style sheet sets
constexpr double kRowHeight = 24;
constexpr double kIndent = 18;
constexpr double kTableMargin = 10;
constexpr double kColumnGap = 16;

struct Row {
  const MountEntry* entry = nullptr;
  std::optional<MountChange::Kind> kind;
  std::string note;
  int depth = 0;
  std::optional<std::size_t> parent_row;
};

double text_width(std::string_view text) {
  return static_cast<double>(display_length(text)) * kMonoCharWidth;
}

// findmnt's SOURCE: the device, and the mounted directory when it is not the file system's root.
std::string source_of(const MountEntry& mount) {
  return mount.root == "/" ? mount.device : fmt::format("{}[{}]", mount.device, mount.root);
}

std::string change_note(const MountChange& change) {
  switch (change.kind) {
    case MountChange::Kind::Added:
      return "+ added";
    case MountChange::Kind::Removed:
      return "- removed";
    case MountChange::Kind::Changed:
      break;
  }
  std::vector<std::string> parts;
  for (const std::string& field : change.fields) {
    if (field == "mount point") {
      parts.push_back(fmt::format("moved from {}", change.before.mount_point));
    } else if (field == "parent") {
      parts.push_back(fmt::format("parent was #{}", change.before.parent_id));
    } else if (field == "device") {
      parts.push_back(fmt::format("device was {}", change.before.device));
    } else if (field == "propagation") {
      parts.push_back(fmt::format("was {}", change.before.propagation()));
    }
  }
  return fmt::format("~ {}", fmt::join(parts, ", "));
}

std::string_view kind_class(const std::optional<MountChange::Kind>& kind) {
  if (!kind)
    return "";
  switch (*kind) {
    case MountChange::Kind::Added:
      return " added";
    case MountChange::Kind::Removed:
      return " removed";
    case MountChange::Kind::Changed:
      return " changed";
  }
  return "";
}

// The rows in tree order: the mounts of the table and the removed ones, each under its parent.
std::vector<Row> tree_rows(const trace::MountTable& table, const std::vector<MountChange>& changes) {
  std::vector<Row> nodes;
  std::map<int, const MountChange*> change_of;  // by id, for mounts of `table`
  for (const MountChange& change : changes) {
    if (change.kind != MountChange::Kind::Removed) {
      change_of[change.after.id] = &change;
    }
  }
  for (const MountEntry& mount : table.mounts) {
    Row row;
    row.entry = &mount;
    if (auto it = change_of.find(mount.id); it != change_of.end()) {
      row.kind = it->second->kind;
      row.note = change_note(*it->second);
    }
    nodes.push_back(std::move(row));
  }
  for (const MountChange& change : changes) {
    if (change.kind == MountChange::Kind::Removed) {
      nodes.push_back(Row{&change.before, change.kind, change_note(change), 0, std::nullopt});
    }
  }
  // A parent id names the present mount with that id, else a removed one.
  std::map<int, std::size_t> node_of_id;
  for (std::size_t i = nodes.size(); i-- > 0;) {
    node_of_id[nodes[i].entry->id] = i;
  }
  std::vector<std::vector<std::size_t>> children(nodes.size());
  std::vector<std::size_t> roots;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto parent = node_of_id.find(nodes[i].entry->parent_id);
    if (parent == node_of_id.end() || parent->second == i) {
      roots.push_back(i);
    } else {
      children[parent->second].push_back(i);
    }
  }
  std::vector<Row> rows;
  std::vector<bool> placed(nodes.size(), false);
  auto visit = [&](auto& self, std::size_t id, int depth, std::optional<std::size_t> parent_row) -> void {
    if (placed[id])
      return;  // a cycle of parent ids: each mount once
    placed[id] = true;
    Row row = nodes[id];
    row.depth = depth;
    row.parent_row = parent_row;
    rows.push_back(std::move(row));
    std::size_t here = rows.size() - 1;
    for (std::size_t child : children[id]) {
      self(self, child, depth + 1, here);
    }
  };
  for (std::size_t root : roots) {
    visit(visit, root, 0, std::nullopt);
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {  // mounts in a parent cycle, at the top level
    visit(visit, i, 0, std::nullopt);
  }
  return rows;
}

std::string px(double value) {
  return fmt::format("{:.1f}", value);
}

// What a row shows of its mount point: the part below its parent's ("/home/a" under "/data"
// shows "/home/a"), the whole path for a mount stacked on its parent's mount point and for the
// children of "/". The picture's title and data-mount-point have the whole path.
std::string shown_path(const std::vector<Row>& rows, const Row& row) {
  const std::string& path = row.entry->mount_point;
  if (!row.parent_row)
    return path;
  const std::string& parent = rows[*row.parent_row].entry->mount_point;
  if (parent != "/" && path.size() > parent.size() && path.compare(0, parent.size(), parent) == 0 &&
      path[parent.size()] == '/') {
    return path.substr(parent.size());
  }
  return path;
}

}  // namespace

MountTreePicture mount_tree_svg(const trace::MountTable& table, const std::vector<MountChange>& changes,
                                const std::string& title) {
  std::vector<Row> rows = tree_rows(table, changes);

  const std::vector<std::string> headings = {"mount point (id)", "type", "source", "propagation"};
  std::vector<double> widths(headings.size(), 0);
  for (std::size_t k = 0; k < headings.size(); ++k) {
    widths[k] = text_width(headings[k]);
  }
  double notes = 0;
  for (const Row& row : rows) {
    double label =
        text_width(shown_path(rows, row)) + text_width(fmt::format(" #{}", row.entry->id)) * 11 / 12;
    widths[0] = std::max(widths[0], row.depth * kIndent + 14 + label);
    widths[1] = std::max(widths[1], text_width(row.entry->fs_type));
    widths[2] = std::max(widths[2], text_width(source_of(*row.entry)));
    widths[3] = std::max(widths[3], text_width(row.entry->propagation()));
    notes = std::max(notes, text_width(row.note));
  }
  std::vector<double> column_x(headings.size());
  double x = kTableMargin;
  for (std::size_t k = 0; k < widths.size(); ++k) {
    column_x[k] = x;
    x += widths[k] + kColumnGap;
  }
  double note_x = x;
  double width = note_x + notes + kTableMargin;
  double height = kTableMargin + kRowHeight * static_cast<double>(rows.size() + 1) + kTableMargin;

  std::string svg;
  auto out = std::back_inserter(svg);
  fmt::format_to(out,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"mount-tree\" width=\"{}\" height=\"{}\" "
                 "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n",
                 px(width), px(height), px(width), px(height), html_escape(title), html_escape(title));
  double heading_y = kTableMargin + kRowHeight / 2 + 4;
  svg += "<g class=\"heading\">";
  for (std::size_t k = 0; k < headings.size(); ++k) {
    fmt::format_to(out, "<text x=\"{}\" y=\"{}\">{}</text>", px(column_x[k]), px(heading_y), headings[k]);
  }
  svg += "</g>\n";

  auto centre_of = [](std::size_t row) {
    return kTableMargin + kRowHeight * (static_cast<double>(row) + 1.5);
  };
  auto bullet_x = [](int depth) { return kTableMargin + 4 + depth * kIndent; };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    const MountEntry& mount = *row.entry;
    double cy = centre_of(i);
    double baseline = cy + 4;
    fmt::format_to(out, "<g class=\"mount{}\" data-mount-point=\"{}\" data-id=\"{}\">", kind_class(row.kind),
                   html_escape(mount.mount_point), mount.id);
    fmt::format_to(out, "<title>{} on {} type {} ({}), mount #{} on #{}{}</title>",
                   html_escape(source_of(mount)), html_escape(mount.mount_point), html_escape(mount.fs_type),
                   html_escape(mount.propagation()), mount.id, mount.parent_id,
                   row.note.empty() ? "" : ": " + html_escape(row.note));
    if (row.kind) {
      fmt::format_to(out, "<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\"/>",
                     px(kTableMargin / 2), px(cy - kRowHeight / 2 + 1), px(width - kTableMargin),
                     px(kRowHeight - 2));
    }
    if (row.parent_row) {
      double parent_x = bullet_x(rows[*row.parent_row].depth);
      double parent_y = centre_of(*row.parent_row);
      fmt::format_to(out, "<path class=\"link\" d=\"M{} {} V{} H{}\"/>", px(parent_x), px(parent_y + 4),
                     px(cy), px(bullet_x(row.depth) - 4));
    }
    fmt::format_to(out, "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\"/>", px(bullet_x(row.depth)), px(cy));
    fmt::format_to(out, "<text class=\"path\" x=\"{}\" y=\"{}\">{}<tspan class=\"id\"> #{}</tspan></text>",
                   px(bullet_x(row.depth) + 10), px(baseline), html_escape(shown_path(rows, row)), mount.id);
    const std::string cells[] = {mount.fs_type, source_of(mount), mount.propagation()};
    const char* cell_classes[] = {"type", "source", "propagation"};
    for (std::size_t k = 0; k < std::size(cells); ++k) {
      fmt::format_to(out, "<text class=\"{}\" x=\"{}\" y=\"{}\">{}</text>", cell_classes[k],
                     px(column_x[k + 1]), px(baseline), html_escape(cells[k]));
    }
    if (!row.note.empty()) {
      fmt::format_to(out, "<text class=\"note\" x=\"{}\" y=\"{}\">{}</text>", px(note_x), px(baseline),
                     html_escape(row.note));
    }
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return MountTreePicture{std::move(svg), width};
}

}  // namespace kh::report
