#include "report/call_tree.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "report/hidden_frames.h"
#include "report/html_text.h"

namespace kh::report {
namespace {

// Geometry of the picture, in px. Labels are monospace (the style sheet says so): every character
// is about 0.61 em wide, so box widths can be computed here.
constexpr double kFontSize = 12;
constexpr double kCharWidth = 0.61 * kFontSize;
constexpr double kBoxHeight = 24;
constexpr double kBoxPadding = 9;
constexpr double kMinBoxWidth = 64;
constexpr double kLevelHeight = 46;  // from one row of boxes to the next: room for the edge label
constexpr double kSiblingGap = 22;
constexpr double kMargin = 12;
constexpr double kEndLabelHeight = 18;  // the "2 hits" link under a chain's last frame
constexpr std::size_t kMaxLabel = 44;   // longer names are cut (the <title> has them whole)

// What a node's box says: the function, with the diff's spelling of a change.
std::string label_of(const CallTreeNode& node) {
  std::string label;
  switch (node.mark) {
    case FrameMark::Same:
      label = node.func;
      break;
    case FrameMark::Removed:
      label = "-" + node.func;
      break;
    case FrameMark::Added:
      label = "+" + node.func;
      break;
    case FrameMark::Renamed:
      label = node.note.empty() ? node.func : node.note;
      break;
  }
  if (label.size() > kMaxLabel) {
    // Cut at a character boundary of UTF-8, then mark the cut.
    std::size_t cut = kMaxLabel - 1;
    while (cut > 0 && (static_cast<unsigned char>(label[cut]) & 0xc0) == 0x80) {
      --cut;
    }
    label = label.substr(0, cut) + "\u2026";
  }
  return label;
}

std::string_view mark_class(FrameMark mark) {
  switch (mark) {
    case FrameMark::Same:
      return "";
    case FrameMark::Removed:
      return " removed";
    case FrameMark::Added:
      return " added";
    case FrameMark::Renamed:
      return " renamed";
  }
  return "";
}

std::string hits_text(int hits) {
  return fmt::format("{} hit{}", hits, hits == 1 ? "" : "s");
}

// The link text under the last frame of a chain: "hit #3" or "12 hits".
std::string end_text(const CallTreeNode& node) {
  return node.ending_hits.size() == 1 ? fmt::format("hit #{}", node.ending_hits.front())
                                      : hits_text(static_cast<int>(node.ending_hits.size()));
}

struct Layout {
  std::vector<double> box_width;
  std::vector<double> subtree_width;
  std::vector<double> x;  // centre
  std::vector<int> depth;
  int max_depth = 0;
};

class TreeLayout {
 public:
  explicit TreeLayout(const CallTree& tree) : tree_(tree) {
    std::size_t n = tree.nodes.size();
    layout_.box_width.resize(n);
    layout_.subtree_width.resize(n);
    layout_.x.resize(n);
    layout_.depth.resize(n);
  }

  Layout run() {
    for (std::size_t root : tree_.roots) {
      measure(root);
    }
    double left = kMargin;
    for (std::size_t root : tree_.roots) {
      place(root, left, 0);
      left += layout_.subtree_width[root] + kSiblingGap;
    }
    return std::move(layout_);
  }

 private:
  double measure(std::size_t id) {
    const CallTreeNode& node = tree_.nodes[id];
    double box = std::max(kMinBoxWidth,
                          static_cast<double>(display_length(label_of(node))) * kCharWidth + 2 * kBoxPadding);
    if (!node.ending_hits.empty()) {
      box = std::max(box, static_cast<double>(end_text(node).size()) * kCharWidth);
    }
    double children = 0;
    for (std::size_t child : node.children) {
      children += (children > 0 ? kSiblingGap : 0) + measure(child);
    }
    layout_.box_width[id] = box;
    layout_.subtree_width[id] = std::max(box, children);
    return layout_.subtree_width[id];
  }

