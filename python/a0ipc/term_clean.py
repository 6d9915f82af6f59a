"""The legacy SSH terminal's output cleaning, as a0ipcd's RunRequest.clean_output does it.

Why a client-side copy: a GrpcInteractiveSession reads the raw Run and Attach streams, whose
offsets are exact, so that it can resume after a dropped connection with nothing lost or
repeated (cleaned text has no offsets of its own, and Attach has no cleaning); and it must show
the unfinished last line (a dialog's question) without ending it, which the daemon only does at
the end of a Run.

The rules are the legacy's own (Agent Zero's shell_ssh.clean_string, docs/legacy-protocol.md,
"Terminal over SSH"): legacy_clean() below is its code on bytes.decode("utf-8", "replace"). The
daemon's C cleaning (src/common/legacy_clean.c, streamed by src/services/term_clean.c) gives the
same text byte for byte; tests/unit/test_legacy_clean_python.py checks the three against each other.

Streaming: bytes are held until a line is complete (up to and including its "\\n") and each line
is cleaned on its own, which gives exactly the legacy's text for the whole stream (no step of
the legacy cleaning reaches across a "\\n" byte; term_clean.c has the argument). The only
inexact case, as in the daemon and cut at the same bytes: a line longer than max_line bytes is
given out in pieces (each time max_line + 1 bytes of it are held, the first max_line, moved back
to a UTF-8 character's start), and each piece is cleaned on its own.
"""
import re

_ANSI = re.compile(r"\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])")
_MIN_LINE = 16


def legacy_clean(data):
    """The legacy cleaning of bytes, exactly: decode (replace), escapes out, NUL out, "\\r\\n"
    to "\\n", of each line the last part between carriage returns that is not blank, with
    trailing white space cut (a line with no such part stays as it was)."""
    text = bytes(data).decode("utf-8", errors="replace")
    text = _ANSI.sub("", text)
    text = text.replace("\x00", "")
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    for i in range(len(lines)):
        parts = [part for part in lines[i].split("\r") if part.strip()]
        if parts:
            lines[i] = parts[-1].rstrip()
    return "\n".join(lines)


def _seq_len(b):
    if 0xC2 <= b <= 0xDF:
        return 2
    if 0xE0 <= b <= 0xEF:
        return 3
    if 0xF0 <= b <= 0xF4:
        return 4
    return 0


def _second_ok(lead, b):
    if lead == 0xE0:
        return 0xA0 <= b <= 0xBF
    if lead == 0xED:
        return 0x80 <= b <= 0x9F
    if lead == 0xF0:
        return 0x90 <= b <= 0xBF
    if lead == 0xF4:
        return 0x80 <= b <= 0x8F
    return b & 0xC0 == 0x80


def _incomplete_tail(p):
    """How many bytes at the end of p start a UTF-8 sequence that is not complete yet (0 to 3);
    src/services/term_utf8.c's a0ipc_utf8_incomplete_tail."""
    n = len(p)
    for back in range(1, min(3, n) + 1):
        b = p[n - back]
        if b & 0xC0 == 0x80:
            continue
        need = _seq_len(b)
        if need == 0 or need <= back:
            return 0
        if back >= 2 and not _second_ok(b, p[n - back + 1]):
            return 0
        return back
    return 0


class Cleaner:
    """Feed raw terminal bytes; get the cleaned text of each completed line ("...\\n").

    max_line bounds the raw bytes held for an unfinished line: a longer one is given out in
    pieces, as the daemon does (64 KiB; at least 16)."""

    def __init__(self, max_line=64 * 1024):
        self.max_line = max(max_line, _MIN_LINE)
        self._line = bytearray()  # the unfinished line's raw bytes

    def feed(self, data):
        """Cleans data; returns the text of every line it completed (each ending in "\\n") and
        the pieces of overlong lines."""
        data = bytes(data)
        out = []
        i, n, limit = 0, len(data), self.max_line + 1
        while i < n:
            window = min(n - i, limit)
            nl = data.find(b"\n", i, i + window)
            upto = nl - i if nl >= 0 else window
            if not self._line and nl >= 0 and upto <= self.max_line:
                # Whole lines where they lie, all at once: the same text as line by line.
                end = nl + 1
                while True:
                    nxt = data.find(b"\n", end, min(n, end + limit))
                    if nxt < 0:
                        break
                    end = nxt + 1
                out.append(legacy_clean(data[i:end]))
                i = end
                continue
            take = min(limit - len(self._line), upto)
            self._line += data[i:i + take]
            i += take
            if len(self._line) > self.max_line:
                head = self._line[:self.max_line]
                cut = self.max_line - _incomplete_tail(head)
                out.append(legacy_clean(self._line[:cut]))
                del self._line[:cut]
                continue
            if take == upto and nl >= 0:
                self._line += b"\n"
                i += 1
                out.append(legacy_clean(self._line))
                self._line = bytearray()
        return "".join(out)

    def finish(self):
        """The unfinished last line cleaned (no "\\n"), and a fresh start for the next one."""
        text = legacy_clean(self._line) if self._line else ""
        self._line = bytearray()
        return text

    def peek(self):
        """What the unfinished last line shows now, without ending it (an unfinished UTF-8
        character is left out until it completes)."""
        line = self._line[:len(self._line) - _incomplete_tail(self._line)]
        return legacy_clean(line)


def clean(data):
    """The whole input at once."""
    return legacy_clean(data)
