"""The plugin inside a REAL Agent Zero v1.x process, against a real a0ipcd: a manual check, not a
ctest (the repository holds no Agent Zero code; the ctests use the stand-in tree).

    AZ/.venv/bin/python tests/agent_zero/against_checkout.py AZ calls
    AZ/.venv/bin/python tests/agent_zero/against_checkout.py AZ tools [SCENARIO,...]

AZ is an Agent Zero checkout into which ``a0ipc agent-zero install`` put the plugin; the
interpreter is the one Agent Zero runs with (its requirements installed; modules that cannot
load without large downloads, whisper or sentence_transformers without torch, may be stood in
for on PYTHONPATH: nothing here uses them).

- ``calls``: Agent Zero's own live runtime functions (its api/, helpers/, plugins/ code) run
  in-process, as in its container, and the same functions through the plugin's hook on a0ipcd,
  on two identical scratch trees; prints EQUAL/DIFF per call with both times.
- ``tools``: the recorded tool scenarios (tests/fixtures/agent-zero/terminal_transcripts.json,
  the shortened timeouts) through Agent Zero's own Agent.get_tool, which the plugin's extension
  answers; prints what the agent got, the time, and the recorded text of Agent Zero's local
  shell.

It starts its own a0ipcd (root /) on a temporary socket, with a home whose .bashrc is empty;
the checkout's usr/.env settings are replaced by that daemon's for the run.
"""
import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TRANSCRIPTS = os.path.join(HERE, "..", "fixtures", "agent-zero", "terminal_transcripts.json")
DEFAULT_A0IPCD = os.path.join(HERE, "..", "..", "build", "a0ipcd")
FAST = {"first_output": 8, "between_output": 5, "max_exec": 20, "dialog": 2}


class Daemon:
    def __init__(self, a0ipcd, tmp):
        self.sock = os.path.join(tmp, "a0ipcd.sock")
        ready = os.path.join(tmp, "ready")
        self.home = os.path.join(tmp, "home")
        os.makedirs(self.home)
        open(os.path.join(self.home, ".bashrc"), "w").close()
        self.proc = subprocess.Popen(
            [a0ipcd, "--listen", "unix:" + self.sock, "--ready-file", ready, "--root", "/",
             "--log-calls", "false"], stderr=open(os.path.join(tmp, "a0ipcd.log"), "w"),
            env=dict(os.environ, HOME=self.home))
        deadline = time.monotonic() + 15
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("a0ipcd did not start (%s/a0ipcd.log)" % tmp)
            time.sleep(0.01)

    def settings(self):
        for k in [k for k in os.environ if k.startswith("A0IPC_")]:
            del os.environ[k]
        os.environ.update(A0IPC_TARGET="unix:" + self.sock, A0IPC_BACKEND="grpc")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)


def scratch_tree(root):
    files = {"a.txt": b"hello\n", "B.md": b"# title\n", ".hidden": b"secret\n",
             "bin.dat": bytes(range(256)), "empty": b"", "sub/one.txt": b"one\n",
             "sub/deeper/two.txt": b"two\n" * 100, "Zeta/z.txt": b"z",
             "utf8-\u00e9t\u00e9.txt": "caf\u00e9 \u2615\n".encode(),
             "notes.promptinclude.md": b"# include me\n", "patch.txt": b"l1\nl2\nl3\nl4\n"}
    for rel, data in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    os.makedirs(os.path.join(root, "emptydir"))
    for top, dirs, names in os.walk(root):
        for n in dirs + names:
            os.utime(os.path.join(top, n), (1700000000, 1700000000))


