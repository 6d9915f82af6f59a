"""Implementations of Agent Zero's runtime functions on a0ipcd, one module per Agent Zero area.

Each function takes a :class:`_fs.RemoteOS` first, then Agent Zero's own parameters (same names,
same defaults), and returns what Agent Zero's function returns run locally, or raises what it
raises. :mod:`a0ipc.agent_zero.dispatch` holds the table from Agent Zero's names to them.
"""
