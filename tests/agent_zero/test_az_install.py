"""a0ipc agent-zero install / uninstall / status, and the installed plugin in a stand-in Agent
Zero v1.x tree: what it changes (only usr/plugins/a0ipc and a block of usr/.env), what it
refuses, that Agent Zero's start-up loads it, and a real pip install into a fresh virtualenv
followed by status against a real a0ipcd."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from az_support import FAKE_TREE, AgentZeroTree, Daemon, env_path

from a0ipc.agent_zero import install as az_install


def tree_digest(root):
    out = {}
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("A0IPC_")}
    env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def run_installer(*args, cli=False):
    cmd = ([env_path("A0IPC_CLI", "the CLI"), "agent-zero"] if cli
           else [sys.executable, "-m", "a0ipc.agent_zero"]) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), timeout=600)


class Layout(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="a0ipc-azl-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_v1_tree_accepted(self):
        d = os.path.join(self.tmp, "az")
        shutil.copytree(FAKE_TREE, d)
        self.assertIn("v1.x", az_install.check_layout(d))

    def test_old_layout_refused_with_reason(self):
        d = os.path.join(self.tmp, "old")
        os.makedirs(os.path.join(d, "python", "helpers"))
        open(os.path.join(d, "python", "helpers", "runtime.py"), "w").close()
        r = run_installer("install", d, "--no-package")
        self.assertEqual(r.returncode, 1)
        self.assertIn("0.x layout (python/helpers/)", r.stderr)
        self.assertIn("supports Agent Zero v1.x", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "usr")), "nothing may be written")

    def test_not_agent_zero_refused(self):
        r = run_installer("status", self.tmp)
        self.assertEqual(r.returncode, 1)
        self.assertIn("is not an Agent Zero checkout", r.stderr)

    def test_missing_code_execution_plugin_refused(self):
        d = os.path.join(self.tmp, "az")
        shutil.copytree(FAKE_TREE, d)
        shutil.rmtree(os.path.join(d, "plugins", "_code_execution"))
        r = run_installer("install", d, "--no-package")
        self.assertEqual(r.returncode, 1)
        self.assertIn("plugins/_code_execution/plugin.yaml", r.stderr)

    def test_no_interpreter_found_says_what_was_tried(self):
        d = os.path.join(self.tmp, "az")
        shutil.copytree(FAKE_TREE, d)
        r = run_installer("install", d)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--python", r.stderr)
        self.assertIn(os.path.join(d, ".venv", "bin", "python"), r.stderr)


class A0Link(unittest.TestCase):
    """/a0: the name Agent Zero gives its agent for the runtime's directory."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="a0ipc-aza-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.az = os.path.join(self.tmp, "az")
        shutil.copytree(FAKE_TREE, self.az)
        self.link = os.path.join(self.tmp, "a0")

    def test_missing_link_is_explained(self):
        ok, text = az_install.a0_state(self.az, self.link)
        self.assertFalse(ok)
        self.assertIn("ln -s %s %s" % (self.az, self.link), text)

    def test_link_created_and_then_recognised(self):
        self.assertIn("(created)", az_install.link_a0(self.az, self.link))
        self.assertEqual(os.readlink(self.link), os.path.realpath(self.az))
        self.assertTrue(az_install.a0_state(self.az, self.link)[0])
        self.assertNotIn("(created)", az_install.link_a0(self.az, self.link))  # idempotent

    def test_other_path_is_never_replaced(self):
        os.makedirs(self.link)
        with self.assertRaises(az_install.InstallError) as cm:
            az_install.link_a0(self.az, self.link)
        self.assertIn("not this checkout", str(cm.exception))
        self.assertTrue(os.path.isdir(self.link) and not os.path.islink(self.link))


