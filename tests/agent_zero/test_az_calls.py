"""Every runtime call site of Agent Zero v1.x served by the plugin's dispatch, against
live_calls.json (Agent Zero's own functions run in-process on the fixture trees, 138 steps).

The fixture trees are built in a scratch directory, a real a0ipcd serves the root "/" (so the
recorded absolute paths work as they did in Agent Zero's container), the plugin is installed in
a stand-in Agent Zero tree whose runtime functions are signature-only stand-ins that raise
AssertionError when run (so every step proves it was served by a0ipcd, not run in the
framework), and each step goes through helpers.runtime.call_development_function, which the
plugin's hook replaces. Results, exception types and messages and the trees after each step are
compared with the recording; the documented differences are listed in DIFFERENCES (and in
docs/agent-zero-calls.md).
"""
import asyncio
import base64
import http.server
import io
import json
import os
import re
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time
import types
import unittest
import zipfile

from az_support import AgentZeroTree, Daemon, fixture
from support import MTIME, LegacyServer, build_fixture, reset_mtimes

KEEP_ENV = ("A0IPCD", "A0IPC_CLI", "A0IPC_PYTHON_GEN", "A0IPC_LEGACY_SERVER")

with open(fixture("live_calls.json"), encoding="utf-8") as _f:
    LIVE = json.load(_f)

# (function, step index) -> why the answer cannot be the recorded one (docs/agent-zero-calls.md)
DIFFERENCES = {
    ("helpers.rfc_exchange._provide_root_password", 0):
        "refused on purpose: a0ipcd has no container root password to hand out",
    ("helpers.rfc_exchange._provide_root_password", 1):
        "refused on purpose: a0ipcd has no container root password to hand out",
}

EXTRA_FILES = {
    "two  spaces.txt": b"a name with two  spaces\n\n",
    "big.txt": b"x" * (1024 * 1024 + 1),
    "latin1.txt": b"caf\xe9\n",
    "long_line.txt": b"word " * 1000 + b"\nshort\n",
    "many_lines.txt": "".join("line %d with some words to count\n" % i
                              for i in range(1, 3001)).encode(),
    "crlf.txt": b"one\r\ntwo\r\n",
    "big.promptinclude.md": b"token " * 2500,
    "blank.promptinclude.md": b" \n \n",
    "notes.promptinclude.md": b"# include me\nalways answer in English\n",
    "sub/deep.promptinclude.md": b"nested include\n",
    "node_modules/pkg/ignored.promptinclude.md": b"must be ignored\n",
}
PATCH_START = b"l1\nl2\nl3\nl4\n"


def clean_env(test):
    saved = dict(os.environ)

    def restore():
        os.environ.clear()
        os.environ.update(saved)
        time.tzset()
    test.addCleanup(restore)
    for k in list(os.environ):
        if (k.startswith("A0IPC_") and k not in KEEP_ENV) or k == "RFC_PASSWORD":
            del os.environ[k]
    os.environ["TZ"] = "UTC"
    time.tzset()


