"""Builds the a0ipc wheel with the gRPC stubs of ../proto generated into a0ipc/_gen.

The stubs come from the same protoc invocations as cmake/A0ipcProto.cmake: every .proto under
proto/; those under proto/grpc/ with the module prefix a0ipc_std (a top-level package "grpc"
would shadow grpcio). The generator is the system's protoc + grpc_python_plugin (Debian:
protobuf-compiler, protobuf-compiler-grpc), else grpcio-tools when it is importable.
A0IPC_PROTO_DIR names another proto/ directory (a source tarball laid out differently).
"""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def proto_dir():
    d = os.environ.get("A0IPC_PROTO_DIR") or os.path.join(HERE, "..", "proto")
    if not os.path.isfile(os.path.join(d, "a0", "runtime", "v1", "files.proto")):
        raise SystemExit("a0ipc: the contract (proto/a0/runtime/v1/*.proto) was not found at %s; "
                         "build the package from an a0ipc checkout (pip install ./python) or "
                         "set A0IPC_PROTO_DIR" % os.path.abspath(d))
    return os.path.abspath(d)


def protoc_command():
    protoc, plugin = shutil.which("protoc"), shutil.which("grpc_python_plugin")
    if protoc and plugin:
        return [protoc, "--plugin=protoc-gen-grpc_python=" + plugin]
    try:
        import grpc_tools  # noqa: F401
    except ImportError:
        raise SystemExit("a0ipc: no protobuf compiler: install protobuf-compiler and "
                         "protobuf-compiler-grpc (Debian) or grpcio-tools (pip)")
    return [sys.executable, "-m", "grpc_tools.protoc"]


def generate(out):
    src = proto_dir()
    protos = sorted(os.path.relpath(p, src)
                    for p in glob.glob(os.path.join(src, "**", "*.proto"), recursive=True))
    own = [p for p in protos if not p.startswith("grpc" + os.sep)]
    std = ["a0ipc_std/" + p for p in protos if p.startswith("grpc" + os.sep)]
    os.makedirs(out, exist_ok=True)
    base = protoc_command() + ["--python_out=" + out, "--grpc_python_out=" + out]
    subprocess.run(base + ["-I" + src] + own, check=True, cwd=src)
    subprocess.run(base + ["--proto_path=a0ipc_std=" + src] + std, check=True, cwd=src)
    for d, _, _ in os.walk(out):  # regular packages, so the wheel lists every module
        open(os.path.join(d, "__init__.py"), "a").close()


class BuildWithStubs(build_py):
    def run(self):
        super().run()
        gen = os.path.abspath(os.path.join(self.build_lib, "a0ipc", "_gen"))
        shutil.rmtree(gen, ignore_errors=True)
        generate(gen)


setup(cmdclass={"build_py": BuildWithStubs})
