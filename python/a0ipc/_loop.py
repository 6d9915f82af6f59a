"""One background event loop for the module-level file helpers.

grpc.aio channels belong to one event loop, and Agent Zero calls the file operations from many:
its main loop, and a fresh loop in a new thread for every synchronous call
(runtime.call_development_function_sync runs asyncio.run in a thread). A channel per such loop
would be a new connection per call, left open when the loop goes. So the module-level helpers
(a0ipc.files and a0ipc.files_async) run their coroutines on one loop of their own, in a daemon
thread started on first use, where one channel serves the whole process.
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


async def run_async(coro):
    """Awaits coro run on the background loop, from any other event loop."""
    loop = _start()
    if threading.current_thread() is _thread:
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))


def run(coro):
    """Runs coro on the background loop and returns its result (or raises its exception)."""
    loop = _start()
    if threading.current_thread() is _thread:
        coro.close()
        raise RuntimeError("a0ipc: a synchronous helper was called from its own event loop; "
                           "use a0ipc.files_async there")
    return asyncio.run_coroutine_threadsafe(coro, loop).result()
