"""The Kubernetes example, packaging/kubernetes/a0ipcd.yaml, is one that a cluster accepts and that
works: every resource validates, strictly (an unknown or misspelt field fails), against the
Kubernetes API's JSON schemas of each version in VERSIONS; a broken copy fails the same check
(so a checker that passes everything fails here); and a0ipcd started with the container's very
arguments (paths moved under a temporary directory) serves, and the readiness and liveness
probes' command answers SERVING. docs/operations.md shows the file as it is.

The schema checker is kubernetes-validate ($KUBERNETES_VALIDATE: ctest passes the one
scripts/bootstrap installs, which carries the schemas and needs no network), else the one on
PATH; without one the schema checks are skipped, saying so. Run by ctest (k8s_manifests) with
A0IPCD and A0IPC_CLI."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import yaml

A0IPCD = os.environ["A0IPCD"]
CLI = os.environ["A0IPC_CLI"]
MANIFEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packaging",
                        "kubernetes", "a0ipcd.yaml")
OPERATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                          "operations.md")
VALIDATE = os.environ.get("KUBERNETES_VALIDATE") or shutil.which("kubernetes-validate")
NO_VALIDATE = ("kubernetes-validate is not installed (scripts/bootstrap installs it): schema "
               "checks skipped")
# The oldest and the newest Kubernetes whose schemas are checked (docs/operations.md says so too).
VERSIONS = ("1.30.0", "1.37.0")


def validate(path, version):
    return subprocess.run([VALIDATE, "--strict", "--no-warn", "-k", version, path],
                          capture_output=True, text=True, timeout=60)


def resources():
    with open(MANIFEST) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def container():
    sts = [r for r in resources() if r["kind"] == "StatefulSet"][0]
    return sts["spec"]["template"]["spec"]["containers"][0]


@unittest.skipUnless(VALIDATE, NO_VALIDATE)
class Schemas(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-k8s-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_every_resource_validates_strictly(self):
        kinds = sorted(r["kind"] for r in resources())
        self.assertEqual(kinds, ["Service", "StatefulSet"])
        for v in VERSIONS:
            with self.subTest(kubernetes=v):
                r = validate(MANIFEST, v)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertEqual(r.stdout.count(" passed for resource "), len(kinds), r.stdout)

    def test_a_broken_manifest_fails(self):
        with open(MANIFEST) as f:
            good = f.read()
        broken = {
            "a field of the wrong type": ("replicas: 3", "replicas: three"),
            "a misspelt field": ("readinessProbe:", "readynessProbe:"),
            "a required field missing": ("      port: 50051\n", "      targetPort: 50051\n"),
        }
        for what, (old, new) in broken.items():
            with self.subTest(what):
                self.assertIn(old, good)
                path = os.path.join(self.dir, "broken.yaml")
                with open(path, "w") as f:
                    f.write(good.replace(old, new, 1))
                r = validate(path, VERSIONS[-1])
                self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("did not validate", r.stdout + r.stderr)


class Docs(unittest.TestCase):
    def test_the_docs_show_the_file(self):
        with open(OPERATIONS) as f:
            section = f.read().split("\n### Kubernetes", 1)[1]
        text, shown = section.split("```yaml\n", 1)
        shown = shown.split("```\n", 1)[0]
        with open(MANIFEST) as f:
            body = "".join(l for l in f if not l.startswith("#"))  # (its header comment)
        self.assertEqual(shown, body)
        # and they name the versions checked
        minor = [v.rsplit(".", 1)[0] for v in VERSIONS]
        self.assertIn("Kubernetes %s and %s" % tuple(minor), " ".join(text.split()))


class CommandLines(unittest.TestCase):
    """The container's arguments and the probes' command, run here with the image's paths under
    a temporary directory (a0ipcd's TCP port: any free one)."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-k8s-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("A0IPC_")}
        self.env["HOME"] = "/nonexistent"

    def moved(self, arg):
        for path in ("/etc/a0ipc", "/run/a0ipcd", "/var/lib/a0ipcd"):
            arg = arg.replace(path, self.dir + path)
        return arg.replace("0.0.0.0:50051", "127.0.0.1:0")

    def secrets(self):
        """The files the pod mounts: the image's config, the TLS and the tokens secrets."""
        for d in ("/etc/a0ipc/tls", "/etc/a0ipc/tokens", "/run/a0ipcd", "/var/lib/a0ipcd"):
            os.makedirs(self.dir + d)
        with open(self.dir + "/etc/a0ipc/a0ipcd.conf", "w") as f:
            f.write("# the image's config: the settings of the container's args win\n")
        certs = os.path.join(self.dir, "certs")
        r = subprocess.run([CLI, "certs", "init", certs], capture_output=True, env=self.env,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        # a TLS secret's keys are tls.crt and tls.key
        shutil.copy(os.path.join(certs, "server.pem"), self.dir + "/etc/a0ipc/tls/tls.crt")
        shutil.copy(os.path.join(certs, "server.key"), self.dir + "/etc/a0ipc/tls/tls.key")
        r = subprocess.run([CLI, "token", "add", "agent", "--allow", "*", "--tokens-file",
                            self.dir + "/etc/a0ipc/tokens/tokens"], capture_output=True,
                           env=self.env, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_daemon_starts_with_the_args_and_the_probes_pass(self):
        c = container()
        self.secrets()
        ready = os.path.join(self.dir, "ready")
        log = open(os.path.join(self.dir, "a0ipcd.log"), "w+")
        self.addCleanup(log.close)
        # (cgroup off: this test's own process tree is no delegated cgroup)
        args = [self.moved(a) for a in c["args"]]
        p = subprocess.Popen([A0IPCD, *args, "--ready-file", ready, "--session-cgroup", "off"],
                             stderr=log, env=self.env)

        def stop():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=30)
        self.addCleanup(stop)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if p.poll() is not None:
                log.seek(0)
                self.fail("a0ipcd %s exited: %s" % (args, log.read()))
            self.assertLess(time.time(), deadline, "a0ipcd did not start")
            time.sleep(0.02)
        for probe in ("readinessProbe", "livenessProbe"):
            with self.subTest(probe):
                command = [self.moved(a) for a in c[probe]["exec"]["command"]]
                self.assertEqual(command[0], "a0ipc")
                r = subprocess.run([CLI, *command[1:]], capture_output=True, env=self.env,
                                   timeout=30)
                self.assertEqual((r.returncode, r.stdout), (0, b"SERVING\n"), r.stderr)
        stop()
        self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
