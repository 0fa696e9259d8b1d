// Reading the values gdb prints (`131584`, `0xffffffff8183f600 <init_user_ns>`,
// `0xffff888003a4c000 "myproc"`, `"abc", '\000' <repeats 12 times>`) as numbers and C strings.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kh::trace {

// An integer as gdb prints it: sign and 64-bit magnitude, so that both 0xffffffffffffffff and -1
// are representable and compare in mathematical order.
struct GdbNumber {
  bool negative = false;  // never set for zero
  std::uint64_t magnitude = 0;

  friend bool operator==(const GdbNumber&, const GdbNumber&) = default;
  friend std::strong_ordering operator<=>(const GdbNumber& a, const GdbNumber& b);
  std::string to_string() const;  // decimal
};

// Parses a whole number written by a user: optional '-', then decimal digits or 0x/0X hex digits.
// nullopt on anything else (empty, trailing text, overflow past 64 bits).
std::optional<GdbNumber> parse_number(std::string_view text);

// The number a gdb value starts with: "131584", "-1", "0x0", "0xffff... <init_user_ns>",
// "(const unsigned char *) 0xffff... \"myproc\"", "97 'a'". nullopt when the value is not a number
// (a string, an enum name, a struct, `<optimized out>`).
std::optional<GdbNumber> leading_number(std::string_view value);

// A C string recovered from a gdb value.
struct GdbString {
  std::string text;        // the characters up to the first NUL, gdb's escapes decoded
  bool truncated = false;  // gdb stopped printing (a trailing `...`) before the string ended
};

// The C string a gdb value shows: `0x... "myproc"` (a char pointer, optionally with a type prefix
// and `<symbol>`), `"myproc"` (a char array), and gdb's repeat blocks and truncation:
// `"ab", 'c' <repeats 30 times>, "d"...`. nullopt when the value holds no string (a bare pointer
// or number, an enum, `<error: ...>`).
std::optional<GdbString> c_string(std::string_view value);

}  // namespace kh::trace
