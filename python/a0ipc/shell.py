"""GrpcInteractiveSession: Agent Zero's interactive shell, on a0ipcd's Terminal service.

A drop-in for Agent Zero's SSHInteractiveSession / LocalInteractiveSession (docs/legacy-protocol.md,
"Terminal over SSH"): the same four coroutines, ``connect()``, ``send_command(cmd)``,
``read_output(timeout, reset_full_output) -> (full, partial)`` and ``close()``, returning the same
cleaned text. What changes underneath:

- No polling: a background task reads the session's Run stream as the daemon sends it, and
  read_output waits for the next piece of output (up to ``timeout``) instead of sleeping.
- The daemon knows when a command ends and how: ``exit_code`` and ``completion_reason``
  ("exited", "dialog", "max_time", "idle_timeout", "first_output_timeout", "session_closed")
  say it, so the caller no longer guesses from a prompt (a0ipcd's shells print none).
- Nothing is lost on a dropped connection: the stream offsets are exact, and the task comes back
  with Attach from the last offset it had.
- A command that hits one of the session's Run timeouts keeps running; the task follows it with
  Attach until it ends, and send_command then types into it (answers a dialog), as the legacy
  shell did.

Text: the raw output is cleaned here (term_clean.py, the rules of RunRequest.clean_output)
rather than by the daemon, because only raw output has exact offsets to resume from, and
because the unfinished last line (a question waiting for its answer) must be shown without
ending it. Each command's text starts on its own, as a clean_output Run's does.
"""
from __future__ import annotations

import asyncio
from typing import Mapping, Sequence

from a0ipc import errors
from a0ipc.client import RuntimeClient
from a0ipc.term_clean import Cleaner

_REASONS = {1: "exited", 2: "first_output_timeout", 3: "idle_timeout", 4: "max_time",
            5: "dialog", 6: "session_closed"}
_FINAL = ("exited", "session_closed")
SESSION_STATE_BUSY = 2
RECOVERY_LOOK_S = 2.0  # how long a recovery looks for a completion that may not exist
MAX_REATTACH = 5       # consecutive dropped Attach streams without progress before giving up

# Agent Zero's timeout names (seconds) -> RunTimeouts fields (milliseconds).
_AGENT_ZERO_TIMEOUTS = {"first_output_timeout": "first_output_ms",
                        "between_output_timeout": "between_outputs_ms",
                        "max_exec_timeout": "total_ms",
                        "dialog_timeout": "dialog_ms"}


def run_timeouts(t: Mapping[str, float] | None) -> dict[str, int] | None:
    """A RunTimeouts dict from either its own fields (ms) or Agent Zero's names (seconds)."""
    if not t:
        return None
    out = {}
    for k, v in dict(t).items():
        if k in _AGENT_ZERO_TIMEOUTS:
            out[_AGENT_ZERO_TIMEOUTS[k]] = int(v * 1000)
        else:
            out[k] = int(v)
    return out


