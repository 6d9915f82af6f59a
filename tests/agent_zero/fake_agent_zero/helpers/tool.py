"""Stand-in of Agent Zero's helpers.tool: Response and the Tool base class."""
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
