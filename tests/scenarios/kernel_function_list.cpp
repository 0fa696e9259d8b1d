#include "scenarios/kernel_function_list.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace kh::test {
namespace {

// The words of a line, comments cut off.
std::vector<std::string> words_of(std::string_view line) {
  if (std::size_t hash = line.find('#'); hash != std::string_view::npos) {
    line = line.substr(0, hash);
  }
  std::vector<std::string> words;
  std::istringstream stream{std::string(line)};
  for (std::string word; stream >> word;) {
    words.push_back(word);
  }
  return words;
}

}  // namespace

Result<std::vector<KernelFunction>> parse_kernel_function_list(std::string_view text, std::string_view file_name) {
  std::vector<KernelFunction> list;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    ++line_number;
    std::vector<std::string> words = words_of(text.substr(start, end - start));
    start = end + 1;
    if (words.empty()) {
      continue;
    }
    std::string location = fmt::format("{}:{}", file_name, line_number);
    if (words.size() > 2) {
      Error error = make_error(ErrorKind::Parse, "expected '<function> [<kernel range>]', found {} words",
                               words.size());
      error.location = location;
      return error;
    }
    KernelFunction function{words[0], std::nullopt, location};
    if (words.size() == 2) {
      Result<KernelVersionRange> range = KernelVersionRange::parse(words[1]);
      if (!range.ok()) {
        Error error = make_error(ErrorKind::Parse, "bad kernel range '{}' for {}: {}", words[1], words[0],
                                 range.error().message);
        error.location = location;
        return error;
      }
      function.versions = std::move(range).value();
    }
    list.push_back(std::move(function));
  }
  return list;
}

Result<std::vector<KernelFunction>> read_kernel_function_list(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return make_error(ErrorKind::Io, "cannot read {}", path.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_kernel_function_list(text.str(), path.filename().string());
}

std::vector<std::string> functions_for(const std::vector<KernelFunction>& list, const KernelVersion& version) {
  std::vector<std::string> names;
  for (const KernelFunction& function : list) {
    if (!function.versions || function.versions->contains(version)) {
      names.push_back(function.name);
    }
  }
  return names;
}

bool lists(const std::vector<KernelFunction>& list, std::string_view function, const KernelVersion& version) {
  return std::any_of(list.begin(), list.end(), [&](const KernelFunction& entry) {
    return entry.name == function && (!entry.versions || entry.versions->contains(version));
  });
}

}  // namespace kh::test
