"""The backend switch between the legacy RFC (tests/legacy/reference_server.py, the legacy
branch's reference server) and a real a0ipcd: the legacy side replays the recorded run; the same
calls give the same answers on both sides (a differential check beyond the recording); and
A0IPC_BACKEND / A0IPC_CANARY_PERCENT / shadow / fallback send each call where they say, seen
from outside (a path outside the daemon's root exists for legacy only) and in the metrics."""
import base64
import io
import os
import shutil
import subprocess
import tempfile
import unittest
import zipfile

import support
from legacy_fixture import comparable_message
from test_py_files import ReplayMixin, strictly_equal

from a0ipc import files, metrics, routing
from a0ipc.client import RuntimeClient
from a0ipc.files import SyncFileHelpers
from a0ipc.files_async import FileHelpers
from a0ipc.rfc import RfcClient


class SwitchFixture(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-pysw-")
        self.root = os.path.realpath(os.path.join(self.dir, "root"))
        os.makedirs(self.root)
        support.build_fixture(self.root)
        self.outside = os.path.join(self.dir, "outside.txt")  # legacy sees it, a0ipcd refuses
        with open(self.outside, "w") as f:
            f.write("outside\n")
        self.legacy = support.LegacyServer()
        self.daemon = support.Daemon(self.root, tcp=False)
        self.saved_env = dict(os.environ)
        for k in [k for k in os.environ if k.startswith("A0IPC_") and k not in (
                "A0IPC_PYTHON_GEN", "A0IPC_FIXTURES", "A0IPC_LEGACY_SERVER", "A0IPCD",
                "A0IPC_CLI", "A0IPC_C_REFERENCE")]:
            del os.environ[k]
        os.environ.update(A0IPC_TARGET=self.daemon.unix, A0IPC_RFC_URL="127.0.0.1",
                          A0IPC_RFC_PORT=str(self.legacy.port),
                          A0IPC_RFC_PASSWORD=self.legacy.password)
        self.helpers = SyncFileHelpers(FileHelpers())  # from the environment, like Agent Zero
        metrics.reset()

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self.saved_env)
        self.legacy.stop()
        self.assertEqual(self.daemon.stop(), 0)
        shutil.rmtree(self.dir, ignore_errors=True)

    def calls(self, backend):
        return metrics.count("a0ipc_router_calls_total", backend=backend)


class LegacySide(SwitchFixture, ReplayMixin):
    def test_the_legacy_side_replays_the_recorded_run(self):
        os.environ["A0IPC_BACKEND"] = "legacy"
        self.replay(self.root, lambda name, args: getattr(self.helpers, name)(*args))
        self.assertGreater(self.calls("legacy"), 30)
        self.assertEqual(self.calls("grpc"), 0)

    def test_a_wrong_password_is_the_legacys_exception(self):
        h = SyncFileHelpers(FileHelpers(legacy=RfcClient("127.0.0.1", self.legacy.port, "nope")))
        with self.assertRaises(Exception) as e:
            h.file_exists(self.root)
        self.assertEqual((type(e.exception), str(e.exception)), (Exception, "Invalid RFC hash"))


