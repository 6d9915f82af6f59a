#!/usr/bin/python3
"""A reference server for Agent Zero's legacy RFC (docs/legacy-protocol.md, "RFC over HTTP"),
standard library only, for the legacy transport's tests.

  RFC_PASSWORD=secret /usr/bin/python3 reference_server.py --port 0     # prints "port <n>"

POST /api/rfc with {"rfc_input": "<json>", "hash": "<hex>"}: the password is checked first (none:
Exception "No RFC password, cannot handle RFC calls."), then the HMAC-SHA256 over rfc_input as
received (Exception "Invalid RFC hash"), then module.function_name(*args, **kwargs) is called,
awaited when it is a coroutine function. 200 with json.dumps(result) as application/json, or 500
with the traceback as text/plain: for a type whose name ends in "Error" the first line is
"<Type>: <message>", a blank line, then the traceback; otherwise the traceback alone.

Unlike the legacy server, which imports any module it is asked for, this one serves only the
modules in SERVED_MODULES (here: tests/legacy/helpers/rfc_files.py) and only functions defined in
them; anything else fails as an import or attribute lookup would. It listens on 127.0.0.1 only."""
import argparse
import asyncio
import hashlib
import hmac
import importlib
import inspect
import json
import os
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SERVED_MODULES = {"helpers.rfc_files"}


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
    func = lookup(rfc["module"], rfc["function_name"])
    if inspect.iscoroutinefunction(func):
        return asyncio.run(func(*rfc["args"], **rfc["kwargs"]))
    return func(*rfc["args"], **rfc["kwargs"])


def error_body(e):
    text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    if type(e).__name__.endswith("Error"):
        line = traceback.format_exception_only(type(e), e)[-1].rstrip("\n")
        return f"{line}\n\n{text}"
    return text


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
