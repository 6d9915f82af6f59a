"""gRPC status codes as Python exceptions: the one table of this package.

Agent Zero's code catches Python's own exceptions (FileNotFoundError, TimeoutError, ...), so a
status from a0ipcd becomes the built-in exception a local call would have raised. Every exception
made here is also an a0ipc.RuntimeError_ carrying the status code and its details, so a caller
that wants the status catches that one class. The classes for the codes with a built-in
counterpart inherit from both: ``except FileNotFoundError`` and ``except RuntimeError_`` both
work.

This module needs no grpc import: codes are taken by name, number or grpc.StatusCode, so the
stdlib-only legacy side of the package can share it.
"""
from __future__ import annotations

import errno as _errno
import re
from typing import Any

# The 17 codes of gRPC, by number (google.rpc.Code).
CODE_NAMES = ("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
              "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
              "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
              "UNAUTHENTICATED")


class RuntimeError_(Exception):
    """A call to the runtime failed with a gRPC status. ``code`` is the status code's name
    ("NOT_FOUND", ...), ``details`` the daemon's message (also the exception's text). Named with
    a trailing underscore so that it never shadows the built-in RuntimeError."""

    code = "UNKNOWN"

    def __init__(self, details: str = "", code: str | None = None):
        super().__init__(details)
        self.details = details
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.details  # never OSError's "[Errno N] ..." form: the daemon's words only


def _status_class(code, *builtins, errno=None):
    name = "".join(part.capitalize() for part in code.split("_"))
    attrs = {"code": code, "__doc__": "Status %s from the runtime." % code}
    cls = type(name, (RuntimeError_,) + builtins, attrs)
    if errno is not None:
        # OSError subclasses answer e.errno like a local failure would; str(e) stays the details.
        def __init__(self, details="", code=None, _errno=errno):
            RuntimeError_.__init__(self, details, code)
            self.errno = _errno
            self.strerror = details
        cls.__init__ = __init__
    return cls


Cancelled = _status_class("CANCELLED")
Unknown = _status_class("UNKNOWN")
InvalidArgument = _status_class("INVALID_ARGUMENT")
DeadlineExceeded = _status_class("DEADLINE_EXCEEDED", TimeoutError, errno=_errno.ETIMEDOUT)
NotFound = _status_class("NOT_FOUND", FileNotFoundError, errno=_errno.ENOENT)
AlreadyExists = _status_class("ALREADY_EXISTS", FileExistsError, errno=_errno.EEXIST)
PermissionDenied = _status_class("PERMISSION_DENIED", PermissionError, errno=_errno.EACCES)
ResourceExhausted = _status_class("RESOURCE_EXHAUSTED")
FailedPrecondition = _status_class("FAILED_PRECONDITION")
IsADirectory = _status_class("FAILED_PRECONDITION", IsADirectoryError, errno=_errno.EISDIR)
NotADirectory = _status_class("FAILED_PRECONDITION", NotADirectoryError, errno=_errno.ENOTDIR)
Aborted = _status_class("ABORTED")
OutOfRange = _status_class("OUT_OF_RANGE")
Unimplemented = _status_class("UNIMPLEMENTED")
Internal = _status_class("INTERNAL")
Unavailable = _status_class("UNAVAILABLE", ConnectionError, errno=_errno.ECONNREFUSED)
DataLoss = _status_class("DATA_LOSS")
Unauthenticated = _status_class("UNAUTHENTICATED")
IsADirectory.__name__ = "IsADirectory"
NotADirectory.__name__ = "NotADirectory"

# THE table. FAILED_PRECONDITION is refined by the message below (the daemon says "Is a
# directory" / "Not a directory" / "is a directory, not a file" for the wrong kind of file).
TABLE = {
    "CANCELLED": Cancelled,
    "UNKNOWN": Unknown,
    "INVALID_ARGUMENT": InvalidArgument,
    "DEADLINE_EXCEEDED": DeadlineExceeded,
    "NOT_FOUND": NotFound,
    "ALREADY_EXISTS": AlreadyExists,
    "PERMISSION_DENIED": PermissionDenied,
    "RESOURCE_EXHAUSTED": ResourceExhausted,
    "FAILED_PRECONDITION": FailedPrecondition,
    "ABORTED": Aborted,
    "OUT_OF_RANGE": OutOfRange,
    "UNIMPLEMENTED": Unimplemented,
    "INTERNAL": Internal,
    "UNAVAILABLE": Unavailable,
    "DATA_LOSS": DataLoss,
    "UNAUTHENTICATED": Unauthenticated,
}
_NOT_A_DIRECTORY = re.compile(r"\bnot a directory\b", re.IGNORECASE)
_IS_A_DIRECTORY = re.compile(r"\bis a directory\b", re.IGNORECASE)


def code_name(code: Any) -> str:
    """The name of a status code given as grpc.StatusCode, number or name."""
    if isinstance(code, str):
        return code
    if isinstance(code, int):
        return CODE_NAMES[code] if 0 <= code < len(CODE_NAMES) else "UNKNOWN"
    return code.name  # grpc.StatusCode


def exception_for(code: Any, details: str = "") -> RuntimeError_:
    """The exception (not raised) for a non-OK status."""
    name = code_name(code)
    if name == "FAILED_PRECONDITION":
        if _NOT_A_DIRECTORY.search(details):
            return NotADirectory(details)
        if _IS_A_DIRECTORY.search(details):
            return IsADirectory(details)
    cls = TABLE.get(name)
    if cls is None:  # OK is not an error; anything unknown is UNKNOWN, never success
        return Unknown(details, code="UNKNOWN")
    return cls(details)


def from_rpc_error(e: Any) -> RuntimeError_:
    """The exception for a grpc.RpcError (sync or aio): its code and details."""
    return exception_for(e.code(), e.details() or "")
