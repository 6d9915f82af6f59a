"""The code-execution and input tools on a0ipcd, against Agent Zero's recorded transcripts.

The plugin is installed into a stand-in Agent Zero tree; the tools are got through
``agent.get_tool`` (the plugin's extension takes them over) and run against a real a0ipcd whose
sessions run bash with a plain home. Every scenario of ``runs.fast`` of
tests/fixtures/agent-zero/terminal_transcripts.json is replayed with the fast run's timeouts
(8/5/20/2 s, through the _code_execution plugin's config.json) and each step's text compared
with what Agent Zero's own tool returned, after ``normalize``: it applies only the differences
docs/agent-zero-terminal.md lists (the last line, machine-dependent values). Where a0ipc does
better than Agent Zero (the same document's list of improvements), the step's expected text is
spelled out in IMPROVED, with the reason.

The 20 base scenarios were recorded one after another on one agent (their prompts show the cwd
the previous scenario left), so they run in that order on one agent here; each x_ scenario runs
on an agent of its own, concurrently.
"""
import asyncio
import json
import os
import re
import shutil
import statistics
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from az_term_support import TermEnv, transcripts  # noqa: E402

BASE_COUNT = 20
# The recording waited before these steps (the output the step is about arrives ~7 s after
# the command, the previous step returned at 5 s).
WAIT_BEFORE = {("x_guard_sees_dialog", 1): 3.0, ("x_guard_finished_output_dropped", 1): 3.0}

PAUSE5 = ("[SYSTEM: Returning control to agent after 5 seconds since last output update. "
          "Process might be still running. Check previous outputs and decide whether to reset "
          "and continue or wait for more output is needed.] ")
IDLE0 = ("[SYSTEM: Terminal session 0 is idle: no command is running and there is no new "
         "output.] ")
ENDED3 = ("[SYSTEM: The shell of terminal session 3 has ended (exit code 0). The next call on "
          "this session starts a new shell in the work directory.] ")

# scenario -> {step index: (expected normalized text, why)}: the documented improvements.
IMPROVED = {
    "x_fake_prompt_early_return": {
        0: ("\nuser@host:/x$\nreal-end<PROMPT 0 $WORKDIR>",
            "exact completion: a prompt-looking output line does not end the wait"),
        1: (IDLE0, "output on an idle session answers at once"),
    },
    "x_multi_line_command": {
        0: ("\none\ntwo<PROMPT 0 $WORKDIR>", "a multi-line command returns after all its lines"),
        1: (IDLE0, "output on an idle session answers at once"),
    },
    "x_output_on_idle_session": {
        1: (IDLE0, "output on an idle session answers at once, not after the first-output "
                   "timeout"),
    },
    "x_ctrl_c_via_input": {
        1: ("<PROMPT 130 $WORKDIR>", "Ctrl-C through input interrupts the command (exit 130)"),
        2: (IDLE0, "nothing runs after the interrupt"),
    },
    "x_guard_finished_output_dropped": {
        1: ("fin<PROMPT 0 $WORKDIR>\n\nnext<PROMPT 0 $WORKDIR>",
            "the busy guard shows the output and exit status of a command that ended after "
            "the previous call returned, then runs the new command"),
    },
    "x_shell_exit": {
        0: ("\nexit\n\n\n" + ENDED3, "the shell's end is detected and said"),
        1: ("\nafter-exit<PROMPT 0 $WORKDIR>", "the next call starts a new shell"),
        2: ("\nafter-exit-2<PROMPT 0 $WORKDIR>", "the next call starts a new shell"),
    },
}


def normalize_recorded(text):
    text = re.sub(r"\(venv\) \$PROMPT:([^\n]*?)#", lambda m: "<PROMPT ? %s>" % m.group(1), text)
    return re.sub(r"\n?<PROMPT", "<PROMPT", text)


def normalize_mine(text, workdir):
    text = text.replace(workdir, "$WORKDIR")
    text = re.sub(r"\(exit (\d+)\) [^\s@]+@[^\s:]+:([^\n]*?)[$#](?=\n|$)",
                  lambda m: "<PROMPT %s %s>" % (m.group(1), m.group(2)), text)
    text = re.sub(r"\n?<PROMPT", "<PROMPT", text)
    text = re.sub(r"(?m)^\[(\d+)\] \d+$", r"[\1] PID", text)
    return text


