# The trace engine's hits collected inside gdb. Loaded by the engine only (engine/gdb_setup.cpp,
# load_engine_hits), never by the lab shell or a reproducer.
#
# Over GDB/MI one counted hit costs gdb a full stop: the thread list asked again, the stop printed
# twice (console and *stopped), then one MI round trip per question (backtrace, captures, task),
# then a single step with a full stop of its own, then a continue. Here a breakpoint's stop() method
# does the same work while gdb is still deciding whether to stop, writes the hit as one line
# (`KH-HIT {json}`) to a file the engine reads, steps past the breakpoint itself and tells gdb not
# to stop: gdb then resumes as after a false condition, and no stop is ever presented.
#
# Counts stay exact. QEMU's gdbstub now and then answers a single step without executing it; gdb's
# own step past a breakpoint would then stop at the same breakpoint again and count one call twice.
# step_past() sends the remote protocol's step itself (vCont;s), drops gdb's register and memory
# caches, which the step made stale, and steps again while the PC has not moved. gdb's next resume
# then starts from a PC with no breakpoint under it.
#
# Commands:
#   kh-step-past ADDRESS ATTEMPTS   step the stopped thread until its PC leaves ADDRESS (the MI
#                                   path's step past a hit, without a stop of its own)
#   kh-collect-to FILE              where collecting breakpoints write their hits
#   kh-collect-break JSON           insert a collecting breakpoint (see CollectingBreakpoint)
# $kh_engine_hits is 1 once the commands exist: gdb >= 11, whose Python can send remote packets.

import json
import time

import gdb

# gdb's ptid for a thread of a stub without the multiprocess extension (remote.c: MAGIC_NULL_PID).
MAGIC_NULL_PID = 42000
# The prefix of each hit's line in the hit file (kh-collect-to); the engine reads these lines.
HIT_PREFIX = "KH-HIT "
# The hit file, set by kh-collect-to.
HIT_FILE = None


class StepError(Exception):
    """The guest could not be stepped past a hit."""


def flush_command():
    """The command that drops gdb's register cache: renamed in gdb 12, the old name deprecated."""
    for command in ("maint flush register-cache", "flushregs"):
        try:
            gdb.execute("help " + command, to_string=True)
            return command
        except gdb.error:
            continue
    return None


FLUSH_REGISTERS = flush_command()


def thread_id(ptid):
    """The remote protocol's thread-id (pPID.TID with multiprocess, else TID) of a gdb ptid."""
    pid, lwp, _ = ptid
    if pid == MAGIC_NULL_PID:
        return "{:x}".format(lwp)
    return "p{:x}.{:x}".format(pid, lwp)


def step_past(address, attempts):
    """Single-steps the selected thread until its PC is not `address`; StepError after `attempts`."""
    thread = gdb.selected_thread()
    connection = gdb.selected_inferior().connection
    if thread is None or not isinstance(connection, gdb.RemoteTargetConnection):
        raise StepError("no stopped thread of a remote target")
    packet = "vCont;s:" + thread_id(thread.ptid)
    for _ in range(attempts):
        reply = connection.send_packet(packet)
        if isinstance(reply, bytes):
            reply = reply.decode("ascii", "replace")
        gdb.execute(FLUSH_REGISTERS, to_string=True)
        gdb.execute("maint flush dcache", to_string=True)
        if not reply or reply[0] not in "TS":
            raise StepError("the stub answered the step with '{}'".format(reply))
        if int(gdb.selected_frame().pc()) != address:
            return
    raise StepError("the PC did not move past {:#x} in {} single steps".format(address, attempts))


class StepPast(gdb.Command):
    """kh-step-past ADDRESS ATTEMPTS: single-step the stopped thread until its PC leaves ADDRESS."""

    def __init__(self):
        super().__init__("kh-step-past", gdb.COMMAND_RUNNING)

    def invoke(self, argument, from_tty):
        words = argument.split()
        try:
            address, attempts = int(words[0], 0), int(words[1], 0)
        except (IndexError, ValueError):
            raise gdb.GdbError("kh-step-past: usage: kh-step-past ADDRESS ATTEMPTS") from None
        try:
            step_past(address, attempts)
        except StepError as error:
            raise gdb.GdbError("kh-step-past: {}".format(error)) from None


def error_text(error):
    return str(error) or type(error).__name__


