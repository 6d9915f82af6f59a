"""The agent-level figure: from the code-execution tool's call to the agent holding the result
of a finished `echo hello`, on a0ipcd (the a0ipc plugin's tool) and on Agent Zero's own local
shell (its built-in tool with LocalInteractiveSession), side by side in one process and run.

Run it with Agent Zero's own interpreter, on an Agent Zero v1.x checkout into which
`a0ipc agent-zero install` has put the plugin:

    AZ/.venv/bin/python bench/bench_agent_zero.py AZ [--rounds 20] [--a0ipcd build/a0ipcd]

It starts its own a0ipcd (root /, as docs/agent-zero.md advises) on a temporary unix socket,
with a temporary work dir for both sides (the checkout's usr/.env settings are not
used) and a home directory with an empty .bashrc for both shells, makes one agent context for each side (each with its own session 0) and times
``tool.execute()``: the first command (which starts the shell) apart, then --rounds commands
on the warm session. Agent Zero's side runs as in its container (dockerized: its runtime calls
in-process, no a0ipc hook). Nothing is asserted: the figures are printed, with the text each side
returned so that a reader sees they did the same work. Agent Zero's module-level imports need its
requirements installed; modules that cannot load (whisper, sentence_transformers without torch)
may be stood in for on PYTHONPATH: they are not on this path.
"""
import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = {"runtime": "terminal", "session": 0, "code": "echo hello"}


def start_daemon(a0ipcd, tmp):
    sock = os.path.join(tmp, "a0ipcd.sock")
    ready = os.path.join(tmp, "ready")
    log = open(os.path.join(tmp, "a0ipcd.log"), "w")
    proc = subprocess.Popen([a0ipcd, "--listen", "unix:" + sock, "--ready-file", ready,
                             "--root", "/", "--log-calls", "false"], stderr=log)
    deadline = time.monotonic() + 15
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("a0ipcd did not start: see %s" % log.name)
        time.sleep(0.01)
    return proc, "unix:" + sock


async def time_tool(make_tool, rounds):
    """(first call s, [warm call s], last text) for a tool factory."""
    async def once():
        tool = make_tool()
        tool.log = tool.get_log_object()
        t = time.perf_counter()
        r = await tool.execute(**ARGS)
        return time.perf_counter() - t, r.message

    first, text = await once()
    warm = []
    for _ in range(rounds):
        dt, text = await once()
        warm.append(dt)
    return first, warm, text


def ms(s):
    return "%8.1f ms" % (s * 1e3)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("agent_zero_dir")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--a0ipcd", default=os.path.join(HERE, "..", "build", "a0ipcd"))
    p.add_argument("--only", choices=("a0ipcd", "local"))
    a = p.parse_args()
    az = os.path.abspath(a.agent_zero_dir)
    if not os.path.isdir(os.path.join(az, "usr", "plugins", "a0ipc")):
        raise SystemExit("%s has no a0ipc plugin: run `a0ipc agent-zero install %s` first"
                         % (az, az))
    tmp = tempfile.mkdtemp(prefix="a0ipc-bench-az-")
    # Both shells start with the same empty ~/.bashrc (a developer's own, pyenv for example,
    # would add its start-up time to both sides and stall CreateSession's deadline).
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    open(os.path.join(home, ".bashrc"), "w").close()
    os.environ["HOME"] = home
    proc, target = start_daemon(os.path.abspath(a.a0ipcd), tmp)
    try:
        for k in [k for k in os.environ if k.startswith("A0IPC_")]:
            del os.environ[k]
        os.environ.update(A0IPC_TARGET=target, A0IPC_BACKEND="grpc")
        # Agent Zero's own tool on its local PTY: SSH off (it is "auto" = SSH outside Docker).
        os.environ["A0_SET__code_execution__ssh_enabled"] = "false"
        # The shells' work dir: a temporary one (Agent Zero's default is /a0/usr/workdir).
        os.environ["A0_SET_workdir_path"] = os.path.join(tmp, "workdir")
        os.chdir(az)
        sys.path.insert(0, az)
        sys.argv = [os.path.join(az, "run_ui.py")]  # development mode, as a host checkout runs
        import initialize
        from agent import AgentContext
        from helpers import migration
        # Agent Zero's settings module loaded usr/.env over the environment: ours again.
        os.environ.update(A0IPC_TARGET=target, A0IPC_BACKEND="grpc")
        migration.startup_migration()  # the a0ipc plugin's hook, as run_ui.py runs it
        from plugins._code_execution.tools.code_execution_tool import CodeExecution

        def a0ipc_tool(agent):
            tool = agent.get_tool("code_execution_tool", None, dict(ARGS), "", None)
            if not type(tool).__module__.startswith("a0ipc."):
                raise SystemExit("the a0ipc plugin did not provide the tool (got %s.%s)"
                                 % (type(tool).__module__, type(tool).__name__))
            return tool

        def local_tool(agent):
            return CodeExecution(agent=agent, name="code_execution_tool", method=None,
                                 args=dict(ARGS), message="", loop_data=None)

        sides = [("a0ipcd", a0ipc_tool), ("local shell", local_tool)]
        if a.only:
            sides = [s for s in sides if s[0].startswith(a.only)]
        from a0ipc.agent_zero import runtime_hook
        from helpers import runtime
        results = {}
        for name, factory in sides:
            if factory is local_tool:
                # Agent Zero's own shell as in its container: dockerized, so its runtime
                # calls (the tool's make_dir) run in-process, not through a0ipc's hook.
                os.environ["A0IPC_AGENT_ZERO_HOOK"] = "off"  # agent_init would put it back
                runtime_hook.uninstall()
                runtime.args["dockerized"] = "true"
            agent = AgentContext(initialize.initialize_agent()).agent0
            results[name] = asyncio.run(time_tool(lambda: factory(agent), a.rounds))

        print("agent-level `echo hello`: code_execution_tool.execute() until the agent has "
              "the result (%d warm rounds)" % a.rounds)
        print("%-26s" % "" + "".join("%22s" % n for n in results))
        print("%-26s" % "first (starts the shell)" +
              "".join("%22s" % ms(r[0]) for r in results.values()))
        for label, f in (("warm p50", statistics.median), ("warm min", min), ("warm max", max)):
            print("%-26s" % label + "".join("%22s" % ms(f(r[1])) for r in results.values()))
        for n, r in results.items():
            print("%s returned: %r" % (n, r[2]))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
