"""Agent Zero's runtime functions, served by name. (Owned by the dispatch work: this file states
the contract the runtime hook relies on; the table fills it.)

``await call(func, module, name, args, kwargs)``: ``module`` and ``name`` are what Agent Zero's
RFC would send (e.g. ``api.file_info``, ``get_file_info``); ``func`` is the function object (for
functions served in-process). Returns what Agent Zero's own function returns when run locally,
or raises the exception it raises. A function not in the table raises :class:`NotServed`.
"""


class NotServed(Exception):
    """A runtime call that a0ipc does not serve: it is refused, never executed remotely."""

    def __init__(self, module, name):
        super().__init__(
            "a0ipc: the runtime function %s.%s is not served by a0ipcd (not in a0ipc's dispatch "
            "table); refusing to run it remotely" % (module, name))
        self.module = module
        self.name = name


async def call(func, module, name, args, kwargs):
    raise NotServed(module, name)
