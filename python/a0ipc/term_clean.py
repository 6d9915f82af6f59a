"""The legacy SSH terminal's output cleaning, as a0ipcd's RunRequest.clean_output does it.

Why a client-side copy: a GrpcInteractiveSession reads the raw Run and Attach streams, whose
offsets are exact, so that it can resume after a dropped connection with nothing lost or
repeated (cleaned text has no offsets of its own, and Attach has no cleaning); and it must show
the unfinished last line (a dialog's question) without ending it, which the daemon only does at
the end of a Run. The rules are those of src/services/term_clean.c, byte for byte, and
tests/python/test_term_clean.py checks both against the same inputs, the daemon's through real
Run calls:

- bytes are decoded as UTF-8; an invalid byte or a broken sequence becomes one U+FFFD;
- ANSI/ECMA-48 escape sequences (CSI, OSC/DCS/SOS/PM/APC up to BEL or ESC \\, two- and
  three-byte ESC forms) and NUL bytes are removed;
- "\\r\\n" ends a line like "\\n"; of each line only the last segment after a "\\r" that is not
  blank is kept; trailing spaces and tabs are cut.

It is streaming: input may be split anywhere (inside an escape sequence or a character) and the
text is the same as for the whole input at once.
"""

_SPACES = b" \t\v\f"
_MAX_STRING_CMD = 4096
_REPLACEMENT = "\ufffd".encode()

# Escape recogniser states, as in term_clean.c.
_TEXT, _ESC, _NF, _CSI, _STRING, _STRING_ESC = range(6)


def _seq_len(b):
    if 0xC2 <= b <= 0xDF:
        return 2
    if 0xE0 <= b <= 0xEF:
        return 3
    if 0xF0 <= b <= 0xF4:
        return 4
    return 0


def _cont_ok(lead, k, b):
    """Whether b can be the k-th (k >= 1) byte of the sequence started by lead."""
    if b & 0xC0 != 0x80:
        return False
    if k != 1:
        return True
    if lead == 0xE0:
        return b >= 0xA0
    if lead == 0xED:
        return b <= 0x9F
    if lead == 0xF0:
        return b >= 0x90
    if lead == 0xF4:
        return b <= 0x8F
    return True


def _blank(seg):
    return not seg.strip(_SPACES)


class Cleaner:
    """Feed raw terminal bytes; get the cleaned text of each completed line ("...\\n").

    max_line bounds an unfinished line (bytes): a longer one is given out in pieces, as the
    daemon does (64 KiB)."""

    def __init__(self, max_line=64 * 1024):
        self.max_line = max_line
        self._u8 = bytearray()
        self._u8_need = 0
        self._st = _TEXT
        self._string_len = 0
        self._seg = bytearray()   # the current segment (since the last \r)
        self._last = bytearray()  # the last non-blank segment before it
        self._out = []

    # -- output --

    def _emit(self, newline):
        t = self._seg if not _blank(self._seg) else self._last
        text = bytes(t).rstrip(_SPACES)
        self._out.append(text + b"\n" if newline else text)
        self._seg = bytearray()
        self._last = bytearray()

    def _text_char(self, ch):
        if len(ch) == 1:
            b = ch[0]
            if b == 0:
                return
            if b == 0x0A:
                self._emit(True)
                return
            if b == 0x0D:
                if not _blank(self._seg):
                    self._last = self._seg
                self._seg = bytearray()
                return
        if len(self._seg) + len(ch) > self.max_line:
            self._emit(False)  # a line too long to hold: give out what we have
        self._seg += ch

    def _put(self, ch):
        b = ch[0] if len(ch) == 1 else 0x80  # any non-ASCII character acts as "other"
        st = self._st
        if st == _TEXT:
            if b == 0x1B:
                self._st = _ESC
            else:
                self._text_char(ch)
        elif st == _ESC:
            if b == 0x5B:  # [
                self._st = _CSI
            elif b in (0x5D, 0x50, 0x58, 0x5E, 0x5F):  # ] P X ^ _
                self._st = _STRING
                self._string_len = 0
            elif 0x20 <= b <= 0x2F:
                self._st = _NF
            elif 0x30 <= b <= 0x7E:
                self._st = _TEXT  # a two-byte sequence: ESC 7, ESC M, ...
            elif b == 0x1B:
                pass  # ESC ESC: the first one was alone
            else:
                self._st = _TEXT  # a lone ESC before a control or non-ASCII character
                self._text_char(ch)
        elif st == _NF:
            if 0x20 <= b <= 0x2F:
                return
            self._st = _TEXT
            if not 0x30 <= b <= 0x7E:
                self._put(ch)
        elif st == _CSI:
            if 0x20 <= b <= 0x3F:
                return
            self._st = _TEXT
            if not 0x40 <= b <= 0x7E:
                self._put(ch)  # malformed: the sequence ends before this character
        else:  # _STRING, _STRING_ESC
            if b == 0x07 or (st == _STRING_ESC and b == 0x5C):
                self._st = _TEXT
                return
            self._st = _STRING_ESC if b == 0x1B else _STRING
            self._string_len += 1
            if self._string_len > _MAX_STRING_CMD:
                self._st = _TEXT

    def _plain_run(self, data, i):
        """Fast path: the end of the run of printable ASCII starting at i (text state only)."""
        j = i
        n = len(data)
        while j < n and 0x20 <= data[j] <= 0x7E:
            j += 1
        return j

    # -- input --

    def feed(self, data):
        """Cleans data; returns the text of every line it completed (each ending in "\\n")."""
        i, n = 0, len(data)
        while i < n:
            if self._st == _TEXT and not self._u8 and 0x20 <= data[i] <= 0x7E:
                j = self._plain_run(data, i)
                while i < j:  # printable ASCII never ends a line; only max_line splits it
                    room = self.max_line - len(self._seg)
                    if room <= 0:
                        self._emit(False)
                        continue
                    k = min(j, i + room)
                    self._seg += data[i:k]
                    i = k
                continue
            b = data[i]
            i += 1
            if self._u8:
                if _cont_ok(self._u8[0], len(self._u8), b):
                    self._u8.append(b)
                    if len(self._u8) == self._u8_need:
                        ch, self._u8 = bytes(self._u8), bytearray()
                        self._put(ch)
                    continue
                self._u8 = bytearray()  # a broken sequence: one U+FFFD, then b on its own
                self._put(_REPLACEMENT)
            if b < 0x80:
                self._put(bytes((b,)))
                continue
            need = _seq_len(b)
            if need == 0:
                self._put(_REPLACEMENT)
                continue
            self._u8 = bytearray((b,))
            self._u8_need = need
        return self._take()

    def finish(self):
        """The unfinished last line (no "\\n"), and a fresh start for the next one."""
        if self._u8:
            self._u8 = bytearray()  # an unfinished character is an invalid one
            self._put(_REPLACEMENT)
        self._st = _TEXT
        if self._seg or self._last:
            self._emit(False)
        return self._take()

    def peek(self):
        """What the unfinished last line shows now, without ending it (an unfinished character
        or escape sequence is left out until it completes)."""
        t = self._seg if not _blank(self._seg) else self._last
        return bytes(t).rstrip(_SPACES).decode("utf-8")

    def _take(self):
        out, self._out = self._out, []
        return b"".join(out).decode("utf-8")


def clean(data):
    """The whole input at once: feed, then finish."""
    c = Cleaner()
    return c.feed(data) + c.finish()
