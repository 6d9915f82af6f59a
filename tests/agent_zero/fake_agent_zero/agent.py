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


class Agent:
    def __init__(self, number=0):
        self.number = number
        self.agent_name = "A%d" % number
        self.data = {}

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
