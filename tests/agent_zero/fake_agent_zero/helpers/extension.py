"""Stand-in of Agent Zero's helpers.extension: Extension classes found in
``<plugin>/extensions/python/<point>/*.py`` of every enabled plugin (user root first, merged by
file name, first found wins, run sorted by file name), and ``@extensible`` with its implicit
``_functions/<module>/<qualname>/start|end`` points and ``data["result"]`` short-circuit."""
import importlib.util
import inspect
import os
from abc import abstractmethod
from functools import wraps

from helpers import plugins

_UNSET = object()


class Extension:
    def __init__(self, agent, **kwargs):
        self.agent = agent
        self.kwargs = kwargs

    @abstractmethod
    def execute(self, **kwargs):
        pass


def _load_class(path):
    name = "ext_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = [c for _, c in inspect.getmembers(module, inspect.isclass)
             if c is not Extension and issubclass(c, Extension)]
    return found[-1] if found else None


def _classes(point, agent=None):
    unique = {}
    for d in plugins.get_enabled_plugin_paths(agent, "extensions", "python", point):
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith(".py") and f not in unique:
                cls = _load_class(os.path.join(d, f))
                if cls:
                    unique[f] = cls
    return [unique[k] for k in sorted(unique)]


def call_extensions_sync(point, agent=None, **kwargs):
    for cls in _classes(point, agent):
        result = cls(agent=agent).execute(**kwargs)
        if inspect.isawaitable(result):
            raise ValueError("Extension %s returned awaitable in sync mode" % cls.__name__)


async def call_extensions_async(point, agent=None, **kwargs):
    for cls in _classes(point, agent):
        result = cls(agent=agent).execute(**kwargs)
        if inspect.isawaitable(result):
            await result


def extensible(func):
    parts = [p for p in func.__module__.split(".") if p]
    quals = [p for p in func.__qualname__.split(".") if p and p != "<locals>"]
    base = os.path.join("_functions", *parts, *quals)

    def _agent(args, kwargs):
        cand = kwargs.get("agent") or (args[0] if args else None)
        return cand if type(cand).__name__ == "Agent" else None

    def _finish(data):
        if data["exception"] is not _UNSET and data["exception"] is not None:
            raise data["exception"]
        return None if data["result"] is _UNSET else data["result"]

    if inspect.iscoroutinefunction(func):
        @wraps(func)
        async def run_async(*args, **kwargs):
            data = {"args": list(args), "kwargs": dict(kwargs), "result": _UNSET,
                    "exception": _UNSET}
            agent = _agent(args, kwargs)
            await call_extensions_async(os.path.join(base, "start"), agent, data=data)
            if data["result"] is _UNSET and data["exception"] is _UNSET:
                data["result"] = await func(*data["args"], **data["kwargs"])
            await call_extensions_async(os.path.join(base, "end"), agent, data=data)
            return _finish(data)
        return run_async

    @wraps(func)
    def run_sync(*args, **kwargs):
        data = {"args": list(args), "kwargs": dict(kwargs), "result": _UNSET,
                "exception": _UNSET}
        agent = _agent(args, kwargs)
        call_extensions_sync(os.path.join(base, "start"), agent, data=data)
        if data["result"] is _UNSET and data["exception"] is _UNSET:
            data["result"] = func(*data["args"], **data["kwargs"])
        call_extensions_sync(os.path.join(base, "end"), agent, data=data)
        return _finish(data)
    return run_sync
