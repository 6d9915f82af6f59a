/* a0ipc's terminal commands: exec, run, sessions, close, shell. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "a0/runtime/v1/terminal.a0ipc.h"
#include "cli/commands.h"
#include "cli/runner.h"
#include "transport/proto_mirrors.h"

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* A remote status as ours: its exit code, or 128 + the signal, as a shell reports it. */
static int remote_status(int exit_code, int signal)
{
    return signal ? 128 + signal : exit_code & 0xff;
}

static int run_exec(a0ipc_cli *cli, int argc, char **argv)
{
    long long timeout = a0ipc_cli_number(cli, "exec-timeout-ms", 0);
    long long cap = a0ipc_cli_number(cli, "max-output", 0);
    if (timeout < 0 || cap < 0)
        return A0IPC_EXIT_SELF;
    const char *env = a0ipc_cli_value(cli, "env");
    a0ipc_exec_options eo = {.argv = (const char *const *)argv,
                             .argc = (size_t)argc,
                             .env = env ? &env : NULL,
                             .n_env = env ? 1 : 0,
                             .cwd = a0ipc_cli_value(cli, "cwd"),
                             .timeout_ms = (uint32_t)timeout,
                             .output_cap = (uint64_t)cap};
    a0ipc_exec_result r;
    if (a0ipc_exec(cli->t, &cli->call, &eo, &r, &cli->st))
        return a0ipc_cli_fail(cli);
    if (cli->json) {
        A0__Runtime__V1__ExecResponse pb = A0__RUNTIME__V1__EXEC_RESPONSE__INIT;
        pb.stdout_data = (ProtobufCBinaryData){r.stdout_len, r.stdout_data};
        pb.stderr_data = (ProtobufCBinaryData){r.stderr_len, r.stderr_data};
        pb.exit_code = r.signal ? 0 : r.exit_code; /* the proto's: 0 when killed */
        pb.signal = r.signal;
        pb.stdout_truncated = r.stdout_truncated;
        pb.stderr_truncated = r.stderr_truncated;
        pb.timed_out = r.timed_out;
        a0ipc_cli_json_message(stdout, &pb.base);
    } else {
        write_all(STDOUT_FILENO, r.stdout_data, r.stdout_len);
        write_all(STDERR_FILENO, r.stderr_data, r.stderr_len);
    }
    if (r.timed_out)
        fprintf(stderr, "a0ipc: the command ran past its timeout and was killed\n");
    if (r.stdout_truncated || r.stderr_truncated)
        fprintf(stderr, "a0ipc: output was cut at the cap (--max-output)\n");
    int rc = remote_status(r.exit_code, r.signal);
    a0ipc_exec_result_clear(&r);
    return rc;
}

static int print_output(void *arg, uint64_t seq, const uint8_t *data, size_t len, uint64_t lost)
{
    (void)seq;
    if (lost)
        fprintf(stderr, "\na0ipc: %llu bytes of output were lost (the daemon's buffer moved on)\n",
                (unsigned long long)lost);
    write_all(STDOUT_FILENO, data, len);
    if (arg)
        atomic_store((_Atomic uint64_t *)arg, seq + len);
    return 0;
}

/* run --json: each event as the RunResponse the stream carries. */
static int print_output_json(void *arg, uint64_t seq, const uint8_t *data, size_t len,
                             uint64_t lost)
{
    (void)arg;
    if (lost)
        fprintf(stderr, "a0ipc: %llu bytes of output were lost\n", (unsigned long long)lost);
    A0__Runtime__V1__Output out = A0__RUNTIME__V1__OUTPUT__INIT;
    out.seq = seq;
    out.data = (ProtobufCBinaryData){len, (uint8_t *)data};
    A0__Runtime__V1__RunResponse ev = A0__RUNTIME__V1__RUN_RESPONSE__INIT;
    ev.event_case = A0__RUNTIME__V1__RUN_RESPONSE__EVENT_OUTPUT;
    ev.output = &out;
    a0ipc_cli_json_message(stdout, &ev.base);
    fflush(stdout);
    return 0;
}

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_DONE_REASON_MIRRORS_PROTO;

