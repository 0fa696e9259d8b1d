// MiSession against a real gdb: breakpoints, stops, pipelining, timeouts, interrupts, gdb's death
// and garbage on its stdout. Each test starts its own gdb; none may leave one behind.
#include "mi/mi_session.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "common/unique_fd.h"
#include "mi/mi_commands.h"
#include "mi/mi_frames.h"
#include "mi/mi_parser.h"

namespace kh::mi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Generous: gdb answers in milliseconds, but an ASan build on a shared 2-core machine is slow.
Deadline soon() { return Deadline::in(30s); }

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

MiSession start_gdb(const std::filesystem::path& program = {}) {
  MiSession::Options options;
  options.program = program;
  auto session = MiSession::start(options);
  if (!session) {
    ADD_FAILURE() << "gdb did not start: " << session.error().to_string();
    std::abort();
  }
  return std::move(session).value();
}

std::vector<std::string> frame_functions(const ResultRecord& stack) {
  std::vector<std::string> functions;
  const Value& frames = stack.get("stack");
  for (std::size_t i = 0; i < frames.size(); ++i) {
    functions.push_back(frames.at(i).get("func").str());
  }
  return functions;
}

// Runs the program to its first target_function() hit.
void run_to_target_function(MiSession& gdb) {
  ASSERT_TRUE(gdb.command("-break-insert target_function", soon()).ok());
  auto running = gdb.command("-exec-run", soon());
  ASSERT_TRUE(running.ok()) << running.error().to_string();
  EXPECT_EQ(running->result_class, ResultClass::Running);
  auto stop = gdb.wait_for_stop(soon());
  ASSERT_TRUE(stop.ok()) << stop.error().to_string();
  ASSERT_EQ(stop->get("reason").str(), "breakpoint-hit");
  ASSERT_EQ(stop->get("frame").get("func").str(), "target_function");
}

TEST(MiSession, EvaluatesWithoutAProgram) {
  MiSession gdb = start_gdb();
  EXPECT_GT(gdb.pid(), 0);
  EXPECT_TRUE(gdb.alive());
  auto answer = gdb.command("-data-evaluate-expression 1+1", soon());
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  EXPECT_EQ(answer->result_class, ResultClass::Done);
  EXPECT_EQ(answer->get("value").str(), "2");
}

TEST(MiSession, BreaksReadsTheStackAndRunsToExit) {
  MiSession gdb = start_gdb(KH_DEBUGGEE_FINITE);
  run_to_target_function(gdb);

  auto stack = gdb.command("-stack-list-frames", soon());
  ASSERT_TRUE(stack.ok()) << stack.error().to_string();
  EXPECT_THAT(frame_functions(*stack), ElementsAre("target_function", "call_target", "main"));

  // The loop calls target_function(40), (41), (42).
  for (const char* expected : {"40", "41", "42"}) {
    auto value = gdb.command("-data-evaluate-expression value", soon());
    ASSERT_TRUE(value.ok()) << value.error().to_string();
    EXPECT_EQ(value->get("value").str(), expected);
    ASSERT_TRUE(gdb.command("-exec-continue", soon()).ok());
    auto stop = gdb.wait_for_stop(soon());
    ASSERT_TRUE(stop.ok()) << stop.error().to_string();
    if (std::string(expected) != "42") {
      EXPECT_EQ(stop->get("reason").str(), "breakpoint-hit");
    } else {
      EXPECT_EQ(stop->get("reason").str(), "exited-normally");
    }
  }
  EXPECT_TRUE(gdb.take_parse_errors().empty());
}

TEST(MiSession, PipelinedCommandsAnswerInOrderErrorsIncluded) {
  MiSession gdb = start_gdb(KH_DEBUGGEE_FINITE);
  run_to_target_function(gdb);
  const std::vector<std::string> commands = {
      "-stack-list-frames",
      "-data-evaluate-expression value",
      "-data-evaluate-expression no_such_symbol",
      "-data-evaluate-expression value*2",
      "-exec-continue",
  };
  auto answers = gdb.pipeline(commands, soon());
  ASSERT_TRUE(answers.ok()) << answers.error().to_string();
  ASSERT_EQ(answers->size(), commands.size());
  EXPECT_THAT(frame_functions((*answers)[0]), ElementsAre("target_function", "call_target", "main"));
  EXPECT_EQ((*answers)[1].get("value").str(), "40");
  EXPECT_EQ((*answers)[2].result_class, ResultClass::Error);
  EXPECT_THAT((*answers)[2].error_message(), HasSubstr("no_such_symbol"));
  EXPECT_EQ((*answers)[3].get("value").str(), "80");
  EXPECT_EQ((*answers)[4].result_class, ResultClass::Running);

  auto stop = gdb.wait_for_stop(soon());
  ASSERT_TRUE(stop.ok()) << stop.error().to_string();
  auto next = gdb.command("-data-evaluate-expression value", soon());
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->get("value").str(), "41");
}

