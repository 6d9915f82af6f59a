"""The smoke test of ``a0ipc agent-zero status``, run in Agent Zero's interpreter with Agent
Zero's a0ipc settings: health, a file round trip and a shell command against a0ipcd, each on a
line with its time; exit status 0 when all three pass.

The file is written at a relative path (relative to a0ipcd's root), under a name of its own,
and removed again; the shell is a session of its own, closed at the end.
"""
import asyncio
import os
import sys
import time

STEP_SECONDS = 15  # each step's deadline: a daemon that is down fails the step, never hangs it

async def _checks(client, out):
    from a0ipc.results import HealthStatus
    failures = 0

    async def step(what, coro):
        nonlocal failures
        t = time.monotonic()
        try:
            detail = await asyncio.wait_for(coro, STEP_SECONDS)
            print("  ok    %-12s %7.1f ms  %s" % (what, (time.monotonic() - t) * 1e3, detail),
                  file=out)
        except Exception as e:  # each step reports its own failure and the next one runs
            failures += 1
            why = ("no answer in %d s" % STEP_SECONDS if isinstance(e, asyncio.TimeoutError)
                   else "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0][:300]))
            print("  FAIL  %-12s %7.1f ms  %s" % (what, (time.monotonic() - t) * 1e3, why),
                  file=out)

    async def health():
        status = await client.health(timeout=STEP_SECONDS)
        if status != HealthStatus.SERVING:
            raise RuntimeError("a0ipcd answers %s" % getattr(status, "name", status))
        return status.name

    async def files():
        path = ".a0ipc-status-%d-%d" % (os.getpid(), time.time_ns())
        data = b"a0ipc status\n"
        await client.files.write(path, data)
        try:
            back = await client.files.read(path, format="bytes")
        finally:
            await client.files.remove(path, missing_ok=True)
        if back != data:
            raise RuntimeError("read back %r, wrote %r" % (back, data))
        return "wrote, read and removed %s (%d bytes)" % (path, len(data))

    async def shell():
        r = await client.create_session()
        sid = r.session_id
        try:
            text, code = b"", None
            async for ev in client.run(sid, "echo a0ipc-status-$((6*7))"):
                if ev.HasField("output"):
                    text += ev.output.data
                elif ev.HasField("done"):
                    code = ev.done.exit_code
        finally:
            await client.close_session(sid)
        if b"a0ipc-status-42" not in text or code != 0:
            raise RuntimeError("shell said %r, exit code %r" % (text[-200:], code))
        return "echo in a new session: %r, exit code 0" % text.decode().strip()

    await step("health", health())
    if failures:
        print("  skip  file, shell: a0ipcd did not answer", file=out)
        return 3
    await step("file", files())
    await step("shell", shell())
    return failures


async def _main(out):
    import a0ipc
    from a0ipc.channel import ConnectionOptions
    # Not waiting for a daemon that is down: status says so at once.
    opts = ConnectionOptions.from_env(wait_for_ready=False)
    print("a0ipcd:     %s (backend %s)" % (opts.target, os.environ.get("A0IPC_BACKEND", "grpc")),
          file=out)
    client = a0ipc.RuntimeClient(options=opts)
    try:
        return await _checks(client, out)
    finally:
        await client.close()


def main():
    failures = asyncio.run(_main(sys.stdout))
    print("smoke test: %s" % ("passed" if not failures else "%d of 3 failed" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
