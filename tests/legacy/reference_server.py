#!/usr/bin/python3
"""A reference server for Agent Zero's legacy RFC (the HMAC-signed remote function call over HTTP,
docs/legacy-protocol.md, "RFC over HTTP"),
standard library only, for the legacy transport's tests.

  RFC_PASSWORD=secret /usr/bin/python3 reference_server.py --port 0     # prints "port <n>"

POST /api/rfc with {"rfc_input": "<json>", "hash": "<hex>"}: the password is checked first (none:
Exception "No RFC password, cannot handle RFC calls."), then the HMAC-SHA256 over rfc_input as
received (Exception "Invalid RFC hash"), then module.function_name(*args, **kwargs) is called,
awaited when it is a coroutine function. 200 with json.dumps(result) as application/json, or 500
with the traceback as text/plain, laid out as Agent Zero's server lays it out (its
helpers/errors.py format_error, as its api.py answers a failure): the full traceback text of the
exception, chained causes first, after a second "Traceback (most recent call last):" header; when
any line of it is "<name>Error: ..." (at the start of a line), the last such line is taken out
of the traceback and put on top, followed by a blank line. That top line may be a CAUSE's: an
Exception("Failed to move file S to D: ...") raised while handling a FileNotFoundError has the
FileNotFoundError's line on top and its own line at the end. A traceback of more than 35 frame
lines keeps the first part and the last 35, with ">>>  N stack lines skipped <<<" between.

Unlike the legacy server, which imports any module it is asked for, this one serves only the
modules in SERVED_MODULES (here: tests/legacy/helpers/rfc_files.py) and only functions defined in
them; anything else fails as an import or attribute lookup would. It listens on 127.0.0.1 only.

For the tests of a dispatch that names other modules (Agent Zero's own runtime functions),
REFERENCE_SERVER_MODULES (comma-separated module names) adds modules to SERVED_MODULES, imported
from the directory REFERENCE_SERVER_PATH; with REFERENCE_SERVER_RECORD set, every call that
passed the hash check is appended to that file as a JSON line [module, function_name, args,
kwargs] (what the server received)."""
import argparse
import asyncio
import hashlib
import hmac
import importlib
import inspect
import json
import os
import re
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SERVED_MODULES = {"helpers.rfc_files"}
if os.environ.get("REFERENCE_SERVER_MODULES"):
    SERVED_MODULES |= {m.strip() for m in os.environ["REFERENCE_SERVER_MODULES"].split(",")
                       if m.strip()}
if os.environ.get("REFERENCE_SERVER_PATH"):
    sys.path.insert(0, os.environ["REFERENCE_SERVER_PATH"])


def sign(text, password):
    return hmac.new(password.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def lookup(module, function_name):
    if module not in SERVED_MODULES:
        raise ModuleNotFoundError(f"No module named '{module}'", name=module)
    mod = importlib.import_module(module)
    func = getattr(mod, function_name, None)
    if not inspect.isfunction(func) or func.__module__ != module:
        raise AttributeError(f"module '{module}' has no attribute '{function_name}'")
    return func


def handle_rfc(call):
    password = os.environ.get("RFC_PASSWORD", "")
    if not password:
        raise Exception("No RFC password, cannot handle RFC calls.")
    if sign(call["rfc_input"], password) != call["hash"]:
        raise Exception("Invalid RFC hash")
    rfc = json.loads(call["rfc_input"])
    if os.environ.get("REFERENCE_SERVER_RECORD"):
        with open(os.environ["REFERENCE_SERVER_RECORD"], "a", encoding="utf-8") as f:
            f.write(json.dumps([rfc["module"], rfc["function_name"], rfc["args"],
                                rfc["kwargs"]]) + "\n")
    func = lookup(rfc["module"], rfc["function_name"])
    if inspect.iscoroutinefunction(func):
        return asyncio.run(func(*rfc["args"], **rfc["kwargs"]))
    return func(*rfc["args"], **rfc["kwargs"])


def error_body(e, start_entries=20, end_entries=15):
    """The 500 body of Agent Zero's server for exception e (see the module's doc)."""
    lines = "".join(traceback.format_exception(type(e), e, e.__traceback__)).split("\n")
    frames = [i for i, line in enumerate(lines) if line.strip().startswith("File ")]
    kept = lines
    if len(frames) > start_entries + end_entries:
        cut = len(frames) - start_entries - end_entries
        first = frames[max(0, cut)]
        kept = (lines[:first] + ["\n>>>  %d stack lines skipped <<<\n" % cut]
                + lines[frames[max(0, cut) + end_entries]:])
    top = next((line for line in reversed(lines) if re.match(r"[\w\.]+Error:\s*", line)), "")
    if top:
        for i in range(len(kept) - 1, -1, -1):
            if kept[i].strip() == top.strip():
                kept = kept[:i] + kept[i + 1:]
                break
    body = "Traceback (most recent call last):\n" + "\n".join(kept) if kept else top
    if top:
        body = "%s\n\n%s" % (top, body) if body else top
    return body or str(e)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/api/rfc":
            self.reply(404, "text/plain; charset=utf-8", "404: Not Found")
            return
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            result = handle_rfc(json.loads(raw))
        except Exception as e:  # the legacy answers every failure with its traceback
            self.reply(500, "text/plain; charset=utf-8", error_body(e))
            return
        self.reply(200, "application/json; charset=utf-8", json.dumps(result))

    def reply(self, status, content_type, text):
        data = text.encode("utf-8", "surrogateescape")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
