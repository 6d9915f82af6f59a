"""Per-method deadlines and the retry policy, the same as the C client library's.

Retries: gRFC A6 says a client may only retry what the server did not process. Which methods are
safe to repeat is written once, in the .proto (``option idempotency_level``), and read here from
the generated descriptors, so a method added to the contract gets its policy without anybody
keeping a list. Only UNAVAILABLE is retried, with exponential backoff; the service config below
is the one src/transport/grpc_transport.c (a0ipc_grpc_service_config) gives its channel, byte for
byte.

Deadlines: the C library's defaults per kind of operation (grpc_transport.c,
grpc_transport_terminal.c). A call that passes its own timeout overrides them.
"""
import json

from google.protobuf import descriptor_pb2

from a0ipc import _proto

IDEMPOTENCY_UNKNOWN = descriptor_pb2.MethodOptions.IDEMPOTENCY_UNKNOWN

# Defaults of a0ipc_grpc_options_init.
MAX_ATTEMPTS = 5
INITIAL_BACKOFF_MS = 100
MAX_BACKOFF_MS = 2000

HEALTH_S = 5.0         # DEADLINE_HEALTH_MS
FILE_OP_S = 30.0       # stat, list, remove, mkdir, move
TRANSFER_S = 3600.0    # read, write, archive: big files take time
SESSION_OP_S = 30.0    # create, write, resize, signal, list
CLOSE_SLACK_S = 10.0   # close: its grace period plus this
EXEC_SLACK_S = 30.0    # exec: its own timeout plus this

# Full method name -> seconds, None (no deadline: streams that run until stopped or carry their
# own timeouts), or a function of the request (a deadline that depends on the request).
DEADLINES = {
    "/grpc.health.v1.Health/Check": HEALTH_S,
    "/grpc.health.v1.Health/Watch": None,
    "/a0.runtime.v1.Files/Stat": FILE_OP_S,
    "/a0.runtime.v1.Files/ListDir": FILE_OP_S,
    "/a0.runtime.v1.Files/Remove": FILE_OP_S,
    "/a0.runtime.v1.Files/MakeDir": FILE_OP_S,
    "/a0.runtime.v1.Files/Move": FILE_OP_S,
    "/a0.runtime.v1.Files/Read": TRANSFER_S,
    "/a0.runtime.v1.Files/Write": TRANSFER_S,
    "/a0.runtime.v1.Files/Archive": TRANSFER_S,
    "/a0.runtime.v1.Files/Watch": None,
    "/a0.runtime.v1.Terminal/CreateSession": SESSION_OP_S,
    "/a0.runtime.v1.Terminal/Run": None,
    "/a0.runtime.v1.Terminal/Write": SESSION_OP_S,
    "/a0.runtime.v1.Terminal/Attach": None,
    "/a0.runtime.v1.Terminal/Resize": SESSION_OP_S,
    "/a0.runtime.v1.Terminal/Signal": SESSION_OP_S,
    "/a0.runtime.v1.Terminal/ListSessions": SESSION_OP_S,
    "/a0.runtime.v1.Terminal/CloseSession": lambda req: req.grace_ms / 1000.0 + CLOSE_SLACK_S,
    "/a0.runtime.v1.Terminal/Exec": lambda req: req.timeout_ms / 1000.0 + EXEC_SLACK_S,
}


def methods():
    """(service full name, method descriptor) for every method a client of a0ipcd calls, in the
    order of the .proto files (health, files, terminal), as the C library lists them."""
    for fd in _proto.SERVICE_FILES:
        for svc in fd.services_by_name.values():
            for m in svc.methods:
                yield svc.full_name, m


def idempotent_methods():
    """(service, method name) of the methods the .proto marks idempotent or side-effect free."""
    return [(svc, m.name) for svc, m in methods()
            if m.GetOptions().idempotency_level != IDEMPOTENCY_UNKNOWN]


def deadline(method, request=None, timeout=None):
    """Seconds until the deadline of a call of method ("/pkg.Svc/Method"): the caller's timeout
    when given (0 or a negative value: none), else the default of the table."""
    if timeout is not None:
        return timeout if timeout > 0 else None
    d = DEADLINES[method]
    return d(request) if callable(d) else d


def _duration(ms):
    return "%d.%03ds" % (ms // 1000, ms % 1000)


def service_config(max_attempts=MAX_ATTEMPTS, initial_backoff_ms=INITIAL_BACKOFF_MS,
                   max_backoff_ms=MAX_BACKOFF_MS):
    """The channel's service config (JSON text): round_robin over the target's addresses, and
    the retry policy for every idempotent method. max_attempts counts the first try (1: no
    retries) and is capped at 5 as gRPC caps it."""
    attempts = max(1, min(5, max_attempts))
    config = {"loadBalancingConfig": [{"round_robin": {}}]}
    if attempts > 1:
        config["methodConfig"] = [{
            "name": [{"service": s, "method": m} for s, m in idempotent_methods()],
            "retryPolicy": {
                "maxAttempts": attempts,
                "initialBackoff": _duration(initial_backoff_ms),
                "maxBackoff": _duration(max_backoff_ms),
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }]
    return json.dumps(config, separators=(",", ":"))
