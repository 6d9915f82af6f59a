/* The enums of transport.h that mirror the runtime proto's, value by value: each macro checks
 * one pair at compile time, and is used next to every cast between the pair (grpc_transport*.c,
 * src/cli/cmd_files.c, src/cli/cmd_terminal.c). A proto value with no counterpart here is one
 * the client never sees or sends (the UNSPECIFIED ones the daemon refuses, noted per pair). */
#ifndef A0IPC_TRANSPORT_PROTO_MIRRORS_H
#define A0IPC_TRANSPORT_PROTO_MIRRORS_H

#include "a0/runtime/v1/files.pb-c.h"
#include "a0/runtime/v1/terminal.pb-c.h"
#include "a0ipc/transport.h"
#include "grpc/health/v1/health.pb-c.h"
#include "common/same_number.h"

#define A0IPC_FILE_TYPE_MIRRORS_PROTO                                                              \
    A0IPC_SAME_NUMBER(A0IPC_FILE_UNSPECIFIED, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_UNSPECIFIED);  \
    A0IPC_SAME_NUMBER(A0IPC_FILE_REGULAR, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_FILE);             \
    A0IPC_SAME_NUMBER(A0IPC_FILE_DIR, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_DIR);                  \
    A0IPC_SAME_NUMBER(A0IPC_FILE_SYMLINK, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_SYMLINK);          \
    A0IPC_SAME_NUMBER(A0IPC_FILE_OTHER, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_OTHER)

/* ARCHIVE_FORMAT_UNSPECIFIED: the daemon refuses it. */
#define A0IPC_ARCHIVE_FORMAT_MIRRORS_PROTO                                                         \
    A0IPC_SAME_NUMBER(A0IPC_ARCHIVE_ZIP, A0__RUNTIME__V1__ARCHIVE_FORMAT__ARCHIVE_FORMAT_ZIP);     \
    A0IPC_SAME_NUMBER(A0IPC_ARCHIVE_TAR_GZ, A0__RUNTIME__V1__ARCHIVE_FORMAT__ARCHIVE_FORMAT_TAR_GZ)

/* WATCH_EVENT_TYPE_UNSPECIFIED: the daemon never sends it. */
#define A0IPC_WATCH_TYPE_MIRRORS_PROTO                                                             \
    A0IPC_SAME_NUMBER(A0IPC_WATCH_READY,                                                           \
                      A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_READY);                  \
    A0IPC_SAME_NUMBER(A0IPC_WATCH_CREATE,                                                          \
                      A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_CREATE);                 \
    A0IPC_SAME_NUMBER(A0IPC_WATCH_MODIFY,                                                          \
                      A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_MODIFY);                 \
    A0IPC_SAME_NUMBER(A0IPC_WATCH_REMOVE,                                                          \
                      A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_REMOVE);                 \
    A0IPC_SAME_NUMBER(A0IPC_WATCH_RENAME,                                                          \
                      A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_RENAME);                 \
    A0IPC_SAME_NUMBER(A0IPC_WATCH_OVERFLOW,                                                        \
                      A0__RUNTIME__V1__WATCH_EVENT_TYPE__WATCH_EVENT_TYPE_OVERFLOW)

#define A0IPC_DONE_REASON_MIRRORS_PROTO                                                            \
    A0IPC_SAME_NUMBER(A0IPC_DONE_UNSPECIFIED,                                                      \
                      A0__RUNTIME__V1__DONE_REASON__DONE_REASON_UNSPECIFIED);                      \
    A0IPC_SAME_NUMBER(A0IPC_DONE_EXITED, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_EXITED);        \
    A0IPC_SAME_NUMBER(A0IPC_DONE_FIRST_OUTPUT_TIMEOUT,                                             \
                      A0__RUNTIME__V1__DONE_REASON__DONE_REASON_FIRST_OUTPUT_TIMEOUT);             \
    A0IPC_SAME_NUMBER(A0IPC_DONE_IDLE_TIMEOUT,                                                     \
                      A0__RUNTIME__V1__DONE_REASON__DONE_REASON_IDLE_TIMEOUT);                     \
    A0IPC_SAME_NUMBER(A0IPC_DONE_MAX_TIME, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_MAX_TIME);    \
    A0IPC_SAME_NUMBER(A0IPC_DONE_DIALOG, A0__RUNTIME__V1__DONE_REASON__DONE_REASON_DIALOG);        \
    A0IPC_SAME_NUMBER(A0IPC_DONE_SESSION_CLOSED,                                                   \
                      A0__RUNTIME__V1__DONE_REASON__DONE_REASON_SESSION_CLOSED)

/* SIGNAL_TARGET_UNSPECIFIED: the daemon refuses it. */
#define A0IPC_SIGNAL_TARGET_MIRRORS_PROTO                                                          \
    A0IPC_SAME_NUMBER(A0IPC_SIGNAL_FOREGROUND,                                                     \
                      A0__RUNTIME__V1__SIGNAL_TARGET__SIGNAL_TARGET_FOREGROUND);                   \
    A0IPC_SAME_NUMBER(A0IPC_SIGNAL_SESSION, A0__RUNTIME__V1__SIGNAL_TARGET__SIGNAL_TARGET_SESSION)

#define A0IPC_SESSION_STATE_MIRRORS_PROTO                                                          \
    A0IPC_SAME_NUMBER(A0IPC_SESSION_UNSPECIFIED,                                                   \
                      A0__RUNTIME__V1__SESSION_STATE__SESSION_STATE_UNSPECIFIED);                  \
    A0IPC_SAME_NUMBER(A0IPC_SESSION_IDLE, A0__RUNTIME__V1__SESSION_STATE__SESSION_STATE_IDLE);     \
    A0IPC_SAME_NUMBER(A0IPC_SESSION_BUSY, A0__RUNTIME__V1__SESSION_STATE__SESSION_STATE_BUSY);     \
    A0IPC_SAME_NUMBER(A0IPC_SESSION_CLOSING,                                                       \
                      A0__RUNTIME__V1__SESSION_STATE__SESSION_STATE_CLOSING);                      \
    A0IPC_SAME_NUMBER(A0IPC_SESSION_EXITED, A0__RUNTIME__V1__SESSION_STATE__SESSION_STATE_EXITED)

#define A0IPC_SERVING_MIRRORS_PROTO                                                                \
    A0IPC_SAME_NUMBER(A0IPC_SERVING_UNKNOWN,                                                       \
                      GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__UNKNOWN);           \
    A0IPC_SAME_NUMBER(A0IPC_SERVING,                                                               \
                      GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);           \
    A0IPC_SAME_NUMBER(A0IPC_NOT_SERVING,                                                           \
                      GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);       \
    A0IPC_SAME_NUMBER(A0IPC_SERVICE_UNKNOWN,                                                       \
                      GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN)

#endif