static void print_done_json(const a0ipc_run_result *r)
{
    A0__Runtime__V1__Done done = A0__RUNTIME__V1__DONE__INIT;
    done.reason = (A0__Runtime__V1__DoneReason)r->reason;
    done.exit_code = r->exit_code;
    done.signal = r->signal;
    done.last_seq = r->last_seq;
    A0__Runtime__V1__RunResponse ev = A0__RUNTIME__V1__RUN_RESPONSE__INIT;
    ev.event_case = A0__RUNTIME__V1__RUN_RESPONSE__EVENT_DONE;
    ev.done = &done;
    a0ipc_cli_json_message(stdout, &ev.base);
}

static const char *reason_name(a0ipc_done_reason r)
{
    static const char *const names[] = {"UNSPECIFIED",   "EXITED",   "FIRST_OUTPUT_TIMEOUT",
                                        "IDLE_TIMEOUT",  "MAX_TIME", "DIALOG",
                                        "SESSION_CLOSED"};
    return (unsigned)r < 7 ? names[r] : "?";
}

static int run_run(a0ipc_cli *cli, int argc, char **argv)
{
    /* The command is the arguments joined, as a shell line. */
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *command = calloc(1, len);
    if (!command)
        return A0IPC_EXIT_SELF;
    for (int i = 0; i < argc; i++) {
        strcat(command, argv[i]);
        if (i + 1 < argc)
            strcat(command, " ");
    }
    const char *session = a0ipc_cli_value(cli, "session");
    a0ipc_session_info s = {0};
    if (!session) {
        if (a0ipc_create_session(cli->t, &cli->call, NULL, &s, &cli->st)) {
            free(command);
            return a0ipc_cli_fail(cli);
        }
        session = s.id;
    }
    long long total = a0ipc_cli_number(cli, "max-time-ms", 0);
    long long idle = a0ipc_cli_number(cli, "idle-timeout-ms", 0);
    if (total < 0 || idle < 0) {
        free(command);
        a0ipc_session_info_clear(&s);
        return A0IPC_EXIT_SELF;
    }
    a0ipc_run_options ro = {.command = command,
                            .total_timeout_ms = (uint32_t)total,
                            .between_outputs_timeout_ms = (uint32_t)idle,
                            .clean_output = a0ipc_cli_flag(cli, "clean")};
    a0ipc_run_result r;
    a0ipc_call_options o = cli->call;
    if (o.timeout_ms == 0)
        o.timeout_ms = -1; /* the request carries the command's own timeouts */
    int rc = A0IPC_EXIT_SELF;
    a0ipc_output_fn on_output = cli->json ? print_output_json : print_output;
    if (a0ipc_run(cli->t, &o, session, &ro, on_output, NULL, &r, &cli->st)) {
        rc = a0ipc_cli_fail(cli);
        r.reason = A0IPC_DONE_UNSPECIFIED;
    } else if (cli->json) {
        print_done_json(&r);
    }
    bool ended = r.reason == A0IPC_DONE_EXITED || r.reason == A0IPC_DONE_SESSION_CLOSED;
    if (r.reason == A0IPC_DONE_UNSPECIFIED) {
        /* the call failed: rc says so */
    } else if (r.reason == A0IPC_DONE_EXITED && r.exit_code < 0 && !r.signal) {
        fprintf(stderr, "a0ipc: the command ended; its exit status is unknown (the legacy "
                        "transport never learns it)\n");
        rc = A0IPC_EXIT_OK;
    } else if (r.reason == A0IPC_DONE_SESSION_CLOSED && r.signal) {
        /* Not the shell's own exit: a client closed the session, or a0ipcd stopped. */
        fprintf(stderr,
                "a0ipc: session %s was closed (closed by a client, or a0ipcd stopped) before the "
                "command finished; it is gone\n",
                session);
        rc = remote_status(r.exit_code, r.signal);
    } else if (ended) {
        /* The command's status; when it ended the shell too (`exit 4`), the shell's. */
        rc = remote_status(r.exit_code, r.signal);
    } else if (r.reason == A0IPC_DONE_FIRST_OUTPUT_TIMEOUT || r.reason == A0IPC_DONE_IDLE_TIMEOUT ||
               r.reason == A0IPC_DONE_MAX_TIME || r.reason == A0IPC_DONE_DIALOG) {
        /* Only these end a Run with its command still running: say how to get back to it. */
        fprintf(stderr, "a0ipc: %s; the command goes on in session %s (a0ipc shell --session %s)\n",
                reason_name(r.reason), session, session);
        rc = A0IPC_EXIT_WAIT_ENDED;
    } else {
        fprintf(stderr,
                "a0ipc: the run ended without an outcome (%s); the command may not have "
                "finished\n",
                reason_name(r.reason));
        rc = A0IPC_EXIT_SELF;
    }
    if (s.id && ended) {
        a0ipc_status st = A0IPC_STATUS_INIT;
        a0ipc_close_session(cli->t, NULL, s.id, 1000, NULL, &st); /* our own throwaway session */
        a0ipc_status_clear(&st);
    }
    free(command);
    a0ipc_session_info_clear(&s);
    return rc;
}

