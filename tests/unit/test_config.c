/* a0ipcd's configuration: the file format, the command line over the file, and validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "daemon/config.h"
#include "daemon/config_setting.h"

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/a0ipc-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static int from_args(a0ipc_daemon_config *c, a0ipc_status *st, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return a0ipc_daemon_config_from_args(c, argc, argv, st);
}

static void defaults(void **state)
{
    (void)state;
    a0ipc_daemon_config c;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_daemon_config_init(&c);
    char *argv[] = {"a0ipcd", NULL};
    assert_int_equal(from_args(&c, &st, argv), 0);
    assert_int_equal(c.n_listen, 1);
    assert_string_equal(c.listen[0], A0IPC_DEFAULT_LISTEN);
    assert_int_equal(c.cq_threads, 1);
    assert_int_equal(c.shutdown_grace_ms, 5000);
    assert_true(c.log_calls);
    assert_int_equal(a0ipc_daemon_config_validate(&c, &st), 0);
    a0ipc_daemon_config_free(&c);
}

static void file_is_read_and_cli_wins(void **state)
{
    (void)state;
    char *path = write_temp("# a comment\n"
                            "listen = unix:/tmp/a.sock   # trailing comment\n"
                            "listen=127.0.0.1:7000\n"
                            "\n"
                            "  cq-threads = 2\n"
                            "log-level = debug\n"
                            "log-format = json\n"
                            "log-calls = false\n"
                            "shutdown-grace-ms = 250\n"
                            "insecure = yes\n");
    a0ipc_daemon_config c;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_daemon_config_init(&c);
    char *argv[] = {"a0ipcd", "--config", path, "--cq-threads", "3", NULL};
    assert_int_equal(from_args(&c, &st, argv), 0);
    assert_int_equal(c.n_listen, 2);
    assert_string_equal(c.listen[0], "unix:/tmp/a.sock");
    assert_string_equal(c.listen[1], "127.0.0.1:7000");
    assert_int_equal(c.cq_threads, 3); /* the command line wins over the file */
    assert_int_equal(c.log_level, A0IPC_LOG_DEBUG);
    assert_int_equal(c.log_format, A0IPC_LOG_FORMAT_JSON);
    assert_false(c.log_calls);
    assert_int_equal(c.shutdown_grace_ms, 250);
    assert_true(c.insecure);
    a0ipc_daemon_config_free(&c);

    /* --listen on the command line replaces the file's list instead of adding to it. */
    a0ipc_daemon_config_init(&c);
    char *argv2[] = {"a0ipcd", "--listen", "unix:/tmp/b.sock", "--config", path, NULL};
    assert_int_equal(from_args(&c, &st, argv2), 0);
    assert_int_equal(c.n_listen, 1);
    assert_string_equal(c.listen[0], "unix:/tmp/b.sock");
    a0ipc_daemon_config_free(&c);
    unlink(path);
    free(path);
}

static void file_errors_name_file_and_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"cq-threads = 2\nbogus = 1\n", ":2: unknown setting \"bogus\""},
        {"listen unix:/x\n", ":1: expected \"key = value\""},
        {"cq-threads = many\n", ":1: cq-threads must be a whole number from 1 to 64"},
        {"cq-threads = 0\n", ":1: cq-threads must be a whole number"},
        {"log-calls = maybe\n", ":1: log-calls must be true or false"},
        {"log-level = loud\n", ":1: log-level must be error, warn, info or debug"},
        {"log-format = xml\n", ":1: log-format must be text or json"},
        {"listen =\n", ":1: listen needs an address"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = write_temp(cases[i].text);
        a0ipc_daemon_config c;
        a0ipc_status st = A0IPC_STATUS_INIT;
        a0ipc_daemon_config_init(&c);
        assert_int_equal(a0ipc_daemon_config_load(&c, path, &st), -1);
        assert_int_equal(st.code, A0IPC_INVALID_ARGUMENT);
        if (!strstr(st.message, path) || !strstr(st.message, cases[i].want))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, st.message, cases[i].want);
        a0ipc_status_clear(&st);
        a0ipc_daemon_config_free(&c);
        unlink(path);
        free(path);
    }
}

