"""a0ipc_legacy_clean_output against the legacy cleaning run by Python itself: the same steps as
Agent Zero's shell_ssh.clean_string (legacy README section 3) on bytes.decode("utf-8", "replace"),
over thousands of generated outputs full of escapes, carriage returns, NULs, white space of every
kind and broken UTF-8. Run by ctest with A0IPC_LEGACY_CLEAN_FILTER (legacy_clean_filter.c)."""
import os
import random
import re
import struct
import subprocess
import unittest

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


class LegacyCleanAgainstPython(unittest.TestCase):
    def test_generated_outputs(self):
        rng = random.Random(20240607)
        cases = [b"", b"\r", b"\n", b"\x1b[", b"  \r  ", b"a\r\r\n", b"\xe2\x82\xac"]
        for _ in range(4000):
            cases.append(b"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))))
        for _ in range(500):
            cases.append(bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))))
        stdin = b"".join(struct.pack("<I", len(c)) + c for c in cases)
        out = subprocess.run([os.environ["A0IPC_LEGACY_CLEAN_FILTER"]], input=stdin,
                             capture_output=True, check=True).stdout
        at = 0
        for case in cases:
            (n,) = struct.unpack_from("<I", out, at)
            got = out[at + 4:at + 4 + n].decode("utf-8")
            at += 4 + n
            self.assertEqual(got, legacy_clean(case), f"input {case!r}")
        self.assertEqual(at, len(out))


if __name__ == "__main__":
    unittest.main()
