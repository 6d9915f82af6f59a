"""RuntimeClient against a real a0ipcd: how it connects (TLS, mTLS, bearer token over TLS and
over a unix socket, plaintext TCP only on loopback), every Files and Terminal call, statuses as
Python exceptions, and the per-method deadlines."""
import asyncio
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import unittest

import support

from a0ipc import errors
from a0ipc.channel import ConnectionOptions, open_channel
from a0ipc.client import RuntimeClient, connect

pb = None


def cli(*args):
    out = subprocess.run([support.env_path("A0IPC_CLI", "the a0ipc CLI"), *args],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out


class SecureDaemon(unittest.TestCase):
    """TLS on TCP (client certificates optional), tokens required, plus a unix socket."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="a0ipc-pyc-")
        cls.root = os.path.realpath(os.path.join(cls.dir, "root"))
        os.makedirs(cls.root)
        cli("certs", "init", os.path.join(cls.dir, "tls"))
        cls.tokens = os.path.join(cls.dir, "tokens")
        for name, perm in (("all", "*"), ("ro", "files:read-only")):
            cli("token", "add", name, "--allow", perm, "--tokens-file", cls.tokens,
                "--token-out", os.path.join(cls.dir, name + ".token"))
        tls = os.path.join(cls.dir, "tls")
        cls.ca = os.path.join(tls, "ca.pem")
        cls.cert, cls.key = os.path.join(tls, "client.pem"), os.path.join(tls, "client.key")
        cls.daemon = support.Daemon(cls.root, tcp=True, args=[
            "--tls-cert", os.path.join(tls, "server.pem"),
            "--tls-key", os.path.join(tls, "server.key"), "--tls-ca", cls.ca,
            "--tls-client-cert", "optional", "--tokens-file", cls.tokens])

    @classmethod
    def tearDownClass(cls):
        code = cls.daemon.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)
        if code != 0:  # a clean SIGTERM exit is 0; the sanitizer build fails it on a leak
            raise AssertionError("a0ipcd exited %s" % code)

    def token_file(self, name):
        return os.path.join(self.dir, name + ".token")

    def call(self, fn, **kw):
        async def main():
            async with RuntimeClient(**kw) as c:
                return await fn(c)
        return asyncio.run(asyncio.wait_for(main(), 60))

    def test_tls_with_a_token(self):
        async def t(c):
            await c.make_dir("tls-dir", exist_ok=True)
            return await c.stat("tls-dir")
        info = self.call(t, target=self.daemon.tcp, ca_file=self.ca,
                         token_file=self.token_file("all"))
        self.assertEqual(info.name, "tls-dir")

    def test_mtls_with_a_token(self):
        info = self.call(lambda c: c.stat("."), target=self.daemon.tcp, ca_file=self.ca,
                         cert_file=self.cert, key_file=self.key,
                         token_file=self.token_file("all"))
        self.assertEqual(info.name, ".")

    def test_unix_socket_with_a_token(self):
        with open(self.token_file("all")) as f:
            token = f.read().strip()
        self.assertEqual(self.call(lambda c: c.stat("."), target=self.daemon.unix,
                                   token=token).name, ".")

    def test_missing_token_and_too_few_permissions(self):
        with self.assertRaises(errors.Unauthenticated) as e:
            self.call(lambda c: c.stat("."), target=self.daemon.unix)
        self.assertIsInstance(e.exception, errors.RuntimeError_)
        with self.assertRaises(PermissionError) as e:  # read-only token, a write
            self.call(lambda c: c.make_dir("nope"), target=self.daemon.unix,
                      token_file=self.token_file("ro"))
        self.assertEqual(e.exception.code, "PERMISSION_DENIED")
        self.assertFalse(os.path.exists(os.path.join(self.root, "nope")))

    def test_untrusted_server_is_unavailable(self):
        other = os.path.join(self.dir, "other")
        cli("certs", "init", other)
        with self.assertRaises(ConnectionError):
            self.call(lambda c: c.stat(".", timeout=5), target=self.daemon.tcp,
                      ca_file=os.path.join(other, "ca.pem"), token_file=self.token_file("all"),
                      wait_for_ready=False)

    def test_the_environment_configures_it(self):
        env = {"A0IPC_TARGET": self.daemon.tcp, "A0IPC_CA": self.ca,
               "A0IPC_TOKEN_FILE": self.token_file("all"), "A0IPC_SERVER_NAME": "localhost"}
        o = ConnectionOptions.from_env(env)
        self.assertEqual((o.target, o.ca_file, o.server_name), (self.daemon.tcp, self.ca,
                                                                "localhost"))
        self.assertEqual(self.call(lambda c: c.stat("."), options=o).name, ".")

    def test_the_clis_config_file_under_the_environment(self):
        conf = os.path.join(self.dir, "client.conf")
        with open(conf, "w") as f:
            f.write("# as for the a0ipc CLI\ntarget = %s\nca = %s\ntoken-file = %s\n"
                    "timeout = 5\nbogus line\n" % (self.daemon.tcp, self.ca,
                                                    self.token_file("all")))
        with self.assertLogs("a0ipc", "WARNING"):
            o = ConnectionOptions.from_env({"A0IPC_CONFIG": conf})
        self.assertEqual((o.target, o.ca_file), (self.daemon.tcp, self.ca))
        self.assertEqual(self.call(lambda c: c.stat("."), options=o).name, ".")
        o = ConnectionOptions.from_env({"A0IPC_CONFIG": conf, "A0IPC_TARGET": "unix:/x"})
        self.assertEqual((o.target, o.ca_file), ("unix:/x", self.ca))

    def test_refusals_before_connecting(self):
        with self.assertRaisesRegex(ValueError, "loopback"):
            open_channel(ConnectionOptions(target="192.0.2.1:50051", insecure=True))
        with self.assertRaisesRegex(ValueError, "both"):
            open_channel(ConnectionOptions(target="localhost:1", cert_file=self.cert))


class PlainDaemon(unittest.TestCase):
    """Every call, on a unix socket without tokens."""

    def setUp(self):
        global pb
        from a0ipc import _proto
        pb = _proto
        self.dir = tempfile.mkdtemp(prefix="a0ipc-pyc-")
        self.root = os.path.realpath(self.dir)
        self.daemon = support.Daemon(self.root, tcp=True)

    def tearDown(self):
        self.assertEqual(self.daemon.stop(), 0)
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_async(self, fn, **kw):
        async def main():
            async with connect(target=kw.pop("target", self.daemon.unix), **kw) as c:
                return await fn(c)
        return asyncio.run(asyncio.wait_for(main(), 60))

    def test_files_calls(self):
        fpb = pb.files_pb2

        async def t(c):
            self.assertEqual(await c.health(), 1)  # SERVING
            data = os.urandom(3 << 20)
            r = await c.write("d/blob", data, create_parents=True, mode=0o600,
                              expected_size=len(data),
                              expected_sha256=hashlib.sha256(data).digest())
            self.assertEqual((r.bytes_written, r.sha256), (len(data),
                                                           hashlib.sha256(data).digest()))
            self.assertEqual(await c.read("d/blob"), data)
            self.assertEqual(await c.read("d/blob", offset=10, length=5), data[10:15])
            info = await c.stat("d/blob")
            self.assertEqual((info.type, info.size, info.mode), (fpb.FILE_TYPE_FILE, len(data),
                                                                 0o600))
            with self.assertRaises(errors.DataLoss):
                await c.write("d/bad", b"abc", expected_sha256=b"\0" * 32)
            self.assertFalse(os.path.exists(os.path.join(self.root, "d/bad")))
            with self.assertRaises(FileExistsError):
                await c.write("d/blob", b"x", overwrite=fpb.OVERWRITE_POLICY_FAIL)
            self.assertIs(await c.make_dir("d/e/f", parents=True), True)
            self.assertIs(await c.make_dir("d/e/f", parents=True, exist_ok=True), False)
            with self.assertRaises(FileExistsError):
                await c.make_dir("d/e")
            self.assertIs(await c.move("d/blob", "m/blob", create_parents=True), False)
            listing = await c.list_dir(".", depth=2)
            self.assertEqual([e.path for e in listing.entries],
                             ["d", "d/e", "m", "m/blob"])
            tgz = await c.archive("m", format=fpb.ARCHIVE_FORMAT_TAR_GZ)
            with tarfile.open(fileobj=io.BytesIO(tgz)) as tar:
                self.assertEqual(tar.extractfile("blob").read(), data)
            with self.assertRaises(FileNotFoundError):
                await c.read("nope")
            with self.assertRaises(IsADirectoryError):
                await c.read("d")
            with self.assertRaises(PermissionError):
                await c.stat("../etc")
            with self.assertRaises(errors.FailedPrecondition):
                await c.remove("d")  # not empty
            self.assertIs(await c.remove("d", recursive=True), True)
            self.assertIs(await c.remove("d", missing_ok=True), False)
            # Watch: READY first, then the changes (an upload appears by its rename)
            stream = c.watch(".")
            events = []
            async for batch in stream:
                if not events:
                    await c.write("w.txt", b"w")
                events += [(e.type, e.path) for e in batch.events]
                if (fpb.WATCH_EVENT_TYPE_RENAME, "w.txt") in events:
                    stream.cancel()
                    break
            self.assertEqual(events[0], (fpb.WATCH_EVENT_TYPE_READY, "."))
        self.run_async(t)

    def test_terminal_calls(self):
        tpb = pb.terminal_pb2

        async def t(c):
            s = await c.create_session(cwd=self.root, env={"GREETING": "hello"}, rows=24,
                                       cols=80)
            self.assertTrue(s.exact_completion)
            out = []
            async for ev in c.run(s.session_id, "echo $GREETING; stty size; (exit 4)",
                                  clean_output=True):
                if ev.WhichOneof("event") == "output":
                    out.append(ev.output.data)
                else:
                    done = ev.done
            self.assertEqual(b"".join(out), b"hello\n24 80\n")
            self.assertEqual((done.reason, done.exit_code), (tpb.DONE_REASON_EXITED, 4))
            await c.resize(s.session_id, 30, 90)
            sessions = await c.list_sessions()
            mine = [x for x in sessions if x.session_id == s.session_id][0]
            self.assertEqual((mine.rows, mine.cols, mine.state), (30, 90,
                                                                   tpb.SESSION_STATE_IDLE))
            # Attach replays from an offset: the whole stream so far, and the completion
            got = []
            async for ev in c.attach(s.session_id, 0):
                if ev.WhichOneof("event") == "done":
                    break
                got.append(ev.output.data)
            self.assertEqual(b"".join(got), b"hello\r\n24 80\r\n")
            # Signal the foreground command, once its first output says it runs: the process that
            # prints "started" becomes the sleep, so it is in the foreground when the line comes
            # (with `echo started; sleep 30` the signal could reach the shell before the sleep)
            events = c.run(s.session_id, "sh -c 'echo started; exec sleep 30'").__aiter__()
            self.assertEqual((await events.__anext__()).output.data, b"started\r\n")
            await c.signal(s.session_id, 2)
            ev = await events.__anext__()
            while ev.WhichOneof("event") != "done":  # the terminal may echo the interrupt
                ev = await events.__anext__()
            self.assertEqual((ev.done.reason, ev.done.exit_code), (tpb.DONE_REASON_EXITED, 130))
            # A generous grace: the close returns as soon as the shell is gone, and a loaded
            # machine once took bash over 100 ms to exit on SIGHUP (it was then SIGKILLed, 9).
            closed = await c.close_session(s.session_id, grace_ms=5000)
            self.assertEqual(closed.signal, 1)  # SIGHUP ended the shell
            with self.assertRaises(FileNotFoundError):
                await c.write_input(s.session_id, "x")
            r = await c.exec(["sh", "-c", "cat; echo err >&2; exit 3"], stdin=b"in")
            self.assertEqual((r.stdout_data, r.stderr_data, r.exit_code), (b"in", b"err\n", 3))
        self.run_async(t)

    def test_per_method_deadlines(self):
        async def t(c):
            # Exec's deadline is its own timeout plus 30 s: a 1 s command with a 0.3 s call
            # timeout is cut by the caller's deadline, and the call says so.
            with self.assertRaises(TimeoutError):
                await c.exec(["sleep", "2"], timeout=0.3)
            r = await c.exec(["sleep", "0.2"], timeout_ms=5000)
            self.assertEqual(r.exit_code, 0)
        self.run_async(t)

    def test_plaintext_loopback_tcp(self):
        self.assertEqual(self.run_async(lambda c: c.stat("."), target=self.daemon.tcp,
                                        insecure=True).name, ".")


if __name__ == "__main__":
    unittest.main()
