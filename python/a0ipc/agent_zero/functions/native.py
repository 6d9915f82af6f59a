"""Runtime calls that are not file work, as a native host answers them.

- ``helpers.job_loop.pause_loop``: a development instance tells the container's job loop to
  pause, so that scheduled tasks do not run twice. With a0ipcd there is no container scheduler:
  the call is answered None and nothing is paused (running Agent Zero's function here would
  pause the framework's own job loop).
- ``helpers.rfc_exchange._provide_root_password``: the container handed its root password
  (RSA-OAEP encrypted) for the SSH login of the code-execution tool. a0ipcd has no such
  password to give and its Terminal service replaces the SSH login (its own authentication is
  the channel's: unix socket permissions, TLS, token). Refused with :class:`Refused`: a caller
  that still uses SSH must be given ``ssh_pass`` in the code-execution plugin's settings.
- ``helpers.searxng._search``: an HTTP request to the SearXNG the container ran on
  localhost:55510. On a native host the search engine is a service the operator runs (or not)
  where the framework can reach it, so the function is called here, in the framework's process,
  with the arguments given, and its result or exception is the answer.
"""
import inspect


class Refused(Exception):
    """A runtime call a0ipc answers with a refusal, on purpose (not a failure of a0ipcd)."""


async def pause_loop(fs):
    return None


async def _provide_root_password(fs, public_key_pem):
    raise Refused(
        "a0ipc: helpers.rfc_exchange._provide_root_password is refused: a0ipcd has no root "
        "password to hand out; the code-execution tool runs on a0ipcd's Terminal service, not "
        "over SSH (to keep SSH, set ssh_pass in the _code_execution plugin's settings)")


async def run_in_process(func, *args, **kwargs):
    """Calls func here, as Agent Zero's dockerized mode does."""
    if inspect.iscoroutinefunction(func):
        return await func(*args, **kwargs)
    return func(*args, **kwargs)
