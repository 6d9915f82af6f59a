"""The generated protobuf and grpc modules the package uses, by short names.

They are modules of the subpackage ``a0ipc._gen`` (its __init__ says where the build puts them);
nothing here touches sys.path.
"""
from a0ipc import _gen
from a0ipc._gen.a0.runtime.v1 import files_pb2, files_pb2_grpc, terminal_pb2, terminal_pb2_grpc
from a0ipc._gen.a0ipc_std.grpc.health.v1 import health_pb2, health_pb2_grpc

__all__ = ["files_pb2", "files_pb2_grpc", "terminal_pb2", "terminal_pb2_grpc", "health_pb2",
           "health_pb2_grpc", "SERVICE_FILES", "gen_dir"]

gen_dir = _gen.gen_dir

# The file descriptors of every service a client of a0ipcd calls, for policy.py.
SERVICE_FILES = (health_pb2.DESCRIPTOR, files_pb2.DESCRIPTOR, terminal_pb2.DESCRIPTOR)
