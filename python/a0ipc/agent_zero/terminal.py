"""Agent Zero's terminal sessions on a0ipcd: what the code-execution and input tools run on.

This module knows nothing of Agent Zero's classes (code_execution.py adapts it): it takes the
settings of Agent Zero's ``_code_execution`` plugin (timeouts, dialog patterns) and a function
that renders Agent Zero's prompt texts, and returns the text the agent gets.

How it differs from Agent Zero's own shells (docs/agent-zero-terminal.md has the list):

- Completion is exact: a command's call ends when a0ipcd reports that the command ended
  (Done EXITED of its Run or of an Attach), never on a prompt-looking line and never after a
  poll interval. The agent gets the command's exit status and cwd on a last line
  ``(exit N) user@host:cwd#`` (``$`` for a user other than root) where Agent Zero showed its
  ``(venv) user@host:cwd#`` prompt.
- Timeouts (first output, between outputs, max execution, dialog) are Agent Zero's, timed here
  without polling; the text of each ending is Agent Zero's own prompt file. Like Agent Zero's
  local shell, whose readline prints a CRLF before every command's output, a command's output
  is taken to start with one line end: the agent sees the same leading newline, and a silent
  command ends on the between-output (PAUSE) timeout as it does in Agent Zero.
- Nothing is dropped: output that arrives after a call returned is given to the next call on
  the session (the busy guard shows it, and a command that finished meanwhile is reported with
  its exit status before the new command runs); bytes are decoded only as a whole, so a
  character is never split.
- Input while a command runs is written to its terminal (a0ipcd's PTY has a controlling
  terminal: a lone control character such as ``\\x03`` is sent without Enter and interrupts).
- reset closes the whole a0ipcd session (every process of it); a session that a0ipcd no longer
  knows (its restart) is replaced by a new one on the next call, which says so once.
"""
import asyncio
import re
import time
import weakref

from a0ipc import errors

# ---- Agent Zero's output cleaning (helpers/shell_ssh.py clean_string + the tool's
# fix_full_output), re-implemented from its documented steps ----

_ANSI = re.compile(r"\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])")
_START_GT = re.compile(r"^[ \r]*(?:\r*\n>[ \r]*)*")
_START_GT2 = re.compile(r"^(>\s*)+")
_HEX_LITERAL = re.compile(r"(?<!\\)\\x[0-9A-Fa-f]{2}")
TRUNCATE_THRESHOLD = 1000000
TRUNCATED_TEXT = "<<\n{{length}} CHARACTERS REMOVED TO SAVE SPACE\n>>"


def clean_string(text):
    """Agent Zero's clean_string: escapes, NUL, the start-of-output continuation prompts and
    blanks, CRLF, and of each line its last non-blank carriage-return part."""
    text = _ANSI.sub("", text)
    text = text.replace("\x00", "")
    text = _START_GT.sub("", text, count=1)
    text = _START_GT2.sub("", text, count=1)
    text = text.replace("\r\n", "\n")
    text = text.lstrip("\r ")
    lines = text.split("\n")
    for i, line in enumerate(lines):
        parts = [p for p in line.split("\r") if p.strip()]
        if parts:
            lines[i] = parts[-1].rstrip()
    return "\n".join(lines)


def fix_full_output(text, truncated_text=None, threshold=TRUNCATE_THRESHOLD):
    """The tool's fix_full_output: literal ``\\xHH`` removed, then head and tail around the
    truncation text above ``threshold`` characters. truncated_text(length) renders the text
    (Agent Zero's fw.msg_truncated.md)."""
    text = _HEX_LITERAL.sub("", text)
    if not threshold or len(text) <= threshold:
        return text
    length = len(text) - threshold
    if truncated_text is not None:
        placeholder = truncated_text(length)
    else:
        placeholder = TRUNCATED_TEXT.replace("{{length}}", str(length))
    start = (threshold - len(placeholder)) // 2
    end = threshold - len(placeholder) - start
    return text[:start] + placeholder + (text[-end:] if end > 0 else "")


# ---- settings ----

TIMEOUT_KEYS = ("first_output_timeout", "between_output_timeout", "max_exec_timeout",
                "dialog_timeout")
DEFAULT_CODE_EXEC = (30, 15, 180, 5)
DEFAULT_OUTPUT = (90, 45, 300, 5)
DEFAULT_DIALOG_PATTERNS = "Y/N\nyes/no\n:\\s*$\n\\?\\s*$"


def parse_patterns(raw, flags=0):
    lines = [str(p) for p in raw] if isinstance(raw, list) else str(raw or "").splitlines()
    return [re.compile(p.strip(), flags) for p in lines if p.strip()]


