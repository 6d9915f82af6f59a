/* The logger's formats, read back through a pipe: plain text with a timestamp, journald's "<N>"
 * priority prefix only when the fd really is the journal's stream, JSON lines, one line per
 * record whatever the message holds. */
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

static int pipe_fds[2];

static int setup(void **state)
{
    (void)state;
    assert_int_equal(pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC), 0);
    unsetenv("JOURNAL_STREAM");
    a0ipc_log_set_fd(pipe_fds[1]);
    a0ipc_log_set_level(A0IPC_LOG_INFO);
    a0ipc_log_set_format(A0IPC_LOG_FORMAT_TEXT);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    a0ipc_log_set_fd(STDERR_FILENO);
    a0ipc_log_set_format(A0IPC_LOG_FORMAT_TEXT);
    unsetenv("JOURNAL_STREAM");
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return 0;
}

/* Everything written since the last call. */
static const char *drain(void)
{
    static char buf[16384];
    ssize_t n = read(pipe_fds[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void assert_matches(const char *text, const char *pattern)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    int rc = regexec(&re, text, 0, NULL, 0);
    regfree(&re);
    if (rc != 0)
        fail_msg("\"%s\" does not match %s", text, pattern);
}

/* Tells the logger that the pipe is the journal's stream, as systemd would. */
static void pipe_is_the_journal(void)
{
    struct stat st;
    assert_int_equal(fstat(pipe_fds[1], &st), 0);
    char env[64];
    snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", env, 1);
    a0ipc_log_set_fd(pipe_fds[1]); /* the answer is cached per fd */
}

#define TS "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"

static void text_lines_have_time_and_level(void **state)
{
    (void)state;
    A0IPC_LOGI("served %d calls", 42);
    assert_matches(drain(), "^" TS " info  served 42 calls\n$");
    A0IPC_LOGW("slow");
    assert_matches(drain(), "^" TS " warn  slow\n$");
    A0IPC_LOGE("broken");
    assert_matches(drain(), "^" TS " error broken\n$");
}

static void level_filters(void **state)
{
    (void)state;
    A0IPC_LOGD("not at info");
    assert_string_equal(drain(), "");
    a0ipc_log_set_level(A0IPC_LOG_ERROR);
    A0IPC_LOGW("not at error");
    A0IPC_LOGI("nor this");
    assert_string_equal(drain(), "");
    a0ipc_log_set_level(A0IPC_LOG_DEBUG);
    A0IPC_LOGD("now yes");
    assert_matches(drain(), "^" TS " debug now yes\n$");
}

static void journal_stream_gets_priority_prefixes(void **state)
{
    (void)state;
    pipe_is_the_journal();
    a0ipc_log_set_level(A0IPC_LOG_DEBUG);
    A0IPC_LOGE("e");
    A0IPC_LOGW("w");
    A0IPC_LOGI("i");
    A0IPC_LOGD("d");
    assert_string_equal(drain(), "<3>e\n<4>w\n<6>i\n<7>d\n");
}

/* A child of a systemd service inherits JOURNAL_STREAM while its stderr goes elsewhere (a
 * terminal, a file): no prefixes then. */
static void inherited_journal_stream_is_ignored(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(stat("/dev/null", &st), 0);
    char env[64];
    snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", env, 1);
    a0ipc_log_set_fd(pipe_fds[1]);
    A0IPC_LOGI("plain");
    assert_matches(drain(), "^" TS " info  plain\n$");
    setenv("JOURNAL_STREAM", "not numbers", 1);
    a0ipc_log_set_fd(pipe_fds[1]);
    A0IPC_LOGI("plain");
    assert_matches(drain(), "^" TS " info  plain\n$");
}

static void json_lines_escape_the_message(void **state)
{
    (void)state;
    a0ipc_log_set_format(A0IPC_LOG_FORMAT_JSON);
    A0IPC_LOGW("say \"hi\" \\ %s", "tab\there\x01");
    assert_matches(drain(), "^\\{\"ts\":\"" TS "\",\"level\":\"warn\",\"msg\":\"say \\\\\"hi\\\\\" "
                            "\\\\\\\\ tab\\\\u0009here\\\\u0001\"\\}\n$");
    pipe_is_the_journal();
    A0IPC_LOGE("x");
    assert_matches(drain(), "^<3>\\{\"ts\":\"" TS "\",\"level\":\"error\",\"msg\":\"x\"\\}\n$");
}

/* A record is one line, whatever the message carries, and a huge one is cut but still ends the
 * line. */
static void records_stay_one_line(void **state)
{
    (void)state;
    A0IPC_LOGI("first\nsecond\rthird");
    assert_matches(drain(), "^" TS " info  first second third\n$");
    char *big = malloc(10000);
    memset(big, 'x', 9999);
    big[9999] = '\0';
    A0IPC_LOGI("%s", big);
    const char *out = drain();
    size_t n = strlen(out);
    assert_true(n > 1000 && n < 4096);
    assert_int_equal(out[n - 1], '\n');
    assert_null(memchr(out, '\n', n - 1));
    a0ipc_log_set_format(A0IPC_LOG_FORMAT_JSON);
    A0IPC_LOGI("%s", big);
    out = drain();
    n = strlen(out);
    assert_true(n > 1000 && n < 4096);
    assert_int_equal(out[n - 1], '\n');
    assert_null(memchr(out, '\n', n - 1));
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(text_lines_have_time_and_level, setup, teardown),
        cmocka_unit_test_setup_teardown(level_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(journal_stream_gets_priority_prefixes, setup, teardown),
        cmocka_unit_test_setup_teardown(inherited_journal_stream_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(json_lines_escape_the_message, setup, teardown),
        cmocka_unit_test_setup_teardown(records_stay_one_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
