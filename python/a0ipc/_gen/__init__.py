"""The generated protobuf and grpc modules of proto/, as the subpackage ``a0ipc._gen``.

The stubs are generated at build time and never committed, so this file is the package's only
source: it points the package's ``__path__`` at the directory holding them, looked for in this
order:

1. ``$A0IPC_PYTHON_GEN/a0ipc/_gen``: A0IPC_PYTHON_GEN names the directory the build wrote them
   to (cmake: build/python; what ctest sets). An explicit setting is never second-guessed.
2. this package's own directory, where a wheel, the Debian package python3-a0ipc and
   ``cmake --install`` put them;
3. ``build/python/a0ipc/_gen`` of the source tree this package sits in (a developer's checkout).

protoc generates them through the virtual proto path ``a0ipc/_gen`` (cmake/A0ipcProto.cmake,
python/setup.py), so they import each other as ``a0ipc._gen.a0.runtime.v1...`` and
``a0ipc._gen.a0ipc_std.grpc...``, and nothing is ever put on sys.path: exactly one copy of each
module is loaded per process, as protobuf's descriptor pool requires (a second copy of one
.proto is refused).
"""
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
_PREFIX = os.path.join("a0ipc", "_gen")
_MARKER = os.path.join("a0", "runtime", "v1", "files_pb2.py")


def candidates() -> list:
    """The directories looked in, in order."""
    env = os.environ.get("A0IPC_PYTHON_GEN")
    if env:
        return [os.path.join(env, _PREFIX)]
    checkout = os.path.dirname(os.path.dirname(os.path.dirname(_HERE)))
    return [_HERE, os.path.join(checkout, "build", "python", _PREFIX)]


def gen_dir() -> str:
    """The directory holding the generated modules; ImportError saying how to get them."""
    tried = candidates()
    for d in tried:
        if os.path.isfile(os.path.join(d, _MARKER)):
            return os.path.abspath(d)
    raise ImportError(
        "a0ipc: the generated gRPC stubs were not found (looked in %s). Build the project "
        "(cmake -S . -B build && cmake --build build), install the package (pip install "
        "./python) or set A0IPC_PYTHON_GEN to the directory cmake wrote them to (build/python)."
        % ", ".join(tried))


__path__ = [gen_dir()]