def parse_config(cfg):
    """The parts of the _code_execution plugin's settings this module uses."""
    cfg = cfg or {}

    def timeouts(prefix, defaults):
        return {k: float(cfg.get("%s_%s" % (prefix, k), d)) for k, d in zip(TIMEOUT_KEYS, defaults)}

    return {
        "code_exec_timeouts": timeouts("code_exec", DEFAULT_CODE_EXEC),
        "output_timeouts": timeouts("output", DEFAULT_OUTPUT),
        "dialog_patterns": parse_patterns(cfg.get("dialog_patterns", DEFAULT_DIALOG_PATTERNS),
                                          re.IGNORECASE),
    }


# Settings of the shells this module opens. Agent Zero's own shell is /bin/bash started in the
# work dir with the framework's environment; on a0ipcd it is the daemon's bash with the daemon's
# base environment. Tests (and an operator who must) can add environment variables or change
# the shell here.
session_overrides = {"argv": [], "env": {}, "cwd": None, "rows": 0, "cols": 0}

RUN_LEADING = b"\r\n"  # what Agent Zero's local shell prints before a command's output


LOG_INTERVAL_S = 0.5  # the log item (web UI) follows the output at most this often

# ---- one client per event loop (grpc.aio's rule) ----

_clients = weakref.WeakKeyDictionary()


def client():
    from a0ipc.client import RuntimeClient
    loop = asyncio.get_running_loop()
    c = _clients.get(loop)
    if c is None:
        c = _clients[loop] = RuntimeClient.from_env()
    return c


async def close_client():
    """Closes the current event loop's client (tests; Agent Zero's loops live as long as it)."""
    loop = asyncio.get_running_loop()
    c = _clients.pop(loop, None)
    if c is not None:
        await c.close()


# ---- sessions ----

class Ended(Exception):
    """The session's shell has ended (exit) or a0ipcd no longer knows it."""


class Session:
    """One numbered terminal session of an agent: an a0ipcd session and what was read of it."""

    def __init__(self, number, cwd):
        self.number = number
        self.cwd = cwd           # where it starts
        self.id = None           # a0ipcd session id
        self.pid = 0             # the shell's pid (its cwd is the prompt line's)
        self.running = False     # a command may still run (a call returned before it ended)
        self.seq = 0             # raw offset up to which output was given to the agent
        self.commands = 0        # Run commands typed (a0ipcd numbers them 1, 2, ...)
        self.finished = 0        # number of the last command known to have ended
        self.exit_code = None
        self.user_host = None
        self.ended = False       # the shell ended: the next call opens a new one

    async def open(self):
        c = client()
        cwd = session_overrides.get("cwd") or self.cwd or ""
        if cwd:
            try:  # Agent Zero creates its work dir before the shell starts in it
                await c.exec(["mkdir", "-p", "--", cwd], timeout_ms=10000)
            except errors.RuntimeError_:
                pass
        resp = await c.create_session(session_overrides.get("argv") or [], cwd,
                                      session_overrides.get("env") or {},
                                      session_overrides.get("rows") or 0,
                                      session_overrides.get("cols") or 0)
        self.id, self.pid = resp.session_id, resp.pid
        self.running, self.seq, self.commands, self.finished = False, 0, 0, 0
        self.ended = False

    async def close(self):
        if self.id is None:
            return
        sid, self.id = self.id, None
        try:
            await client().close_session(sid)
        except (errors.NotFound, errors.FailedPrecondition):
            pass

    async def prompt_line(self, done):
        """``(exit N) user@host:cwd#``: the exit status and where the shell is now, from a0ipcd's
        Done of the command (an a0ipcd older than Done.cwd is asked with an Exec)."""
        c = client()
        if self.user_host is None:
            try:
                r = await c.exec(["sh", "-c", "id -un; uname -n"], timeout_ms=5000)
                user, host = (r.stdout_data.decode("utf-8", "replace").split("\n") + ["", ""])[:2]
                self.user_host = (user.strip() or "?", host.strip() or "?")
            except errors.RuntimeError_:
                self.user_host = ("?", "?")
        cwd = done.cwd if done is not None else ""  # U+FFFD for bytes that are not UTF-8
        if not cwd:
            cwd = "?"
            try:
                r = await c.exec(["readlink", "/proc/%d/cwd" % self.pid], timeout_ms=5000)
                cwd = r.stdout_data.decode("utf-8", "replace").strip() or "?"
            except errors.RuntimeError_:
                pass
        user, host = self.user_host
        code = "?" if done is None else str(done.exit_code)
        return "(exit %s) %s@%s:%s%s" % (code, user, host, cwd, "#" if user == "root" else "$")

    async def state(self):
        """a0ipcd's SessionInfo of this session, or None when it does not know it."""
        for s in await client().list_sessions():
            if s.session_id == self.id:
                return s
        return None