TEST(MiSession, APipelineLargerThanAPipeBufferIsAnsweredInFull) {
  MiSession gdb = start_gdb();
  // ~100 KB of commands: more than gdb's stdin pipe holds, so writing must wait for gdb to read.
  std::vector<std::string> commands;
  commands.reserve(3000);
  for (int i = 0; i < 3000; ++i) {
    commands.push_back(fmt::format("-data-evaluate-expression {}", 1000000 + i));
  }
  auto answers = gdb.pipeline(commands, Deadline::in(120s));
  ASSERT_TRUE(answers.ok()) << answers.error().to_string();
  ASSERT_EQ(answers->size(), commands.size());
  for (std::size_t i = 0; i < answers->size(); ++i) {
    ASSERT_EQ((*answers)[i].get("value").str(), std::to_string(1000000 + i)) << i;
  }
}

TEST(MiSession, GdbErrorsAreErrorKindGdbOrRawRecords) {
  MiSession gdb = start_gdb();
  auto failed = gdb.command("-data-evaluate-expression no_such_symbol", soon());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::Gdb);
  EXPECT_EQ(failed.error().message, "No symbol table is loaded.  Use the \"file\" command.");

  auto raw = gdb.command_raw("-data-evaluate-expression no_such_symbol", soon());
  ASSERT_TRUE(raw.ok()) << raw.error().to_string();
  EXPECT_EQ(raw->result_class, ResultClass::Error);
  EXPECT_EQ(raw->error_message(), failed.error().message);

  auto unknown = gdb.command("-no-such-command", soon());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::Gdb);
  EXPECT_THAT(unknown.error().message, HasSubstr("no-such-command"));
}

TEST(MiSession, ACommandThatDoesNotAnswerInTimeTimesOutAndTheSessionGoesOn) {
  MiSession gdb = start_gdb();
  // `shell sleep 1` keeps gdb busy well past the deadline.
  auto slow = gdb.command("shell sleep 1", Deadline::in(100ms));
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().kind, ErrorKind::Timeout);
  EXPECT_THAT(slow.error().message, HasSubstr("shell sleep 1"));

  // The late answer to the timed-out command must not be taken for this one.
  auto next = gdb.command("-data-evaluate-expression 6*7", soon());
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->get("value").str(), "42");

  // An expired deadline fails before anything is sent: gdb never sees the command.
  auto expired = gdb.command("print $kh_marker = 1", Deadline::in(0ms));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().kind, ErrorKind::Timeout);
  auto marker = gdb.command("-data-evaluate-expression $kh_marker", soon());
  ASSERT_TRUE(marker.ok()) << marker.error().to_string();
  EXPECT_EQ(marker->get("value").str(), "void");
}

TEST(MiSession, InterruptStopsARunningProgram) {
  MiSession gdb = start_gdb(KH_DEBUGGEE_LOOPING);
  ASSERT_TRUE(gdb.command("-exec-run", soon()).ok());
  auto running = gdb.wait_for_async(AsyncKind::Exec, "running", soon());
  ASSERT_TRUE(running.ok()) << running.error().to_string();

  // With mi-async on, commands are accepted while the program runs.
  auto busy = gdb.command("-data-evaluate-expression 2+3", soon());
  ASSERT_TRUE(busy.ok()) << busy.error().to_string();
  EXPECT_EQ(busy->get("value").str(), "5");

  Status interrupted = gdb.interrupt();
  ASSERT_TRUE(interrupted.ok()) << interrupted.error().to_string();
  auto stop = gdb.wait_for_stop(soon());
  ASSERT_TRUE(stop.ok()) << stop.error().to_string();
  EXPECT_EQ(stop->get("reason").str(), "signal-received");
  EXPECT_EQ(stop->get("signal-name").str(), "SIGINT");
  auto sink = gdb.command("-data-evaluate-expression sink", soon());
  EXPECT_TRUE(sink.ok()) << sink.error().to_string();
}

