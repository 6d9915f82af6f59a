"""The runtime's file system as Python's ``os`` would show it, over a0ipcd's Files service.

Agent Zero's runtime functions are written against ``os``/``open``: their results and their
exceptions are what those calls produce. The functions of this package are written against
:class:`RemoteOS` instead, whose methods fail the way the local call fails: the built-in
exception type with the errno of the failure, worded by ``os.strerror`` and naming the path as
the caller gave it (``FileNotFoundError: [Errno 2] No such file or directory: '/x'``). A status
from a0ipcd becomes an errno here (NOT_FOUND -> ENOENT, ALREADY_EXISTS -> EEXIST,
PERMISSION_DENIED -> EACCES, FAILED_PRECONDITION -> ENOTDIR / EISDIR / ENOTEMPTY by the daemon's
words, RESOURCE_EXHAUSTED -> ENOSPC, INVALID_ARGUMENT -> EINVAL / ENAMETOOLONG); every other
status (UNAVAILABLE, DEADLINE_EXCEEDED, UNAUTHENTICATED, ...) is not a file-system answer: it
travels as :class:`Transport`, a BaseException that the ported logic cannot swallow where Agent
Zero swallows file errors (a listing that fails is an empty listing; a daemon that is down must
not be), and the dispatch raises a0ipc's own exception from it, so the backend switch (fallback)
and the caller see it.

Paths: an absolute path is sent as it is (a0ipcd confines it to its root: run it with ``--root
/`` to serve the whole host as Agent Zero's container runtime did, or with a narrower root, and
a path outside it then fails as PermissionError ``[Errno 13] Permission denied``). A relative
path is made absolute against this process's working directory first: on a native host the
framework and its runtime are one machine, so that is the directory Agent Zero's own ``open``
would have used.

Symlinks: a0ipcd follows only relative links that stay beneath its root; a link whose target is
absolute (``dangling -> /nonexistent``, ``/bin -> usr/bin`` is fine) is refused there. ``stat``
and ``realpath`` here resolve such links on the client side, component by component with
lstat, as ``os.path.realpath`` does, so the answers are the kernel's.
"""
import asyncio
import errno as E
import os
import posixpath
import stat as S

from a0ipc import errors

_fpb = None


def _pb():
    global _fpb
    if _fpb is None:
        from a0ipc import _proto
        _fpb = _proto.files_pb2
    return _fpb


def oserror(code, path, path2=None):
    """The built-in OSError a local call raises for errno ``code`` on ``path``."""
    if path2 is None:
        return OSError(code, os.strerror(code), path)  # OSError picks the subclass by errno
    return OSError(code, os.strerror(code), path, None, path2)


def _errno_of(e):
    """The errno for an a0ipc status exception, or None when it is not a file-system answer."""
    code = getattr(e, "code", None)
    text = str(e).lower()
    if code == "NOT_FOUND":
        return E.ENOENT
    if code == "ALREADY_EXISTS":
        return E.EEXIST
    if code == "PERMISSION_DENIED":
        return E.EACCES
    if code == "FAILED_PRECONDITION":
        if "not a directory" in text:
            return E.ENOTDIR
        if "is a directory" in text:
            return E.EISDIR
        if "not empty" in text:
            return E.ENOTEMPTY
        if "too many levels" in text or "symbolic link" in text:
            return E.ELOOP
        return E.EINVAL
    if code == "RESOURCE_EXHAUSTED":
        return E.ENOSPC
    if code == "INVALID_ARGUMENT":
        return E.ENAMETOOLONG if "too long" in text else E.EINVAL
    return None


