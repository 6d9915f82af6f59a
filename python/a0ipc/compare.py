"""Whether two answers of one legacy helper agree, by the rules of docs/legacy-protocol.md
("Comparing answers").

Used by shadow mode (the legacy answer is returned; a disagreement is counted and logged). The
rules: results exactly, except a directory's size in list_folder (file-system dependent) and the
order of get_subdirectories (a set); errors by type, and by message up to the first ":" after
the paths the call named (the rest is a Python-specific reason).
"""


import asyncio
import logging

log = logging.getLogger("a0ipc")


async def outcome(coro):
    """("ok", value) or ("error", exception) of an awaitable."""
    try:
        return ("ok", await coro)
    except Exception as e:  # the outcome carries it
        return ("error", e)


async def shadow(method, label, args, legacy, grpc):
    """Shadow mode's one step: both sides at once, the difference counted and logged (label
    names the call in the log), and the legacy answer returned or raised."""
    from a0ipc import metrics
    lo, go = await asyncio.gather(outcome(legacy), outcome(grpc))
    metrics.inc("a0ipc_router_shadow_comparisons_total", method=method)
    diff = differ(method, args, lo, go)
    if diff:
        metrics.inc("a0ipc_router_shadow_mismatches_total", method=method)
        log.warning("a0ipc shadow mismatch: %s%r: %s", label, tuple(args), diff)
    kind, value = lo
    if kind == "error":
        raise value
    return value


def _strip_dir_sizes(entries):
    return [dict(e, size=None) if isinstance(e, dict) and e.get("is_dir") else e
            for e in entries]


def comparable_message(message, paths):
    """The message up to the first ':' that follows the last of paths it names."""
    end = 0
    for p in paths:
        i = message.find(p, end)
        if i >= 0:
            end = i + len(p)
    colon = message.find(":", end)
    return message if colon < 0 else message[:colon]


def same_result(method, a, b):
    if method == "get_subdirectories" and isinstance(a, list) and isinstance(b, list):
        return sorted(a) == sorted(b)
    if method == "list_folder" and isinstance(a, list) and isinstance(b, list):
        return _strip_dir_sizes(a) == _strip_dir_sizes(b)
    return type(a) is type(b) and a == b


def same_error(a, b, paths):
    return (type(a).__name__ == type(b).__name__
            and comparable_message(str(a), paths) == comparable_message(str(b), paths))


def differ(method, args, legacy, grpc):
    """A short description of how two outcomes differ, or None when they agree. An outcome is
    ("ok", value) or ("error", exception)."""
    paths = [a for a in args if isinstance(a, str)]
    (lk, lv), (gk, gv) = legacy, grpc
    if lk == gk == "ok":
        return None if same_result(method, lv, gv) else "results differ: %r vs %r" % (
            _short(lv), _short(gv))
    if lk == gk == "error":
        return None if same_error(lv, gv, paths) else "errors differ: %s(%s) vs %s(%s)" % (
            type(lv).__name__, lv, type(gv).__name__, gv)
    return "legacy %s, grpc %s" % (_outcome(lk, lv), _outcome(gk, gv))


def _outcome(kind, v):
    return "returned %r" % (_short(v),) if kind == "ok" else "raised %s(%s)" % (
        type(v).__name__, v)


def _short(v, n=120):
    r = repr(v)
    return r if len(r) <= n else r[:n] + "..."