def drop_exit(text):
    """The recorded text has no exit status: compare without it."""
    return re.sub(r"<PROMPT \d+ ", "<PROMPT ? ", text)


def job_notices_out(text):
    """bash's job-control notices (a0ipcd's shell has job control; Agent Zero's had none)."""
    return re.sub(r"(?m)^\[\d+\][+-]? +(Done|Exit \d+|Terminated|Killed)\b.*\n", "", text)


def proc_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def procs_with_cmdline(needle):
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if needle in f.read().replace(b"\0", b" ").decode("utf-8", "replace"):
                        if proc_alive(int(d)):
                            found.append(int(d))
            except OSError:
                pass
    return found


class Scenarios(unittest.TestCase):
    """All 47 recorded scenarios, replayed once (setUpClass); the tests read the results."""

    @classmethod
    def setUpClass(cls):
        cls.env = TermEnv()
        cls.data = transcripts()["runs"]["fast"]["scenarios"]
        cls.results = {}   # name -> [(text or None, elapsed)]
        cls.checks = {}    # name -> what a "check" step found
        cls.logs = {}      # (name, step) -> the step's log item
        # the harness pid of the recorded commands: 9 digits, so no counted output line is it
        cls.marker = str(900000000 + os.getpid())
        t0 = time.monotonic()
        try:
            asyncio.run(cls._replay())
        except BaseException:
            cls.env.close()
            raise
        cls.total = time.monotonic() - t0

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    @classmethod
    async def _replay(cls):
        names = list(cls.data)
        base, extra = names[:BASE_COUNT], names[BASE_COUNT:]
        sem = asyncio.Semaphore(8)

        async def base_run():
            agent = cls.env.agent()
            for name in base:
                await cls._scenario(name, agent)

        async def extra_run(name):
            async with sem:
                await cls._scenario(name, cls.env.agent())

        # IPython starts slowly on a loaded machine (its first output must come within the
        # between-output timeout, 5 s here, as in Agent Zero): those run after the others
        slow = [n for n in extra if any(st["call"].get("runtime") == "python"
                                        for st in cls.data[n]["steps"])]
        try:
            await asyncio.gather(base_run(), *[extra_run(n) for n in extra if n not in slow])
            for name in slow:
                await cls._scenario(name, cls.env.agent())
        finally:
            from a0ipc.agent_zero import terminal
            await terminal.close_client()

    @classmethod
    async def _scenario(cls, name, agent):
        from a0ipc.agent_zero.code_execution import STATE_KEY
        out = cls.results[name] = []
        for i, step in enumerate(cls.data[name]["steps"]):
            call = step["call"]
            if "check" in call:
                if name == "reset_kills_children":
                    cls.checks[name] = procs_with_cmdline("sleep 1234" + cls.marker)
                elif name == "x_reset_leaves_shell":
                    pid = cls.checks.pop("_shell_pid")
                    await asyncio.sleep(1.0)
                    cls.checks[name] = (pid, proc_alive(pid))
                out.append((None, 0.0))
                continue
            call = json.loads(json.dumps(call).replace("PID", cls.marker))
            if os.environ.get("AGENT_ZERO_SRC") and "code" in call:  # x_nodejs_eval_script
                call["code"] = call["code"].replace("$A0_SRC", os.environ["AGENT_ZERO_SRC"])
            await asyncio.sleep(WAIT_BEFORE.get((name, i), 0))
            if name == "x_reset_leaves_shell" and call.get("runtime") == "reset":
                cls.checks["_shell_pid"] = agent.get_data(STATE_KEY)[4].pid
            t = time.monotonic()
            log = None
            try:
                text = await cls.env.call(agent, call)
                log = agent.context.log.items[-1]
            except Exception as e:  # recorded as a failure of the step
                text = "EXCEPTION %r" % e
            out.append((text, time.monotonic() - t))
            cls.logs[(name, i)] = log

    def mine(self, name, i):
        text, _ = self.results[name][i]
        return normalize_mine(text, self.env.workdir)

    # -- the comparison of every step --

    def test_all_scenarios(self):
        skipped = {"x_nodejs_eval_script"} if not os.environ.get("AGENT_ZERO_SRC") else set()
        exact = documented = 0
        for name, scen in self.data.items():
            if name in skipped:
                continue
            same = True
            for i, step in enumerate(scen["steps"]):
                if "check" in step["call"]:
                    continue
                with self.subTest(scenario=name, step=i):
                    got = self.mine(name, i)
                    if name in IMPROVED and i in IMPROVED[name]:
                        same = False
                        self.assertEqual(got, IMPROVED[name][i][0], IMPROVED[name][i][1])
                        continue
                    rec = normalize_recorded(step["text"])
                    if "summary" in step and rec.startswith("<"):
                        self.assertIn(name, ("x_utf8_chunk_split",))
                        same = False
                        continue  # test_utf8_not_split
                    if name == "env_path":
                        same = False
                        self.assertRegex(got, r"^\nUSER=\S+\n.*/ipython\n.*/python3\nTERM=\S+"
                                              r"<PROMPT 0 \$WORKDIR>$")
                        continue
                    if name == "x_tty_facts":
                        same = False
                        self.assertTrue(got.startswith("\n50 100\n/dev/pts/"), got)
                        self.assertIn("LANG=C.UTF-8 LC_ALL=\nnon-login\ninteractive\n-echo"
                                      "<PROMPT 0 $WORKDIR>", got)
                        continue
                    if name == "x_nodejs_eval_script":
                        rec = rec.replace("$A0_SRC", os.environ["AGENT_ZERO_SRC"])
                    if name == "max_time_then_reset" and i == 0:
                        # how many lines a 1 s loop prints in 20 s is timing (Agent Zero's
                        # first read comes 0.5 s late): 19 there, 20 here
                        got, rec = (re.sub(r"(x\n)+", "x...\n", v) for v in (got, rec))
                        same = False
                    if job_notices_out(got) != got:
                        same = False
                        got = job_notices_out(got)
                    self.assertEqual(drop_exit(got), rec)
            exact += same
            documented += not same
        print("\nscenarios: %d compared (%d same after the prompt line, %d with documented "
              "differences), %d not run; replay %.1f s"
              % (exact + documented, exact, documented, len(skipped), self.total),
              file=sys.stderr)

    def test_log_heading_and_content(self):
        """The log item (web UI) of every step whose text is Agent Zero's: the same heading and
        the same content (the log prefix, then the text)."""
        compared = 0
        for name, scen in self.data.items():
            if name in IMPROVED or name in ("env_path", "x_tty_facts", "x_nodejs_eval_script",
                                            "x_utf8_chunk_split"):
                continue
            for i, step in enumerate(scen["steps"]):
                if "check" in step["call"] or "heading" not in step:
                    continue
                with self.subTest(scenario=name, step=i):
                    log = self.logs[(name, i)]
                    heading = normalize_mine(log.heading, self.env.workdir)
                    if (name, i) == ("ansi_cr", 0):
                        # the last line is a line of its own (documented difference 1), so
                        # the output's own last line is the heading, not the line before it
                        self.assertEqual(heading, "icon://terminal [0] no-newline "
                                                  "icon://done_all")
                    else:
                        self.assertEqual(heading, step["heading"])
                    if "log_prefix" in step:
                        content = drop_exit(job_notices_out(normalize_mine(
                            log.content.replace(self.marker, "PID"), self.env.workdir)))
                        rec = normalize_recorded(step["log_prefix"] + step["text"])
                        if name == "max_time_then_reset":
                            content, rec = (re.sub(r"(x\n)+", "x...\n", v)
                                            for v in (content, rec))
                        self.assertEqual(content, rec)
                    compared += 1
        self.assertGreater(compared, 50)

    # -- the improvements, one by one --

    def test_exact_completion_is_immediate(self):
        # Agent Zero's poll made each of these >= 0.5 s; here they end when a0ipcd says so
        # (the replay runs 9 scenarios at once, so single figures vary: the median is checked;
        # Sessions.test_echo_latency measures without load)
        names = ("exit3", "py_terminal", "state", "x_stderr_only", "x_no_output_command",
                 "stderr", "unicode", "x_cd_env_persistence")
        # The figures are printed (bench/bench_agent_zero.py measures them); what is asserted is
        # the ending: each call ended on a0ipcd's Done (the exit line), not on a timeout.
        times = [self.results[n][0][1] for n in names]
        print("\nshort commands during the replay: %s s"
              % " ".join("%.3f" % t for t in times), file=sys.stderr)
        for n in names:
            self.assertRegex(self.mine(n, 0), r"<PROMPT \d+ [^>]*>$", n)
            self.assertNotIn("[SYSTEM:", self.mine(n, 0), n)

    def test_exit_code_shown(self):
        self.assertTrue(self.mine("exit3", 0).endswith("\nout<PROMPT 3 $WORKDIR>"))
        self.assertIn("<PROMPT 2 ", self.mine("stderr", 0))
        self.assertIn("<PROMPT 1 $WORKDIR>", self.mine("x_python_exception", 0))

    def test_prompt_looking_output_does_not_end_the_wait(self):
        self.assertEqual(self.mine("x_fake_prompt_early_return", 0),
                         IMPROVED["x_fake_prompt_early_return"][0][0])

    def test_multi_line_command_returns_after_all_lines(self):
        self.assertEqual(self.mine("x_multi_line_command", 0),
                         IMPROVED["x_multi_line_command"][0][0])
        self.assertGreater(self.results["x_multi_line_command"][0][1], 1.9)  # the sleep 2

    def test_busy_guard_keeps_late_output(self):
        self.assertEqual(self.mine("x_guard_finished_output_dropped", 1),
                         IMPROVED["x_guard_finished_output_dropped"][1][0])

    def test_ctrl_c_via_input_interrupts(self):
        self.assertEqual(self.mine("x_ctrl_c_via_input", 1), "<PROMPT 130 $WORKDIR>")

    def test_utf8_not_split(self):
        text = self.results["x_utf8_chunk_split"][0][0]
        self.assertEqual(text.count("\u00e9"), 5000)
        self.assertEqual(text.count("\u20ac"), 3000)
        self.assertNotIn("\ufffd", text)

    def test_reset_kills_background_job(self):
        self.assertEqual(self.checks["reset_kills_children"], [])

    def test_reset_kills_the_shell(self):
        pid, alive = self.checks["x_reset_leaves_shell"]
        self.assertFalse(alive, "bash %d survived the reset" % pid)

    def test_dialog_answer_shows_only_the_answer(self):
        self.assertEqual(self.mine("dialog", 1), "hello bob<PROMPT 0 /tmp>")


