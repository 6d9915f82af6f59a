"""Hostile requests from Python grpcio against the real a0ipcd: bytes on the wire that the
generated stubs would never send (NUL inside strings, invalid UTF-8), compressed requests,
over-long client text. Each must get its status, change nothing on disk and leave the daemon's
memory bounded. Run by ctest with A0IPCD and A0IPC_PYTHON_GEN."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

# The stubs are the subpackage a0ipc._gen, found through A0IPC_PYTHON_GEN: only the
# package's source goes on sys.path, never a top-level a0.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "python"))

import grpc  # noqa: E402
from a0ipc._gen.a0.runtime.v1 import files_pb2, terminal_pb2  # noqa: E402


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(number, payload):
    """A length-delimited field, whatever its bytes."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("A0IPC_")}


def run_cli(test, *args):
    """Runs the a0ipc CLI with a clean environment; the test fails unless it succeeds."""
    out = subprocess.run([os.environ["A0IPC_CLI"], *args], capture_output=True, text=True,
                         env=clean_env())
    test.assertEqual(out.returncode, 0, out.stderr)
    return out


def add_token(test, tokens_file, name, perms=("*",)):
    """A token NAME allowed perms, added to tokens_file: its call metadata."""
    path = tokens_file + "." + name
    run_cli(test, "token", "add", name, "--tokens-file", tokens_file, "--token-out", path,
        *[a for p in perms for a in ("--allow", p)])
    with open(path) as f:
        return (("authorization", "Bearer " + f.read().strip()),)


