#include "kernel/gdb_scripts_fixup.h"

#include <fmt/format.h>

#include <cctype>
#include <system_error>

#include "common/file_io.h"

namespace kh::kernel {
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool is_suffix_char(char c) {
  return c == 'u' || c == 'U' || c == 'l' || c == 'L';
}

// Where the string literal starting at `start` (a quote) ends, one past its closing quote(s).
std::size_t skip_string(std::string_view text, std::size_t start) {
  const char quote = text[start];
  const bool triple = text.substr(start, 3) == std::string(3, quote);
  std::size_t i = start + (triple ? 3 : 1);
  while (i < text.size()) {
    if (text[i] == '\\') {
      i += 2;
      continue;
    }
    if (triple ? text.substr(i, 3) == std::string(3, quote) : text[i] == quote) {
      return i + (triple ? 3 : 1);
    }
    if (!triple && text[i] == '\n') {
      return i;  // unterminated: Python rejects it anyway, leave the rest alone
    }
    ++i;
  }
  return text.size();
}

// The Python form of the number token `token` (digits, maybe 0x, maybe a C suffix), or the token
// itself when nothing needs to change.
std::string python_number(std::string_view token) {
  std::size_t end = token.size();
  while (end > 0 && is_suffix_char(token[end - 1])) {
    --end;
  }
  std::string_view digits = token.substr(0, end);
  const bool hex = digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
  bool plain_digits = !digits.empty();
  bool octal_digits = true;
  for (char c : hex ? digits.substr(2) : digits) {
    plain_digits = plain_digits && (hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                                        : std::isdigit(static_cast<unsigned char>(c)) != 0);
    octal_digits = octal_digits && c >= '0' && c <= '7';
  }
  // Anything else (a float, 0b101, 1e5, a suffix on a non-number) is not ours to touch.
  if (!plain_digits || (end < token.size() && token.size() - end > 3)) {
    return std::string(token);
  }
  std::string result(digits);
  if (!hex && digits.size() > 1 && digits[0] == '0' && octal_digits &&
      digits.find_first_not_of('0') != std::string_view::npos) {
    result = "0o" + std::string(digits.substr(digits.find_first_not_of('0')));
  }
  return result;
}

// The first line of the record: which fix-ups it stands for.
std::string record_header() {
  return fmt::format("kharness gdb-scripts fix-up format {}\n", kGdbScriptsFixupFormat);
}

}  // namespace

LiteralFixResult fix_c_integer_literals(std::string_view text) {
  LiteralFixResult result;
  result.text.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '#') {
      std::size_t end = text.find('\n', i);
      end = end == std::string_view::npos ? text.size() : end;
      result.text.append(text.substr(i, end - i));
      i = end;
    } else if (c == '"' || c == '\'') {
      std::size_t end = skip_string(text, i);
      result.text.append(text.substr(i, end - i));
      i = end;
    } else if (is_name_char(c) && !std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t end = i;
      while (end < text.size() && is_name_char(text[end])) {
        ++end;
      }
      result.text.append(text.substr(i, end - i));
      i = end;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      // A number token: digits, letters and dots up to the next other character ("1UL", "0x10",
      // "1.5e3"); python_number() decides whether it is a C integer literal to rewrite.
      std::size_t end = i;
      while (end < text.size() && (is_name_char(text[end]) || text[end] == '.')) {
        ++end;
      }
      result.text.append(python_number(text.substr(i, end - i)));
      i = end;
    } else {
      result.text.push_back(c);
      ++i;
    }
  }

  // Report per line, comparing the old and the new text line by line (the rewrite never adds or
  // removes a line break).
  std::size_t old_start = 0;
  std::size_t new_start = 0;
  for (std::size_t line = 1; old_start <= text.size(); ++line) {
    std::size_t old_end = text.find('\n', old_start);
    std::size_t new_end = result.text.find('\n', new_start);
    old_end = old_end == std::string_view::npos ? text.size() : old_end;
    new_end = new_end == std::string::npos ? result.text.size() : new_end;
    std::string_view before = text.substr(old_start, old_end - old_start);
    std::string_view after = std::string_view(result.text).substr(new_start, new_end - new_start);
    if (before != after) {
      result.fixes.push_back(LiteralFix{line, std::string(before), std::string(after)});
    }
    old_start = old_end + 1;
    new_start = new_end + 1;
  }
  return result;
}

bool gdb_scripts_fixed_up(const std::filesystem::path& entry_dir) {
  std::error_code ec;
  const std::filesystem::path record_path = entry_dir / kGdbScriptsFixupFile;
  if (!std::filesystem::exists(record_path, ec)) {
    return false;
  }
  auto record = read_file(record_path);
  return record.ok() && record->starts_with(record_header());
}

Status fix_up_gdb_scripts(const std::filesystem::path& entry_dir) {
  if (gdb_scripts_fixed_up(entry_dir)) {
    return {};
  }
  std::error_code ec;
  std::string record = record_header();
  const std::filesystem::path relative = std::filesystem::path("scripts") / "gdb" / "linux" / "constants.py";
  const std::filesystem::path constants = entry_dir / relative;
  if (std::filesystem::is_regular_file(constants, ec)) {
    KH_ASSIGN_OR_RETURN(std::string text, read_file(constants));
    LiteralFixResult fixed = fix_c_integer_literals(text);
    if (!fixed.fixes.empty()) {
      KH_TRY(write_file_atomically(constants, fixed.text));
    }
    record += fmt::format("{}: {} line{} with C integer literals rewritten for Python\n", relative.string(),
                          fixed.fixes.size(), fixed.fixes.size() == 1 ? "" : "s");
    for (const LiteralFix& fix : fixed.fixes) {
      record += fmt::format("{}:{}: {}  ->  {}\n", relative.string(), fix.line, fix.before, fix.after);
    }
  } else {
    record += fmt::format("{}: not in this entry, nothing to fix\n", relative.string());
  }
  // Written last: its presence means the scripts are in their final form.
  return write_file_atomically(entry_dir / kGdbScriptsFixupFile, record);
}

}  // namespace kh::kernel
