"""The backend switch: which side, legacy RFC or a0ipcd, serves a call.

The Python twin of the C router's flags (include/a0ipc/router.h, docs/migration.md), read on
every call so that a change takes effect at once:

  A0IPC_BACKEND         legacy | grpc | canary | shadow. Unset: canary when a percentage is
                        set, else legacy. Rolling back is A0IPC_BACKEND=legacy with no
                        A0IPC_METHODS.
  A0IPC_CANARY_PERCENT  0..100: the share of routing keys sent to gRPC in canary mode.
  A0IPC_METHODS         per-helper overrides of A0IPC_BACKEND (as the C router's
                        method.<name>): "read_file_as_base64=grpc,move_file=legacy". The
                        Agent Zero plugin's dispatch takes its function names here too, short
                        or in full: "get_files=legacy,helpers.files.zip_dir=grpc".
  A0IPC_FALLBACK        true (default) | false: repeat a call on legacy when a0ipcd answers
                        UNAVAILABLE (it did not process the call).
  A0IPC_ROUTING_KEY     the routing key of calls that name none.
  A0IPC_FLAGS_FILE      a file of `key = value` lines with the same settings (backend,
                        canary-percent, methods, fallback), re-read when it changes, so a running
                        Agent Zero can be moved without a restart; the environment wins over it.

Canary: a key's bucket is FNV-1a (32 bit) of its UTF-8 bytes, mod 100 — the C router's
a0ipc_router_bucket, so one agent lands on the same side in C and in Python; a key is sent to
gRPC when its bucket is below the percentage. A call without a key goes to legacy unless the
percentage is 100. Shadow: read-only helpers are sent to both sides and the legacy answer is
returned (compare.py counts the differences); helpers with effects go to legacy only.

The routing key is the agent (context) id: pass routing_key=..., or set it for a block of code
with ``with routing.key(agent_id): ...``.
"""
import contextlib
import contextvars
import dataclasses
import os

MODES = ("legacy", "grpc", "canary", "shadow")
READ_ONLY = frozenset(("read_file_as_base64", "read_file_binary", "list_folder", "path_exists",
                       "file_exists", "folder_exists", "get_subdirectories"))

_key = contextvars.ContextVar("a0ipc_routing_key", default=None)


def bucket(routing_key):
    """The stable bucket (0..99) of a routing key (FNV-1a 32, as the C router)."""
    h = 2166136261
    for b in routing_key.encode("utf-8"):
        h ^= b
        h = (h * 16777619) & 0xFFFFFFFF
    return h % 100


@contextlib.contextmanager
def key(routing_key):
    """Calls in this block (and tasks started in it) carry routing_key."""
    token = _key.set(routing_key)
    try:
        yield
    finally:
        _key.reset(token)


@dataclasses.dataclass(frozen=True)
class Flags:
    backend: str = "legacy"
    canary_percent: int = 0
    methods: tuple = ()  # (helper name, mode) pairs
    fallback: bool = True
    routing_key: str | None = None

    def mode_for(self, method):
        return dict(self.methods).get(method, self.backend)


def _bool(text, what):
    t = text.strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise ValueError("a0ipc: %s must be true or false, not %r" % (what, text))


def _mode(text, what):
    t = text.strip().lower()
    if t not in MODES:
        raise ValueError("a0ipc: %s must be one of %s, not %r" % (what, "|".join(MODES), text))
    return t


def _percent(text):
    try:
        p = int(text.strip())
    except ValueError:
        p = -1
    if not 0 <= p <= 100:
        raise ValueError("a0ipc: the canary percentage must be 0..100, not %r" % text)
    return p


def _methods(text):
    out = []
    for item in filter(None, (i.strip() for i in text.split(","))):
        name, sep, mode = item.partition("=")
        if not sep:
            raise ValueError("a0ipc: a method override is name=mode, not %r" % item)
        out.append((name.strip(), _mode(mode, "the mode of " + name.strip())))
    return tuple(out)


_file_cache = {"path": None, "mtime": None, "values": {}}


def _file_values(path):
    """key = value lines of the flags file, re-read when its mtime changes."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return {}
    c = _file_cache
    if c["path"] != path or c["mtime"] != mtime:
        values = {}
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                k, sep, v = line.partition("=")
                if not sep:
                    raise ValueError("a0ipc: %s:%d: expected key = value" % (path, n))
                values[k.strip()] = v.strip()
        c.update(path=path, mtime=mtime, values=values)
    return c["values"]


def flags(env=None, default_backend="legacy", default_fallback=True):
    """The flags in force: the flags file, then the environment. ValueError for a bad value
    (nothing is guessed: a typo must not move traffic). default_backend and default_fallback
    apply when neither sets them (the Agent Zero plugin's dispatch: grpc, no fallback)."""
    env = os.environ if env is None else env
    v = dict(_file_values(env["A0IPC_FLAGS_FILE"])) if env.get("A0IPC_FLAGS_FILE") else {}
    for name, var in (("backend", "A0IPC_BACKEND"), ("canary-percent", "A0IPC_CANARY_PERCENT"),
                      ("methods", "A0IPC_METHODS"), ("fallback", "A0IPC_FALLBACK"),
                      ("routing-key", "A0IPC_ROUTING_KEY")):
        if env.get(var, "") != "":
            v[name] = env[var]
    percent = _percent(v["canary-percent"]) if "canary-percent" in v else 0
    if "backend" in v:
        backend = _mode(v["backend"], "A0IPC_BACKEND")
    else:
        backend = "canary" if "canary-percent" in v else default_backend
    return Flags(backend=backend, canary_percent=percent,
                 methods=_methods(v.get("methods", "")),
                 fallback=(_bool(v["fallback"], "A0IPC_FALLBACK") if "fallback" in v
                           else default_fallback),
                 routing_key=v.get("routing-key") or None)


def choose(method, routing_key=None, f=None):
    """"legacy", "grpc" or "shadow" for one call of helper `method`."""
    f = f or flags()
    if f.backend == "legacy" and not f.methods:
        return "legacy"
    mode = f.mode_for(method)
    if mode == "canary":
        k = routing_key if routing_key is not None else _key.get()
        if k is None:
            k = f.routing_key
        if f.canary_percent >= 100 or (k is not None and bucket(k) < f.canary_percent):
            return "grpc"
        return "legacy"
    if mode == "shadow":
        return "shadow" if method in READ_ONLY else "legacy"
    return mode