class Daemon:
    def __init__(self, *args, reuse=None):
        if reuse:
            self.dir, self.root = reuse.dir, reuse.root
        else:
            self.dir = tempfile.mkdtemp(prefix="a0ipc-hostile-")
            self.root = os.path.join(self.dir, "root")
            os.mkdir(self.root)
        self.unix = "unix:%s/a0ipcd.sock" % self.dir
        ready = os.path.join(self.dir, "ready")
        for stale in (ready, "%s/a0ipcd.sock" % self.dir):
            if os.path.exists(stale):
                os.unlink(stale)
        self.log_path = os.path.join(self.dir, "a0ipcd.log")
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(
            [os.environ["A0IPCD"], "--listen", self.unix, "--ready-file", ready,
             "--root", self.root, *args], stderr=self.log, env=clean_env())
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.time() > deadline:
                with open(self.log_path) as f:
                    log = f.read()
                self.close()
                raise RuntimeError("a0ipcd did not start:\n" + log)
            time.sleep(0.01)

    def restart(self, *args):
        """A new a0ipcd on the same directory and root (this one must have ended)."""
        self.log.close()
        return Daemon(*args, reuse=self)

    def vm(self, key):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        raise KeyError(key)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon()
        cls.channel = grpc.insecure_channel(cls.d.unix)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.d.close()

    def setUp(self):
        for name in os.listdir(self.d.root):
            p = os.path.join(self.d.root, name)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)
        with open(os.path.join(self.d.root, "a.txt"), "w") as f:
            f.write("keep me\n")

    def raw_unary(self, method, body, **kw):
        call = self.channel.unary_unary(method)  # no serializers: bytes as they are
        return call(body, timeout=10, **kw)

    def raw_stream(self, method, body, **kw):
        return list(self.channel.unary_stream(method)(body, timeout=10, **kw))

    def refused(self, fn, *args, code=grpc.StatusCode.INVALID_ARGUMENT, **kw):
        with self.assertRaises(grpc.RpcError) as e:
            fn(*args, **kw)
        self.assertEqual(e.exception.code(), code, e.exception.details())
        return e.exception.details()

    def tree(self):
        out = {}
        for dirpath, dirs, files in os.walk(self.d.root):
            for n in dirs + files:
                p = os.path.join(dirpath, n)
                out[os.path.relpath(p, self.d.root)] = (
                    None if os.path.isdir(p) else open(p, "rb").read())
        return out

    # -- item: NUL bytes and invalid UTF-8 in request strings -----------------------------

    def test_nul_in_remove_path_removes_nothing(self):
        before = self.tree()
        why = self.refused(self.raw_unary, "/a0.runtime.v1.Files/Remove",
                           field(1, b"a.txt\0.bak"))
        self.assertIn("path", why)
        self.assertIn("NUL", why)
        self.assertEqual(self.tree(), before)

    def test_nul_in_read_stat_listdir_move(self):
        self.refused(self.raw_stream, "/a0.runtime.v1.Files/Read", field(1, b"a.txt\0x"))
        self.refused(self.raw_unary, "/a0.runtime.v1.Files/Stat", field(1, b"a.txt\0x"))
        self.refused(self.raw_unary, "/a0.runtime.v1.Files/ListDir", field(1, b".\0x"))
        before = self.tree()
        self.refused(self.raw_unary, "/a0.runtime.v1.Files/Move",
                     field(1, b"a.txt") + field(2, b"b.txt\0.bak"))
        self.assertEqual(self.tree(), before)

    def test_nul_in_write_header_path_writes_nothing(self):
        before = self.tree()
        header = field(1, b"a.txt\0.bak")
        msg = field(1, header)  # WriteRequest.header = 1 (nested message)
        why = self.refused(self.channel.stream_unary("/a0.runtime.v1.Files/Write"),
                           iter([msg, field(2, b"overwritten")]), timeout=10)
        self.assertIn("header.path", why)
        self.assertEqual(self.tree(), before)

    def test_nul_in_terminal_strings(self):
        argv_nul = field(1, b"/bin/sh\0-x")
        self.refused(self.raw_unary, "/a0.runtime.v1.Terminal/Exec", argv_nul)
        self.refused(self.raw_unary, "/a0.runtime.v1.Terminal/CreateSession", argv_nul)
        self.refused(self.raw_unary, "/a0.runtime.v1.Terminal/CreateSession",
                     field(2, b"/tmp\0/x"))
        # env is a map: repeated entries {key = 1, value = 2}
        entry = field(1, b"FOO") + field(2, b"bar\0baz")
        why = self.refused(self.raw_unary, "/a0.runtime.v1.Terminal/CreateSession",
                           field(3, entry))
        self.assertIn("env.value", why)
        self.refused(self.raw_stream, "/a0.runtime.v1.Terminal/Run",
                     field(1, b"s1") + field(2, b"touch x\0; rm -rf y"))
        self.refused(self.raw_unary, "/a0.runtime.v1.Terminal/CloseSession", field(1, b"s\0"))

    def test_invalid_utf8_refused(self):
        before = self.tree()
        for bad in (b"caf\xe9.txt", b"\xc0\xaf", b"\xed\xa0\x80", b"a\xf4\x90\x80\x80",
                    b"trunc\xe2\x82"):
            why = self.refused(self.raw_unary, "/a0.runtime.v1.Files/MakeDir", field(1, bad))
            self.assertIn("UTF-8", why)
        self.refused(self.raw_unary, "/a0.runtime.v1.Terminal/Exec",
                     field(1, b"/bin/echo") + field(1, b"\xff"))
        self.assertEqual(self.tree(), before)

    def test_valid_utf8_and_bytes_fields_still_work(self):
        resp = self.raw_unary("/a0.runtime.v1.Files/MakeDir", field(1, "caf\u00e9".encode()))
        self.assertTrue(files_pb2.MakeDirResponse.FromString(resp).created)
        self.assertTrue(os.path.isdir(os.path.join(self.d.root, "caf\u00e9")))
        # bytes fields may hold anything: Exec's stdin_data = 4
        out = terminal_pb2.ExecResponse.FromString(self.raw_unary(
            "/a0.runtime.v1.Terminal/Exec",
            field(1, b"/bin/cat") + field(4, b"\0\xff\xfe")))
        self.assertEqual(out.stdout_data, b"\0\xff\xfe")

    # -- item: response strings are valid UTF-8, the exact bytes beside them ---------------

    BAD_NAMES = [b"caf\xe9.txt", b"x\xc0\xafy", b"\xed\xa0\x80z", b"\xf0\x9f\x98", b"ok\xff\xfe"]

    def test_listdir_stat_watch_of_non_utf8_names(self):
        rootb = os.fsencode(self.d.root)
        for n in self.BAD_NAMES:
            with open(os.path.join(rootb, n), "wb") as f:
                f.write(b"1")
        os.symlink(b"target\xe9", os.path.join(rootb, b"link"))
        # the generated stubs (strict UTF-8 parsing) read it
        resp = files_pb2.ListDirResponse.FromString(self.raw_unary(
            "/a0.runtime.v1.Files/ListDir", files_pb2.ListDirRequest(path=".").SerializeToString()))
        got = {e.name: e for e in resp.entries}
        for n in self.BAD_NAMES:
            shown = n.decode("utf-8", "replace")  # U+FFFD per maximal subpart, as Python does
            self.assertIn(shown, got)
            self.assertEqual(got[shown].raw_name, n)
            self.assertEqual(got[shown].raw_path, n)
        self.assertEqual(got["a.txt"].raw_name, b"")  # exact names carry no raw bytes
        self.assertEqual(got["link"].symlink_target, "target\ufffd")
        self.assertEqual(got["link"].raw_symlink_target, b"target\xe9")
        st = files_pb2.StatResponse.FromString(self.raw_unary(
            "/a0.runtime.v1.Files/Stat", files_pb2.StatRequest(path="link").SerializeToString()))
        self.assertEqual(st.info.raw_symlink_target, b"target\xe9")
        # Watch: an event for a non-UTF-8 name
        stream = self.channel.unary_stream(
            "/a0.runtime.v1.Files/Watch",
            response_deserializer=files_pb2.WatchResponse.FromString)(
                files_pb2.WatchRequest(path=".").SerializeToString(), timeout=10)
        time.sleep(0.3)  # the watch is set up
        with open(os.path.join(rootb, b"new\xe9"), "wb") as f:
            f.write(b"2")
        seen = None
        for r in stream:
            seen = next((e for e in r.events if e.raw_path == b"new\xe9"), None)
            if seen:
                break
        stream.cancel()
        self.assertIsNotNone(seen)
        self.assertEqual(seen.path, "new\ufffd")

    # -- item: smaller holes -------------------------------------------------------------

    def test_env_cannot_set_the_session_tag(self):
        env = {"A0IPC_SESSION_ID": "0123456789abcdef"}
        why = self.refused(self.raw_unary, "/a0.runtime.v1.Terminal/CreateSession",
                           terminal_pb2.CreateSessionRequest(env=env).SerializeToString())
        self.assertIn("A0IPC_SESSION_ID", why)
        self.refused(self.raw_unary, "/a0.runtime.v1.Terminal/Exec",
                     terminal_pb2.ExecRequest(argv=["/bin/true"], env=env).SerializeToString())
        resp = terminal_pb2.ListSessionsResponse.FromString(self.raw_unary(
            "/a0.runtime.v1.Terminal/ListSessions", b""))
        self.assertEqual(len(resp.sessions), 0)

    def test_trailing_slash_on_a_file_is_not_the_file(self):
        before = self.tree()
        F = grpc.StatusCode.FAILED_PRECONDITION
        for p in ("a.txt/", "a.txt/."):
            self.refused(self.raw_unary, "/a0.runtime.v1.Files/Remove",
                         files_pb2.RemoveRequest(path=p).SerializeToString(), code=F)
            self.refused(self.raw_unary, "/a0.runtime.v1.Files/Stat",
                         files_pb2.StatRequest(path=p).SerializeToString(), code=F)
            self.refused(self.raw_stream, "/a0.runtime.v1.Files/Read",
                         files_pb2.ReadRequest(path=p).SerializeToString(), code=F)
            self.refused(self.raw_unary, "/a0.runtime.v1.Files/Move",
                         files_pb2.MoveRequest(source=p, destination="b.txt").SerializeToString(),
                         code=F)
        self.assertEqual(self.tree(), before)
        # a directory with a slash, and a new one, are fine
        self.raw_unary("/a0.runtime.v1.Files/MakeDir",
                       files_pb2.MakeDirRequest(path="new/").SerializeToString())
        self.raw_unary("/a0.runtime.v1.Files/Stat",
                       files_pb2.StatRequest(path="new/").SerializeToString())

    def test_makedir_and_remove_agree_on_depth(self):
        mk = self.channel.unary_unary("/a0.runtime.v1.Files/MakeDir")
        deepest = "/".join(["d"] * 128)
        mk(files_pb2.MakeDirRequest(path=deepest, parents=True).SerializeToString(), timeout=10)
        before = self.tree()
        for too_deep in (deepest + "/e", "x/" + deepest):
            why = self.refused(mk, files_pb2.MakeDirRequest(path=too_deep,
                                                            parents=True).SerializeToString(),
                               timeout=10, code=grpc.StatusCode.FAILED_PRECONDITION)
            self.assertIn("128", why)
        self.assertEqual(self.tree(), before)  # nothing made on the way
        # what MakeDir made, Remove removes
        self.raw_unary("/a0.runtime.v1.Files/Remove",
                       files_pb2.RemoveRequest(path="d", recursive=True).SerializeToString())
        self.assertFalse(os.path.exists(os.path.join(self.d.root, "d")))

    def test_write_that_a_line_mode_terminal_would_drop_is_refused(self):
        sid = terminal_pb2.CreateSessionResponse.FromString(self.raw_unary(
            "/a0.runtime.v1.Terminal/CreateSession",
            terminal_pb2.CreateSessionRequest(argv=["/bin/cat"]).SerializeToString())).session_id
        self.addCleanup(self.raw_unary, "/a0.runtime.v1.Terminal/CloseSession",
                        terminal_pb2.CloseSessionRequest(session_id=sid).SerializeToString())
        write = self.channel.unary_unary("/a0.runtime.v1.Terminal/Write")

        def w(data):
            return write(terminal_pb2.WriteInputRequest(session_id=sid, data=data)
                         .SerializeToString(), timeout=10)
        time.sleep(0.3)  # cat is reading, its terminal in canonical mode
        w(b"x" * 4000 + b"\n")  # a line that fits
        why = self.refused(w, b"y" * 5000, code=grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("canonical", why)
        w(b"z" * 3000)  # fits, but stays pending...
        self.refused(w, b"z" * 2000, code=grpc.StatusCode.FAILED_PRECONDITION)  # ...counted
        w(b"\n" + b"a" * 100 + b"\n")

    def test_write_the_core_refuses_leaves_nothing(self):
        before = self.tree()
        write = self.channel.stream_unary(
            "/a0.runtime.v1.Files/Write", request_serializer=files_pb2.WriteRequest.SerializeToString)
        for _ in range(20):
            self.refused(write, iter([
                files_pb2.WriteRequest(header=files_pb2.WriteHeader(path="x.bin",
                                                                    expected_size=10 << 20)),
                files_pb2.WriteRequest(data=b"a" * 1000),
                files_pb2.WriteRequest(data=b"a" * (5 << 20))]),  # over the 4 MiB limit
                timeout=10, code=grpc.StatusCode.RESOURCE_EXHAUSTED)
            self.assertEqual(self.tree(), before)  # at once: no temporary file to be seen

    # -- item: compressed requests cannot inflate the daemon's memory -------------------

    def test_gzip_bomb_is_refused_and_memory_stays_bounded(self):
        before = self.tree()
        hwm0 = self.d.vm("VmHWM")
        header = files_pb2.WriteRequest(header=files_pb2.WriteHeader(path="bomb.bin"))
        # 64 MiB of zeros: ~64 KiB on the wire once gzipped
        bomb = files_pb2.WriteRequest(data=bytes(64 << 20))
        write = self.channel.stream_unary(
            "/a0.runtime.v1.Files/Write", request_serializer=files_pb2.WriteRequest.SerializeToString,
            response_deserializer=files_pb2.WriteResponse.FromString)
        with self.assertRaises(grpc.RpcError) as e:
            write(iter([header, bomb]), timeout=20, compression=grpc.Compression.Gzip)
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNIMPLEMENTED,
                         e.exception.details())
        grew = self.d.vm("VmHWM") - hwm0
        self.assertLess(grew, 16 << 20, "a0ipcd's peak RSS grew by %d bytes" % grew)
        self.assertEqual(self.tree(), before)
        # unary too, and the daemon still serves identity-encoded calls afterwards
        self.refused(self.raw_unary, "/a0.runtime.v1.Files/Stat",
                     files_pb2.StatRequest(path="a.txt").SerializeToString(),
                     compression=grpc.Compression.Gzip, code=grpc.StatusCode.UNIMPLEMENTED)
        self.raw_unary("/a0.runtime.v1.Files/Stat",
                       files_pb2.StatRequest(path="a.txt").SerializeToString())

    # -- item: client text quoted in status messages is bounded ---------------------------

    def test_long_path_in_status_is_capped_and_the_connection_lives(self):
        path = "d/" * 1900 + "x"  # 3.8 KB: whole, it would exceed the client's 8 KiB limit
        for method in ("Stat", "Remove"):  # once percent-encoded
            body = files_pb2.StatRequest(path=path).SerializeToString()
            why = self.refused(self.raw_unary, "/a0.runtime.v1.Files/" + method, body,
                               code=grpc.StatusCode.NOT_FOUND)
            self.assertLess(len(why.encode()), 600, why)
            self.assertIn("\u2026(+", why)
        # the same channel still works
        resp = files_pb2.StatResponse.FromString(self.raw_unary(
            "/a0.runtime.v1.Files/Stat", files_pb2.StatRequest(path="a.txt").SerializeToString()))
        self.assertEqual(resp.info.size, 8)


