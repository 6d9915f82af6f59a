"""The legacy terminal's output cleaning against the legacy's own steps run by Python: the same
steps as Agent Zero's shell_ssh.clean_string (docs/legacy-protocol.md, "Terminal over SSH") on
bytes.decode("utf-8", "replace"), over thousands of generated outputs full of escapes, carriage
returns, NULs, white space of every kind and broken UTF-8. Checked against it:
- a0ipc_legacy_clean_output (src/common/legacy_clean.c) on the whole output;
- the streaming cleaner of Run's clean_output (src/services/term_clean.c), fed in random pieces;
- the Python package's port (python/a0ipc/term_clean.py), fed in random pieces;
and, for lines longer than the streaming bound, the C and Python streaming cleaners against each
other (they cut such lines at the same bytes). Run by ctest with A0IPC_LEGACY_CLEAN_FILTER
(legacy_clean_filter.c) and PYTHONPATH=python/."""
import os
import random
import re
import struct
import subprocess
import unittest

from a0ipc import term_clean

ANSI = re.compile(r"\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])")


def legacy_clean(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    text = ANSI.sub("", text)
    text = text.replace("\x00", "")
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    for i in range(len(lines)):
        parts = [part for part in lines[i].split("\r") if part.strip()]
        if parts:
            lines[i] = parts[-1].rstrip()
    return "\n".join(lines)


PIECES = [
    b"a", b"hello", b"root@box:~# ", b" ", b"  ", b"\t", b"\r", b"\n", b"\r\n", b"\r\r\n",
    b"\x00", b"\x1b", b"\x1b[", b"\x1b[0m", b"\x1b[31;1m", b"\x1b[?2004h", b"\x1b[2K", b"\x1b[ q",
    b"\x1b]0;title\x07", b"\x1b]", b"\x1bM", b"\x1b\\", b"\x1b7", b"\x1b(B", b"\x1b[1", b"\x1b[;",
    b"\x0b", b"\x0c", b"\x1c", b"\x1f", "\u00a0".encode(), "\u2028".encode(), "\u3000".encode(),
    "\u0085".encode(), "\u200b".encode(), "caf\u00e9".encode(), "\u2615".encode(),
    "\U0001F600".encode(), b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f\x98",
    b"\xf4\x90\x80\x80", b"\xc0\x80", b"\x80", b"progress 50%\r", b"progress 100%\r\n", b"Y/N? ",
]


def cases(seed, n_pieces, n_random):
    rng = random.Random(seed)
    out = [b"", b"\r", b"\n", b"\x1b[", b"  \r  ", b"a\r\r\n", b"\xe2\x82\xac", b"x\n\x1b[", b"\r\n\r"]
    for _ in range(n_pieces):
        out.append(b"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))))
    for _ in range(n_random):
        out.append(bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))))
    return out


def run_filter(inputs, *args):
    stdin = b"".join(struct.pack("<I", len(c)) + c for c in inputs)
    out = subprocess.run([os.environ["A0IPC_LEGACY_CLEAN_FILTER"], *args], input=stdin,
                         capture_output=True, check=True).stdout
    got, at = [], 0
    for _ in inputs:
        (n,) = struct.unpack_from("<I", out, at)
        got.append(out[at + 4:at + 4 + n].decode("utf-8"))
        at += 4 + n
    assert at == len(out), "the filter wrote more records than it was given"
    return got


def stream_py(data, rng, max_line=64 * 1024):
    c = term_clean.Cleaner(max_line)
    text, at = [], 0
    while at < len(data):
        n = rng.randint(1, 64)
        text.append(c.feed(data[at:at + n]))
        at += n
    text.append(c.finish())
    return "".join(text)


class LegacyCleanAgainstPython(unittest.TestCase):
    def test_whole_output(self):
        inputs = cases(20240607, 4000, 500)
        for case, got in zip(inputs, run_filter(inputs)):
            self.assertEqual(got, legacy_clean(case), f"input {case!r}")

    def test_streamed_output_is_the_legacy_text(self):
        """Lines within the bound: streamed in any pieces, exactly the legacy's text."""
        inputs = cases(7, 3000, 300)
        rng = random.Random(11)
        for case, got in zip(inputs, run_filter(inputs, "stream", "65536")):
            want = legacy_clean(case)
            self.assertEqual(got, want, f"C, input {case!r}")
            self.assertEqual(stream_py(case, rng), want, f"Python, input {case!r}")
            self.assertEqual(term_clean.clean(case), want, f"Python clean(), input {case!r}")

    def test_overlong_lines_cut_alike(self):
        """Lines beyond the bound (16 bytes here) come in pieces: not the legacy's text where a
        carriage return, escape or trailing space spans a cut, but the same in C and Python."""
        inputs = cases(3, 2000, 300)
        rng = random.Random(5)
        for case, got in zip(inputs, run_filter(inputs, "stream", "16")):
            self.assertEqual(got, stream_py(case, rng, 16), f"input {case!r}")


if __name__ == "__main__":
    unittest.main()