class Units(unittest.TestCase):
    """Agent Zero's cleaning, on the recorded input/output pairs."""

    def setUp(self):
        sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
        from a0ipc.agent_zero import terminal
        self.t = terminal
        self.units = transcripts()["units"]

    def test_clean_string_pairs(self):
        for pair in self.units["clean_string"]:
            with self.subTest(raw=pair["raw"]):
                self.assertEqual(self.t.clean_string(pair["raw"]), pair["clean"])

    def test_fix_full_output_pairs(self):
        for pair in self.units["fix_full_output"]:
            with self.subTest(text=pair["in"]):
                self.assertEqual(self.t.fix_full_output(pair["in"]), pair["out"])

    def test_truncation(self):
        text = "a" * 600000 + "b" * 600000
        out = self.t.fix_full_output(text)
        self.assertEqual(len(out), 1000000)
        placeholder = "<<\n200000 CHARACTERS REMOVED TO SAVE SPACE\n>>"
        self.assertIn(placeholder, out)
        head = (1000000 - len(placeholder)) // 2
        self.assertEqual(out[:head], "a" * head)
        self.assertTrue(out.endswith("b" * (1000000 - len(placeholder) - head)))
        self.assertEqual(self.t.fix_full_output("x" * 1000000), "x" * 1000000)