# A shell that ignores SIGHUP and keeps a child alive: only SIGKILL ends it. It says when the
# trap is set by creating the file named by its first argument.
STUBBORN = ["/bin/sh", "-c", "trap '' HUP; : > \"$0\"; while :; do sleep 0.2; done"]


class CloseGrace(unittest.TestCase):
    """CloseSession.grace_ms is clamped to session-close-grace-max-ms, and shutdown cuts it."""

    def create(self, channel, d):
        ready = os.path.join(d.dir, "trap-set")
        resp = channel.unary_unary("/a0.runtime.v1.Terminal/CreateSession")(
            terminal_pb2.CreateSessionRequest(argv=STUBBORN + [ready]).SerializeToString(),
            timeout=10)
        deadline = time.time() + 10
        while not os.path.exists(ready) and time.time() < deadline:
            time.sleep(0.01)
        self.assertTrue(os.path.exists(ready))
        return terminal_pb2.CreateSessionResponse.FromString(resp).session_id

    def close_call(self, channel, sid):
        return channel.unary_unary("/a0.runtime.v1.Terminal/CloseSession")(
            terminal_pb2.CloseSessionRequest(session_id=sid,
                                             grace_ms=2**32 - 1).SerializeToString(),
            timeout=60)

    def test_grace_is_clamped(self):
        d = Daemon("--session-close-grace-max-ms", "300")
        self.addCleanup(d.close)
        with grpc.insecure_channel(d.unix) as ch:
            sid = self.create(ch, d)
            t0 = time.monotonic()
            resp = terminal_pb2.CloseSessionResponse.FromString(self.close_call(ch, sid))
            took = time.monotonic() - t0
        self.assertEqual(resp.signal, signal.SIGKILL)
        self.assertGreaterEqual(took, 0.25)
        self.assertLess(took, 5.0)

    def test_shutdown_cuts_a_long_close(self):
        d = Daemon("--shutdown-grace-ms", "300")  # clamp at its default, 30 s
        self.addCleanup(d.close)
        ch = grpc.insecure_channel(d.unix)
        self.addCleanup(ch.close)
        sid = self.create(ch, d)
        fut = ch.unary_unary("/a0.runtime.v1.Terminal/CloseSession").future(
            terminal_pb2.CloseSessionRequest(session_id=sid,
                                             grace_ms=2**32 - 1).SerializeToString(),
            timeout=60)
        time.sleep(0.5)  # the close is under way, waiting out its grace
        self.assertFalse(fut.done())
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        self.assertEqual(d.proc.wait(timeout=20), 0)
        self.assertLess(time.monotonic() - t0, 5.0)
        try:
            fut.result(timeout=5)
        except grpc.RpcError:
            pass  # answered or cut: either way, not kept waiting


