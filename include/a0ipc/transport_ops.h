/* The one list of the adapter interface's operations (transport.h). Everything that names them
 * all comes from it: the a0ipc_transport_ops members and the a0ipc_* wrappers (transport.h,
 * transport.c), the implementations' method tables, the router's routed defaults and metrics
 * names (src/transport/router*.c) and the library's version script (src/lib/liba0ipc.map.in,
 * made into the build's liba0ipc.map by the C preprocessor). Adding an operation is adding one
 * line here, at the end (the growth rule in transport.h), and writing its implementations.
 *
 * X(since, name, params, args):
 *   since   the A0IPC_TRANSPORT_VERSION that added the operation
 *   name    the method in a0ipc_transport_ops and the wrapper a0ipc_<name>
 *   params  the parameters between (t, o) and st, parenthesized
 *   args    the same parameters' names, to forward them
 * so that every method is
 *   a0ipc_code name(a0ipc_transport *t, const a0ipc_call_options *o, <params>, a0ipc_status *st)
 *
 * This header holds only macros (no types, no declarations), so that the version script's
 * template can include it. */
#ifndef A0IPC_TRANSPORT_OPS_H
#define A0IPC_TRANSPORT_OPS_H

/* clang-format off */
#define A0IPC_TRANSPORT_OPS(X)                                                                     \
    X(2, health, (const char *service, a0ipc_serving *out), (service, out))                        \
    /* ---- files ---- */                                                                          \
    X(2, stat, (const char *path, bool follow_symlinks, a0ipc_file_info *out),                     \
      (path, follow_symlinks, out))                                                                \
    X(2, list_dir, (const char *path, uint32_t depth, bool include_hidden, a0ipc_file_list **out), \
      (path, depth, include_hidden, out))                                                          \
    X(2, read, (const char *path, uint64_t offset, uint64_t length, a0ipc_data_fn sink,            \
                void *arg),                                                                        \
      (path, offset, length, sink, arg))                                                           \
    X(2, write, (const a0ipc_write_options *w, a0ipc_source_fn source, void *arg,                  \
                 a0ipc_write_result *out),                                                         \
      (w, source, arg, out))                                                                       \
    X(2, remove, (const char *path, bool recursive, bool missing_ok, a0ipc_file_type must_be,      \
                  bool *removed),                                                                  \
      (path, recursive, missing_ok, must_be, removed))                                             \
    X(2, make_dir, (const char *path, uint32_t mode, bool parents, bool exist_ok, bool *created),  \
      (path, mode, parents, exist_ok, created))                                                    \
    X(2, move, (const char *source, const char *destination, bool overwrite,                       \
                bool create_parents),                                                              \
      (source, destination, overwrite, create_parents))                                            \
    X(2, archive, (const char *path, a0ipc_archive_format format, bool include_base_name,          \
                   a0ipc_data_fn sink, void *arg),                                                 \
      (path, format, include_base_name, sink, arg))                                                \
    X(2, watch, (const char *path, bool recursive, a0ipc_watch_fn on_event, void *arg),           \
      (path, recursive, on_event, arg))                                                            \
    /* ---- terminal ---- */                                                                       \
    X(2, create_session, (const a0ipc_session_options *so, a0ipc_session_info *out), (so, out))    \
    X(2, run, (const char *session_id, const a0ipc_run_options *ro, a0ipc_output_fn on_output,    \
               void *arg, a0ipc_run_result *out),                                                  \
      (session_id, ro, on_output, arg, out))                                                       \
    X(2, write_stdin, (const char *session_id, const uint8_t *data, size_t len),                   \
      (session_id, data, len))                                                                     \
    /* Delivers buffered output from from_seq, then live output, until the callback stops it,  \
     * the session ends, or the call is cancelled. */                                              \
    X(2, attach, (const char *session_id, uint64_t from_seq, a0ipc_output_fn on_output,           \
                  void *arg),                                                                      \
      (session_id, from_seq, on_output, arg))                                                      \
    X(2, resize, (const char *session_id, uint32_t rows, uint32_t cols), (session_id, rows, cols)) \
    X(2, signal, (const char *session_id, int signo, a0ipc_signal_target target),                  \
      (session_id, signo, target))                                                                 \
    /* out (may be NULL): how the shell ended. */                                               \
    X(2, close_session, (const char *session_id, uint32_t grace_ms, a0ipc_session_end *out),     \
      (session_id, grace_ms, out))                                                               \
    X(2, list_sessions, (a0ipc_session_list **out), (out))                                         \
    X(2, exec, (const a0ipc_exec_options *eo, a0ipc_exec_result *out), (eo, out))                \
    /* Reports the service's status now and at every change (grpc.health.v1's Watch), until   \
     * the callback stops it or the call ends; UNIMPLEMENTED where there is no such stream. */ \
    X(2, health_watch, (const char *service, a0ipc_serving_fn on_status, void *arg),          \
      (service, on_status, arg))
/* clang-format on */

/* Removes one pair of parentheses: A0IPC_TRANSPORT_UNPAREN params is the parameter list. */
#define A0IPC_TRANSPORT_UNPAREN(...) __VA_ARGS__

#endif
