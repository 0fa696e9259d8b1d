#include "common/strings.h"

#include <charconv>

namespace kh {

int line_of_location(std::string_view location) {
  const std::size_t colon = location.rfind(':');
  int line = 0;
  if (colon != std::string_view::npos) {
    std::from_chars(location.data() + colon + 1, location.data() + location.size(), line);
  }
  return line;
}

}  // namespace kh
