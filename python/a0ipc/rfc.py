"""The legacy RFC of Agent Zero (docs/legacy-protocol.md, "RFC over HTTP"), spoken with the
standard library only.

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


_TRACEBACK = "\n\nTraceback (most recent call last):"


def legacy_exception(text):
    """The exception a legacy 500 body describes — the one table from legacy failure bodies to
    Python exceptions. Two layouts (docs/legacy-protocol.md, "RFC over HTTP"): a type whose name
    ends in "Error" puts "<Type>: <message>" first, then a blank line and the traceback; anything
    else is the traceback alone, ending in "<Type>: <message>"."""
    if not text.startswith(_TRACEBACK[2:]):
        # "<Type>: <message>", a blank line, the traceback (maybe several, chained)
        head = text.partition(_TRACEBACK)[0]
        name, _, message = head.partition(": ")
    else:
        # The traceback alone (chained ones too): the exception raised last is described by
        # its last lines, from the last line that starts "Type: message" (traceback lines are
        # indented and "During handling ..." has no such start).
        lines = text.rstrip("\n").split("\n")
        start = None
        for i in range(len(lines) - 1, -1, -1):
            word = lines[i].split(": ", 1)[0]
            if ": " in lines[i] and all(w.isidentifier() for w in word.split(".")):
                start = i
                break
        if start is None:
            return Exception(text.rstrip("\n"))
        name, first = lines[start].split(": ", 1)
        message = "\n".join([first] + lines[start + 1:])
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls(message)
    return LegacyError(name, message)


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
