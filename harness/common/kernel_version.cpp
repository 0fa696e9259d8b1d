#include "common/kernel_version.h"

#include <algorithm>
#include <charconv>

#include "common/strings.h"

namespace kh {
namespace {

// Parses a decimal number at the front of `text`, advancing it.
bool take_number(std::string_view& text, int& out) {
  // from_chars would accept a minus sign; a version part is digits only.
  if (text.empty() || text.front() < '0' || text.front() > '9') {
    return false;
  }
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec != std::errc() || ptr == begin) {
    return false;
  }
  text.remove_prefix(static_cast<std::size_t>(ptr - begin));
  return true;
}

}  // namespace

Result<KernelVersion> KernelVersion::parse(std::string_view text) {
  std::string_view rest = trim(text);
  KernelVersion version;
  auto bad = [&]() {
    return make_error(ErrorKind::Config, "'{}' is not a kernel version (expected X.Y or X.Y.Z)", text);
  };
  if (!take_number(rest, version.major) || rest.empty() || rest.front() != '.') {
    return bad();
  }
  rest.remove_prefix(1);
  if (!take_number(rest, version.minor)) {
    return bad();
  }
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    if (!take_number(rest, version.patch)) {
      return bad();
    }
  }
  if (!rest.empty()) {
    if (rest.front() != '-' && rest.front() != '+') {
      return bad();
    }
    version.suffix = std::string(rest);
  }
  return version;
}

std::string KernelVersion::to_string() const { return fmt::format("{}.{}.{}", major, minor, patch); }

Result<KernelVersionRange> KernelVersionRange::parse(std::string_view text) {
  KernelVersionRange range;
  range.text_ = std::string(trim(text));
  std::string_view rest = text;
  if (trim(rest).empty()) {
    return make_error(ErrorKind::Config, "empty kernel version range");
  }
  // Every comma is followed by one more comparison: "5.10," has an empty one and is rejected.
  for (bool more = true; more;) {
    std::size_t comma = rest.find(',');
    more = comma != std::string_view::npos;
    std::string_view part = trim(rest.substr(0, comma));
    rest = more ? rest.substr(comma + 1) : std::string_view();
    Op op = Op::EqualMinor;
    bool explicit_equal = false;
    if (part.starts_with("<=")) {
      op = Op::LessEqual;
      part.remove_prefix(2);
    } else if (part.starts_with(">=")) {
      op = Op::GreaterEqual;
      part.remove_prefix(2);
    } else if (part.starts_with("==")) {
      explicit_equal = true;
      part.remove_prefix(2);
    } else if (part.starts_with("<")) {
      op = Op::Less;
      part.remove_prefix(1);
    } else if (part.starts_with(">")) {
      op = Op::Greater;
      part.remove_prefix(1);
    } else if (part.starts_with("=")) {
      explicit_equal = true;
      part.remove_prefix(1);
    }
    part = trim(part);
    auto version = KernelVersion::parse(part);
    if (!version) {
      return make_error(ErrorKind::Config, "bad kernel version range '{}': '{}' is not a version (X.Y or X.Y.Z)",
                        range.text_, part);
    }
    if (op == Op::EqualMinor || explicit_equal) {
      // "6.1" and "=6.1" mean every 6.1.x; "6.1.5" means exactly that release.
      std::size_t dots = static_cast<std::size_t>(std::count(part.begin(), part.end(), '.'));
      op = dots >= 2 ? Op::Equal : Op::EqualMinor;
    }
    range.bounds_.push_back(Bound{op, *version});
  }
  return range;
}

bool KernelVersionRange::contains(const KernelVersion& version) const {
  for (const Bound& bound : bounds_) {
    bool ok = false;
    switch (bound.op) {
      case Op::Less: ok = version < bound.version; break;
      case Op::LessEqual: ok = version <= bound.version; break;
      case Op::Greater: ok = version > bound.version; break;
      case Op::GreaterEqual: ok = version >= bound.version; break;
      case Op::Equal: ok = version == bound.version; break;
      case Op::EqualMinor: ok = version.major == bound.version.major && version.minor == bound.version.minor; break;
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace kh