class Files(unittest.TestCase):
    """install and uninstall touch nothing of Agent Zero's but usr/plugins/a0ipc and our block
    of usr/.env."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="a0ipc-azf-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.az = os.path.join(self.tmp, "az")
        shutil.copytree(FAKE_TREE, self.az)
        self.env_file = os.path.join(self.az, "usr", ".env")
        with open(self.env_file, "w") as f:
            f.write("API_KEY_OPENAI=sk-test\nRFC_PASSWORD=pw\n")

    def env_text(self):
        with open(self.env_file) as f:
            return f.read()

    def test_install_then_uninstall_restores_the_tree(self):
        before = tree_digest(self.az)
        r = run_installer("install", self.az, "--no-package", "--target", "unix:/tmp/x.sock",
                          "--token-file", "/etc/agent-zero/a0ipc.token")
        self.assertEqual(r.returncode, 0, r.stderr)
        after = tree_digest(self.az)
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        self.assertEqual({k for k in changed if not k.startswith("usr/plugins/a0ipc/")},
                         {"usr/.env"})
        self.assertIn("usr/plugins/a0ipc/plugin.yaml", after)
        text = self.env_text()
        self.assertTrue(text.startswith("API_KEY_OPENAI=sk-test\nRFC_PASSWORD=pw\n"), text)
        self.assertIn("A0IPC_TARGET=unix:/tmp/x.sock\n", text)
        self.assertIn("A0IPC_TOKEN_FILE=/etc/agent-zero/a0ipc.token\n", text)
        self.assertIn("A0IPC_BACKEND=grpc\n", text)

        r = run_installer("uninstall", self.az, "--keep-package")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(tree_digest(self.az), before)

    def test_reinstall_keeps_settings_and_replaces_only_given_ones(self):
        self.assertEqual(run_installer("install", self.az, "--no-package", "--target",
                                       "127.0.0.1:1").returncode, 0)
        self.assertEqual(run_installer("install", self.az, "--no-package", "--backend",
                                       "legacy").returncode, 0)
        block = az_install.read_block(self.az)
        self.assertEqual(block, {"A0IPC_TARGET": "127.0.0.1:1", "A0IPC_BACKEND": "legacy"})
        self.assertEqual(self.env_text().count(az_install.BLOCK_BEGIN), 1)

    def test_env_lines_outside_the_block_are_reported(self):
        with open(self.env_file, "a") as f:
            f.write("A0IPC_TARGET=elsewhere\n")
        r = run_installer("install", self.az, "--no-package")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("note: A0IPC_TARGET is also set outside a0ipc's block", r.stdout)

    def test_uninstall_of_a_created_env_removes_it(self):
        os.unlink(self.env_file)
        self.assertEqual(run_installer("install", self.az, "--no-package").returncode, 0)
        self.assertTrue(os.path.exists(self.env_file))
        self.assertEqual(run_installer("uninstall", self.az, "--keep-package").returncode, 0)
        self.assertFalse(os.path.exists(self.env_file))

    def test_cli_command_hands_over_to_the_installer(self):
        r = run_installer("install", self.az, "--no-package", cli=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isfile(os.path.join(self.az, "usr", "plugins", "a0ipc",
                                                    "plugin.yaml")))
        r = run_installer("frobnicate", self.az, cli=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid choice: 'frobnicate'", r.stderr)


class Loading(unittest.TestCase):
    """Agent Zero's own mechanisms load the installed plugin: start-up routes the runtime."""

    def setUp(self):
        for k in [k for k in os.environ if k.startswith("A0IPC_")]:
            self.addCleanup(os.environ.__setitem__, k, os.environ.pop(k))
        self.tree = AgentZeroTree()
        self.addCleanup(self.tree.close)

    def test_startup_migration_routes_runtime_calls(self):
        runtime = self.tree.module("helpers.runtime")
        original = runtime.call_development_function
        self.tree.module("helpers.migration").startup_migration()
        self.assertIsNot(runtime.call_development_function, original)
        self.assertIs(runtime.call_development_function.__wrapped__, original)
        self.tree.module("helpers.migration").startup_migration()  # twice: still one layer
        self.assertIs(runtime.call_development_function.__wrapped__, original)

    def test_agent_init_routes_runtime_calls_too(self):
        runtime = self.tree.module("helpers.runtime")
        original = runtime.call_development_function
        self.tree.module("helpers.extension").call_extensions_sync("agent_init", None)
        self.assertIsNot(runtime.call_development_function, original)

    def test_unknown_function_is_refused_by_name_never_sent(self):
        import asyncio
        runtime = self.tree.module("helpers.runtime")
        self.tree.module("helpers.migration").startup_migration()
        from a0ipc.agent_zero.dispatch import NotServed
        path = os.path.join(self.tree.dir, "helpers", "mystery.py")
        with open(path, "w") as f:
            f.write("def do_it(x):\n    raise AssertionError('ran in the framework process')\n")
        mystery = self.tree.module("helpers.mystery")
        os.environ["RFC_PASSWORD"] = "pw"
        self.addCleanup(os.environ.pop, "RFC_PASSWORD")
        with self.assertRaises(NotServed) as cm:
            asyncio.run(runtime.call_development_function(mystery.do_it, 1))
        self.assertIn("helpers.mystery.do_it", str(cm.exception))
        self.assertEqual(runtime.RFC_CALLS, [], "nothing may go over the legacy RFC")

    def test_disabled_plugin_changes_nothing(self):
        open(os.path.join(self.tree.dir, "usr", "plugins", "a0ipc", ".toggle-0"), "w").close()
        runtime = self.tree.module("helpers.runtime")
        original = runtime.call_development_function
        self.tree.module("helpers.migration").startup_migration()
        self.assertIs(runtime.call_development_function, original)

    def test_hook_off_setting_changes_nothing(self):
        os.environ["A0IPC_AGENT_ZERO_HOOK"] = "off"
        self.addCleanup(os.environ.pop, "A0IPC_AGENT_ZERO_HOOK")
        runtime = self.tree.module("helpers.runtime")
        original = runtime.call_development_function
        self.tree.module("helpers.migration").startup_migration()
        self.assertIs(runtime.call_development_function, original)


