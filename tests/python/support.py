"""What the Python package's tests share: paths from ctest's environment, the real a0ipcd
(started with a root for Files), the legacy reference server, the legacy fixture tree, and a
loopback TCP proxy that can drop every connection (to test reattaching).

ctest sets: A0IPCD, A0IPC_CLI, A0IPC_PYTHON_GEN (generated stubs), PYTHONPATH (python/),
A0IPC_FIXTURES (tests/fixtures: the legacy golden data), A0IPC_LEGACY_SERVER (the reference server),
A0IPC_C_REFERENCE (tests/python/c_reference.c built: the C library's bucket and service config).
"""
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from legacy_fixture import MTIME, build_fixture, reset_mtimes  # noqa: E402,F401
from harness_env import spawn, strip_caller_env  # noqa: E402

strip_caller_env()


def env_path(name, what):
    """A path ctest passes; a clear failure (never a skip) when it is missing."""
    p = os.environ.get(name)
    if not p:
        raise AssertionError("%s is not set: run this test through ctest (%s)" % (name, what))
    if not os.path.exists(p):
        raise AssertionError("%s: %s does not exist (%s)" % (name, p, what))
    return p


def legacy_fixture(name):
    """A file of the legacy golden data: <A0IPC_FIXTURES>/legacy/<name>, by default the
    repository's tests/fixtures/legacy."""
    d = os.path.join(os.environ.get("A0IPC_FIXTURES") or os.path.join(HERE, "..", "fixtures"),
                     "legacy")
    p = os.path.join(d, name)
    if not os.path.isfile(p):
        raise AssertionError("%s is missing: the legacy golden data must be at %s" % (name, d))
    return p


def transcripts():
    with open(legacy_fixture("files_transcripts.json"), encoding="utf-8") as f:
        return json.load(f)["steps"]


def wait_ready_file(proc, path, what, log_path, timeout=15):
    """The daemon's readiness protocol: it renames the file into place once serving (there is
    no stdlib event for a file appearing, so this polls; the process exiting ends the wait)."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None or time.monotonic() > deadline:
            with open(log_path, errors="replace") as f:
                raise RuntimeError("%s did not start:\n%s" % (what, f.read()[-3000:]))
        time.sleep(0.01)
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


class Daemon:
    """a0ipcd on a unix socket (and loopback TCP, plaintext unless tls given), serving root."""

    def __init__(self, root, tcp=True, args=()):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-pyd-")
        self.unix = "unix:%s/a0ipcd.sock" % self.dir
        ready = os.path.join(self.dir, "ready")
        self.log_path = os.path.join(self.dir, "a0ipcd.log")
        self.log = open(self.log_path, "w+")
        cmd = [env_path("A0IPCD", "the daemon"), "--listen", self.unix, "--ready-file", ready,
               "--root", root, "--log-calls", "false", "--shutdown-grace-ms", "1000"]
        if tcp:
            cmd += ["--listen", "127.0.0.1:0"]
            if "--tls-cert" not in args:
                cmd.append("--insecure")
        self.proc = spawn(cmd + list(args), stderr=self.log)
        lines = wait_ready_file(self.proc, ready, "a0ipcd", self.log_path)
        tcps = [line for line in lines if line.startswith("127.0.0.1:")]
        self.tcp = tcps[0] if tcps else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        code = self.proc.returncode
        shutil.rmtree(self.dir, ignore_errors=True)
        return code


class LegacyServer:
    """tests/legacy/reference_server.py (the legacy branch) on 127.0.0.1 with a password."""

    def __init__(self, password="s3cret-pw"):
        path = env_path("A0IPC_LEGACY_SERVER", "the legacy reference server, "
                        "tests/legacy/reference_server.py from the legacy branch")
        self.password = password
        self.dir = tempfile.mkdtemp(prefix="a0ipc-pyl-")
        self.log = open(os.path.join(self.dir, "server.log"), "w+")
        env = dict(os.environ, RFC_PASSWORD=password)
        self.proc = spawn([sys.executable, path, "--port", "0"], env=env,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()  # "port N", printed once it listens
        if not line.startswith("port "):
            self.proc.kill()
            raise RuntimeError("reference server did not start: %r" % line)
        self.port = int(line.split()[1])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class DropProxy:
    """A loopback TCP proxy to a unix socket whose connections can all be cut at once, the way
    a network failure cuts them. It keeps accepting new ones, unless refuse is set: then each
    new connection is cut at once (the network stays down)."""

    def __init__(self, unix_path):
        self.unix_path = unix_path
        self.conns = set()
        self.accepted = 0
        self.refuse = False

    async def start(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return "127.0.0.1:%d" % self.port

    async def _serve(self, creader, cwriter):
        if self.refuse:
            cwriter.transport.abort()
            return
        self.accepted += 1
        try:
            ureader, uwriter = await asyncio.open_unix_connection(self.unix_path)
        except OSError:
            cwriter.transport.abort()
            return
        pair = (cwriter, uwriter)
        self.conns.add(pair)

        async def pump(r, w):
            try:
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                w.transport.abort()
        await asyncio.gather(pump(creader, uwriter), pump(ureader, cwriter))
        self.conns.discard(pair)

    def drop_all(self):
        for c, u in list(self.conns):
            c.transport.abort()
            u.transport.abort()

    async def close(self):
        self.drop_all()
        self.server.close()
        await self.server.wait_closed()
