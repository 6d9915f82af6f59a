"""What the Agent Zero integration's tests share: a copy of the stand-in Agent Zero tree with the
plugin installed, imported as Agent Zero's process would import it, and the real a0ipcd.

ctest sets A0IPCD, A0IPC_CLI, A0IPC_PYTHON_GEN and PYTHONPATH (python/), as for tests/python.
"""
import importlib
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_TREE = os.path.join(HERE, "fake_agent_zero")
FIXTURES = os.path.join(HERE, "..", "fixtures", "agent-zero")
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from support import Daemon, env_path  # noqa: E402,F401

# Agent Zero's own top-level modules and packages: forgotten between trees so each test's
# tree is imported afresh.
_A0_MODULES = ("agent", "helpers", "plugins", "api", "tools", "usr")


def fixture(name):
    return os.path.join(FIXTURES, name)


class AgentZeroTree:
    """A temporary copy of the stand-in tree, on sys.path as Agent Zero's directory, with the
    plugin copied into usr/plugins/a0ipc (install=True)."""

    def __init__(self, install=True):
        self.tmp = tempfile.mkdtemp(prefix="a0ipc-az-")
        self.dir = os.path.join(self.tmp, "agent-zero")
        shutil.copytree(FAKE_TREE, self.dir)
        if install:
            from a0ipc.agent_zero.install import copy_plugin
            copy_plugin(self.dir)
        _forget_a0_modules()
        sys.path.insert(0, self.dir)

    def module(self, name):
        return importlib.import_module(name)

    def close(self):
        from a0ipc.agent_zero import runtime_hook
        try:
            runtime_hook.uninstall()
        except ImportError:
            pass
        if self.dir in sys.path:
            sys.path.remove(self.dir)
        _forget_a0_modules()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _forget_a0_modules():
    for name in list(sys.modules):
        if name.split(".")[0] in _A0_MODULES or name.startswith("ext_"):
            del sys.modules[name]
