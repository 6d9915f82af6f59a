#include "rpc/grpc_log.h"

#include <grpc/support/log.h>
#include <string.h>

#include "common/log.h"

/* The core logs through gpr_log to stderr by default (for example an error line per failed TLS
 * handshake, the only place an untrusted client's reason is told). Route it into our logger so
 * it gets our format, levels and destination. */
static void route(gpr_log_func_args *args)
{
    a0ipc_log_level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? A0IPC_LOG_WARN
                            : args->severity == GPR_LOG_SEVERITY_INFO ? A0IPC_LOG_INFO
                                                                      : A0IPC_LOG_DEBUG;
    /* A port the core cannot bind: a0ipc_rpc_server_listen reports it in one line with the
     * errno; the core's nested error text says the same at length. */
    if (strstr(args->message, "No address added out of total"))
        level = A0IPC_LOG_DEBUG;
    if (a0ipc_log_enabled(level))
        a0ipc_log(level, "grpc: %s (%s:%d)", args->message, args->file, args->line);
}

void a0ipc_rpc_route_core_log(void)
{
    gpr_set_log_function(route);
    /* The core filters before calling us; let our own level decide. */
    gpr_set_log_verbosity(a0ipc_log_enabled(A0IPC_LOG_DEBUG) ? GPR_LOG_SEVERITY_DEBUG
                                                             : GPR_LOG_SEVERITY_INFO);
}
