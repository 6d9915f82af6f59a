"""The file helpers (a0ipc.files, a0ipc.files_async) on the gRPC backend against a real a0ipcd: the
recorded legacy run (tests/fixtures/legacy/files_transcripts.json) replayed on its README's fixture
tree and compared by its rules, through the blocking and the asyncio helpers; then what the
recording does not cover (archives, symlinks, paths outside the root, a daemon that is down) against
what the legacy functions do."""
import asyncio
import base64
import io
import os
import shutil
import tempfile
import unittest
import zipfile

import support
from legacy_fixture import comparable_message, subst

from a0ipc import files, files_async, metrics
from a0ipc.client import RuntimeClient
from a0ipc.files_async import FileHelpers


def helper_name(function):
    """_list_folder_impl -> list_folder"""
    assert function.startswith("_") and function.endswith("_impl"), function
    return function[1:-len("_impl")]


def strictly_equal(a, b):
    """Equal and of the same JSON types all the way down (1 is not 1.0, True is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(strictly_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strictly_equal(a[k], b[k]) for k in a)
    return a == b


class ReplayMixin:
    """Replays the transcripts through a callable call(helper, args) -> result or raise."""

    def replay(self, root, call):
        steps = support.transcripts()
        self.assertGreaterEqual(len(steps), 30)
        seen = set()
        for i, step in enumerate(steps):
            support.reset_mtimes(root)
            name = helper_name(step["function"])
            seen.add(name)
            args = subst(step["args"], root)
            with self.subTest(step=i, function=name, args=step["args"]):
                try:
                    got, error = call(name, args), None
                except Exception as e:
                    got, error = None, e
                if "error" in step:
                    want = subst(step["error"], root)
                    self.assertIsNotNone(error, "expected %s, got %r" % (want, got))
                    self.assertEqual(type(error).__name__, want["type"], str(error))
                    paths = [a for a in args if isinstance(a, str) and a.startswith(root)]
                    self.assertEqual(comparable_message(str(error), paths),
                                     comparable_message(want["message"], paths))
                    continue
                self.assertIsNone(error, "unexpected %s: %s" % (type(error).__name__, error))
                want = subst(step["result"], root)
                if name == "get_subdirectories":
                    self.assertEqual(sorted(got), sorted(want))
                elif name == "list_folder":
                    def no_dir_size(entries):
                        return [dict(e, size=None) if e["is_dir"] else e for e in entries]
                    self.assertTrue(strictly_equal(no_dir_size(got), no_dir_size(want)),
                                    "%r\n!=\n%r" % (got, want))
                else:
                    self.assertTrue(strictly_equal(got, want), "%r != %r" % (got, want))
        return seen


class GrpcFixture(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-pyf-")
        self.root = os.path.realpath(os.path.join(self.dir, "root"))
        os.makedirs(self.root)
        support.build_fixture(self.root)
        self.daemon = support.Daemon(self.root, tcp=False)
        self.saved_env = dict(os.environ)
        os.environ.update(A0IPC_BACKEND="grpc", A0IPC_TARGET=self.daemon.unix,
                          A0IPC_FALLBACK="false")
        metrics.reset()

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self.saved_env)
        self.assertEqual(self.daemon.stop(), 0)
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_async(self, coro_fn):
        async def main():
            client = RuntimeClient(self.daemon.unix)
            try:
                return await coro_fn(FileHelpers(grpc_client=client))
            finally:
                await client.close()
        return asyncio.run(main())


class TranscriptReplay(GrpcFixture, ReplayMixin):
    def test_blocking_helpers_replay_the_legacy_run(self):
        seen = self.replay(self.root, lambda name, args: getattr(files, name)(*args))
        self.assertTrue({"list_folder", "read_file_as_base64", "read_file_binary",
                         "write_file_from_base64", "write_file_binary", "delete_file",
                         "delete_folder", "make_dirs", "path_exists", "file_exists",
                         "folder_exists", "get_subdirectories", "move_file"} <= seen, seen)
        # Every call went to a0ipcd, none to legacy.
        self.assertGreater(metrics.count("a0ipc_router_calls_total", backend="grpc"), 30)
        self.assertEqual(metrics.count("a0ipc_router_calls_total", backend="legacy"), 0)

    def test_asyncio_helpers_replay_the_legacy_run(self):
        async def replay(h):
            loop = asyncio.get_running_loop()

            def call(name, args):  # the replay is synchronous: run each call on this loop
                return asyncio.run_coroutine_threadsafe(getattr(h, name)(*args), loop).result()
            await loop.run_in_executor(None, self.replay, self.root, call)
        self.run_async(replay)


class BeyondTheRecording(GrpcFixture):
    """Cases the recorded run does not show, against the legacy functions' behaviour."""

    def p(self, rel):
        return os.path.join(self.root, rel)

    def test_read_directory_is_a_zip_of_relative_paths(self):
        data = base64.b64decode(files.read_directory(self.p("sub")))
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            contents = {n: z.read(n) for n in z.namelist() if not n.endswith("/")}
            self.assertTrue(all(i.compress_type == zipfile.ZIP_DEFLATED
                                for i in z.infolist() if not i.filename.endswith("/")))
        self.assertEqual(contents, {"one.txt": b"one\n", "deeper/two.txt": b"two\n" * 100})
        with self.assertRaises(FileNotFoundError) as e:
            files.read_directory(self.p("nope"))
        self.assertEqual(str(e.exception), "Directory not found: " + self.p("nope"))
        with self.assertRaises(Exception) as e:
            files.read_directory(self.p("a.txt"))
        self.assertEqual((type(e.exception), str(e.exception)),
                         (Exception, "Path is not a directory: " + self.p("a.txt")))

    def test_zip_dir_gives_a_local_zip_under_the_base_name(self):
        path = files.zip_dir(self.p("sub"))
        try:
            self.assertTrue(path.endswith(".zip"))
            with zipfile.ZipFile(path) as z:
                names = {n for n in z.namelist() if not n.endswith("/")}
            self.assertEqual(names, {"sub/one.txt", "sub/deeper/two.txt"})
        finally:
            os.unlink(path)
        # The legacy walked a missing directory as an empty one.
        path = files.zip_dir(self.p("missing"))
        try:
            with zipfile.ZipFile(path) as z:
                self.assertEqual(z.namelist(), [])
        finally:
            os.unlink(path)

    def test_symlinks_are_seen_through_as_os_stat_sees_them(self):
        os.symlink("a.txt", self.p("link-file"))
        os.symlink("sub", self.p("link-dir"))
        entries = {e["name"]: e for e in files.list_folder(self.root)}
        self.assertEqual((entries["link-file"]["is_file"], entries["link-file"]["size"]),
                         (True, 6))
        self.assertEqual(entries["link-dir"]["is_dir"], True)
        self.assertIn("link-dir", files.get_subdirectories(self.root))
        self.assertTrue(files.file_exists(self.p("link-file")))
        # delete_file removes the link, never its target
        self.assertIs(files.delete_file(self.p("link-file")), True)
        self.assertFalse(os.path.lexists(self.p("link-file")))
        self.assertTrue(os.path.exists(self.p("a.txt")))
        # shutil.rmtree refuses a symlink to a directory
        with self.assertRaises(Exception) as e:
            files.delete_folder(self.p("link-dir"))
        self.assertEqual(str(e.exception), "Failed to delete folder %s: Cannot call rmtree on "
                         "a symbolic link" % self.p("link-dir"))
        self.assertTrue(os.path.isdir(self.p("sub")))
        # A dangling symlink fails the whole legacy listing (os.stat of it)
        os.symlink("nowhere", self.p("dangling"))
        with self.assertRaises(Exception) as e:
            files.list_folder(self.root)
        self.assertEqual(str(e.exception), "Failed to list folder %s: [Errno 2] No such file or "
                         "directory: '%s'" % (self.root, self.p("dangling")))

    def test_wrong_kinds_and_missing_parents(self):
        # os.path.exists("a.txt/x") is False: not found, not "not a file"
        with self.assertRaises(FileNotFoundError) as e:
            files.read_file_as_base64(self.p("a.txt/x"))
        self.assertEqual(str(e.exception), "File not found: " + self.p("a.txt/x"))
        self.assertEqual(files.get_subdirectories(self.p("a.txt/x")), [])
        with self.assertRaises(NotADirectoryError) as e:
            files.get_subdirectories(self.p("a.txt"))
        self.assertEqual(str(e.exception), "[Errno 20] Not a directory: '%s'" % self.p("a.txt"))
        with self.assertRaises(Exception) as e:
            files.write_file_from_base64(self.p("sub"), "eA==")
        self.assertEqual(str(e.exception), "Failed to write file %s: [Errno 21] Is a directory: "
                         "'%s'" % (self.p("sub"), self.p("sub")))
        with self.assertRaises(Exception) as e:
            files.make_dirs(self.p("a.txt/deeper"))
        self.assertTrue(str(e.exception).startswith(
            "Failed to create directories %s: " % self.p("a.txt/deeper")), str(e.exception))

    def test_outside_the_root_is_refused(self):
        outside = os.path.join(self.dir, "outside.txt")
        with open(outside, "w") as f:
            f.write("x")
        self.assertIs(files.path_exists(outside), False)
        with self.assertRaises(Exception) as e:
            files.read_file_as_base64(outside)
        self.assertEqual(type(e.exception), Exception)
        self.assertTrue(str(e.exception).startswith("Failed to read file %s: [Errno 13] "
                                                    "Permission denied" % outside))
        with self.assertRaises(Exception):
            files.write_file_binary(os.path.join(self.dir, "new.txt"), "eA==")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "new.txt")))

    def test_large_files_round_trip_in_chunks(self):
        data = os.urandom(5 * 1024 * 1024 + 17)
        self.assertIs(files.write_file_binary(self.p("big/blob"), base64.b64encode(data)
                                              .decode()), True)
        self.assertEqual(base64.b64decode(files.read_file_binary(self.p("big/blob"))), data)

    def test_a_daemon_that_is_down_is_an_error_not_an_answer(self):
        os.environ["A0IPC_TARGET"] = "unix:%s/nobody.sock" % self.dir
        helpers = files.SyncFileHelpers(FileHelpers(grpc_client=RuntimeClient(
            "unix:%s/nobody.sock" % self.dir, wait_for_ready=False)))
        with self.assertRaises(ConnectionError):
            helpers.file_exists(self.p("a.txt"))
        with self.assertRaises(ConnectionError):
            helpers.get_subdirectories(self.root)

    def test_short_lived_loops_share_one_client(self):
        # runtime.call_development_function_sync runs asyncio.run in a new thread per call
        import threading
        results = []

        def agent_zero_style_call():
            results.append(asyncio.run(files_async.file_exists(self.p("a.txt"))))
        threads = [threading.Thread(target=agent_zero_style_call) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [True] * 20)
        # every call ran on the package's one background loop, over one client per target
        loops = list(files_async.default._clients.keys())
        self.assertEqual(len(loops), 1)
        targets = [o.target for o in files_async.default._clients[loops[0]]]
        self.assertEqual(targets.count(self.daemon.unix), 1)

    def test_call_impl_dispatches_by_legacy_name(self):
        self.assertEqual(files.call_impl("_read_file_binary_impl", self.p("a.txt")), "aGVsbG8K")
        self.assertEqual(asyncio.run(files_async.call_impl("_get_subdirectories_impl",
                                                           self.p("sub"), "*", None)),
                         ["deeper"])
        self.assertEqual(len(files.call_impl("_list_folder_impl", self.root,
                                             include_hidden=True)), 9)
        with self.assertRaises(KeyError):
            files.call_impl("_provide_root_password", "x")
        with self.assertRaises(TypeError):
            files.call_impl("_list_folder_impl", folder_path=self.root)

    def test_the_async_helpers_are_the_same_functions(self):
        async def check(h):
            self.assertEqual(await h.read_file_as_base64(self.p("a.txt")), "aGVsbG8K")
            self.assertEqual(await files_async.read_file_as_base64(self.p("a.txt")), "aGVsbG8K")
            return await h.list_folder(self.p("sub"))
        self.assertEqual([e["name"] for e in self.run_async(check)], ["deeper", "one.txt"])


if __name__ == "__main__":
    unittest.main()
