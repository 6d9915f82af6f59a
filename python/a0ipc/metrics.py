"""Counters of the backend switch, to watch a migration step (docs/migration.md).

The same names and labels as the C router's metrics (a0ipc_router_metrics), so one dashboard
serves both: calls by backend, method and outcome, fallbacks to legacy, shadow comparisons and
mismatches. text() renders them in the Prometheus text format for whatever the host program
exposes; snapshot() gives them as a dict for tests and logs.
"""
import threading

_lock = threading.Lock()
_counters = {}

HELP = {
    "a0ipc_router_calls_total": "Calls by backend, method and outcome code.",
    "a0ipc_router_fallbacks_total": "Calls repeated on legacy after a0ipcd answered UNAVAILABLE.",
    "a0ipc_router_shadow_comparisons_total": "Read-only calls sent to both backends.",
    "a0ipc_router_shadow_mismatches_total": "Shadow calls whose answers differed.",
}


def inc(name, **labels):
    k = (name, tuple(sorted(labels.items())))
    with _lock:
        _counters[k] = _counters.get(k, 0) + 1


def snapshot():
    """{(name, ((label, value), ...)): count}"""
    with _lock:
        return dict(_counters)


def count(name, **labels):
    """The sum of name's counters whose labels include the given ones."""
    want = set(labels.items())
    return sum(v for (n, ls), v in snapshot().items() if n == name and want <= set(ls))


def reset():
    with _lock:
        _counters.clear()


def _escape(v):
    return str(v).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def text():
    lines = []
    snap = snapshot()
    for name in sorted({n for n, _ in snap}):
        lines.append("# HELP %s %s" % (name, HELP.get(name, name)))
        lines.append("# TYPE %s counter" % name)
        for (n, ls), v in sorted(snap.items()):
            if n == name:
                lab = ",".join('%s="%s"' % (k, _escape(x)) for k, x in ls)
                lines.append("%s{%s} %d" % (name, lab, v))
    return "\n".join(lines) + "\n"
