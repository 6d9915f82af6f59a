"""Stand-in of Agent Zero's helpers.tool: Response and the Tool base class (with the hooks the
agent loop calls around execute: before_execution makes the log item, after_execution adds the
result to the history)."""
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any


@dataclass
class Response:
    message: str
    break_loop: bool
    additional: dict[str, Any] | None = None


class Tool:
    def __init__(self, agent, name, method, args, message, loop_data, **kwargs):
        self.agent = agent
        self.name = name
        self.method = method
        self.args = args
        self.loop_data = loop_data
        self.message = message
        self.progress = ""

    @abstractmethod
    async def execute(self, **kwargs) -> Response:
        pass

    async def set_progress(self, content):
        self.progress = content or ""

    def add_progress(self, content):
        if content:
            self.progress += content

    async def before_execution(self, **kwargs):
        self.log = self.get_log_object()

    async def after_execution(self, response, **kwargs):
        self.agent.hist_add_tool_result(self.name, response.message.strip(), id=self.log.id)
        self.log.update(content=response.message.strip())

    def get_log_object(self):
        heading = "icon://construction %s: Using tool '%s'" % (self.agent.agent_name, self.name)
        return self.agent.context.log.log(type="tool", heading=heading, content="",
                                          kvps=self.args, id=str(len(self.agent.context.log.items)))
