"""a0ipc inside Agent Zero v1.x: a user plugin that moves the agent's runtime work to a0ipcd.

Agent Zero (v1.x, the ``helpers/`` + ``plugins/`` layout) reaches its runtime two ways: its file
functions go through ``helpers.runtime.call_development_function`` (a remote function call over
HMAC-signed HTTP when it runs outside its container), and the code-execution tool drives shells
(a local PTY, or SSH). This subpackage replaces both without editing a file of Agent Zero:

- ``plugin/``: the files ``a0ipc agent-zero install`` copies to ``usr/plugins/a0ipc/`` of an
  Agent Zero checkout (Agent Zero's own plugin mechanism; an update of Agent Zero leaves
  ``usr/`` alone). Its extensions call :func:`runtime_hook.install` at start-up and hand the
  tools ``code_execution_tool`` and ``input`` to :mod:`code_execution`.
- :mod:`runtime_hook`: wraps ``helpers.runtime.call_development_function``; every call goes to
  :mod:`dispatch` by the called function's module path and name.
- :mod:`dispatch`: the table from Agent Zero function (``module.function``) to a typed
  implementation on a0ipcd's Files and Terminal services, or to the legacy RFC by the backend
  switch (``a0ipc.routing``); a function not in the table is refused, never run remotely.
- :mod:`code_execution`: the code-execution and input tools on a0ipcd's Terminal service.
- :mod:`install`: ``install`` / ``uninstall`` / ``status`` (``python -m a0ipc.agent_zero``).

docs/agent-zero.md is the operator's guide.
"""

PLUGIN_NAME = "a0ipc"