TEST(MiSession, GdbKilledFromOutsideGivesEofNotTimeout) {
  MiSession gdb = start_gdb();
  const pid_t pid = gdb.pid();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  auto answer = gdb.command("-data-evaluate-expression 1", Deadline::in(60s));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().kind, ErrorKind::Eof);
  EXPECT_THAT(answer.error().message, HasSubstr("signal 9"));
  EXPECT_FALSE(gdb.alive());
  EXPECT_FALSE(process_exists(pid));

  auto later = gdb.wait_for_stop(Deadline::in(60s));
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().kind, ErrorKind::Eof);
  EXPECT_EQ(gdb.interrupt().error().kind, ErrorKind::Eof);
}

TEST(MiSession, GdbDyingDuringAPendingCommandGivesEof) {
  MiSession gdb = start_gdb();
  // The shell's parent is gdb: gdb is killed while this very command waits for its answer.
  auto answer = gdb.command("shell kill -9 $PPID", Deadline::in(60s));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().kind, ErrorKind::Eof);
  EXPECT_FALSE(gdb.alive());
}

TEST(MiSession, GarbageLinesAreReportedAndDoNotEndTheSession) {
  MiSession gdb = start_gdb();
  // gdb's `shell` writes straight to gdb's stdout, outside MI: exactly the garbage a session meets.
  auto garbage = gdb.command("shell echo 'this is {not MI'; echo '^done,x=\"unterminated'", soon());
  ASSERT_TRUE(garbage.ok()) << garbage.error().to_string();
  auto long_line = gdb.command("shell head -c 300000 /dev/zero | tr '\\0' x; echo", soon());
  ASSERT_TRUE(long_line.ok()) << long_line.error().to_string();

  std::vector<Error> errors = gdb.take_parse_errors();
  ASSERT_EQ(errors.size(), 3u);
  for (const Error& error : errors) {
    EXPECT_EQ(error.kind, ErrorKind::Parse);
    ASSERT_FALSE(error.details.empty());
  }
  EXPECT_THAT(errors[0].details.back(), HasSubstr("this is {not MI"));
  EXPECT_THAT(errors[1].details.back(), HasSubstr("unterminated"));
  EXPECT_THAT(errors[2].details.back(), HasSubstr("300000 bytes"));
  EXPECT_TRUE(gdb.take_parse_errors().empty());

  auto after = gdb.command("-data-evaluate-expression 3*3", soon());
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(after->get("value").str(), "9");
}

TEST(MiSession, StreamAndAsyncRecordsAreQueuedForTheCaller) {
  MiSession gdb = start_gdb(KH_DEBUGGEE_FINITE);
  (void)gdb.take_stream_text();
  // A CLI command: gdb echoes it on the log stream, then prints its output on the console stream.
  ASSERT_TRUE(gdb.command("echo hello from gdb\\n", soon()).ok());
  std::string console;
  std::string log;
  for (const StreamRecord& record : gdb.take_stream_records()) {
    (record.kind == StreamKind::Console ? console : log) += record.text;
  }
  EXPECT_EQ(console, "hello from gdb\n");
  EXPECT_EQ(log, "echo hello from gdb\\n\n");
  EXPECT_TRUE(gdb.take_stream_records().empty());
  ASSERT_TRUE(gdb.command("echo again\\n", soon()).ok());
  EXPECT_THAT(gdb.take_stream_text(), HasSubstr("again\n"));
  EXPECT_EQ(gdb.take_stream_text(), "");

  ASSERT_TRUE(gdb.command("-exec-run", soon()).ok());
  auto started = gdb.wait_for_async(
      [](const AsyncRecord& record) { return record.async_class == "thread-group-started"; }, soon());
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  EXPECT_FALSE(started->get("pid").str().empty());
  auto exited = gdb.wait_for_async(AsyncKind::Notify, "thread-group-exited", soon());
  ASSERT_TRUE(exited.ok()) << exited.error().to_string();
  EXPECT_EQ(exited->get("id").str(), started->get("id").str());

  // The *stopped of the exit was not taken by the waits above: it is still queued.
  auto stop = gdb.wait_for_stop(soon());
  ASSERT_TRUE(stop.ok()) << stop.error().to_string();
  EXPECT_EQ(stop->get("reason").str(), "exited-normally");
  for (const AsyncRecord& record : gdb.take_async_records()) {
    EXPECT_FALSE(record.kind == AsyncKind::Exec && record.async_class == "stopped");
  }
}

