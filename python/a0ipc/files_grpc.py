"""The legacy helpers.rfc_files operations on a0ipcd's Files service.

Each method answers like the legacy function of the same name (_X_impl of docs/legacy-protocol.md,
"File operations"): the same arguments, the same results, the same exception types and messages.
docs/files.md maps every function to its RPCs; this is that mapping, plus what exact parity needs
beyond it:

- The legacy tests existence before it looks at the kind of a path (os.path.exists follows
  symlinks and is false for "file.txt/x"), so a "wrong kind" answer (FAILED_PRECONDITION) is
  looked at once more with Stat to tell "not found" from "not a file/directory".
- Symlinks are followed for is_file/is_dir/size/modified, as os.stat does.
- Failure reasons the legacy took from Python's OSError are written the way Python writes them
  ("[Errno 2] No such file or directory: 'S' -> 'D'").
- modified is computed as CPython computes st_mtime (seconds + nanoseconds * 1e-9), so the float
  is the same to the last bit.

Statuses that say something about the file (not found, exists, permission, kind, space, a bad
path) become the legacy's exceptions. Statuses about the call itself (UNAVAILABLE,
DEADLINE_EXCEEDED, UNAUTHENTICATED, ...) stay the exceptions of errors.py: a daemon that is
down is never reported as "file not found" or "False".

Deliberate differences, because a0ipcd is safer than the legacy (docs/files.md): paths outside
the daemon's root are refused (PERMISSION_DENIED: exists-style helpers say False, the others
raise their "Failed to ..." exception); zip_dir returns a temporary zip on the caller's side,
not the runtime's; archives hold directory entries and symlinks as symlinks.
"""
import base64
import errno
import fnmatch
import os
import tempfile
import zipfile

from a0ipc import _proto, errors

pb = _proto.files_pb2

# Codes that are answers about the path, not about the call.
_ANSWERS = frozenset(("NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "FAILED_PRECONDITION",
                      "INVALID_ARGUMENT", "OUT_OF_RANGE", "RESOURCE_EXHAUSTED", "DATA_LOSS"))
_ERRNO = {"NOT_FOUND": errno.ENOENT, "ALREADY_EXISTS": errno.EEXIST,
          "PERMISSION_DENIED": errno.EACCES, "RESOURCE_EXHAUSTED": errno.ENOSPC}


def _answer(e):
    """Whether e is a status about the path (else the call failed: let it through)."""
    return isinstance(e, errors.RuntimeError_) and e.code in _ANSWERS


def _errno_of(e):
    if e.code == "FAILED_PRECONDITION":
        text = str(e).lower()
        for words, num in (("not a directory", errno.ENOTDIR), ("is a directory", errno.EISDIR),
                           ("not empty", errno.ENOTEMPTY)):
            if words in text:
                return num
        return None
    return _ERRNO.get(e.code)


def reason(e, *paths):
    """The failure as Python's OSError would word it for paths, else the daemon's message."""
    num = _errno_of(e)
    if num is None:
        return str(e)
    if len(paths) == 2:
        return str(OSError(num, os.strerror(num), paths[0], None, paths[1]))
    return str(OSError(num, os.strerror(num), paths[0]))


def mtime(ns):
    """st_mtime as CPython computes it from (seconds, nanoseconds)."""
    return ns // 1_000_000_000 + (ns % 1_000_000_000) * 1e-9


