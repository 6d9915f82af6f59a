"""Two a0ipcd behind nginx (grpc_pass, TLS on both legs, loopback), with
packaging/nginx/a0ipcd-grpc.conf itself (only addresses and paths substituted): health through
nginx, session affinity by the x-a0ipc-session metadata (the CLI's --routing-key), and a stopped
daemon's calls going to the other. nginx is $NGINX (ctest passes the one scripts/bootstrap takes
out of Debian's nginx package), else the one on PATH or in /usr/sbin; skipped, saying so,
without one. Run by ctest with A0IPCD and A0IPC_CLI."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

A0IPCD = os.environ["A0IPCD"]
CLI = os.environ["A0IPC_CLI"]
NGINX = os.environ.get("NGINX") or shutil.which("nginx") or (
    "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packaging",
                       "nginx", "a0ipcd-grpc.conf")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(NGINX, "nginx is not installed (scripts/bootstrap installs it): skipped")
class BehindNginx(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-nginx-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("A0IPC_")}
        self.env["HOME"] = "/nonexistent"
        self.tls = os.path.join(self.dir, "tls")
        r = subprocess.run([CLI, "certs", "init", self.tls], capture_output=True, env=self.env,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.daemons = [self.start_daemon(i) for i in (0, 1)]
        self.port = free_port()
        self.start_nginx()

    def start_daemon(self, i):
        d = os.path.join(self.dir, "d%d" % i)
        os.mkdir(d)
        ready = os.path.join(d, "ready")
        log = open(os.path.join(d, "log"), "w+")
        self.addCleanup(log.close)
        p = subprocess.Popen(
            [A0IPCD, "--listen", "unix:" + os.path.join(d, "s.sock"), "--listen", "127.0.0.1:0",
             "--root", d, "--ready-file", ready, "--session-cgroup", "off",
             "--tls-cert", os.path.join(self.tls, "server.pem"), "--tls-key",
             os.path.join(self.tls, "server.key"), "--tls-ca", os.path.join(self.tls, "ca.pem"),
             "--tls-client-cert", "required"], stderr=log)
        self.addCleanup(self.stop, p)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            self.assertIsNone(p.poll(), "a0ipcd exited")
            self.assertLess(time.time(), deadline)
            time.sleep(0.02)
        with open(ready) as f:
            tcp = [l.strip() for l in f if l.startswith("127.0.0.1:")][0]
        return {"proc": p, "tcp": tcp, "unix": "unix:" + os.path.join(d, "s.sock")}

    @staticmethod
    def stop(p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=20)

    def start_nginx(self):
        with open(EXAMPLE) as f:
            conf = f.read()
        conf = conf.replace("127.0.0.1:50051", self.daemons[0]["tcp"])
        conf = conf.replace("127.0.0.1:50052", self.daemons[1]["tcp"])
        conf = conf.replace("127.0.0.1:8443", "127.0.0.1:%d" % self.port)
        conf = conf.replace("/etc/a0ipc/tls", self.tls)
        self.assertNotIn("/etc/a0ipc", conf)
        temp = os.path.join(self.dir, "nginx-temp")
        os.mkdir(temp)
        os.chmod(temp, 0o777)
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write("pid %s/nginx.pid;\nerror_log %s/nginx-error.log info;\nevents {}\nhttp {\n"
                    "access_log off;\n" % (self.dir, self.dir))
            for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
                f.write("%s_temp_path %s/%s;\n" % (t, temp, t))
            f.write(conf + "\n}\n")
        self.nginx = subprocess.Popen([NGINX, "-p", self.dir, "-c", path, "-g", "daemon off;"],
                                      stderr=subprocess.PIPE)
        self.addCleanup(self.stop_nginx)
        deadline = time.time() + 10
        while True:
            self.assertIsNone(self.nginx.poll(), self.nginx.stderr.read() if
                              self.nginx.poll() is not None else "")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                self.assertLess(time.time(), deadline, "nginx does not listen")
                time.sleep(0.05)

    def stop_nginx(self):
        if self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        self.nginx.stderr.close()

    def cli(self, *args, target=None, key=None, expect=0):
        conn = ["--target", target or "127.0.0.1:%d" % self.port, "--ca",
                os.path.join(self.tls, "ca.pem")]
        if target and target.startswith("unix:"):
            conn = ["--target", target]
        if key:
            conn += ["--routing-key", key]
        r = subprocess.run([CLI, *conn, *args], capture_output=True, env=self.env, timeout=60)
        self.assertEqual(r.returncode, expect, "a0ipc %s: %r %r" % (args, r.stdout, r.stderr))
        return r

    def test_health_through_nginx(self):
        self.assertEqual(self.cli("health").stdout, b"SERVING\n")
        self.assertEqual(self.cli("health", "--service", "a0.runtime.v1.Terminal").stdout,
                         b"SERVING\n")

    def test_session_affinity_by_routing_key(self):
        where = {}
        for i in range(16):
            key = "agent-%d" % i
            # a session left running (run's wait ends at its timeout, exit 124)
            r = self.cli("run", "--max-time-ms", "300", "sleep 30", key=key, expect=124)
            session = re.search(rb"in session ([0-9a-f]{32})", r.stderr).group(1).decode()
            # every later call with the same key finds it, from other processes too
            for _ in range(3):
                self.assertIn(session.encode(), self.cli("sessions", key=key).stdout)
            held = [session.encode() in self.cli("sessions", target=d["unix"]).stdout
                    for d in self.daemons]
            self.assertEqual(held.count(True), 1, "session %s on %s" % (session, held))
            where[key] = held.index(True)
            self.cli("close", session, key=key)
        self.assertEqual(set(where.values()), {0, 1}, "all 16 keys on one daemon: %s" % where)

    def test_a_stopped_daemon_is_skipped(self):
        self.stop(self.daemons[1]["proc"])
        for i in range(8):  # keys that hashed to the stopped daemon go to the other one
            self.assertEqual(self.cli("health", key="agent-%d" % i).stdout, b"SERVING\n")


if __name__ == "__main__":
    unittest.main()
