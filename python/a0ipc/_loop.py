"""One background event loop for the synchronous helpers.

Agent Zero calls the legacy file operations from synchronous code
(runtime.call_development_function_sync), while the gRPC side is grpc.aio, whose channels belong
to one event loop. So the synchronous helpers run their coroutines on a loop of their own, in a
daemon thread started on first use, where one channel serves every caller thread.
"""
import asyncio
import threading

_lock = threading.Lock()
_loop = None
_thread = None


def _start():
    global _loop, _thread
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def main():
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            _thread = threading.Thread(target=main, name="a0ipc-sync", daemon=True)
            _thread.start()
            ready.wait()
            _loop = loop
    return _loop


def run(coro):
    """Runs coro on the background loop and returns its result (or raises its exception)."""
    loop = _start()
    if threading.current_thread() is _thread:
        coro.close()
        raise RuntimeError("a0ipc: a synchronous helper was called from its own event loop; "
                           "use a0ipc.files_async there")
    return asyncio.run_coroutine_threadsafe(coro, loop).result()
