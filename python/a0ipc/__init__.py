"""a0ipc for Python: Agent Zero's side of the a0ipc runtime daemon (a0ipcd).

- RuntimeClient: the Files and Terminal services over grpc.aio (client.py), with the typed API
  ``client.files`` and ``client.commands`` and its results (results.py: HealthStatus,
  EntryInfo, DirListing, WriteInfo, CommandResult) beside the low-level calls.
- GrpcInteractiveSession: a drop-in for Agent Zero's interactive shell sessions (shell.py).
- a0ipc.files (blocking) and a0ipc.files_async: the legacy helpers.rfc_files operations under
  their own names, with their results and exceptions, on a0ipcd or on the legacy RFC as the
  backend switch says (routing.py: A0IPC_BACKEND, A0IPC_CANARY_PERCENT).
- One table from gRPC status codes to Python exceptions (errors.py).

Only what needs grpc imports grpc, and only when first used, so the legacy side of the switch
works with the standard library alone.
"""
from typing import TYPE_CHECKING, Any

from a0ipc.errors import RuntimeError_
from a0ipc.results import (CommandExitError, CommandResult, DirListing, EntryInfo, FileType,
                           HealthStatus, WriteInfo)

__version__ = "0.2.0"
__all__ = ["RuntimeError_", "RuntimeClient", "connect", "ConnectionOptions",
           "GrpcInteractiveSession", "HealthStatus", "FileType", "EntryInfo", "DirListing",
           "WriteInfo", "CommandResult", "CommandExitError"]

if TYPE_CHECKING:  # what __getattr__ imports on first use, for type checkers
    from a0ipc.channel import ConnectionOptions
    from a0ipc.client import RuntimeClient, connect
    from a0ipc.shell import GrpcInteractiveSession

_LAZY = {
    "RuntimeClient": ("a0ipc.client", "RuntimeClient"),
    "connect": ("a0ipc.client", "connect"),
    "ConnectionOptions": ("a0ipc.channel", "ConnectionOptions"),
    "GrpcInteractiveSession": ("a0ipc.shell", "GrpcInteractiveSession"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError("module 'a0ipc' has no attribute %r" % name)
