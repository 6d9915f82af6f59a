"""The code-execution and input tools on a0ipcd.

``take_over_get_tool(data)``: called at the start of Agent Zero's ``Agent.get_tool`` (an
``@extensible`` method) with its ``data`` dict (``args``, ``kwargs``, ``result``); for the tool
names ``code_execution_tool`` and ``input`` it sets ``data["result"]`` to an instance of this
module's tool class, constructed with the arguments Agent.get_tool got; any other tool is left
to Agent Zero.

The tools keep Agent Zero's arguments, settings and texts: the ``_code_execution`` plugin's
configuration (``helpers.plugins.get_plugin_config``: the ``code_exec_*`` / ``output_*``
timeouts and the dialog patterns) and its prompt files (``agent.read_prompt("fw.code.*.md")``)
are read on every call. Sessions are numbered per agent as in Agent Zero; each is a session on
a0ipcd (terminal.py). docs/agent-zero-terminal.md lists what the agent sees differently.

This module is imported inside Agent Zero (or its stand-in): the classes subclass
``helpers.tool.Tool`` of the running tree, made on first use.
"""
import shlex

from a0ipc import errors
from a0ipc.agent_zero import terminal

TOOL_NAMES = ("code_execution_tool", "input")
STATE_KEY = "_a0ipc_cet_state"  # agent.data: {session number: terminal.Session}
_GET_TOOL_ARGS = ("self", "name", "method", "args", "message", "loop_data")

_classes = {}  # helpers.tool.Tool class -> (CodeExecution, Input)


def tool_classes():
    from helpers.tool import Response, Tool
    made = _classes.get(Tool)
    if made is None:
        made = _classes[Tool] = _make_classes(Tool, Response)
    return made


def take_over_get_tool(data):
    args = list(data.get("args") or [])
    kwargs = dict(data.get("kwargs") or {})
    call = dict(zip(_GET_TOOL_ARGS, args))
    for k in _GET_TOOL_ARGS:
        if k in kwargs:
            call[k] = kwargs.pop(k)
    name = call.get("name")
    if name not in TOOL_NAMES:
        return None
    code_execution, input_tool = tool_classes()
    cls = code_execution if name == "code_execution_tool" else input_tool
    tool = cls(agent=call.get("self"), name=name, method=call.get("method"),
               args=call.get("args") or {}, message=call.get("message", ""),
               loop_data=call.get("loop_data"), **kwargs)
    data["result"] = tool
    return tool


def _plugin_config(agent):
    try:
        from helpers import plugins
        return plugins.get_plugin_config("_code_execution", agent=agent) or {}
    except Exception:  # settings unreadable: Agent Zero's defaults
        return {}


async def _work_dir(agent):
    """Agent Zero's ensure_cwd, as far as the running tree has it: the chat's project folder,
    else the workdir_path setting (made /a0-relative when inside Agent Zero's dir)."""
    path = None
    try:
        from helpers import projects
        name = projects.get_context_project_name(agent.context)
        if name:
            path = projects.get_project_folder(name)
    except Exception:
        pass
    if not path:
        try:
            from helpers import settings
            path = settings.get_settings().get("workdir_path")
        except Exception:
            path = None
    if not path:
        return None
    try:
        from helpers import files
        path = files.normalize_a0_path(path)
    except Exception:
        pass
    return path