static void missing_file_is_not_found(void **state)
{
    (void)state;
    a0ipc_daemon_config c;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_daemon_config_init(&c);
    assert_int_equal(a0ipc_daemon_config_load(&c, "/nonexistent/a0ipcd.conf", &st), -1);
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    assert_non_null(strstr(st.message, "/nonexistent/a0ipcd.conf"));
    a0ipc_status_clear(&st);
    a0ipc_daemon_config_free(&c);
}

static void bad_command_lines(void **state)
{
    (void)state;
    char *unknown[] = {"a0ipcd", "--frobnicate", NULL};
    char *missing[] = {"a0ipcd", "--listen", NULL};
    char *stray[] = {"a0ipcd", "extra", NULL};
    char *badval[] = {"a0ipcd", "--max-workers", "-3", NULL};
    char **cases[] = {unknown, missing, stray, badval};
    for (size_t i = 0; i < 4; i++) {
        a0ipc_daemon_config c;
        a0ipc_status st = A0IPC_STATUS_INIT;
        a0ipc_daemon_config_init(&c);
        assert_int_equal(from_args(&c, &st, cases[i]), -1);
        assert_int_equal(st.code, A0IPC_INVALID_ARGUMENT);
        assert_non_null(st.message);
        a0ipc_status_clear(&st);
        a0ipc_daemon_config_free(&c);
    }
}

