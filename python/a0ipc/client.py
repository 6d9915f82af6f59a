"""RuntimeClient: a0ipcd's Files and Terminal services for asyncio code (grpc.aio).

One object per daemon target. Every call gets the C library's default deadline for its method
unless it passes ``timeout`` (policy.py), is retried by the channel only when the .proto says it
may be, waits for a daemon that is not up yet (up to that deadline) and fails with the Python
exception of errors.py, never a raw grpc error.

A terminal session lives in one daemon. The C library pins a session to the address that
answered its CreateSession; grpc.aio (1.51) does not say which address answered a call, so this
client cannot: give it a target that names one daemon when it runs terminal sessions (several
addresses are fine for Files, whose calls are balanced round_robin).

The client belongs to the event loop it is first used in (grpc.aio's rule).

Two levels: ``client.files`` and ``client.commands`` (client_files.py, client_commands.py) are
the E2B-shaped API with typed results (results.py); the methods of the class itself are the
low-level calls, one per RPC, returning the protobuf messages of the .proto (health() excepted:
a HealthStatus). The raw grpc stubs are files_stub() and terminal_stub().
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence

import grpc

from a0ipc import _proto, errors, policy
from a0ipc.channel import ConnectionOptions, open_channel, per_call_metadata
from a0ipc.client_commands import Commands
from a0ipc.client_files import Files
from a0ipc.results import HealthStatus, _enum

fpb = _proto.files_pb2
tpb = _proto.terminal_pb2
hpb = _proto.health_pb2

CHUNK = 1 << 20  # upload chunk: well under the 4 MiB message limit


def _is_poller_wakeup(context):
    return (isinstance(context.get("exception"), BlockingIOError)
            and "PollerCompletionQueue" in repr(context.get("handle")))


def _quiet_poller_wakeups():
    """grpc.aio (before grpc/grpc#36096) wakes every event loop of the process for each event
    of its one completion queue; the loops that lose the race log a harmless BlockingIOError
    from PollerCompletionQueue._handle_events. Agent Zero runs several loops (the synchronous
    helpers run one more), so on a loop that has no exception handler of its own, those
    messages alone are dropped."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if loop.get_exception_handler() is not None:
        return

    def handler(loop, context):
        if not _is_poller_wakeup(context):
            loop.default_exception_handler(context)
    loop.set_exception_handler(handler)


class Stream:
    """A server stream (Read, Archive, Watch, Run, Attach): iterate it for the responses; cancel
    it to stop early. Errors arrive as the exceptions of errors.py."""

    def __init__(self, call: Any):
        self._call = call

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        try:
            async for response in self._call:
                yield response
        except grpc.aio.AioRpcError as e:
            raise errors.from_rpc_error(e) from None
        except grpc.aio.UsageError:
            return  # cancelled by us while the iteration was pending

    def cancel(self) -> None:
        self._call.cancel()

    def cancelled(self) -> bool:
        return self._call.cancelled()


class RuntimeClient:
    """Files and Terminal of one a0ipcd (or a balanced set of them).

    ``RuntimeClient(target, ca_file=..., cert_file=..., key_file=..., server_name=...,
    token=... or token_file=..., insecure=...)`` or ``RuntimeClient.from_env()``; use it as an
    async context manager or call ``await close()``.

    ``files`` (client_files.Files) and ``commands`` (client_commands.Commands): the typed API.
    """

    files: Files
    commands: Commands

    def __init__(self, target: str | None = None, *, options: ConnectionOptions | None = None,
                 **kwargs: Any):
        if options is None:
            options = ConnectionOptions(**kwargs) if target is None else \
                ConnectionOptions(target=target, **kwargs)
        elif target is not None or kwargs:
            raise TypeError("give options or keyword settings, not both")
        self.options = options
        self._channel = None
        self._metadata = per_call_metadata(options)
        self.files = Files(self)
        self.commands = Commands(self)

    @classmethod
    def from_env(cls, **overrides: Any) -> "RuntimeClient":
        return cls(options=ConnectionOptions.from_env(**overrides))

    # ---- plumbing ----

    @property
    def channel(self) -> grpc.aio.Channel:
        if self._channel is None:
            _quiet_poller_wakeups()
            self._channel = open_channel(self.options)
        return self._channel

    async def close(self) -> None:
        ch, self._channel = self._channel, None
        if ch is not None:
            await ch.close()

    async def __aenter__(self) -> "RuntimeClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def _kw(self, method: str, request: Any = None, timeout: float | None = None) -> dict:
        return {"timeout": policy.deadline(method, request, timeout),
                "metadata": self._metadata or None,
                "wait_for_ready": self.options.wait_for_ready}

    # The raw grpc stubs on this client's channel (no deadlines, retries or exception mapping
    # of their own). Named *_stub because ``files`` is the typed namespace.
    def files_stub(self) -> Any:
        return _proto.files_pb2_grpc.FilesStub(self.channel)

    def terminal_stub(self) -> Any:
        return _proto.terminal_pb2_grpc.TerminalStub(self.channel)

    async def _unary(self, stub_method: Any, method: str, request: Any,
                     timeout: float | None) -> Any:
        try:
            return await stub_method(request, **self._kw(method, request, timeout))
        except grpc.aio.AioRpcError as e:
            raise errors.from_rpc_error(e) from None

    def _stream(self, stub_method: Any, method: str, request: Any,
                timeout: float | None) -> Stream:
        return Stream(stub_method(request, **self._kw(method, request, timeout)))

    # ---- Health ----

    async def health(self, service: str = "", *, timeout: float | None = None) -> HealthStatus:
        """The serving status of the daemon or of one service ("a0.runtime.v1.Files"); a
        service the daemon does not know is errors.NotFound. An IntEnum: it still equals the
        number of HealthCheckResponse.ServingStatus."""
        stub = _proto.health_pb2_grpc.HealthStub(self.channel)
        r = await self._unary(stub.Check, "/grpc.health.v1.Health/Check",
                              hpb.HealthCheckRequest(service=service), timeout)
        return _enum(HealthStatus, r.status)

    # ---- Files ----

    async def stat(self, path: str, follow_symlinks: bool = False, *,
                   timeout: float | None = None) -> Any:
        """A FileInfo of path."""
        r = await self._unary(self.files_stub().Stat, "/a0.runtime.v1.Files/Stat",
                              fpb.StatRequest(path=path, follow_symlinks=follow_symlinks),
                              timeout)
        return r.info

    async def list_dir(self, path: str, depth: int = 1, include_hidden: bool = False, *,
                       timeout: float | None = None) -> Any:
        """The ListDirResponse (entries sorted by lower-cased name, truncated flag)."""
        return await self._unary(self.files_stub().ListDir, "/a0.runtime.v1.Files/ListDir",
                                 fpb.ListDirRequest(path=path, depth=depth,
                                                    include_hidden=include_hidden), timeout)

    def read_stream(self, path: str, offset: int = 0, length: int = 0, *,
                    timeout: float | None = None) -> Stream:
        """ReadResponse chunks of a file (at most 1 MiB each)."""
        return self._stream(self.files_stub().Read, "/a0.runtime.v1.Files/Read",
                            fpb.ReadRequest(path=path, offset=offset, length=length), timeout)

    async def read(self, path: str, offset: int = 0, length: int = 0, *,
                   timeout: float | None = None) -> bytes:
        """A file's content (or the range) as bytes."""
        parts = [m.data async for m in self.read_stream(path, offset, length, timeout=timeout)]
        return b"".join(parts)

    async def write(self, path: str,
                    data: bytes | bytearray | memoryview | Iterable[bytes] | AsyncIterable[bytes],
                    *, mode: int = 0, create_parents: bool = False, overwrite: int | None = None,
                    expected_size: int | None = None, expected_sha256: bytes = b"",
                    timeout: float | None = None) -> Any:
        """Uploads data (bytes, or an iterable / async iterable of bytes) to path, visible
        atomically once complete. Returns the WriteResponse (bytes_written, sha256)."""
        header = fpb.WriteHeader(path=path, mode=mode, create_parents=create_parents,
                                 overwrite=overwrite or fpb.OVERWRITE_POLICY_REPLACE,
                                 expected_sha256=expected_sha256)
        if expected_size is not None:
            header.expected_size = expected_size

        async def messages():
            yield fpb.WriteRequest(header=header)
            if isinstance(data, (bytes, bytearray, memoryview)):
                view = memoryview(data)
                for i in range(0, len(view), CHUNK):
                    yield fpb.WriteRequest(data=bytes(view[i:i + CHUNK]))
            elif hasattr(data, "__aiter__"):
                async for chunk in data:
                    yield fpb.WriteRequest(data=chunk)
            else:
                for chunk in data:
                    yield fpb.WriteRequest(data=chunk)

        return await self._unary(self.files_stub().Write, "/a0.runtime.v1.Files/Write", messages(),
                                 timeout)

    async def remove(self, path: str, *, recursive: bool = False, missing_ok: bool = False,
                     type: int = 0, timeout: float | None = None) -> bool:
        """Deletes path; False when it was missing and missing_ok is set. ``type`` (a FileType)
        makes the call refuse any other kind of object."""
        r = await self._unary(self.files_stub().Remove, "/a0.runtime.v1.Files/Remove",
                              fpb.RemoveRequest(path=path, recursive=recursive,
                                                missing_ok=missing_ok, type=type), timeout)
        return r.removed

    async def make_dir(self, path: str, *, mode: int = 0, parents: bool = False,
                       exist_ok: bool = False, timeout: float | None = None) -> bool:
        """Creates a directory; False when it existed already (exist_ok)."""
        r = await self._unary(self.files_stub().MakeDir, "/a0.runtime.v1.Files/MakeDir",
                              fpb.MakeDirRequest(path=path, mode=mode, parents=parents,
                                                 exist_ok=exist_ok), timeout)
        return r.created

    async def move(self, source: str, destination: str, *, overwrite: bool = False,
                   create_parents: bool = False, timeout: float | None = None) -> bool:
        """Renames source to destination; True when it had to be copied across file systems."""
        r = await self._unary(self.files_stub().Move, "/a0.runtime.v1.Files/Move",
                              fpb.MoveRequest(source=source, destination=destination,
                                              overwrite=overwrite,
                                              create_parents=create_parents), timeout)
        return r.copied

    def archive_stream(self, path: str, format: int = 0, include_base_name: bool = False, *,
                       timeout: float | None = None) -> Stream:
        """ArchiveResponse chunks of a ZIP (default) or tar.gz of a directory."""
        return self._stream(self.files_stub().Archive, "/a0.runtime.v1.Files/Archive",
                            fpb.ArchiveRequest(path=path, format=format,
                                               include_base_name=include_base_name), timeout)

    async def archive(self, path: str, format: int = 0, include_base_name: bool = False, *,
                      timeout: float | None = None) -> bytes:
        """The whole archive as bytes."""
        parts = [m.data async for m in self.archive_stream(path, format, include_base_name,
                                                           timeout=timeout)]
        return b"".join(parts)

    def watch(self, path: str, recursive: bool = False, *,
              timeout: float | None = None) -> Stream:
        """WatchResponse batches of changes under path, READY first, until cancelled."""
        return self._stream(self.files_stub().Watch, "/a0.runtime.v1.Files/Watch",
                            fpb.WatchRequest(path=path, recursive=recursive), timeout)

    # ---- Terminal ----

    async def create_session(self, argv: Sequence[str] = (), cwd: str = "",
                             env: Mapping[str, str] | None = None, rows: int = 0, cols: int = 0,
                             idle_ttl_seconds: int = 0, *, timeout: float | None = None) -> Any:
        """Starts a shell; the CreateSessionResponse (session_id, pid, exact_completion)."""
        req = tpb.CreateSessionRequest(argv=list(argv), cwd=cwd or "", env=env or {}, rows=rows,
                                       cols=cols, idle_ttl_seconds=idle_ttl_seconds)
        return await self._unary(self.terminal_stub().CreateSession,
                                 "/a0.runtime.v1.Terminal/CreateSession", req, timeout)

    def run(self, session_id: str, command: str, *,
            timeouts: Any = None, dialog_patterns: Sequence[str] = (),
            clean_output: bool = False, timeout: float | None = None) -> Stream:
        """Types command into an idle session: a Stream of RunResponse (Output..., Done).
        timeouts: a RunTimeouts or a dict of its fields (milliseconds)."""
        if isinstance(timeouts, dict):
            timeouts = tpb.RunTimeouts(**timeouts)
        req = tpb.RunRequest(session_id=session_id, command=command, timeouts=timeouts,
                             dialog_patterns=list(dialog_patterns), clean_output=clean_output)
        return self._stream(self.terminal_stub().Run, "/a0.runtime.v1.Terminal/Run", req,
                            timeout)

    def attach(self, session_id: str, from_seq: int = 0, from_end: bool = False, *,
               timeout: float | None = None) -> Stream:
        """A Stream of AttachResponse (Output, Lost, Done) from the offset from_seq."""
        req = tpb.AttachRequest(session_id=session_id, from_seq=from_seq, from_end=from_end)
        return self._stream(self.terminal_stub().Attach, "/a0.runtime.v1.Terminal/Attach",
                            req, timeout)

    async def write_input(self, session_id: str, data: bytes | str, *,
                          timeout: float | None = None) -> None:
        """Types bytes (or text, as UTF-8) into the session's terminal."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        await self._unary(self.terminal_stub().Write, "/a0.runtime.v1.Terminal/Write",
                          tpb.WriteInputRequest(session_id=session_id, data=data), timeout)

    async def resize(self, session_id: str, rows: int, cols: int, *,
                     timeout: float | None = None) -> None:
        await self._unary(self.terminal_stub().Resize, "/a0.runtime.v1.Terminal/Resize",
                          tpb.ResizeRequest(session_id=session_id, rows=rows, cols=cols), timeout)

    async def signal(self, session_id: str, signal: int, target: int = 0, *,
                     timeout: float | None = None) -> int:
        """Sends a signal (a number) to the foreground group or the whole session."""
        r = await self._unary(self.terminal_stub().Signal, "/a0.runtime.v1.Terminal/Signal",
                              tpb.SignalRequest(session_id=session_id, signal=int(signal),
                                                target=target), timeout)
        return r.count

    async def close_session(self, session_id: str, grace_ms: int = 0, *,
                            timeout: float | None = None) -> Any:
        """Ends the session and all its processes; the CloseSessionResponse."""
        return await self._unary(self.terminal_stub().CloseSession,
                                 "/a0.runtime.v1.Terminal/CloseSession",
                                 tpb.CloseSessionRequest(session_id=session_id,
                                                         grace_ms=grace_ms), timeout)

    async def list_sessions(self, *, timeout: float | None = None) -> list[Any]:
        r = await self._unary(self.terminal_stub().ListSessions,
                              "/a0.runtime.v1.Terminal/ListSessions",
                              tpb.ListSessionsRequest(), timeout)
        return list(r.sessions)

    async def exec(self, argv: Sequence[str], *, cwd: str = "",
                   env: Mapping[str, str] | None = None, stdin: bytes = b"", timeout_ms: int = 0,
                   max_output_bytes: int = 0, timeout: float | None = None) -> Any:
        """Runs a program without a terminal; the ExecResponse (stdout, stderr, exit code)."""
        req = tpb.ExecRequest(argv=list(argv), cwd=cwd, env=env or {}, stdin_data=stdin,
                              timeout_ms=timeout_ms, max_output_bytes=max_output_bytes)
        return await self._unary(self.terminal_stub().Exec, "/a0.runtime.v1.Terminal/Exec", req,
                                 timeout)


@contextlib.asynccontextmanager
async def connect(**kwargs: Any) -> AsyncIterator[RuntimeClient]:
    """``async with a0ipc.connect(target=...) as client:`` — a RuntimeClient that is closed
    afterwards."""
    client = RuntimeClient(**kwargs) if kwargs else RuntimeClient.from_env()
    try:
        yield client
    finally:
        await client.close()