def _make_classes(Tool, Response):

    class CodeExecution(Tool):
        """Agent Zero's code_execution_tool on a0ipcd."""

        async def execute(self, **kwargs):
            await _intervene(self.agent)
            runtime_arg = str(self.args.get("runtime", "")).lower().strip()
            session = int(self.args.get("session", 0))
            self.allow_running = bool(self.args.get("allow_running", False))
            reset = bool(self.args.get("reset", False) or runtime_arg == "reset")
            self.cfg = terminal.parse_config(_plugin_config(self.agent))
            self.prefix = ""
            self._t = None
            self._log_kind = None   # "follow", "guard", "info" (what the final log shows)
            self._guard_out = ""

            if runtime_arg == "python":
                code = self.args["code"]
                self.prefix = "python> " + self._short(code) + "\n\n"
                response = await self.terminal_session(
                    session, "ipython -c " + shlex.quote(code), reset)
            elif runtime_arg == "nodejs":
                code = self.args["code"]
                self.prefix = "node> " + self._short(code) + "\n\n"
                response = await self.terminal_session(
                    session, "node /exe/node_eval.js " + shlex.quote(code), reset)
            elif runtime_arg == "terminal":
                code = self.args["code"]
                self.prefix = "bash>" + self._short(code) + "\n\n"
                response = await self.terminal_session(session, code, reset)
            elif runtime_arg == "output":
                response = await self.get_output(session)
            elif runtime_arg == "reset":
                await self.prepare_state(True, session)
                response = self._term().info("reset")
                self._log_kind = "info"
            else:
                response = self.agent.read_prompt("fw.code.runtime_wrong.md",
                                                  runtime=runtime_arg)
            if not response:
                response = self._term().info("no_output")
            self._log_final(response)
            return Response(message=response, break_loop=False)

        # -- Agent Zero's log item and history --

        def get_log_object(self):
            import uuid
            return self.agent.context.log.log(type="code_exe", heading=self.get_heading(),
                                              content="", kvps=self.args, id=str(uuid.uuid4()))

        def get_heading(self, text=""):
            if not text:
                text = "%s - %s" % (self.name, self.args.get("runtime", "unknown"))
            if len(text) > 200:
                text = text[:200] + "..."
            session = self.args.get("session", None)
            session_text = "[%s] " % session if session or session == 0 else ""
            return "icon://terminal %s%s" % (session_text, text)

        async def after_execution(self, response, **kwargs):
            log = getattr(self, "log", None)
            add = getattr(self.agent, "hist_add_tool_result", None)
            if add is not None:
                add(self.name, response.message, id=log.id if log else "",
                    **(response.additional or {}))

        def heading_from_output(self, output, skip_lines=0, done=False):
            icon = " icon://done_all" if done else ""
            lines = output.splitlines() if output else []
            for i in range(len(lines) - skip_lines - 1, -1, -1):
                line = lines[i].strip()
                if line:
                    return self.get_heading(line) + icon
            return self.get_heading() + icon

        def _log(self, **kwargs):
            log = getattr(self, "log", None)
            if log is not None:
                log.update(**kwargs)

        def _log_start(self):
            self._log_kind = "follow"
            if self.prefix:
                self._log(content=self.prefix)

        def _log_final(self, response):
            kind, t = self._log_kind, self._t
            if kind == "follow" and t is not None and t.ending is not None:
                if t.ending == "exited":
                    self._log(content=self.prefix + response,
                              heading=self.heading_from_output(response, 1, True))
                elif t.ending == "no_output":
                    self._log(content=self.prefix + response)
                else:
                    self._log(content=self.prefix + response,
                              heading=self.heading_from_output(t.out, 0))
            elif kind == "guard":
                self._log(content=response, heading=self.heading_from_output(self._guard_out))
            elif kind is not None:
                self._log(content=response)

        def _short(self, command):
            short = " ".join(command[:250].split())
            try:
                from helpers import secrets
                short = secrets.get_secrets_manager(self.agent.context).mask_values(short)
            except Exception:
                pass
            return short if len(short) <= 100 else short[:100] + "..."

        # -- texts --

        def _prompt(self, name, **kwargs):
            return self.agent.read_prompt("fw.code.%s.md" % name, **kwargs)

        def _truncated(self, length):
            try:
                return self.agent.read_prompt("fw.msg_truncated.md", length=length)
            except Exception:
                return terminal.TRUNCATED_TEXT.replace("{{length}}", str(length))

        def _term(self):
            if self._t is None:
                self._t = terminal.Terminal(
                    self.cfg, self._prompt, self._truncated,
                    on_output=lambda text: self._log(
                        content=self.prefix + text, heading=self.heading_from_output(text)))
            return self._t

        # -- sessions --

        async def prepare_state(self, reset=False, session=None):
            shells = self.agent.get_data(STATE_KEY) or {}
            if reset and session is not None and session in shells:
                await shells.pop(session).close()
            elif reset and not session:
                for number in list(shells):
                    await shells.pop(number).close()
            if session is not None and (session not in shells or shells[session].id is None):
                s = terminal.Session(session, await _work_dir(self.agent))
                await s.open()
                shells[session] = s
            self.agent.set_data(STATE_KEY, shells)
            return shells

        async def _reopen(self, s):
            await s.close()
            await s.open()

        async def terminal_session(self, session, command, reset):
            shells = await self.prepare_state(reset, session)
            await _intervene(self.agent)
            s = shells[session]
            try:
                return await self._command(s, command)
            except errors.NotFound:
                await self._reopen(s)
                return self._term().lost_note(session) + await self._command(s, command)
            finally:
                await self._drop_if_ended(s)

        async def _drop_if_ended(self, s):
            if s.ended:
                shells = self.agent.get_data(STATE_KEY) or {}
                if shells.get(s.number) is s:
                    del shells[s.number]
                await s.close()

        async def _command(self, s, command):
            t = self._term()
            timeouts = self.cfg["code_exec_timeouts"]
            before = ""
            if s.running:
                info = await s.state()
                if info is None:
                    raise errors.NotFound("session %s" % s.id)
                raw, done = await t.unread(s, info, expect_done=info.state != 2)
                if done is not None and done.reason == 1:  # it ended meanwhile: show that
                    s.running = False
                    out = t.text(raw)
                    before = out + ("" if not out or out.endswith("\n") else "\n") + \
                        await s.prompt_line(done) + "\n"
                elif done is not None or info.state == 4:  # the shell has ended
                    s.running, s.ended = False, True
                    out = t.text(raw)
                    note = t.ended_note(s.number, done or info)
                    return (out + "\n\n" + note) if out else note
                elif not self.allow_running:
                    out = t.text(raw)
                    lines = out.splitlines()[-3:] if out else []
                    pats = self.cfg["dialog_patterns"]
                    if any(p.search(line.strip()) for line in lines for p in pats):
                        msg = t.info("pause_dialog", timeout=1)
                    else:
                        msg = t.info("running", session=s.number)
                    self._log_kind, self._guard_out = "guard", out
                    return (out + "\n\n" + msg) if out else msg
                else:  # input for the running command
                    if terminal.is_lone_control(command):
                        await terminal.client().write_input(s.id, command)
                    else:
                        await terminal.client().write_input(s.id, command + "\n")
                    self._log_start()
                    return await t.attach(s, timeouts, s.number, raw=raw)
            if terminal.is_lone_control(command):
                return before + t.idle_note(s.number)
            self._log_start()
            return before + await t.run(s, command, timeouts, s.number)

        async def get_output(self, session):
            shells = await self.prepare_state(False, session)
            s = shells[session]
            t = self._term()
            try:
                info = await s.state()
                if info is None:
                    raise errors.NotFound("session %s" % s.id)
                self._log_kind = "info"
                if s.running:
                    if info.state == 2:
                        self._log_start()
                        return await t.attach(s, self.cfg["output_timeouts"], session)
                    raw, done = await t.unread(s, info, expect_done=True)
                    out = t.text(raw)
                    if done is not None and done.reason == 1:
                        s.running = False
                        self._log_kind, t.ending, t.out = "follow", "exited", out
                        return out + ("" if not out or out.endswith("\n") else "\n") + \
                            await s.prompt_line(done)
                    s.running, s.ended = False, True
                    note = t.ended_note(session, done or info)
                    return (out + "\n\n" + note) if out else note
                raw, _ = await t.unread(s, info, expect_done=False)
                if raw:
                    return t.text(raw)
                return t.idle_note(session)
            except errors.NotFound:
                await self._reopen(s)
                return t.lost_note(session)
            finally:
                await self._drop_if_ended(s)

    class Input(Tool):
        """Agent Zero's input tool: the keyboard text typed into the session's terminal."""

        async def execute(self, keyboard="", **kwargs):
            keyboard = str(keyboard).rstrip()
            session = int(self.args.get("session", 0))
            args = {"runtime": "terminal", "code": keyboard, "session": session,
                    "allow_running": True}
            cet = CodeExecution(self.agent, "code_execution_tool", "", args, self.message,
                                self.loop_data)
            cet.log = getattr(self, "log", None)
            return await cet.execute(**args)

        def get_log_object(self):
            import uuid
            return self.agent.context.log.log(
                type="code_exe",
                heading="icon://keyboard %s: Using tool '%s'" % (self.agent.agent_name, self.name),
                content="", kvps=self.args, id=str(uuid.uuid4()))

        async def after_execution(self, response, **kwargs):
            log = getattr(self, "log", None)
            add = getattr(self.agent, "hist_add_tool_result", None)
            if add is not None:
                add(self.name, response.message, id=log.id if log else "",
                    **(response.additional or {}))

    return CodeExecution, Input


async def _intervene(agent):
    handle = getattr(agent, "handle_intervention", None)
    if handle is not None:
        await handle()
