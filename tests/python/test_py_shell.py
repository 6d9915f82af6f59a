"""GrpcInteractiveSession against a real a0ipcd: commands and their exit codes, read_output's
(full, partial) contract, a dialog answered with send_command, the Run timeouts, reattaching
after dropped connections (mid-output, before any output, and while the command finished), the
same cleaned text as the daemon's RunRequest.clean_output, interrupts, and the session's end."""
import asyncio
import os
import random
import shutil
import tempfile
import unittest

import support

from a0ipc import term_clean
from a0ipc.client import RuntimeClient
from a0ipc.shell import GrpcInteractiveSession


def fifo_write(path, text):
    with open(path, "w") as f:  # blocks until the command opens its end
        f.write(text)


def fifo_read(path):
    with open(path) as f:
        return f.read()


class ShellTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-pys-")
        self.root = os.path.realpath(self.dir)
        self.daemon = support.Daemon(self.root, tcp=True)

    def tearDown(self):
        self.assertEqual(self.daemon.stop(), 0)
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_async(self, fn, target=None, **session_kw):
        async def main():
            client = RuntimeClient(target or self.daemon.unix, insecure=target is not None)
            session = GrpcInteractiveSession(client, cwd=self.root, **session_kw)
            await session.connect()
            try:
                return await fn(session, client)
            finally:
                await session.close()
                await client.close()
        return asyncio.run(asyncio.wait_for(main(), 120))

    @staticmethod
    async def read_until_done(session, timeout=30):
        """Reads like Agent Zero's tool does (read_output(timeout=1) in a loop) until the command
        has ended; returns the concatenated partials and the last full."""
        parts, full = [], ""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            running = session.running
            full, partial = await session.read_output(timeout=1)
            parts.append(partial)
            if not running or loop.time() > deadline:
                return "".join(parts), full


class Commands(ShellTest):
    def test_commands_exit_codes_and_state_that_persists(self):
        async def t(s, client):
            await s.send_command("echo hi; printf 'a\\rb\\n\\033[31mred\\033[0m  \\n'; false")
            self.assertEqual(await s.wait(10, final=True), "exited")
            self.assertEqual(s.exit_code, 1)
            full, partial = await s.read_output()
            self.assertEqual(full, "hi\nb\nred\n")
            self.assertEqual(partial, full)
            self.assertEqual(await s.read_output(), (full, ""))  # nothing new
            await s.send_command("cd sub 2>/dev/null || mkdir sub && cd sub; X=42; pwd")
            await s.wait(10, final=True)
            await s.send_command("echo $X $(pwd); (exit 7)")
            await s.wait(10, final=True)
            self.assertEqual((await s.read_output())[0], "42 %s/sub\n" % self.root)
            self.assertEqual((s.exit_code, s.completion_reason), (7, "exited"))
        self.run_async(t)

    def test_read_output_waits_for_output_not_for_the_end(self):
        async def t(s, client):
            fifo = os.path.join(self.dir, "go")
            os.mkfifo(fifo)
            await s.send_command("echo first; read line < %s; echo second" % fifo)
            full, partial = await s.read_output(timeout=30)
            self.assertEqual((full, partial), ("first\n", "first\n"))
            self.assertTrue(s.running)  # returned on output, while the command still waits
            # The command only goes on when the fifo is written: release it.
            await asyncio.to_thread(fifo_write, fifo, "x\n")
            rest, full = await self.read_until_done(s)
            self.assertEqual(full, "first\nsecond\n")
            self.assertEqual(rest, "second\n")
            # reset_full_output: full starts over, as the legacy's did
            self.assertEqual(await s.read_output(reset_full_output=True), ("", ""))
        self.run_async(t)

    def test_unfinished_line_is_shown_and_completed_without_repeating(self):
        async def t(s, client):
            fifo = os.path.join(self.dir, "go")
            os.mkfifo(fifo)
            await s.send_command("printf 'Password: '; read x < %s; echo ok" % fifo)
            full, partial = await s.read_output(timeout=30)
            self.assertEqual((full, partial), ("Password:", "Password:"))
            await asyncio.to_thread(fifo_write, fifo, "\n")
            parts, full = await self.read_until_done(s)
            self.assertEqual(full, "Password: ok\n")
            self.assertEqual(parts, " ok\n")
        self.run_async(t)

    def test_interrupt(self):
        async def t(s, client):
            await s.send_command("sleep 30")
            self.assertIsNone(await s.wait(0.3, final=True))
            await s.interrupt()
            self.assertEqual(await s.wait(10, final=True), "exited")
            self.assertEqual(s.exit_code, 130)
        self.run_async(t)

    def test_the_shell_ending_and_closing(self):
        async def t(s, client):
            await s.send_command("echo bye; exit 3")
            self.assertEqual(await s.wait(10, final=True), "session_closed")
            self.assertEqual(s.exit_code, 3)
            self.assertEqual((await s.read_output())[0], "bye\nexit\n")
            await s.send_command("echo again")
            with self.assertRaises(Exception) as e:
                await s.wait(10, final=True)
            self.assertIn("has ended", str(e.exception))
            await s.close()
            with self.assertRaisesRegex(Exception, "Shell not connected"):
                await s.read_output()
            with self.assertRaisesRegex(Exception, "Shell not connected"):
                await s.send_command("echo")
        self.run_async(t)


