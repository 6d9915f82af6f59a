# Loaded by Agent Zero's extension mechanism (usr/plugins/a0ipc): routes its runtime calls to
# a0ipcd from the start of the process, before any agent exists.
from helpers.extension import Extension

from a0ipc.agent_zero import runtime_hook


class A0ipcRuntimeHook(Extension):
    def execute(self, **kwargs):
        runtime_hook.install()
