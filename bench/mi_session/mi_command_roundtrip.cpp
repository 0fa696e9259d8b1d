// Round trip of one MI command through MiSession against a real gdb: the fixed cost every
// breakpoint hit pays per command. Prints `mi_command_roundtrip <median> ms`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "mi/mi_session.h"

namespace {

constexpr int kWarmUp = 50;
constexpr int kSamples = 1000;

}  // namespace

int main() {
  using namespace std::chrono_literals;
  auto session = kh::mi::MiSession::start(kh::mi::MiSession::Options{});
  if (!session) {
    fmt::print(stderr, "mi_command_roundtrip: {}\n", session.error().to_string());
    return 1;
  }
  std::vector<double> samples;
  samples.reserve(kSamples);
  for (int i = 0; i < kWarmUp + kSamples; ++i) {
    const auto begin = kh::Clock::now();
    auto answer = session->command("-data-evaluate-expression 1+1", kh::Deadline::in(10s));
    const auto end = kh::Clock::now();
    if (!answer) {
      fmt::print(stderr, "mi_command_roundtrip: {}\n", answer.error().to_string());
      return 1;
    }
    if (i >= kWarmUp) {
      samples.push_back(std::chrono::duration<double, std::milli>(end - begin).count());
    }
  }
  std::nth_element(samples.begin(), samples.begin() + kSamples / 2, samples.end());
  fmt::print("mi_command_roundtrip {:.3f} ms\n", samples[kSamples / 2]);
  return 0;
}