class GivenUpCreate(unittest.TestCase):
    """A CreateSession the client gave up on closes the session it started."""

    def test_expired_create_leaves_no_session(self):
        d = Daemon()
        self.addCleanup(d.close)
        rc = os.path.join(d.dir, "slowrc")
        with open(rc, "w") as f:
            f.write("sleep 2\n")
        with grpc.insecure_channel(d.unix) as ch:
            create = ch.unary_unary("/a0.runtime.v1.Terminal/CreateSession")
            with self.assertRaises(grpc.RpcError) as e:
                create(terminal_pb2.CreateSessionRequest(
                    argv=["/bin/bash", "--rcfile", rc]).SerializeToString(), timeout=0.5)
            self.assertEqual(e.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
            listing = ch.unary_unary("/a0.runtime.v1.Terminal/ListSessions")
            t0 = time.time()
            deadline = t0 + 8
            sessions = None
            while time.time() < deadline:
                sessions = terminal_pb2.ListSessionsResponse.FromString(
                    listing(b"", timeout=5)).sessions
                if not sessions:
                    break
                time.sleep(0.1)
            self.assertEqual(len(sessions), 0, sessions)
            # and it was closed soon, not after .bashrc finished and the idle TTL
            self.assertLess(time.time() - t0, 6.0)
            # the daemon still creates sessions
            ok = terminal_pb2.CreateSessionResponse.FromString(create(
                terminal_pb2.CreateSessionRequest(argv=["/bin/sh"]).SerializeToString(),
                timeout=10))
            self.assertTrue(ok.session_id)


class SessionOwners(unittest.TestCase):
    """A session belongs to the identity that created it."""

    def test_tokens_see_only_their_own_sessions(self):
        tmp = tempfile.mkdtemp(prefix="a0ipc-owners-")
        self.addCleanup(shutil.rmtree, tmp, True)
        tokens_file = os.path.join(tmp, "tokens")
        tok = {name: add_token(self, tokens_file, name, perms)
               for name, perms in (("alice", ["*"]), ("bob", ["*"]),
                                   ("ops", ["service:a0.runtime.v1.Terminal",
                                            "terminal:all-sessions"]))}
        d = Daemon("--tokens-file", tokens_file)
        self.addCleanup(d.close)
        with grpc.insecure_channel(d.unix) as ch:
            def call(method, msg, who, stream=False):
                body = msg.SerializeToString()
                if stream:
                    return list(ch.unary_stream("/a0.runtime.v1.Terminal/" + method)(
                        body, timeout=10, metadata=tok[who]))
                return ch.unary_unary("/a0.runtime.v1.Terminal/" + method)(
                    body, timeout=10, metadata=tok[who])

            def listing(who):
                return [x.session_id for x in terminal_pb2.ListSessionsResponse.FromString(
                    call("ListSessions", terminal_pb2.ListSessionsRequest(), who)).sessions]

            sid = terminal_pb2.CreateSessionResponse.FromString(call(
                "CreateSession", terminal_pb2.CreateSessionRequest(argv=["/bin/sh"]),
                "alice")).session_id
            self.assertEqual(listing("alice"), [sid])
            self.assertEqual(listing("bob"), [])
            self.assertEqual(listing("ops"), [sid])
            for method, msg, stream in (
                    ("Run", terminal_pb2.RunRequest(session_id=sid, command="true"), True),
                    ("Write", terminal_pb2.WriteInputRequest(session_id=sid, data=b"x"), False),
                    ("Attach", terminal_pb2.AttachRequest(session_id=sid), True),
                    ("Resize", terminal_pb2.ResizeRequest(session_id=sid, rows=5, cols=5), False),
                    ("Signal", terminal_pb2.SignalRequest(session_id=sid, signal=9), False),
                    ("CloseSession", terminal_pb2.CloseSessionRequest(session_id=sid), False)):
                with self.assertRaises(grpc.RpcError) as e:
                    call(method, msg, "bob", stream)
                self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND, method)
                self.assertEqual(e.exception.details(), 'no session "%s"' % sid)
            self.assertEqual(listing("alice"), [sid])  # bob changed nothing
            call("CloseSession", terminal_pb2.CloseSessionRequest(session_id=sid), "ops")
            self.assertEqual(listing("alice"), [])