TEST(MiSession, WaitForStopTimesOutWhenNothingStops) {
  MiSession gdb = start_gdb();
  auto stop = gdb.wait_for_stop(Deadline::in(50ms));
  ASSERT_FALSE(stop.ok());
  EXPECT_EQ(stop.error().kind, ErrorKind::Timeout);
  EXPECT_THAT(stop.error().message, HasSubstr("*stopped"));
}

// What gdb really prints but MI parsers stumble on, injected into gdb's stdout with `shell echo`:
// a token longer than 64 bits and -target-download's unnamed tuple. Neither is a parse error,
// neither is taken for the answer of a pending command, and the session's own tokens still match.
TEST(MiSession, LongTokensAndDownloadProgressAreMiAndDoNotConfuseTokens) {
  MiSession gdb = start_gdb();
  auto injected = gdb.command(
      "shell echo '99999999999999999999999^done,value=\"bogus\"'; echo '1^done,value=\"stale\"'; "
      "echo '2+download,{section=\".text\",section-size=\"487359\",total-size=\"696540\"}'",
      soon());
  ASSERT_TRUE(injected.ok()) << injected.error().to_string();
  EXPECT_EQ(injected->get("value").str(), "");
  for (const Error& error : gdb.take_parse_errors()) {
    ADD_FAILURE() << error.to_string() << " " << (error.details.empty() ? "" : error.details.back());
  }
  bool saw_download = false;
  for (const AsyncRecord& record : gdb.take_async_records()) {
    if (record.kind == AsyncKind::Status && record.async_class == "download") {
      saw_download = true;
      EXPECT_EQ(record.token, "2");
      EXPECT_EQ(record.get("").get("section-size").str(), "487359");
    }
  }
  EXPECT_TRUE(saw_download);
  auto answer = gdb.command("-data-evaluate-expression 6*7", soon());
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  EXPECT_EQ(answer->get("value").str(), "42");
}

// The command builders of mi_commands.h, sent to a real gdb: gdb reads back exactly the text
// that mi::quote() quoted, control bytes and quotes included.
TEST(MiSession, BuiltCommandsAreReadByGdbAsQuoted) {
  MiSession gdb = start_gdb(KH_DEBUGGEE_FINITE);
  // A C string literal with a tab, a control byte and an escaped quote: gdb's value printer
  // shows it with its own escapes.
  auto literal = gdb.command(evaluate_expression("\"a\tb\x01\\\"c\""), soon());
  ASSERT_TRUE(literal.ok()) << literal.error().to_string();
  EXPECT_EQ(literal->get("value").str(), "\"a\\tb\\001\\\"c\"");
  auto length = gdb.command(evaluate_expression("sizeof(\"\x01\x1f\x7f\r\")"), soon());
  ASSERT_TRUE(length.ok()) << length.error().to_string();
  EXPECT_EQ(length->get("value").str(), "5");

  (void)gdb.take_stream_text();
  ASSERT_TRUE(gdb.command(interpreter_exec_console("echo \"quoted\" \\t text\\n"), soon()).ok());
  EXPECT_THAT(gdb.take_stream_text(), HasSubstr("\"quoted\" \t text\n"));

  auto functions = gdb.command(symbol_info_functions("^target_function$"), soon());
  ASSERT_TRUE(functions.ok()) << functions.error().to_string();
  EXPECT_THAT(format_value(functions->get("symbols")), HasSubstr("name=\"target_function\""));

  auto remote = gdb.command(target_select_remote("/nonexistent dir/gdb.sock"), soon());
  ASSERT_FALSE(remote.ok());
  EXPECT_EQ(remote.error().kind, ErrorKind::Gdb);
  EXPECT_THAT(remote.error().message, HasSubstr("/nonexistent dir/gdb.sock"));

  auto inserted = gdb.command(break_insert("target_function", "value == 41", false, true), soon());
  ASSERT_TRUE(inserted.ok()) << inserted.error().to_string();
  EXPECT_EQ(inserted->get("bkpt").get("disp").str(), "del");
  EXPECT_EQ(inserted->get("bkpt").get("cond").str(), "value == 41");
  ASSERT_TRUE(gdb.command("-exec-run", soon()).ok());
  auto stop = gdb.wait_for_stop(soon());
  ASSERT_TRUE(stop.ok()) << stop.error().to_string();
  auto value = gdb.command(evaluate_expression("value"), soon());
  ASSERT_TRUE(value.ok()) << value.error().to_string();
  EXPECT_EQ(value->get("value").str(), "41");
}

