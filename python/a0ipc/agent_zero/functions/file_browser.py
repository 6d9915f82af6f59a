"""The work-dir file browser of Agent Zero's web UI (``api/*_work_dir_file*.py``,
``api/file_info.py``), on a0ipcd.

Agent Zero's ``FileBrowser`` works from the base directory ``/``: a relative path is joined to
``/`` and every path is resolved (``Path.resolve``: symlinks followed) before use. Listing runs
``ls -la`` and parses its columns; the parse is part of what the UI receives, so it is kept:
entries in byte order of their names (``ls`` in the C locale), folders first, names whose runs of
blanks ``ls``'s column split cannot restore (``two  spaces.txt``) and entries whose target cannot
be stat'ed (dangling links) left out, sizes of folders 0, symlinks marked with their target text
as the split leaves it. Errors are swallowed where Agent Zero swallows them (listing, delete,
upload answer empty/False), and raised with Agent Zero's own texts where it raises.
"""
import asyncio
import base64
import binascii
import mimetypes
import os
import posixpath
from datetime import datetime
from pathlib import PurePosixPath

BASE = "/"
MAX_TEXT_FILE_SIZE = 1024 * 1024  # FileBrowser.MAX_TEXT_FILE_SIZE and edit_work_dir_file's limit
BINARY_SAMPLE_SIZE = 10 * 1024
KINDS = (("image", {"jpg", "jpeg", "png", "bmp"}),
         ("code", {"py", "js", "sh", "html", "css"}),
         ("document", {"md", "pdf", "txt", "csv", "json"}))


def _joined(path):
    return posixpath.join(BASE, path)


def _kind(name):
    ext = name.rsplit(".", 1)[1].lower() if "." in name else ""
    for kind, exts in KINDS:
        if ext in exts:
            return kind
    return "unknown"


def _ls_name(text):
    # ls -la's line split on whitespace, re-joined with single spaces
    return " ".join(text.split())


async def _entries(fs, full):
    """What FileBrowser._get_files_via_ls makes of `ls -la full`: (files, folders)."""
    files, folders = [], []
    try:
        st = await fs.stat(full)
    except OSError:
        return files, folders  # ls fails: nothing
    if not st.is_dir:
        return files, folders  # one line, taken for the "total" line
    try:
        listing = await fs.listdir(full, 1, True)
    except OSError:
        return files, folders
    entries = sorted(listing.entries, key=lambda e: e.name.encode("utf-8", "surrogateescape"))
    rows = []
    for e in entries:
        if "\n" in e.name:
            continue  # ls would print it over two lines, neither of which parses
        info = fs_info(e)
        line_tail = e.name + (" -> " + e.symlink_target if info.is_link else "")
        if line_tail.endswith(" .") or line_tail.endswith(" .."):
            continue
        target = None
        if info.is_link:
            both = _ls_name(line_tail)
            if " -> " in both:
                name, target = both.split(" -> ")[0], both.split(" -> ")[1]
            else:
                name = both
        else:
            name = _ls_name(e.name)
        if name:
            rows.append((name, target, info, name == e.name and not info.is_link))

    async def stat_of(name, info, listed):
        # an entry listed under its own name that is no symlink: the listing is its stat
        if listed:
            return info
        return await fs._try(fs.stat(posixpath.join(full, name)))
    stats = await asyncio.gather(*(stat_of(n, i, listed) for n, _, i, listed in rows))
    for (name, target, info, _), st in zip(rows, stats):
        if st is None:
            continue
        path = posixpath.join(full, name)
        entry = {"name": name, "path": posixpath.relpath(path, BASE),
                 "modified": datetime.fromtimestamp(st.st_mtime).isoformat()}
        if info.is_link and target:
            entry["symlink_target"] = target
            entry["is_symlink"] = True
        if st.is_file:
            entry.update({"type": _kind(name), "size": st.st_size, "is_dir": False})
            files.append(entry)
        elif st.is_dir:
            entry.update({"type": "folder", "size": 0, "is_dir": True})
            folders.append(entry)
        if len(files) + len(folders) > 10000:
            break
    return files, folders


def fs_info(entry):
    from a0ipc.agent_zero.functions._fs import Info
    return Info(entry)


async def get_files(fs, path):
    """api.get_work_dir_files.get_files"""
    current_path = path
    try:
        full = await fs.realpath(_joined(current_path))
        files, folders = await _entries(fs, full)
        parent = ""
        if current_path and full != BASE:
            parent = str(PurePosixPath(current_path).parent)
        return {"entries": folders + files, "current_path": current_path,
                "parent_path": parent}
    except Exception:
        return {"entries": [], "current_path": "", "parent_path": ""}