/* The cast below converts between enums that share their numbers: checked value by value. */
A0IPC_SESSION_STATE_MIRRORS_PROTO;

static int run_sessions(a0ipc_cli *cli, int argc, char **argv)
{
    static const char *const states[] = {"?", "idle", "busy", "closing", "exited"};
    a0ipc_session_list *l = NULL;
    if (a0ipc_list_sessions(cli->t, &cli->call, &l, &cli->st))
        return a0ipc_cli_fail(cli);
    if (cli->json) {
        A0__Runtime__V1__SessionInfo *infos = calloc(l->n_sessions + 1, sizeof *infos);
        A0__Runtime__V1__SessionInfo **ptrs = calloc(l->n_sessions + 1, sizeof *ptrs);
        for (size_t i = 0; infos && ptrs && i < l->n_sessions; i++) {
            const a0ipc_session_info *s = &l->sessions[i];
            infos[i] = (A0__Runtime__V1__SessionInfo)A0__RUNTIME__V1__SESSION_INFO__INIT;
            infos[i].session_id = s->id;
            infos[i].pid = s->pid;
            infos[i].state = (A0__Runtime__V1__SessionState)s->state;
            infos[i].created_unix_ms = s->created_unix_ms;
            infos[i].last_activity_unix_ms = s->last_activity_unix_ms;
            infos[i].running_command = s->running_command ? s->running_command : "";
            ptrs[i] = &infos[i];
        }
        A0__Runtime__V1__ListSessionsResponse r = A0__RUNTIME__V1__LIST_SESSIONS_RESPONSE__INIT;
        r.sessions = ptrs;
        r.n_sessions = infos && ptrs ? l->n_sessions : 0;
        a0ipc_cli_json_message(stdout, &r.base);
        free(infos);
        free(ptrs);
    }
    for (size_t i = 0; !cli->json && i < l->n_sessions; i++) {
        const a0ipc_session_info *s = &l->sessions[i];
        const char *state = (unsigned)s->state < 5 ? states[s->state] : "?";
        printf("%s %7d %-7s %s\n", s->id, s->pid, state, s->running_command);
    }
    a0ipc_session_list_free(l);
    return A0IPC_EXIT_OK;
}

static int run_close(a0ipc_cli *cli, int argc, char **argv)
{
    long long grace = a0ipc_cli_number(cli, "grace-ms", 2000);
    if (grace < 0)
        return A0IPC_EXIT_USAGE;
    a0ipc_session_end end;
    if (a0ipc_close_session(cli->t, &cli->call, argv[0], (uint32_t)grace, &end, &cli->st))
        return a0ipc_cli_fail(cli);
    if (cli->json) { /* how the shell ended; the empty response where the backend cannot tell */
        A0__Runtime__V1__CloseSessionResponse r = A0__RUNTIME__V1__CLOSE_SESSION_RESPONSE__INIT;
        r.exit_code = end.exit_code;
        r.signal = end.signal;
        a0ipc_cli_json_message(stdout, &r.base);
    }
    return A0IPC_EXIT_OK;
}

