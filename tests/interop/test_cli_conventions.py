"""a0ipc behaves as command-line tools do: global options before the command, -h/--help/help,
one-line usage errors, exit statuses as ssh (the remote's, 255 for a0ipc's own failures),
canonical proto JSON on --json, shell completion from the command table, progress only on a
terminal, and the TLS name of an address-list target. Each test starts its own a0ipcd in a
temporary directory; nothing of the caller's A0IPC_* environment is used. Run by ctest with
A0IPCD and A0IPC_CLI."""
import base64
import hashlib
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

A0IPCD = os.environ["A0IPCD"]
CLI = os.environ["A0IPC_CLI"]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("A0IPC_")}
    env["HOME"] = extra.pop("HOME", "/nonexistent")  # no ~/.config/a0ipc/client.conf
    env.update(extra)
    return env


class Daemon:
    """One a0ipcd on a unix socket (and TCP listeners when asked), stopped by stop()."""

    def __init__(self, dir, *args, name="a0ipcd"):
        self.root = os.path.join(dir, name + "-root")
        os.mkdir(self.root)
        self.sock = os.path.join(dir, name + ".sock")
        ready = os.path.join(dir, name + ".ready")
        self.log = open(os.path.join(dir, name + ".log"), "w+")
        self.proc = subprocess.Popen(
            [A0IPCD, "--listen", "unix:" + self.sock, "--root", self.root, "--ready-file", ready,
             "--session-cgroup", "off", "--log-calls", "false", *args], stderr=self.log)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.time() > deadline:
                self.log.seek(0)
                raise RuntimeError("a0ipcd did not start: " + self.log.read())
            time.sleep(0.01)
        time.sleep(0.05)  # the ready file is written whole; let the writer finish
        with open(ready) as f:
            self.tcp = [l.strip() for l in f if l.startswith("127.0.0.1:")]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=20)
        self.log.close()
        return code