class Terminal:
    """What one tool call does, given Agent Zero's settings and prompt texts.

    prompt(name, **kwargs) renders Agent Zero's ``fw.code.<name>.md``; info(text) wraps it in
    fw.code.info.md; truncated(length) renders fw.msg_truncated.md."""

    def __init__(self, cfg, prompt, truncated=None, on_output=None):
        self.cfg = cfg
        self.prompt = prompt
        self.truncated = truncated
        self.on_output = on_output or (lambda text: None)
        self.ending = None  # how the last followed command's call ended
        self.out = ""       # and its cleaned output

    def info(self, name, **kwargs):
        return self.prompt("info", info=self.prompt(name, **kwargs))

    def text(self, raw):
        return fix_full_output(clean_string(bytes(raw).decode("utf-8", "replace")),
                               self.truncated)

    def lost_note(self, number):
        return self.prompt("info", info=(
            "Terminal session %d was lost: the runtime (a0ipcd) no longer knows it, for example "
            "after a restart. A new shell was started in the work directory; earlier state "
            "(cwd, variables, running processes) is gone." % number))

    def ended_note(self, number, done):
        how = ("signal %d" % done.signal) if done.signal else ("exit code %d" % done.exit_code)
        return self.prompt("info", info=(
            "The shell of terminal session %d has ended (%s). The next call on this session "
            "starts a new shell in the work directory." % (number, how)))

    def idle_note(self, number):
        return self.prompt("info", info=(
            "Terminal session %d is idle: no command is running and there is no new output."
            % number))

    # -- reading --

    async def follow(self, s, stream, raw, timeouts, got_output, kind):
        """Reads a Run or Attach stream into raw until the command ends or an Agent Zero timeout
        fires. Returns (ending, done): ending is "exited", "ended", "max_time", "no_output",
        "pause" or "dialog"."""
        first = timeouts["first_output_timeout"]
        between = timeouts["between_output_timeout"]
        max_exec = timeouts["max_exec_timeout"]
        dialog = timeouts["dialog_timeout"]
        patterns = self.cfg["dialog_patterns"]
        start = time.monotonic()
        last_output = start
        dialog_checked = False
        last_log = 0.0
        events = _Events(stream)
        try:
            while True:
                now = time.monotonic()
                deadlines = [(start + max_exec, "max_time")]
                if not got_output:
                    deadlines.append((start + first, "no_output"))
                else:
                    deadlines.append((last_output + between, "pause"))
                    if not dialog_checked:
                        deadlines.append((last_output + dialog, "dialog?"))
                when, what = min(deadlines)
                try:
                    ev = await events.next(max(0.0, when - now))
                except _Timeout:
                    if what == "dialog?":
                        dialog_checked = True
                        text = self.text(raw)
                        lines = text.splitlines()[-2:] if text else []
                        if any(p.search(line.strip()) for line in lines for p in patterns):
                            return "dialog", None
                        continue
                    return what, None
                except StopAsyncIteration:
                    return "ended", None
                which = ev.WhichOneof("event")
                if which == "output":
                    o = ev.output
                    if o.data:
                        raw += o.data
                        s.seq = o.seq + len(o.data)
                        # new output, as Agent Zero counts it: the piece cleaned on its own is
                        # not empty (the whole text is cleaned only when it is needed)
                        if clean_string(o.data.decode("utf-8", "replace")):
                            last_output = time.monotonic()
                            got_output = True
                            dialog_checked = False
                            if last_output - last_log >= LOG_INTERVAL_S:
                                last_log = last_output
                                self.on_output(self.text(raw))
                elif which == "lost":
                    s.seq = ev.lost.seq + ev.lost.length
                elif which == "done":
                    d = ev.done
                    if d.reason == 6:  # SESSION_CLOSED
                        return "ended", d
                    if d.reason == 1:
                        if kind == "run" or d.command_number > s.finished:
                            s.seq = max(s.seq, d.last_seq)
                            s.finished = max(s.finished, d.command_number)
                            return "exited", d
                        continue
                    return "ended", d  # a Run timeout we did not ask for: treat as lost
        finally:
            events.close()

    async def finish(self, s, ending, done, raw, timeouts, session_number):
        """The agent's text for a followed command."""
        out = self.text(raw)
        self.ending, self.out = ending, out
        if ending == "exited":
            s.running = False
            s.exit_code = done.exit_code
            line = await s.prompt_line(done)
            return out + ("" if (not out or out.endswith("\n")) else "\n") + line
        if ending == "ended":
            s.running, s.ended = False, True
            note = self.ended_note(session_number, done) if done is not None else \
                self.lost_note(session_number)
            return (out + "\n\n" + note) if out else note
        s.running = True
        if ending == "max_time":
            msg = self.info("max_time", timeout=_num(timeouts["max_exec_timeout"]))
        elif ending == "no_output":
            return self.info("no_out_time", timeout=_num(timeouts["first_output_timeout"]))
        elif ending == "pause":
            msg = self.info("pause_time", timeout=_num(timeouts["between_output_timeout"]))
        else:
            msg = self.info("pause_dialog", timeout=_num(timeouts["dialog_timeout"]))
        return (out + "\n\n" + msg) if out else msg

    async def run(self, s, command, timeouts, session_number):
        """Types command into an idle session and follows it."""
        raw = bytearray()
        info = await s.state()
        if info is None:
            raise errors.NotFound("session %s is gone" % s.id)
        if info.state == 4:  # the shell ended while idle
            s.ended = True
            return self.ended_note(session_number, info)
        if info.end_seq > s.seq:  # printed while idle (a background job): shown first, as
            raw += (await self.unread(s, info, expect_done=False))[0]  # Agent Zero does
        raw += RUN_LEADING
        s.commands += 1
        stream = client().run(s.id, command, timeout=_stream_deadline(timeouts))
        ending, done = await self.follow(s, stream, raw, timeouts, True, "run")
        if ending == "exited":
            s.finished = done.command_number
            s.commands = max(s.commands, done.command_number)
        return await self.finish(s, ending, done, raw, timeouts, session_number)

    async def attach(self, s, timeouts, session_number, raw=None):
        """Follows the running command from what was last given to the agent."""
        stream = client().attach(s.id, s.seq, timeout=_stream_deadline(timeouts))
        raw = bytearray() if raw is None else raw
        ending, done = await self.follow(s, stream, raw, timeouts, False, "attach")
        return await self.finish(s, ending, done, raw, timeouts, session_number)

    async def unread(self, s, info, expect_done):
        """Output after s.seq up to info.end_seq (what a0ipcd holds now) and, with expect_done,
        the completion of the command that was running: (raw, done or None)."""
        raw = bytearray()
        if info.end_seq <= s.seq and not expect_done:
            return raw, None
        events = _Events(client().attach(s.id, s.seq, timeout=60))
        done = None
        try:
            while True:
                try:
                    ev = await events.next(2.0)
                except (_Timeout, StopAsyncIteration):
                    break
                which = ev.WhichOneof("event")
                if which == "output":
                    raw += ev.output.data
                    s.seq = ev.output.seq + len(ev.output.data)
                elif which == "lost":
                    s.seq = ev.lost.seq + ev.lost.length
                elif which == "done":
                    d = ev.done
                    if d.reason == 6 or (d.reason == 1 and d.command_number > s.finished):
                        if d.reason == 1:
                            s.finished = d.command_number
                        s.seq = max(s.seq, d.last_seq)
                        done = d
                        break
                if not expect_done and s.seq >= info.end_seq:
                    break
        finally:
            events.close()
        if expect_done and done is None and info.state == 1:
            # idle, but its completion is no longer in the ring buffer: ended, status unknown
            done = _Completion()
        return raw, done


