"""The parts of the Python package that must agree with the C library and the legacy, without
a daemon: the status-to-exception table, the retry policy and deadlines read from the .proto
(checked against the C library's own service config), the canary bucket (against the C
router's), the switch's flags, the RFC envelope (against rfc_vectors.json) and the reading of
legacy failure bodies."""
import json
import os
import random
import subprocess
import traceback
import unittest

import support

from a0ipc import errors, policy, rfc, routing


def c_reference(*args):
    exe = support.env_path("A0IPC_C_REFERENCE", "tests/python/c_reference.c, built")
    out = subprocess.run([exe, *args], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


class StatusTable(unittest.TestCase):
    def test_builtin_exceptions_for_the_file_codes(self):
        cases = [("NOT_FOUND", "stat x: No such file or directory", FileNotFoundError),
                 ("PERMISSION_DENIED", "absolute path outside the root", PermissionError),
                 ("ALREADY_EXISTS", "mkdir d: File exists", FileExistsError),
                 ("FAILED_PRECONDITION", "read sub: Is a directory", IsADirectoryError),
                 ("FAILED_PRECONDITION", "remove d: is a directory, not a regular file",
                  IsADirectoryError),
                 ("FAILED_PRECONDITION", "list a.txt: Not a directory", NotADirectoryError),
                 ("FAILED_PRECONDITION", "remove a: is a file, not a directory",
                  NotADirectoryError),
                 ("DEADLINE_EXCEEDED", "Deadline Exceeded", TimeoutError),
                 ("UNAVAILABLE", "failed to connect to all addresses", ConnectionError)]
        for code, details, builtin in cases:
            with self.subTest(code=code, details=details):
                e = errors.exception_for(code, details)
                self.assertIsInstance(e, builtin)
                self.assertIsInstance(e, errors.RuntimeError_)
                self.assertEqual((e.code, e.details, str(e)), (code, details, details))

    def test_other_codes_are_runtime_errors_carrying_code_and_details(self):
        builtins = (OSError, TimeoutError, ConnectionError)
        for number, name in enumerate(errors.CODE_NAMES):
            if name in ("OK", "NOT_FOUND", "PERMISSION_DENIED", "ALREADY_EXISTS",
                        "DEADLINE_EXCEEDED", "UNAVAILABLE"):
                continue
            with self.subTest(code=name):
                e = errors.exception_for(number, "why: " + name)
                self.assertIsInstance(e, errors.RuntimeError_)
                self.assertNotIsInstance(e, builtins)
                self.assertEqual((e.code, e.details), (name, "why: " + name))
        # FAILED_PRECONDITION that is not about the kind of file stays a RuntimeError_.
        e = errors.exception_for("FAILED_PRECONDITION", "session 1 is busy")
        self.assertEqual(type(e), errors.FailedPrecondition)

    def test_grpc_status_codes_are_accepted(self):
        import grpc
        for sc in grpc.StatusCode:
            if sc is grpc.StatusCode.OK:
                continue
            self.assertEqual(errors.exception_for(sc, "x").code, sc.name)
            self.assertEqual(errors.exception_for(sc.value[0], "x").code, sc.name)

    def test_oserror_subclasses_keep_the_daemons_words(self):
        e = errors.exception_for("NOT_FOUND", "read nope: No such file or directory")
        self.assertEqual(e.errno, 2)
        self.assertEqual(str(e), "read nope: No such file or directory")  # no "[Errno 2]"


class RetryPolicyAndDeadlines(unittest.TestCase):
    def test_service_config_is_the_c_librarys_byte_for_byte(self):
        self.assertEqual(policy.service_config(), c_reference("service-config").strip())

    def test_idempotent_methods_come_from_the_proto(self):
        self.assertEqual(policy.idempotent_methods(), [
            ("a0.runtime.v1.Files", "Stat"), ("a0.runtime.v1.Files", "ListDir"),
            ("a0.runtime.v1.Files", "Read"), ("a0.runtime.v1.Files", "Archive"),
            ("a0.runtime.v1.Files", "Watch"), ("a0.runtime.v1.Terminal", "Attach"),
            ("a0.runtime.v1.Terminal", "ListSessions")])
        config = json.loads(policy.service_config())
        retry = config["methodConfig"][0]["retryPolicy"]
        self.assertEqual(retry, {"maxAttempts": 5, "initialBackoff": "0.100s",
                                 "maxBackoff": "2.000s", "backoffMultiplier": 2,
                                 "retryableStatusCodes": ["UNAVAILABLE"]})
        names = {(n["service"], n["method"]) for n in config["methodConfig"][0]["name"]}
        for mutating in ("Write", "Remove", "MakeDir", "Move"):
            self.assertNotIn(("a0.runtime.v1.Files", mutating), names)
        self.assertNotIn(("a0.runtime.v1.Terminal", "Run"), names)

    def test_no_retries_when_asked(self):
        self.assertEqual(json.loads(policy.service_config(max_attempts=1)),
                         {"loadBalancingConfig": [{"round_robin": {}}]})
        self.assertEqual(json.loads(policy.service_config(max_attempts=9))["methodConfig"][0]
                         ["retryPolicy"]["maxAttempts"], 5)

    def test_every_method_has_a_deadline(self):
        from a0ipc import _proto
        for svc, m in policy.methods():
            self.assertIn("/%s/%s" % (svc, m.name), policy.DEADLINES)
        self.assertEqual(policy.deadline("/a0.runtime.v1.Files/Stat"), 30.0)
        self.assertEqual(policy.deadline("/a0.runtime.v1.Files/Read"), 3600.0)
        self.assertIsNone(policy.deadline("/a0.runtime.v1.Terminal/Run"))
        req = _proto.terminal_pb2.CloseSessionRequest(grace_ms=2500)
        self.assertEqual(policy.deadline("/a0.runtime.v1.Terminal/CloseSession", req), 12.5)
        req = _proto.terminal_pb2.ExecRequest(timeout_ms=1000)
        self.assertEqual(policy.deadline("/a0.runtime.v1.Terminal/Exec", req), 31.0)
        self.assertEqual(policy.deadline("/a0.runtime.v1.Files/Stat", timeout=2), 2)
        self.assertIsNone(policy.deadline("/a0.runtime.v1.Files/Stat", timeout=0))


class Routing(unittest.TestCase):
    def test_bucket_is_the_c_routers(self):
        rng = random.Random(7)
        keys = ["agent-%d" % i for i in range(200)] + ["a", "été", "☕ agent", "x" * 300]
        keys += ["".join(rng.choice("abcXYZ0189-_/é") for _ in range(rng.randint(1, 40)))
                 for _ in range(200)]
        want = [int(x) for x in c_reference("bucket", *keys).split()]
        self.assertEqual([routing.bucket(k) for k in keys], want)
        self.assertEqual(routing.bucket(""), 2166136261 % 100)  # as test_router.c pins it

    def test_modes(self):
        f = routing.flags
        self.assertEqual(routing.choose("list_folder", "k", f({})), "legacy")
        self.assertEqual(routing.choose("list_folder", "k", f({"A0IPC_BACKEND": "grpc"})),
                         "grpc")
        shadow = f({"A0IPC_BACKEND": "shadow"})
        self.assertEqual(routing.choose("list_folder", "k", shadow), "shadow")
        self.assertEqual(routing.choose("move_file", "k", shadow), "legacy")  # has effects
        over = f({"A0IPC_BACKEND": "legacy", "A0IPC_METHODS": "read_file_binary=grpc"})
        self.assertEqual(routing.choose("read_file_binary", None, over), "grpc")
        self.assertEqual(routing.choose("read_file_as_base64", None, over), "legacy")

    def test_canary_by_bucket(self):
        keys = ["agent-%d" % i for i in range(400)]
        for pct in (0, 1, 5, 25, 50, 100):
            fl = routing.flags({"A0IPC_BACKEND": "canary", "A0IPC_CANARY_PERCENT": str(pct)})
            for k in keys:
                want = "grpc" if routing.bucket(k) < pct else "legacy"
                self.assertEqual(routing.choose("file_exists", k, fl), want)
        # A percentage alone means canary; no key goes to legacy below 100 %.
        fl = routing.flags({"A0IPC_CANARY_PERCENT": "50"})
        self.assertEqual(fl.backend, "canary")
        self.assertEqual(routing.choose("file_exists", None, fl), "legacy")
        fl = routing.flags({"A0IPC_CANARY_PERCENT": "100"})
        self.assertEqual(routing.choose("file_exists", None, fl), "grpc")
        # The key from the context, then from the environment.
        fl = routing.flags({"A0IPC_CANARY_PERCENT": "50", "A0IPC_ROUTING_KEY": "agent-3"})
        self.assertEqual(routing.choose("file_exists", None, fl),
                         "grpc" if routing.bucket("agent-3") < 50 else "legacy")
        in_key = next(k for k in keys if routing.bucket(k) < 50)
        with routing.key(in_key):
            self.assertEqual(routing.choose("file_exists", None,
                                            routing.flags({"A0IPC_CANARY_PERCENT": "50"})),
                             "grpc")

    def test_bad_flags_are_refused(self):
        for env in ({"A0IPC_BACKEND": "grcp"}, {"A0IPC_CANARY_PERCENT": "101"},
                    {"A0IPC_CANARY_PERCENT": "ten"}, {"A0IPC_FALLBACK": "maybe"},
                    {"A0IPC_METHODS": "read_file_binary"}):
            with self.subTest(env=env), self.assertRaises(ValueError):
                routing.flags(env)

    def test_flags_file_is_reread_and_the_environment_wins(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "flags")
            with open(path, "w") as f:
                f.write("# staging\nbackend = canary\ncanary-percent = 5\nfallback = false\n")
            fl = routing.flags({"A0IPC_FLAGS_FILE": path})
            self.assertEqual((fl.backend, fl.canary_percent, fl.fallback), ("canary", 5, False))
            with open(path, "w") as f:
                f.write("backend = grpc\n")
            os.utime(path, ns=(1, 10**9))  # a different mtime even within one clock tick
            self.assertEqual(routing.flags({"A0IPC_FLAGS_FILE": path}).backend, "grpc")
            self.assertEqual(routing.flags({"A0IPC_FLAGS_FILE": path,
                                            "A0IPC_BACKEND": "legacy"}).backend, "legacy")


def legacy_body(e):
    """A 500 body laid out as docs/legacy-protocol.md ("RFC over HTTP") says (made here from a real
    traceback)."""
    text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    if type(e).__name__.endswith("Error"):
        line = traceback.format_exception_only(type(e), e)[-1].rstrip("\n")
        return "%s\n\n%s" % (line, text)
    return text


class LegacyRfc(unittest.TestCase):
    def test_envelopes_are_the_vectors_bytes(self):
        with open(support.legacy_fixture("rfc_vectors.json"), encoding="utf-8") as f:
            vectors = json.load(f)["vectors"]
        self.assertGreaterEqual(len(vectors), 6)
        for v in vectors:
            with self.subTest(function=v["function_name"]):
                call = rfc.envelope(v["module"], v["function_name"], v["args"], v["kwargs"],
                                    v["password"])
                self.assertEqual(call, v["call"])
                self.assertEqual(rfc.body(call), json.dumps(v["call"]).encode("utf-8"))

    def test_endpoint(self):
        self.assertEqual(rfc.endpoint(), "http://localhost:55080/api/rfc")
        self.assertEqual(rfc.endpoint("https://runtime.example/", 8080),
                         "https://runtime.example:8080/api/rfc")

    def test_failure_bodies_become_the_raised_exceptions(self):
        class ZipError(Exception):
            pass
        for exc in (FileNotFoundError("File not found: /r/a.txt"),
                    Exception("Path is not a file: /r/sub"),
                    Exception("Failed to move file /r/a to /r/b: [Errno 2] No such file or "
                              "directory: '/r/a' -> '/r/b'"),
                    Exception("two\nlines"), PermissionError("denied: /x"), ZipError("odd")):
            try:
                raise exc
            except Exception as e:
                body = legacy_body(e)
            got = rfc.legacy_exception(body)
            with self.subTest(exc=repr(exc)):
                if isinstance(exc, ZipError):
                    self.assertIsInstance(got, rfc.LegacyError)
                    self.assertTrue(got.type_name.endswith("ZipError"), got.type_name)
                else:
                    self.assertIs(type(got), type(exc))
                self.assertEqual(str(got), str(exc))

    def test_chained_failures_are_the_last_exception(self):
        # The legacy wraps the real failure: "During handling of the above exception ..."
        for outer in (Exception, FileExistsError):
            try:
                try:
                    raise IsADirectoryError(21, "Is a directory", "/r/sub")
                except Exception as inner:
                    raise outer("Failed to write file /r/sub: %s" % inner)
            except Exception as e:
                body = legacy_body(e)
            self.assertIn("During handling of the above exception", body)
            got = rfc.legacy_exception(body)
            with self.subTest(outer=outer.__name__):
                self.assertIs(type(got), outer)
                self.assertEqual(str(got), "Failed to write file /r/sub: [Errno 21] Is a "
                                 "directory: '/r/sub'")

    def test_connection_refused_is_connection_error(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        with self.assertRaises(ConnectionError):
            rfc.RfcClient("127.0.0.1", port, "pw", timeout=5).call("helpers.rfc_files",
                                                                   "_path_exists_impl", "/")


if __name__ == "__main__":
    unittest.main()