class CliConventions(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-conv-")
        self.daemon = Daemon(self.dir)
        self.env = clean_env(A0IPC_TARGET="unix:" + self.daemon.sock)
        self.tmux_socket = "a0ipc-conv-%d" % os.getpid()

    def tearDown(self):
        if shutil.which("tmux"):
            subprocess.run(["tmux", "-L", self.tmux_socket, "kill-server"], capture_output=True)
        self.assertEqual(self.daemon.stop(), 0)
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args, expect=0, env=None, stdin=None):
        r = subprocess.run([CLI, *args], capture_output=True, env=env or self.env, timeout=60,
                           cwd=self.dir, input=stdin)
        self.assertEqual(r.returncode, expect,
                         "a0ipc %s: stdout %r stderr %r" % (" ".join(args), r.stdout, r.stderr))
        return r

    # ---- options, help, usage errors ----

    def test_global_options_before_the_command(self):
        env = clean_env()  # no A0IPC_TARGET: only the option says where
        target = "unix:" + self.daemon.sock
        self.assertEqual(self.cli("--target", target, "health", env=env).stdout, b"SERVING\n")
        self.assertEqual(self.cli("--target=" + target, "--json", "health", env=env).stdout,
                         b'{"status":"SERVING"}\n')
        self.cli("--target", target, "--timeout", "9", "ls", env=env)
        # the command line after the command still wins over the global options
        self.cli("--target", "unix:/nonexistent.sock", "health", "--target", target, env=env)

    def test_help(self):
        for args in (["-h"], ["--help"], ["help"]):
            out = self.cli(*args).stdout.decode()
            self.assertIn("Usage: a0ipc", out)
            for name in ("health", "ls", "put", "run", "shell", "token", "completion"):
                self.assertIn("\n  %s " % name, out)
        for args in (["help", "ls"], ["ls", "-h"], ["ls", "--help"]):
            out = self.cli(*args).stdout.decode()
            self.assertIn("a0ipc [OPTION]... ls", out)
            self.assertIn("--depth", out)
        self.assertIn("init DIR", self.cli("help", "certs").stdout.decode())
        self.assertIn("token add", self.cli("token", "-h").stdout.decode())

    def test_usage_errors_are_one_line(self):
        cases = [
            (["ls", "--foo"], "a0ipc: unknown option --foo for 'ls'; see 'a0ipc help ls'", 2),
            (["ls", "--foo=1"], "a0ipc: unknown option --foo for 'ls'; see 'a0ipc help ls'", 2),
            (["stat"], "a0ipc: missing PATH for 'stat'; see 'a0ipc help stat'", 2),
            (["stat", "a", "b"],
             "a0ipc: unexpected argument b for 'stat'; see 'a0ipc help stat'", 2),
            (["ls", "--depth"],
             "a0ipc: option --depth needs a value for 'ls'; see 'a0ipc help ls'", 2),
            (["--foo", "ls"], "a0ipc: unknown option --foo before the command; see 'a0ipc help'",
             2),
            (["nope"], "a0ipc: unknown command nope; see 'a0ipc help'", 2),
            ([], "a0ipc: a command is missing; see 'a0ipc help'", 2),
            (["ls", "--depth", "x"],
             "a0ipc: --depth takes a number >= 0, not \"x\" for 'ls'; see 'a0ipc help ls'", 2),
            (["help", "nope"], "a0ipc: unknown command nope; see 'a0ipc help'", 2),
            (["token", "--bad"],
             "a0ipc: unknown option --bad for 'token'; see 'a0ipc help token'", 2),
            (["router", "nope"],
             "a0ipc: unknown subcommand nope for 'router'; see 'a0ipc help router'", 2),
            # exec, run, shell keep 0..254 for the remote command: their own failures are 255
            (["exec", "--foo"],
             "a0ipc: unknown option --foo for 'exec'; see 'a0ipc help exec'", 255),
            (["run"], "a0ipc: missing COMMAND... for 'run'; see 'a0ipc help run'", 255),
        ]
        for args, line, code in cases:
            r = self.cli(*args, expect=code)
            self.assertEqual(r.stderr.decode(), line + "\n", args)
            self.assertEqual(r.stdout, b"", args)

    # ---- exit statuses ----

    def test_run_exits_with_the_shells_status_and_closes_its_session(self):
        self.cli("run", "exit 4", expect=4)
        self.cli("run", "exit 0")
        self.cli("run", "(exit 9)", expect=9)
        self.assertEqual(self.cli("sessions").stdout, b"")  # no session left behind
        r = self.cli("run", "--max-time-ms", "200", "sleep 3", expect=124)
        self.assertIn(b"MAX_TIME; the command goes on in session", r.stderr)
        session = r.stderr.split(b"session ")[1].split()[0].decode()
        self.cli("close", session)
        # close --json says how the shell ended (the transport's close_session carries it)
        r = self.cli("run", "--max-time-ms", "200", "sleep 0.5; exit 6", expect=124)
        session = r.stderr.split(b"session ")[1].split()[0].decode()
        time.sleep(1)
        self.assertEqual(json.loads(self.cli("close", session, "--json").stdout), {"exitCode": 6})

    def test_own_failures_of_exec_and_run_are_255(self):
        absent = "unix:" + os.path.join(self.dir, "absent.sock")
        r = self.cli("exec", "--target", absent, "--", "true", expect=255)
        self.assertIn(b"UNAVAILABLE", r.stderr)
        self.cli("run", "--target", absent, "true", expect=255)
        self.cli("stat", "--target", absent, ".", expect=3)  # the other commands: 3
        self.cli("exec", "--", "sh", "-c", "exit 3", expect=3)  # the remote's 3 is its own

    @unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
    def test_shell_exits_with_the_shells_status(self):
        status = os.path.join(self.dir, "status")
        script = "%s shell; echo $? > %s" % (CLI, status)
        subprocess.run(["tmux", "-L", self.tmux_socket, "new-session", "-d", "-s", "t", "-x",
                        "100", "-y", "30", "sh", "-c", script], env=self.env, check=True,
                       timeout=30)
        deadline = time.time() + 30
        while b"Ctrl-] detaches" not in self.screen():
            self.assertLess(time.time(), deadline, self.screen())
            time.sleep(0.1)
        subprocess.run(["tmux", "-L", self.tmux_socket, "send-keys", "-t", "t", "exit 7",
                        "Enter"], check=True, timeout=30)
        while not os.path.exists(status) or not open(status).read().strip():
            self.assertLess(time.time(), deadline, self.screen())
            time.sleep(0.1)
        self.assertEqual(open(status).read().strip(), "7")
        self.assertEqual(self.cli("sessions").stdout, b"")  # the ended session is gone

    def screen(self):
        return subprocess.run(["tmux", "-L", self.tmux_socket, "capture-pane", "-p", "-t", "t"],
                              capture_output=True, timeout=30).stdout

    # ---- --json: the proto's canonical JSON mapping ----

    def test_json_is_the_canonical_mapping(self):
        data = b"0123456789" * 1000
        local = os.path.join(self.dir, "up.bin")
        with open(local, "wb") as f:
            f.write(data)
        j = lambda *a, expect=0: [json.loads(l) for l in
                                  self.cli("--json", *a, expect=expect).stdout.splitlines()]
        self.assertEqual(j("health"), [{"status": "SERVING"}])
        put = j("put", local, "d/up.bin", "--parents")[0]
        self.assertEqual(put, {"bytesWritten": str(len(data)),
                               "sha256": base64.b64encode(hashlib.sha256(data).digest()).decode()})
        info = j("stat", "d/up.bin")[0]["info"]
        self.assertEqual((info["type"], info["size"], info["path"]),
                         ("FILE_TYPE_FILE", str(len(data)), "d/up.bin"))
        self.assertIsInstance(info["mtimeNs"], str)  # int64 as a string
        self.assertNotIn("symlinkTarget", info)  # a field at its default is left out
        ls = j("ls", "d")[0]
        self.assertEqual([e["name"] for e in ls["entries"]], ["up.bin"])
        self.assertNotIn("truncated", ls)
        got = j("get", "d/up.bin", os.path.join(self.dir, "down.bin"))[0]
        self.assertEqual((got["bytesRead"], got["sha256"]), (str(len(data)), put["sha256"]))
        self.assertEqual(j("mv", "d/up.bin", "d/moved.bin"), [{}])
        self.assertEqual(j("mkdir", "e"), [{"created": True}])
        self.assertEqual(j("rm", "e"), [{"removed": True}])
        ex = j("exec", "--", "sh", "-c", "echo out; echo err >&2; exit 5", expect=5)
        self.assertEqual(len(ex), 1)
        self.assertEqual((base64.b64decode(ex[0]["stdoutData"]),
                          base64.b64decode(ex[0]["stderrData"]), ex[0]["exitCode"]),
                         (b"out\n", b"err\n", 5))
        r = subprocess.run([CLI, "run", "--json", "echo hi-$((40+2))"], capture_output=True,
                           env=self.env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        events = [json.loads(l) for l in r.stdout.splitlines()]
        output = b"".join(base64.b64decode(e["output"]["data"]) for e in events[:-1])
        self.assertIn(b"hi-42", output)
        self.assertEqual(events[-1]["done"]["reason"], "DONE_REASON_EXITED")
        self.assertEqual(j("sessions"), [{}])  # ListSessionsResponse with no sessions
        # the tokens file (no proto message): the same one-object-a-line form
        tokens = os.path.join(self.dir, "tokens")
        self.cli("token", "add", "ci", "--allow", "service:a0.runtime.v1.Files", "--allow",
                 "files:read-only", "--tokens-file", tokens, "--token-out",
                 os.path.join(self.dir, "ci.token"))
        r = self.cli("token", "list", "--tokens-file", tokens, "--json")
        self.assertEqual(json.loads(r.stdout), {
            "name": "ci", "permissions": ["service:a0.runtime.v1.Files", "files:read-only"]})
        # shell is a terminal, not messages
        r = self.cli("shell", "--json", expect=255)
        self.assertIn(b"--json does not apply for 'shell'", r.stderr)

    def test_json_of_the_commands_without_a_message(self):
        """certs, router and token work on local files: no proto message, the same conventions
        (lowerCamel keys, one object a line), after the command or as a global option."""
        j = lambda *a, env=None: [json.loads(l) for l in
                                  self.cli(*a, env=env).stdout.splitlines()]
        files = {"caCert": "ca.pem", "caKey": "ca.key", "serverCert": "server.pem",
                 "serverKey": "server.key", "clientCert": "client.pem", "clientKey": "client.key"}
        for args in (["certs", "init", "tls-a", "--json"], ["--json", "certs", "init", "tls-b"]):
            with self.subTest(args=args):
                d = args[2] if args[0] == "certs" else args[3]
                want = {"dir": d, **{k: d + "/" + f for k, f in files.items()}}
                self.assertEqual(j(*args), [want])
                for f in files.values():
                    self.assertTrue(os.path.isfile(os.path.join(self.dir, d, f)), f)
        # router flags: every setting, numbers as numbers, the methods' own modes as an object
        flags = os.path.join(self.dir, "router.flags")
        with open(flags, "w") as f:
            f.write("mode = canary\ncanary-percent = 30\nmethod.read = grpc\n"
                    "method.run = legacy\n")
        self.assertEqual(j("router", "flags", "--json"), [{
            "mode": "legacy", "canaryPercent": 0, "fallback": True, "breakerFailures": 5,
            "breakerCooldownMs": 30000, "methods": {}}])
        env = dict(self.env, A0IPC_ROUTER_FALLBACK="false")
        self.assertEqual(j("--json", "router", "flags", "--router-flags", flags, env=env), [{
            "mode": "canary", "canaryPercent": 30, "fallback": False, "breakerFailures": 5,
            "breakerCooldownMs": 30000, "methods": {"read": "grpc", "run": "legacy"}}])
        # router bucket: one object per key, the same bucket and side as the text says
        keys = ["agent-%d" % i for i in range(8)] + ['odd "key"']
        got = j("router", "bucket", "--router-flags", flags, *keys, "--json")
        text = self.cli("router", "bucket", "--router-flags", flags, *keys).stdout.decode()
        self.assertEqual([g["routingKey"] for g in got], keys)
        for g, line in zip(got, text.splitlines()):
            self.assertEqual(set(g), {"routingKey", "bucket", "canaryBackend", "canaryPercent"})
            self.assertEqual(g["canaryPercent"], 30)
            self.assertEqual(g["canaryBackend"], "grpc" if g["bucket"] < 30 else "legacy")
            self.assertIn("bucket %d; in canary mode it goes to %s" %
                          (g["bucket"], g["canaryBackend"]), line)
        # token list takes the global --json too; commands without --json still refuse it
        tokens = os.path.join(self.dir, "tokens")
        self.cli("token", "add", "ci", "--allow", "*", "--tokens-file", tokens, "--token-out",
                 os.path.join(self.dir, "ci.token"))
        self.assertEqual(j("--json", "token", "list", "--tokens-file", tokens),
                         [{"name": "ci", "permissions": ["*"]}])
        r = self.cli("--json", "completion", "bash", expect=2)
        self.assertIn(b"completion takes no global options", r.stderr)
        r = self.cli("--quiet", "router", "flags", expect=2)
        self.assertIn(b"router takes no global options but --json", r.stderr)

    # ---- completion ----

    def complete(self, *words):
        """What bash completion offers after `a0ipc WORDS...` (the last word being typed)."""
        script = self.cli("completion", "bash").stdout.decode()
        prog = (script + "\nCOMP_WORDS=(a0ipc %s); COMP_CWORD=%d; _a0ipc; "
                "printf '%%s\\n' \"${COMPREPLY[@]}\"\n" %
                (" ".join("'%s'" % w for w in words), len(words)))
        r = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split()

    def test_bash_completion_from_the_command_table(self):
        self.assertEqual(self.complete("st"), ["stat"])
        self.assertIn("shell", self.complete("sh"))
        self.assertEqual(self.complete("ls", "--de"), ["--depth"])
        self.assertEqual(self.complete("--target", "x", "put", "--no"), ["--no-overwrite"])
        self.assertEqual(self.complete("token", "a"), ["add"])
        self.assertEqual(self.complete("help", "arch"), ["archive"])
        self.assertEqual(self.complete("completion", ""), ["bash", "zsh", "fish"])
        self.assertEqual(self.complete("ls", "--target", ""), [])  # a value: the shell's files
        # every command of `a0ipc help` is offered
        listed = [l.split()[0] for l in self.cli("help").stdout.decode().splitlines()
                  if l.startswith("  ") and not l.startswith("   ")]
        offered = self.complete("")
        for name in listed:
            self.assertIn(name, offered)
        for shell in ("zsh", "fish"):
            self.assertIn("a0ipc", self.cli("completion", shell).stdout.decode())
        if shutil.which("zsh"):  # zsh's completion needs a terminal: its syntax only
            r = subprocess.run(["zsh", "-n"], input=self.cli("completion", "zsh").stdout,
                               capture_output=True)
            self.assertEqual(r.returncode, 0, r.stderr)
        if shutil.which("fish"):
            script = os.path.join(self.dir, "a0ipc.fish")
            with open(script, "wb") as f:
                f.write(self.cli("completion", "fish").stdout)

            def fish(line):
                r = subprocess.run(["fish", "--no-config", "-c",
                                    "source %s; complete -C '%s'" % (script, line)],
                                   capture_output=True, text=True, timeout=30,
                                   env=dict(self.env, HOME=self.dir))
                self.assertEqual(r.returncode, 0, r.stderr)
                return [l.split("\t")[0] for l in r.stdout.splitlines()]
            self.assertEqual(fish("a0ipc st"), ["stat"])
            self.assertEqual(fish("a0ipc ls --de"), ["--depth"])
            self.assertEqual(sorted(fish("a0ipc token ")), ["add", "hash", "list", "remove"])

    # ---- progress ----

    def on_tty(self, *args):
        """Runs a0ipc with stderr on a terminal; returns (exit status, what the terminal got)."""
        master, slave = pty.openpty()
        p = subprocess.Popen([CLI, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=slave, env=self.env, cwd=self.dir)
        os.close(slave)
        out = b""
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        return p.wait(timeout=30), out

    def test_progress_on_a_terminal_only(self):
        local = os.path.join(self.dir, "big.bin")
        with open(local, "wb") as f:
            f.write(os.urandom(3 * 1024 * 1024))
        code, out = self.on_tty("put", local, "big.bin")
        self.assertEqual(code, 0, out)
        self.assertRegex(out, rb"big\.bin: 3\.0 MiB in [0-9.]+ s \([0-9.]+ [KMG]iB/s\)")
        code, out = self.on_tty("get", "big.bin", "back.bin")
        self.assertEqual(code, 0, out)
        self.assertRegex(out, rb"back\.bin: 3\.0 MiB in [0-9.]+ s \([0-9.]+ [KMG]iB/s\)")
        self.assertEqual(open(os.path.join(self.dir, "back.bin"), "rb").read(),
                         open(local, "rb").read())
        # --quiet: nothing at all; not a terminal: no progress, only the checksum line
        code, out = self.on_tty("get", "big.bin", "back.bin", "--quiet")
        self.assertEqual((code, out), (0, b""))
        r = self.cli("put", local, "big2.bin")
        self.assertNotIn(b"\r", r.stderr)
        self.assertNotIn(b"MiB", r.stderr)
        self.assertIn(b"sha256", r.stderr)


class TlsAddressList(unittest.TestCase):
    """ipv4:a:p,b:p with TLS: the certificate is checked against the first address's host."""

    def test_tls_name_of_an_address_list(self):
        d = tempfile.mkdtemp(prefix="a0ipc-conv-tls-")
        self.addCleanup(shutil.rmtree, d, True)
        env = clean_env()
        tls = os.path.join(d, "tls")
        r = subprocess.run([CLI, "certs", "init", tls], capture_output=True, env=env, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        daemons = [Daemon(d, "--listen", "127.0.0.1:0", "--tls-cert",
                          os.path.join(tls, "server.pem"), "--tls-key",
                          os.path.join(tls, "server.key"), "--tls-ca", os.path.join(tls, "ca.pem"),
                          "--tls-client-cert", "required", name="d%d" % i) for i in (1, 2)]
        try:
            target = "ipv4:" + ",".join(x.tcp[0] for x in daemons)
            for cmd in (["health"], ["ls"]):
                r = subprocess.run([CLI, *cmd, "--target", target, "--ca",
                                    os.path.join(tls, "ca.pem"), "--cert",
                                    os.path.join(tls, "client.pem"), "--key",
                                    os.path.join(tls, "client.key")], capture_output=True, env=env,
                                   timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertNotIn(b"Peer name", r.stderr)
        finally:
            for x in daemons:
                self.assertEqual(x.stop(), 0)


if __name__ == "__main__":
    unittest.main()
