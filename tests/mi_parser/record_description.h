// A description of parsed MI records for test expectations. It is written independently of the
// parser's own formatter (which re-escapes like gdb), so that a test comparing descriptions
// checks the parser, not the parser against itself.
#pragma once

#include <string>

#include "mi/mi_record.h"

namespace kh::mi::testing {

// Strings as "..." with every byte outside printable ASCII (and '"', '\') written \xHH; tuples
// as {name:value,...} (an unnamed field as its value alone); lists of values as [value,...];
// lists of results as [name:value,...].
std::string describe(const Value& value);

// "result #TOKEN CLASS {...}", "exec CLASS {...}" (also status, notify), "console \"...\""
// (also target, log), or "prompt". The "#TOKEN " part appears only when there is a token.
std::string describe(const Record& record);

}  // namespace kh::mi::testing
