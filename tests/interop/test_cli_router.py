"""The CLI on the migration path: --backend legacy against the legacy reference server,
--backend router by flags file (grpc, shadow), the fallback to legacy when a0ipcd is down, and
the router's metrics printed by --router-metrics. Real a0ipcd, real reference server."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from harness_env import spawn, strip_caller_env  # noqa: E402

strip_caller_env()  # the product under test sees only what these tests set

A0IPCD = os.environ["A0IPCD"]
CLI = os.environ["A0IPC_CLI"]
REFERENCE_SERVER = os.environ["A0IPC_REFERENCE_SERVER"]
PASSWORD = "router-test"


def metric(text, name, **labels):
    """The value of one sample of the Prometheus text, or None."""
    want = ",".join('%s="%s"' % kv for kv in labels.items())
    m = re.search(r"^%s\{%s\} (\S+)$" % (re.escape(name), re.escape(want)), text, re.M)
    return float(m.group(1)) if m else None


class CliRouterTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-cli-router-")
        self.root = os.path.join(self.dir, "root")
        os.mkdir(self.root)
        with open(os.path.join(self.root, "a.txt"), "w") as f:
            f.write("hello\n")
        os.mkdir(os.path.join(self.root, "sub"))
        self.sock = os.path.join(self.dir, "a0ipcd.sock")
        ready = os.path.join(self.dir, "ready")
        self.daemon = spawn(
            [A0IPCD, "--listen", "unix:" + self.sock, "--root", self.root, "--ready-file", ready,
             "--terminal", "false", "--log-calls", "false"], stderr=subprocess.DEVNULL)
        self.server = spawn(
            ["/usr/bin/python3", "-B", REFERENCE_SERVER, "--port", "0"], stdout=subprocess.PIPE,
            env=dict(os.environ, RFC_PASSWORD=PASSWORD), text=True)
        port = int(self.server.stdout.readline().split()[1])
        deadline = time.time() + 10
        while not os.path.exists(ready):
            self.assertIsNone(self.daemon.poll(), "a0ipcd exited")
            self.assertLess(time.time(), deadline, "a0ipcd did not start")
            time.sleep(0.01)
        secret = os.path.join(self.dir, "rfc-password")
        with open(secret, "w") as f:
            f.write(PASSWORD + "\n")
        self.legacy_conf = os.path.join(self.dir, "legacy.conf")
        with open(self.legacy_conf, "w") as f:
            f.write("rfc-url = 127.0.0.1\nrfc-port = %d\nrfc-password-file = %s\nroot = %s\n"
                    % (port, secret, self.root))
        self.flags = os.path.join(self.dir, "router.flags")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("A0IPC_")}
        self.env["A0IPC_TARGET"] = "unix:" + self.sock

    def tearDown(self):
        if self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            self.daemon.wait(timeout=20)
        self.server.terminate()
        self.server.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args, expect=0):
        r = subprocess.run([CLI, *args, "--legacy-config", self.legacy_conf], capture_output=True,
                           env=self.env, text=True, timeout=60)
        self.assertEqual(r.returncode, expect,
                         "a0ipc %s: stdout %r stderr %r" % (" ".join(args), r.stdout, r.stderr))
        return r

    def set_flags(self, text):
        with open(self.flags, "w") as f:
            f.write(text)

    def test_legacy_backend(self):
        r = self.cli("ls", "--backend", "legacy", "--json", ".")
        self.assertIn('"path":"./a.txt"', r.stdout.replace(" ", ""))
        self.assertIn('"path":"./sub"', r.stdout.replace(" ", ""))
        self.assertEqual(self.cli("get", "--backend", "legacy", "a.txt", "-").stdout, "hello\n")
        r = self.cli("stat", "--backend", "legacy", "missing", expect=3)
        self.assertIn("NOT_FOUND", r.stderr)
        r = self.cli("watch", "--backend", "legacy", ".", expect=3)
        self.assertIn("UNIMPLEMENTED", r.stderr)

    def test_router_grpc_and_metrics(self):
        self.set_flags("mode = grpc\n")
        r = self.cli("ls", "--backend", "router", "--router-flags", self.flags,
                     "--router-metrics", ".")
        self.assertIn("a.txt", r.stdout)
        self.assertEqual(metric(r.stderr, "a0ipc_router_calls_total", backend="grpc",
                                method="list_dir", code="OK"), 1)
        self.assertIsNone(metric(r.stderr, "a0ipc_router_calls_total", backend="legacy",
                                 method="list_dir", code="OK"))

    def test_router_shadow_compares(self):
        self.set_flags("mode = shadow\n")
        r = self.cli("get", "--backend", "router", "--router-flags", self.flags,
                     "--router-metrics", "a.txt", "-")
        self.assertTrue(r.stdout.startswith("hello\n"))
        self.assertEqual(metric(r.stderr, "a0ipc_router_shadow_comparisons_total", method="read"),
                         1)
        # Only methods that counted are printed: none or 0 both mean no mismatch.
        self.assertFalse(metric(r.stderr, "a0ipc_router_shadow_mismatches_total", method="read"))

    def test_router_falls_back_when_a0ipcd_is_down(self):
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=20), 0)
        self.set_flags("mode = grpc\nfallback = true\n")
        r = self.cli("stat", "--backend", "router", "--router-flags", self.flags,
                     "--router-metrics", "a.txt")
        self.assertIn("a.txt", r.stdout)
        self.assertEqual(metric(r.stderr, "a0ipc_router_fallbacks_total", method="stat"), 1)
        self.assertEqual(metric(r.stderr, "a0ipc_router_calls_total", backend="legacy",
                                method="stat", code="OK"), 1)
        # The kill switch in the environment wins over the file.
        self.env["A0IPC_ROUTER_MODE"] = "legacy"
        r = self.cli("stat", "--backend", "router", "--router-flags", self.flags,
                     "--router-metrics", "a.txt")
        self.assertIsNone(metric(r.stderr, "a0ipc_router_fallbacks_total", method="stat"))


if __name__ == "__main__":
    unittest.main()
