"""The legacy file operations of Agent Zero's helpers.rfc_files, as docs/legacy-protocol.md ("File
operations") states them: the function names, arguments, results and exception texts the legacy RFC
answers with. Written for the reference server (reference_server.py) from that description; the
characterization test (test_reference_server.py) replays files_transcripts.json against it.

Where docs/legacy-protocol.md is silent (a failure it does not list, such as a permission error
while reading), the error follows the pattern of the listed ones: Exception("Failed to <verb> ...:
<reason>")."""
import base64
import fnmatch
import io
import os
import shutil
import tempfile
import zipfile


def _read(path):
    if not os.path.exists(path):
        raise FileNotFoundError(f"File not found: {path}")
    if not os.path.isfile(path):
        raise Exception(f"Path is not a file: {path}")
    try:
        with open(path, "rb") as f:
            return base64.b64encode(f.read()).decode("ascii")
    except Exception as e:
        raise Exception(f"Failed to read file {path}: {e}")


def _read_file_as_base64_impl(path):
    return _read(path)


def _read_file_binary_impl(path):
    return _read(path)


def _write(path, b64):
    try:
        # b64decode without validate=True, as the legacy: characters outside the alphabet are
        # dropped before the length is checked (hence "number of data characters (9)").
        data = base64.b64decode(b64)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return True
    except Exception as e:
        raise Exception(f"Failed to write file {path}: {e}")


def _write_file_from_base64_impl(path, b64):
    return _write(path, b64)


def _write_file_binary_impl(path, b64):
    return _write(path, b64)


def _delete_file_impl(path):
    if not os.path.exists(path):
        raise FileNotFoundError(f"File not found: {path}")
    if not os.path.isfile(path):
        raise Exception(f"Path is not a file: {path}")
    try:
        os.remove(path)
        return True
    except Exception as e:
        raise Exception(f"Failed to delete file {path}: {e}")


def _delete_folder_impl(path):
    if not os.path.exists(path):
        raise FileNotFoundError(f"Folder not found: {path}")
    if not os.path.isdir(path):
        raise Exception(f"Path is not a directory: {path}")
    try:
        shutil.rmtree(path)
        return True
    except Exception as e:
        raise Exception(f"Failed to delete folder {path}: {e}")


def _list_folder_impl(path, include_hidden=False):
    if not os.path.exists(path):
        raise FileNotFoundError(f"Folder not found: {path}")
    if not os.path.isdir(path):
        raise Exception(f"Path is not a directory: {path}")
    try:
        entries = []
        for name in os.listdir(path):
            if name.startswith(".") and not include_hidden:
                continue
            full = os.path.join(path, name)
            st = os.stat(full)
            entries.append({
                "name": name,
                "path": full,
                "is_file": os.path.isfile(full),
                "is_dir": os.path.isdir(full),
                "size": st.st_size,
                "modified": st.st_mtime,
            })
        entries.sort(key=lambda entry: entry["name"].lower())
        return entries
    except Exception as e:
        raise Exception(f"Failed to list folder {path}: {e}")


def _make_dirs_impl(path):
    try:
        os.makedirs(path, exist_ok=True)
        return True
    except Exception as e:
        raise Exception(f"Failed to create directories {path}: {e}")


def _path_exists_impl(path):
    return os.path.exists(path)


def _file_exists_impl(path):
    return os.path.isfile(path)


def _folder_exists_impl(path):
    return os.path.isdir(path)


def _get_subdirectories_impl(path, include, exclude):
    if not os.path.exists(path):
        return []
    include = [include] if isinstance(include, str) else include
    exclude = [exclude] if isinstance(exclude, str) else exclude
    names = []
    for name in os.listdir(path):
        if not os.path.isdir(os.path.join(path, name)):
            continue
        if not any(fnmatch.fnmatch(name, pattern) for pattern in include):
            continue
        if exclude is not None and any(fnmatch.fnmatch(name, pattern) for pattern in exclude):
            continue
        names.append(name)
    return names


def _move_file_impl(src, dst):
    try:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.rename(src, dst)
        return True
    except Exception as e:
        raise Exception(f"Failed to move file {src} to {dst}: {e}")


def _zip_into(target, path, prefix):
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for top, _dirs, files in os.walk(path):
            for name in files:
                full = os.path.join(top, name)
                zf.write(full, os.path.join(prefix, os.path.relpath(full, path)))


def _zip_dir_impl(path):
    fd, zip_path = tempfile.mkstemp(suffix=".zip")
    os.close(fd)
    _zip_into(zip_path, path, os.path.basename(path))
    return zip_path


def _read_directory_impl(path):
    if not os.path.exists(path):
        raise FileNotFoundError(f"Directory not found: {path}")
    if not os.path.isdir(path):
        raise Exception(f"Path is not a directory: {path}")
    buf = io.BytesIO()
    _zip_into(buf, path, "")
    return base64.b64encode(buf.getvalue()).decode("ascii")
