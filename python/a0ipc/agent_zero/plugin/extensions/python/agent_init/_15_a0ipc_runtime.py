# Loaded by Agent Zero for every new agent: installs the runtime hook when the process did not
# run startup_migration (another entry point than run_ui.py). Installing twice is a no-op.
from helpers.extension import Extension

from a0ipc.agent_zero import runtime_hook


class A0ipcRuntimeHook(Extension):
    def execute(self, **kwargs):
        runtime_hook.install()
