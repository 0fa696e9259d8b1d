// The call tree of a breakpoint: the call chains of its hits merged into one tree rooted at the
// outermost frames (the syscall entry), each path ending at the breakpoint's function, and its
// picture as inline SVG for the HTML reports.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "trace/trace_model.h"

namespace kh::report {

// How a frame compares with the other side of a `kharness diff` (FrameChange::Kind, seen from one
// side). Same for run reports.
enum class FrameMark { Same, Removed, Added, Renamed };

// A node: one function at one place in the merged chains.
struct CallTreeNode {
  std::string func;
  std::vector<std::string> locations;  // distinct "file:line" of its frames, first seen first
  int hits = 0;                        // hits whose chain passes through it
  bool faded = false;                  // a syscall-entry or `??` frame (hidden_frames.h)
  FrameMark mark = FrameMark::Same;    // Same when one of its frames is; else its first frame's
  std::string note;                    // why it is marked ("renamed from _do_fork")
  std::vector<int> ending_hits;        // Hit::index of the hits whose chain ends here (frame 0)
  std::vector<std::size_t> children;   // in order of first appearance
};

struct CallTree {
  std::vector<CallTreeNode> nodes;
  std::vector<std::size_t> roots;
  int hits = 0;                 // every hit given
  int hits_without_frames = 0;  // hits whose backtrace was empty (not in the tree)

  // The nodes where some chain ends, in the order the picture draws them (left to right).
  std::vector<std::size_t> ends() const;
};

// The mark and its note for frame `level` (0 innermost) of `hit`.
struct FrameMarking {
  FrameMark mark = FrameMark::Same;
  std::string note;
};
using FrameMarker = std::function<FrameMarking(const trace::Hit& hit, std::size_t level)>;

// Merges the chains of `hits` (identical prefixes from the outermost frame share nodes). `marker`,
// when given, marks frames for a diff. Pure; cannot fail.
CallTree build_call_tree(const std::vector<const trace::Hit*>& hits, const FrameMarker& marker = {});

// How the picture links and names things.
struct CallTreeSvgOptions {
  std::string css_class = "call-tree";
  std::string title;       // the accessible name of the picture
  std::string breakpoint;  // written as data-breakpoint
  // The link of an end node (a breakpoint function where chains end), e.g. "#hits-x-0"; no link
  // when empty or unset.
  std::function<std::string(std::size_t node, std::size_t end_number)> end_link;
};

// The tree as an <svg> element (CSS classes for colours; the page's style sheet gives them), top
// down from the outermost frames: each node a box with its function, <title> with its file:line
// and hit count; each edge labelled with its hit count, thicker for more hits; faded and marked
// nodes by class. Sized in px to its content; the page scrolls wide trees. Pure.
std::string call_tree_svg(const CallTree& tree, const CallTreeSvgOptions& options);

}  // namespace kh::report
