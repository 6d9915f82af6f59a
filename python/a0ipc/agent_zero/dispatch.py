"""Agent Zero's runtime functions, served by name.

``await call(func, module, name, args, kwargs)``: ``module`` and ``name`` are what Agent Zero's
RFC would send (e.g. ``api.file_info``, ``get_file_info``); ``func`` is the function object (for
functions served in-process). Returns what Agent Zero's own function returns when run locally,
or raises the exception it raises. A function not in the table raises :class:`NotServed`.

The table (:data:`TABLE`) names every function Agent Zero v1.x calls through
``helpers.runtime.call_development_function`` at its live call sites (25), by the module path
its RFC uses, which for a plugin is the path under Agent Zero's directory
(``plugins._text_editor.helpers.file_ops``, or ``usr.plugins.<name>...`` for a user plugin of
the same name: both spellings are in the table). docs/agent-zero-calls.md describes each entry.

Where a call goes is decided per call by the backend switch (a0ipc.routing, read on every call):

- ``A0IPC_BACKEND``: grpc (the plugin's default when nothing is set), legacy, canary, shadow.
- ``A0IPC_METHODS``: per-function overrides by the function's name or its full
  ``module.function`` name, e.g. ``get_files=legacy,helpers.files.zip_dir=grpc``.
- ``A0IPC_CANARY_PERCENT`` and the routing key (``A0IPC_ROUTING_KEY``, ``routing.key()``).
- shadow: the read-only functions (:data:`READ_ONLY`) go to both sides, the legacy answer is
  returned and a difference is counted and logged; the others go to legacy only.
- ``A0IPC_FALLBACK``: when a0ipcd answers UNAVAILABLE (it did not process the call), repeat the
  call on legacy. The plugin's default is false (a host switched to a0ipcd usually has no
  legacy runtime left); set it to true while both run.

The switch decides for every function of the table, the ones that are not file work included:
on the legacy side pause_loop, _provide_root_password and _search go to the container as
before; on the a0ipcd side they are answered as a native host answers them (functions/native.py).

The legacy side speaks the RFC exactly as Agent Zero's development mode does (a0ipc.rfc): module,
function_name, args and kwargs, signed with ``RFC_PASSWORD``, to ``rfc_url``:``rfc_port_http``
read from Agent Zero's settings (environment ``A0_SET_rfc_url`` / ``A0_SET_rfc_port_http`` or
``A0IPC_RFC_URL`` / ``A0IPC_RFC_PORT`` when the settings cannot be read). Its error bodies are
decoded back into the exception the function raised (rfc.legacy_exception).

The gRPC side runs on one background event loop of this process with one RuntimeClient per
connection settings (RuntimeClient.from_env: ``A0IPC_TARGET`` and the others of
a0ipc.channel), so every event loop and thread of Agent Zero shares one channel.
"""
import asyncio
import logging
import os

from a0ipc import _loop, compare, errors, metrics, routing
from a0ipc.agent_zero.functions import (attachments, file_browser, files, native,
                                        promptinclude, text_editor)

log = logging.getLogger("a0ipc")


class NotServed(Exception):
    """A runtime call that a0ipc does not serve: it is refused, never executed remotely."""

    def __init__(self, module, name):
        super().__init__(
            "a0ipc: the runtime function %s.%s is not served by a0ipcd (not in a0ipc's dispatch "
            "table); refusing to run it remotely" % (module, name))
        self.module = module
        self.name = name


Refused = native.Refused

_IN_PROCESS = object()  # marks the functions that are called here, in the framework

# module.function -> implementation (fs, *args, **kwargs); names as Agent Zero's RFC sends them
_BASE = {
    "api.get_work_dir_files.get_files": file_browser.get_files,
    "api.file_info.get_file_info": file_browser.get_file_info,
    "api.delete_work_dir_file.delete_file": file_browser.delete_file,
    "api.download_work_dir_file.fetch_file": file_browser.fetch_file,
    "api.edit_work_dir_file.load_file": file_browser.load_file,
    "api.edit_work_dir_file.save_file": file_browser.save_file,
    "api.rename_work_dir_file.create_folder": file_browser.create_folder,
    "api.rename_work_dir_file.rename_item": file_browser.rename_item,
    "api.upload_work_dir_files.upload_file": file_browser.upload_file,
    "helpers.files.zip_dir": files.zip_dir,
    "helpers.files.exists": files.exists,
    "helpers.files.read_file_base64": files.read_file_base64,
    "plugins._code_execution.tools.code_execution_tool.make_dir": files.make_dir,
    "plugins._text_editor.helpers.file_ops.read_file": text_editor.read_file,
    "plugins._text_editor.helpers.file_ops.file_info": text_editor.file_info,
    "plugins._text_editor.helpers.file_ops.write_file": text_editor.write_file,
    "plugins._text_editor.helpers.file_ops.apply_patch": text_editor.apply_patch,
    "plugins._promptinclude.helpers.scanner.scan_promptinclude_files":
        promptinclude.scan_promptinclude_files,
    "plugins._email_integration.helpers.attachment_reader.read_attachment":
        attachments.read_attachment,
    "plugins._email_integration.helpers.attachment_writer.write_attachment":
        attachments.write_attachment,
    "plugins._whatsapp_integration.helpers.attachment_reader.read_attachment":
        attachments.read_attachment,
    "plugins._whatsapp_integration.helpers.attachment_writer.write_attachment":
        attachments.write_attachment,
    "helpers.job_loop.pause_loop": native.pause_loop,
    "helpers.rfc_exchange._provide_root_password": native._provide_root_password,
    "helpers.searxng._search": _IN_PROCESS,
}

