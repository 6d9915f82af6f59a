"""``client.files``: the Files service in the shape of E2B's ``sandbox.files``, with typed
results (results.py) instead of protobuf messages.

A thin layer over the RuntimeClient's low-level calls (stat, list_dir, read_stream, write, ...):
the same deadlines, retries and exceptions (errors.py: a missing path is FileNotFoundError).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterable, AsyncIterator, Iterable, Literal, overload

from a0ipc import errors
from a0ipc.results import DirListing, EntryInfo, WriteInfo

if TYPE_CHECKING:
    from a0ipc.client import RuntimeClient

__all__ = ["Files"]


class Files:
    """The daemon's files, paths relative to its Files root (``--root``)."""

    def __init__(self, client: "RuntimeClient"):
        self._client = client

    @overload
    async def read(self, path: str, *, format: Literal["text"] = "text", offset: int = 0,
                   length: int = 0, timeout: float | None = None) -> str: ...

    @overload
    async def read(self, path: str, *, format: Literal["bytes"], offset: int = 0,
                   length: int = 0, timeout: float | None = None) -> bytes: ...

    async def read(self, path, *, format="text", offset=0, length=0, timeout=None):
        """A file's content: text (UTF-8, invalid bytes replaced) or, with format="bytes",
        bytes. ``offset``/``length`` read a range (length 0: to the end)."""
        if format not in ("text", "bytes"):
            raise ValueError("format is 'text' or 'bytes' (stream() for chunks), not %r"
                             % (format,))
        data = await self._client.read(path, offset, length, timeout=timeout)
        return data.decode("utf-8", "replace") if format == "text" else data

    async def stream(self, path: str, *, offset: int = 0, length: int = 0,
                     timeout: float | None = None) -> AsyncIterator[bytes]:
        """A file's content in chunks of at most 1 MiB, without holding it all."""
        async for m in self._client.read_stream(path, offset, length, timeout=timeout):
            yield m.data

    async def write(self, path: str,
                    data: str | bytes | bytearray | memoryview | Iterable[bytes]
                    | AsyncIterable[bytes], *,
                    mode: int = 0, create_parents: bool = True, overwrite: bool = True,
                    timeout: float | None = None) -> WriteInfo:
        """Writes data (text as UTF-8, bytes, or chunks) to path, visible atomically once
        complete. Missing parent directories are made unless create_parents is False; an
        existing file is replaced unless overwrite is False (then FileExistsError). ``mode``:
        the new file's permission bits (0: the daemon's default)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        from a0ipc.client import fpb
        policy = fpb.OVERWRITE_POLICY_REPLACE if overwrite else fpb.OVERWRITE_POLICY_FAIL
        r = await self._client.write(path, data, mode=mode, create_parents=create_parents,
                                     overwrite=policy, timeout=timeout)
        return WriteInfo.from_proto(path, r)

    async def list(self, path: str = ".", *, depth: int = 1, include_hidden: bool = False,
                   timeout: float | None = None) -> DirListing:
        """The entries of a directory (depth > 1: of its subdirectories too, with paths)."""
        return DirListing.from_proto(await self._client.list_dir(
            path, depth, include_hidden, timeout=timeout))

    async def get_info(self, path: str, *, follow_symlinks: bool = False,
                       timeout: float | None = None) -> EntryInfo:
        """What path is (FileNotFoundError when nothing is there)."""
        return EntryInfo.from_proto(await self._client.stat(path, follow_symlinks,
                                                            timeout=timeout))

    async def exists(self, path: str, *, timeout: float | None = None) -> bool:
        """Whether anything (a dangling symlink too) is at path."""
        try:
            await self._client.stat(path, timeout=timeout)
        except errors.NotFound:
            return False
        return True

    async def remove(self, path: str, *, recursive: bool = False, missing_ok: bool = False,
                     timeout: float | None = None) -> bool:
        """Deletes a file, or a directory (recursive: with its content); False when nothing
        was there and missing_ok is set."""
        return await self._client.remove(path, recursive=recursive, missing_ok=missing_ok,
                                         timeout=timeout)

    async def make_dir(self, path: str, *, mode: int = 0, parents: bool = True,
                       exist_ok: bool = True, timeout: float | None = None) -> bool:
        """Creates a directory (and its parents); False when it existed already."""
        return await self._client.make_dir(path, mode=mode, parents=parents, exist_ok=exist_ok,
                                           timeout=timeout)

    async def rename(self, old_path: str, new_path: str, *, overwrite: bool = False,
                     create_parents: bool = False, timeout: float | None = None) -> EntryInfo:
        """Moves old_path to new_path (across file systems too); what is at new_path then."""
        await self._client.move(old_path, new_path, overwrite=overwrite,
                                create_parents=create_parents, timeout=timeout)
        return await self.get_info(new_path, timeout=timeout)