def arg_entries(frame, value_of):
    """[name, value] for each argument of `frame` (the selected frame), as GDB/MI lists them with
    `print entry-values default`: the value, then NAME@entry with the value at the function's entry
    when gdb knows it."""
    try:
        block = frame.block()
    except RuntimeError:
        return []
    while block is not None and block.function is None:
        block = block.superblock
    if block is None:
        return []
    entries = []
    for symbol in block:
        if not symbol.is_argument:
            continue
        try:
            entries.append([symbol.name, value_of(symbol.value(frame))])
        except gdb.error as error:
            entries.append([symbol.name, "<error reading variable: {}>".format(error_text(error))])
        try:
            entry = gdb.parse_and_eval(symbol.name + "@entry")
            if not entry.is_optimized_out:
                entries.append([symbol.name + "@entry", value_of(entry)])
        except gdb.error:
            pass
    return entries


def scalar_text(value):
    """A frame argument as *stopped shows it (`print frame-arguments scalars`)."""
    return value.format_string(summary=True)


# The types -stack-list-arguments --simple-values shows without a value.
COMPOUND_CODES = (gdb.TYPE_CODE_ARRAY, gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION)


def simple_text(value):
    """A caller's argument as -stack-list-arguments --simple-values shows it: no value for arrays,
    structures and unions."""
    if value.type.strip_typedefs().code in COMPOUND_CODES:
        return ""
    return value.format_string()


class CollectingBreakpoint(gdb.Breakpoint):
    """A breakpoint that collects its hits in stop() and never stops.

    The plan (JSON, from the engine's breakpoint plan): index (the plan's position), function,
    condition (the planned gdb condition, guest scope included; "" for none), guest ({"task": E,
    "flag": N} for a guest-scoped breakpoint: counted only in tasks whose personality has the
    flag; else null), user_condition (the scenario's own part of `condition`), captures
    (expressions), caller_args (also the arguments of every caller frame), task ({"expression": E,
    "begin": OFFSET, "length": N}: one read of the task's bytes, {"expressions": [...]}: those
    evaluated, or null), max_steps (single steps tried)."""

    def __init__(self, plan):
        super().__init__(plan["function"], internal=False)
        self.plan = plan
        self.condition_text = plan.get("condition") or ""
        self.guest = plan.get("guest")
        self.user_condition = plan.get("user_condition") or ""
        self.captures = plan.get("captures", [])
        self.caller_args = bool(plan.get("caller_args"))
        self.task_plan = plan.get("task")
        self.max_steps = int(plan.get("max_steps", 8))
        self.task_span = self.guest_task_span()

    def guest_task_span(self):
        """For a guest-scoped breakpoint whose task is one read: one read that also covers
        task_struct.personality, as (first byte, end, personality at, its size, task bytes at).
        The guest check and the task then cost two memory packets instead of four. None when
        gdb cannot say where personality is."""
        if not self.guest or not self.task_plan or "begin" not in self.task_plan:
            return None
        try:
            offset = int(gdb.parse_and_eval(
                "(unsigned long)&init_task.personality - (unsigned long)&init_task"))
            size = int(gdb.parse_and_eval("sizeof(init_task.personality)"))
        except gdb.error:
            return None
        begin = int(self.task_plan["begin"])
        first = min(offset, begin)
        end = max(offset + size, begin + int(self.task_plan["length"]))
        return (first, end, offset - first, size, begin - first)

    def counts(self):
        """The planned condition. gdb evaluates a breakpoint's Python stop() before its own
        condition, so the condition is not given to gdb but evaluated here. One that cannot be
        evaluated counts the hit, as gdb stops at it on the MI path."""
        return self.evaluates_true(self.condition_text)

    @staticmethod
    def evaluates_true(condition):
        if not condition:
            return True
        try:
            return bool(gdb.parse_and_eval(condition))
        except gdb.error:
            return True

    def guest_counts(self):
        """The guest check from one read of the task (task_span), then the scenario's condition.
        Returns (counts, the task's bytes for task_texts); on a failed read, the planned condition
        as gdb would evaluate it, and no bytes."""
        first, end, personality_at, personality_size, task_at = self.task_span
        try:
            task = int(gdb.parse_and_eval(self.guest["task"]))
            data = bytes(gdb.selected_inferior().read_memory(task + first, end - first))
        except (gdb.error, gdb.MemoryError):
            return self.counts(), None
        personality = int.from_bytes(data[personality_at:personality_at + personality_size], "little")
        if personality & int(self.guest["flag"]) == 0:
            return False, None
        if not self.evaluates_true(self.user_condition):
            return False, None
        return True, data[task_at:task_at + int(self.task_plan["length"])]

    def frames(self):
        frames = []
        frame = gdb.newest_frame()
        while frame is not None:
            try:
                pc = int(frame.pc())
                sal = frame.find_sal()
                symtab = sal.symtab
                entry = [len(frames), "0x{:016x}".format(pc), frame.name() or "??",
                         symtab.filename if symtab is not None else "", sal.line if symtab is not None else 0]
                if not frames:
                    entry.append(arg_entries(frame, scalar_text))
                elif self.caller_args:
                    frame.select()  # NAME@entry is evaluated in the selected frame
                    entry.append(arg_entries(frame, simple_text))
                else:
                    entry.append([])
                frames.append(entry)
                frame = frame.older()
            except gdb.error:
                break  # an unwinder that gives up: the frames so far
        if self.caller_args:
            gdb.newest_frame().select()
        return frames

    def task_texts(self, task_bytes):
        if not self.task_plan:
            return None
        if task_bytes is not None:
            return [task_bytes.hex()]
        try:
            if "expressions" in self.task_plan:
                texts = []
                for expression in self.task_plan["expressions"]:
                    try:
                        texts.append(str(gdb.parse_and_eval(expression)))
                    except gdb.error:
                        texts.append(None)
                return texts
            address = int(gdb.parse_and_eval(self.task_plan["expression"])) + int(self.task_plan["begin"])
            memory = gdb.selected_inferior().read_memory(address, int(self.task_plan["length"]))
            return [bytes(memory).hex()]
        except (gdb.error, gdb.MemoryError):
            return None

    def captured(self):
        values = []
        for expression in self.captures:
            try:
                values.append([True, str(gdb.parse_and_eval(expression))])
            except gdb.error as error:
                values.append([False, error_text(error)])
        return values

    def stop(self):
        record = None
        try:
            if self.task_span is not None:
                counted, task_bytes = self.guest_counts()
            else:
                counted, task_bytes = self.counts(), None
            if not counted:
                return False  # gdb steps past the breakpoint and continues, as after a false condition
            pc = int(gdb.selected_frame().pc())
            record = {"bp": self.plan["index"], "t": time.monotonic()}
            record["frames"] = self.frames()
            record["captures"] = self.captured()
            record["task"] = self.task_texts(task_bytes)
        except Exception as error:  # said with the hit (the run then fails), never lost
            record = record or {"bp": self.plan["index"], "t": time.monotonic()}
            record["error"] = error_text(error)
            pc = int(gdb.selected_frame().pc())
        try:
            step_past(pc, self.max_steps)
        except (StepError, gdb.error) as error:
            record["step_error"] = error_text(error)
        # One write per line (line buffering): the engine reads only whole lines.
        HIT_FILE.write(HIT_PREFIX + json.dumps(record, separators=(",", ":")) + "\n")
        # A hit that could not be stepped past stops the guest: the engine reports it.
        return "step_error" in record


