"""Proves the legacy reference server (reference_server.py + helpers/rfc_files.py) faithful:
replays tests/fixtures/legacy/files_transcripts.json against it on the fixture tree of its
README and compares by the rules of docs/legacy-protocol.md; checks the envelope, HMAC and error
layouts of "RFC over HTTP" there, and the zip functions the transcripts do not cover.

Comparison rules ("Comparing answers"): results exactly (types too: true is not 1, 1700000000.0 is
not 1700000000), except a directory's "size" and the order of _get_subdirectories_impl (a set).
Errors: the type exactly; the message exactly up to the first ':' that follows the path when the
rest is a Python-specific reason. The recorded run shows mtime 1700000000 even for files written
during it, so its harness set every mtime back before each step; so does this replay.

Run by ctest with A0IPC_FIXTURES set (else the repository's tests/fixtures); it fails (never
skips) without the golden data."""
import base64
import hashlib
import hmac
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "reference_server.py")
FIXTURES = os.path.join(os.environ.get("A0IPC_FIXTURES") or os.path.join(HERE, "..", "fixtures"),
                        "legacy")
PASSWORD = "s3cret"
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from legacy_fixture import MTIME, build_fixture, reset_mtimes, subst  # noqa: E402,F401
from harness_env import spawn  # noqa: E402
MODULE = "helpers.rfc_files"


def load_golden(name):
    path = os.path.join(FIXTURES, name)
    if not os.path.isfile(path):
        raise AssertionError(f"legacy golden data missing: {path} (it is part of the repository, "
                             "tests/fixtures/legacy; A0IPC_FIXTURES points elsewhere)")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def strict_equal(a, b, path="result"):
    """Equality that tells 1 from 1.0 and True from 1, with a diff-friendly message."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} {a!r} vs {type(b).__name__} {b!r}"
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            why = strict_equal(x, y, f"{path}[{i}]")
            if why:
                return why
        return None
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} vs {list(b)}"
        for k in a:
            why = strict_equal(a[k], b[k], f"{path}.{k}")
            if why:
                return why
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def without_dir_sizes(entries):
    return [{k: v for k, v in e.items() if not (k == "size" and e.get("is_dir"))}
            for e in entries]


def message_matches(got, want, root):
    """Exactly, or up to the first ':' after the path when the rest is Python's reason."""
    if got == want:
        return True
    at = want.find(root)
    if at < 0:
        return False
    colon = want.find(":", at + len(root))
    return colon >= 0 and got[:colon + 1] == want[:colon + 1]


def exception_of(body):
    """(type, message) of the exception a 500 body reports, laid out as Agent Zero's server
    lays it out (reference_server.py's doc): the one that ends the traceback's last chained
    section; when that line was moved to the top of the body (an "...Error" type), the top
    line."""
    lines = body.split("\n")
    top = None
    if lines and not lines[0].startswith("Traceback") and ": " in lines[0]:
        top = tuple(lines[0].split(": ", 1))
        lines = lines[1:]
    start = 0
    for i, line in enumerate(lines):
        if line.startswith("The above exception was") or line.startswith("During handling"):
            start = i + 1
    for i, line in enumerate(lines[start:]):
        if not line or line[0] in " \t" or line.startswith("Traceback") or line.startswith(">>>"):
            continue
        type_, _, msg = line.partition(": ")
        rest = [x for x in lines[start + i + 1:]]
        while rest and not rest[-1].strip():
            rest.pop()
        return type_, "\n".join([msg] + rest)
    return top


def old_exception_of(body):
    """The rule this file used before (docs/legacy-protocol.md, "RFC over HTTP", read literally: the first
    line for "...Error" types, else the last line): wrong for a chained failure whose cause is
    an "...Error", as Agent Zero's server puts the cause's line on top."""
    first = body.split("\n")[0]
    if not first.startswith("Traceback") and ": " in first:
        type_, msg = first.split(": ", 1)
        if type_.endswith("Error"):
            return type_, msg
    last = [line for line in body.split("\n") if line.strip()][-1]
    type_, _, msg = last.partition(": ")
    return type_, msg