class BothSidesAgree(unittest.TestCase):
    """The same calls on two identical trees, one through each side, compared by
    docs/legacy-protocol.md's rules: what the recording does not show must match too."""

    CALLS = [
        ("read_file_binary", ["$R/a.txt/x"]),
        ("read_file_as_base64", ["$R/emptydir"]),
        ("read_file_as_base64", ["$R/link-file"]),
        ("list_folder", ["$R/sub/deeper", True]),
        ("list_folder", ["$R/link-dir", False]),
        ("list_folder", ["$R/a.txt/x", False]),
        ("get_subdirectories", ["$R", ["*e*"], ["e*"]]),
        ("get_subdirectories", ["$R", "*", None]),
        ("get_subdirectories", ["$R/a.txt", "*", None]),
        ("file_exists", ["$R/link-file"]),
        ("folder_exists", ["$R/link-dir"]),
        ("path_exists", ["$R/a.txt/x"]),
        ("delete_file", ["$R/link-file"]),
        ("file_exists", ["$R/a.txt"]),
        ("delete_file", ["$R/sub/deeper"]),
        ("delete_folder", ["$R/link-dir"]),
        ("delete_folder", ["$R/a.txt/x"]),
        ("write_file_from_base64", ["$R/sub", "eA=="]),
        ("write_file_from_base64", ["$R/new/ünï/çødé.txt", "w6k="]),
        ("read_file_as_base64", ["$R/new/ünï/çødé.txt"]),
        ("list_folder", ["$R/new/ünï", False]),
        ("move_file", ["$R/sub", "$R/moved/sub"]),
        ("move_file", ["$R/a.txt", "$R/emptydir/a.txt"]),
        ("list_folder", ["$R/emptydir", False]),
        ("make_dirs", ["$R/a.txt/d"]),
        ("read_directory", ["$R/moved/sub"]),
        ("read_directory", ["$R/missing"]),
        ("read_directory", ["$R/B.md"]),
    ]

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-pydiff-")
        self.roots = {}
        for side in ("legacy", "grpc"):
            root = os.path.realpath(os.path.join(self.dir, side))
            os.makedirs(root)
            support.build_fixture(root)
            os.symlink("a.txt", os.path.join(root, "link-file"))
            os.symlink("sub", os.path.join(root, "link-dir"))
            self.roots[side] = root
        self.legacy = support.LegacyServer()
        self.daemon = support.Daemon(self.roots["grpc"], tcp=False)

    def tearDown(self):
        self.legacy.stop()
        self.assertEqual(self.daemon.stop(), 0)
        shutil.rmtree(self.dir, ignore_errors=True)

    def outcome(self, helpers, name, args):
        try:
            return "ok", getattr(helpers, name)(*args)
        except Exception as e:
            return "error", e

    @staticmethod
    def zip_files(b64):
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(b64))) as z:
            return {n: z.read(n) for n in z.namelist() if not n.endswith("/")}

    def test_same_answers_on_both_sides(self):
        os.environ["A0IPC_BACKEND"] = "grpc"  # FileHelpers below name their sides explicitly
        try:
            legacy = SyncFileHelpers(FileHelpers(
                legacy=RfcClient("127.0.0.1", self.legacy.port, self.legacy.password)))
            grpc_side = SyncFileHelpers(FileHelpers(grpc_client=RuntimeClient(self.daemon.unix)))
            for name, args in self.CALLS:
                for root in self.roots.values():
                    support.reset_mtimes(root)
                os.environ["A0IPC_BACKEND"] = "legacy"
                lk, lv = self.outcome(legacy, name, support_subst(args, self.roots["legacy"]))
                os.environ["A0IPC_BACKEND"] = "grpc"
                gk, gv = self.outcome(grpc_side, name, support_subst(args, self.roots["grpc"]))
                with self.subTest(call=name, args=args):
                    self.assertEqual(gk, lk, "legacy %r, grpc %r" % (lv, gv))
                    if lk == "error":
                        self.assertEqual(type(gv).__name__, type(lv).__name__, "%s / %s" % (
                            lv, gv))
                        paths = [a for a in args if isinstance(a, str)]
                        lm = str(lv).replace(self.roots["legacy"], "$R")
                        gm = str(gv).replace(self.roots["grpc"], "$R")
                        self.assertEqual(comparable_message(gm, paths),
                                         comparable_message(lm, paths))
                    elif name == "read_directory":
                        self.assertEqual(self.zip_files(gv), self.zip_files(lv))
                    else:
                        lv = support_subst_back(lv, self.roots["legacy"])
                        gv = support_subst_back(gv, self.roots["grpc"])
                        if name == "get_subdirectories":
                            lv, gv = sorted(lv), sorted(gv)
                        if name == "list_folder":
                            lv = [dict(e, size=None) if e["is_dir"] else e for e in lv]
                            gv = [dict(e, size=None) if e["is_dir"] else e for e in gv]
                        self.assertTrue(strictly_equal(gv, lv), "legacy %r\ngrpc   %r" % (lv, gv))
        finally:
            os.environ.pop("A0IPC_BACKEND", None)