async def get_file_info(fs, path):
    """api.file_info.get_file_info"""
    from helpers import files
    abs_path = files.get_abs_path(path)
    st = None
    try:
        st = await fs.stat(abs_path)
    except OSError:
        pass
    exists = st is not None
    is_link = exists and await fs.islink(abs_path)
    return {
        "input_path": path,
        "abs_path": abs_path,
        "exists": exists,
        "is_dir": st.is_dir if exists else False,
        "is_file": st.is_file if exists else False,
        "is_link": is_link,
        "size": st.st_size if exists else 0,
        "modified": st.st_mtime if exists else 0,
        "created": await fs.getctime(abs_path) if exists else 0,
        "permissions": st.st_mode if exists else 0,
        "dir_path": os.path.dirname(abs_path),
        "file_name": os.path.basename(abs_path),
        "file_ext": os.path.splitext(abs_path)[1],
        "message": "" if exists else "File %s not found." % path,
    }


async def delete_file(fs, file_path):
    """api.delete_work_dir_file.delete_file: True when something was removed, False otherwise
    (errors included)."""
    try:
        full = await fs.realpath(_joined(file_path))
        st = await fs._try(fs.stat(full))
        if st is None:
            return False
        if st.is_file:
            await fs.remove(full)
        elif st.is_dir:
            await fs.rmtree(full)
        return True
    except Exception:
        return False


async def fetch_file(fs, path):
    """api.download_work_dir_file.fetch_file: the file's bytes in base64."""
    return base64.b64encode(await fs.read_bytes(path)).decode("utf-8")


def _probably_binary(data, threshold=0.3):
    if not data:
        return False
    if b"\x00" in data:
        return True
    allowed = {8, 9, 10, 12, 13}
    odd = sum(1 for b in data if (b < 32 and b not in allowed) or b == 127)
    return odd / len(data) > threshold


def text_of(data, errors="strict"):
    """bytes as open(..., "r", encoding="utf-8") reads them: universal newlines."""
    return data.decode("utf-8", errors).replace("\r\n", "\n").replace("\r", "\n")


async def load_file(fs, file_path):
    """api.edit_work_dir_file.load_file"""
    full = os.path.join(BASE, file_path)
    if not await fs.exists(full):
        raise ValueError("File %s not found" % file_path)
    st = await fs.stat(full)
    if st.is_dir:
        raise Exception("Path points to a directory")
    if st.st_size > MAX_TEXT_FILE_SIZE:
        raise Exception("File exceeds 1 MB and cannot be edited")
    try:
        data = await fs.read_bytes(full)
    except OSError:
        raise OSError("Unable to read file for binary detection: %s" % full) from None
    if _probably_binary(data[:BINARY_SAMPLE_SIZE]):
        raise Exception("Binary file detected; editing is not supported")
    mime_type, _ = mimetypes.guess_type(full)
    try:
        content = text_of(data)
    except UnicodeDecodeError:
        raise Exception("Unable to decode file as UTF-8; editing is not supported") from None
    return {"path": file_path, "name": os.path.basename(full),
            "mime_type": mime_type or "text/plain", "content": content}


async def save_file(fs, file_path, content):
    """api.edit_work_dir_file.save_file"""
    if not isinstance(content, str):
        raise ValueError("Content must be a string")
    data = content.encode("utf-8")
    if len(data) > MAX_TEXT_FILE_SIZE:
        raise ValueError("File exceeds 1 MB and cannot be edited")
    full = await fs.realpath(_joined(file_path))
    if await fs.isdir(full):
        raise ValueError("Target is a directory")
    await fs.makedirs(posixpath.dirname(full), exist_ok=True)
    await fs.write_bytes(full, data)
    return True


def _check_name(name, what):
    """Agent Zero's checks of a single name (what: "folder name", "new name")."""
    if not name or name in {".", ".."}:
        raise ValueError("Invalid %s" % what)
    if "/" in name or "\\" in name:
        raise ValueError("%s cannot include path separators" % what.capitalize())


async def create_folder(fs, parent_path, folder_name):
    """api.rename_work_dir_file.create_folder"""
    _check_name(folder_name, "folder name")
    parent = await fs.realpath(_joined(parent_path))
    target = await fs.realpath(posixpath.join(parent, folder_name))
    if await fs.exists(target):
        raise FileExistsError("Folder already exists")
    await fs.makedirs(target, exist_ok=False)
    return True


async def rename_item(fs, file_path, new_name):
    """api.rename_work_dir_file.rename_item"""
    _check_name(new_name, "new name")
    full = await fs.realpath(_joined(file_path))
    if not await fs.exists(full):
        raise FileNotFoundError("File or folder not found")
    new_path = posixpath.join(posixpath.dirname(full), new_name)
    if new_path == full:
        return True
    if await fs.exists(new_path):
        raise FileExistsError("Target already exists")
    await fs.rename(full, new_path)
    return True


async def upload_file(fs, current_path, filename, base64_content):
    """api.upload_work_dir_files.upload_file: True, or False on any error (then the file may
    have been created empty, as Agent Zero opens it before decoding)."""
    try:
        target = await fs.realpath(posixpath.join(BASE, current_path, filename))
        await fs.makedirs(posixpath.dirname(target), exist_ok=True)
        try:
            data = base64.b64decode(base64_content)
        except (binascii.Error, ValueError, TypeError):
            await fs.write_bytes(target, b"")  # the open("wb") that came first
            return False
        await fs.write_bytes(target, data)
        return True
    except Exception:
        return False
