"""The typed API of RuntimeClient against a real a0ipcd: health() as a HealthStatus,
client.files (read/write/list/get_info/exists/remove/make_dir/rename/stream) and
client.commands.run with their result objects, the raw stubs under their *_stub names, and the
generated stubs as the one subpackage a0ipc._gen (no top-level a0 anywhere)."""
import asyncio
import dataclasses
import hashlib
import os
import shutil
import sys
import tempfile
import unittest

import support

import a0ipc
from a0ipc import errors
from a0ipc.client import connect
from a0ipc.results import (CommandExitError, CommandResult, DirListing, EntryInfo, FileType,
                           HealthStatus, WriteInfo)


class TypedApi(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="a0ipc-pya-")
        cls.root = os.path.realpath(cls.dir)
        cls.daemon = support.Daemon(cls.root, tcp=False)

    @classmethod
    def tearDownClass(cls):
        code = cls.daemon.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert code == 0, "a0ipcd exited with %s" % code

    def run_async(self, fn):
        async def main():
            async with connect(target=self.daemon.unix) as c:
                return await fn(c)
        return asyncio.run(asyncio.wait_for(main(), 60))

    def local(self, *parts):
        return os.path.join(self.root, *parts)

    def test_health_is_a_status_enum(self):
        async def t(c):
            return (await c.health(), await c.health("a0.runtime.v1.Files"),
                    await c.health("a0.runtime.v1.Terminal"))
        for status in self.run_async(t):
            self.assertIsInstance(status, HealthStatus)
            self.assertIs(status, HealthStatus.SERVING)
            self.assertEqual(status, 1)  # still the number of the .proto's enum
        with self.assertRaises(errors.NotFound):
            self.run_async(lambda c: c.health("no.such.Service"))

    def test_files_write_read(self):
        data = os.urandom(3 << 20) + b"\xff\xfe"

        async def t(c):
            w = await c.files.write("w/deep/blob", data)
            text_w = await c.files.write("w/t.txt", "h\u00e9llo\n")
            return (w, text_w, await c.files.read("w/deep/blob", format="bytes"),
                    await c.files.read("w/t.txt"),
                    await c.files.read("w/t.txt", format="bytes", offset=1, length=2),
                    [len(chunk) async for chunk in c.files.stream("w/deep/blob")])
        w, text_w, back, text, part, chunks = self.run_async(t)
        self.assertIsInstance(w, WriteInfo)
        self.assertEqual((w.path, w.bytes_written), ("w/deep/blob", len(data)))
        self.assertEqual(w.sha256, hashlib.sha256(data).digest())
        self.assertEqual(w.sha256_hex, hashlib.sha256(data).hexdigest())
        self.assertEqual(text_w.bytes_written, len("h\u00e9llo\n".encode()))
        self.assertEqual(back, data)
        self.assertEqual(text, "h\u00e9llo\n")
        self.assertIsInstance(text, str)
        self.assertEqual(part, "h\u00e9llo\n".encode()[1:3])
        self.assertEqual(sum(chunks), len(data))
        self.assertTrue(all(n <= 1 << 20 for n in chunks), chunks)
        with open(self.local("w", "deep", "blob"), "rb") as f:
            self.assertEqual(f.read(), data)
        # Text that is not UTF-8 is replaced, never an exception; the bytes stay exact.
        self.assertEqual(self.run_async(lambda c: c.files.read("w/deep/blob"))[-2:], "\ufffd\ufffd")

    def test_files_write_refusals(self):
        async def t(c):
            await c.files.write("r/f", b"1")
            with self.assertRaises(FileExistsError):
                await c.files.write("r/f", b"2", overwrite=False)
            with self.assertRaises(FileNotFoundError):
                await c.files.write("r/missing/f", b"3", create_parents=False)
            with self.assertRaises(FileNotFoundError):
                await c.files.read("r/none")
            with self.assertRaises(ValueError):
                await c.files.read("r/f", format="stream")
            return await c.files.read("r/f")
        self.assertEqual(self.run_async(t), "1")

    def test_files_list_info_exists(self):
        os.makedirs(self.local("l", "Sub"))
        open(self.local("l", "Sub", "inner"), "w").close()
        with open(self.local("l", "b.txt"), "w") as f:
            f.write("12345")
        with open(self.local("l", ".hidden"), "w") as f:
            f.write("h")
        os.symlink("b.txt", self.local("l", "link"))

        async def t(c):
            return (await c.files.list("l"), await c.files.list("l", include_hidden=True),
                    await c.files.get_info("l/b.txt"), await c.files.get_info("l/link"),
                    await c.files.get_info("l/link", follow_symlinks=True),
                    await c.files.exists("l/b.txt"), await c.files.exists("l/none"),
                    await c.files.list("l", depth=2))
        listing, hidden, info, link, followed, yes, no, deep = self.run_async(t)
        self.assertIsInstance(listing, DirListing)
        self.assertEqual(listing.names(), ["b.txt", "link", "Sub"])
        self.assertFalse(listing.truncated)
        self.assertEqual([e.name for e in hidden], [".hidden", "b.txt", "link", "Sub"])
        self.assertTrue(all(isinstance(e, EntryInfo) for e in listing))
        by_name = {e.name: e for e in listing}
        self.assertIs(by_name["Sub"].type, FileType.DIR)
        self.assertTrue(by_name["Sub"].is_dir)
        self.assertIs(by_name["link"].type, FileType.SYMLINK)
        self.assertEqual(by_name["link"].symlink_target, "b.txt")
        self.assertEqual((info.name, info.path, info.size, info.type), ("b.txt", "l/b.txt", 5,
                                                                        FileType.FILE))
        self.assertTrue(info.is_file)
        st = os.stat(self.local("l", "b.txt"))
        self.assertEqual(info.mtime_ns, st.st_mtime_ns)
        self.assertEqual(info.mode & 0o7777, st.st_mode & 0o7777)
        self.assertAlmostEqual(info.modified.timestamp(), st.st_mtime_ns / 1e9, places=5)
        self.assertIsNotNone(info.modified.tzinfo)
        self.assertIsNone(info.symlink_target)
        self.assertIs(link.type, FileType.SYMLINK)
        self.assertIs(followed.type, FileType.FILE)
        self.assertEqual((yes, no), (True, False))
        self.assertIn("l/Sub/inner", [e.path for e in deep])
        self.assertNotIn("l/Sub/inner", [e.path for e in listing])
        with self.assertRaises(dataclasses.FrozenInstanceError):
            info.size = 1

    def test_files_make_dir_rename_remove(self):
        async def t(c):
            made = (await c.files.make_dir("m/a/b"), await c.files.make_dir("m/a/b"))
            with self.assertRaises(FileExistsError):
                await c.files.make_dir("m/a/b", exist_ok=False)
            await c.files.write("m/a/b/f", b"x")
            moved = await c.files.rename("m/a/b/f", "m/g")
            with self.assertRaises(FileNotFoundError):
                await c.files.rename("m/a/b/f", "m/h")
            with self.assertRaisesRegex(errors.FailedPrecondition, "not empty"):
                await c.files.remove("m/a")  # not recursive
            removed = (await c.files.remove("m", recursive=True),
                       await c.files.remove("m", missing_ok=True))
            return made, moved, removed, await c.files.exists("m")
        made, moved, removed, left = self.run_async(t)
        self.assertEqual(made, (True, False))
        self.assertIsInstance(moved, EntryInfo)
        self.assertEqual((moved.path, moved.size, moved.type), ("m/g", 1, FileType.FILE))
        self.assertEqual(removed, (True, False))
        self.assertFalse(left)
        self.assertFalse(os.path.exists(self.local("m")))

    def test_commands_run(self):
        os.makedirs(self.local("cwd"), exist_ok=True)

        async def t(c):
            return (await c.commands.run("echo out; echo err >&2; exit 3"),
                    await c.commands.run(["cat"], stdin="in\u00e9"),
                    await c.commands.run("pwd; echo $A0IPC_API_TEST", cwd=self.local("cwd"),
                                         envs={"A0IPC_API_TEST": "v"}),
                    await c.commands.run(["printf", "\\377x"]),
                    await c.commands.run("kill -TERM $$"))
        shell, cat, env, raw, killed = self.run_async(t)
        self.assertIsInstance(shell, CommandResult)
        self.assertEqual((shell.stdout, shell.stderr, shell.exit_code), ("out\n", "err\n", 3))
        self.assertEqual(shell.argv, ("/bin/sh", "-c", "echo out; echo err >&2; exit 3"))
        self.assertFalse(shell.ok)
        self.assertEqual((cat.stdout, cat.exit_code, cat.ok), ("in\u00e9", 0, True))
        self.assertEqual(env.stdout, "%s\nv\n" % self.local("cwd"))
        self.assertEqual((raw.stdout_bytes, raw.stdout), (b"\xffx", "\ufffdx"))
        self.assertEqual(killed.signal, 15)
        self.assertFalse(killed.ok)
        self.assertIn("signal 15", killed.describe())

    def test_commands_timeout_and_check(self):
        async def t(c):
            slow = await c.commands.run("sleep 30", timeout=0.5)
            with self.assertRaises(CommandExitError) as cm:
                await c.commands.run("echo why >&2; exit 7", check=True)
            ok = await c.commands.run(["true"], check=True)
            with self.assertRaises(ValueError):
                await c.commands.run([])
            return slow, cm.exception, ok
        slow, e, ok = self.run_async(t)
        self.assertTrue(slow.timed_out)
        self.assertFalse(slow.ok)
        self.assertEqual((e.result.exit_code, e.result.stderr), (7, "why\n"))
        self.assertIn("status 7", str(e))
        self.assertTrue(ok.ok)

    def test_namespaces_and_raw_stubs(self):
        """files/commands are the typed namespaces (attributes, not callables); the raw grpc
        stubs are files_stub()/terminal_stub()."""
        from a0ipc import _proto

        async def t(c):
            self.assertFalse(callable(c.files))
            self.assertFalse(callable(c.commands))
            r = await c.files_stub().Stat(_proto.files_pb2.StatRequest(path="."), timeout=10)
            s = await c.terminal_stub().ListSessions(_proto.terminal_pb2.ListSessionsRequest(),
                                                     timeout=10)
            return r.info.type, type(s).__name__
        self.assertEqual(self.run_async(t), (_proto.files_pb2.FILE_TYPE_DIR,
                                             "ListSessionsResponse"))

    def test_one_copy_of_the_stubs(self):
        from a0ipc import _gen, _proto
        from a0ipc._gen.a0.runtime.v1 import files_pb2
        from a0ipc._gen.a0ipc_std.grpc.health.v1 import health_pb2
        self.assertIs(files_pb2, _proto.files_pb2)
        self.assertIs(health_pb2, _proto.health_pb2)
        self.assertEqual(files_pb2.__name__, "a0ipc._gen.a0.runtime.v1.files_pb2")
        self.assertEqual(files_pb2.FileInfo.__module__, files_pb2.__name__)
        top = sorted(m for m in sys.modules if m.split(".")[0] in ("a0", "a0ipc_std"))
        self.assertEqual(top, [])
        self.assertNotIn(_gen.gen_dir(), [os.path.abspath(p) for p in sys.path])
        self.assertEqual(_gen.__path__, [_gen.gen_dir()])
        self.assertEqual(_gen.gen_dir(), os.path.join(
            os.path.abspath(os.environ["A0IPC_PYTHON_GEN"]), "a0ipc", "_gen"))

    def test_annotations_resolve(self):
        """Every public callable's annotations evaluate on this interpreter (what a type
        checker or typing.get_type_hints reads)."""
        import inspect
        import typing
        from a0ipc import channel, client, client_commands, client_files, errors as errs
        from a0ipc import files, files_async, results, shell
        checked = 0
        for module in (client, client_files, client_commands, results, channel, errs, shell,
                       files_async, files):
            for name, obj in vars(module).items():
                if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                    continue
                members = [obj] + ([m for n, m in vars(obj).items()
                                    if not n.startswith("_") and inspect.isfunction(m)]
                                   if inspect.isclass(obj) else [])
                for m in members:
                    if inspect.isfunction(m) or inspect.isclass(m):
                        typing.get_type_hints(m)
                        checked += 1
        self.assertGreater(checked, 60)
        hints = typing.get_type_hints(client.RuntimeClient.health)
        self.assertIs(hints["return"], HealthStatus)
        self.assertIs(typing.get_type_hints(client_commands.Commands.run)["return"],
                      CommandResult)

    def test_typed_package(self):
        self.assertTrue(os.path.isfile(os.path.join(os.path.dirname(a0ipc.__file__),
                                                    "py.typed")))
        for name in ("HealthStatus", "FileType", "EntryInfo", "DirListing", "WriteInfo",
                     "CommandResult", "CommandExitError"):
            self.assertIn(name, a0ipc.__all__)
            self.assertIs(getattr(a0ipc, name), getattr(a0ipc.results, name))


if __name__ == "__main__":
    unittest.main()
