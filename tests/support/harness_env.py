"""The environment the Python tests run the product in: none of the caller's A0IPC_* settings.

ctest already drops them (tests/support/ctest_env.cmake.in) and sets what each test needs; this
does the same for a test module started by hand, so that the package (which reads A0IPC_TARGET,
A0IPC_TOKEN_FILE, ... from os.environ), a0ipc and a0ipcd see only what the test sets. Kept: the
inputs ctest hands the harness (paths of the programs and data under test)."""
import os
import shutil
import subprocess

HARNESS_INPUTS = frozenset((
    "A0IPC_CLI", "A0IPC_PYTHON_GEN", "A0IPC_FIXTURES", "A0IPC_LEGACY_SERVER", "A0IPC_C_REFERENCE",
    "A0IPC_FILES_SERVER", "A0IPC_TRANSCRIPTS", "A0IPC_BUF", "A0IPC_REFERENCE_SERVER",
    "A0IPC_LEGACY_CLEAN_FILTER"))


def strip_caller_env(environ=os.environ):
    """Removes every A0IPC_* variable but the harness inputs from environ (os.environ: this
    process and everything it starts)."""
    for name in [k for k in environ if k.startswith("A0IPC_") and k not in HARNESS_INPUTS]:
        del environ[name]


# setpriv (util-linux) sets the parent-death signal and execs the server: the server is killed
# when the test process ends, also when a failed setUp or tearDown skipped its stop.
_PDEATHSIG = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []


def spawn(cmd, **kwargs):
    """subprocess.Popen of a server a test starts (a0ipcd, reference servers), dying with the
    test process. Not with a preexec_fn: that runs Python code in the child of a process whose
    gRPC threads may hold locks, and such a child can hang before it ever execs."""
    return subprocess.Popen(_PDEATHSIG + list(cmd), **kwargs)