def live_calls():
    """(label, function, args(tree)) for the live runtime functions of Agent Zero v1.7."""
    from api import (delete_work_dir_file, download_work_dir_file, edit_work_dir_file,
                     file_info, get_work_dir_files, rename_work_dir_file, upload_work_dir_files)
    from helpers import files, job_loop
    from plugins._code_execution.tools.code_execution_tool import make_dir
    from plugins._email_integration.helpers import attachment_reader, attachment_writer
    from plugins._promptinclude.helpers import scanner
    from plugins._text_editor.helpers import file_ops
    b64 = base64.b64encode(b"\x00\x01up").decode()
    return [
        ("get_work_dir_files.get_files", get_work_dir_files.get_files, lambda t: [t]),
        ("file_info.get_file_info", file_info.get_file_info, lambda t: [t + "/a.txt"]),
        ("file_info.get_file_info missing", file_info.get_file_info, lambda t: [t + "/no"]),
        ("edit_work_dir_file.load_file", edit_work_dir_file.load_file, lambda t: [t + "/B.md"]),
        ("edit_work_dir_file.load_file binary", edit_work_dir_file.load_file,
         lambda t: [t + "/bin.dat"]),
        ("edit_work_dir_file.save_file", edit_work_dir_file.save_file,
         lambda t: [t + "/new/saved.txt", "saved\n"]),
        ("rename_work_dir_file.create_folder", rename_work_dir_file.create_folder,
         lambda t: [t, "made"]),
        ("rename_work_dir_file.rename_item", rename_work_dir_file.rename_item,
         lambda t: [t + "/empty", "renamed"]),
        ("upload_work_dir_files.upload_file", upload_work_dir_files.upload_file,
         lambda t: [t + "/up", "f.bin", b64]),
        ("download_work_dir_file.fetch_file", download_work_dir_file.fetch_file,
         lambda t: [t + "/bin.dat"]),
        ("files.zip_dir + fetch_file", None, lambda t: [t + "/Zeta"]),
        ("delete_work_dir_file.delete_file", delete_work_dir_file.delete_file,
         lambda t: [t + "/sub"]),
        ("files.exists", files.exists, lambda t: [t + "/a.txt"]),
        ("files.read_file_base64", files.read_file_base64,
         lambda t: [t + "/utf8-\u00e9t\u00e9.txt"]),
        ("code_execution_tool.make_dir", make_dir, lambda t: [t + "/mk/a/b"]),
        ("file_ops.read_file", file_ops.read_file, lambda t: [t + "/utf8-\u00e9t\u00e9.txt"]),
        ("file_ops.file_info", file_ops.file_info, lambda t: [t + "/a.txt"]),
        ("file_ops.write_file", file_ops.write_file, lambda t: [t + "/w/x.txt", "one\ntwo\n"]),
        ("file_ops.apply_patch", file_ops.apply_patch,
         lambda t: [t + "/patch.txt", [{"from": 2, "to": 3, "content": "L2\nL3\n",
                                          "insert": False}]]),
        ("scanner.scan_promptinclude_files", scanner.scan_promptinclude_files,
         lambda t: {"root": t, "name_pattern": "*.promptinclude.md", "max_depth": 3,
                    "max_file_tokens": 1000, "max_file_count": 10,
                    "max_total_tokens": 5000, "gitignore": ""}),
        ("attachment_reader.read_attachment", attachment_reader.read_attachment,
         lambda t: [t + "/a.txt"]),
        ("attachment_writer.write_attachment", attachment_writer.write_attachment,
         lambda t: [t + "/att/x.bin", b64]),
        ("job_loop.pause_loop", job_loop.pause_loop, lambda t: []),
    ]


async def call(func, args):
    from helpers import files, runtime
    kwargs = args if isinstance(args, dict) else {}
    args = [] if isinstance(args, dict) else args
    t = time.perf_counter()
    try:
        if func is None:  # the download of a folder: a zip made by the runtime, then read
            from api.download_work_dir_file import fetch_file
            path = await runtime.call_development_function(files.zip_dir, *args)
            data = await runtime.call_development_function(fetch_file, path)
            import io
            import zipfile
            names = sorted(zipfile.ZipFile(io.BytesIO(base64.b64decode(data))).namelist())
            result = ("ok", names)
        else:
            result = ("ok", await runtime.call_development_function(func, *args, **kwargs))
    except Exception as e:  # the exception is part of the answer compared
        result = ("raise", type(e).__name__, str(e))
    return result, time.perf_counter() - t