class TakeOver(unittest.TestCase):
    """get_tool as Agent Zero's agent loop calls it (keywords) and positionally."""

    def setUp(self):
        from az_support import AgentZeroTree
        self.tree = AgentZeroTree()
        self.addCleanup(self.tree.close)

    def test_get_tool_hands_out_a0ipc_tools(self):
        agent = self.tree.module("agent").Agent(0)
        Tool = self.tree.module("helpers.tool").Tool
        t = agent.get_tool(name="code_execution_tool", method=None,
                           args={"runtime": "terminal", "code": "true"}, message="m",
                           loop_data=None)
        self.assertEqual((type(t).__name__, t.name, t.args["code"], t.message),
                         ("CodeExecution", "code_execution_tool", "true", "m"))
        self.assertIsInstance(t, Tool)
        t = agent.get_tool("input", None, {"keyboard": "y"}, "", None)
        self.assertEqual(type(t).__name__, "Input")
        self.assertIsInstance(t, Tool)
        t = agent.get_tool(name="response", method=None, args={}, message="", loop_data=None)
        self.assertEqual(type(t).__name__, "Unknown")


class Sessions(unittest.TestCase):
    """Daemon restart, reset of a busy session, Ctrl-C, timing: each on a fresh daemon."""

    def setUp(self):
        self.env = TermEnv()
        self.addCleanup(self.env.close)

    def call(self, agent, **call):
        return self.env.call(agent, call)

    def test_restart_recovery(self):
        env = self.env

        async def before():
            a = env.agent()
            text = await self.call(a, runtime="terminal", session=0, code="cd /tmp; echo one")
            busy = await self.call(a, runtime="terminal", session=1, code="sleep 60")
            from a0ipc.agent_zero import terminal
            await terminal.close_client()
            return a, text, busy
        agent, text, busy = asyncio.run(before())
        self.assertTrue(text.startswith("\none\n(exit 0) "), text)
        self.assertIn("seconds since last output update", busy)
        # a new daemon on the same socket path
        sock = env.daemon.unix[len("unix:"):]
        env.daemon.stop()
        env.daemon = _daemon_at(sock, os.path.join(env.tmp, "root"))
        self.addCleanup(shutil.rmtree, os.path.dirname(sock), True)

        async def after():
            from a0ipc.agent_zero import terminal
            try:
                t1 = await self.call(agent, runtime="terminal", session=0, code="echo two; pwd")
                t2 = await self.call(agent, runtime="terminal", session=0, code="echo three")
                t3 = await self.call(agent, runtime="output", session=1)
                t4 = await self.call(agent, runtime="terminal", session=1, code="echo four")
                return t1, t2, t3, t4
            finally:
                await terminal.close_client()
        t1, t2, t3, t4 = asyncio.run(after())
        self.assertTrue(t3.startswith("[SYSTEM: Terminal session 1 was lost"), t3)
        self.assertTrue(t4.startswith("\nfour\n(exit 0) "), t4)
        note = "[SYSTEM: Terminal session 0 was lost"
        self.assertTrue(t1.startswith(note), t1)
        self.assertIn("\ntwo\n%s\n(exit 0) " % env.workdir, t1)
        self.assertNotIn("might be still running", t1)
        self.assertTrue(t2.startswith("\nthree\n(exit 0) "), t2)

    def test_reset_kills_jobs_and_running_loop(self):
        env = self.env
        marker = "4321%d" % os.getpid()

        async def go():
            from a0ipc.agent_zero import terminal
            from a0ipc.agent_zero.code_execution import STATE_KEY
            a = env.agent()
            try:
                await self.call(a, runtime="terminal", session=0,
                                code="sleep %s & echo bg" % marker)
                shell = a.get_data(STATE_KEY)[0].pid
                loop = "while true; do sleep 0.2; done; echo loop%s" % marker
                t = await self.call(a, runtime="terminal", session=0, code=loop)
                self.assertIn("seconds since last output update", t)
                self.assertTrue(procs_with_cmdline("sleep " + marker))
                r = await self.call(a, runtime="reset", session=0)
                self.assertEqual(r, "[SYSTEM: Terminal session has been reset.] ")
                await asyncio.sleep(0.3)
                self.assertEqual(procs_with_cmdline("sleep " + marker), [])
                self.assertFalse(proc_alive(shell))
                t = await self.call(a, runtime="terminal", session=0, code="echo fresh")
                self.assertTrue(t.startswith("\nfresh\n(exit 0) "), t)
            finally:
                await terminal.close_client()
        asyncio.run(go())

    def test_ctrl_c_via_input(self):
        env = self.env

        async def go():
            from a0ipc.agent_zero import terminal
            a = env.agent()
            try:
                t = await self.call(a, runtime="terminal", session=0,
                                    code="sleep 30; echo not-reached")
                self.assertIn("seconds since last output update", t)
                tool = env.tool(a, "input", {"keyboard": "\x03", "session": 0})
                t = (await tool.execute(keyboard="\x03", session=0)).message
                # interrupted: the sleep did not run out (it would take 30 s and print)
                self.assertRegex(t, r"^\n?\(exit 130\) ")
                self.assertNotIn("not-reached", t)
                t = await self.call(a, runtime="terminal", session=0, code="echo alive")
                self.assertTrue(t.startswith("\nalive\n(exit 0) "), t)
            finally:
                await terminal.close_client()
        asyncio.run(go())

    def test_output_printed_while_idle_is_shown(self):
        env = self.env

        async def go():
            from a0ipc.agent_zero import terminal
            a = env.agent()
            try:
                await self.call(a, runtime="terminal", session=0, code="(sleep 0.5; echo late) &")
                await asyncio.sleep(1.5)
                t = await self.call(a, runtime="terminal", session=0, code="echo now")
                self.assertTrue(t.startswith("late\n\nnow\n(exit 0) "), t)
                await self.call(a, runtime="terminal", session=0, code="(sleep 0.5; echo late2) &")
                await asyncio.sleep(1.5)
                t = await self.call(a, runtime="output", session=0)
                self.assertEqual(t, "late2\n")
                t = await self.call(a, runtime="terminal", session=0, code="kill -9 $$")
                self.assertIn("[SYSTEM: The shell of terminal session 0 has ended (signal 9).", t)
                t = await self.call(a, runtime="terminal", session=0, code="echo after")
                self.assertTrue(t.startswith("\nafter\n(exit 0) "), t)
            finally:
                await terminal.close_client()
        asyncio.run(go())

    def test_large_output_is_cut_and_fast(self):
        env = self.env

        async def go():
            from a0ipc.agent_zero import terminal
            a = env.agent()
            try:
                t0 = time.monotonic()
                t = await self.call(a, runtime="terminal", session=0, code="seq 1 300000")
                return t, time.monotonic() - t0
            finally:
                await terminal.close_client()
        text, took = asyncio.run(go())
        print("\nseq 1 300000 through the tool: %.2f s" % took, file=sys.stderr)
        self.assertTrue(text.startswith("\n1\n2\n3\n"), text[:20])
        self.assertRegex(text, r"<<\n\d+ CHARACTERS REMOVED TO SAVE SPACE\n>>")
        self.assertRegex(text, r"\n300000\n\(exit 0\) \S+$")

    def test_echo_latency(self):
        env = self.env

        async def go():
            from a0ipc.agent_zero import terminal
            a = env.agent()
            try:
                t0 = time.monotonic()
                await self.call(a, runtime="terminal", session=0, code="true")
                self.first = time.monotonic() - t0
                times = []
                for _ in range(20):
                    t0 = time.monotonic()
                    t = await self.call(a, runtime="terminal", session=0, code="echo hello")
                    times.append(time.monotonic() - t0)
                    self.assertTrue(t.startswith("\nhello\n(exit 0) "), t)
                return times
            finally:
                await terminal.close_client()
        times = asyncio.run(go())
        med = statistics.median(times)
        print("\necho hello, tool call to result: median %.1f ms, min %.1f, max %.1f "
              "(Agent Zero local: ~510 ms); first call with the shell's start %.0f ms "
              "(Agent Zero: ~1860 ms)" % (med * 1e3, min(times) * 1e3, max(times) * 1e3,
                                         self.first * 1e3), file=sys.stderr)

    def test_prompt_line_cwd_comes_with_the_done(self):
        # The last line shows where the shell is (the physical path: a symlink is resolved, as
        # /proc shows it) from a0ipcd's Done: after the session's one user@host Exec, a command
        # costs no call besides its Run.
        env = self.env
        real = os.path.join(env.tmp, "real dir")
        os.makedirs(real)
        os.symlink(real, os.path.join(env.tmp, "link"))

        async def go():
            from a0ipc import client as client_mod
            from a0ipc.agent_zero import terminal
            execs = []
            orig = client_mod.RuntimeClient.exec

            async def counted(self_, argv, *a, **kw):
                execs.append(list(argv))
                return await orig(self_, argv, *a, **kw)
            client_mod.RuntimeClient.exec = counted
            a = env.agent()
            try:
                first = await self.call(a, runtime="terminal", session=0, code="echo first")
                at_start = list(execs)  # the session's set-up: its work dir, user@host
                texts = [await self.call(a, runtime="terminal", session=0,
                                         code="cd %s/link" % env.tmp),
                         await self.call(a, runtime="terminal", session=0, code="echo hi")]
                return first, texts, at_start, execs
            finally:
                client_mod.RuntimeClient.exec = orig
                await terminal.close_client()
        first, texts, at_start, execs = asyncio.run(go())
        self.assertRegex(first, r"\(exit 0\) [^@]+@[^:]+:%s[#$]$" % re.escape(env.workdir))
        for t in texts:
            self.assertRegex(t, r"\(exit 0\) [^@]+@[^:]+:%s[#$]$" % re.escape(real))
        self.assertEqual(execs, at_start)  # nothing per command
        self.assertNotIn("readlink", repr(execs))