class Transport(BaseException):
    """Carries a0ipc's exception for a status that is not a file-system answer out of the
    implementations (which catch Exception where Agent Zero does); see the module's doc."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


class Info:
    """What os.stat / os.lstat answer, from a FileInfo: st_mode (type bits included), st_size,
    st_mtime (the float Python computes: seconds + nanoseconds * 1e-9), symlink target."""

    __slots__ = ("type", "st_mode", "st_size", "st_mtime", "st_mtime_ns", "st_ctime", "target",
                 "path")

    def __init__(self, fi):
        pb = _pb()
        kind = {pb.FILE_TYPE_FILE: S.S_IFREG, pb.FILE_TYPE_DIR: S.S_IFDIR,
                pb.FILE_TYPE_SYMLINK: S.S_IFLNK}.get(fi.type, 0)
        self.type = fi.type
        self.st_mode = kind | fi.mode
        self.st_size = fi.size
        self.st_mtime_ns = fi.mtime_ns
        sec, nsec = divmod(fi.mtime_ns, 1_000_000_000)
        self.st_mtime = sec + nsec * 1e-9
        sec, nsec = divmod(fi.ctime_ns, 1_000_000_000)
        self.st_ctime = sec + nsec * 1e-9
        self.target = fi.symlink_target
        self.path = fi.path

    @property
    def is_dir(self):
        return S.S_ISDIR(self.st_mode)

    @property
    def is_file(self):
        return S.S_ISREG(self.st_mode)

    @property
    def is_link(self):
        return S.S_ISLNK(self.st_mode)


class RemoteOS:
    """``os`` on the runtime, over one a0ipc.RuntimeClient."""

    def __init__(self, client):
        self.client = client

    # ---- plumbing ----

    @staticmethod
    def abs(path):
        path = os.fspath(path)
        return path if path.startswith("/") else os.path.join(os.getcwd(), path)

    async def _do(self, coro, path, path2=None):
        try:
            return await coro
        except errors.RuntimeError_ as e:
            code = _errno_of(e)
            if code is None:
                raise Transport(e) from None
            raise oserror(code, path, path2) from None

    # ---- stat ----

    async def lstat(self, path):
        return Info(await self._do(self.client.stat(self.abs(path), False), path))

    async def stat(self, path):
        """os.stat: symlinks followed (absolute targets resolved here)."""
        try:
            return Info(await self._do(self.client.stat(self.abs(path), True), path))
        except PermissionError:
            real = await self.realpath(path)
            if real == self.abs(path):
                raise
            return Info(await self._do(self.client.stat(real, False), path))

    async def _try(self, coro):
        try:
            return await coro
        except OSError:
            return None

    async def exists(self, path):
        return await self._try(self.stat(path)) is not None

    async def isfile(self, path):
        st = await self._try(self.stat(path))
        return st is not None and st.is_file

    async def isdir(self, path):
        st = await self._try(self.stat(path))
        return st is not None and st.is_dir

    async def islink(self, path):
        st = await self._try(self.lstat(path))
        return st is not None and st.is_link

    async def realpath(self, path):
        """os.path.realpath (not strict): every symlink in the path resolved, '..' applied to
        the resolved prefix, a missing rest kept as written."""
        path = self.abs(path)
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if ".." not in parts:
            # one round trip when no component is a symlink (the usual case)
            prefixes = ["/" + "/".join(parts[:i + 1]) for i in range(len(parts))]
            infos = await asyncio.gather(*(self._try(self.lstat(p)) for p in prefixes))
            if not any(i is not None and i.is_link for i in infos):
                return "/" + "/".join(parts)
        pending = list(reversed(parts))
        done = "/"
        hops = 0
        while pending:
            name = pending.pop()
            if name in ("", "."):
                continue
            if name == "..":
                done = posixpath.dirname(done)
                continue
            candidate = posixpath.join(done, name)
            info = await self._try(self.lstat(candidate))
            if info is None or not info.is_link:
                done = candidate
                continue
            hops += 1
            if hops > 40:  # a loop: realpath gives up resolving and keeps the text
                done = posixpath.join(candidate, *reversed(pending))
                break
            target = info.target
            if target.startswith("/"):
                done = "/"
            pending.extend(reversed([p for p in target.split("/") if p]))
        return done

    async def getctime(self, path):
        """os.path.getctime: FileInfo.ctime_ns of the followed path."""
        return (await self.stat(path)).st_ctime

    # ---- directories ----

    async def listdir(self, path, depth=1, include_hidden=True):
        r = await self._do(self.client.list_dir(self.abs(path), depth, include_hidden), path)
        return r

    async def mkdir(self, path, mode=0):
        await self._do(self.client.make_dir(self.abs(path), mode=mode), path)

    async def makedirs(self, path, exist_ok=False):
        """os.makedirs, step by step as it does (so each failure is the one it reports)."""
        head, tail = posixpath.split(path)
        if not tail:
            head, tail = posixpath.split(head)
        if head and tail and not await self.exists(head):
            try:
                await self.makedirs(head, exist_ok=exist_ok)
            except FileExistsError:
                pass
            if tail == ".":
                return
        try:
            await self.mkdir(path)
        except OSError:
            if not exist_ok or not await self.isdir(path):
                raise

    async def remove(self, path):
        """os.remove: a file or symlink; a directory is IsADirectoryError."""
        st = await self.lstat(path)
        if st.is_dir:
            raise oserror(E.EISDIR, path)
        await self._do(self.client.remove(self.abs(path)), path)

    async def rmtree(self, path):
        await self._do(self.client.remove(self.abs(path), recursive=True), path)

    async def rename(self, src, dst):
        """os.rename without replacing (Agent Zero checks the target first)."""
        await self._do(self.client.move(self.abs(src), self.abs(dst)), src, dst)

    # ---- content ----

    async def read_bytes(self, path, length=0):
        """open(path, "rb").read([length])."""
        st = await self._try(self.lstat(path))
        if st is not None and st.is_dir:
            raise oserror(E.EISDIR, path)
        try:
            return await self._do(self.client.read(self.abs(path), 0, length), path)
        except PermissionError:
            real = await self.realpath(path)
            if real == self.abs(path):
                raise
            return await self._do(self.client.read(real, 0, length), path)

    async def write_bytes(self, path, data, mode=0, exclusive=False, follow=True):
        """open(path, "wb").write(data): the parent must exist; an existing file is replaced
        (its permission bits kept unless mode is given); through a symlink unless follow is
        false (then the link itself is replaced, as a rename over it does)."""
        pb = _pb()
        policy = pb.OVERWRITE_POLICY_FAIL if exclusive else pb.OVERWRITE_POLICY_REPLACE
        st = await self._try(self.stat(path))
        if st is not None and st.is_dir:
            raise oserror(E.EISDIR, path)
        target = self.abs(path)
        if st is not None and follow:
            lst = await self._try(self.lstat(path))
            if lst is not None and lst.is_link:
                target = await self.realpath(path)  # open() writes through the link
        await self._do(self.client.write(target, bytes(data), mode=mode, overwrite=policy), path)

    async def archive(self, path, include_base_name=True):
        return await self._do(self.client.archive(self.abs(path), 0, include_base_name), path)