def run_calls(tmp):
    from a0ipc.agent_zero import runtime_hook
    from helpers import runtime
    local, remote = os.path.join(tmp, "local"), os.path.join(tmp, "a0ipcd")
    scratch_tree(local)
    scratch_tree(remote)
    runtime_hook.uninstall()
    runtime.args["dockerized"] = "true"  # Agent Zero's own functions run in-process
    os.environ["A0IPC_AGENT_ZERO_HOOK"] = "on"

    def norm(v, tree):
        s = json.dumps(v, sort_keys=True, default=str)
        s = s.replace(tree[1:], "<T>").replace(tree, "<T>")
        return re.sub(r'"created": [0-9.]+', '"created": <ctime>', s)  # two trees, two times
    equal = 0
    steps = live_calls()
    for label, func, args in steps:
        a, ta = asyncio.run(call(func, args(local)))
        runtime_hook.install()
        b, tb = asyncio.run(call(func, args(remote)))
        runtime_hook.uninstall()
        same = norm(a, local) == norm(b, remote)
        equal += same
        print("%-40s %-5s local %7.1f ms  a0ipcd %7.1f ms  %s" % (
            label, "EQUAL" if same else "DIFF", ta * 1e3, tb * 1e3, norm(b, remote)[:100]))
        if not same:
            print("    local:  %s\n    a0ipcd: %s" % (norm(a, local)[:400], norm(b, remote)[:400]))
    print("%d/%d equal" % (equal, len(steps)))
    return 0 if equal == len(steps) else 1


def run_tools(names):
    import initialize
    from agent import AgentContext
    with open(TRANSCRIPTS, encoding="utf-8") as f:
        recorded = json.load(f)["runs"]["fast"]["scenarios"]
    names = names or list(recorded)

    async def scenario(name):
        agent = AgentContext(initialize.initialize_agent()).agent0
        for step in recorded[name]["steps"]:
            c = dict(step["call"])
            if "input" in c:
                tool_name, args = "input", {"keyboard": c["input"], "session": c["session"]}
            else:
                tool_name, args = "code_execution_tool", c
            tool = agent.get_tool(tool_name, None, args, "", None)
            if not type(tool).__module__.startswith("a0ipc."):
                raise SystemExit("the plugin did not provide %s" % tool_name)
            tool.log = tool.get_log_object()
            t = time.perf_counter()
            r = await tool.execute(**args)
            took = time.perf_counter() - t
            # a few recorded steps (the reset checks) carry no time of their own
            local = " (Agent Zero's local shell: %.2f s)" % step["elapsed"] \
                if "elapsed" in step else ""
            print("## %s %s: %.2f s%s\n   a0ipcd:   %r\n   recorded: %r"
                  % (name, json.dumps(args), took, local, r.message[:400], step["text"][:400]))

    async def all_of_them():
        from a0ipc.agent_zero import terminal
        try:
            for n in names:
                await scenario(n)
        finally:
            await terminal.close_client()
    asyncio.run(all_of_them())
    return 0


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("calls", "tools"):
        raise SystemExit(__doc__)
    az = os.path.abspath(sys.argv[1])
    if not os.path.isdir(os.path.join(az, "usr", "plugins", "a0ipc")):
        raise SystemExit("no a0ipc plugin in %s: run a0ipc agent-zero install %s" % (az, az))
    tmp = tempfile.mkdtemp(prefix="a0ipc-az-check-")
    daemon = Daemon(os.environ.get("A0IPCD", DEFAULT_A0IPCD), tmp)
    try:
        os.environ["HOME"] = daemon.home
        os.environ["A0_SET_workdir_path"] = os.path.join(tmp, "workdir")
        for pre in ("code_exec", "output"):
            for k, v in FAST.items():
                os.environ["A0_SET__code_execution__%s_%s_timeout" % (pre, k)] = str(v)
        os.chdir(az)
        sys.path.insert(0, az)
        sys.argv = [os.path.join(az, "run_ui.py")] + sys.argv[2:]
        from helpers import migration, settings  # noqa: F401 (loads usr/.env)
        daemon.settings()  # after usr/.env: this run's daemon
        migration.startup_migration()
        if sys.argv[1] == "calls":
            return run_calls(tmp)
        return run_tools(sys.argv[2].split(",") if len(sys.argv) > 2 else None)
    finally:
        daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
