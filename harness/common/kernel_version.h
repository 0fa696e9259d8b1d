// Kernel versions ("4.19.304", "6.1.0-28-amd64", "6.12") and version ranges ("<5.10", ">=6.1,<6.12").
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kh {

// major.minor.patch; a missing patch is 0. Anything after the numbers ("-28-amd64", "-rc3") is kept
// in `suffix` but does not take part in comparisons.
struct KernelVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  std::string suffix;

  // Accepts "X.Y", "X.Y.Z" and either followed by a suffix starting with '-' or '+'.
  static Result<KernelVersion> parse(std::string_view text);
  std::string to_string() const;  // "X.Y.Z" (without the suffix)

  friend bool operator==(const KernelVersion& a, const KernelVersion& b) {
    return a.major == b.major && a.minor == b.minor && a.patch == b.patch;
  }
  friend std::strong_ordering operator<=>(const KernelVersion& a, const KernelVersion& b) {
    if (auto c = a.major <=> b.major; std::is_neq(c)) return c;
    if (auto c = a.minor <=> b.minor; std::is_neq(c)) return c;
    return a.patch <=> b.patch;
  }
};

// A conjunction of comparisons, comma-separated: "<5.10", ">=4.19,<5.0", "=6.1.0", "6.1" (same as
// "=6.1" meaning any 6.1.x: a bare or "=" version with two parts matches every patch level).
class KernelVersionRange {
 public:
  // How a bound compares: "<", "<=", ">", ">=", "=X.Y.Z" (exactly that release) and "X.Y" or
  // "=X.Y" (every X.Y.z).
  enum class Op { Less, LessEqual, Greater, GreaterEqual, Equal, EqualMinor };
  // One comparison of the range; `version` has patch 0 for an EqualMinor bound.
  struct Bound {
    Op op;
    KernelVersion version;
  };

  static Result<KernelVersionRange> parse(std::string_view text);
  bool contains(const KernelVersion& version) const;
  const std::string& text() const { return text_; }
  // The comparisons, in the order written; a version is in the range when it meets all of them.
  const std::vector<Bound>& bounds() const { return bounds_; }

 private:
  std::vector<Bound> bounds_;
  std::string text_;
};

}  // namespace kh
