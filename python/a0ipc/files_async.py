"""The legacy helpers.rfc_files operations for asyncio code, on the backend the switch picks.

Each function has the name of a legacy function without its underscore and "_impl"
(``_list_folder_impl`` -> ``list_folder``), its arguments, its result and its exceptions, so a
call site that awaited ``runtime.call_development_function(rfc_files._list_folder_impl, p)``
awaits ``files_async.list_folder(p)`` instead. Every function also takes a keyword-only
``routing_key`` (the agent id) for canary routing; routing.key() sets it for a whole block.

Where a call goes is decided per call by routing.py: legacy (rfc.py), gRPC (files_grpc.py on
a0ipcd), shadow (both; the legacy answer is returned and differences are counted and logged),
or canary by routing key. A gRPC call that a0ipcd did not process (UNAVAILABLE) is repeated on
legacy while A0IPC_FALLBACK allows it; then the client does not wait for a daemon that is not
up (A0IPC_WAIT_FOR_READY overrides). metrics.py counts all of it.

The functions below use the module's default FileHelpers, which builds its clients from the
environment (RuntimeClient.from_env, RfcClient): a RuntimeClient per event loop and connection
settings. For dependency
injection, make a FileHelpers with your own clients and call its methods.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import weakref
from typing import Any, Awaitable, Callable

from a0ipc import _loop, compare, errors, metrics, routing
from a0ipc.files_legacy import LegacyFiles

log = logging.getLogger("a0ipc")

# The helpers, with the arguments the legacy functions take (in the order Agent Zero passes).
NAMES = ("read_file_as_base64", "read_file_binary", "write_file_from_base64",
         "write_file_binary", "delete_file", "delete_folder", "list_folder", "make_dirs",
         "path_exists", "file_exists", "folder_exists", "get_subdirectories", "move_file",
         "zip_dir", "read_directory")


def _code(e):
    return e.code if isinstance(e, errors.RuntimeError_) else type(e).__name__


class FileHelpers:
    """The helpers over a gRPC client and a legacy RFC client.

    grpc_client: a RuntimeClient, or None to make one from the environment (read per call) for
    each event loop.
    legacy: a LegacyFiles (or an RfcClient to wrap), or None to use the environment (read per
    call).
    """

    def __init__(self, grpc_client: Any = None, legacy: Any = None):
        self._grpc_client = grpc_client
        # event loop -> {connection options -> RuntimeClient}: the environment is read per
        # call, like the flags, so a changed A0IPC_TARGET takes effect
        self._clients: weakref.WeakKeyDictionary[Any, dict] = weakref.WeakKeyDictionary()
        if legacy is not None and not isinstance(legacy, LegacyFiles):
            legacy = LegacyFiles(legacy)
        self._legacy = legacy

    # ---- the two sides ----

    def _grpc_files(self, f):
        from a0ipc.channel import ConnectionOptions  # grpc only when a call goes there
        from a0ipc.client import RuntimeClient
        from a0ipc.files_grpc import GrpcFiles
        client = self._grpc_client
        if client is None:
            # With a fallback, a daemon that is not there must fail fast (UNAVAILABLE) so that
            # legacy answers, rather than being waited for until the deadline.
            options = ConnectionOptions.from_env(
                **({} if os.environ.get("A0IPC_WAIT_FOR_READY") else
                   {"wait_for_ready": not f.fallback}))
            per_loop = self._clients.setdefault(asyncio.get_running_loop(), {})
            client = per_loop.get(options)
            if client is None:
                client = per_loop[options] = RuntimeClient(options=options)
        return GrpcFiles(client)

    def legacy(self):
        """The injected LegacyFiles, else one from the environment as it is now (it holds no
        connection: urllib opens one per call, as Agent Zero's aiohttp session did)."""
        return self._legacy if self._legacy is not None else LegacyFiles()

    async def _on_legacy(self, name, args):
        try:
            result = await asyncio.to_thread(self.legacy().call, name, *args)
        except Exception as e:
            metrics.inc("a0ipc_router_calls_total", backend="legacy", method=name, code=_code(e))
            raise
        metrics.inc("a0ipc_router_calls_total", backend="legacy", method=name, code="OK")
        return result

    async def _on_grpc(self, name, args, f):
        try:
            result = await getattr(self._grpc_files(f), name)(*args)
        except Exception as e:
            metrics.inc("a0ipc_router_calls_total", backend="grpc", method=name, code=_code(e))
            raise
        metrics.inc("a0ipc_router_calls_total", backend="grpc", method=name, code="OK")
        return result

    async def _call(self, name, args, routing_key):
        f = routing.flags()
        where = routing.choose(name, routing_key, f)
        if where == "legacy":
            return await self._on_legacy(name, args)
        if where == "grpc":
            try:
                return await self._on_grpc(name, args, f)
            except errors.Unavailable as e:
                if not f.fallback:
                    raise
                log.warning("a0ipc: %s on a0ipcd failed (%s); repeating it on legacy", name, e)
                metrics.inc("a0ipc_router_fallbacks_total", method=name)
                return await self._on_legacy(name, args)
        # shadow: both at once; the legacy answer is the answer
        return await compare.shadow(name, name, args, self._on_legacy(name, args),
                                    self._on_grpc(name, args, f))

    # ---- the helpers ----

    async def read_file_as_base64(self, path: str, *, routing_key: str | None = None) -> str:
        return await self._call("read_file_as_base64", (path,), routing_key)

    async def read_file_binary(self, path: str, *, routing_key: str | None = None) -> str:
        return await self._call("read_file_binary", (path,), routing_key)

    async def write_file_from_base64(self, path: str, content: str, *,
                                     routing_key: str | None = None) -> bool:
        return await self._call("write_file_from_base64", (path, content), routing_key)

    async def write_file_binary(self, path: str, b64_content: str, *,
                                routing_key: str | None = None) -> bool:
        return await self._call("write_file_binary", (path, b64_content), routing_key)

    async def delete_file(self, path: str, *, routing_key: str | None = None) -> bool:
        return await self._call("delete_file", (path,), routing_key)

    async def delete_folder(self, path: str, *, routing_key: str | None = None) -> bool:
        return await self._call("delete_folder", (path,), routing_key)

    async def list_folder(self, path: str, include_hidden: bool = False, *,
                          routing_key: str | None = None) -> list[dict[str, Any]]:
        return await self._call("list_folder", (path, include_hidden), routing_key)

    async def make_dirs(self, path: str, *, routing_key: str | None = None) -> bool:
        return await self._call("make_dirs", (path,), routing_key)

    async def path_exists(self, path: str, *, routing_key: str | None = None) -> bool:
        return await self._call("path_exists", (path,), routing_key)

    async def file_exists(self, path: str, *, routing_key: str | None = None) -> bool:
        return await self._call("file_exists", (path,), routing_key)

    async def folder_exists(self, path: str, *, routing_key: str | None = None) -> bool:
        return await self._call("folder_exists", (path,), routing_key)

    async def get_subdirectories(self, path: str, include: str | list[str] = "*",
                                 exclude: str | list[str] | None = None, *,
                                 routing_key: str | None = None) -> list[str]:
        return await self._call("get_subdirectories", (path, include, exclude), routing_key)

    async def move_file(self, source_path: str, destination_path: str, *,
                        routing_key: str | None = None) -> bool:
        return await self._call("move_file", (source_path, destination_path), routing_key)

    async def zip_dir(self, path: str, *, routing_key: str | None = None) -> str:
        return await self._call("zip_dir", (path,), routing_key)

    async def read_directory(self, path: str, *, routing_key: str | None = None) -> str:
        return await self._call("read_directory", (path,), routing_key)


IMPL_NAMES = {"_%s_impl" % n: n for n in NAMES}


class SharedLoopHelpers:
    """A FileHelpers' methods, run on the package's background loop from any event loop."""

    # Set per instance from the FileHelpers' methods of the same names (same signatures).
    read_file_as_base64: Callable[..., Awaitable[str]]
    read_file_binary: Callable[..., Awaitable[str]]
    write_file_from_base64: Callable[..., Awaitable[bool]]
    write_file_binary: Callable[..., Awaitable[bool]]
    delete_file: Callable[..., Awaitable[bool]]
    delete_folder: Callable[..., Awaitable[bool]]
    list_folder: Callable[..., Awaitable[list[dict[str, Any]]]]
    make_dirs: Callable[..., Awaitable[bool]]
    path_exists: Callable[..., Awaitable[bool]]
    file_exists: Callable[..., Awaitable[bool]]
    folder_exists: Callable[..., Awaitable[bool]]
    get_subdirectories: Callable[..., Awaitable[list[str]]]
    move_file: Callable[..., Awaitable[bool]]
    zip_dir: Callable[..., Awaitable[str]]
    read_directory: Callable[..., Awaitable[str]]

    def __init__(self, helpers: FileHelpers):
        self.helpers = helpers
        for name in NAMES:
            setattr(self, name, self._forward(getattr(helpers, name)))

    @staticmethod
    def _forward(method):
        @functools.wraps(method)
        async def call(*args, **kwargs):
            return await _loop.run_async(method(*args, **kwargs))
        return call

    async def call_impl(self, function_name: str, *args: Any, routing_key: str | None = None,
                        **kwargs: Any) -> Any:
        """The helper for a legacy function name ("_list_folder_impl"), for a hook where
        Agent Zero dispatches its development calls (docs/agent-zero.md). Keyword arguments
        keep their legacy names (include_hidden, include, exclude); others are a TypeError."""
        return await getattr(self, IMPL_NAMES[function_name])(*args, routing_key=routing_key,
                                                              **kwargs)


default = FileHelpers()
shared = SharedLoopHelpers(default)

call_impl = shared.call_impl
read_file_as_base64 = shared.read_file_as_base64
read_file_binary = shared.read_file_binary
write_file_from_base64 = shared.write_file_from_base64
write_file_binary = shared.write_file_binary
delete_file = shared.delete_file
delete_folder = shared.delete_folder
list_folder = shared.list_folder
make_dirs = shared.make_dirs
path_exists = shared.path_exists
file_exists = shared.file_exists
folder_exists = shared.folder_exists
get_subdirectories = shared.get_subdirectories
move_file = shared.move_file
zip_dir = shared.zip_dir
read_directory = shared.read_directory