class GrpcInteractiveSession:
    """One shell session on a0ipcd.

    client: a RuntimeClient (shared; not closed by close()), or None to make one from the
    environment (A0IPC_TARGET, ...; closed by close()). cwd, env, argv, rows, cols: the shell
    (defaults: the daemon's bash, 50 x 100 like the legacy PTY). timeouts: the Run timeouts
    of every command (RunTimeouts fields in ms, or Agent Zero's names in seconds); none by
    default, so a command's Run lasts until it ends and the caller keeps its own timing.
    dialog_patterns: regular expressions for dialogs (default: the daemon's legacy ones).
    reconnect_timeout: how long a dropped connection may take to come back (seconds).
    """

    def __init__(self, client: RuntimeClient | None = None, *, cwd: str | None = None,
                 env: Mapping[str, str] | None = None, argv: Sequence[str] | None = None,
                 rows: int = 50, cols: int = 100, timeouts: Mapping[str, float] | None = None,
                 dialog_patterns: Sequence[str] = (), idle_ttl_seconds: int = 0,
                 close_grace_ms: int = 0, reconnect_timeout: float = 30.0,
                 max_output_chars: int = 8 << 20):
        self._client = client
        self._own_client = client is None
        self.cwd = cwd
        self.env = dict(env or {})
        self.argv = list(argv or ())
        self.rows, self.cols = rows, cols
        self.timeouts = run_timeouts(timeouts)
        self.dialog_patterns = list(dialog_patterns)
        self.idle_ttl_seconds = idle_ttl_seconds
        self.close_grace_ms = close_grace_ms
        self.reconnect_timeout = reconnect_timeout
        self.max_output_chars = max_output_chars

        self.session_id = None
        self.exact_completion = None   # the daemon detects completions exactly (bash)
        self.exit_code = None          # of the last command, once it ended
        self.completion_reason = None  # why the last Run ended (None while waiting)
        self.running = False           # a command is running (it may have timed out)
        self.lost_bytes = 0            # output the ring buffer dropped before a reattach read it
        self.reconnects = 0            # how often the task came back after a dropped stream

        self._task = None
        self._error = None
        self._changed = asyncio.Event()  # new output, a Done, or an error
        self._done = asyncio.Event()     # the current Run has ended (any reason)
        self._finished = asyncio.Event()  # the current command has ended
        # The output stream: exact offsets.
        self._next_seq = 0     # the next raw byte offset to read
        self._last_number = 0  # command number of the last completion seen
        # The cleaned text: completed lines since the last send/reset, with absolute offsets.
        self._cleaner = Cleaner()
        self._buf = ""
        self._base = 0       # absolute offset of _buf[0]
        self._full_mark = 0  # where `full` starts
        self._read_mark = 0  # completed text already given out as `partial`
        self._last_peek = ""

    # ---- the four legacy coroutines ----

    async def connect(self) -> None:
        """Starts the shell (returns once it is ready for its first command)."""
        if self.session_id is not None:
            return
        if self._client is None:
            self._client = RuntimeClient.from_env()
        resp = await self._client.create_session(self.argv, self.cwd or "", self.env,
                                                 self.rows, self.cols, self.idle_ttl_seconds)
        self.session_id = resp.session_id
        self.exact_completion = resp.exact_completion

    async def close(self) -> None:
        """Ends the session and everything running in it."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        sid, self.session_id = self.session_id, None
        try:
            if sid is not None:
                await self._client.close_session(sid, self.close_grace_ms)
        except FileNotFoundError:
            pass  # gone already (idle time-to-live, daemon restart)
        finally:
            self.running = False
            if self._own_client and self._client is not None:
                await self._client.close()
                self._client = None

    async def send_command(self, command: str) -> None:
        """Runs command; while a command is still running, types it into that one instead
        (an answer to a dialog, input for a program), as the legacy shell's send did."""
        if self.session_id is None:
            raise Exception("Shell not connected")
        self._mark_all_read()
        self._full_mark = self._base + len(self._buf)
        if self.running:
            await self._client.write_input(self.session_id, command + "\n")
            return
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        # Nothing before this command can be read any more: keep only its text from here on.
        self._buf = self._buf[self._full_mark - self._base:]
        self._base = self._full_mark
        self._error = None
        self.running = True
        self.exit_code = None
        self.completion_reason = None
        self._done.clear()
        self._finished.clear()
        self._cleaner = Cleaner()
        self._last_peek = ""
        self._task = asyncio.get_running_loop().create_task(self._follow(command))

    async def read_output(self, timeout: float = 0,
                          reset_full_output: bool = False) -> tuple[str, str]:
        """(full, partial): the cleaned output since the command was sent (or the last reset),
        and what is new since the previous read. Waits up to timeout seconds for new output
        while a command runs; returns at once when there is some, or when nothing runs."""
        if self.session_id is None:
            raise Exception("Shell not connected")
        if reset_full_output:
            # full starts where the last read stopped: output that arrived but was not read
            # yet belongs to it (as in the legacy, which reads its terminal only now)
            self._full_mark = max(self._full_mark, self._read_mark)
        if timeout and timeout > 0 and self.running and self._error is None \
                and not self._has_news():
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        if self._error is not None:
            e, self._error = self._error, None
            raise e
        peek = self._cleaner.peek()
        end = self._base + len(self._buf)
        full = self._buf[max(0, self._full_mark - self._base):] + peek
        partial = self._buf[max(0, self._read_mark - self._base):] + peek
        if self._last_peek and partial.startswith(self._last_peek):
            partial = partial[len(self._last_peek):]
        self._read_mark = end
        self._last_peek = peek
        return full, partial

    # ---- additions ----

    async def wait(self, timeout: float | None = None, final: bool = False) -> str | None:
        """Waits until the current command's Run has ended (its completion, or one of the Run
        timeouts), or with final=True until the command itself has ended. Returns
        completion_reason, or None when timeout seconds passed first."""
        event = self._finished if final else self._done
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            return None
        if self._error is not None:
            e, self._error = self._error, None
            raise e
        return self.completion_reason

    async def interrupt(self) -> None:
        """Sends the terminal's interrupt character (Ctrl-C) to the running command."""
        client, sid = self._client, self.session_id
        assert client is not None and sid is not None, "interrupt() before connect()"
        await client.write_input(sid, b"\x03")

    # ---- the text buffer ----

    def _has_news(self):
        return (self._base + len(self._buf) > self._read_mark
                or self._cleaner.peek() != self._last_peek)

    def _mark_all_read(self):
        self._read_mark = self._base + len(self._buf)
        self._last_peek = self._cleaner.peek()

    def _append(self, text):
        if text:
            self._buf += text
            over = len(self._buf) - self.max_output_chars
            if over > 0:  # keep the newest output, like a terminal's scrollback
                self._buf = self._buf[over:]
                self._base += over

    def _feed(self, seq, data, resumed):
        """Output at stream offset seq. resumed: from an Attach, where the offsets must join
        up with what was read before (a Run's first output may start later: whatever the
        shell printed between commands is not part of it)."""
        if resumed and seq < self._next_seq:  # already had these bytes
            data = data[self._next_seq - seq:]
            seq = self._next_seq
        self._next_seq = seq + len(data)
        self._append(self._cleaner.feed(data))
        self._changed.set()

    def _lost(self, lost):
        self.lost_bytes += lost.length
        self._next_seq = max(self._next_seq, lost.seq + lost.length)

    def _on_done(self, done, final):
        """A Done of our command. final: the command ended (EXITED or SESSION_CLOSED)."""
        self.completion_reason = _REASONS.get(done.reason, "unknown")
        self._next_seq = max(self._next_seq, done.last_seq)
        if final:
            if done.reason == 1:
                self._last_number = done.command_number
            self._append(self._cleaner.finish())
            self.exit_code = done.exit_code
            self.running = False
            self._finished.set()
        self._done.set()
        self._changed.set()

    # ---- the background task ----

    async def _follow(self, command):
        try:
            resume = await self._run(command)
            if resume is not None:  # a timeout ended the Run, or the stream broke
                await self._attach(resume)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._error = e
            self.running = False
            self._done.set()
            self._finished.set()
            self._changed.set()

    async def _run(self, command):
        """The Run stream. Returns None when the command ended, else the offset to Attach
        from (after a Run timeout, or a dropped stream)."""
        start = self._next_seq
        stream = self._client.run(self.session_id, command, timeouts=self.timeouts,
                                  dialog_patterns=self.dialog_patterns)
        got_event = False
        try:
            async for ev in stream:
                got_event = True
                kind = ev.WhichOneof("event")
                if kind == "output":
                    self._feed(ev.output.seq, ev.output.data, resumed=False)
                elif kind == "done":
                    final = _REASONS.get(ev.done.reason) in _FINAL
                    self._on_done(ev.done, final)
                    return None if final else ev.done.last_seq
        except errors.FailedPrecondition as e:
            if got_event or "busy" not in str(e):
                raise
            # Another command is running (typed by another client): give it our line, as the
            # legacy shell would have, and follow that command from here on.
            await self._client.write_input(self.session_id, command + "\n")
            info = await self._session_info()
            self._next_seq = info.end_seq
            return info.end_seq
        except ConnectionError:
            self.reconnects += 1
            if got_event:
                await self._wait_connected()
                return self._next_seq
            return await self._recover_unsent(command, start)
        raise ConnectionError("the Run stream of session %s ended without a result"
                              % self.session_id)

    async def _session_info(self):
        for s in await self._client.list_sessions():
            if s.session_id == self.session_id:
                return s
        raise ConnectionError("session %s is gone (closed, timed out, or the daemon restarted)"
                              % self.session_id)

    async def _recover_unsent(self, command, start):
        """The Run broke before its first event, so the command may or may not have reached
        the daemon. A busy session is running it: follow it from `start` (the end of the
        previous command). An idle one either ran it, and its completion is in the ring after
        `start`, or never got it, and it is sent again. The look at the ring ends at the
        first completion newer than ours, or by its deadline when there is none."""
        await self._wait_connected()
        info = await self._session_info()
        if info.state == SESSION_STATE_BUSY:
            return start
        self._next_seq = start
        try:
            async for ev in self._client.attach(self.session_id, start,
                                                timeout=RECOVERY_LOOK_S):
                kind = ev.WhichOneof("event")
                if kind == "output":
                    self._feed(ev.output.seq, ev.output.data, resumed=True)
                elif kind == "lost":
                    self._lost(ev.lost)
                elif kind == "done" and ev.done.command_number > self._last_number:
                    self._on_done(ev.done, True)
                    return None
        except TimeoutError:
            pass
        return await self._run(command)  # it never ran

    async def _wait_connected(self):
        try:
            await asyncio.wait_for(self._client.channel.channel_ready(), self.reconnect_timeout)
        except asyncio.TimeoutError:
            raise ConnectionError("a0ipcd did not come back within %g s"
                                  % self.reconnect_timeout) from None

    async def _attach(self, from_seq):
        """Follows the command with Attach from from_seq until it ends, coming back after
        dropped streams (with no progress, at most MAX_REATTACH times in a row)."""
        failures = 0
        self._next_seq = from_seq
        while True:
            stream = self._client.attach(self.session_id, self._next_seq)
            try:
                async for ev in stream:
                    failures = 0
                    kind = ev.WhichOneof("event")
                    if kind == "output":
                        self._feed(ev.output.seq, ev.output.data, resumed=True)
                    elif kind == "lost":
                        self._lost(ev.lost)
                    elif kind == "done":
                        closed = ev.done.reason == 6
                        if closed or ev.done.command_number > self._last_number:
                            self._on_done(ev.done, True)  # ours (older ones are skipped)
                            stream.cancel()
                            return
                raise ConnectionError("the Attach stream of session %s ended early"
                                      % self.session_id)
            except ConnectionError:
                failures += 1
                self.reconnects += 1
                if failures > MAX_REATTACH:
                    raise
                await self._wait_connected()
