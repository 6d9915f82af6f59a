"""a0ipc for Python: Agent Zero's side of the a0ipc runtime daemon (a0ipcd).

- RuntimeClient: the Files and Terminal services over grpc.aio (client.py).
- GrpcInteractiveSession: a drop-in for Agent Zero's interactive shell sessions (shell.py).
- One table from gRPC status codes to Python exceptions (errors.py).

Only what needs grpc imports grpc, and only when first used, so the legacy side of the switch
works with the standard library alone.
"""
from a0ipc.errors import RuntimeError_  # noqa: F401

__version__ = "0.1.0"

_LAZY = {
    "RuntimeClient": ("a0ipc.client", "RuntimeClient"),
    "connect": ("a0ipc.client", "connect"),
    "ConnectionOptions": ("a0ipc.channel", "ConnectionOptions"),
    "GrpcInteractiveSession": ("a0ipc.shell", "GrpcInteractiveSession"),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError("module 'a0ipc' has no attribute %r" % name)
