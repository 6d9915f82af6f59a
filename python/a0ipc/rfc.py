"""The legacy RFC of Agent Zero (docs/legacy-protocol.md, "RFC over HTTP"), spoken with the standard library only.

This is the legacy side of the backend switch: while traffic moves to a0ipcd, the calls that
stay on the old path must reach the old server exactly as Agent Zero sent them. So the envelope
is built the way Agent Zero builds it, byte for byte (rfc_vectors.json holds the proof):
``rfc_input`` is json.dumps of {module, function_name, args, kwargs} with Python's default
separators and ensure_ascii, ``hash`` the lowercase hex HMAC-SHA256 of that text under the RFC
password, and the body json.dumps of the two.

Answers: 200 carries json.dumps of the return value. 500 carries a traceback; it becomes the
exception the function raised on the other side (legacy_exception below), so that a caller sees
``FileNotFoundError: File not found: P`` as it would have locally. Whatever else goes wrong on
the way is ConnectionError or TimeoutError (30 s, the legacy synchronous wrapper's limit).

The legacy weaknesses stay the legacy's (plain HTTP, no replay protection): this module exists
to be switched off.
"""
import builtins
import hashlib
import hmac
import json
import os
import re
import socket
import urllib.error
import urllib.request

DEFAULT_URL = "localhost"
DEFAULT_PORT = 55080
DEFAULT_TIMEOUT = 30.0
FILES_MODULE = "helpers.rfc_files"


def rfc_input(module, function_name, args=(), kwargs=None):
    """The signed text: Agent Zero's json.dumps of the call, default settings."""
    return json.dumps({"module": module, "function_name": function_name, "args": list(args),
                       "kwargs": dict(kwargs or {})})