// A real stop and a real backtrace through the typed decoders.
TEST(MiSession, StopsAndStacksDecodeIntoTypedStructs) {
  MiSession gdb = start_gdb(KH_DEBUGGEE_FINITE);
  auto inserted = gdb.command(break_insert("target_function", "", false, false), soon());
  ASSERT_TRUE(inserted.ok()) << inserted.error().to_string();
  ASSERT_TRUE(gdb.command("-exec-run", soon()).ok());
  auto stop = gdb.wait_for_stop(soon());
  ASSERT_TRUE(stop.ok()) << stop.error().to_string();
  auto event = decode_stop_event(*stop);
  ASSERT_TRUE(event.ok()) << event.error().to_string();
  EXPECT_EQ(event->reason, "breakpoint-hit");
  EXPECT_EQ(event->breakpoint, std::stoi(inserted->get("bkpt").get("number").str()));
  EXPECT_EQ(event->thread_id, 1);
  ASSERT_TRUE(event->frame.has_value());
  EXPECT_EQ(event->frame->func, "target_function");
  EXPECT_THAT(event->frame->file, ::testing::EndsWith("debuggee.c"));
  EXPECT_THAT(event->frame->fullname, HasSubstr("tests/mi_session/debuggee.c"));
  EXPECT_TRUE(event->frame->line.has_value());
  EXPECT_EQ(event->frame->args, (std::vector<FrameArg>{{"value", "40"}}));

  auto stack = gdb.command(stack_list_frames(), soon());
  ASSERT_TRUE(stack.ok()) << stack.error().to_string();
  auto frames = decode_stack_frames(*stack);
  ASSERT_TRUE(frames.ok()) << frames.error().to_string();
  ASSERT_EQ(frames->size(), 3u);
  EXPECT_EQ((*frames)[0].func, "target_function");
  EXPECT_EQ((*frames)[0].line, event->frame->line);
  EXPECT_EQ((*frames)[1].func, "call_target");
  EXPECT_EQ((*frames)[2].func, "main");
  EXPECT_EQ((*frames)[2].level, 2);

  auto arguments = gdb.command(stack_list_arguments(true), soon());
  ASSERT_TRUE(arguments.ok()) << arguments.error().to_string();
  auto decoded = decode_stack_arguments(*arguments);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  attach_arguments(*frames, *decoded);
  EXPECT_EQ((*frames)[0].args, (std::vector<FrameArg>{{"value", "40"}}));
  EXPECT_EQ((*frames)[1].args, (std::vector<FrameArg>{{"value", "40"}}));
  EXPECT_TRUE((*frames)[2].args.empty());

  ASSERT_TRUE(gdb.command(exec_step_instruction(), soon()).ok());
  auto stepped = gdb.wait_for_stop(soon());
  ASSERT_TRUE(stepped.ok()) << stepped.error().to_string();
  auto step_event = decode_stop_event(*stepped);
  ASSERT_TRUE(step_event.ok()) << step_event.error().to_string();
  EXPECT_EQ(step_event->reason, "end-stepping-range");
  EXPECT_EQ(step_event->breakpoint, std::nullopt);
  ASSERT_TRUE(gdb.command(exec_continue(), soon()).ok());
  EXPECT_TRUE(gdb.wait_for_stop(soon()).ok());
}

TEST(MiSession, RejectsWhatIsNotOneCommandLineWithoutSendingIt) {
  MiSession gdb = start_gdb();
  for (std::string_view bad : {"-data-evaluate-expression 1\n-gdb-exit", "-gdb-exit\r", "", "5-gdb-exit"}) {
    auto answer = gdb.command(bad, soon());
    ASSERT_FALSE(answer.ok()) << bad;
    EXPECT_EQ(answer.error().kind, ErrorKind::Config) << bad;
  }
  EXPECT_TRUE(gdb.alive());
  EXPECT_TRUE(gdb.command("-data-evaluate-expression 1", soon()).ok());
}

