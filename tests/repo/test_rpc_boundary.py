"""src/rpc/ is the only code on the gRPC core (docs/architecture.md, Layers): no other file of
src/ or include/ includes a <grpc/...> header. The other layers reach the core through the rpc
layer's own headers, which carry no grpc_* type (credentials are plain values:
src/rpc/credentials.h). The layer libraries' link check (cmake/A0ipcLayers.cmake) catches the
calls; this catches the includes, which compile anywhere. Run by ctest (repo_rpc_boundary)."""
import os
import re
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.environ.get("A0IPC_SOURCE_DIR") or os.path.join(HERE, "..", ".."))
# Also `#  include <grpc/...>` and `#include "grpc/support/..."`; not the generated
# "grpc/health/v1/health.a0ipc.h" and its kind, which are ours (proto/grpc/).
GRPC_INCLUDE = re.compile(r'^\s*#\s*include\s*(?:<grpc/|"grpc/(?:support|impl)/)', re.M)
SCANNED = ("src", "include")
ALLOWED = os.path.join("src", "rpc") + os.sep


def grpc_includes(text):
    """The line numbers of text's gRPC core includes."""
    return [text.count("\n", 0, m.start()) + 1 for m in GRPC_INCLUDE.finditer(text)]


def offenders():
    found = []
    for top in SCANNED:
        for root, _, names in os.walk(os.path.join(SOURCE, top)):
            for n in sorted(names):
                if not n.endswith((".c", ".h")):
                    continue
                path = os.path.join(root, n)
                rel = os.path.relpath(path, SOURCE)
                if rel.startswith(ALLOWED):
                    continue
                with open(path, encoding="utf-8", errors="replace") as f:
                    found += ["%s:%d" % (rel, line) for line in grpc_includes(f.read())]
    return found


class RpcBoundary(unittest.TestCase):
    def test_no_grpc_include_outside_src_rpc(self):
        found = offenders()
        self.assertEqual(found, [], "gRPC core headers outside src/rpc/ (move the code into "
                         "src/rpc, or give the rpc layer a plain C function for it): " +
                         ", ".join(found))

    def test_the_scan_sees_what_it_must(self):
        # The check above passes when it finds nothing: make sure it would find something.
        self.assertEqual(grpc_includes("#include <grpc/grpc.h>\n"), [1])
        self.assertEqual(grpc_includes("x\n#  include <grpc/grpc_security.h>\n"), [2])
        self.assertEqual(grpc_includes('#include "grpc/support/alloc.h"\n'), [1])
        self.assertEqual(grpc_includes('#include "grpc/health/v1/health.a0ipc.h"\n'), [])
        self.assertTrue(os.path.isdir(os.path.join(SOURCE, "src", "rpc")), SOURCE)


if __name__ == "__main__":
    unittest.main()