static void plaintext_tcp_rules(void **state)
{
    (void)state;
    static const struct {
        const char *addr;
        int insecure;
        int ok;
    } cases[] = {
        {"unix:/tmp/x.sock", 0, 1},
        {"127.0.0.1:5000", 0, 0}, /* TCP without TLS needs --insecure */
        {"127.0.0.1:5000", 1, 1},
        {"127.3.4.5:5000", 1, 1},
        {"[::1]:5000", 1, 1},
        {"localhost:5000", 1, 1},
        {"0.0.0.0:5000", 1, 0}, /* --insecure never on a non-loopback address */
        {"[::]:5000", 1, 0},
        {"ipv4:127.0.0.1:5000", 1, 1},
        {"127.0.0.1", 1, 0}, /* no port */
        {"10.1.2.3:5000", 1, 0},
        {"example.com:5000", 1, 0},
        {"127.example.com:5000", 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        a0ipc_daemon_config c;
        a0ipc_status st = A0IPC_STATUS_INIT;
        a0ipc_daemon_config_init(&c);
        assert_int_equal(a0ipc_daemon_config_set(&c, "listen", cases[i].addr, false, &st), 0);
        c.insecure = cases[i].insecure;
        int rc = a0ipc_daemon_config_validate(&c, &st);
        if ((rc == 0) != cases[i].ok)
            fail_msg("%s insecure=%d: validate gave %d (%s)", cases[i].addr, cases[i].insecure, rc,
                     a0ipc_status_message(&st));
        if (rc != 0) {
            assert_int_equal(st.code, A0IPC_FAILED_PRECONDITION);
            assert_non_null(strstr(st.message, cases[i].addr));
        }
        a0ipc_status_clear(&st);
        a0ipc_daemon_config_free(&c);
    }
}

static void security_settings(void **state)
{
    (void)state;
    char *path = write_temp("socket-mode = 0600\n"
                            "socket-owner = root\n"
                            "socket-group = 0\n"
                            "allow-uid = 65534\n"
                            "allow-uid = root\n"
                            "allow-gid = 4242\n"
                            "tls-cert = /c.pem\n"
                            "tls-key = /k.pem\n"
                            "tls-ca = /ca.pem\n"
                            "tls-client-cert = required\n"
                            "tls-reload-seconds = 1\n"
                            "tokens-file = /t\n"
                            "health-exempt = false\n");
    a0ipc_daemon_config c;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_daemon_config_init(&c);
    assert_int_equal(c.socket_mode, 0660);
    assert_true(c.health_exempt);
    assert_int_equal(c.tls_reload_seconds, 10);
    char *argv[] = {"a0ipcd", "--config", path, "--allow-gid", "7", NULL};
    assert_int_equal(from_args(&c, &st, argv), 0);
    assert_int_equal(c.socket_mode, 0600);
    assert_int_equal(c.socket_owner, 0);
    assert_int_equal(c.socket_group, 0);
    assert_int_equal(c.n_allow_uids, 2); /* repeatable: they add up */
    assert_int_equal(c.allow_uids[0], 65534);
    assert_int_equal(c.allow_uids[1], 0);
    assert_int_equal(c.n_allow_gids, 2);
    assert_int_equal(c.allow_gids[1], 7);
    assert_string_equal(c.tls_cert, "/c.pem");
    assert_int_equal(c.tls_client_cert, 2);
    assert_int_equal(c.tls_reload_seconds, 1);
    assert_string_equal(c.tokens_file, "/t");
    assert_false(c.health_exempt);
    a0ipc_daemon_config_free(&c);
    unlink(path);
    free(path);

    const char *bad[][2] = {{"socket-mode", "999"},         {"socket-mode", "rw"},
                            {"socket-owner", "no-such-u"},  {"allow-uid", "-5"},
                            {"allow-gid", "no-such-group"}, {"tls-client-cert", "maybe"},
                            {"tls-reload-seconds", "0"},    {"health-exempt", "perhaps"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a0ipc_daemon_config_init(&c);
        assert_int_equal(a0ipc_daemon_config_set(&c, bad[i][0], bad[i][1], false, &st), -1);
        assert_non_null(st.message);
        a0ipc_status_clear(&st);
        a0ipc_daemon_config_free(&c);
    }
}

static void tls_rules(void **state)
{
    (void)state;
    static const struct {
        const char *settings[8]; /* key, value pairs */
        const char *error;       /* NULL: valid */
    } cases[] = {
        {{"tls-cert", "c", "tls-key", "k", "tokens-file", "t"}, NULL},
        {{"tls-cert", "c", "tls-key", "k", "tls-ca", "a", "tls-client-cert", "required"}, NULL},
        {{"tls-cert", "c", "tls-key", "k"}, "set tokens-file, or tls-client-cert = required"},
        {{"tls-cert", "c", "tls-key", "k", "tls-ca", "a", "tls-client-cert", "optional"},
         "set tokens-file"},
        {{"tls-cert", "c", "tokens-file", "t"}, "both tls-cert and tls-key"},
        {{"tls-key", "k", "tokens-file", "t"}, "both tls-cert and tls-key"},
        {{"tls-ca", "a", "tokens-file", "t"}, "need tls-cert"},
        {{"tls-cert", "c", "tls-key", "k", "tls-client-cert", "required"}, "needs tls-ca"},
        /* TLS makes any TCP address acceptable, loopback or not, --insecure or not. */
        {{"tls-cert", "c", "tls-key", "k", "tokens-file", "t", "insecure", "true"}, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        a0ipc_daemon_config c;
        a0ipc_status st = A0IPC_STATUS_INIT;
        a0ipc_daemon_config_init(&c);
        assert_int_equal(a0ipc_daemon_config_set(&c, "listen", "0.0.0.0:5000", false, &st), 0);
        for (int k = 0; k < 8 && cases[i].settings[k]; k += 2)
            assert_int_equal(a0ipc_daemon_config_set(&c, cases[i].settings[k],
                                                     cases[i].settings[k + 1], false, &st),
                             0);
        int rc = a0ipc_daemon_config_validate(&c, &st);
        if (!cases[i].error && rc != 0)
            fail_msg("case %zu: refused: %s", i, a0ipc_status_message(&st));
        if (cases[i].error && (rc == 0 || !strstr(a0ipc_status_message(&st), cases[i].error)))
            fail_msg("case %zu: wanted \"%s\", got rc %d \"%s\"", i, cases[i].error, rc,
                     a0ipc_status_message(&st));
        a0ipc_status_clear(&st);
        a0ipc_daemon_config_free(&c);
    }
}

/* The table is consistent: unique names, every default within its own bounds and written back
 * by the parser as init sets it, text for --help and the docs. */
static void settings_table_is_consistent(void **state)
{
    (void)state;
    assert_true(a0ipc_daemon_n_settings >= 40);
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++) {
        const a0ipc_setting *s = &a0ipc_daemon_settings[i];
        assert_non_null(s->help);
        assert_non_null(s->section);
        assert_ptr_equal(a0ipc_daemon_setting_find(s->name), s);
        if (s->type == A0IPC_SETTING_INT || s->type == A0IPC_SETTING_LLONG)
            assert_true(s->min <= s->def && s->def <= s->max);
        if (s->flags & A0IPC_SETTING_CLI_FLAG)
            assert_int_equal(s->type, A0IPC_SETTING_BOOL);
        char num[32];
        const char *def = a0ipc_setting_default_text(s, num, sizeof num);
        if (!def || s->def_text)
            continue; /* none, or a default in words */
        a0ipc_daemon_config dflt, parsed;
        a0ipc_status st = A0IPC_STATUS_INIT;
        a0ipc_daemon_config_init(&dflt);
        a0ipc_daemon_config_init(&parsed);
        if (a0ipc_daemon_config_set(&parsed, s->name, def, false, &st) != 0)
            fail_msg("%s: its default \"%s\" is refused: %s", s->name, def, st.message);
        char which[64];
        if (a0ipc_daemon_config_restart_needed(&dflt, &parsed, which, sizeof which) != 0)
            fail_msg("%s: \"%s\" parses to another value than the default", s->name, def);
        a0ipc_daemon_config_free(&dflt);
        a0ipc_daemon_config_free(&parsed);
    }
    assert_null(a0ipc_daemon_setting_find("config")); /* options, not settings */
    assert_null(a0ipc_daemon_setting_find("help"));
}

static void defaults_from_the_table(void **state)
{
    (void)state;
    a0ipc_daemon_config c;
    a0ipc_daemon_config_init(&c);
    assert_int_equal(c.max_workers, 256);
    assert_int_equal(c.max_message_bytes, 4 * 1024 * 1024);
    assert_int_equal(c.max_concurrent_streams, 100);
    assert_int_equal(c.max_connections, 1024);
    assert_int_equal(c.connection_idle_ms, 300000);
    assert_int_equal(c.log_level, A0IPC_LOG_INFO);
    assert_int_equal(c.log_format, A0IPC_LOG_FORMAT_TEXT);
    assert_true(c.terminal);
    assert_false(c.insecure);
    assert_int_equal(c.max_sessions, 64);
    assert_int_equal(c.session_buffer, 1024 * 1024);
    assert_int_equal(c.session_idle_ttl_s, 3600);
    assert_int_equal(c.exec_timeout_ms, 60000);
    assert_int_equal(c.session_close_grace_max_ms, 30000);
    assert_int_equal(c.clean_temp_entries, 100000);
    assert_int_equal(c.exec_max_output, 1024 * 1024);
    assert_int_equal(c.socket_owner, (uid_t)-1);
    assert_int_equal(c.socket_group, (gid_t)-1);
    assert_int_equal(c.tls_client_cert, 0);
    assert_null(c.root);
    assert_null(c.session_cgroup);
    assert_int_equal(c.n_listen, 0); /* the default address comes after the command line */
    a0ipc_daemon_config_free(&c);
}

/* Every setting is an option taking a value (--insecure a flag), and --help names each. */
static void every_setting_is_an_option(void **state)
{
    (void)state;
    char *help = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&help, &len);
    assert_non_null(out);
    a0ipc_daemon_config_usage(out);
    fclose(out);
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++) {
        const a0ipc_setting *s = &a0ipc_daemon_settings[i];
        char opt[64];
        snprintf(opt, sizeof opt, "  --%s ", s->name);
        if (!strstr(help, opt))
            fail_msg("--help lacks %s", opt);
        if (s->flags & A0IPC_SETTING_CLI_FLAG)
            continue;
        char *argv[] = {"a0ipcd", opt + 2, "x", NULL};
        snprintf(opt, sizeof opt, "--%s", s->name);
        a0ipc_daemon_config c;
        a0ipc_status st = A0IPC_STATUS_INIT;
        a0ipc_daemon_config_init(&c);
        /* "x" is a valid value for a few (a path); the others refuse it, naming the setting. */
        if (from_args(&c, &st, argv) != 0 && !strstr(st.message, s->name))
            fail_msg("--%s x: \"%s\" does not name the setting", s->name, st.message);
        a0ipc_status_clear(&st);
        a0ipc_daemon_config_free(&c);
    }
    assert_non_null(strstr(help, "  --config FILE"));
    assert_non_null(strstr(help, "  --version"));
    assert_non_null(strstr(help, "  --insecure   "));
    free(help);

    a0ipc_daemon_config c;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_daemon_config_init(&c);
    char *argv[] = {"a0ipcd", "--insecure", "--log-level", "warning", "--max-c", "7", NULL};
    assert_int_equal(from_args(&c, &st, argv), 0);
    assert_true(c.insecure);
    assert_int_equal(c.log_level, A0IPC_LOG_WARN); /* an alias */
    assert_int_equal(c.max_concurrent_streams, 7); /* an abbreviation: the first match */
    a0ipc_daemon_config_free(&c);
}

