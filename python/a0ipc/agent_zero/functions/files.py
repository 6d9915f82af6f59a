"""``helpers.files`` functions Agent Zero calls on its runtime (exists, read_file_base64,
zip_dir), and the code-execution tool's ``make_dir``.

A relative path of ``helpers.files`` means a path under Agent Zero's own directory: it is made
absolute with the framework's ``helpers.files.get_abs_path`` (on a native host the framework's
directory is the runtime's). ``make_dir`` takes a path relative to the process's working
directory, as ``os.makedirs`` does.
"""
import base64
import io
import os
import posixpath
import random
import tempfile
import zipfile

_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def _abs(path):
    from helpers import files
    return files.get_abs_path(path)


async def exists(fs, *relative_paths):
    """helpers.files.exists"""
    from helpers import files
    return await fs.exists(files.get_abs_path(*relative_paths))


async def read_file_base64(fs, relative_path):
    """helpers.files.read_file_base64"""
    return base64.b64encode(await fs.read_bytes(_abs(relative_path))).decode("utf-8")


async def make_dir(fs, path):
    """plugins._code_execution.tools.code_execution_tool.make_dir: os.makedirs(exist_ok)."""
    await fs.makedirs(fs.abs(path), exist_ok=True)


def _temp_name():
    # tempfile.NamedTemporaryFile(suffix=".zip"): tmp + 8 random characters + suffix, in the
    # runtime's temp directory (this host's)
    rnd = random.SystemRandom()
    return os.path.join(tempfile.gettempdir(),
                        "tmp" + "".join(rnd.choice(_TEMP_CHARS) for _ in range(8)) + ".zip")


async def _zip_bytes(fs, full_path):
    """The zip Agent Zero's os.walk + ZipFile.write makes of full_path: entries
    <basename>/<relpath> of the files only (no directory entries: empty directories vanish),
    symlinks to files stored as the file they point to, symlinks to directories not entered,
    a missing directory or a file an empty zip. a0ipcd's Archive stream is re-packed for that."""
    base_name = os.path.basename(full_path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        try:
            st = await fs.stat(full_path)
        except OSError:
            st = None
        if st is not None and st.is_dir:
            root = full_path
            if (await fs.lstat(full_path)).is_link:
                root = await fs.realpath(full_path)
            raw = await fs.archive(root, include_base_name=False)
            with zipfile.ZipFile(io.BytesIO(raw)) as src:
                for item in src.infolist():
                    if item.is_dir():
                        continue
                    arcname = posixpath.join(base_name, item.filename)
                    mode = item.external_attr >> 16
                    if (mode & 0o170000) == 0o120000:  # a symlink: what it points to
                        path = posixpath.join(full_path, item.filename)
                        target = await fs.stat(path)  # FileNotFoundError when dangling
                        if not target.is_file:
                            continue
                        data = await fs.read_bytes(path)
                        info = zipfile.ZipInfo(arcname, _local_date_time(target.st_mtime))
                        info.external_attr = (target.st_mode & 0xFFFF) << 16
                    else:
                        data = src.read(item)
                        info = zipfile.ZipInfo(arcname, item.date_time)
                        info.external_attr = item.external_attr
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.create_system = item.create_system
                    dst.writestr(info, data)
    return out.getvalue()


def _local_date_time(mtime):
    import time
    t = time.localtime(mtime)
    return (max(t.tm_year, 1980),) + tuple(t[1:6])


async def zip_dir(fs, dir_path):
    """helpers.files.zip_dir: the path of a new temporary .zip (never deleted, as there)."""
    data = await _zip_bytes(fs, _abs(dir_path))
    for _ in range(100):
        name = _temp_name()
        try:
            await fs.write_bytes(name, data, mode=0o600, exclusive=True)
            return name
        except FileExistsError:
            continue
    raise FileExistsError("No usable temporary file name found")
