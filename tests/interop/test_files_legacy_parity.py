"""Legacy parity of the Files service: replays the recorded legacy helpers.rfc_files run
(tests/fixtures/legacy/files_transcripts.json) through the Files RPCs, on the same fixture tree,
with Debian's python3-grpcio, and compares by the rules of docs/legacy-protocol.md: results exactly,
except a directory's size and the order of _get_subdirectories_impl (a set); errors by type, and by
message up to the first ':' after the path.

Each legacy function is mapped to its RPCs the way docs/files.md says; the mapping below is
what a legacy adapter has to do. The recorded run shows mtime 1700000000 even on files written
and directories created during the run, so its harness set every mtime back before each step;
the replay does the same.

Run by ctest with A0IPC_FILES_SERVER (tests/support/files_server.c), A0IPC_PYTHON_GEN and
A0IPC_TRANSCRIPTS."""
import base64
import binascii
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

# The stubs are the subpackage a0ipc._gen, found through A0IPC_PYTHON_GEN: only the
# package's source goes on sys.path, never a top-level a0.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "python"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from harness_env import spawn, strip_caller_env  # noqa: E402

strip_caller_env()  # the product under test sees only what these tests set
from legacy_fixture import (MTIME, build_fixture, comparable_message,  # noqa: E402,F401
                            reset_mtimes, subst)

import grpc  # noqa: E402
from a0ipc._gen.a0.runtime.v1 import files_pb2 as pb  # noqa: E402
from a0ipc._gen.a0.runtime.v1 import files_pb2_grpc as pb_grpc  # noqa: E402



class LegacyError(Exception):
    def __init__(self, type_, message):
        super().__init__(message)
        self.type = type_
        self.message = message


class Adapter:
    """The legacy functions on top of the Files RPCs."""

    def __init__(self, channel):
        self.s = pb_grpc.FilesStub(channel)

    def _read(self, path):
        try:
            return b"".join(m.data for m in self.s.Read(pb.ReadRequest(path=path), timeout=10))
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                raise LegacyError("FileNotFoundError", "File not found: %s" % path)
            if e.code() == grpc.StatusCode.FAILED_PRECONDITION:
                raise LegacyError("Exception", "Path is not a file: %s" % path)
            raise

    def _read_file_as_base64_impl(self, path):
        return base64.b64encode(self._read(path)).decode()

    _read_file_binary_impl = _read_file_as_base64_impl

    def _write_file_from_base64_impl(self, path, b64):
        try:
            data = base64.b64decode(b64)
        except binascii.Error as e:
            raise LegacyError("Exception", "Failed to write file %s: %s" % (path, e))

        def messages():
            yield pb.WriteRequest(header=pb.WriteHeader(
                path=path, create_parents=True,
                overwrite=pb.OVERWRITE_POLICY_REPLACE))
            for i in range(0, len(data), 1 << 20):
                yield pb.WriteRequest(data=data[i:i + (1 << 20)])
        try:
            self.s.Write(messages(), timeout=10)
        except grpc.RpcError as e:
            raise LegacyError("Exception", "Failed to write file %s: %s" % (path, e.details()))
        return True

    _write_file_binary_impl = _write_file_from_base64_impl

    def _remove(self, path, recursive, type_, missing_msg, wrong_msg):
        try:
            self.s.Remove(pb.RemoveRequest(path=path, recursive=recursive, type=type_),
                          timeout=10)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                raise LegacyError("FileNotFoundError", "%s: %s" % (missing_msg, path))
            if e.code() == grpc.StatusCode.FAILED_PRECONDITION:
                raise LegacyError("Exception", "%s: %s" % (wrong_msg, path))
            raise
        return True

    def _delete_file_impl(self, path):
        return self._remove(path, False, pb.FILE_TYPE_FILE, "File not found",
                            "Path is not a file")

    def _delete_folder_impl(self, path):
        return self._remove(path, True, pb.FILE_TYPE_DIR, "Folder not found",
                            "Path is not a directory")

    def _list(self, path, hidden):
        return self.s.ListDir(pb.ListDirRequest(path=path, depth=1, include_hidden=hidden),
                              timeout=10).entries

    def _list_folder_impl(self, path, include_hidden=False):
        try:
            entries = self._list(path, include_hidden)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                raise LegacyError("FileNotFoundError", "Folder not found: %s" % path)
            if e.code() == grpc.StatusCode.FAILED_PRECONDITION:
                raise LegacyError("Exception", "Path is not a directory: %s" % path)
            raise
        return [{"name": e.name, "path": e.path, "is_file": e.type == pb.FILE_TYPE_FILE,
                 "is_dir": e.type == pb.FILE_TYPE_DIR, "size": e.size,
                 "modified": e.mtime_ns / 1e9} for e in entries]

    def _make_dirs_impl(self, path):
        try:
            self.s.MakeDir(pb.MakeDirRequest(path=path, parents=True, exist_ok=True), timeout=10)
        except grpc.RpcError as e:
            raise LegacyError("Exception",
                              "Failed to create directories %s: %s" % (path, e.details()))
        return True

    def _stat(self, path):
        try:
            return self.s.Stat(pb.StatRequest(path=path, follow_symlinks=True), timeout=10).info
        except grpc.RpcError:
            return None

    def _path_exists_impl(self, path):
        return self._stat(path) is not None

    def _file_exists_impl(self, path):
        info = self._stat(path)
        return info is not None and info.type == pb.FILE_TYPE_FILE

    def _folder_exists_impl(self, path):
        info = self._stat(path)
        return info is not None and info.type == pb.FILE_TYPE_DIR

    def _get_subdirectories_impl(self, path, include, exclude):
        try:
            entries = self._list(path, True)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                return []
            raise
        inc = [include] if isinstance(include, str) else list(include)
        exc = [] if exclude is None else [exclude] if isinstance(exclude, str) else exclude
        return [e.name for e in entries if e.type == pb.FILE_TYPE_DIR
                and any(fnmatch.fnmatch(e.name, p) for p in inc)
                and not any(fnmatch.fnmatch(e.name, p) for p in exc)]

    def _move_file_impl(self, src, dst):
        try:
            self.s.Move(pb.MoveRequest(source=src, destination=dst, overwrite=True,
                                       create_parents=True), timeout=10)
        except grpc.RpcError as e:
            raise LegacyError("Exception",
                              "Failed to move file %s to %s: %s" % (src, dst, e.details()))
        return True


