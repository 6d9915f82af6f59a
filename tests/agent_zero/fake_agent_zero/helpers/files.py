"""Stand-in of Agent Zero's helpers.files: paths relative to the Agent Zero directory."""
import os

PLUGINS_DIR = "plugins"
USER_DIR = "usr"


def get_base_dir():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def get_abs_path(*relative_paths):
    return os.path.join(get_base_dir(), *relative_paths)


def deabsolute_path(path):
    base = get_base_dir()
    path = os.path.abspath(path)
    if path == base:
        return ""
    if path.startswith(base + os.sep):
        return path[len(base) + 1:]
    return path


def exists(*relative_paths):
    return os.path.exists(get_abs_path(*relative_paths))


# Runtime functions called through call_development_function (stand-ins: a call through the
# a0ipc dispatch must never run them in the framework process).

def read_file_base64(relative_path):
    raise AssertionError("ran in the framework process")


def zip_dir(dir_path):
    raise AssertionError("ran in the framework process")