def support_subst(value, root):
    if isinstance(value, str):
        return value.replace("$R", root)
    if isinstance(value, list):
        return [support_subst(v, root) for v in value]
    return value


def support_subst_back(value, root):
    if isinstance(value, str):
        return value.replace(root, "$R")
    if isinstance(value, list):
        return [support_subst_back(v, root) for v in value]
    if isinstance(value, dict):
        return {k: support_subst_back(v, root) for k, v in value.items()}
    return value


class Flipping(SwitchFixture):
    def test_flip_between_legacy_and_grpc(self):
        for backend, seen in (("legacy", True), ("grpc", False), ("legacy", True),
                              ("grpc", False)):
            os.environ["A0IPC_BACKEND"] = backend
            with self.subTest(backend=backend):
                self.assertIs(self.helpers.file_exists(self.outside), seen)
        self.assertEqual((self.calls("legacy"), self.calls("grpc")), (2, 2))
        # Both sides work on the same files: written through one, read through the other.
        os.environ["A0IPC_BACKEND"] = "grpc"
        self.helpers.write_file_from_base64(os.path.join(self.root, "x/y.txt"), "eHk=")
        os.environ["A0IPC_BACKEND"] = "legacy"
        self.assertEqual(self.helpers.read_file_as_base64(os.path.join(self.root, "x/y.txt")),
                         "eHk=")
        # The module-level helpers follow the same switch.
        self.assertIs(files.file_exists(self.outside), True)

    def test_canary_by_routing_key_like_the_c_router(self):
        keys = ["agent-%d" % i for i in range(60)]
        exe = support.env_path("A0IPC_C_REFERENCE", "tests/python/c_reference.c, built")
        buckets = [int(b) for b in subprocess.run([exe, "bucket", *keys], capture_output=True,
                                                  check=True, text=True).stdout.split()]
        os.environ.update(A0IPC_BACKEND="canary", A0IPC_CANARY_PERCENT="25")
        for k, b in zip(keys, buckets):
            with self.subTest(key=k, bucket=b):
                # on gRPC the outside path is refused (False); on legacy it exists (True)
                self.assertIs(self.helpers.file_exists(self.outside, routing_key=k), b >= 25)
        on_grpc = sum(b < 25 for b in buckets)
        self.assertEqual((self.calls("grpc"), self.calls("legacy")), (on_grpc,
                                                                      len(keys) - on_grpc))
        self.assertTrue(0 < on_grpc < len(keys))
        # The key can come from the context instead of the argument.
        k = keys[[b < 25 for b in buckets].index(True)]
        with routing.key(k):
            self.assertIs(self.helpers.file_exists(self.outside), False)
        self.assertIs(self.helpers.file_exists(self.outside), True)  # no key: legacy
        os.environ["A0IPC_CANARY_PERCENT"] = "100"
        self.assertIs(self.helpers.file_exists(self.outside), False)

    def test_shadow_returns_legacy_and_counts_differences(self):
        os.environ["A0IPC_BACKEND"] = "shadow"
        self.assertIs(self.helpers.file_exists(self.outside), True)  # legacy's answer
        self.assertEqual(len(self.helpers.list_folder(self.root, True)), 9)
        with self.assertRaises(FileNotFoundError):
            self.helpers.read_file_as_base64(os.path.join(self.root, "nope"))
        self.assertEqual(metrics.count("a0ipc_router_shadow_comparisons_total"), 3)
        self.assertEqual(metrics.count("a0ipc_router_shadow_mismatches_total"), 1)
        self.assertEqual(metrics.count("a0ipc_router_shadow_mismatches_total",
                                       method="file_exists"), 1)
        # Calls with effects go to legacy only.
        before = self.calls("grpc")
        self.helpers.make_dirs(os.path.join(self.root, "made"))
        self.assertEqual(self.calls("grpc"), before)
        self.assertIn('a0ipc_router_shadow_mismatches_total{method="file_exists"} 1',
                      metrics.text())

    def test_fallback_to_legacy_when_a0ipcd_is_down(self):
        os.environ.update(A0IPC_BACKEND="grpc", A0IPC_TARGET="unix:%s/down.sock" % self.dir)
        self.assertIs(self.helpers.file_exists(self.outside), True)  # legacy answered
        self.assertEqual(metrics.count("a0ipc_router_fallbacks_total"), 1)
        os.environ["A0IPC_FALLBACK"] = "false"
        os.environ["A0IPC_WAIT_FOR_READY"] = "false"
        with self.assertRaises(ConnectionError):
            self.helpers.file_exists(self.outside)

    def test_rollback_through_the_flags_file(self):
        flags = os.path.join(self.dir, "flags")
        with open(flags, "w") as f:
            f.write("backend = grpc\n")
        os.environ["A0IPC_FLAGS_FILE"] = flags
        self.assertIs(self.helpers.file_exists(self.outside), False)
        with open(flags, "w") as f:
            f.write("backend = legacy   # rolled back\n")
        os.utime(flags, ns=(1, 10**9))
        self.assertIs(self.helpers.file_exists(self.outside), True)