class Server:
    def __init__(self, password):
        env = dict(os.environ)
        env.pop("RFC_PASSWORD", None)
        if password is not None:
            env["RFC_PASSWORD"] = password
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.proc = spawn([sys.executable, SERVER, "--port", "0"], env=env,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            self.stop()
            raise AssertionError(f"reference server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/api/rfc"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()

    def post(self, body):
        """(status, content type, text) for a raw request body."""
        req = urllib.request.Request(self.url, data=body.encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers.get_content_type(), r.read().decode()
        except urllib.error.HTTPError as e:
            with e:
                return e.code, e.headers.get_content_type(), e.read().decode()

    def call(self, function, args, kwargs=None, module=MODULE, password=PASSWORD):
        rfc_input = json.dumps({"module": module, "function_name": function, "args": args,
                                "kwargs": kwargs or {}})
        digest = hmac.new(password.encode(), rfc_input.encode(), hashlib.sha256).hexdigest()
        return self.post(json.dumps({"rfc_input": rfc_input, "hash": digest}))


class ReferenceServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="a0ipc-refsrv-")
        build_fixture(self.root)
        reset_mtimes(self.root)

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def test_replays_files_transcripts(self):
        steps = load_golden("files_transcripts.json")["steps"]
        self.assertGreater(len(steps), 0)
        for i, step in enumerate(steps):
            with self.subTest(step=i, function=step["function"]):
                reset_mtimes(self.root)
                status, ctype, text = self.server.call(step["function"],
                                                       subst(step["args"], self.root))
                if "error" in step:
                    want = subst(step["error"], self.root)
                    self.assertEqual(status, 500, text)
                    self.assertEqual(ctype, "text/plain")
                    type_, msg = exception_of(text)
                    self.assertEqual(type_, want["type"], text)
                    self.assertTrue(message_matches(msg, want["message"], self.root),
                                    f"{msg!r} vs {want['message']!r}")
                    continue
                self.assertEqual(status, 200, text)
                self.assertEqual(ctype, "application/json")
                got, want = json.loads(text), subst(step["result"], self.root)
                if step["function"] == "_list_folder_impl":
                    got, want = without_dir_sizes(got), without_dir_sizes(want)
                if step["function"] == "_get_subdirectories_impl":
                    self.assertEqual(sorted(got), sorted(want))
                    self.assertEqual(len(got), len(set(got)))
                    continue
                self.assertIsNone(strict_equal(got, want))

    def test_vectors_are_accepted_by_their_password_only(self):
        for v in load_golden("rfc_vectors.json")["vectors"]:
            if v["module"] != MODULE:
                continue
            body = json.dumps(v["call"])
            status, _, text = self.server.post(body)
            if v["password"] == PASSWORD:
                self.assertNotIn("Invalid RFC hash", text)
            else:
                self.assertEqual(status, 500)
                self.assertEqual(exception_of(text), ("Exception", "Invalid RFC hash"))

    def test_wrong_hash(self):
        status, ctype, text = self.server.call("_path_exists_impl", [self.root], password="nope")
        self.assertEqual((status, ctype), (500, "text/plain"))
        self.assertTrue(text.startswith("Traceback (most recent call last):\n"), text)
        self.assertEqual([line for line in text.split("\n") if line][-1],
                         "Exception: Invalid RFC hash")
        # The HMAC covers rfc_input exactly as sent: one more space and it no longer matches.
        rfc_input = json.dumps({"module": MODULE, "function_name": "_path_exists_impl",
                                "args": [self.root], "kwargs": {}})
        digest = hmac.new(PASSWORD.encode(), rfc_input.encode(), hashlib.sha256).hexdigest()
        status, _, _ = self.server.post(json.dumps({"rfc_input": rfc_input, "hash": digest}))
        self.assertEqual(status, 200)
        status, _, text = self.server.post(json.dumps({"rfc_input": rfc_input + " ",
                                                       "hash": digest}))
        self.assertEqual(exception_of(text), ("Exception", "Invalid RFC hash"))

    def test_no_password(self):
        bare = Server(None)
        try:
            status, _, text = bare.call("_path_exists_impl", [self.root])
        finally:
            bare.stop()
        self.assertEqual(status, 500)
        self.assertEqual(exception_of(text),
                         ("Exception", "No RFC password, cannot handle RFC calls."))

    def test_error_layouts(self):
        missing = os.path.join(self.root, "missing")
        status, _, text = self.server.call("_read_file_as_base64_impl", [missing])
        lines = text.split("\n")
        self.assertEqual(status, 500)
        self.assertEqual(lines[0], f"FileNotFoundError: File not found: {missing}")
        self.assertEqual(lines[1], "")
        self.assertEqual(lines[2], "Traceback (most recent call last):")
        status, _, text = self.server.call("_read_file_as_base64_impl", [self.root])
        self.assertTrue(text.startswith("Traceback (most recent call last):\n"))
        self.assertEqual([line for line in text.split("\n") if line][-1],
                         f"Exception: Path is not a file: {self.root}")

    def test_chained_error_body_is_agent_zeros_layout(self):
        # _move_file_impl wraps the OSError: Exception("Failed to move file S to D: ...")
        src, dst = os.path.join(self.root, "nothere"), os.path.join(self.root, "x")
        status, _, text = self.server.call("_move_file_impl", [src, dst])
        self.assertEqual(status, 500)
        lines = text.split("\n")
        cause = f"FileNotFoundError: [Errno 2] No such file or directory: '{src}' -> '{dst}'"
        self.assertEqual(lines[:4], [cause, "", "Traceback (most recent call last):",
                                     "Traceback (most recent call last):"])
        self.assertIn("During handling of the above exception, another exception occurred:",
                      lines)
        self.assertNotIn(cause, lines[1:])  # moved to the top
        raised = ("Exception", f"Failed to move file {src} to {dst}: [Errno 2] No such file or "
                               f"directory: '{src}' -> '{dst}'")
        self.assertEqual([line for line in lines if line][-1], ": ".join(raised))
        self.assertEqual(exception_of(text), raised)
        self.assertNotEqual(old_exception_of(text), raised)  # the old reading took the cause
        # a plain "...Error" that is raised itself: on top, and not repeated below
        status, _, text = self.server.call("_read_file_as_base64_impl",
                                           [os.path.join(self.root, "missing")])
        self.assertEqual(exception_of(text), ("FileNotFoundError", "File not found: "
                                              + os.path.join(self.root, "missing")))
        self.assertEqual(text.split("\n").count("FileNotFoundError: File not found: "
                                                 + os.path.join(self.root, "missing")), 1)

    def test_only_the_served_module(self):
        status, _, text = self.server.call("getcwd", [], module="os")
        self.assertEqual(status, 500)
        self.assertEqual(exception_of(text), ("ModuleNotFoundError", "No module named 'os'"))
        status, _, text = self.server.call("os", [])  # a module imported by rfc_files
        self.assertEqual(exception_of(text),
                         ("AttributeError", f"module '{MODULE}' has no attribute 'os'"))
        status, _, text = self.server.call("_read", [os.path.join(self.root, "a.txt")])
        self.assertEqual(status, 200)  # any function defined there, as the legacy would

    def test_zip_dir(self):
        status, _, text = self.server.call("_zip_dir_impl", [os.path.join(self.root, "sub")])
        self.assertEqual(status, 200)
        zip_path = json.loads(text)
        try:
            self.assertTrue(zip_path.endswith(".zip"))
            with zipfile.ZipFile(zip_path) as zf:
                self.assertEqual(sorted(zf.namelist()), ["sub/deeper/two.txt", "sub/one.txt"])
                self.assertEqual(zf.read("sub/deeper/two.txt"), b"two\n" * 100)
                self.assertTrue(all(i.compress_type == zipfile.ZIP_DEFLATED
                                    for i in zf.infolist()))
        finally:
            os.unlink(zip_path)

    def test_read_directory(self):
        status, _, text = self.server.call("_read_directory_impl", [os.path.join(self.root, "sub")])
        self.assertEqual(status, 200)
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(json.loads(text)))) as zf:
            self.assertEqual(sorted(zf.namelist()), ["deeper/two.txt", "one.txt"])
            self.assertEqual(zf.read("one.txt"), b"one\n")
        for path, want in ((os.path.join(self.root, "nope"), ("FileNotFoundError",
                            f"Directory not found: {self.root}/nope")),
                           (os.path.join(self.root, "a.txt"), ("Exception",
                            f"Path is not a directory: {self.root}/a.txt"))):
            status, _, text = self.server.call("_read_directory_impl", [path])
            self.assertEqual(status, 500)
            self.assertEqual(exception_of(text), want)


if __name__ == "__main__":
    unittest.main()
