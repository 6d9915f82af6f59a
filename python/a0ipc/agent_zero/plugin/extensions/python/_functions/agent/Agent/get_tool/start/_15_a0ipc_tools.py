# Agent.get_tool is extensible: setting data["result"] hands the agent our tool instead of the
# built-in one, without shadowing the _code_execution plugin (its prompts and settings stay).
from helpers.extension import Extension

from a0ipc.agent_zero import code_execution


class A0ipcTools(Extension):
    def execute(self, data=None, **kwargs):
        if data is not None:
            code_execution.take_over_get_tool(data)
