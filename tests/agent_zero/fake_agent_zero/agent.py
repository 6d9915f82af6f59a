"""Stand-in of Agent Zero's agent module: an Agent with ``data``, ``get_tool`` (extensible, as in
Agent Zero: tools/<name>.py of the plugins in order, else Unknown) and ``read_prompt`` (the
prompts/ folders of the enabled plugins; ``{{name}}`` placeholders; a prompt that is one fenced
JSON block loses its ``~~~json`` fences, as Agent Zero's read_prompt does)."""
import os
import re

from helpers import extension, plugins


class LoopData:
    pass


class Unknown:
    def __init__(self, agent, name, method, args, message, loop_data, **kwargs):
        self.agent, self.name, self.args = agent, name, args


class LogItem:
    """An entry of the chat's log (the web UI's item): type, heading, content, kvps."""

    def __init__(self, **kwargs):
        self.id = kwargs.pop("id", "")
        self.type = kwargs.get("type")
        self.heading = kwargs.get("heading", "")
        self.content = kwargs.get("content", "")
        self.kvps = kwargs.get("kvps")
        self.updates = []

    def update(self, **kwargs):
        self.updates.append(kwargs)
        for k in ("heading", "content", "kvps"):
            if k in kwargs and kwargs[k] is not None:
                setattr(self, k, kwargs[k])


class Log:
    def __init__(self):
        self.items = []

    def log(self, **kwargs):
        item = LogItem(**kwargs)
        self.items.append(item)
        return item


class AgentContext:
    def __init__(self):
        self.log = Log()


class Agent:
    def __init__(self, number=0, context=None):
        self.number = number
        self.agent_name = "A%d" % number
        self.data = {}
        self.context = context or AgentContext()
        self.history = []

    def hist_add_tool_result(self, tool_name, tool_result, **kwargs):
        self.history.append((tool_name, tool_result, kwargs))

    def get_data(self, field):
        return self.data.get(field)

    def set_data(self, field, value):
        self.data[field] = value

    @extension.extensible
    def get_tool(self, name, method, args, message, loop_data, **kwargs):
        return Unknown(agent=self, name=name, method=method, args=args, message=message,
                       loop_data=loop_data, **kwargs)

    def read_prompt(self, file, **kwargs):
        for d in plugins.get_enabled_plugin_paths(self, "prompts"):
            p = os.path.join(d, file)
            if os.path.isfile(p):
                with open(p, encoding="utf-8") as f:
                    text = f.read()
                for k, v in kwargs.items():
                    text = text.replace("{{%s}}" % k, str(v))
                fenced = re.fullmatch(r"\s*~~~json\n(.*\n)~~~\s*", text, re.S)
                return fenced.group(1) if fenced else text
        raise FileNotFoundError(file)