TEST(MiSession, WritesATranscript) {
  auto dir = TempDir::create("kh-mi-session-");
  ASSERT_TRUE(dir.ok());
  const std::filesystem::path transcript = dir->path() / "gdb.mi";
  {
    MiSession::Options options;
    options.transcript = transcript;
    auto gdb = MiSession::start(options);
    ASSERT_TRUE(gdb.ok()) << gdb.error().to_string();
    ASSERT_TRUE(gdb->command("-data-evaluate-expression 20+22", soon()).ok());
  }
  std::ifstream in(transcript);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("-data-evaluate-expression 20+22\n"));
  EXPECT_THAT(text.str(), HasSubstr(" < (gdb)"));
  EXPECT_THAT(text.str(), HasSubstr("^done,value=\"42\"\n"));
  // The session's settings take tokens 1-5, the command 6: the exit is 7.
  EXPECT_THAT(text.str(), HasSubstr(" > 7-gdb-exit\n"));
}

// A fake gdb (a shell script speaking just enough MI) that prints outside MI on both streams,
// several stderr lines in one write and an unfinished last line, then dies: every such line is
// in the transcript, timestamped, and in the Eof error's details and non_mi_output().
TEST(MiSession, LinesOutsideMiAreLoggedAndAreTheEvidenceWhenGdbDies) {
  auto dir = TempDir::create("kh-mi-test-");
  ASSERT_TRUE(dir.ok());
  const std::filesystem::path fake_gdb = dir->path() / "fake-gdb";
  {
    std::ofstream script(fake_gdb);
    script << "#!/bin/sh\n"
              "echo 'Fake gdb 1.0 banner, not MI'\n"
              "printf 'warning: first\\nwarning: second\\n' >&2\n"
              "echo '(gdb) '\n"
              "while read -r line; do\n"
              "  token=${line%%-*}\n"
              "  case \"$line\" in\n"
              "    *-crash*) echo 'Fatal signal: Segmentation fault' >&2; echo 'stack dump, not MI';\n"
              "              printf 'last words' >&2; exit 139;;\n"
              "    *) echo \"${token}^done\"; echo '(gdb) ';;\n"
              "  esac\n"
              "done\n";
  }
  std::filesystem::permissions(fake_gdb, std::filesystem::perms::owner_all);
  MiSession::Options options;
  options.gdb_path = fake_gdb.string();
  options.transcript = dir->path() / "gdb.mi";
  auto started = MiSession::start(options);
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  MiSession gdb = std::move(started).value();
  EXPECT_THAT(gdb.non_mi_output(), ::testing::Contains(::testing::MatchesRegex(
                                       "gdb stdout \\(not MI\\) at [0-9.]+ s: Fake gdb 1.0 banner, not MI")));

  auto crashed = gdb.command("-crash", soon());
  ASSERT_FALSE(crashed.ok());
  EXPECT_EQ(crashed.error().kind, ErrorKind::Eof);
  EXPECT_FALSE(gdb.alive());
  using ::testing::Contains;
  using ::testing::MatchesRegex;
  for (const std::vector<std::string>& lines : {crashed.error().details, gdb.non_mi_output()}) {
    EXPECT_THAT(lines,
                Contains(MatchesRegex("gdb stdout \\(not MI\\) at [0-9.]+ s: Fake gdb 1.0 banner, not MI")));
    EXPECT_THAT(lines, Contains(MatchesRegex("gdb stderr at [0-9.]+ s: warning: first")));
    EXPECT_THAT(lines, Contains(MatchesRegex("gdb stderr at [0-9.]+ s: warning: second")));
    EXPECT_THAT(lines, Contains(MatchesRegex("gdb stderr at [0-9.]+ s: Fatal signal: Segmentation fault")));
    EXPECT_THAT(lines, Contains(MatchesRegex("gdb stdout \\(not MI\\) at [0-9.]+ s: stack dump, not MI")));
    EXPECT_THAT(lines, Contains(MatchesRegex("gdb stderr at [0-9.]+ s: last words")));
    EXPECT_EQ(lines.size(), 6u) << ::testing::PrintToString(lines);
  }

  std::ifstream in(options.transcript);
  std::vector<std::string> transcript;
  for (std::string line; std::getline(in, line);) {
    transcript.push_back(line);
  }
  const std::string stamp = " *[0-9]+\\.[0-9]{6} ";
  EXPECT_THAT(transcript, Contains(MatchesRegex(stamp + "\\? Fake gdb 1.0 banner, not MI")));
  EXPECT_THAT(transcript, Contains(MatchesRegex(stamp + "! warning: first")));
  EXPECT_THAT(transcript, Contains(MatchesRegex(stamp + "! warning: second")));
  EXPECT_THAT(transcript, Contains(MatchesRegex(stamp + "! Fatal signal: Segmentation fault")));
  EXPECT_THAT(transcript, Contains(MatchesRegex(stamp + "\\? stack dump, not MI")));
  EXPECT_THAT(transcript, Contains(MatchesRegex(stamp + "! last words")));
  EXPECT_THAT(transcript, Contains(MatchesRegex(stamp + "< \\(gdb\\) ")));
  // Every line of the transcript is one timestamped record: none is a bare continuation.
  for (const std::string& line : transcript) {
    EXPECT_THAT(line, MatchesRegex(stamp + "[<>?!#] .*")) << line;
  }
}

