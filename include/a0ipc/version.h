/* The client library's version, for programs that load liba0ipc.so.1 and want to log or check
 * which one they got (the soname only says the ABI is compatible). */
#ifndef A0IPC_VERSION_H
#define A0IPC_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

/* "MAJOR.MINOR.PATCH" of the library actually loaded, e.g. "0.1.0". */
const char *a0ipc_version(void);

#ifdef __cplusplus
}
#endif
#endif