# A user plugin of the same name (usr/plugins/<name>/) replaces the built-in one whole, and its
# functions are named from their file: usr.plugins.<name>....
TABLE = dict(_BASE)
TABLE.update({"usr." + k: v for k, v in _BASE.items() if k.startswith("plugins.")})

# Functions without effects: the ones shadow mode sends to both sides.
READ_ONLY = frozenset(k for k in TABLE if k.rsplit(".", 1)[1] in (
    "get_files", "get_file_info", "fetch_file", "load_file", "exists", "read_file_base64",
    "read_file", "file_info", "scan_promptinclude_files", "read_attachment"))


def served(module, name):
    return ("%s.%s" % (module, name)) in TABLE


# ---- the backend switch ----

def _choose(full, name, f):
    """legacy | grpc | shadow for one call, by the function's full name, then its short
    name, then the backend."""
    key = full if full in dict(f.methods) else name
    if f.mode_for(key) == "shadow":
        return "shadow" if full in READ_ONLY else "legacy"
    return routing.choose(key, f=f)


def flags():
    """The switch as the plugin reads it: grpc and no fallback unless set otherwise."""
    return routing.flags(default_backend="grpc", default_fallback=False)


# ---- the gRPC side ----

_clients = {}


def _client(f):
    """The RuntimeClient for the connection settings in force (one per settings, on the
    background loop). With a fallback to legacy, a daemon that is not there fails fast
    (UNAVAILABLE) instead of being waited for; A0IPC_WAIT_FOR_READY overrides."""
    from a0ipc.channel import ConnectionOptions
    from a0ipc.client import RuntimeClient
    options = ConnectionOptions.from_env(
        **({} if os.environ.get("A0IPC_WAIT_FOR_READY") else {"wait_for_ready": not f.fallback}))
    client = _clients.get(options)
    if client is None:
        client = _clients[options] = RuntimeClient(options=options)
    return client


async def _on_grpc(impl, args, kwargs, f):
    from a0ipc.agent_zero.functions._fs import RemoteOS, Transport

    async def run():
        try:
            return await impl(RemoteOS(_client(f)), *args, **kwargs)
        except Transport as t:
            raise t.error from None
    return await _loop.run_async(run())


# ---- the legacy side ----

def _rfc_settings():
    """(url, port, password) as Agent Zero's development mode reads them."""
    url = port = None
    try:
        from helpers import settings
        s = settings.get_settings()
        url, port = s.get("rfc_url"), s.get("rfc_port_http")
    except Exception:  # noqa: BLE001 - the stand-in values below
        pass
    env = os.environ
    url = url or env.get("A0_SET_rfc_url") or env.get("A0IPC_RFC_URL") or "localhost"
    port = port or env.get("A0_SET_rfc_port_http") or env.get("A0IPC_RFC_PORT") or 55080
    try:
        from helpers import runtime
        password = runtime._get_rfc_password()
    except (ImportError, AttributeError):
        password = env.get("RFC_PASSWORD", "")
        if not password:
            raise Exception("No RFC password, cannot handle RFC calls.") from None
    return url, int(port), password


async def _on_legacy(module, name, args, kwargs):
    from a0ipc import rfc
    url, port, password = _rfc_settings()
    client = rfc.RfcClient(url=url, port=port, password=password)
    return await asyncio.to_thread(client.call, module, name, *args, **kwargs)


async def _counted(backend, name, coro):
    try:
        result = await coro
    except Exception as e:
        code = e.code if isinstance(e, errors.RuntimeError_) else type(e).__name__
        metrics.inc("a0ipc_router_calls_total", backend=backend, method=name, code=code)
        raise
    metrics.inc("a0ipc_router_calls_total", backend=backend, method=name, code="OK")
    return result


async def call(func, module, name, args, kwargs):
    full = "%s.%s" % (module, name)
    impl = TABLE.get(full)
    if impl is None:
        raise NotServed(module, name)
    f = flags()
    where = _choose(full, name, f)
    if where == "legacy":
        return await _counted("legacy", name, _on_legacy(module, name, args, kwargs))
    if where == "grpc" and impl is _IN_PROCESS:
        return await native.run_in_process(func, *args, **kwargs)
    if where == "grpc":
        try:
            return await _counted("grpc", name, _on_grpc(impl, args, kwargs, f))
        except errors.Unavailable as e:
            if not f.fallback:
                raise
            log.warning("a0ipc: %s on a0ipcd failed (%s); repeating it on legacy", full, e)
            metrics.inc("a0ipc_router_fallbacks_total", method=name)
            return await _counted("legacy", name, _on_legacy(module, name, args, kwargs))
    return await compare.shadow(name, full, args,
                                _counted("legacy", name, _on_legacy(module, name, args, kwargs)),
                                _counted("grpc", name, _on_grpc(impl, args, kwargs, f)))