def sign(text, password):
    return hmac.new(password.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def envelope(module, function_name, args=(), kwargs=None, password=""):
    """{"rfc_input": ..., "hash": ...} for one call."""
    text = rfc_input(module, function_name, args, kwargs)
    return {"rfc_input": text, "hash": sign(text, password)}


def body(call):
    """The bytes POSTed: json.dumps of the envelope, as aiohttp's json= sends it."""
    return json.dumps(call).encode("utf-8")


def endpoint(url=DEFAULT_URL, port=DEFAULT_PORT):
    """Agent Zero's _get_rfc_url: http:// added when there is no scheme, one trailing / cut."""
    if "://" not in url:
        url = "http://" + url
    if url.endswith("/"):
        url = url[:-1]
    return "%s:%s/api/rfc" % (url, port)


class LegacyError(Exception):
    """A legacy exception whose type is not a Python built-in (type_name says which)."""

    def __init__(self, type_name, message):
        super().__init__(message)
        self.type_name = type_name


_TRACEBACK_HEAD = "Traceback (most recent call last):"
_CHAIN_LINES = ("The above exception was the direct cause of the following exception:",
                "During handling of the above exception, another exception occurred:")
_ERRNO_MESSAGE = re.compile(r"\[Errno (\d+)\] ([^:]*)(?:: (.*))?\Z", re.DOTALL)


def _exception_start(line):
    """(type name, message start) when line is "<Type>: <message>" or a bare "<Type>" with a
    dotted Python name, else None."""
    name, sep, rest = line.partition(":")
    if not name or not all(w.isidentifier() or w == "<locals>" for w in name.split(".")):
        return None
    if not sep:
        return name, ""
    return name, rest[1:] if rest.startswith(" ") else rest


def _raised_in(lines):
    """The "<Type>: <message>" lines of the exception that ends a traceback text: the last
    chained section (after the last "The above exception ..." / "During handling ..."), its
    first line at column 0 after the frames (frames are indented; Agent Zero's formatter adds
    a second "Traceback ..." header and ">>> N stack lines skipped <<<"). None when the section
    has no such line (Agent Zero's formatter moved it to the top of the body)."""
    start = 0
    for i, line in enumerate(lines):
        if line in _CHAIN_LINES:
            start = i + 1
    section = lines[start:]
    for i, line in enumerate(section):
        if not line or line[0] in " \t" or line == _TRACEBACK_HEAD:
            continue
        if line.startswith(">>>") and line.endswith("<<<"):
            continue
        found = _exception_start(line)
        if found is None:
            continue
        rest = section[i + 1:]
        while rest and not rest[-1].strip():
            rest = rest[:-1]
        return found[0], "\n".join([found[1]] + rest)
    return None


def _make(name, message):
    cls = getattr(builtins, name, None) if "." not in name else None
    if isinstance(cls, type) and issubclass(cls, Exception):
        if issubclass(cls, OSError):
            m = _ERRNO_MESSAGE.match(message)
            if m:
                # "[Errno N] strerror[: 'file'[ -> 'file2']]": rebuilt with errno and the paths
                files = _quoted_paths(m.group(3)) if m.group(3) is not None else ()
                e = cls(int(m.group(1)), m.group(2), *files)
                if str(e) == message:
                    return e
        return cls(message)
    return LegacyError(name, message)


def _quoted_paths(text):
    import ast
    parts = text.split(" -> ")
    try:
        values = [ast.literal_eval(p) for p in parts]
    except (ValueError, SyntaxError):
        return ()
    if not all(isinstance(v, str) for v in values) or len(values) > 2:
        return ()
    return (values[0],) if len(values) == 1 else (values[0], None, values[1])


def legacy_exception(text):
    """The exception a legacy 500 body describes — the one table from legacy failure bodies to
    Python exceptions — as Agent Zero's server writes them (helpers/errors.py format_error
    through api.py): the full traceback text of the exception, chained causes first; when any
    line of it is "<Something>Error: ..." the last such line is moved to the top of the body,
    followed by a blank line. That top line can be a CAUSE: for ``raise Exception("Failed to
    move file S to D: ...")`` inside ``except OSError`` the body starts with the OSError, and
    the exception raised is the one that ends the last chained section. So: the exception that
    ends the traceback when there is one, else the top line."""
    lines = text.replace("\r\n", "\n").split("\n")
    top = None
    if lines and not lines[0].startswith(_TRACEBACK_HEAD):
        top = _exception_start(lines[0])
        if top is not None:
            lines = lines[1:]  # the moved line (it is not part of the traceback below)
    raised = _raised_in(lines)
    if raised is not None:
        return _make(*raised)
    if top is not None:
        return _make(*top)
    return Exception(text.rstrip("\n"))


class RfcClient:
    """Calls functions on the legacy RFC server. url/port/password default to the environment:
    A0IPC_RFC_URL (localhost), A0IPC_RFC_PORT (55080), A0IPC_RFC_PASSWORD or RFC_PASSWORD."""

    def __init__(self, url=None, port=None, password=None, timeout=DEFAULT_TIMEOUT):
        env = os.environ
        self.url = url or env.get("A0IPC_RFC_URL") or DEFAULT_URL
        self.port = int(port or env.get("A0IPC_RFC_PORT") or DEFAULT_PORT)
        if password is None:
            password = env.get("A0IPC_RFC_PASSWORD", env.get("RFC_PASSWORD", ""))
        self.password = password
        self.timeout = timeout

    def call(self, module, function_name, *args, **kwargs):
        """module.function_name(*args, **kwargs) on the server; its JSON result."""
        data = body(envelope(module, function_name, args, kwargs, self.password))
        req = urllib.request.Request(endpoint(self.url, self.port), data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            if e.code == 500:
                raise legacy_exception(text) from None
            raise Exception(text) from None  # what the aiohttp client raised
        except (socket.timeout, TimeoutError):
            raise TimeoutError("legacy RFC call %s.%s timed out after %g s"
                               % (module, function_name, self.timeout)) from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, (socket.timeout, TimeoutError)):
                raise TimeoutError("legacy RFC call %s.%s timed out after %g s"
                                   % (module, function_name, self.timeout)) from None
            raise ConnectionError("legacy RFC server %s: %s"
                                  % (endpoint(self.url, self.port), e.reason)) from None
