#include "mi_parser/record_description.h"

#include <fmt/format.h>

namespace kh::mi::testing {
namespace {

std::string describe_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  return out + "\"";
}

std::string describe_results(const Tuple& tuple) {
  std::string out = "{";
  for (std::size_t i = 0; i < tuple.fields.size(); ++i) {
    const Field& field = tuple.fields[i];
    out +=
        (i > 0 ? "," : "") + (field.name.empty() ? std::string() : field.name + ":") + describe(field.value);
  }
  return out + "}";
}

std::string token_part(const std::string& token) {
  return token.empty() ? std::string() : fmt::format("#{} ", token);
}

}  // namespace

std::string describe(const Value& value) {
  if (const auto* text = std::get_if<std::string>(&value.data)) {
    return describe_string(*text);
  }
  if (const auto* tuple = std::get_if<Tuple>(&value.data)) {
    return describe_results(*tuple);
  }
  const auto& list = std::get<List>(value.data);
  std::string out = "[";
  for (std::size_t i = 0; i < list.values.size(); ++i) {
    out += i > 0 ? "," : "";
    if (!list.keys.empty()) {
      out += (i < list.keys.size() ? list.keys[i] : std::string("<no key>")) + ":";
    }
    out += describe(list.values[i]);
  }
  if (!list.keys.empty() && list.keys.size() != list.values.size()) {
    out += fmt::format(" <{} keys for {} values>", list.keys.size(), list.values.size());
  }
  return out + "]";
}

std::string describe(const Record& record) {
  if (const auto* result = std::get_if<ResultRecord>(&record)) {
    return fmt::format("result {}{} {}", token_part(result->token), to_string(result->result_class),
                       describe_results(result->results));
  }
  if (const auto* async = std::get_if<AsyncRecord>(&record)) {
    const char* kind = async->kind == AsyncKind::Exec     ? "exec"
                       : async->kind == AsyncKind::Status ? "status"
                                                          : "notify";
    return fmt::format("{} {}{} {}", kind, token_part(async->token), async->async_class,
                       describe_results(async->results));
  }
  if (const auto* stream = std::get_if<StreamRecord>(&record)) {
    const char* kind = stream->kind == StreamKind::Console  ? "console"
                       : stream->kind == StreamKind::Target ? "target"
                                                            : "log";
    return fmt::format("{} {}", kind, describe_string(stream->text));
  }
  return "prompt";
}

}  // namespace kh::mi::testing