class FromTheEnvironment(ShellTest):
    def test_a_session_that_makes_and_closes_its_own_client(self):
        async def t():
            s = GrpcInteractiveSession(cwd=self.root, timeouts={"max_exec_timeout": 60})
            self.assertEqual(s.timeouts, {"total_ms": 60000})  # Agent Zero's names accepted
            await s.connect()
            sid = s.session_id
            await s.send_command("pwd")
            self.assertEqual(await s.wait(10, final=True), "exited")
            self.assertEqual((await s.read_output())[0], self.root + "\n")
            await s.close()
            async with RuntimeClient(self.daemon.unix) as c:  # close ended the session
                self.assertNotIn(sid, [x.session_id for x in await c.list_sessions()])
        saved = os.environ.get("A0IPC_TARGET")
        os.environ["A0IPC_TARGET"] = self.daemon.unix
        try:
            asyncio.run(asyncio.wait_for(t(), 60))
        finally:
            os.environ.pop("A0IPC_TARGET")
            if saved is not None:
                os.environ["A0IPC_TARGET"] = saved


class DialogsAndTimeouts(ShellTest):
    def test_dialog_then_the_answer(self):
        async def t(s, client):
            await s.send_command("read -p 'Continue? [y/N] ' x; echo \"got $x\"")
            self.assertEqual(await s.wait(10), "dialog")
            self.assertTrue(s.running)
            self.assertIsNone(s.exit_code)
            self.assertEqual(await s.read_output(), ("Continue? [y/N]", "Continue? [y/N]"))
            await s.send_command("y")  # typed into the running command, as the legacy did
            self.assertEqual(await s.wait(10, final=True), "exited")
            self.assertEqual(s.exit_code, 0)
            full, partial = await s.read_output()
            self.assertEqual(full, "Continue? [y/N] got y\n")
        self.run_async(t, timeouts={"dialog_timeout": 0.3})

    def test_timeouts_end_the_run_not_the_command(self):
        async def t(s, client):
            await s.send_command("sleep 0.8; echo late")
            self.assertEqual(await s.wait(10), "max_time")
            self.assertTrue(s.running)
            self.assertEqual(await s.read_output(), ("", ""))
            self.assertEqual(await s.wait(10, final=True), "exited")
            self.assertEqual((await s.read_output())[0], "late\n")
            self.assertEqual(s.exit_code, 0)
        self.run_async(t, timeouts={"total_ms": 300})

    def test_first_output_and_idle_timeouts(self):
        async def t(s, client):
            await s.send_command("sleep 0.6; echo x")
            self.assertEqual(await s.wait(10), "first_output_timeout")
            await s.wait(10, final=True)
            await s.send_command("echo a; sleep 0.6; echo b")
            self.assertEqual(await s.wait(10), "idle_timeout")
            self.assertEqual(await s.wait(10, final=True), "exited")
            self.assertEqual((await s.read_output())[0], "a\nb\n")
        self.run_async(t, timeouts={"first_output_ms": 300, "between_outputs_ms": 300})