TEST(MiSession, StartFailuresAreReported) {
  MiSession::Options missing;
  missing.gdb_path = "/nonexistent/gdb";
  auto no_gdb = MiSession::start(missing);
  ASSERT_FALSE(no_gdb.ok());
  EXPECT_EQ(no_gdb.error().kind, ErrorKind::Process);

  MiSession::Options bad_option;
  bad_option.extra_args = {"--no-such-gdb-option"};
  auto refused = MiSession::start(bad_option);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Eof);
  std::string details;
  for (const std::string& line : refused.error().details) {
    details += line + "\n";
  }
  EXPECT_THAT(details, HasSubstr("no-such-gdb-option"));
}

TEST(MiSession, CloseEndsGdbAndLaterCallsFailWithEof) {
  MiSession gdb = start_gdb();
  const pid_t pid = gdb.pid();
  Status closed = gdb.close(soon());
  EXPECT_TRUE(closed.ok()) << closed.error().to_string();
  EXPECT_FALSE(gdb.alive());
  EXPECT_FALSE(process_exists(pid));
  auto answer = gdb.command("-data-evaluate-expression 1", soon());
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().kind, ErrorKind::Eof);
  EXPECT_TRUE(gdb.close(soon()).ok());
}

TEST(MiSession, DestroyingTheSessionEndsGdbAndARunningProgram) {
  pid_t gdb_pid = -1;
  pid_t program_pid = -1;
  {
    MiSession gdb = start_gdb(KH_DEBUGGEE_LOOPING);
    gdb_pid = gdb.pid();
    ASSERT_TRUE(gdb.command("-exec-run", soon()).ok());
    auto started = gdb.wait_for_async(AsyncKind::Notify, "thread-group-started", soon());
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    program_pid = std::stoi(started->get("pid").str());
    EXPECT_TRUE(process_exists(program_pid));
  }
  EXPECT_FALSE(process_exists(gdb_pid));
  // The program was gdb's tracee: gdb's death kills it (ptrace exit-kill, and ChildProcess kills
  // gdb's process group). Its pidfd turns readable once it has died, reaped or not.
  UniqueFd program(static_cast<int>(::syscall(SYS_pidfd_open, program_pid, 0)));
  if (program.valid()) {
    const int fd = program.get();
    EXPECT_TRUE(wait_readable(std::span<const int>(&fd, 1), Deadline::in(10s)).ok());
  } else {
    EXPECT_EQ(errno, ESRCH);
  }
}

TEST(MiSession, MovedSessionsKeepOneOwner) {
  MiSession first = start_gdb();
  const pid_t pid = first.pid();
  MiSession second = std::move(first);
  EXPECT_EQ(second.pid(), pid);
  auto answer = second.command("-data-evaluate-expression 5", soon());
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  MiSession third = start_gdb();
  const pid_t third_pid = third.pid();
  third = std::move(second);
  EXPECT_FALSE(process_exists(third_pid));
  EXPECT_EQ(third.pid(), pid);
  EXPECT_TRUE(third.alive());
}

}  // namespace
}  // namespace kh::mi