class AgentZeroHook(SwitchFixture):
    """The hook of docs/agent-zero.md §4.1 in a stand-in for Agent Zero's runtime.py, with the
    real function objects of a helpers.rfc_files module (the reference server's)."""

    def test_the_documented_hook(self):
        import asyncio
        import sys
        import threading
        from a0ipc import files_async as a0ipc_files
        sys.path.insert(0, os.path.dirname(os.environ["A0IPC_LEGACY_SERVER"]))
        try:
            from helpers import rfc_files
        finally:
            sys.path.pop(0)
        self.assertEqual(rfc_files._list_folder_impl.__module__, "helpers.rfc_files")

        async def call_development_function(func, *args, **kwargs):
            # is_development() is true here; these two lines are the documented hook
            if func.__name__ in a0ipc_files.IMPL_NAMES and func.__module__.endswith("rfc_files"):
                return await a0ipc_files.call_impl(func.__name__, *args, **kwargs)
            raise AssertionError("the hook did not take %s" % func.__name__)

        def call_development_function_sync(func, *args, **kwargs):
            # as Agent Zero's: asyncio.run in a new thread, given up after 30 s
            out = {}

            def run():
                try:
                    out["result"] = asyncio.run(call_development_function(func, *args, **kwargs))
                except Exception as e:
                    out["error"] = e
            t = threading.Thread(target=run)
            t.start()
            t.join(30)
            if "error" in out:
                raise out["error"]
            return out["result"]

        a = os.path.join(self.root, "a.txt")
        for backend, outside_seen in (("legacy", True), ("grpc", False)):
            os.environ["A0IPC_BACKEND"] = backend
            with self.subTest(backend=backend):
                self.assertEqual(call_development_function_sync(
                    rfc_files._read_file_binary_impl, a), "aGVsbG8K")
                self.assertIs(call_development_function_sync(
                    rfc_files._file_exists_impl, self.outside), outside_seen)
                names = [e["name"] for e in call_development_function_sync(
                    rfc_files._list_folder_impl, self.root, include_hidden=True)]
                self.assertEqual(names[:2], [".hidden", "a.txt"])
                with self.assertRaises(FileNotFoundError) as e:
                    call_development_function_sync(rfc_files._delete_file_impl, a + ".nope")
                self.assertEqual(str(e.exception), "File not found: %s.nope" % a)
        self.assertEqual((self.calls("legacy"), self.calls("grpc")), (4, 4))


if __name__ == "__main__":
    unittest.main()
