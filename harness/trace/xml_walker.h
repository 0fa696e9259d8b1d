// A validating walk over an XML document: every element, attribute and text is checked against
// what may appear there, and each problem is kept with its line ("did you mean" included for
// misspelt names), so that one run over a file reports all of them as one Config error.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pugixml.hpp>

#include "common/result.h"
#include "common/strings.h"

namespace kh::trace {

using Names = std::vector<std::string_view>;

// The candidate closest to a misspelt name, if it is close enough to be what the author meant
// (an edit distance of at most a third of the name, at most 3; a swap of two neighbours is 1).
std::optional<std::string_view> closest_name(std::string_view name, const Names& candidates);

// Converts byte offsets of a text to 1-based line numbers.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text);
  int line_of(std::size_t offset) const;

 private:
  std::vector<std::size_t> starts_;
};

// One XML file, parsed in place (so that every node's offset gives its line), and the problems
// found in it so far. The checks report and return; none stops the walk.
class XmlWalker {
 public:
  // `known_elements`: every element of the language, so that one in the wrong place is "not
  // allowed in" rather than "unknown".
  XmlWalker(std::string_view xml, std::string_view file_name, Names known_elements);
  XmlWalker(const XmlWalker&) = delete;
  XmlWalker& operator=(const XmlWalker&) = delete;

  // Parses the text and returns its root element when it is <root_name>; otherwise reports why
  // (malformed XML with its line, no root, another root, text or a second root beside it) and
  // returns an empty node.
  pugi::xml_node load(std::string_view root_name);

  const std::string& file() const { return file_; }
  int line_of(pugi::xml_node node) const;
  // The line of the attribute's name, or of its element when the attribute is not from the text.
  int line_of(pugi::xml_attribute attribute, pugi::xml_node owner) const;
  std::string location(int line) const;  // "file:line"
  std::string location(pugi::xml_node node) const { return location(line_of(node)); }

  void report(int line, std::string message);
  std::size_t problem_count() const { return problems_.size(); }
  // The problems as one ErrorKind::Config error, in line order: the first in the message and
  // location, the rest as "file:line: message" details; nullopt when there is none.
  std::optional<Error> error() const;

  // Reports unknown attributes (with a "did you mean") and duplicate ones; true when all are
  // allowed. The root element may also carry xmlns* and xsi:* (editors add them for the schema).
  bool check_attributes(pugi::xml_node node, const Names& allowed);
  // The trimmed value of a required, non-empty attribute; nullopt after reporting it missing or
  // empty.
  std::optional<std::string> required(pugi::xml_node node, const char* name);
  // The trimmed value of an attribute that may be absent but not empty; nullopt when absent or
  // reported empty.
  std::optional<std::string> non_empty(pugi::xml_attribute attribute, pugi::xml_node node);
  // The value among `choices` that the (trimmed) attribute names; nullopt after reporting "bad
  // value 'V' for attribute 'A' on <E> (expected EXPECTED)". The attribute must be present.
  template <typename T>
  std::optional<T> choice(pugi::xml_attribute attribute, pugi::xml_node node,
                          std::initializer_list<std::pair<std::string_view, T>> choices, std::string_view expected);

  // Reports a child element that is not allowed in `parent` (with a "did you mean" among `allowed`).
  void reject_element(pugi::xml_node child, pugi::xml_node parent, const Names& allowed);
  // Reports text that is not white space.
  void reject_text(pugi::xml_node text, pugi::xml_node parent);
  // Reports any content of an element that takes none.
  void reject_content(pugi::xml_node node);
  // The text content of an element that holds only text; child elements are reported.
  std::string text_of(pugi::xml_node node);
  // Calls `on_element` for each child element of `parent` named in `allowed`, and reports every
  // other child element and any text.
  template <typename OnElement>
  void for_each_child(pugi::xml_node parent, const Names& allowed, OnElement on_element);

 private:
  void report_bad_value(pugi::xml_attribute attribute, pugi::xml_node node, std::string_view expected);

  struct Problem {
    int line = 0;
    std::string message;
  };
  std::string file_;
  std::string buffer_;  // parsed in place: pugixml's strings point into it
  LineIndex lines_;
  Names known_elements_;
  pugi::xml_document document_;
  std::vector<Problem> problems_;
};

template <typename T>
std::optional<T> XmlWalker::choice(pugi::xml_attribute attribute, pugi::xml_node node,
                                   std::initializer_list<std::pair<std::string_view, T>> choices,
                                   std::string_view expected) {
  const std::string_view value = trim(attribute.value());
  for (const auto& [name, result] : choices) {
    if (value == name) {
      return result;
    }
  }
  report_bad_value(attribute, node, expected);
  return std::nullopt;
}

template <typename OnElement>
void XmlWalker::for_each_child(pugi::xml_node parent, const Names& allowed, OnElement on_element) {
  for (pugi::xml_node child : parent.children()) {
    if (child.type() == pugi::node_element) {
      if (std::find(allowed.begin(), allowed.end(), std::string_view(child.name())) != allowed.end()) {
        on_element(child);
      } else {
        reject_element(child, parent, allowed);
      }
    } else if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      reject_text(child, parent);
    }
  }
}

}  // namespace kh::trace
