#include "labs/lab_support.h"

#include <fstream>

#include "common/deadline.h"

namespace kh::labs_test {

CommandOutput kharness(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env,
                       std::chrono::seconds limit) {
  ChildSpec spec;
  spec.argv = {kKharness};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = {{"NO_COLOR", "1"}};
  spec.env.insert(spec.env.end(), env.begin(), env.end());
  auto output = run_command(spec, Deadline::in(limit));
  return output.ok() ? *output : CommandOutput{-1, 0, output.error().to_string()};
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string scenario_text(const std::string& guest, const std::vector<std::string>& functions,
                          const std::string& breakpoint_body) {
  std::string text =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<scenario name=\"lab-test\" timeout=\"180\">\n";
  text += "  " + guest + "\n";
  for (const auto& function : functions) {
    text += "  <breakpoint function=\"" + function + "\">" + breakpoint_body + "</breakpoint>\n";
  }
  text += "</scenario>\n";
  return text;
}

}  // namespace kh::labs_test