class Revocation(unittest.TestCase):
    """On SIGHUP, open streams of tokens that were removed end with UNAUTHENTICATED."""

    def test_revoked_token_stream_ends(self):
        tmp = tempfile.mkdtemp(prefix="a0ipc-revoke-")
        self.addCleanup(shutil.rmtree, tmp, True)
        tokens_file = os.path.join(tmp, "tokens")
        md = {name: add_token(self, tokens_file, name) for name in ("gone", "kept")}
        d = Daemon("--tokens-file", tokens_file)
        self.addCleanup(d.close)
        ch = grpc.insecure_channel(d.unix)
        self.addCleanup(ch.close)
        watch = ch.unary_stream("/a0.runtime.v1.Files/Watch",
                                response_deserializer=files_pb2.WatchResponse.FromString)
        body = files_pb2.WatchRequest(path=".").SerializeToString()
        streams = {n: watch(body, timeout=60, metadata=md[n]) for n in md}
        time.sleep(0.3)  # both are open
        for s in streams.values():
            self.assertTrue(s.is_active())
        run_cli(self, "token", "remove", "gone", "--tokens-file", tokens_file)
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGHUP)
        with self.assertRaises(grpc.RpcError) as e:
            for _ in streams["gone"]:
                pass
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED,
                         e.exception.details())
        self.assertLess(time.monotonic() - t0, 5)
        time.sleep(0.3)
        self.assertTrue(streams["kept"].is_active())  # the other token's stream goes on
        streams["kept"].cancel()


