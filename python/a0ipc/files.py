"""The legacy helpers.rfc_files operations for synchronous code, on the backend the switch picks.

The same functions as files_async (names, arguments, results, exceptions: docs/legacy-protocol.md,
"File operations"), blocking: a call site that did ``runtime.call_development_function_sync(
rfc_files._read_file_as_base64_impl, path)`` does ``files.read_file_as_base64(path)``. The
coroutines run on the package's background event loop (_loop.py), so these may be called from any
thread that is not running that loop. SyncFileHelpers wraps a FileHelpers of your own for dependency
injection.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from a0ipc import _loop, files_async


class SyncFileHelpers:
    """Blocking twins of a FileHelpers' methods."""

    # Set per instance from the FileHelpers' coroutines of the same names (same signatures).
    read_file_as_base64: Callable[..., str]
    read_file_binary: Callable[..., str]
    write_file_from_base64: Callable[..., bool]
    write_file_binary: Callable[..., bool]
    delete_file: Callable[..., bool]
    delete_folder: Callable[..., bool]
    list_folder: Callable[..., list[dict[str, Any]]]
    make_dirs: Callable[..., bool]
    path_exists: Callable[..., bool]
    file_exists: Callable[..., bool]
    folder_exists: Callable[..., bool]
    get_subdirectories: Callable[..., list[str]]
    move_file: Callable[..., bool]
    zip_dir: Callable[..., str]
    read_directory: Callable[..., str]

    def __init__(self, helpers: files_async.FileHelpers | None = None):
        self.helpers = helpers or files_async.FileHelpers()
        for name in files_async.NAMES:
            setattr(self, name, self._blocking(getattr(self.helpers, name)))

    @staticmethod
    def _blocking(coroutine_function):
        @functools.wraps(coroutine_function)
        def call(*args, **kwargs):
            return _loop.run(coroutine_function(*args, **kwargs))
        return call


default = SyncFileHelpers(files_async.default)


def call_impl(function_name: str, *args: Any, routing_key: str | None = None,
              **kwargs: Any) -> Any:
    """The helper for a legacy function name ("_list_folder_impl"), blocking."""
    return getattr(default, files_async.IMPL_NAMES[function_name])(
        *args, routing_key=routing_key, **kwargs)


read_file_as_base64 = default.read_file_as_base64
read_file_binary = default.read_file_binary
write_file_from_base64 = default.write_file_from_base64
write_file_binary = default.write_file_binary
delete_file = default.delete_file
delete_folder = default.delete_folder
list_folder = default.list_folder
make_dirs = default.make_dirs
path_exists = default.path_exists
file_exists = default.file_exists
folder_exists = default.folder_exists
get_subdirectories = default.get_subdirectories
move_file = default.move_file
zip_dir = default.zip_dir
read_directory = default.read_directory
