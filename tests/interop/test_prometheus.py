"""a0ipcd's /metrics as Prometheus expects it: the process and build metrics every exporter has,
gauges for sessions and calls in flight, latency buckets up to long calls, series at 0 before the
first call; promtool accepts the live scrape and packaging/prometheus/a0ipcd.rules.yml, and the
rules and the Grafana dashboard name only metrics the daemon serves. promtool is $PROMTOOL (ctest
passes the one scripts/bootstrap takes out of Debian's prometheus package), else the one on
PATH; without one the promtool checks are skipped, saying so. Run by ctest with A0IPCD and
A0IPC_CLI."""
import base64
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

A0IPCD = os.environ["A0IPCD"]
CLI = os.environ["A0IPC_CLI"]
PACKAGING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packaging",
                         "prometheus")
RULES = os.path.join(PACKAGING, "a0ipcd.rules.yml")
DASHBOARD = os.path.join(PACKAGING, "a0ipcd.dashboard.json")
PROMTOOL = os.environ.get("PROMTOOL") or shutil.which("promtool")
NO_PROMTOOL = "promtool is not installed (scripts/bootstrap installs it): promtool checks skipped"


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="a0ipc-prom-")
        root = os.path.join(cls.dir, "root")
        os.mkdir(root)
        sock = os.path.join(cls.dir, "a0ipcd.sock")
        ready = os.path.join(cls.dir, "ready")
        cls.log = open(os.path.join(cls.dir, "a0ipcd.log"), "w+")
        cls.proc = subprocess.Popen(
            [A0IPCD, "--listen", "unix:" + sock, "--root", root, "--ready-file", ready,
             "--session-cgroup", "off", "--log-calls", "false", "--metrics-listen",
             "127.0.0.1:0", "--listen", "127.0.0.1:0", "--insecure"], stderr=cls.log)
        deadline = time.time() + 10
        while not os.path.exists(ready) or "metrics" not in open(ready).read():
            if cls.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("a0ipcd did not start")
            time.sleep(0.02)
        lines = open(ready).read().split("\n")
        cls.url = [l.split()[1] for l in lines if l.startswith("metrics ")][0]
        cls.tcp = [l for l in lines if l.startswith("127.0.0.1:")][0]
        env = {k: v for k, v in os.environ.items() if not k.startswith("A0IPC_")}
        env.update(HOME="/nonexistent", A0IPC_TARGET="unix:" + sock)
        cls.env = env
        for args in (["health"], ["ls"], ["stat", "nope"], ["run", "echo hi"]):
            subprocess.run([CLI, *args], env=env, capture_output=True, timeout=60)
        cls.text = cls.scrape()

    @classmethod
    def scrape(cls):
        with urllib.request.urlopen(cls.url, timeout=10) as r:
            return r.read().decode()

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.wait(timeout=20)
        cls.log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def value(self, series, text=None):
        text = text or self.text
        m = re.search("^" + re.escape(series) + r" (\S+)$", text, re.M)
        self.assertIsNotNone(m, "%s not in the scrape:\n%s" % (series, text))
        return float(m.group(1))

    def wait_for(self, series, want):
        deadline = time.time() + 10
        while self.value(series, self.scrape()) != want:
            self.assertLess(time.time(), deadline, "%s never became %s" % (series, want))
            time.sleep(0.05)

    def test_connections_and_calls_in_flight(self):
        # a watch over TCP: one connection, one call in flight, until it ends
        w = subprocess.Popen([CLI, "watch", ".", "--target", self.tcp], env=self.env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            self.assertIn(b"READY", w.stdout.readline())
            self.wait_for("a0ipcd_tcp_connections", 1)
            self.wait_for("a0ipcd_active_calls", 1)
        finally:
            w.terminate()
            w.wait(timeout=10)
            w.stdout.close()
        self.wait_for("a0ipcd_tcp_connections", 0)
        self.wait_for("a0ipcd_active_calls", 0)

    def families(self):
        return set(re.findall(r"^# TYPE (\S+) ", self.text, re.M))

    def test_build_and_process_metrics(self):
        version = subprocess.run([A0IPCD, "--version"], capture_output=True, text=True).stdout
        self.assertEqual(self.value('a0ipcd_build_info{version="%s"}' % version.split()[-1]), 1)
        self.assertGreater(self.value("process_cpu_seconds_total"), 0)
        self.assertGreater(self.value("process_resident_memory_bytes"), 1 << 20)
        self.assertGreaterEqual(self.value("process_virtual_memory_bytes"),
                                self.value("process_resident_memory_bytes"))
        self.assertGreater(self.value("process_open_fds"), 3)
        self.assertGreaterEqual(self.value("process_max_fds"), self.value("process_open_fds"))
        started = self.value("process_start_time_seconds")
        self.assertLess(abs(started - time.time()), 120)  # it started a moment ago

    def test_gauges_buckets_and_zero_series(self):
        self.assertEqual(self.value("a0ipcd_sessions"), 0)  # run closed its own session
        self.assertGreaterEqual(self.value("a0ipcd_active_calls"), 0)
        # a long call has a bucket: up to 10 minutes
        self.value('a0ipcd_call_duration_seconds_bucket{method="/a0.runtime.v1.Terminal/Run",'
                   'le="600"}')
        # a method never called has its series already, at 0
        self.assertEqual(
            self.value('a0ipcd_calls_total{method="/a0.runtime.v1.Files/Move",code="OK"}'), 0)
        self.assertEqual(
            self.value('a0ipcd_calls_total{method="/a0.runtime.v1.Files/Stat",code="NOT_FOUND"}'),
            1)

    def test_rules_and_dashboard_name_served_metrics(self):
        served = self.families() | {"up"}
        exprs = [t["expr"] for p in json.load(open(DASHBOARD))["panels"] for t in p["targets"]]
        exprs += re.findall(r"expr: (.*(?:\n {10,}.*)*)", open(RULES).read())
        self.assertGreater(len(exprs), 10)
        for e in exprs:
            for name in re.findall(r"\b((?:a0ipcd|process)_[a-z_]+|up)\b(?=[{\[ )]|$)", e):
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                self.assertIn(base, served, "%r names %s, which /metrics does not serve" %
                              (e, name))

    @unittest.skipUnless(PROMTOOL, NO_PROMTOOL)
    def test_promtool_check_metrics(self):
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=self.text, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))

    @unittest.skipUnless(PROMTOOL, NO_PROMTOOL)
    def test_promtool_check_rules(self):
        r = subprocess.run([PROMTOOL, "check", "rules", RULES], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS", r.stdout)
        # and they fire when they should (packaging/prometheus/a0ipcd.rules.test.yml)
        r = subprocess.run([PROMTOOL, "test", "rules", "a0ipcd.rules.test.yml"],
                           capture_output=True, text=True, timeout=60, cwd=PACKAGING)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


# bcrypt (cost 4, quick to check) of "s3cret-pw", as `htpasswd -nbBC 4 prometheus s3cret-pw` prints
HASH = "$2b$04$YQLF7/mPnRarA.dcq0YRFepvEyuQKwr5gOh8unDKaoKj1LYmDWBHu"


class RemoteScrape(unittest.TestCase):
    """metrics-web-config: TLS and basic auth, and then any listen address."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-promweb-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.tls = os.path.join(self.dir, "tls")
        env = {k: v for k, v in os.environ.items() if not k.startswith("A0IPC_")}
        r = subprocess.run([CLI, "certs", "init", self.tls], capture_output=True, env=env,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)

    def web_config(self, tls=True, users=True):
        path = os.path.join(self.dir, "web.yml")
        with open(path, "w") as f:
            f.write("# as for any Prometheus exporter\n")
            if tls:
                f.write("tls_server_config:\n  cert_file: %s\n  key_file: %s\n" %
                        (os.path.join(self.tls, "server.pem"), os.path.join(self.tls, "server.key")))
            if users:
                f.write("basic_auth_users:\n  prometheus: '%s'\n" % HASH)
        return path

    def daemon(self, web, listen="0.0.0.0:0"):
        ready = os.path.join(self.dir, "ready")
        log = open(os.path.join(self.dir, "a0ipcd.log"), "w+")
        self.addCleanup(log.close)
        p = subprocess.Popen(
            [A0IPCD, "--listen", "unix:" + os.path.join(self.dir, "s.sock"), "--ready-file",
             ready, "--session-cgroup", "off", "--metrics-listen", listen,
             "--metrics-web-config", web], stderr=log)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if p.poll() is not None:
                log.seek(0)
                return p, None, log.read()
            self.assertLess(time.time(), deadline)
            time.sleep(0.02)

        def stop():
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=20), 0)
        self.addCleanup(stop)
        url = [l.split()[1] for l in open(ready) if l.startswith("metrics ")][0]
        return p, url, None

    def get(self, url, user=None, password=None):
        ctx = ssl.create_default_context(cafile=os.path.join(self.tls, "ca.pem"))
        req = urllib.request.Request(url)
        if user:
            req.add_header("Authorization", "Basic " + base64.b64encode(
                ("%s:%s" % (user, password)).encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
                return r.status, r.read().decode(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers

    def test_tls_and_basic_auth_on_any_address(self):
        _, url, err = self.daemon(self.web_config())
        self.assertIsNone(err)
        self.assertTrue(url.startswith("https://127.0.0.1:"), url)
        status, _, headers = self.get(url)
        self.assertEqual(status, 401)
        self.assertIn("Basic", headers["WWW-Authenticate"])
        self.assertEqual(self.get(url, "prometheus", "wrong")[0], 401)
        self.assertEqual(self.get(url, "someone", "s3cret-pw")[0], 401)
        status, body, _ = self.get(url, "prometheus", "s3cret-pw")
        self.assertEqual(status, 200)
        self.assertIn("a0ipcd_build_info{", body)
        # plain HTTP on the TLS port gets nothing
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                got = s.recv(65536)
            except ConnectionResetError:
                got = b""
            self.assertNotIn(b"a0ipcd_", got)

    def test_without_tls_or_users_loopback_only(self):
        for tls, users in ((False, True), (True, False)):
            p, _, err = self.daemon(self.web_config(tls, users))
            self.assertEqual(p.wait(timeout=10), 1)
            self.assertIn("not a loopback address", err)
        # on loopback basic auth alone is fine (no secret leaves the host)
        _, url, err = self.daemon(self.web_config(tls=False), listen="127.0.0.1:0")
        self.assertIsNone(err)
        self.assertTrue(url.startswith("http://"), url)
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url, timeout=10)
        self.assertEqual(e.exception.code, 401)

    def test_bad_web_config_is_refused(self):
        path = os.path.join(self.dir, "bad.yml")
        with open(path, "w") as f:
            f.write("basic_auth_users:\n  prometheus: plaintext-password\n")
        p, _, err = self.daemon(path, listen="127.0.0.1:0")
        self.assertEqual(p.wait(timeout=10), 1)
        self.assertIn("bad.yml:2", err)
        # one user more than a0ipcd keeps: said as such, not as a syntax error
        with open(path, "w") as f:
            f.write("basic_auth_users:\n" + "".join("  u%d: '%s'\n" % (i, HASH) for i in range(17)))
        p, _, err = self.daemon(path, listen="127.0.0.1:0")
        self.assertEqual(p.wait(timeout=10), 1)
        self.assertIn("bad.yml:18: more than 16 basic_auth_users", err)

    @unittest.skipUnless(PROMTOOL, NO_PROMTOOL)
    def test_promtool_accepts_the_web_config(self):
        r = subprocess.run([PROMTOOL, "check", "web-config", self.web_config()],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
