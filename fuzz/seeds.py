#!/usr/bin/python3
"""Writes the seed corpora of fuzz/corpus/ (small, committed). Run from the repository with the
generated Python stubs: /usr/bin/python3 fuzz/seeds.py build/python"""
import os
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "build/python")
from a0.runtime.v1 import files_pb2 as f, terminal_pb2 as t  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def w(name, key, data):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, key), "wb") as out:
        out.write(data if isinstance(data, bytes) else data.encode())


# fuzz_request: the first byte picks the method (Files 0-8, Terminal 9-17, Health, Reflection)
w("fuzz_request", "stat", bytes([0]) + f.StatRequest(path="a/b.txt", follow_symlinks=True).SerializeToString())
w("fuzz_request", "listdir_resp", bytes([1]) + f.ListDirResponse(entries=[f.FileInfo(name="a", path="d/a", symlink_target="x")]).SerializeToString())
w("fuzz_request", "write", bytes([3]) + f.WriteRequest(header=f.WriteHeader(path="x", create_parents=True)).SerializeToString())
w("fuzz_request", "remove_nul", bytes([4]) + b"\x0a\x0aa.txt\x00.bak")
w("fuzz_request", "create", bytes([9]) + t.CreateSessionRequest(argv=["/bin/sh", "-l"], cwd="/tmp", env={"A": "b"}).SerializeToString())
w("fuzz_request", "run", bytes([10]) + t.RunRequest(session_id="s1", command="ls", dialog_patterns=["y/n"], timeouts=t.RunTimeouts(total_ms=5)).SerializeToString())
w("fuzz_request", "sessions_resp", bytes([16]) + t.ListSessionsResponse(sessions=[t.SessionInfo(session_id="s", running_command="caf\u00e9", argv=["sh"])]).SerializeToString())
w("fuzz_request", "exec", bytes([17]) + t.ExecRequest(argv=["/bin/echo", "hi"], stdin_data=b"\0\xff").SerializeToString())
for i, s in enumerate([b"hello", "caf\u00e9 \U0001F600".encode(), b"caf\xe9", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"\xe2\x82"]):
    w("fuzz_utf8", "s%d" % i, s)
# fuzz_term_clean: the first byte picks max_line
w("fuzz_term_clean", "ansi", b"\x20" + b"hello\r\nworld \x1b[31mred\x1b[0m  \n\x1b]0;title\x07prompt$ \rover\n")
w("fuzz_term_clean", "utf8", b"\x05" + "caf\u00e9\n\u00e9\u00e9\u00e9 line without end".encode())
for i, s in enumerate(["a/b", "../x", "up/..", "abs/etc/passwd", "a/b/upup/x", "a//./b/", "deep/../f", ".", "loop/x", "etc"]):
    w("fuzz_files_path", "p%d" % i, s)
w("fuzz_legacy_json", "obj", '{"a": [1, 2.5, "x\\u00e9\\ud800", null, true, false, -0.0, 1e308], "b": {"c": NaN}}')
w("fuzz_legacy_json", "str", '"\\"\\\\\\/\\b\\f\\n\\r\\t"')
w("fuzz_legacy_base64", "hello", "aGVsbG8=")
w("fuzz_legacy_base64", "two", "AP8=")
w("fuzz_config", "conf", "# a0ipcd\nlisten = unix:/tmp/a0.sock\nlisten = 127.0.0.1:0\nmax-workers = 4\n"
  "terminal = false\nsocket-mode = 0660\nsession-close-grace-max-ms = 100\n")
w("fuzz_tokens", "tokens", "# NAME HASH PERMS\nci 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 *\n"
  "ro 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752 files:read-only "
  "method:/grpc.health.v1.Health/Check service:a0.runtime.v1.Files\n")