/* ---- shell ---- */

#define DETACH_KEY 0x1d /* Ctrl-], as telnet and docker attach */

typedef struct shell {
    a0ipc_cli *cli;
    const char *id;
    uint64_t from_seq;
    _Atomic uint64_t next_seq; /* where a reattach resumes */
    a0ipc_cancel *cancel;
    int wake[2]; /* the output thread and SIGWINCH write here to wake the input loop */
    a0ipc_code code;
    a0ipc_status st;
} shell;

static int winch_fd = -1;

static void on_winch(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t unused = write(winch_fd, "w", 1);
    (void)unused;
    errno = saved;
}

static void *attach_thread(void *arg)
{
    shell *sh = arg;
    a0ipc_call_options o = {.timeout_ms = -1, .cancel = sh->cancel};
    sh->code =
        a0ipc_attach(sh->cli->t, &o, sh->id, sh->from_seq, print_output, &sh->next_seq, &sh->st);
    ssize_t unused = write(sh->wake[1], "x", 1);
    (void)unused;
    return NULL;
}

static void window_size(uint32_t *rows, uint32_t *cols)
{
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
    }
}

/* The status the shell of an ended session exited with, as ssh exits with it. CloseSession says
 * it (and removes the ended session). 0 where the backend cannot tell (the legacy), or when
 * a0ipcd no longer knows the session. */
static int ended_shell_status(a0ipc_cli *cli, const char *id)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_session_end end;
    int rc = A0IPC_EXIT_OK;
    if (a0ipc_close_session(cli->t, &cli->call, id, 1000, &end, &st) == A0IPC_OK && end.known)
        rc = remote_status(end.exit_code, end.signal);
    a0ipc_status_clear(&st);
    return rc;
}