class CollectTo(gdb.Command):
    """kh-collect-to FILE: write the collected hits to FILE, one line each (truncates it)."""

    def __init__(self):
        super().__init__("kh-collect-to", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, argument, from_tty):
        global HIT_FILE
        path = argument.strip()
        if not path:
            raise gdb.GdbError("kh-collect-to: usage: kh-collect-to FILE")
        try:
            new_file = open(path, "w", buffering=1, encoding="utf-8")
        except OSError as error:
            raise gdb.GdbError("kh-collect-to: {}".format(error)) from None
        if HIT_FILE is not None:
            HIT_FILE.close()
        HIT_FILE = new_file


class CollectBreak(gdb.Command):
    """kh-collect-break JSON: insert a collecting breakpoint (its number is then in $bpnum)."""

    def __init__(self):
        super().__init__("kh-collect-break", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, argument, from_tty):
        if HIT_FILE is None:
            raise gdb.GdbError("kh-collect-break: no hit file (kh-collect-to FILE first)")
        try:
            plan = json.loads(argument)
        except ValueError as error:
            raise gdb.GdbError("kh-collect-break: bad plan: {}".format(error)) from None
        breakpoint = CollectingBreakpoint(plan)
        if breakpoint.pending:
            # Python's breakpoints are pending when gdb does not know the location; -break-insert
            # fails with these words.
            breakpoint.delete()
            raise gdb.GdbError('Function "{}" not defined.'.format(plan["function"]))


def register():
    if FLUSH_REGISTERS is None or not hasattr(gdb, "RemoteTargetConnection") \
            or not hasattr(gdb.RemoteTargetConnection, "send_packet"):
        gdb.set_convenience_variable("kh_engine_hits", 0)
        return
    StepPast()
    CollectTo()
    CollectBreak()
    gdb.set_convenience_variable("kh_engine_hits", 1)


register()
