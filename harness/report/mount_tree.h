// A mount list (<capture-mounts>) drawn as a tree for the HTML report: each mount under the
// mount it is mounted on, with its type, source, propagation and id, and the changes since the
// previous list of the same namespace marked.
#pragma once

#include <string>
#include <vector>

#include "trace/mount_table.h"

namespace kh::report {

// A drawn mount tree: the <svg> element and its width, for laying pictures out side by side.
struct MountTreePicture {
  std::string svg;
  double width = 0;  // px, as the svg element says
};

// `table` as an <svg class="mount-tree"> element: one row per mount in tree order (children in
// the kernel's order, each showing its mount point below its parent's), <g class="mount
// [added|changed|removed]" data-mount-point="(the whole path)"> per row.
// Mounts of `changes` that were removed are drawn where they were, struck through; added and
// changed ones say so, with the changed fields. Pure.
MountTreePicture mount_tree_svg(const trace::MountTable& table,
                                const std::vector<trace::MountChange>& changes, const std::string& title);

}  // namespace kh::report