class Reattach(ShellTest):
    def run_proxied(self, fn, **kw):
        async def with_proxy(s, client, proxy):
            return await fn(s, client, proxy)

        async def main():
            proxy = support.DropProxy(self.daemon.unix[len("unix:"):])
            target = await proxy.start()
            client = RuntimeClient(target, insecure=True, reconnect_backoff_ms=50)
            direct = RuntimeClient(self.daemon.unix)
            s = GrpcInteractiveSession(client, cwd=self.root, **kw)
            await s.connect()
            try:
                return await fn(s, direct, proxy)
            finally:
                await s.close()
                await client.close()
                await direct.close()
                await proxy.close()
        return asyncio.run(asyncio.wait_for(main(), 120))

    def test_dropped_mid_output_nothing_lost_or_repeated(self):
        async def t(s, direct, proxy):
            await s.send_command("for i in $(seq 1 60); do echo line-$i; sleep 0.01; done")
            seen = ""
            while "line-10\n" not in seen:
                seen += (await s.read_output(timeout=10))[1]
            proxy.drop_all()
            rest, full = await self.read_until_done(s)
            self.assertEqual(full, "".join("line-%d\n" % i for i in range(1, 61)))
            self.assertEqual(seen + rest, full)
            self.assertGreaterEqual(s.reconnects, 1)
            self.assertEqual((s.completion_reason, s.exit_code, s.lost_bytes), ("exited", 0, 0))
        self.run_proxied(t)

    def test_dropped_before_any_output(self):
        async def t(s, direct, proxy):
            fifo = os.path.join(self.dir, "started")
            os.mkfifo(fifo)
            await s.send_command("echo > %s; sleep 0.3; echo after" % fifo)
            await asyncio.to_thread(fifo_read, fifo)  # the command is running
            proxy.drop_all()
            rest, full = await self.read_until_done(s)
            self.assertEqual(full, "after\n")
            self.assertEqual((s.completion_reason, s.exit_code), ("exited", 0))
            self.assertGreaterEqual(s.reconnects, 1)
        self.run_proxied(t)

    def test_the_command_ends_while_disconnected(self):
        async def t(s, direct, proxy):
            started = os.path.join(self.dir, "started")
            go = os.path.join(self.dir, "go")
            os.mkfifo(started)
            os.mkfifo(go)
            await s.send_command("echo > %s; read x < %s; echo done-$((6*7)); (exit 5)"
                                 % (started, go))
            await asyncio.to_thread(fifo_read, started)
            proxy.refuse = True  # the network stays down ...
            proxy.drop_all()
            await asyncio.to_thread(fifo_write, go, "\n")
            # ... until the daemon has seen the command end (watched on a direct connection).
            async for ev in direct.attach(s.session_id, 0):
                if ev.WhichOneof("event") == "done" and ev.done.exit_code == 5:
                    break
            proxy.refuse = False
            rest, full = await self.read_until_done(s)
            self.assertEqual(full, "done-42\n")
            self.assertEqual((s.completion_reason, s.exit_code), ("exited", 5))
            self.assertGreaterEqual(s.reconnects, 1)
        self.run_proxied(t)

    def test_dropped_while_following_a_command_past_its_timeout(self):
        async def t(s, direct, proxy):
            go1, go2 = os.path.join(self.dir, "go1"), os.path.join(self.dir, "go2")
            os.mkfifo(go1)
            os.mkfifo(go2)
            await s.send_command("echo one; read x < %s; echo two; read y < %s; "
                                 "for i in 3 4 5 6; do echo $i; sleep 0.02; done" % (go1, go2))
            self.assertEqual(await s.wait(10), "max_time")  # from here on, followed by Attach
            await asyncio.to_thread(fifo_write, go1, "\n")
            seen = ""
            while "two" not in seen:  # the Attach stream is live: it brought this
                seen = (await s.read_output(timeout=10))[0]
            proxy.drop_all()
            await asyncio.to_thread(fifo_write, go2, "\n")
            rest, full = await self.read_until_done(s)
            self.assertEqual(full, "one\ntwo\n3\n4\n5\n6\n")
            self.assertEqual((s.completion_reason, s.exit_code), ("exited", 0))
            self.assertGreaterEqual(s.reconnects, 1)
        self.run_proxied(t, timeouts={"total_ms": 200})


class SameTextAsTheDaemon(ShellTest):
    def test_cleaning_matches_run_clean_output(self):
        rng = random.Random(1234)
        pieces = [b"plain text ", b"\x1b[1;31m", b"\x1b[0m", b"\r", b"\r\n", b"\n", b"\t",
                  b"   ", b"\x00", b"\x1b]0;title\x07", b"\x1b]8;;http://x\x1b\\", b"\x1b(B",
                  "café ☕ ".encode(), b"\xff", b"\xe2\x82", b"\x1b[12", b"progress 50%\r",
                  b"\x1b7", b"\x07", b"Continue? [y/N] "]
        samples = [b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))
                   for _ in range(25)]
        samples.append(b"x" * 70000 + b"\n" + b"y" * 10)  # longer than a line's bound

        async def t(s, client):
            for i, data in enumerate(samples):
                path = os.path.join(self.dir, "sample-%d" % i)
                with open(path, "wb") as f:
                    f.write(data)
                await s.send_command("cat %s" % path)
                self.assertEqual(await s.wait(30, final=True), "exited")
                mine = (await s.read_output(reset_full_output=False))[0]
                theirs = []
                async for ev in client.run(s.session_id, "cat %s" % path, clean_output=True):
                    if ev.WhichOneof("event") == "output":
                        theirs.append(ev.output.data)
                with self.subTest(sample=i, data=data[:80]):
                    self.assertEqual(mine, b"".join(theirs).decode("utf-8"))
                    # and the same as cleaning the whole stream at once, here
                    raw = []
                    async for ev in client.run(s.session_id, "cat %s" % path):
                        if ev.WhichOneof("event") == "output":
                            raw.append(ev.output.data)
                    self.assertEqual(mine, term_clean.clean(b"".join(raw)))
        self.run_async(t)


if __name__ == "__main__":
    unittest.main()
