"""The environment the Python tests run the product in: none of the caller's A0IPC_* settings.

ctest already drops them (tests/support/ctest_env.cmake.in) and sets what each test needs; this
does the same for a test module started by hand, so that the package (which reads A0IPC_TARGET,
A0IPC_TOKEN_FILE, ... from os.environ), a0ipc and a0ipcd see only what the test sets. Kept: the
inputs ctest hands the harness (paths of the programs and data under test)."""
import ctypes
import os
import signal

HARNESS_INPUTS = frozenset((
    "A0IPC_CLI", "A0IPC_PYTHON_GEN", "A0IPC_FIXTURES", "A0IPC_LEGACY_SERVER", "A0IPC_C_REFERENCE",
    "A0IPC_FILES_SERVER", "A0IPC_TRANSCRIPTS", "A0IPC_BUF", "A0IPC_REFERENCE_SERVER",
    "A0IPC_LEGACY_CLEAN_FILTER"))


def strip_caller_env(environ=os.environ):
    """Removes every A0IPC_* variable but the harness inputs from environ (os.environ: this
    process and everything it starts)."""
    for name in [k for k in environ if k.startswith("A0IPC_") and k not in HARNESS_INPUTS]:
        del environ[name]


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn for the servers a test starts (a0ipcd, reference servers): the child is killed
    when the test process ends, also when a failed setUp or tearDown skipped its stop."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