class LegacyParity(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-parity-")
        self.root = os.path.realpath(os.path.join(self.dir, "root"))
        os.makedirs(self.root)
        build_fixture(self.root)
        ready = os.path.join(self.dir, "ready")
        self.target = "unix:%s/files.sock" % self.dir
        self.log = open(os.path.join(self.dir, "server.log"), "w+")
        self.proc = spawn([os.environ["A0IPC_FILES_SERVER"], self.target, self.root,
                                      ready], stderr=self.log)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("files_server did not start")
            time.sleep(0.01)
        self.channel = grpc.insecure_channel(self.target)

    def tearDown(self):
        self.channel.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.assertEqual(self.proc.wait(timeout=15), 0)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_replay_transcripts(self):
        with open(os.environ["A0IPC_TRANSCRIPTS"], encoding="utf-8") as f:
            steps = json.load(f)["steps"]
        self.assertGreaterEqual(len(steps), 30)
        adapter = Adapter(self.channel)
        for i, step in enumerate(steps):
            reset_mtimes(self.root)
            args = subst(step["args"], self.root)
            name = step["function"]
            with self.subTest(step=i, function=name, args=step["args"]):
                try:
                    got = getattr(adapter, name)(*args)
                    error = None
                except LegacyError as e:
                    got, error = None, e
                if "error" in step:
                    want = subst(step["error"], self.root)
                    self.assertIsNotNone(error, "expected %s, got %r" % (want, got))
                    self.assertEqual(error.type, want["type"])
                    paths = [a for a in args if isinstance(a, str) and a.startswith(self.root)]
                    self.assertEqual(comparable_message(error.message, paths),
                                     comparable_message(want["message"], paths))
                    continue
                self.assertIsNone(error, "unexpected %s: %s" % (
                    error and error.type, error and error.message))
                want = subst(step["result"], self.root)
                if name == "_get_subdirectories_impl":
                    self.assertEqual(set(got), set(want))
                elif name == "_list_folder_impl":
                    strip = [dict(e, size=None) if e["is_dir"] else e for e in got]
                    want = [dict(e, size=None) if e["is_dir"] else e for e in want]
                    self.assertEqual(strip, want)
                else:
                    self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