  void place(std::size_t id, double left, int depth) {
    const CallTreeNode& node = tree_.nodes[id];
    layout_.depth[id] = depth;
    layout_.max_depth = std::max(layout_.max_depth, depth);
    double width = layout_.subtree_width[id];
    double centre = left + width / 2;
    if (!node.children.empty()) {
      double children = -kSiblingGap;
      for (std::size_t child : node.children) {
        children += layout_.subtree_width[child] + kSiblingGap;
      }
      double child_left = left + (width - children) / 2;
      for (std::size_t child : node.children) {
        place(child, child_left, depth + 1);
        child_left += layout_.subtree_width[child] + kSiblingGap;
      }
      // Over the middle of its children, so that a chain runs straight down; inside its own span.
      centre = (layout_.x[node.children.front()] + layout_.x[node.children.back()]) / 2;
      double half = layout_.box_width[id] / 2;
      centre = std::clamp(centre, left + half, left + width - half);
    }
    layout_.x[id] = centre;
  }

  const CallTree& tree_;
  Layout layout_;
};

double top_of(int depth) {
  return kMargin + depth * kLevelHeight;
}

std::string fmt_px(double value) {
  return fmt::format("{:.1f}", value);
}

}  // namespace

std::vector<std::size_t> CallTree::ends() const {
  std::vector<std::size_t> out;
  std::vector<std::size_t> stack(roots.rbegin(), roots.rend());
  while (!stack.empty()) {
    std::size_t id = stack.back();
    stack.pop_back();
    if (!nodes[id].ending_hits.empty()) {
      out.push_back(id);
    }
    stack.insert(stack.end(), nodes[id].children.rbegin(), nodes[id].children.rend());
  }
  return out;
}

CallTree build_call_tree(const std::vector<const trace::Hit*>& hits, const FrameMarker& marker) {
  CallTree tree;
  constexpr std::size_t kNoParent = static_cast<std::size_t>(-1);
  std::map<std::pair<std::size_t, std::string>, std::size_t> child_of;
  std::vector<bool> same;  // some frame of the node is the same on the other side
  for (const trace::Hit* hit : hits) {
    ++tree.hits;
    if (hit->frames.empty()) {
      ++tree.hits_without_frames;
      continue;
    }
    std::size_t parent = kNoParent;
    for (std::size_t level = hit->frames.size(); level-- > 0;) {
      const trace::Frame& frame = hit->frames[level];
      auto [it, fresh] = child_of.try_emplace({parent, frame.func}, tree.nodes.size());
      std::size_t id = it->second;
      if (fresh) {
        CallTreeNode node;
        node.func = frame.func;
        node.faded = is_syscall_entry_frame(frame.func);
        tree.nodes.push_back(std::move(node));
        same.push_back(false);
        (parent == kNoParent ? tree.roots : tree.nodes[parent].children).push_back(id);
      }
      CallTreeNode& node = tree.nodes[id];
      ++node.hits;
      if (!frame.file.empty()) {
        std::string location = frame.line > 0 ? fmt::format("{}:{}", frame.file, frame.line) : frame.file;
        if (std::find(node.locations.begin(), node.locations.end(), location) == node.locations.end()) {
          node.locations.push_back(std::move(location));
        }
      }
      if (marker && !same[id]) {
        FrameMarking marking = marker(*hit, level);
        if (marking.mark == FrameMark::Same) {
          same[id] = true;
          node.mark = FrameMark::Same;
          node.note.clear();
        } else if (node.mark == FrameMark::Same) {
          node.mark = marking.mark;
          node.note = std::move(marking.note);
        }
      }
      if (level == 0) {
        node.ending_hits.push_back(hit->index);
      }
      parent = id;
    }
  }
  return tree;
}

std::string call_tree_svg(const CallTree& tree, const CallTreeSvgOptions& options) {
  Layout layout = TreeLayout(tree).run();
  double width = kMargin;
  for (std::size_t root : tree.roots) {
    width += layout.subtree_width[root] + kSiblingGap;
  }
  width = std::max(width - kSiblingGap + kMargin, 2 * kMargin + kMinBoxWidth);
  double height = top_of(layout.max_depth) + kBoxHeight + kEndLabelHeight + kMargin;

  std::string svg;
  auto out = std::back_inserter(svg);
  fmt::format_to(out,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"{}\" data-breakpoint=\"{}\" width=\"{}\" "
                 "height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">\n",
                 html_escape(options.css_class), html_escape(options.breakpoint), fmt_px(width),
                 fmt_px(height), fmt_px(width), fmt_px(height), html_escape(options.title));
  fmt::format_to(out, "<title>{}</title>\n", html_escape(options.title));

  // Edges first, so that boxes are drawn over their ends.
  for (std::size_t id = 0; id < tree.nodes.size(); ++id) {
    const CallTreeNode& node = tree.nodes[id];
    double x1 = layout.x[id];
    double y1 = top_of(layout.depth[id]) + kBoxHeight;
    for (std::size_t child : node.children) {
      const CallTreeNode& to = tree.nodes[child];
      double x2 = layout.x[child];
      double y2 = top_of(layout.depth[child]);
      double mid = (y1 + y2) / 2;
      double stroke = 1.4 + 1.4 * std::log10(static_cast<double>(std::max(to.hits, 1)));
      std::string faded = node.faded && to.faded ? " faded" : "";
      fmt::format_to(out, "<g class=\"edge{}\"><path d=\"M{} {} C{} {} {} {} {} {}\" stroke-width=\"{}\"/>",
                     faded, fmt_px(x1), fmt_px(y1), fmt_px(x1), fmt_px(mid), fmt_px(x2), fmt_px(mid),
                     fmt_px(x2), fmt_px(y2), fmt_px(stroke));
      // Beside the edge's end, on the side away from the parent, clear of the curve.
      bool left = x2 < x1 - 1;
      fmt::format_to(out, "<text class=\"count{}\" x=\"{}\" y=\"{}\">\u00d7{}</text></g>\n",
                     left ? " left" : "", fmt_px(left ? x2 - 5 : x2 + 5), fmt_px(y2 - 6), to.hits);
    }
  }

  std::vector<std::size_t> ends = tree.ends();
  for (std::size_t id = 0; id < tree.nodes.size(); ++id) {
    const CallTreeNode& node = tree.nodes[id];
    double box = layout.box_width[id];
    double left = layout.x[id] - box / 2;
    double top = top_of(layout.depth[id]);
    std::string title = node.func;
    for (const std::string& location : node.locations) {
      title += "\n" + location;
    }
    title += "\n" + hits_text(node.hits);
    if (!node.note.empty()) {
      title += "\n" + node.note;
    }
    std::string classes = "node";
    classes += node.faded ? " faded" : "";
    classes += mark_class(node.mark);
    classes += node.ending_hits.empty() ? "" : " end";
    auto end = std::find(ends.begin(), ends.end(), id);
    std::string link;
    if (end != ends.end() && options.end_link) {
      link = options.end_link(id, static_cast<std::size_t>(end - ends.begin()));
    }
    if (!link.empty()) {
      fmt::format_to(out, "<a href=\"{}\">", html_escape(link));
    }
    fmt::format_to(out, "<g class=\"{}\" data-func=\"{}\"><title>{}</title>", classes, html_escape(node.func),
                   html_escape(title));
    fmt::format_to(out, "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"5\"/>", fmt_px(left),
                   fmt_px(top), fmt_px(box), fmt_px(kBoxHeight));
    fmt::format_to(out, "<text x=\"{}\" y=\"{}\">{}</text>", fmt_px(layout.x[id]),
                   fmt_px(top + kBoxHeight / 2 + kFontSize * 0.35), html_escape(label_of(node)));
    if (!node.ending_hits.empty() && node.children.empty()) {
      fmt::format_to(out, "<text class=\"hits\" x=\"{}\" y=\"{}\">{}</text>", fmt_px(layout.x[id]),
                     fmt_px(top + kBoxHeight + 14), html_escape(end_text(node)));
    }
    svg += "</g>";
    if (!link.empty()) {
      svg += "</a>";
    }
    svg += '\n';
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace kh::report