/* SIGHUP takes the reloadable settings and names the others that changed. */
static void reload_takes_the_reloadable(void **state)
{
    (void)state;
    a0ipc_daemon_config cur, fresh;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_daemon_config_init(&cur);
    a0ipc_daemon_config_init(&fresh);
    static const char *const changes[][2] = {
        {"tokens-file", "/t2"},  {"health-exempt", "false"}, {"allow-uid", "12"},
        {"allow-gid", "13"},     {"log-level", "debug"},     {"shutdown-grace-ms", "7"},
        {"cq-threads", "4"},     {"root", "/srv"},           {"max-connections", "3"},
        {"socket-mode", "0600"},
    };
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++)
        assert_int_equal(a0ipc_daemon_config_set(&fresh, changes[i][0], changes[i][1], false, &st),
                         0);
    char which[256];
    assert_int_equal(a0ipc_daemon_config_restart_needed(&cur, &fresh, which, sizeof which), 4);
    assert_string_equal(which, " cq-threads max-connections root socket-mode");
    a0ipc_daemon_config_take_reloadable(&cur, &fresh);
    assert_string_equal(cur.tokens_file, "/t2");
    assert_false(cur.health_exempt);
    assert_int_equal(cur.n_allow_uids, 1);
    assert_int_equal(cur.allow_uids[0], 12);
    assert_int_equal(cur.n_allow_gids, 1);
    assert_int_equal(cur.log_level, A0IPC_LOG_DEBUG);
    assert_int_equal(cur.shutdown_grace_ms, 7);
    assert_int_equal(cur.cq_threads, 1); /* needs a restart: stays */
    assert_null(cur.root);
    assert_null(fresh.tokens_file); /* fresh holds the old values, to be freed */
    assert_int_equal(fresh.n_allow_uids, 0);
    a0ipc_daemon_config_free(&fresh);
    a0ipc_daemon_config_free(&cur);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(file_is_read_and_cli_wins),
        cmocka_unit_test(file_errors_name_file_and_line),
        cmocka_unit_test(missing_file_is_not_found),
        cmocka_unit_test(bad_command_lines),
        cmocka_unit_test(plaintext_tcp_rules),
        cmocka_unit_test(security_settings),
        cmocka_unit_test(tls_rules),
        cmocka_unit_test(settings_table_is_consistent),
        cmocka_unit_test(defaults_from_the_table),
        cmocka_unit_test(every_setting_is_an_option),
        cmocka_unit_test(reload_takes_the_reloadable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