class ShellReadOutput(unittest.TestCase):
    """a0ipc.shell.GrpcInteractiveSession (the drop-in session class): read_output with
    reset_full_output=True keeps output that arrived but was not read yet (it came back as
    Agent Zero's "No output returned" before)."""

    def setUp(self):
        self.env = TermEnv()
        self.addCleanup(self.env.close)

    def test_reset_full_output_keeps_unread_output(self):
        from a0ipc.client import RuntimeClient
        from a0ipc.shell import GrpcInteractiveSession

        async def go():
            async with RuntimeClient.from_env() as c:
                s = GrpcInteractiveSession(c, argv=["bash"], env={"HOME": self.env.home})
                await s.connect()
                try:
                    await s.send_command("echo hello")
                    await s.wait(timeout=10, final=True)
                    full, partial = await s.read_output(timeout=1, reset_full_output=True)
                    self.assertEqual((full, partial), ("hello\n", "hello\n"))
                    full, partial = await s.read_output(timeout=0, reset_full_output=True)
                    self.assertEqual(full, "")
                finally:
                    await s.close()
        asyncio.run(go())


def _daemon_at(sock, root):
    """An a0ipcd listening on a given unix socket path (the restart test's 'same address')."""
    import subprocess
    import tempfile
    from az_support import Daemon
    from support import wait_ready_file, env_path
    d = Daemon.__new__(Daemon)
    d.dir = tempfile.mkdtemp(prefix="a0ipc-pyd-")
    d.unix = "unix:" + sock
    ready = os.path.join(d.dir, "ready")
    d.log_path = os.path.join(d.dir, "a0ipcd.log")
    d.log = open(d.log_path, "w+")
    try:
        os.unlink(sock)
    except OSError:
        pass
    os.makedirs(os.path.dirname(sock), exist_ok=True)
    d.proc = subprocess.Popen([env_path("A0IPCD", "the daemon"), "--listen", d.unix,
                               "--ready-file", ready, "--root", root, "--log-calls", "false",
                               "--shutdown-grace-ms", "1000"], stderr=d.log)
    wait_ready_file(d.proc, ready, "a0ipcd", d.log_path)
    d.tcp = None
    return d


if __name__ == "__main__":
    unittest.main()
