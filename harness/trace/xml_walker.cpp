#include "trace/xml_walker.h"

#include <algorithm>
#include <iterator>
#include <set>

namespace kh::trace {
namespace {

// Edits (insert, delete, replace, swap two neighbours) between two names: the usual typos cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

bool contains(const Names& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::optional<std::string_view> closest_name(std::string_view name, const Names& candidates) {
  std::optional<std::string_view> best;
  std::size_t limit = std::min<std::size_t>(3, std::max<std::size_t>(1, name.size() / 3));
  std::size_t best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    std::size_t distance = edit_distance(name, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

LineIndex::LineIndex(std::string_view text) {
  starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') starts_.push_back(i + 1);
  }
}

int LineIndex::line_of(std::size_t offset) const {
  auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
  return static_cast<int>(std::distance(starts_.begin(), it));
}

XmlWalker::XmlWalker(std::string_view xml, std::string_view file_name, Names known_elements)
    : file_(file_name), buffer_(xml), lines_(xml), known_elements_(std::move(known_elements)) {}

pugi::xml_node XmlWalker::load(std::string_view root_name) {
  // Parsed in place so that every name and value points into buffer_: their offsets give the
  // line of each element and each attribute.
  pugi::xml_parse_result parsed =
      document_.load_buffer_inplace(buffer_.data(), buffer_.size(), pugi::parse_default, pugi::encoding_utf8);
  if (parsed.status == pugi::status_no_document_element) {
    report(1, fmt::format("no <{}> element", root_name));
    return {};
  }
  if (!parsed) {
    report(lines_.line_of(static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, parsed.offset))),
           fmt::format("malformed XML: {}", parsed.description()));
    return {};
  }
  pugi::xml_node root;
  for (pugi::xml_node node : document_.children()) {
    if (node.type() == pugi::node_element) {
      if (root) {
        report(line_of(node), fmt::format("more than one root element (<{}> after <{}>)", node.name(), root.name()));
        continue;
      }
      root = node;
    } else if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) {
      report(line_of(node), fmt::format("text outside the <{}> element", root_name));
    }
  }
  if (!root) {
    report(1, fmt::format("no <{}> element", root_name));
    return {};
  }
  if (std::string_view(root.name()) != root_name) {
    report(line_of(root), fmt::format("the root element must be <{}>, not <{}>", root_name, root.name()));
    return {};
  }
  return root;
}

int XmlWalker::line_of(pugi::xml_node node) const {
  return lines_.line_of(static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, node.offset_debug())));
}

int XmlWalker::line_of(pugi::xml_attribute attribute, pugi::xml_node owner) const {
  const char* name = attribute.name();
  if (name >= buffer_.data() && name < buffer_.data() + buffer_.size()) {
    return lines_.line_of(static_cast<std::size_t>(name - buffer_.data()));
  }
  return line_of(owner);
}

std::string XmlWalker::location(int line) const { return fmt::format("{}:{}", file_, line); }

void XmlWalker::report(int line, std::string message) { problems_.push_back(Problem{line, std::move(message)}); }

std::optional<Error> XmlWalker::error() const {
  if (problems_.empty()) {
    return std::nullopt;
  }
  std::vector<Problem> sorted = problems_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Problem& a, const Problem& b) { return a.line < b.line; });
  Error error{ErrorKind::Config, sorted.front().message, location(sorted.front().line), {}};
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    error.details.push_back(fmt::format("{}: {}", location(sorted[i].line), sorted[i].message));
  }
  return error;
}

bool XmlWalker::check_attributes(pugi::xml_node node, const Names& allowed) {
  bool ok = true;
  std::set<std::string_view> seen;
  for (pugi::xml_attribute attribute : node.attributes()) {
    std::string_view name = attribute.name();
    if (!seen.insert(name).second) {
      report(line_of(attribute, node), fmt::format("duplicate attribute '{}' on <{}>", name, node.name()));
      ok = false;
      continue;
    }
    if (contains(allowed, name)) {
      continue;
    }
    // Editors add these to point at the schema.
    if (node == document_.document_element() && (name.starts_with("xmlns") || name.starts_with("xsi:"))) {
      continue;
    }
    std::string message = fmt::format("unknown attribute '{}' on <{}>", name, node.name());
    if (auto guess = closest_name(name, allowed)) {
      message += fmt::format(" (did you mean '{}'?)", *guess);
    }
    report(line_of(attribute, node), std::move(message));
    ok = false;
  }
  return ok;
}

std::optional<std::string> XmlWalker::required(pugi::xml_node node, const char* name) {
  pugi::xml_attribute attribute = node.attribute(name);
  if (!attribute) {
    report(line_of(node), fmt::format("missing attribute '{}' on <{}>", name, node.name()));
    return std::nullopt;
  }
  return non_empty(attribute, node);
}

std::optional<std::string> XmlWalker::non_empty(pugi::xml_attribute attribute, pugi::xml_node node) {
  if (!attribute) {
    return std::nullopt;
  }
  std::string_view value = trim(attribute.value());
  if (value.empty()) {
    report(line_of(attribute, node), fmt::format("attribute '{}' on <{}> is empty", attribute.name(), node.name()));
    return std::nullopt;
  }
  return std::string(value);
}

void XmlWalker::report_bad_value(pugi::xml_attribute attribute, pugi::xml_node node, std::string_view expected) {
  report(line_of(attribute, node), fmt::format("bad value '{}' for attribute '{}' on <{}> (expected {})",
                                               trim(attribute.value()), attribute.name(), node.name(), expected));
}

void XmlWalker::reject_element(pugi::xml_node child, pugi::xml_node parent, const Names& allowed) {
  std::string_view name = child.name();
  if (contains(known_elements_, name)) {
    report(line_of(child), fmt::format("element <{}> is not allowed in <{}>", name, parent.name()));
    return;
  }
  std::string message = fmt::format("unknown element <{}> in <{}>", name, parent.name());
  if (auto guess = closest_name(name, allowed)) {
    message += fmt::format(" (did you mean <{}>?)", *guess);
  }
  report(line_of(child), std::move(message));
}

void XmlWalker::reject_text(pugi::xml_node text, pugi::xml_node parent) {
  std::string_view value = trim(text.value());
  if (value.empty()) {
    return;
  }
  std::string shown(value.substr(0, 40));
  report(line_of(text),
         fmt::format("unexpected text '{}{}' in <{}>", shown, value.size() > 40 ? "..." : "", parent.name()));
}

void XmlWalker::reject_content(pugi::xml_node node) {
  for_each_child(node, {}, [](pugi::xml_node) {});
}

std::string XmlWalker::text_of(pugi::xml_node node) {
  std::string text;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text += child.value();
    } else if (child.type() == pugi::node_element) {
      reject_element(child, node, {});
    }
  }
  return text;
}

}  // namespace kh::trace
