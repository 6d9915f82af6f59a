"""What the RuntimeClient's calls return, as typed Python objects rather than protobuf messages
or bare numbers: the enums of the contract as IntEnums (they still compare equal to the numbers
of the .proto) and frozen dataclasses built from the responses.

This module needs no grpc or protobuf import: the ``from_proto`` constructors read the
messages' fields by name, so a caller that only looks at results never loads the stubs.
"""
from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Any, Iterator, Sequence, overload

__all__ = ["HealthStatus", "FileType", "EntryInfo", "DirListing", "WriteInfo",
           "CommandResult", "CommandExitError"]


class HealthStatus(enum.IntEnum):
    """grpc.health.v1.HealthCheckResponse.ServingStatus."""

    UNKNOWN = 0
    SERVING = 1
    NOT_SERVING = 2
    SERVICE_UNKNOWN = 3  # only Watch answers it; Check says NOT_FOUND instead


class FileType(enum.IntEnum):
    """a0.runtime.v1.FileType, without its prefix."""

    UNSPECIFIED = 0
    FILE = 1
    DIR = 2
    SYMLINK = 3
    OTHER = 4


def _enum(cls: type[enum.IntEnum], value: int) -> Any:
    # A number a newer daemon sends that this package does not know yet stays a plain int
    # instead of failing the whole call.
    try:
        return cls(value)
    except ValueError:
        return value


@dataclasses.dataclass(frozen=True)
class EntryInfo:
    """One file, directory or other object (a0.runtime.v1.FileInfo). ``name`` and ``path`` are
    the daemon's text (invalid UTF-8 replaced); ``raw_path`` the path's exact bytes when they
    are not UTF-8, else empty. ``path`` is relative to the daemon's Files root."""

    name: str
    path: str
    type: FileType
    size: int
    mode: int
    mtime_ns: int
    ctime_ns: int
    symlink_target: str | None = None
    raw_path: bytes = b""

    @classmethod
    def from_proto(cls, info: Any) -> "EntryInfo":
        return cls(name=info.name, path=info.path, type=_enum(FileType, info.type),
                   size=info.size, mode=info.mode, mtime_ns=info.mtime_ns,
                   ctime_ns=info.ctime_ns, symlink_target=info.symlink_target or None,
                   raw_path=info.raw_path)

    @property
    def is_dir(self) -> bool:
        return self.type == FileType.DIR

    @property
    def is_file(self) -> bool:
        return self.type == FileType.FILE

    @property
    def modified(self) -> datetime.datetime:
        """mtime_ns as an aware UTC datetime."""
        return datetime.datetime.fromtimestamp(self.mtime_ns / 1e9, datetime.timezone.utc)


@dataclasses.dataclass(frozen=True)
class DirListing(Sequence[EntryInfo]):
    """A directory's entries (a0.runtime.v1.ListDirResponse), sorted by lower-cased name as the
    daemon sends them; a sequence of EntryInfo. ``truncated``: the daemon stopped at its entry
    limit, so this is not all of it."""

    entries: tuple[EntryInfo, ...]
    truncated: bool = False

    @classmethod
    def from_proto(cls, response: Any) -> "DirListing":
        return cls(entries=tuple(EntryInfo.from_proto(e) for e in response.entries),
                   truncated=response.truncated)

    @overload
    def __getitem__(self, i: int) -> EntryInfo: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[EntryInfo]: ...

    def __getitem__(self, i):
        return self.entries[i]

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[EntryInfo]:
        return iter(self.entries)

    def names(self) -> list[str]:
        return [e.name for e in self.entries]


@dataclasses.dataclass(frozen=True)
class WriteInfo:
    """A completed upload (a0.runtime.v1.WriteResponse) of ``path``."""

    path: str
    bytes_written: int
    sha256: bytes

    @classmethod
    def from_proto(cls, path: str, response: Any) -> "WriteInfo":
        return cls(path=path, bytes_written=response.bytes_written, sha256=response.sha256)

    @property
    def sha256_hex(self) -> str:
        return self.sha256.hex()


class CommandExitError(Exception):
    """A command run with ``check=True`` exited unsuccessfully (non-zero status, a signal or
    its time limit). ``result`` is its CommandResult, output included."""

    def __init__(self, result: "CommandResult"):
        super().__init__(result.describe())
        self.result = result


@dataclasses.dataclass(frozen=True)
class CommandResult:
    """A finished command (a0.runtime.v1.ExecResponse). ``stdout``/``stderr`` are the output
    decoded as UTF-8 (invalid bytes replaced), ``stdout_bytes``/``stderr_bytes`` the exact
    bytes. ``signal`` is the signal that ended it (0: it exited, with ``exit_code``);
    ``timed_out``: it was killed at its time limit."""

    argv: tuple[str, ...]
    stdout_bytes: bytes
    stderr_bytes: bytes
    exit_code: int
    signal: int = 0
    timed_out: bool = False
    stdout_truncated: bool = False
    stderr_truncated: bool = False

    @classmethod
    def from_proto(cls, argv: Sequence[str], response: Any) -> "CommandResult":
        return cls(argv=tuple(argv), stdout_bytes=response.stdout_data,
                   stderr_bytes=response.stderr_data, exit_code=response.exit_code,
                   signal=response.signal, timed_out=response.timed_out,
                   stdout_truncated=response.stdout_truncated,
                   stderr_truncated=response.stderr_truncated)

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", "replace")

    @property
    def ok(self) -> bool:
        """Exited with status 0, not by a signal or the time limit."""
        return self.exit_code == 0 and self.signal == 0 and not self.timed_out

    def describe(self) -> str:
        if self.timed_out:
            how = "timed out"
        elif self.signal:
            how = "killed by signal %d" % self.signal
        else:
            how = "exited with status %d" % self.exit_code
        return "command %s %s" % (list(self.argv), how)

    def check(self) -> "CommandResult":
        """self when ok, else CommandExitError."""
        if not self.ok:
            raise CommandExitError(self)
        return self
