"""The terminal tests' harness: a stand-in Agent Zero tree with the plugin, a real a0ipcd whose
sessions run bash with a plain home, and the tools got through Agent.get_tool."""
import asyncio
import json
import os
import shutil
import subprocess
import tempfile

from az_support import AgentZeroTree, Daemon, fixture

FAST = {"first_output_timeout": 8, "between_output_timeout": 5, "max_exec_timeout": 20,
        "dialog_timeout": 2}


def transcripts():
    with open(fixture("terminal_transcripts.json"), encoding="utf-8") as f:
        return json.load(f)


def ipython_path():
    """The host's ipython (a pyenv shim resolved to its program: the shim is slow to start)."""
    ipy = shutil.which("ipython")
    if ipy and os.sep + "shims" + os.sep in ipy and shutil.which("pyenv"):
        try:
            real = subprocess.run(["pyenv", "which", "ipython"], capture_output=True, text=True,
                                  timeout=20).stdout.strip()
            if real and os.path.isfile(real):
                return real
        except (OSError, subprocess.SubprocessError):
            pass
    return ipy


class TermEnv:
    """Tree + daemon + hermetic environment. close() undoes all of it."""

    def __init__(self, timeouts=FAST):
        self._saved_env = dict(os.environ)
        self.tmp = self.tree = self.daemon = self.terminal = None
        try:
            self._setup(timeouts)
        except BaseException:
            self.close()
            raise

    def _setup(self, timeouts):
        for k in list(os.environ):
            if k.startswith("A0IPC_") and k not in ("A0IPC_PYTHON_GEN",):
                del os.environ[k]
        self.tmp = tempfile.mkdtemp(prefix="a0ipc-azterm-")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        # a plain .bashrc (fast, hermetic); ipython's directory on PATH when the host has it
        path_add = ""
        ipy = ipython_path()
        if ipy:
            path_add = 'export PATH="%s:$PATH"\n' % os.path.dirname(ipy)
        with open(os.path.join(self.home, ".bashrc"), "w") as f:
            f.write("# plain test .bashrc\n" + path_add)
        # the work dir ends in usr/workdir as Agent Zero's (IPython's title shows its last two)
        self.workdir = os.path.join(self.tmp, "a0", "usr", "workdir")
        os.environ["HOME"] = self.home
        self.tree = AgentZeroTree()
        cfgdir = os.path.join(self.tree.dir, "usr", "plugins", "_code_execution")
        os.makedirs(cfgdir, exist_ok=True)
        cfg = {}
        for prefix in ("code_exec", "output"):
            for k, v in timeouts.items():
                cfg["%s_%s" % (prefix, k)] = v
        cfg["dialog_patterns"] = "Y/N\nyes/no\n:\\s*$\n\\?\\s*$"
        cfg["prompt_patterns"] = ("(\\(venv\\)).+[$#] ?$\nroot@[^:]+:[^#]+# ?$\n"
                                  "[a-zA-Z0-9_.-]+@[^:]+:[^$#]+[$#] ?$\n\\(?.*\\)?\\s*PS\\s+[^>]+> ?$")
        with open(os.path.join(cfgdir, "config.json"), "w") as f:
            json.dump(cfg, f)
        self.start_daemon()
        from a0ipc.agent_zero import terminal
        self.terminal = terminal
        terminal.session_overrides.update(
            {"argv": ["bash"], "env": {"HOME": self.home}, "cwd": self.workdir})
        self.agent_mod = self.tree.module("agent")

    def start_daemon(self, socket_dir=None):
        root = os.path.join(self.tmp, "root")
        os.makedirs(root, exist_ok=True)
        self.daemon = Daemon(root, tcp=False)
        os.environ["A0IPC_TARGET"] = self.daemon.unix
        return self.daemon

    def agent(self, number=0):
        return self.agent_mod.Agent(number)

    def tool(self, agent, name, args):
        return agent.get_tool(name, None, args, "", None)

    async def call(self, agent, call):
        """One recorded step's call: the code-execution tool or the input tool."""
        if "input" in call:
            args = {"keyboard": call["input"], "session": call.get("session", 0)}
            tool = self.tool(agent, "input", args)
        else:
            args = dict(call)
            tool = self.tool(agent, "code_execution_tool", args)
        await tool.before_execution(**args)
        resp = await tool.execute(**args)
        await tool.after_execution(resp)
        self.last_log = tool.log
        return resp.message

    def close(self):
        if self.terminal is not None:
            self.terminal.session_overrides.update({"argv": [], "env": {}, "cwd": None})
        if self.daemon is not None:
            self.daemon.stop()
            self.daemon = None
        if self.tree is not None:
            self.tree.close()
            self.tree = None
        os.environ.clear()
        os.environ.update(self._saved_env)
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)


def run(coro):
    return asyncio.run(coro)