class GrpcFiles:
    """The helpers on one RuntimeClient (async)."""

    def __init__(self, client):
        self.client = client

    async def _stat(self, path, follow=True):
        """The FileInfo, or None when the path does not exist for the legacy (os.stat failed)."""
        try:
            return await self.client.stat(path, follow_symlinks=follow)
        except errors.RuntimeError_ as e:
            if _answer(e):
                return None
            raise

    # ---- read ----

    async def _read(self, path):
        try:
            return await self.client.read(path)
        except errors.RuntimeError_ as e:
            if not _answer(e):
                raise
            if e.code == "NOT_FOUND":
                raise FileNotFoundError("File not found: %s" % path) from None
            if e.code == "FAILED_PRECONDITION":
                if await self._stat(path) is None:
                    raise FileNotFoundError("File not found: %s" % path) from None
                raise Exception("Path is not a file: %s" % path) from None
            raise Exception("Failed to read file %s: %s" % (path, reason(e, path))) from None

    async def read_file_as_base64(self, path):
        return base64.b64encode(await self._read(path)).decode("utf-8")

    async def read_file_binary(self, path):
        return base64.b64encode(await self._read(path)).decode("utf-8")

    # ---- write ----

    async def write_file_from_base64(self, path, content):
        try:
            data = base64.b64decode(content.encode("utf-8") if isinstance(content, str)
                                    else content)
        except Exception as e:  # the legacy decodes first, inside its try
            raise Exception("Failed to write file %s: %s" % (path, e)) from None
        try:
            await self.client.write(path, data, create_parents=True,
                                    overwrite=pb.OVERWRITE_POLICY_REPLACE)
        except errors.RuntimeError_ as e:
            if not _answer(e):
                raise
            raise Exception("Failed to write file %s: %s" % (path, reason(e, path))) from None
        return True

    async def write_file_binary(self, path, b64_content):
        return await self.write_file_from_base64(path, b64_content)

    # ---- delete ----

    async def _remove_as(self, path, want, noun, not_kind, **kw):
        """Removes path as a `want` (a FileType). True when done; False when it is a symlink to a
        `want`, which the daemon never follows here and the caller treats as the legacy did.
        Otherwise the legacy's exceptions, `noun` ("File", "Folder") in their words."""
        try:
            await self.client.remove(path, type=want, **kw)
            return True
        except errors.RuntimeError_ as e:
            if not _answer(e):
                raise
            if e.code == "NOT_FOUND":
                raise FileNotFoundError("%s not found: %s" % (noun, path)) from None
            if e.code != "FAILED_PRECONDITION":
                raise Exception("Failed to delete %s %s: %s" % (noun.lower(), path,
                                                                reason(e, path))) from None
        # The wrong kind, as the daemon sees it: look through a symlink.
        target = await self._stat(path)
        if target is None:
            raise FileNotFoundError("%s not found: %s" % (noun, path))
        if target.type != want:
            raise Exception(not_kind % path)
        return False

    async def delete_file(self, path):
        if not await self._remove_as(path, pb.FILE_TYPE_FILE, "File", "Path is not a file: %s"):
            # A symlink to a file: os.remove removes the link.
            await self.client.remove(path, type=pb.FILE_TYPE_SYMLINK)
        return True

    async def delete_folder(self, path):
        if not await self._remove_as(path, pb.FILE_TYPE_DIR, "Folder",
                                     "Path is not a directory: %s", recursive=True):
            # shutil.rmtree refuses a symlink to a directory, with these words.
            raise Exception("Failed to delete folder %s: Cannot call rmtree on a symbolic link"
                            % path)
        return True

    # ---- list ----

    async def _entries(self, path, include_hidden, missing, wrong):
        """ListDir's entries; missing/wrong: the exceptions for a missing path and a file."""
        try:
            r = await self.client.list_dir(path, depth=1, include_hidden=include_hidden)
        except errors.RuntimeError_ as e:
            if not _answer(e):
                raise
            if e.code == "NOT_FOUND":
                raise missing from None
            if e.code == "FAILED_PRECONDITION":
                if await self._stat(path) is None:
                    raise missing from None
                raise wrong from None
            raise Exception("Failed to list folder %s: %s" % (path, reason(e, path))) from None
        if r.truncated:
            raise Exception("Failed to list folder %s: more entries than one ListDir answer "
                            "holds" % path)
        return r.entries

    async def _followed(self, entry, item_path):
        """(type, size, mtime_ns) as os.stat sees the entry: through a symlink. None for a
        symlink whose target does not exist."""
        if entry.type != pb.FILE_TYPE_SYMLINK:
            return entry.type, entry.size, entry.mtime_ns
        try:
            t = await self.client.stat(item_path, follow_symlinks=True)
        except errors.RuntimeError_ as e:
            if e.code == "NOT_FOUND":
                return None
            if e.code == "PERMISSION_DENIED":  # it leads out of the root: the link itself
                return pb.FILE_TYPE_SYMLINK, entry.size, entry.mtime_ns
            raise
        return t.type, t.size, t.mtime_ns

    async def list_folder(self, path, include_hidden=False):
        entries = await self._entries(path, include_hidden,
                                      FileNotFoundError("Folder not found: %s" % path),
                                      Exception("Path is not a directory: %s" % path))
        items = []
        for e in entries:
            item_path = os.path.join(path, e.name)
            seen = await self._followed(e, item_path)
            if seen is None:  # os.stat of a dangling symlink fails the whole legacy listing
                raise Exception("Failed to list folder %s: %s" % (path, str(OSError(
                    errno.ENOENT, os.strerror(errno.ENOENT), item_path))))
            kind, size, mtime_ns = seen
            items.append({"name": e.name, "path": item_path,
                          "is_file": kind == pb.FILE_TYPE_FILE,
                          "is_dir": kind == pb.FILE_TYPE_DIR,
                          "size": size, "modified": mtime(mtime_ns)})
        return items  # ListDir sorts by lower-cased name, as the legacy does

    async def get_subdirectories(self, path, include="*", exclude=None):
        if isinstance(include, str):
            include = [include]
        if isinstance(exclude, str):
            exclude = [exclude]
        try:
            entries = await self._entries(
                path, True, FileNotFoundError(path),
                NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path))
        except FileNotFoundError:
            return []
        names = []
        for e in entries:
            seen = await self._followed(e, os.path.join(path, e.name))
            if seen is None or seen[0] != pb.FILE_TYPE_DIR:
                continue
            if any(fnmatch.fnmatch(e.name, p) for p in include) and (
                    exclude is None or not any(fnmatch.fnmatch(e.name, p) for p in exclude)):
                names.append(e.name)
        return names

    # ---- directories, moves ----

    async def make_dirs(self, path):
        try:
            await self.client.make_dir(path, parents=True, exist_ok=True)
        except errors.RuntimeError_ as e:
            if not _answer(e):
                raise
            raise Exception("Failed to create directories %s: %s" % (path, reason(e, path))) \
                from None
        return True

    async def move_file(self, source_path, destination_path):
        try:
            await self.client.move(source_path, destination_path, overwrite=True,
                                   create_parents=True)
        except errors.RuntimeError_ as e:
            if not _answer(e):
                raise
            raise Exception("Failed to move file %s to %s: %s" % (
                source_path, destination_path, reason(e, source_path, destination_path))) \
                from None
        return True

    # ---- existence ----

    async def path_exists(self, path):
        return await self._stat(path) is not None

    async def file_exists(self, path):
        info = await self._stat(path)
        return info is not None and info.type == pb.FILE_TYPE_FILE

    async def folder_exists(self, path):
        info = await self._stat(path)
        return info is not None and info.type == pb.FILE_TYPE_DIR

    # ---- archives ----

    async def zip_dir(self, path):
        """The path of a new temporary .zip on this (the caller's) side, entries
        <basename>/<relpath>. A missing directory gives an empty zip, as the legacy did."""
        try:
            data = await self.client.archive(path, format=pb.ARCHIVE_FORMAT_ZIP,
                                             include_base_name=True)
        except errors.RuntimeError_ as e:
            if not (_answer(e) and e.code == "NOT_FOUND"):
                raise
            data = None
        with tempfile.NamedTemporaryFile(suffix=".zip", delete=False) as f:
            if data is None:
                with zipfile.ZipFile(f, "w"):
                    pass
            else:
                f.write(data)
            return f.name

    async def read_directory(self, path):
        missing = FileNotFoundError("Directory not found: %s" % path)
        try:
            data = await self.client.archive(path, format=pb.ARCHIVE_FORMAT_ZIP)
        except errors.RuntimeError_ as e:
            if not _answer(e):
                raise
            if e.code == "NOT_FOUND":
                raise missing from None
            if e.code == "FAILED_PRECONDITION":
                info = await self._stat(path)
                if info is None:
                    raise missing from None
                if info.type != pb.FILE_TYPE_DIR:
                    raise Exception("Path is not a directory: %s" % path) from None
            raise Exception("Failed to zip directory %s: %s" % (path, reason(e, path))) \
                from None
        return base64.b64encode(data).decode("utf-8")