class Connections(unittest.TestCase):
    """Connections are bounded: max-connections on the unix sockets and TCP ports together,
    connection-idle-ms for connections that make no call."""

    def fds(self, d):
        return len(os.listdir("/proc/%d/fd" % d.proc.pid))

    def read_until_closed(self, s, limit):
        t0 = time.monotonic()
        s.settimeout(limit)
        while s.recv(4096):
            pass
        return time.monotonic() - t0

    def test_limit_and_idle_timeout(self):
        d = Daemon("--max-connections", "3", "--connection-idle-ms", "500")
        self.addCleanup(d.close)
        path = d.unix[len("unix:"):]
        base = self.fds(d)
        held = []
        for _ in range(3):
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            held.append(s)
        self.addCleanup(lambda: [s.close() for s in held])
        time.sleep(0.1)
        self.assertEqual(self.fds(d), base + 3)
        extra = socket.socket(socket.AF_UNIX)
        extra.connect(path)
        self.assertLess(self.read_until_closed(extra, 2), 1)  # refused at once
        extra.close()
        # none of them makes a call: each is closed after the idle time
        for s in held:
            self.assertLess(self.read_until_closed(s, 5), 4)
        deadline = time.time() + 3
        while self.fds(d) > base and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.fds(d), base)
        # and a client that calls is served again
        with grpc.insecure_channel(d.unix) as ch:
            ch.unary_unary("/a0.runtime.v1.Files/Stat")(
                files_pb2.StatRequest(path=".").SerializeToString(), timeout=5)
        with open(d.log_path) as f:
            self.assertIn("max-connections", f.read())


    def tcp_port(self, d):
        with open(os.path.join(d.dir, "ready")) as f:
            return int([l for l in f if l.startswith("127.0.0.1:")][0].strip().split(":")[1])

    def ended_at_once(self, s):
        """True when the daemon ends s before sending a byte: end of file or a reset."""
        s.settimeout(2)
        try:
            return s.recv(4096) == b""
        except ConnectionResetError:
            return True

    def test_tcp_counts_with_unix_and_the_listener_lives_on(self):
        # The core has no connection limit; a0ipcd ends surplus TCP connections itself, and a
        # refused one must not stop the port from accepting the next.
        d = Daemon("--insecure", "--listen", "127.0.0.1:0", "--max-connections", "3",
                   "--connection-idle-ms", "1500")
        self.addCleanup(d.close)
        port = self.tcp_port(d)
        base = self.fds(d)
        held = []
        self.addCleanup(lambda: [s.close() for s in held])
        for _ in range(2):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")  # the preface, then silence
            held.append(s)
        u = socket.socket(socket.AF_UNIX)
        u.connect(d.unix[len("unix:"):])
        held.append(u)
        time.sleep(0.2)
        self.assertEqual(self.fds(d), base + 3)
        for _ in range(5):  # a burst over the limit: each ended, none kept
            extra = socket.create_connection(("127.0.0.1", port))
            self.assertTrue(self.ended_at_once(extra))
            extra.close()
        extra = socket.socket(socket.AF_UNIX)
        extra.connect(d.unix[len("unix:"):])
        self.assertTrue(self.ended_at_once(extra))  # unix and TCP share the limit
        extra.close()
        time.sleep(0.2)
        self.assertEqual(self.fds(d), base + 3)
        held.pop(0).close()
        time.sleep(0.2)
        with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:  # a free slot serves again
            ch.unary_unary("/a0.runtime.v1.Files/Stat")(
                files_pb2.StatRequest(path=".").SerializeToString(), timeout=5)
        # the silent ones are closed after the idle time
        deadline = time.time() + 6
        while self.fds(d) > base and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.fds(d), base)
        with open(d.log_path) as f:
            log = f.read()
        self.assertIn("refused 1 TCP connection (the last from 127.0.0.1:", log)
        self.assertIn("max-connections 3, unix and TCP together", log)

    def test_tls_connections_that_never_handshake_are_bounded(self):
        d0 = tempfile.mkdtemp(prefix="a0ipc-hostile-tls-")
        self.addCleanup(shutil.rmtree, d0, True)
        tls = os.path.join(d0, "tls")
        run_cli(self, "certs", "init", tls)
        tokens = os.path.join(d0, "tokens")
        bearer = add_token(self, tokens, "py")
        d = Daemon("--listen", "127.0.0.1:0", "--tls-cert", os.path.join(tls, "server.pem"),
                   "--tls-key", os.path.join(tls, "server.key"), "--tokens-file", tokens,
                   "--max-connections", "2")
        self.addCleanup(d.close)
        port = self.tcp_port(d)
        base = self.fds(d)
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        self.addCleanup(lambda: [s.close() for s in held])
        time.sleep(0.2)
        self.assertEqual(self.fds(d), base + 2)
        extra = socket.create_connection(("127.0.0.1", port))
        self.assertTrue(self.ended_at_once(extra))  # before any byte of TLS
        extra.close()
        for s in held:
            s.close()
        with open(os.path.join(tls, "ca.pem"), "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        deadline = time.time() + 5
        while self.fds(d) > base and time.time() < deadline:
            time.sleep(0.05)
        with grpc.secure_channel("127.0.0.1:%d" % port, creds,
                                 options=[("grpc.ssl_target_name_override", "localhost")]) as ch:
            ch.unary_unary("/a0.runtime.v1.Files/Stat")(
                files_pb2.StatRequest(path=".").SerializeToString(), timeout=5,
                metadata=bearer)


class SmallMessages(unittest.TestCase):
    """With --max-message-bytes below the chunk size, Read, Archive and ListDir cut what they
    send to the daemon's own limit."""

    def test_streams_fit_a_small_send_limit(self):
        d = Daemon("--max-message-bytes", "4096")
        self.addCleanup(d.close)
        data = os.urandom(100000)
        with open(os.path.join(d.root, "big.bin"), "wb") as f:
            f.write(data)
        os.mkdir(os.path.join(d.root, "many"))
        for i in range(300):
            open(os.path.join(d.root, "many", "file-with-a-longish-name-%04d" % i), "w").close()
        with grpc.insecure_channel(d.unix) as ch:
            got = [files_pb2.ReadResponse.FromString(b) for b in ch.unary_stream(
                "/a0.runtime.v1.Files/Read")(files_pb2.ReadRequest(path="big.bin")
                                             .SerializeToString(), timeout=20)]
            self.assertEqual(b"".join(r.data for r in got), data)
            self.assertTrue(all(len(r.SerializeToString()) <= 4096 for r in got))
            parts = list(ch.unary_stream("/a0.runtime.v1.Files/Archive")(
                files_pb2.ArchiveRequest(path="many").SerializeToString(), timeout=20))
            self.assertGreater(len(parts), 1)
            self.assertTrue(all(len(p) <= 4096 for p in parts))
            raw = ch.unary_unary("/a0.runtime.v1.Files/ListDir")(
                files_pb2.ListDirRequest(path="many").SerializeToString(), timeout=20)
            self.assertLessEqual(len(raw), 4096)
            listing = files_pb2.ListDirResponse.FromString(raw)
            self.assertTrue(listing.truncated)
            self.assertGreater(len(listing.entries), 10)
            # a burst of Watch events is sent in batches that fit too
            stream = ch.unary_stream("/a0.runtime.v1.Files/Watch")(
                files_pb2.WatchRequest(path="many").SerializeToString(), timeout=20)
            first = files_pb2.WatchResponse.FromString(next(stream))  # READY
            self.assertEqual(len(first.events), 1)
            for i in range(100):
                os.unlink(os.path.join(d.root, "many", "file-with-a-longish-name-%04d" % i))
            seen = 0
            for raw in stream:
                self.assertLessEqual(len(raw), 4096)
                seen += len(files_pb2.WatchResponse.FromString(raw).events)
                if seen >= 100:
                    break
            stream.cancel()
            self.assertGreaterEqual(seen, 100)


class StaleTemps(unittest.TestCase):
    """An upload cut by a0ipcd's death leaves nothing (its file had no name yet); temporary files
    of a0ipcd's naming that an older a0ipcd, or one on a file system without O_TMPFILE, left are
    removed by the next a0ipcd, and only those nobody holds."""

    def daemon_uploads(self, d, under):
        """Unnamed files a0ipcd holds open under the directory `under`."""
        n = 0
        for fd in os.listdir("/proc/%d/fd" % d.proc.pid):
            try:
                to = os.readlink("/proc/%d/fd/%s" % (d.proc.pid, fd))
            except OSError:
                continue
            if to.startswith(under + "/#") and to.endswith(" (deleted)"):
                n += 1
        return n

    def test_killed_upload_leaves_nothing_and_stale_temps_are_cleaned(self):
        import fcntl
        import threading
        d = Daemon("--clean-temp-files-max-entries", "0")  # this one must not clean
        root = d.root
        sub = os.path.join(root, "sub")
        os.makedirs(sub)
        gate = threading.Event()

        def chunks():
            yield files_pb2.WriteRequest(header=files_pb2.WriteHeader(
                path="sub/dest.bin", expected_size=64 << 20))
            yield files_pb2.WriteRequest(data=b"x" * 4096)
            gate.wait(30)

        ch = grpc.insecure_channel(d.unix)
        fut = ch.stream_unary("/a0.runtime.v1.Files/Write",
                              request_serializer=files_pb2.WriteRequest.SerializeToString,
                              response_deserializer=files_pb2.WriteResponse.FromString).future(
                                  chunks(), timeout=30)
        deadline = time.time() + 10
        while self.daemon_uploads(d, os.path.realpath(sub)) == 0 and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.daemon_uploads(d, os.path.realpath(sub)), 1)
        self.assertEqual(os.listdir(sub), [])  # in progress, and no name anywhere
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        gate.set()
        try:
            fut.result(timeout=10)
        except grpc.RpcError:
            pass
        ch.close()
        self.assertEqual(os.listdir(sub), [])  # killed: nothing left, reservation freed

        # what an older a0ipcd (or one without O_TMPFILE) left, beside look-alikes
        stale = os.path.join(sub, ".dest.bin.a0ipc-Xy12Zq")
        with open(stale, "wb") as f:
            f.truncate(8 << 20)
        held = os.path.join(root, ".held.a0ipc-AbC123")
        hf = open(held, "w")
        fcntl.flock(hf, fcntl.LOCK_EX)  # an upload writing it
        keep = [os.path.join(root, ".x.a0ipc-abc"), os.path.join(root, "x.a0ipc-abcdef"),
                os.path.join(root, ".x.a0ipc-abc-ef")]
        for k in keep:
            open(k, "w").close()
        os.symlink("/etc/passwd", os.path.join(root, ".l.a0ipc-ZZZZZZ"))
        os.mkdir(os.path.join(root, ".dir.a0ipc-QQQQQQ"))
        d2 = d.restart()
        self.addCleanup(d2.close)
        deadline = time.time() + 10
        while os.path.exists(stale) and time.time() < deadline:
            time.sleep(0.02)
        self.assertFalse(os.path.exists(stale))
        time.sleep(0.2)
        for k in keep + [held]:
            self.assertTrue(os.path.exists(k), k)
        self.assertTrue(os.path.islink(os.path.join(root, ".l.a0ipc-ZZZZZZ")))
        self.assertTrue(os.path.isdir(os.path.join(root, ".dir.a0ipc-QQQQQQ")))
        hf.close()
        with open(d2.log_path) as f:
            self.assertIn("removed 1 temporary file", f.read())


