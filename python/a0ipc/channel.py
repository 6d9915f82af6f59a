"""How to reach a0ipcd: target, TLS, mTLS and token, turned into a grpc.aio channel.

The rules are the daemon's (docs/security.md): a unix socket is plaintext (the daemon checks the
peer's uid instead); TCP is TLS unless plaintext is asked for explicitly, and plaintext TCP is
refused for anything but a loopback address. A token travels as ``authorization: Bearer``: over
TLS as call credentials (grpcio never sends those over an unencrypted channel), over a unix
socket or loopback plaintext as per-call metadata.

The same settings come, for code that cannot pass them (Agent Zero's tools), from the a0ipc
CLI's client config file ($A0IPC_CONFIG, else ~/.config/a0ipc/client.conf: key = value lines
with target, ca, cert, key, token-file, server-name; docs/cli.md) and then, winning over it, the
environment: A0IPC_TARGET, A0IPC_CA, A0IPC_CERT, A0IPC_KEY, A0IPC_SERVER_NAME, A0IPC_TOKEN or
A0IPC_TOKEN_FILE, A0IPC_INSECURE=1, A0IPC_WAIT_FOR_READY=0|1 — the CLI's names where it has them.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
from typing import Any, Mapping

import grpc

from a0ipc import policy

DEFAULT_TARGET = "unix:/run/a0ipcd/a0ipcd.sock"
log = logging.getLogger("a0ipc")


@dataclasses.dataclass(frozen=True)
class ConnectionOptions:
    """Where a0ipcd is and how to authenticate; defaults as in the C library
    (a0ipc_grpc_options_init). Immutable, so it can key a cache of clients."""

    target: str = DEFAULT_TARGET
    ca_file: str | None = None       # TLS: CAs to trust (None: the system's)
    cert_file: str | None = None     # mTLS: client certificate ...
    key_file: str | None = None      # ... and its key
    server_name: str | None = None   # name expected in the server's certificate
    token: str | None = None         # bearer token
    token_file: str | None = None    # or the file whose first line is the token
    insecure: bool = False           # plaintext TCP (loopback only)
    max_attempts: int = policy.MAX_ATTEMPTS
    initial_backoff_ms: int = policy.INITIAL_BACKOFF_MS
    max_backoff_ms: int = policy.MAX_BACKOFF_MS
    reconnect_backoff_ms: int = 250
    keepalive_time_ms: int = 0
    wait_for_ready: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None,
                 **overrides: Any) -> "ConnectionOptions":
        """Options from the client config file and the environment (see the module text);
        keyword arguments win."""
        env = os.environ if env is None else env
        conf = client_config(env)

        def get(var, key):
            return env.get(var) or conf.get(key) or None
        o = cls(target=get("A0IPC_TARGET", "target") or DEFAULT_TARGET,
                ca_file=get("A0IPC_CA", "ca"),
                cert_file=get("A0IPC_CERT", "cert"),
                key_file=get("A0IPC_KEY", "key"),
                server_name=get("A0IPC_SERVER_NAME", "server-name"),
                token=env.get("A0IPC_TOKEN") or None,
                token_file=get("A0IPC_TOKEN_FILE", "token-file"),
                insecure=env.get("A0IPC_INSECURE", "") in ("1", "true", "yes"))
        if env.get("A0IPC_WAIT_FOR_READY"):
            o = dataclasses.replace(o, wait_for_ready=env["A0IPC_WAIT_FOR_READY"] in
                                    ("1", "true", "yes"))
        return dataclasses.replace(o, **overrides)

    def bearer(self) -> str | None:
        """The token to send, or None."""
        if self.token:
            return self.token
        if self.token_file:
            with open(self.token_file, encoding="utf-8") as f:
                return f.readline().strip() or None
        return None


CONFIG_KEYS = ("target", "ca", "cert", "key", "token-file", "server-name", "timeout")


def client_config(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The a0ipc CLI's client config file as a dict ({} when there is none). As the CLI does,
    a line that is not a setting is skipped with a warning, and so is an unreadable
    A0IPC_CONFIG."""
    env = os.environ if env is None else env
    path = env.get("A0IPC_CONFIG") or ""
    explicit = bool(path)
    if not explicit:
        path = os.path.join(os.path.expanduser("~"), ".config", "a0ipc", "client.conf")
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        if explicit:
            log.warning("a0ipc: cannot read A0IPC_CONFIG %s: %s", path, e.strerror)
        return {}
    values = {}
    with f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            k, sep, v = line.partition("=")
            if not sep or k.strip() not in CONFIG_KEYS:
                log.warning("a0ipc: %s:%d: not a setting (%s): skipped", path, n,
                            ", ".join(CONFIG_KEYS))
                continue
            values[k.strip()] = v.strip()
    return values


