"""The legacy helpers.rfc_files operations, called over the legacy RFC (rfc.py).

The legacy side of the backend switch: each helper becomes a call of ``_<name>_impl`` in the
runtime's module (helpers.rfc_files; A0IPC_RFC_MODULE for Agent Zero versions that name it
otherwise), with the positional arguments Agent Zero passes, and answers with whatever the
legacy answers. Standard library only.
"""
import os

from a0ipc.rfc import FILES_MODULE, RfcClient


class LegacyFiles:
    """The helpers on one RfcClient (blocking calls)."""

    def __init__(self, rfc=None, module=None):
        self.rfc = rfc or RfcClient()
        self.module = module or os.environ.get("A0IPC_RFC_MODULE") or FILES_MODULE

    def call(self, name, *args):
        return self.rfc.call(self.module, "_%s_impl" % name, *args)