class CliRun(unittest.TestCase):
    """a0ipc run says the command goes on only when it does."""

    def test_run_whose_session_the_daemon_closed(self):
        d = Daemon()
        self.addCleanup(d.close)
        env = clean_env()
        env["A0IPC_TARGET"] = d.unix
        cli = subprocess.Popen([os.environ["A0IPC_CLI"], "run", "sleep 30"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 10
            with grpc.insecure_channel(d.unix) as ch:  # wait until the command runs
                while time.time() < deadline:
                    resp = terminal_pb2.ListSessionsResponse.FromString(ch.unary_unary(
                        "/a0.runtime.v1.Terminal/ListSessions")(b"", timeout=5))
                    if any(s.running_command for s in resp.sessions):
                        break
                    time.sleep(0.05)
            d.proc.send_signal(signal.SIGTERM)
            self.assertEqual(d.proc.wait(timeout=20), 0)
            out, err = cli.communicate(timeout=20)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait()
        self.assertNotEqual(cli.returncode, 0)
        self.assertNotIn("goes on", err)
        self.assertIn("closed", err)

    def test_run_that_times_out_goes_on(self):
        d = Daemon()
        self.addCleanup(d.close)
        env = clean_env()
        env["A0IPC_TARGET"] = d.unix
        out = subprocess.run([os.environ["A0IPC_CLI"], "run", "--max-time-ms", "300", "sleep 30"],
                             env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 124, out.stderr)  # docs/cli.md: a timeout ended the wait
        self.assertIn("goes on in session", out.stderr)


if __name__ == "__main__":
    unittest.main()
