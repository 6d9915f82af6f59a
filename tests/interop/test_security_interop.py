"""Python grpcio (what Agent Zero's side uses) against a0ipcd with TLS and bearer tokens, with
material made by the a0ipc CLI (certs init, token add): standard grpcio credentials work, a
missing, wrong or under-privileged token is refused with the right code, an untrusted CA cannot
connect, and the CLI's own --ca/--token-file path works. Run by ctest with A0IPCD, A0IPC_CLI and
A0IPC_PYTHON_GEN."""
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

import grpc  # noqa: E402
from a0ipc._gen.a0ipc_std.grpc.health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

CLI = os.environ["A0IPC_CLI"]
SERVING = health_pb2.HealthCheckResponse.SERVING


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=30)


class SecureDaemon(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="a0ipc-pysec-")
        d = cls.dir
        for sub in ("tls", "other"):
            out = run("certs", "init", os.path.join(d, sub))
            assert out.returncode == 0, out.stderr
        cls.tokens = os.path.join(d, "tokens")
        for name, perm in (("py", "*"), ("ro", "method:/grpc.health.v1.Health/Check")):
            out = run("token", "add", name, "--allow", perm, "--tokens-file", cls.tokens,
                      "--token-out", os.path.join(d, name + ".token"))
            assert out.returncode == 0, out.stderr
            assert out.stdout == "", "with --token-out the token must not be printed"
        with open(os.path.join(d, "py.token")) as f:
            cls.token = f.read().strip()
        with open(os.path.join(d, "ro.token")) as f:
            cls.ro_token = f.read().strip()
        with open(os.path.join(d, "tls", "ca.pem"), "rb") as f:
            cls.ca = f.read()
        with open(os.path.join(d, "other", "ca.pem"), "rb") as f:
            cls.other_ca = f.read()
        cls.unix = "unix:%s/a0ipcd.sock" % d
        ready = os.path.join(d, "ready")
        cls.log_path = os.path.join(d, "a0ipcd.log")
        cls.log = open(cls.log_path, "w+")
        cls.proc = spawn(
            [os.environ["A0IPCD"], "--listen", cls.unix, "--listen", "127.0.0.1:0",
             "--ready-file", ready, "--tls-cert", os.path.join(d, "tls", "server.pem"),
             "--tls-key", os.path.join(d, "tls", "server.key"), "--tokens-file", cls.tokens,
             "--health-exempt", "false"], stderr=cls.log)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if cls.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("a0ipcd did not start; see " + cls.log_path)
            time.sleep(0.01)
        with open(ready) as f:
            cls.tcp = [l.strip() for l in f if l.startswith("127.0.0.1:")][0]

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.wait(timeout=15)
        cls.log.close()
        shutil.rmtree(cls.dir)

    def check(self, channel, **kw):
        return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                         timeout=5, **kw)

    def code_of(self, channel, **kw):
        with self.assertRaises(grpc.RpcError) as e:
            self.check(channel, **kw)
        return e.exception.code()

    def test_tls_with_token_metadata(self):
        with grpc.secure_channel(self.tcp, grpc.ssl_channel_credentials(self.ca)) as ch:
            auth = (("authorization", "Bearer " + self.token),)
            self.assertEqual(self.check(ch, metadata=auth).status, SERVING)
            self.assertEqual(self.code_of(ch), grpc.StatusCode.UNAUTHENTICATED)
            bad = (("authorization", "Bearer a0ipc_not-a-real-token"),)
            self.assertEqual(self.code_of(ch, metadata=bad), grpc.StatusCode.UNAUTHENTICATED)

    def test_tls_with_grpcio_access_token_credentials(self):
        # grpcio's standard way to send a bearer token.
        creds = grpc.composite_channel_credentials(
            grpc.ssl_channel_credentials(self.ca), grpc.access_token_call_credentials(self.token))
        with grpc.secure_channel(self.tcp, creds) as ch:
            self.assertEqual(self.check(ch).status, SERVING)

    def test_permission_denied_per_method(self):
        auth = (("authorization", "Bearer " + self.ro_token),)
        with grpc.secure_channel(self.tcp, grpc.ssl_channel_credentials(self.ca)) as ch:
            self.assertEqual(self.check(ch, metadata=auth).status, SERVING)
            stream = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(),
                                                          timeout=5, metadata=auth)
            with self.assertRaises(grpc.RpcError) as e:
                next(stream)
            self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
            self.assertIn("token ro may not call", e.exception.details())

    def test_untrusted_ca_cannot_connect(self):
        with grpc.secure_channel(self.tcp, grpc.ssl_channel_credentials(self.other_ca)) as ch:
            auth = (("authorization", "Bearer " + self.token),)
            self.assertEqual(self.code_of(ch, metadata=auth), grpc.StatusCode.UNAVAILABLE)

    def test_unix_socket_with_token(self):
        with grpc.insecure_channel(self.unix) as ch:
            auth = (("authorization", "Bearer " + self.token),)
            self.assertEqual(self.check(ch, metadata=auth).status, SERVING)
            self.assertEqual(self.code_of(ch), grpc.StatusCode.UNAUTHENTICATED)

    def test_cli(self):
        ca = os.path.join(self.dir, "tls", "ca.pem")
        token = os.path.join(self.dir, "py.token")
        out = run("health", "--target", self.tcp, "--ca", ca, "--token-file", token)
        self.assertEqual((out.returncode, out.stdout.strip()), (0, "SERVING"), out.stderr)
        out = run("health", "--target", self.tcp, "--ca", ca)
        self.assertEqual(out.returncode, 3)
        self.assertIn("UNAUTHENTICATED", out.stderr)
        self.assertIn("--token-file", out.stderr)
        out = run("health", "--target", self.tcp, "--ca", ca, "--token-file", token,
                  "--server-name", "wrong.example")
        self.assertEqual(out.returncode, 3)
        self.assertIn("wrong.example", out.stderr)
        out = run("health", "--target", self.unix, "--token-file", token)
        self.assertEqual((out.returncode, out.stdout.strip()), (0, "SERVING"), out.stderr)

    def test_token_list_shows_no_secret(self):
        out = run("token", "list", "--tokens-file", self.tokens)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split("\n")[:2],
                         ["py *", "ro method:/grpc.health.v1.Health/Check"])
        self.assertNotIn(self.token, out.stdout)
        with open(self.tokens) as f:
            self.assertNotIn(self.token, f.read())

    def test_zz_no_token_in_log(self):
        with open(self.log_path) as f:
            log = f.read()
        self.assertIn("identity=token:py", log)
        self.assertNotIn(self.token, log)
        self.assertNotIn(self.ro_token, log)


if __name__ == "__main__":
    unittest.main()
