"""Debian's python3-grpcio (the same core, driven from Python) against the real a0ipcd:
health Check and Watch, reflection v1 and v1alpha, UNIMPLEMENTED, and `buf curl` over reflection.
Run by ctest with A0IPCD (the daemon), A0IPC_PYTHON_GEN (generated stubs) and A0IPC_BUF."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

# The stubs are the subpackage a0ipc._gen, found through A0IPC_PYTHON_GEN: only the
# package's source goes on sys.path, never a top-level a0.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "python"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from harness_env import spawn, strip_caller_env  # noqa: E402

strip_caller_env()  # the product under test sees only what these tests set

import grpc  # noqa: E402
from a0ipc._gen.a0ipc_std.grpc.health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from a0ipc._gen.a0ipc_std.grpc.reflection.v1 import reflection_pb2, reflection_pb2_grpc  # noqa: E402
from a0ipc._gen.a0ipc_std.grpc.reflection.v1alpha import reflection_pb2 as alpha_pb2  # noqa: E402
from a0ipc._gen.a0ipc_std.grpc.reflection.v1alpha import reflection_pb2_grpc as alpha_pb2_grpc  # noqa: E402
from google.protobuf import descriptor_pb2  # noqa: E402

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class Daemon:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="a0ipc-py-")
        self.unix = "unix:%s/a0ipcd.sock" % self.dir
        ready = os.path.join(self.dir, "ready")
        self.log = open(os.path.join(self.dir, "a0ipcd.log"), "w+")
        self.proc = spawn(
            [os.environ["A0IPCD"], "--listen", self.unix, "--listen", "127.0.0.1:0",
             "--insecure", "--ready-file", ready, "--root", self.dir], stderr=self.log)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("a0ipcd did not start")
            time.sleep(0.01)
        with open(ready) as f:
            self.tcp = [l.strip() for l in f if l.startswith("127.0.0.1:")][0]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)


class HealthInterop(unittest.TestCase):
    def setUp(self):
        self.d = Daemon()

    def tearDown(self):
        if self.d.proc.poll() is None:
            self.d.proc.kill()
            self.d.proc.wait()
        self.d.log.close()
        shutil.rmtree(self.d.dir, ignore_errors=True)

    def test_check_over_unix_and_tcp(self):
        for target in (self.d.unix, self.d.tcp):
            with grpc.insecure_channel(target) as ch:
                stub = health_pb2_grpc.HealthStub(ch)
                self.assertEqual(stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status,
                                 SERVING)
                r = stub.Check(health_pb2.HealthCheckRequest(service="grpc.health.v1.Health"),
                               timeout=5)
                self.assertEqual(r.status, SERVING)
                with self.assertRaises(grpc.RpcError) as e:
                    stub.Check(health_pb2.HealthCheckRequest(service="nope.Nope"), timeout=5)
                self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
                self.assertIn("nope.Nope", e.exception.details())

    def test_watch_sees_shutdown_and_daemon_exits_zero(self):
        with grpc.insecure_channel(self.d.unix) as ch:
            stream = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(),
                                                          timeout=20)
            self.assertEqual(next(stream).status, SERVING)
            self.d.proc.send_signal(signal.SIGTERM)
            self.assertEqual(next(stream).status, NOT_SERVING)
            with self.assertRaises(grpc.RpcError) as e:
                next(stream)
            self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(self.d.stop(), 0)

    def test_unknown_method_is_unimplemented(self):
        with grpc.insecure_channel(self.d.tcp) as ch:
            grpc.channel_ready_future(ch).result(timeout=5)
            call = ch.unary_unary("/a0.runtime.v1.Files/NoSuchThing")
            with self.assertRaises(grpc.RpcError) as e:
                call(b"", timeout=1)
            self.assertEqual(e.exception.code(), grpc.StatusCode.UNIMPLEMENTED)

    def _reflect(self, pb2, pb2_grpc, requests):
        with grpc.insecure_channel(self.d.unix) as ch:
            stub = pb2_grpc.ServerReflectionStub(ch)
            return list(stub.ServerReflectionInfo(iter(requests), timeout=5))

    def test_reflection_v1_and_v1alpha(self):
        for pb2, pb2_grpc in ((reflection_pb2, reflection_pb2_grpc), (alpha_pb2, alpha_pb2_grpc)):
            Req = pb2.ServerReflectionRequest
            answers = self._reflect(pb2, pb2_grpc, [
                Req(list_services=""),
                Req(file_containing_symbol="grpc.health.v1.Health"),
                Req(file_containing_symbol="grpc.health.v1.HealthCheckResponse.ServingStatus"),
                Req(file_by_filename="grpc/reflection/v1/reflection.proto"),
                Req(file_containing_symbol="no.such.Symbol"),
            ])
            self.assertEqual(len(answers), 5)
            names = {s.name for s in answers[0].list_services_response.service}
            self.assertEqual(names, {"grpc.health.v1.Health",
                                     "grpc.reflection.v1.ServerReflection",
                                     "grpc.reflection.v1alpha.ServerReflection",
                                     "a0.runtime.v1.Files", "a0.runtime.v1.Terminal"})
            for a in answers[1:3]:
                fd = descriptor_pb2.FileDescriptorProto.FromString(
                    a.file_descriptor_response.file_descriptor_proto[0])
                self.assertEqual(fd.name, "grpc/health/v1/health.proto")
                self.assertEqual(fd.service[0].name, "Health")
            fd = descriptor_pb2.FileDescriptorProto.FromString(
                answers[3].file_descriptor_response.file_descriptor_proto[0])
            self.assertEqual(fd.package, "grpc.reflection.v1")
            self.assertEqual(answers[4].error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])
            self.assertEqual(answers[4].original_request.file_containing_symbol, "no.such.Symbol")

    def test_cli_health(self):
        cli = os.environ["A0IPC_CLI"]
        out = subprocess.run([cli, "health", "--target", self.d.unix], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual((out.returncode, out.stdout.strip()), (0, "SERVING"), out.stderr)
        out = subprocess.run([cli, "health", "--target", self.d.tcp, "--service", "no.Such"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 3)
        self.assertIn("NOT_FOUND", out.stderr)

    def test_buf_curl_uses_reflection(self):
        buf = os.environ.get("A0IPC_BUF", "")
        self.assertTrue(os.access(buf, os.X_OK),
                        "buf is missing (%r): scripts/bootstrap installs it" % buf)
        url = "http://" + self.d.tcp
        out = subprocess.run([buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge",
                              "--list-methods", url], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("grpc.health.v1.Health/Check", out.stdout.split())
        self.assertIn("grpc.health.v1.Health/Watch", out.stdout.split())
        out = subprocess.run([buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge",
                              url + "/grpc.health.v1.Health/Check"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('"SERVING"', out.stdout)


if __name__ == "__main__":
    unittest.main()