class PipAndStatus(unittest.TestCase):
    """The real thing: a fresh virtualenv stands for Agent Zero's, install pip-installs the
    package (building the stubs from proto/), and status's smoke test passes against a0ipcd."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="a0ipc-azp-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.az = os.path.join(self.tmp, "az")
        shutil.copytree(FAKE_TREE, self.az)
        root = os.path.join(self.tmp, "root")
        os.makedirs(root)
        self.daemon = Daemon(root, tcp=False)
        self.addCleanup(self.daemon.stop)
        base = getattr(sys, "_base_executable", sys.executable)
        venv = os.path.join(self.az, ".venv")
        # Debian's python3 gets its python3-grpcio through system site packages; a pyenv
        # interpreter's venv gets grpcio from the package index as pip resolves the package.
        subprocess.run([base, "-m", "venv", "--system-site-packages", venv], check=True)
        self.python = os.path.join(venv, "bin", "python")

    def test_install_status_uninstall(self):
        r = run_installer("install", self.az, "--target", self.daemon.unix)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("importable by Agent Zero's interpreter", r.stdout)
        v = subprocess.run([self.python, "-c", "import a0ipc._proto as p; print(p.gen_dir())"],
                           capture_output=True, text=True, cwd="/", env={"PATH": "/usr/bin"})
        self.assertEqual(v.returncode, 0, v.stderr)
        self.assertTrue(v.stdout.strip().startswith(os.path.join(self.az, ".venv")), v.stdout)

        r = run_installer("status", self.az)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for step in ("health", "file", "shell"):
            self.assertRegex(r.stdout, r"ok +%s " % step)
        self.assertIn("smoke test: passed", r.stdout)

        self.daemon.stop()
        r = run_installer("status", self.az)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"FAIL +health")

        r = run_installer("uninstall", self.az)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIsNone(az_install.installed_package_version(self.python))


if __name__ == "__main__":
    unittest.main()
