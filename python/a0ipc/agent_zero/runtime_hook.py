"""Agent Zero's runtime calls, taken over at one point.

Every live runtime call of Agent Zero v1.x is ``await runtime.call_development_function(func,
*args, **kwargs)`` through the module attribute (``helpers/runtime.py``); the blocking
``call_development_function_sync`` calls it through the module too. Replacing that one attribute
therefore reaches every call site, and no file of Agent Zero is edited. The replacement names
the call as Agent Zero's own RFC would (the module path of the function's file relative to the
Agent Zero directory, and the function's name) and hands it to :mod:`a0ipc.agent_zero.dispatch`,
which serves it on a0ipcd, sends it over the legacy RFC, or refuses it.

It replaces the function in both of Agent Zero's modes: in development mode (a host checkout,
where the original would send an RFC) and dockerized mode (where it would run the function in
the framework's own process, which is the wrong machine once the runtime is a0ipcd).
"""
import os
from pathlib import Path

_MARK = "_a0ipc_hook"


def module_of(func):
    """The module path Agent Zero's RFC gives ``func``: its file relative to the Agent Zero
    directory, without the suffix, joined with dots (``__module__`` is not what it uses:
    plugins are imported under other names)."""
    filename = func.__code__.co_filename
    try:
        from helpers import files
        rel = files.deabsolute_path(filename)
    except ImportError:  # outside Agent Zero (unit tests of this module)
        rel = filename
    return ".".join(Path(rel).with_suffix("").parts)


def installed():
    """True when this process's ``helpers.runtime`` is already routed through a0ipc."""
    from helpers import runtime
    return bool(getattr(runtime.call_development_function, _MARK, False))


def install():
    """Route ``helpers.runtime.call_development_function`` through the dispatch. Idempotent;
    ``A0IPC_AGENT_ZERO_HOOK=off`` in Agent Zero's environment leaves Agent Zero's own function
    in place (the way back without uninstalling)."""
    from helpers import runtime
    if installed() or os.environ.get("A0IPC_AGENT_ZERO_HOOK", "").strip().lower() == "off":
        return False
    from a0ipc.agent_zero import dispatch

    original = runtime.call_development_function

    async def call_development_function(func, *args, **kwargs):
        return await dispatch.call(func, module_of(func), func.__name__, list(args), kwargs)

    setattr(call_development_function, _MARK, True)
    call_development_function.__wrapped__ = original
    call_development_function.__doc__ = original.__doc__
    runtime.call_development_function = call_development_function
    return True


def uninstall():
    """Put Agent Zero's own function back (tests; a running process that is switched back)."""
    from helpers import runtime
    current = runtime.call_development_function
    if getattr(current, _MARK, False):
        runtime.call_development_function = current.__wrapped__
