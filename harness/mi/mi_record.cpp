#include "mi/mi_record.h"

#include <charconv>

namespace kh::mi {
namespace {

// A function-local static, so that it exists before any static initialiser elsewhere could call
// str() on a non-string.
const std::string& empty_string() {
  static const std::string empty;
  return empty;
}

const Value& find_in(const Tuple& tuple, std::string_view key) {
  for (const auto& [name, value] : tuple.fields) {
    if (name == key) {
      return value;
    }
  }
  return empty_value();
}

}  // namespace

std::optional<std::uint64_t> token_number(std::string_view token) {
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), number);
  if (token.empty() || error != std::errc() || end != token.data() + token.size()) {
    return std::nullopt;
  }
  return number;
}

const std::string& Value::str() const {
  if (const auto* text = std::get_if<std::string>(&data)) {
    return *text;
  }
  return empty_string();
}

const Value& Value::get(std::string_view key) const {
  const Value* found = find(key);
  return found != nullptr ? *found : empty_value();
}

const Value* Value::find(std::string_view key) const {
  if (const auto* tuple = std::get_if<Tuple>(&data)) {
    for (const auto& [name, value] : tuple->fields) {
      if (name == key) {
        return &value;
      }
    }
    return nullptr;
  }
  if (const auto* list = std::get_if<List>(&data)) {
    // keys is empty for a list of values, so this finds nothing there.
    for (std::size_t i = 0; i < list->keys.size() && i < list->values.size(); ++i) {
      if (list->keys[i] == key) {
        return &list->values[i];
      }
    }
  }
  return nullptr;
}

std::vector<const Value*> Value::get_all(std::string_view key) const {
  std::vector<const Value*> found;
  if (const auto* tuple = std::get_if<Tuple>(&data)) {
    for (const auto& [name, value] : tuple->fields) {
      if (name == key) {
        found.push_back(&value);
      }
    }
  } else if (const auto* list = std::get_if<List>(&data)) {
    for (std::size_t i = 0; i < list->keys.size() && i < list->values.size(); ++i) {
      if (list->keys[i] == key) {
        found.push_back(&list->values[i]);
      }
    }
  }
  return found;
}

const Value& Value::at(std::size_t index) const {
  if (const auto* list = std::get_if<List>(&data)) {
    return index < list->values.size() ? list->values[index] : empty_value();
  }
  if (const auto* tuple = std::get_if<Tuple>(&data)) {
    return index < tuple->fields.size() ? tuple->fields[index].value : empty_value();
  }
  return empty_value();
}

std::size_t Value::size() const {
  if (const auto* list = std::get_if<List>(&data)) {
    return list->values.size();
  }
  if (const auto* tuple = std::get_if<Tuple>(&data)) {
    return tuple->fields.size();
  }
  return 0;
}

const Value& ResultRecord::get(std::string_view key) const {
  return find_in(results, key);
}

const Value& AsyncRecord::get(std::string_view key) const {
  return find_in(results, key);
}

std::string_view to_string(ResultClass result_class) {
  switch (result_class) {
    case ResultClass::Done:
      return "done";
    case ResultClass::Running:
      return "running";
    case ResultClass::Connected:
      return "connected";
    case ResultClass::Error:
      return "error";
    case ResultClass::Exit:
      return "exit";
  }
  return "unknown";
}

}  // namespace kh::mi
