"""The a0ipc command-line tool against a real a0ipcd: every file and terminal command, exit
codes, --json, and the interactive shell driven through tmux (type, detach, reattach, see all
output). Run by ctest with A0IPCD and A0IPC_CLI."""
import base64
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from harness_env import spawn, strip_caller_env  # noqa: E402

strip_caller_env()  # the product under test sees only what these tests set

A0IPCD = os.environ["A0IPCD"]
CLI = os.environ["A0IPC_CLI"]


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-cli-")
        self.root = os.path.join(self.dir, "root")
        os.mkdir(self.root)
        self.sock = os.path.join(self.dir, "a0ipcd.sock")
        ready = os.path.join(self.dir, "ready")
        self.log = open(os.path.join(self.dir, "a0ipcd.log"), "w+")
        self.daemon = spawn(
            [A0IPCD, "--listen", "unix:" + self.sock, "--root", self.root, "--ready-file", ready,
             "--session-cgroup", "off", "--log-calls", "false"], stderr=self.log)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            self.assertIsNone(self.daemon.poll(), "a0ipcd exited")
            self.assertLess(time.time(), deadline, "a0ipcd did not start")
            time.sleep(0.01)
        self.env = dict(os.environ, A0IPC_TARGET="unix:" + self.sock)
        self.env.pop("A0IPC_CONFIG", None)
        self.env.pop("A0IPC_TOKEN_FILE", None)
        self.tmux_servers = 0
        self.tmux_socket = None

    def tearDown(self):
        if self.tmux_socket:
            self.tmux_kill_server()
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=20), 0)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args, stdin=None, expect=0):
        r = subprocess.run([CLI, *args], capture_output=True, env=self.env, input=stdin,
                           timeout=60, cwd=self.dir)
        self.assertEqual(r.returncode, expect,
                         "a0ipc %s: stdout %r stderr %r" % (" ".join(args), r.stdout, r.stderr))
        return r

    def test_file_commands(self):
        local = os.path.join(self.dir, "up.bin")
        data = os.urandom(3 * 1024 * 1024 + 17)  # several chunks
        with open(local, "wb") as f:
            f.write(data)
        r = self.cli("put", local, "a/b/up.bin", "--parents", "--json")
        put = json.loads(r.stdout)  # the WriteResponse in the proto's canonical JSON
        self.assertEqual(put["bytesWritten"], str(len(data)))
        self.assertEqual(base64.b64decode(put["sha256"]), hashlib.sha256(data).digest())
        self.assertEqual(open(os.path.join(self.root, "a/b/up.bin"), "rb").read(), data)
        # --no-overwrite refuses, and changes nothing
        r = self.cli("put", "-", "a/b/up.bin", "--no-overwrite", stdin=b"other", expect=3)
        self.assertIn(b"ALREADY_EXISTS", r.stderr)
        self.cli("get", "a/b/up.bin", "down.bin")
        self.assertEqual(open(os.path.join(self.dir, "down.bin"), "rb").read(), data)
        self.assertEqual(self.cli("get", "a/b/up.bin", "-").stdout, data)
        st = json.loads(self.cli("stat", "a/b/up.bin", "--json").stdout)["info"]
        self.assertEqual((st["type"], st["size"]), ("FILE_TYPE_FILE", str(len(data))))
        self.cli("mkdir", "c/d", "--parents")
        self.cli("mv", "a/b/up.bin", "c/d/moved.bin")
        names = [e["path"] for e in
                 json.loads(self.cli("ls", "c", "--depth", "2", "--json").stdout)["entries"]]
        self.assertEqual(names, ["c/d", "c/d/moved.bin"])
        self.cli("archive", "c", "c.zip")
        with zipfile.ZipFile(os.path.join(self.dir, "c.zip")) as z:
            self.assertIn("d/moved.bin", z.namelist())
            self.assertEqual(z.read("d/moved.bin"), data)
        self.cli("rm", "c", "--recursive")
        self.assertFalse(os.path.exists(os.path.join(self.root, "c")))
        # errors: the status by name, a hint, exit 3; nothing outside the root is touched
        r = self.cli("stat", "nope", expect=3)
        self.assertIn(b"NOT_FOUND", r.stderr)
        r = self.cli("get", "../../etc/passwd", "x", expect=3)
        self.assertIn(b"PERMISSION_DENIED", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x")))
        self.cli("rm", "nope", "--force")
        self.cli("stat", expect=2)  # usage
        r = self.cli("stat", "x", "--target", "unix:" + self.dir + "/absent.sock", expect=3)
        self.assertIn(b"UNAVAILABLE", r.stderr)
        self.assertIn(b"is a0ipcd running", r.stderr)

    def test_config_file_and_environment(self):
        conf = os.path.join(self.dir, "client.conf")
        with open(conf, "w") as f:
            f.write("# a0ipc client settings\ntarget = unix:%s\ntimeout = 9\n" % self.sock)
        env = dict(os.environ, A0IPC_CONFIG=conf)
        env.pop("A0IPC_TARGET", None)
        r = subprocess.run([CLI, "health"], capture_output=True, env=env, timeout=30)
        self.assertEqual((r.returncode, r.stdout), (0, b"SERVING\n"), r.stderr)
        # the environment wins over the file, the command line over both
        env["A0IPC_TARGET"] = "unix:" + self.dir + "/absent.sock"
        r = subprocess.run([CLI, "health"], capture_output=True, env=env, timeout=30)
        self.assertEqual(r.returncode, 3)
        r = subprocess.run([CLI, "health", "--target", "unix:" + self.sock], capture_output=True,
                           env=env, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(conf, "a") as f:
            f.write("colour = blue\n")
        r = subprocess.run([CLI, "health", "--target", "unix:" + self.sock], capture_output=True,
                           env=env, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"client.conf:4: not a setting", r.stderr)

    def test_health_watch_is_the_health_stream(self):
        # --watch follows grpc.health.v1's Watch: the status at once, SERVICE_UNKNOWN for a
        # service the daemon does not know, the stream held open until the daemon goes away.
        watches = [subprocess.Popen([CLI, "health", "--watch", *extra], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=self.env)
                   for extra in ((), ("--service", "a0.runtime.v1.Nope", "--json"))]
        for w in watches:
            self.addCleanup(w.kill)
        self.assertEqual(watches[0].stdout.readline(), b"SERVING\n")
        self.assertEqual(json.loads(watches[1].stdout.readline()), {"status": "SERVICE_UNKNOWN"})
        time.sleep(1.5)
        self.assertEqual([w.poll() for w in watches], [None, None])  # still watching
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=20), 0)
        for w in watches:
            w.wait(timeout=20)
            rest = w.stdout.read()
            self.assertIn(w.returncode, (1, 3), rest)  # the stream ended: not serving any more

    def test_watch(self):
        w = subprocess.Popen([CLI, "watch", ".", "--json", "--timeout", "8"],
                             stdout=subprocess.PIPE, env=self.env)
        first = json.loads(w.stdout.readline())["events"][0]
        self.assertEqual(first["type"], "WATCH_EVENT_TYPE_READY")
        with open(os.path.join(self.root, "new.txt"), "w") as f:
            f.write("x")
        seen = json.loads(w.stdout.readline())["events"][0]
        self.assertEqual((seen["type"], seen["path"]), ("WATCH_EVENT_TYPE_CREATE", "new.txt"))
        w.terminate()
        w.wait(timeout=10)
        w.stdout.close()

    def test_terminal_commands(self):
        r = self.cli("exec", "--", "sh", "-c", "echo out; echo err >&2; exit 7", expect=7)
        self.assertEqual((r.stdout, r.stderr), (b"out\n", b"err\n"))
        self.cli("exec", "--", "sh", "-c", "kill -TERM $$", expect=128 + 15)
        r = self.cli("run", "echo hello-$((6*7)); (exit 4)", expect=4)
        self.assertIn(b"hello-42", r.stdout)
        r = self.cli("run", "--clean", "printf '\\033[31mred\\033[0m\\n'")
        self.assertEqual(r.stdout.strip(), b"red")
        self.assertEqual(self.cli("sessions").stdout, b"")  # run closed its own session

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.tmux_socket, *args], capture_output=True,
                              text=True, env=self.env, timeout=30)

    def tmux_new_server(self, *command):
        """A tmux server of our own on a socket path never used before, with one session "t"
        running command. A fresh path each time: tmux 3.3a's kill-server returns before the old
        server is gone, and a new-session on the same socket then fails ("server exited
        unexpectedly")."""
        self.tmux_servers += 1
        self.tmux_socket = os.path.join(self.dir, "tmux-%d.sock" % self.tmux_servers)
        r = self.tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", *command)
        self.assertEqual(r.returncode, 0, "tmux new-session: %s" % r.stderr)
        self.tmux("set-option", "-t", "t", "remain-on-exit", "on")  # to read its last words

    def tmux_kill_server(self):
        """Kills the current tmux server and waits (10 s at most) until its process is gone."""
        r = self.tmux("display-message", "-p", "#{pid}")
        self.tmux("kill-server")
        if r.returncode != 0 or not r.stdout.strip().isdigit():
            return  # no server ran on this socket
        pid, deadline = int(r.stdout.strip()), time.time() + 10
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            self.assertLess(time.time(), deadline, "tmux server %d did not exit" % pid)
            time.sleep(0.05)

    def wait_screen(self, text, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            screen = self.tmux("capture-pane", "-p", "-t", "t").stdout
            if text in screen:
                return screen
            time.sleep(0.1)
        self.fail("%r never appeared; screen:\n%s" % (text, screen))

    def test_shell_detach_and_reattach(self):
        self.assertTrue(shutil.which("tmux"), "tmux is missing: scripts/bootstrap installs it")
        self.tmux_new_server(CLI, "shell")
        screen = self.wait_screen("Ctrl-] detaches")
        session = screen.split("session ")[1].split(";")[0].strip()
        self.tmux("send-keys", "-t", "t", "echo typed-$((40+2))", "Enter")
        self.wait_screen("typed-42")
        # Start output that goes on while nobody is attached, then detach at once.
        self.tmux("send-keys", "-t", "t",
                  "for i in 1 2 3; do sleep 0.5; echo tick-$i; done; echo done-ticking", "Enter")
        self.tmux("send-keys", "-t", "t", "C-]")
        screen = self.wait_screen("detached")
        resume = screen.split("--from-seq ")[1].split()[0]
        time.sleep(2.5)  # the loop finishes while detached
        sessions = self.cli("sessions").stdout.decode()
        self.assertIn(session, sessions)
        self.tmux_kill_server()
        # Reattach from where we left: everything printed meanwhile arrives.
        self.tmux_new_server(CLI, "shell", "--session", session, "--from-seq", resume)
        screen = self.wait_screen("done-ticking")
        for i in (1, 2, 3):
            self.assertIn("tick-%d" % i, screen)
        self.tmux("send-keys", "-t", "t", "exit", "Enter")
        self.wait_screen("session ended")


if __name__ == "__main__":
    unittest.main()