class _Completion:
    """A completion whose exit status is not known any more."""
    reason, exit_code, signal, command_number, last_seq = 1, None, 0, 0, 0


class _Timeout(Exception):
    """No event within the wait (not a gRPC deadline, which is a TimeoutError too)."""


class _Events:
    """The events of a stream, one pending read at a time: a timeout does not cancel the read
    (which would end the stream's iterator), the next call waits for the same read."""

    def __init__(self, stream):
        self.stream = stream
        self.it = stream.__aiter__()
        self.pending = None

    async def next(self, timeout):
        if self.pending is None:
            self.pending = asyncio.ensure_future(self.it.__anext__())
        done, _ = await asyncio.wait({self.pending}, timeout=timeout)
        if not done:
            raise _Timeout()
        fut, self.pending = self.pending, None
        return fut.result()

    def close(self):
        self.stream.cancel()
        if self.pending is not None:
            self.pending.cancel()
            self.pending.add_done_callback(_consume)
            self.pending = None


def _consume(fut):
    if not fut.cancelled():
        fut.exception()


def _stream_deadline(timeouts):
    """A Run or Attach stream is cancelled at the max-execution timeout at the latest; its gRPC
    deadline only bounds a call to a daemon that does not answer at all."""
    return float(timeouts["max_exec_timeout"]) + 60.0


def _num(v):
    return int(v) if float(v).is_integer() else v


def is_lone_control(text):
    """A single control character typed alone (Ctrl-C, Ctrl-D, ...): sent without Enter."""
    return len(text) == 1 and (ord(text) < 32 or ord(text) == 127) and text not in "\n\r\t"