def is_unix(target: str) -> bool:
    return target.startswith(("unix:", "unix-abstract:"))


def _hosts(target: str) -> list[str]:
    """The host parts of a TCP target: host:port, [v6]:port, dns:///host:port, ipv4:a:p,b:p."""
    for prefix in ("dns:///", "dns:", "ipv4:", "ipv6:"):
        if target.startswith(prefix):
            target = target[len(prefix):]
            break
    hosts = []
    for addr in target.split(","):
        if addr.startswith("["):
            hosts.append(addr[1:addr.index("]")])
        else:
            hosts.append(addr.rsplit(":", 1)[0] if ":" in addr else addr)
    return hosts


def is_loopback(target: str) -> bool:
    """Whether every address of a TCP target is a loopback one."""
    for h in _hosts(target):
        if h == "localhost":
            continue
        try:
            if not ipaddress.ip_address(h).is_loopback:
                return False
        except ValueError:
            return False
    return True


def channel_options(o: ConnectionOptions) -> list[tuple[str, Any]]:
    """Channel arguments: the retry policy, reconnect backoff, keepalive, TLS name override."""
    opts = [("grpc.service_config", policy.service_config(o.max_attempts, o.initial_backoff_ms,
                                                          o.max_backoff_ms)),
            ("grpc.enable_retries", 1 if o.max_attempts > 1 else 0),
            ("grpc.initial_reconnect_backoff_ms", o.reconnect_backoff_ms),
            ("grpc.min_reconnect_backoff_ms", o.reconnect_backoff_ms),
            ("grpc.primary_user_agent", "a0ipc-python")]
    if o.keepalive_time_ms > 0:
        opts.append(("grpc.keepalive_time_ms", o.keepalive_time_ms))
    if o.server_name and not is_unix(o.target) and not o.insecure:
        opts.append(("grpc.ssl_target_name_override", o.server_name))
        opts.append(("grpc.default_authority", o.server_name))
    return opts


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def per_call_metadata(o: ConnectionOptions) -> tuple[tuple[str, str], ...]:
    """Metadata every call carries: the token where no call credentials carry it."""
    token = o.bearer()
    if token and (is_unix(o.target) or o.insecure):
        return (("authorization", "Bearer " + token),)
    return ()


def open_channel(o: ConnectionOptions) -> grpc.aio.Channel:
    """A grpc.aio channel to o.target with o's security. ValueError for a combination the
    daemon would refuse or that would leak the token."""
    target = o.target
    options = channel_options(o)
    if is_unix(target):
        return grpc.aio.insecure_channel(target, options=options)
    if o.insecure:
        if not is_loopback(target):
            raise ValueError("a0ipc: plaintext TCP is allowed on loopback addresses only, not %s"
                             % target)
        return grpc.aio.insecure_channel(target, options=options)
    if bool(o.cert_file) != bool(o.key_file):
        raise ValueError("a0ipc: a client certificate needs both cert_file and key_file")
    creds = grpc.ssl_channel_credentials(
        root_certificates=_read(o.ca_file) if o.ca_file else None,
        private_key=_read(o.key_file) if o.key_file else None,
        certificate_chain=_read(o.cert_file) if o.cert_file else None)
    token = o.bearer()
    if token:
        creds = grpc.composite_channel_credentials(creds,
                                                   grpc.access_token_call_credentials(token))
    return grpc.aio.secure_channel(target, creds, options=options)
