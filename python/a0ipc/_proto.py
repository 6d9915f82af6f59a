"""The generated protobuf and grpc modules of proto/, found where the build put them.

The stubs are generated at build time (cmake/A0ipcProto.cmake writes them to build/python) and
never committed, so this package cannot import them by a fixed relative path. They are looked
for, in this order:

1. the directory named by A0IPC_PYTHON_GEN (what ctest and installations set);
2. ``_gen`` inside this package (where an installation may copy build/python's content);
3. ``build/python`` of the source tree this package sits in (a developer's checkout).

The directory holds the top-level packages ``a0`` (a0.runtime.v1) and ``a0ipc_std`` (the standard
grpc.* protos under a prefix, so they do not collide with grpcio's own ``grpc`` package). It is
put on sys.path once, so exactly one copy of each generated module is ever loaded: two copies of
one .proto in a process would clash in protobuf's descriptor pool.
"""
import importlib
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_MARKER = os.path.join("a0", "runtime", "v1", "files_pb2.py")


def _candidates():
    env = os.environ.get("A0IPC_PYTHON_GEN")
    if env:
        return [env]  # an explicit setting is never second-guessed
    return [os.path.join(_HERE, "_gen"),
            os.path.join(os.path.dirname(os.path.dirname(_HERE)), "build", "python")]


def gen_dir():
    """The directory holding the generated modules; ImportError saying how to get them."""
    tried = _candidates()
    for d in tried:
        if os.path.isfile(os.path.join(d, _MARKER)):
            return os.path.abspath(d)
    raise ImportError(
        "a0ipc: the generated gRPC stubs were not found (looked in %s). Build the project "
        "(cmake -S . -B build && cmake --build build) or set A0IPC_PYTHON_GEN to the directory "
        "cmake wrote them to (build/python)." % ", ".join(tried))


def _load(name):
    d = gen_dir()
    if d not in sys.path:
        sys.path.insert(0, d)
    return importlib.import_module(name)


files_pb2 = _load("a0.runtime.v1.files_pb2")
files_pb2_grpc = _load("a0.runtime.v1.files_pb2_grpc")
terminal_pb2 = _load("a0.runtime.v1.terminal_pb2")
terminal_pb2_grpc = _load("a0.runtime.v1.terminal_pb2_grpc")
health_pb2 = _load("a0ipc_std.grpc.health.v1.health_pb2")
health_pb2_grpc = _load("a0ipc_std.grpc.health.v1.health_pb2_grpc")

# The file descriptors of every service a client of a0ipcd calls, for policy.py.
SERVICE_FILES = (health_pb2.DESCRIPTOR, files_pb2.DESCRIPTOR, terminal_pb2.DESCRIPTOR)