def tree_of(root, under=None):
    """{relative path: size | "dir"} of everything below root (or below root/under...)."""
    out = {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(top, name)
            rel = os.path.relpath(p, root)
            if under and not any(rel == u or rel.startswith(u + "/") for u in under):
                continue
            out[rel] = "dir" if os.path.isdir(p) and not os.path.islink(p) else \
                os.lstat(p).st_size
    return out


class Stub(http.server.BaseHTTPRequestHandler):
    """The SearXNG stand-in: records the request, answers the recorded JSON."""
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        Stub.received.append({"method": "POST", "path": self.path,
                              "content_type": self.headers.get("Content-Type"), "body": body})
        data = json.dumps({"query": "stub", "results": [{"title": "t", "url": "u",
                                                         "content": "c"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


class Calls(unittest.TestCase):
    """The 138 steps of live_calls.json through the hook."""

    def setUp(self):
        clean_env(self)
        old_umask = os.umask(0o022)
        self.addCleanup(os.umask, old_umask)
        self.t0 = time.time()
        self.scratch = self.make_scratch()
        self.root = os.path.join(self.scratch, "fx")
        self.extra = os.path.join(self.scratch, "extra")
        self.home = os.path.join(self.scratch, "home")
        os.makedirs(self.home)
        os.environ["HOME"] = self.home
        self.build_extra()
        self.daemon = Daemon("/", tcp=False)
        self.addCleanup(self.daemon.stop)
        os.environ["A0IPC_TARGET"] = self.daemon.unix
        self.tree = AgentZeroTree()
        self.addCleanup(self.tree.close)
        self.runtime = self.tree.module("helpers.runtime")
        from a0ipc.agent_zero import runtime_hook
        self.assertTrue(runtime_hook.install())
        cwd = os.getcwd()
        os.chdir(self.scratch)  # the runtime process's cwd in the recording: $SCRATCH
        self.addCleanup(os.chdir, cwd)

    # ---- fixture ----

    def make_scratch(self):
        """A scratch dir whose extra tree's big.promptinclude.md path counts 14 tokens (the
        stand-in tokenizer), as in the recording: the prompt-include budget charges the path
        (derived from the recorded budget step: 300 - 281 - 5)."""
        here = os.path.dirname(os.path.abspath(__file__))
        import importlib.util
        spec = importlib.util.spec_from_file_location(
            "_a0az_tokens", os.path.join(here, "fake_agent_zero", "helpers", "tokens.py"))
        tokens = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tokens)

        def cost(path):
            return tokens.count_tokens(os.path.join(path, "extra", "big.promptinclude.md"))
        tmp = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
        for _ in range(100):  # the random part of the name may cost too much: another one
            base = tempfile.mkdtemp(prefix="az", dir=tmp)
            if cost(base) <= 14:
                break
            os.rmdir(base)
        path = base
        while cost(path) < 14:
            path = os.path.join(path, "p")
        self.padded_ok = cost(path) == 14
        os.makedirs(path, exist_ok=True)
        self.addCleanup(shutil.rmtree, base, True)
        return path

    def build_extra(self):
        os.makedirs(self.extra)
        for rel, data in EXTRA_FILES.items():
            p = os.path.join(self.extra, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
        os.symlink("two  spaces.txt", os.path.join(self.extra, "link_to_file"))
        os.symlink("/nonexistent-target", os.path.join(self.extra, "dangling_link"))
        reset_mtimes(self.extra)

    def rebuild_root(self):
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root)
        build_fixture(self.root)
        reset_mtimes(self.root)

    # ---- placeholders ----

    def subst(self, v):
        if isinstance(v, str):
            for k, r in (("${ROOT#/}", self.root[1:]), ("$ROOT", self.root),
                         ("${EXTRA#/}", self.extra[1:]), ("$EXTRA", self.extra),
                         ("${SCRATCH#/}", self.scratch[1:]), ("$SCRATCH", self.scratch),
                         ("$A0BASE", self.tree.dir), ("$A0_SRC", self.tree.dir),
                         ("$TMP", tempfile.gettempdir()), ("$HOME", self.home)):
                v = v.replace(k, r)
            return v
        if isinstance(v, list):
            return [self.subst(x) for x in v]
        if isinstance(v, dict):
            return {k: self.subst(x) for k, x in v.items()}
        return v

    def same(self, want, got):
        """want (substituted) against got; NOW is a time stamp of this run."""
        if want == "NOW":
            return isinstance(got, float) and self.t0 - 5 <= got <= time.time() + 5
        if isinstance(want, dict) and isinstance(got, dict):
            return want.keys() == got.keys() and all(self.same(want[k], got[k]) for k in want)
        if isinstance(want, list) and isinstance(got, list):
            return len(want) == len(got) and all(self.same(a, b) for a, b in zip(want, got))
        return type(want) is type(got) and want == got or (
            isinstance(want, (int, float)) and not isinstance(want, bool)
            and isinstance(got, (int, float)) and not isinstance(got, bool) and want == got)

    # ---- the functions ----

    def function(self, full):
        module, name = full.rsplit(".", 1)
        if full == "plugins._code_execution.tools.code_execution_tool.make_dir":
            # the code-execution plugin's file belongs to the code-execution tests: a stand-in
            # function whose code lives at that file's path (all the RFC name is made from)
            path = os.path.join(self.tree.dir, *module.split(".")) + ".py"
            ns = {}
            exec(compile("def make_dir(path):\n    raise AssertionError('ran in the framework "
                         "process')\n", path, "exec"), ns)
            return ns["make_dir"]
        mod = self.tree.module(module)
        func = getattr(mod, name)
        if full == "helpers.files.exists":
            # the stand-in tree's exists is a working function; its code with an os that
            # cannot be used proves it is not run here
            class NoOs:
                def __getattr__(self, attr):
                    raise AssertionError("ran in the framework process")
            func = types.FunctionType(func.__code__, dict(func.__globals__, os=NoOs(),
                                                          _resolve_path=NoOs()), func.__name__)
        return func

    def call(self, func, *args, **kwargs):
        return asyncio.run(self.runtime.call_development_function(func, *args, **kwargs))

    # ---- one step ----

    def prepare(self, full, i, step):
        args = self.subst(step.get("args", []))
        kwargs = self.subst(step.get("kwargs", {}))
        if full == "api.edit_work_dir_file.save_file" and args[1] == "<1 MiB + 1 byte of 'x'>":
            args[1] = "x" * (1024 * 1024 + 1)
        if full == "helpers.rfc_exchange._provide_root_password":
            args = ["2d2d2d2d2d424547494e"]
        if full == "api.download_work_dir_file.fetch_file" and "<random>" in args[0]:
            zip_dir = self.function("helpers.files.zip_dir")
            self.zip_made = self.call(zip_dir, os.path.join(self.root, "sub"))
            self.addCleanup(os.unlink, self.zip_made)
            args = [self.zip_made]
        return args, kwargs

    def check_result(self, full, step, got):
        want = self.subst(step["result"])
        if full == "helpers.files.zip_dir":
            ok = isinstance(got, str) and re.fullmatch(
                re.escape(tempfile.gettempdir()) + r"/tmp[a-z0-9_]{8}\.zip", got) is not None
            if ok:
                self.addCleanup(os.unlink, got)
                with zipfile.ZipFile(got) as z:
                    entries = sorted(
                        ({"name": i.filename, "size": i.file_size,
                          "compress_type": {8: "deflated", 0: "stored"}[i.compress_type],
                          "date_time": "%04d-%02d-%02dT%02d:%02d:%02d" % i.date_time}
                         for i in z.infolist()), key=lambda e: e["name"])
                want_entries = sorted(self.subst(step["zip_entries"]), key=lambda e: e["name"])
                ok = entries == want_entries and stat.S_IMODE(os.stat(got).st_mode) == 0o600
            return ok
        if full == "api.download_work_dir_file.fetch_file" and want.startswith("base64 of"):
            n = int(re.search(r"\((\d+) chars\)", want).group(1))
            names = zipfile.ZipFile(io.BytesIO(base64.b64decode(got))).namelist()
            return len(got) == n and sorted(names) == sorted(step["decoded_zip_entries"])
        if full == "api.get_work_dir_files.get_files" and want["entries"] == "27 entries":
            # the file system root of the recording machine; here: what ls -la of / gives
            count = 0
            for name in os.listdir("/"):
                p = os.path.join("/", " ".join(name.split()))
                if os.path.isfile(p) or os.path.isdir(p):
                    count += 1
            return (got["current_path"], got["parent_path"]) == ("", "") and \
                len(got["entries"]) == count
        if full.endswith("file_ops.read_file") and want["content"].startswith("<750 lines"):
            lines = got["content"].split("\n")
            rest = dict(want, content=None) == dict(got, content=None)
            return rest and len(lines) == 750 and lines[0] == "   1 line 1 with some words " \
                "to count" and lines[-1] == " 750 line 750 with some words to count"
        if full == "api.file_info.get_file_info" and got.get("is_dir"):
            want["size"] = os.stat(want["abs_path"]).st_size  # a directory's size: the fs's
        return self.same(want, got)

    def check_after(self, full, step):
        """The step's recorded effects: tree_after, bytes, modes, contents."""
        problems = []
        if "tree_after" in step:
            if full.endswith("write_attachment") and step["args"][0].startswith("usr/"):
                got = tree_of(self.tree.dir, under=("usr/email", "usr/whatsapp"))
                got["usr"] = "dir"
            else:
                got = tree_of(self.root)
            want = step["tree_after"]
            if got != want:
                problems.append("tree_after: %r != %r" % (got, want))
        if "bytes_on_disk" in step:
            p = self.subst(step["args"][0])
            with open(p, "rb") as f:
                if f.read() != base64.b64decode(step["bytes_on_disk"][len("bytes:"):]):
                    problems.append("bytes_on_disk")
        if "mode_after" in step:
            p = self.subst(step["args"][0])
            if oct(stat.S_IMODE(os.stat(p).st_mode)) != step["mode_after"]:
                problems.append("mode_after %s" % oct(stat.S_IMODE(os.stat(p).st_mode)))
        if "content_after" in step:
            with open(self.subst(step["args"][0]), encoding="utf-8") as f:
                if f.read() != step["content_after"]:
                    problems.append("content_after")
        if step.get("created_under_cwd"):
            if not os.path.isdir(os.path.join(self.scratch, step["args"][0])):
                problems.append("not created under the cwd")
        if "state_after" in step:
            # the container's job loop was paused; here nothing is (no container scheduler),
            # and the framework's own loop must not have been paused either
            if self.tree.module("helpers.job_loop").keep_running is not True:
                problems.append("the framework's job loop was paused")
        if "request_received_by_stub" in step:
            if Stub.received[-1:] != [step["request_received_by_stub"]]:
                problems.append("stub received %r" % Stub.received[-1:])
        return problems

    def run_step(self, full, i, step):
        """None when equal, else what differs."""
        func = self.function(full)
        if full.endswith("file_ops.validate_edits"):
            # not a runtime call: it runs in the framework; through the hook it is refused
            from a0ipc.agent_zero.dispatch import NotServed
            try:
                self.call(func, [{"from": 1}])
            except NotServed as e:
                return None if "file_ops.validate_edits" in str(e) else str(e)
            return "validate_edits was served"
        args, kwargs = self.prepare(full, i, step)
        try:
            got = ("ok", self.call(func, *args, **kwargs))
        except AssertionError:
            raise
        except Exception as e:  # noqa: BLE001
            got = ("error", e)
        problems = []
        if "exception" in step:
            want = self.subst(step["exception"])
            if full == "helpers.searxng._search":
                want["message"] = want["message"].replace("55510", str(self.stub_port))
            if got[0] != "error" or type(got[1]).__name__ != want["type"] or \
                    str(got[1]) != want["message"]:
                problems.append("want %s(%r), got %r" % (want["type"], want["message"], got))
        elif got[0] == "error":
            problems.append("raised %s(%s)" % (type(got[1]).__name__, got[1]))
        elif not self.check_result(full, step, got[1]):
            problems.append("result %r" % (got[1],) if len(repr(got[1])) < 3000 else
                            "result differs")
        problems += self.check_after(full, step)
        return "; ".join(problems) or None

    def start_stub(self):
        try:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 55510), Stub)
        except OSError:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
        self.stub_port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        searxng = self.tree.module("helpers.searxng")
        searxng.URL = "http://localhost:%d/search" % self.stub_port
        return server

    def test_every_step(self):
        self.assertTrue(self.padded_ok, "could not make a scratch path of the recorded length")
        results = {}
        module = None
        for full, group in LIVE["functions"].items():
            # $ROOT is rebuilt before each group: the functions of one module
            if full.rsplit(".", 1)[0] != module:
                module = full.rsplit(".", 1)[0]
                self.rebuild_root()
            if full.endswith("file_ops.apply_patch"):
                with open(os.path.join(self.root, "patch.txt"), "wb") as f:
                    f.write(PATCH_START)
            stub = self.start_stub() if full == "helpers.searxng._search" else None
            try:
                for i, step in enumerate(group["steps"]):
                    if full == "helpers.searxng._search" and "exception" in step:
                        stub.shutdown()
                        stub.server_close()
                        stub = None
                    results[(full, i)] = self.run_step(full, i, step)
            finally:
                if stub is not None:
                    stub.shutdown()
                    stub.server_close()
        equal = sum(1 for v in results.values() if v is None)
        print("\n%d/%d steps equal" % (equal, len(results)))
        for k, v in results.items():
            if v is not None:
                print("  differs: %s[%d]: %s%s" % (k[0], k[1], v[:400],
                                                   "  (documented: %s)" % DIFFERENCES[k]
                                                   if k in DIFFERENCES else ""))
        self.assertEqual(len(results), LIVE["summary"]["steps"])
        self.assertEqual({k for k, v in results.items() if v is not None}, set(DIFFERENCES))


class Dispatch(unittest.TestCase):
    """NotServed, the refusal, the backend switch per function, the legacy side's RFC."""

    def setUp(self):
        clean_env(self)
        self.tree = AgentZeroTree()
        self.addCleanup(self.tree.close)
        self.runtime = self.tree.module("helpers.runtime")
        from a0ipc.agent_zero import runtime_hook
        runtime_hook.install()

    def call(self, func, *args, **kwargs):
        return asyncio.run(self.runtime.call_development_function(func, *args, **kwargs))

    def test_not_served_names_the_function(self):
        from a0ipc.agent_zero.dispatch import NotServed
        files = self.tree.module("helpers.files")
        with self.assertRaises(NotServed) as cm:
            self.call(files.deabsolute_path, "/x")
        self.assertEqual((cm.exception.module, cm.exception.name),
                         ("helpers.files", "deabsolute_path"))
        self.assertIn("helpers.files.deabsolute_path", str(cm.exception))
        self.assertEqual(self.runtime.RFC_CALLS, [])  # not sent anywhere either

    def test_table_covers_the_recorded_functions(self):
        from a0ipc.agent_zero import dispatch
        remote = [f for f, g in LIVE["functions"].items() if g["kind"] != "helper, not remote"]
        self.assertEqual(len(remote), LIVE["summary"]["distinct_functions"])
        for f in remote:
            self.assertIn(f, dispatch.TABLE)
            if f.startswith("plugins."):
                self.assertIn("usr." + f, dispatch.TABLE)

    def legacy_runtime(self):
        """The reference server serving stand-in Agent Zero runtime modules, recording the
        module and function of every RFC it receives."""
        mods = tempfile.mkdtemp(prefix="a0az-legacy-")
        self.addCleanup(shutil.rmtree, mods, True)
        os.makedirs(os.path.join(mods, "api"))
        with open(os.path.join(mods, "api", "get_work_dir_files.py"), "w") as f:
            f.write("async def get_files(path):\n"
                    "    return {'entries': [], 'current_path': path, 'parent_path': 'legacy'}\n")
        with open(os.path.join(mods, "api", "rename_work_dir_file.py"), "w") as f:
            f.write("import os\n\n"
                    "async def rename_item(file_path, new_name):\n"
                    "    try:\n"
                    "        os.rename(file_path, os.path.join(os.path.dirname(file_path), "
                    "new_name))\n"
                    "    except Exception as e:\n"
                    "        raise Exception(f'Failed to move file {file_path} to {new_name}: "
                    "{e}')\n")
        record = os.path.join(mods, "record.jsonl")
        os.environ.update(REFERENCE_SERVER_PATH=mods, REFERENCE_SERVER_RECORD=record,
                          REFERENCE_SERVER_MODULES="api.get_work_dir_files,"
                                                   "api.rename_work_dir_file")
        server = LegacyServer()
        self.addCleanup(server.stop)
        for k in ("REFERENCE_SERVER_PATH", "REFERENCE_SERVER_RECORD", "REFERENCE_SERVER_MODULES"):
            del os.environ[k]
        os.environ.update(RFC_PASSWORD=server.password, A0IPC_RFC_URL="127.0.0.1",
                          A0IPC_RFC_PORT=str(server.port))

        def received():
            if not os.path.exists(record):
                return []
            with open(record) as f:
                return [tuple(json.loads(line)) for line in f]
        return received

    def test_backend_switch_per_function(self):
        received = self.legacy_runtime()
        scratch = tempfile.mkdtemp(prefix="a0az-sw-")
        self.addCleanup(shutil.rmtree, scratch, True)
        daemon = Daemon("/", tcp=False)
        self.addCleanup(daemon.stop)
        os.environ["A0IPC_TARGET"] = daemon.unix
        gwf = self.tree.module("api.get_work_dir_files")
        info = self.tree.module("api.file_info")
        # default (nothing set): grpc
        r = self.call(gwf.get_files, scratch)
        self.assertEqual(r, {"entries": [], "current_path": scratch,
                             "parent_path": os.path.dirname(scratch)})
        self.assertEqual(received(), [])
        # one function to legacy by its short name; the others stay on grpc
        os.environ["A0IPC_METHODS"] = "get_files=legacy"
        r = self.call(gwf.get_files, scratch)
        self.assertEqual(r["parent_path"], "legacy")
        self.assertEqual(received(), [("api.get_work_dir_files", "get_files", [scratch], {})])
        self.assertTrue(self.call(info.get_file_info, scratch)["is_dir"])
        self.assertEqual(len(received()), 1)
        # by its full name, over a legacy backend
        os.environ.update(A0IPC_BACKEND="legacy",
                          A0IPC_METHODS="api.get_work_dir_files.get_files=grpc")
        r = self.call(gwf.get_files, scratch)
        self.assertEqual(r["parent_path"], os.path.dirname(scratch))
        self.assertEqual(len(received()), 1)
        # canary 100 %: grpc; canary 0 %: legacy
        os.environ.pop("A0IPC_METHODS")
        os.environ.update(A0IPC_BACKEND="canary", A0IPC_CANARY_PERCENT="100")
        self.assertEqual(self.call(gwf.get_files, scratch)["parent_path"],
                         os.path.dirname(scratch))
        os.environ["A0IPC_CANARY_PERCENT"] = "0"
        self.assertEqual(self.call(gwf.get_files, scratch)["parent_path"], "legacy")
        self.assertEqual(len(received()), 2)
        # shadow: a read-only function goes to both, the legacy answer is returned
        os.environ.update(A0IPC_BACKEND="shadow")
        os.environ.pop("A0IPC_CANARY_PERCENT")
        self.assertEqual(self.call(gwf.get_files, scratch)["parent_path"], "legacy")
        self.assertEqual(len(received()), 3)
        # a daemon that is down: UNAVAILABLE; with A0IPC_FALLBACK=true repeated on legacy
        os.environ.update(A0IPC_BACKEND="grpc",
                          A0IPC_TARGET="unix:%s/none.sock" % scratch, A0IPC_WAIT_FOR_READY="0")
        from a0ipc import errors
        with self.assertRaises(errors.Unavailable):
            self.call(gwf.get_files, scratch)
        os.environ["A0IPC_FALLBACK"] = "true"
        self.assertEqual(self.call(gwf.get_files, scratch)["parent_path"], "legacy")
        self.assertEqual(received()[-1], ("api.get_work_dir_files", "get_files", [scratch], {}))
        # the functions that are not file work follow the switch too: on legacy they go to the
        # container as before (this server does not serve helpers.job_loop: the import fails)
        os.environ.update(A0IPC_BACKEND="grpc", A0IPC_METHODS="pause_loop=legacy")
        loop = self.tree.module("helpers.job_loop")
        with self.assertRaises(ModuleNotFoundError) as cm:
            self.call(loop.pause_loop)
        self.assertEqual(str(cm.exception), "No module named 'helpers.job_loop'")
        self.assertEqual(received()[-1], ("helpers.job_loop", "pause_loop", [], {}))

    def test_legacy_side_decodes_chained_errors(self):
        received = self.legacy_runtime()
        os.environ["A0IPC_BACKEND"] = "legacy"
        ren = self.tree.module("api.rename_work_dir_file")
        missing = "/nonexistent-a0az/a"
        with self.assertRaises(Exception) as cm:
            self.call(ren.rename_item, missing, "b")
        # the body's top line is the cause (FileNotFoundError); the raised one is Exception
        self.assertIs(type(cm.exception), Exception)
        self.assertEqual(str(cm.exception),
                         "Failed to move file %s to b: [Errno 2] No such file or directory: "
                         "'%s' -> '/nonexistent-a0az/b'" % (missing, missing))
        self.assertEqual(received(), [("api.rename_work_dir_file", "rename_item",
                                       [missing, "b"], {})])

    def test_path_outside_a_narrower_root(self):
        scratch = tempfile.mkdtemp(prefix="a0az-root-")
        self.addCleanup(shutil.rmtree, scratch, True)
        with open(os.path.join(scratch, "in.txt"), "wb") as f:
            f.write(b"inside")
        daemon = Daemon(scratch, tcp=False)
        self.addCleanup(daemon.stop)
        os.environ["A0IPC_TARGET"] = daemon.unix
        files = self.tree.module("helpers.files")
        gwf = self.tree.module("api.get_work_dir_files")
        self.assertEqual(self.call(files.read_file_base64, os.path.join(scratch, "in.txt")),
                         base64.b64encode(b"inside").decode())
        with self.assertRaises(PermissionError) as cm:
            self.call(files.read_file_base64, "/etc/hostname")
        self.assertEqual(str(cm.exception), "[Errno 13] Permission denied: '/etc/hostname'")
        self.assertIs(type(cm.exception), PermissionError)
        self.assertEqual(self.call(gwf.get_files, "/etc")["entries"], [])

    def test_gitignore_patterns_without_pathspec(self):
        # the scan's fallback when pathspec is not importable: git's rules
        from a0ipc.agent_zero.functions.promptinclude import _Spec
        spec = _Spec(["venv/**", "**/node_modules/**", "*.log", "/build", "cache/", "!keep.log",
                      "a/**/z", "[abc].md"])
        for path, want in (("venv/x", True), ("a/venv/x", False), ("node_modules/p", True),
                           ("a/node_modules/b/c", True), ("node_modules", False),
                           ("x/y.log", True), ("keep.log", False), ("build", True),
                           ("build/x", True), ("a/build", False), ("cache/", True),
                           ("a/cache/x", True), ("cache", False), ("a/z", True),
                           ("a/b/c/z", True), ("b.md", True), ("d.md", False)):
            with self.subTest(path=path):
                self.assertEqual(spec.match_file(path), want)

    def test_refused_and_in_process(self):
        from a0ipc.agent_zero.dispatch import Refused
        os.environ["A0IPC_TARGET"] = "unix:/nonexistent-a0az.sock"
        exch = self.tree.module("helpers.rfc_exchange")
        with self.assertRaises(Refused) as cm:
            self.call(exch._provide_root_password, "00")
        self.assertIn("ssh_pass", str(cm.exception))
        loop = self.tree.module("helpers.job_loop")
        self.assertIsNone(self.call(loop.pause_loop))
        self.assertTrue(loop.keep_running)


if __name__ == "__main__":
    unittest.main()
