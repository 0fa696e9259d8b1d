// GDB/MI command lines, built from typed arguments: one quoting rule for every c-string parameter,
// and one function per command kharness sends. Pure string building (no I/O); the session adds
// the token and the newline.
#pragma once

#include <string>
#include <string_view>

namespace kh::mi {

// Quotes `text` as an MI c-string parameter ("..."), the way gdb's MI argument parser
// (mi_parse_argv, gdb/mi/mi-parse.c) reads it back: \" and \\, \n \t \r by name, every other
// byte below 0x20 and 0x7f as three-digit octal; bytes from 0x80 up raw (gdb reads them as host
// characters). The result never holds a line break, so it is safe on one command line. gdb refuses
// a NUL in a parameter ("\000"): a NUL is written as \000 and gdb answers ^error. Cannot fail.
std::string quote(std::string_view text);

// `-break-insert [-t] [-h] [-c "condition"] "location"`: a breakpoint at `location` (a function,
// file:line, *address), only when `condition` (a gdb expression; empty: none) holds; `hardware`
// asks for a hardware breakpoint (-h), `temporary` deletes it after the first hit (-t). Cannot fail.
std::string break_insert(std::string_view location, std::string_view condition, bool hardware,
                         bool temporary);

// `-data-evaluate-expression "expr"`. Cannot fail.
std::string evaluate_expression(std::string_view expr);

// `-target-select remote "path"`: connect to a gdbstub (a unix socket path, host:port or a
// serial device). Cannot fail.
std::string target_select_remote(std::string_view path);

// `-stack-list-frames`: every frame of the current thread, innermost first. Cannot fail.
std::string stack_list_frames();

// `-stack-list-arguments --simple-values` (values of scalars, types of aggregates) when
// `simple_values`, else `-stack-list-arguments --no-values` (names only). Cannot fail.
std::string stack_list_arguments(bool simple_values);

// `-exec-continue`. Cannot fail.
std::string exec_continue();

// `-exec-step-instruction`: one machine instruction. Cannot fail.
std::string exec_step_instruction();

// `-interpreter-exec console "cli_command"`: a CLI command, its output as console records.
// Cannot fail.
std::string interpreter_exec_console(std::string_view cli_command);

// `-symbol-info-functions --name "regex"`: the functions whose name matches `regex`. Cannot fail.
std::string symbol_info_functions(std::string_view regex);

}  // namespace kh::mi
