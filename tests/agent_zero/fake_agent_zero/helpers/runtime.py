"""Stand-in of Agent Zero's helpers.runtime: the mode switch and call_development_function.

As in Agent Zero v1.x: ``--dockerized=<anything non-empty>`` means dockerized (the function runs
in-process); otherwise development mode, where the call is sent as an RFC to the runtime named by
the settings, which needs RFC_PASSWORD."""
import asyncio
import inspect
import os
import queue
import sys
import threading
from pathlib import Path

from helpers import files

RFC_CALLS = []  # what development mode would have sent (module, name, args, kwargs)


def get_arg(name):
    for a in sys.argv[1:]:
        if a.startswith("--%s=" % name):
            return a.split("=", 1)[1]
    return None


def is_dockerized():
    return bool(get_arg("dockerized"))


def is_development():
    return not is_dockerized()


def _get_rfc_password():
    password = os.environ.get("RFC_PASSWORD", "")
    if not password:
        raise Exception("No RFC password, cannot handle RFC calls.")
    return password


async def call_development_function(func, *args, **kwargs):
    if is_development():
        _get_rfc_password()
        module = ".".join(Path(files.deabsolute_path(func.__code__.co_filename)).with_suffix("").parts)
        RFC_CALLS.append((module, func.__name__, list(args), kwargs))
        raise ConnectionRefusedError("stand-in: no legacy runtime listens for %s.%s"
                                     % (module, func.__name__))
    if inspect.iscoroutinefunction(func):
        return await func(*args, **kwargs)
    return func(*args, **kwargs)


def call_development_function_sync(func, *args, **kwargs):
    result_queue = queue.Queue()

    def run_in_thread():
        result_queue.put(asyncio.run(call_development_function(func, *args, **kwargs)))

    thread = threading.Thread(target=run_in_thread)
    thread.start()
    thread.join(timeout=30)
    if thread.is_alive():
        raise TimeoutError("Function call timed out after 30 seconds")
    return result_queue.get_nowait()