static int run_shell(a0ipc_cli *cli, int argc, char **argv)
{
    if (cli->json) /* a terminal's bytes are not messages */
        return a0ipc_cli_own(cli, a0ipc_cli_usage_error("shell", "--json does not apply"));
    shell sh = {.cli = cli, .st = A0IPC_STATUS_INIT};
    a0ipc_session_info created = {0};
    uint32_t rows = 0, cols = 0;
    window_size(&rows, &cols);
    sh.id = a0ipc_cli_value(cli, "session");
    long long from = a0ipc_cli_number(cli, "from-seq", 0);
    if (from < 0)
        return A0IPC_EXIT_SELF;
    sh.from_seq = (uint64_t)from;
    if (!sh.id) {
        a0ipc_session_options so = {.rows = rows, .cols = cols};
        if (a0ipc_create_session(cli->t, &cli->call, &so, &created, &cli->st))
            return a0ipc_cli_fail(cli);
        sh.id = created.id;
    } else if (rows && a0ipc_resize(cli->t, &cli->call, sh.id, rows, cols, &cli->st)) {
        return a0ipc_cli_fail(cli); /* also tells a wrong id (NOT_FOUND) before going raw */
    }
    fprintf(stderr, "a0ipc: session %s; Ctrl-] detaches\r\n", sh.id);

    struct termios saved;
    bool raw = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
    sh.cancel = a0ipc_cancel_new();
    int winch[2];
    if (!sh.cancel || pipe(sh.wake) != 0 || pipe(winch) != 0) {
        if (raw)
            tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        a0ipc_cancel_free(sh.cancel);
        a0ipc_session_info_clear(&created);
        return A0IPC_EXIT_SELF;
    }
    winch_fd = winch[1];
    signal(SIGWINCH, on_winch);
    pthread_t th;
    pthread_create(&th, NULL, attach_thread, &sh);

    bool detached = false, ended = false;
    while (!detached && !ended) {
        struct pollfd fds[3] = {
            {STDIN_FILENO, POLLIN, 0}, {sh.wake[0], POLLIN, 0}, {winch[0], POLLIN, 0}};
        if (poll(fds, 3, -1) < 0 && errno != EINTR)
            break;
        if (fds[1].revents) {
            ended = true; /* the session ended, or the stream broke */
            break;
        }
        if (fds[2].revents) {
            char buf[16];
            ssize_t unused = read(winch[0], buf, sizeof buf);
            (void)unused;
            window_size(&rows, &cols);
            a0ipc_status st = A0IPC_STATUS_INIT;
            a0ipc_resize(cli->t, NULL, sh.id, rows, cols, &st);
            a0ipc_status_clear(&st);
        }
        if (fds[0].revents) {
            uint8_t buf[4096];
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n <= 0)
                break;
            uint8_t *key = memchr(buf, DETACH_KEY, (size_t)n);
            if (key) {
                n = key - buf;
                detached = true;
            }
            a0ipc_status st = A0IPC_STATUS_INIT;
            if (n > 0 && a0ipc_write_stdin(cli->t, NULL, sh.id, buf, (size_t)n, &st) != A0IPC_OK) {
                a0ipc_status_move(&sh.st, &st);
                ended = true;
            }
        }
    }
    a0ipc_cancel_raise(sh.cancel);
    pthread_join(th, NULL);
    signal(SIGWINCH, SIG_DFL);
    if (raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    int rc = A0IPC_EXIT_OK;
    if (detached) {
        fprintf(stderr,
                "\na0ipc: detached; the session goes on. Reattach without losing output:\n"
                "  a0ipc shell --session %s --from-seq %llu\n",
                sh.id, (unsigned long long)atomic_load(&sh.next_seq));
    } else if (sh.code != A0IPC_OK && sh.code != A0IPC_CANCELLED) {
        a0ipc_status_move(&cli->st, &sh.st);
        rc = a0ipc_cli_fail(cli);
    } else {
        rc = ended_shell_status(cli, sh.id);
        fprintf(stderr, "\na0ipc: the session ended (exit status %d)\n", rc);
    }
    close(sh.wake[0]);
    close(sh.wake[1]);
    close(winch[0]);
    close(winch[1]);
    a0ipc_cancel_free(sh.cancel);
    a0ipc_status_clear(&sh.st);
    a0ipc_session_info_clear(&created);
    return rc;
}

static const a0ipc_cli_cmd cmds[] = {
    {"exec",
     "[--] ARGV...",
     "Run a program without a terminal; exit with its status.",
     1,
     -1,
     {{"cwd", true, "working directory"},
      {"env", true, "one NAME=value for its environment"},
      {"exec-timeout-ms", true, "kill it after this long (default: the daemon's)"},
      {"max-output", true, "bytes kept per stream (default: the daemon's)"}},
     run_exec,
     true},
    {"run",
     "COMMAND...",
     "Run a shell command, stream its output, exit with its status.",
     1,
     -1,
     {{"session", true, "in this session (default: a new one, closed afterwards)"},
      {"clean", false, "output cleaned as the legacy did (ANSI escapes, CR)"},
      {"max-time-ms", true, "stop waiting after this long (the command goes on)"},
      {"idle-timeout-ms", true, "stop waiting after this long without output"}},
     run_run,
     true},
    {"sessions",
     "",
     "List the terminal sessions.",
     0,
     0,
     {{NULL, false, NULL}},
     run_sessions,
     false},
    {"close",
     "SESSION",
     "Close a session: every one of its processes ends.",
     1,
     1,
     {{"grace-ms", true, "SIGHUP to SIGKILL (default 2000)"}},
     run_close,
     false},
    {"shell",
     "",
     "An interactive shell: raw terminal, resize, Ctrl-] detaches.",
     0,
     0,
     {{"session", true, "attach to this session instead of a new one"},
      {"from-seq", true, "replay output from this offset (what detach printed)"}},
     run_shell,
     true},
};

const a0ipc_cli_cmd *a0ipc_cli_terminal_commands(size_t *n)
{
    *n = sizeof cmds / sizeof cmds[0];
    return cmds;
}
