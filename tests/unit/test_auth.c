/* The security decisions without a server: permission words, the tokens file (parsing, errors,
 * file checks, add/remove), token lookup, the authorizer's decision table, the read-only flag,
 * and the unix peer policy. */
#include <fcntl.h>
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
#include "security/authorizer.h"
#include "security/peercred.h"
#include "security/permissions.h"
#include "security/tokens.h"

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/a0ipc-auth-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

/* Methods as generated code describes them. */
static const a0ipc_rpc_method files_stat = {.path = "/a0.runtime.v1.Files/Stat",
                                            .idempotency = A0IPC_RPC_NO_SIDE_EFFECTS};
static const a0ipc_rpc_method files_write = {.path = "/a0.runtime.v1.Files/Write"};
static const a0ipc_rpc_method health_check = {.path = "/grpc.health.v1.Health/Check",
                                              .idempotency = A0IPC_RPC_NO_SIDE_EFFECTS};
static const a0ipc_rpc_method health_watch = {.path = "/grpc.health.v1.Health/Watch"};
static const a0ipc_rpc_method term_run = {.path = "/a0.runtime.v1.Terminal/Run"};

static a0ipc_code check(const a0ipc_perms *p, const a0ipc_rpc_method *m, bool *writes)
{
    return a0ipc_perms_check(p, m->path, m, writes, NULL, 0);
}

static void permission_words(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_perms p = {0};
    bool w;
    /* Nothing granted: deny by default. */
    assert_int_equal(check(&p, &health_check, &w), A0IPC_PERMISSION_DENIED);

    assert_int_equal(a0ipc_perms_add(&p, "method:/a0.runtime.v1.Terminal/Run", &st), 0);
    assert_int_equal(check(&p, &term_run, &w), A0IPC_OK);
    assert_true(w);
    assert_int_equal(check(&p, &health_check, &w), A0IPC_PERMISSION_DENIED);
    /* A prefix of a permitted method is not that method. */
    assert_int_equal(a0ipc_perms_check(&p, "/a0.runtime.v1.Terminal/RunX", NULL, &w, NULL, 0),
                     A0IPC_PERMISSION_DENIED);

    assert_int_equal(a0ipc_perms_add(&p, "service:grpc.health.v1.Health", &st), 0);
    assert_int_equal(check(&p, &health_watch, &w), A0IPC_OK);
    /* A service is matched whole, never as a prefix of another service's name. */
    assert_int_equal(a0ipc_perms_check(&p, "/grpc.health.v1.HealthX/Check", NULL, &w, NULL, 0),
                     A0IPC_PERMISSION_DENIED);
    assert_int_equal(check(&p, &files_stat, &w), A0IPC_PERMISSION_DENIED);
    a0ipc_perms_free(&p);

    const char *bad[] = {"",
                         "all",
                         "service:",
                         "service:a b",
                         "method:/a0.runtime.v1.Files",
                         "method:a0.runtime.v1.Files/Stat",
                         "method:/a0.runtime.v1.Files/Stat.x",
                         "files:read-write",
                         "service:.x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(a0ipc_perms_add(&p, bad[i], &st), -1);
        assert_non_null(strstr(st.message, "unknown permission"));
    }
    a0ipc_status_clear(&st);
    a0ipc_perms_free(&p);
}

static void read_only_flag(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    bool w = true;
    /* files:read-only alone: reading files yes, writing no, other services no. */
    a0ipc_perms ro = {0};
    assert_int_equal(a0ipc_perms_add(&ro, "files:read-only", &st), 0);
    assert_int_equal(check(&ro, &files_stat, &w), A0IPC_OK);
    assert_false(w);
    char why[64];
    assert_int_equal(a0ipc_perms_check(&ro, files_write.path, &files_write, &w, why, sizeof why),
                     A0IPC_PERMISSION_DENIED);
    assert_non_null(strstr(why, "read-only"));
    /* An unknown Files method is not known to be harmless. */
    assert_int_equal(a0ipc_perms_check(&ro, "/a0.runtime.v1.Files/Nuke", NULL, &w, NULL, 0),
                     A0IPC_PERMISSION_DENIED);
    assert_int_equal(check(&ro, &term_run, &w), A0IPC_PERMISSION_DENIED);

    /* It also takes writes away from `*`, while the rest of `*` stays. */
    assert_int_equal(a0ipc_perms_add(&ro, "*", &st), 0);
    assert_int_equal(check(&ro, &files_write, &w), A0IPC_PERMISSION_DENIED);
    assert_int_equal(check(&ro, &term_run, &w), A0IPC_OK);
    assert_false(w); /* handlers see the flag on every call of this token */
    a0ipc_perms_free(&ro);

    a0ipc_perms all = {0};
    assert_int_equal(a0ipc_perms_add(&all, "*", &st), 0);
    assert_int_equal(check(&all, &files_write, &w), A0IPC_OK);
    assert_true(w);
    a0ipc_perms_free(&all);
}

static char tok_a[A0IPC_TOKEN_LEN + 1], tok_b[A0IPC_TOKEN_LEN + 1], tok_ro[A0IPC_TOKEN_LEN + 1];

static const char *tokens_file(void)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_int_equal(a0ipc_token_generate(tok_a, sizeof tok_a, &st), 0);
    assert_int_equal(a0ipc_token_generate(tok_b, sizeof tok_b, &st), 0);
    assert_int_equal(a0ipc_token_generate(tok_ro, sizeof tok_ro, &st), 0);
    char ha[65], hb[65], hro[65], text[1024];
    a0ipc_token_hash_hex(tok_a, strlen(tok_a), ha);
    a0ipc_token_hash_hex(tok_b, strlen(tok_b), hb);
    a0ipc_token_hash_hex(tok_ro, strlen(tok_ro), hro);
    snprintf(text, sizeof text,
             "# comment\n\n  admin %s *\n"
             "checker\t%s method:/grpc.health.v1.Health/Check\r\n"
             "viewer %s files:read-only\n",
             ha, hb, hro);
    return write_file("tokens", text, 0600);
}

static void token_generation(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    char a[A0IPC_TOKEN_LEN + 1], b[A0IPC_TOKEN_LEN + 1];
    assert_int_equal(a0ipc_token_generate(a, sizeof a, &st), 0);
    assert_int_equal(a0ipc_token_generate(b, sizeof b, &st), 0);
    assert_int_equal(strlen(a), A0IPC_TOKEN_LEN);
    assert_int_equal(strncmp(a, A0IPC_TOKEN_PREFIX, strlen(A0IPC_TOKEN_PREFIX)), 0);
    assert_string_not_equal(a, b);
    for (const char *p = a + strlen(A0IPC_TOKEN_PREFIX); *p; p++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    char small[10];
    assert_int_equal(a0ipc_token_generate(small, sizeof small, &st), -1);
    a0ipc_status_clear(&st);
    /* The known SHA-256 of "test". */
    char hex[65];
    a0ipc_token_hash_hex("test", 4, hex);
    assert_string_equal(hex, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

static void token_table_lookup(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_token_table *t = a0ipc_token_table_load(tokens_file(), &st);
    assert_non_null(t);
    assert_int_equal(t->n, 3);
    const a0ipc_token_entry *e = a0ipc_token_table_find(t, tok_b, strlen(tok_b));
    assert_non_null(e);
    assert_string_equal(e->name, "checker");
    assert_string_equal(a0ipc_token_table_find(t, tok_a, strlen(tok_a))->name, "admin");
    /* One character off, a prefix, empty, absurdly long: no match. */
    char wrong[sizeof tok_a];
    strcpy(wrong, tok_a);
    wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
    assert_null(a0ipc_token_table_find(t, wrong, strlen(wrong)));
    assert_null(a0ipc_token_table_find(t, tok_a, strlen(tok_a) - 1));
    assert_null(a0ipc_token_table_find(t, "", 0));
    char huge[A0IPC_TOKEN_MAX + 2];
    memset(huge, 'a', sizeof huge);
    assert_null(a0ipc_token_table_find(t, huge, sizeof huge));
    a0ipc_token_table_free(t);
}

static void expect_load_error(const char *text, mode_t mode, const char *want)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    const char *path = write_file("bad", text, mode);
    assert_null(a0ipc_token_table_load(path, &st));
    if (!strstr(a0ipc_status_message(&st), want))
        fail_msg("loading \"%s\": got \"%s\", wanted \"%s\"", text, st.message, want);
    a0ipc_status_clear(&st);
}

static void token_file_errors(void **state)
{
    (void)state;
    const char *h = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    char text[512];
    snprintf(text, sizeof text, "ok %s *\nbad name %s *\n", h, h);
    expect_load_error(text, 0600, "bad:2: ");
    snprintf(text, sizeof text, "x 1234 *\n");
    expect_load_error(text, 0600, "SHA-256 in 64 hex");
    snprintf(text, sizeof text, "x %s\n", h);
    expect_load_error(text, 0600, "has no permissions");
    snprintf(text, sizeof text, "x %s bogus\n", h);
    expect_load_error(text, 0600, "unknown permission \"bogus\"");
    snprintf(text, sizeof text, "x %s *\nx %s *\n", h, h);
    expect_load_error(text, 0600, "used twice");
    snprintf(text, sizeof text, "x %s *\ny %s *\n", h, h);
    expect_load_error(text, 0600, "same hash");
    snprintf(text, sizeof text, "x %s *\n", h);
    expect_load_error(text, 0620, "chmod go-w");
    expect_load_error(text, 0602, "chmod go-w");
    a0ipc_status st = A0IPC_STATUS_INIT;
    char missing[128];
    snprintf(missing, sizeof missing, "%s/none", dir);
    assert_null(a0ipc_token_table_load(missing, &st));
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    /* Readable by others is fine: it holds hashes only. */
    a0ipc_token_table *t = a0ipc_token_table_load(write_file("ok", text, 0644), &st);
    assert_non_null(t);
    a0ipc_token_table_free(t);
}

static void token_file_add_remove(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    char path[128], hex[65];
    snprintf(path, sizeof path, "%s/added", dir);
    unlink(path);
    a0ipc_token_hash_hex("one", 3, hex);
    const char *perms[] = {"service:grpc.health.v1.Health", "files:read-only"};
    assert_int_equal(a0ipc_tokens_file_add(path, "one", hex, perms, 2, &st), 0);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    a0ipc_token_hash_hex("two", 3, hex);
    const char *star[] = {"*"};
    assert_int_equal(a0ipc_tokens_file_add(path, "two", hex, star, 1, &st), 0);
    /* Same name again, bad permission, no permission, bad name: refused, file unchanged. */
    assert_int_equal(a0ipc_tokens_file_add(path, "two", hex, star, 1, &st), -1);
    assert_int_equal(st.code, A0IPC_ALREADY_EXISTS);
    const char *bogus[] = {"root"};
    assert_int_equal(a0ipc_tokens_file_add(path, "three", hex, bogus, 1, &st), -1);
    assert_int_equal(a0ipc_tokens_file_add(path, "three", hex, NULL, 0, &st), -1);
    assert_int_equal(a0ipc_tokens_file_add(path, "a b", hex, star, 1, &st), -1);
    a0ipc_status_clear(&st);

    a0ipc_token_table *t = a0ipc_token_table_load(path, &st);
    assert_non_null(t);
    assert_int_equal(t->n, 2);
    assert_string_equal(a0ipc_token_table_find(t, "one", 3)->name, "one");
    assert_true(a0ipc_token_table_find(t, "one", 3)->perms.files_read_only);
    a0ipc_token_table_free(t);

    assert_int_equal(a0ipc_tokens_file_remove(path, "one", &st), 0);
    assert_int_equal(a0ipc_tokens_file_remove(path, "one", &st), -1);
    assert_int_equal(st.code, A0IPC_NOT_FOUND);
    a0ipc_status_clear(&st);
    t = a0ipc_token_table_load(path, &st);
    assert_non_null(t);
    assert_int_equal(t->n, 1);
    assert_null(a0ipc_token_table_find(t, "one", 3));
    assert_non_null(a0ipc_token_table_find(t, "two", 3));
    a0ipc_token_table_free(t);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

/* One authorizer decision. */
static a0ipc_code decide(a0ipc_authorizer *a, const a0ipc_rpc_method *m, const char *path,
                         const char *authorization, int n_auth, a0ipc_rpc_auth_result *r)
{
    a0ipc_rpc_peer peer = {.transport = A0IPC_RPC_TRANSPORT_UNIX, .has_cred = true, .uid = 1000};
    a0ipc_rpc_auth_request req = {.path = path ? path : m->path,
                                  .method = m,
                                  .peer = &peer,
                                  .authorization = authorization,
                                  .authorization_len = authorization ? strlen(authorization) : 0,
                                  .n_authorization = authorization ? n_auth : 0};
    memset(r, 0, sizeof *r);
    r->code = A0IPC_OK;
    r->allows_write = true;
    strcpy(r->identity, "uid:1000");
    a0ipc_authorizer_authorize(a, &req, r);
    return r->code;
}

static void authorizer_decisions(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_authorizer *a = a0ipc_authorizer_new();
    a0ipc_auth_settings s = {.tokens_file = tokens_file(), .health_exempt = true};
    assert_int_equal(a0ipc_authorizer_configure(a, &s, &st), 0);
    assert_int_equal(a0ipc_authorizer_token_count(a), 3);
    char admin[128], checker[128], viewer[128];
    snprintf(admin, sizeof admin, "Bearer %s", tok_a);
    snprintf(checker, sizeof checker, "bearer %s", tok_b); /* the scheme is case-insensitive */
    snprintf(viewer, sizeof viewer, "Bearer %s", tok_ro);
    a0ipc_rpc_auth_result r;

    /* Missing token: Health.Check is exempt, the rest is not (Watch neither: an anonymous
     * stream would hold a worker thread). */
    assert_int_equal(decide(a, &health_check, NULL, NULL, 0, &r), A0IPC_OK);
    assert_string_equal(r.identity, "uid:1000");
    assert_int_equal(decide(a, &health_watch, NULL, NULL, 0, &r), A0IPC_UNAUTHENTICATED);
    assert_int_equal(decide(a, &term_run, NULL, NULL, 0, &r), A0IPC_UNAUTHENTICATED);
    assert_non_null(strstr(r.message, "needs a token"));
    /* Unknown methods too: nothing is told before authentication. */
    assert_int_equal(decide(a, NULL, "/x.Y/Z", NULL, 0, &r), A0IPC_UNAUTHENTICATED);

    /* Wrong, malformed, duplicated tokens; a wrong token is refused even on Health. */
    assert_int_equal(decide(a, &health_check, NULL, "Bearer a0ipc_nope", 1, &r),
                     A0IPC_UNAUTHENTICATED);
    assert_non_null(strstr(r.message, "unknown or revoked"));
    assert_null(strstr(r.message, "a0ipc_nope"));
    assert_int_equal(decide(a, &term_run, NULL, tok_a, 1, &r), A0IPC_UNAUTHENTICATED);
    assert_null(strstr(r.message, tok_a));
    assert_int_equal(decide(a, &term_run, NULL, "Bearer ", 1, &r), A0IPC_UNAUTHENTICATED);
    assert_int_equal(decide(a, &term_run, NULL, "Basic eDp5", 1, &r), A0IPC_UNAUTHENTICATED);
    assert_int_equal(decide(a, &term_run, NULL, admin, 2, &r), A0IPC_UNAUTHENTICATED);
    assert_non_null(strstr(r.message, "one authorization header"));

    /* Known tokens: what their permissions say. */
    assert_int_equal(decide(a, &term_run, NULL, admin, 1, &r), A0IPC_OK);
    assert_string_equal(r.identity, "token:admin");
    assert_true(r.allows_write);
    assert_int_equal(decide(a, &health_check, NULL, checker, 1, &r), A0IPC_OK);
    assert_string_equal(r.identity, "token:checker");
    assert_int_equal(decide(a, &health_watch, NULL, checker, 1, &r), A0IPC_PERMISSION_DENIED);
    assert_non_null(strstr(r.message, "token checker may not call /grpc.health.v1.Health/Watch"));
    assert_int_equal(decide(a, NULL, "/x.Y/Z", checker, 1, &r), A0IPC_PERMISSION_DENIED);
    assert_int_equal(decide(a, &files_stat, NULL, viewer, 1, &r), A0IPC_OK);
    assert_false(r.allows_write);
    assert_int_equal(decide(a, &files_write, NULL, viewer, 1, &r), A0IPC_PERMISSION_DENIED);
    assert_non_null(strstr(r.message, "read-only"));

    /* Health no longer exempt. */
    s.health_exempt = false;
    assert_int_equal(a0ipc_authorizer_configure(a, &s, &st), 0);
    assert_int_equal(decide(a, &health_check, NULL, NULL, 0, &r), A0IPC_UNAUTHENTICATED);

    /* A broken file on reload changes nothing: the old tokens stay in force. */
    s.tokens_file = write_file("broken", "x y z\n", 0600);
    assert_int_equal(a0ipc_authorizer_configure(a, &s, &st), -1);
    assert_non_null(strstr(st.message, "broken:1"));
    a0ipc_status_clear(&st);
    assert_int_equal(decide(a, &term_run, NULL, admin, 1, &r), A0IPC_OK);

    /* No tokens file: the transport is the credential, and a token cannot be checked. */
    s.tokens_file = NULL;
    s.health_exempt = true;
    assert_int_equal(a0ipc_authorizer_configure(a, &s, &st), 0);
    assert_int_equal(decide(a, &term_run, NULL, NULL, 0, &r), A0IPC_OK);
    assert_string_equal(r.identity, "uid:1000");
    assert_int_equal(decide(a, &term_run, NULL, admin, 1, &r), A0IPC_UNAUTHENTICATED);
    assert_non_null(strstr(r.message, "no tokens file"));
    a0ipc_authorizer_free(a);
}

static void peer_policy(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    int fd = open("/dev/null", 1);
    a0ipc_log_set_fd(fd); /* the refusals log warnings */
    a0ipc_peer_policy *p = a0ipc_peer_policy_new();
    a0ipc_rpc_unix_cred root = {.uid = 0, .gid = 0}, me = {.uid = geteuid(), .gid = 4242},
                        nobody = {.uid = 65534, .gid = 65534};
    gid_t groups[] = {100, 27};
    a0ipc_rpc_unix_cred member = {.uid = 1234, .gid = 1234, .groups = groups, .n_groups = 2};
    assert_true(a0ipc_peer_policy_accept(p, "unix:x", &root));
    assert_true(a0ipc_peer_policy_accept(p, "unix:x", &me));
    assert_false(a0ipc_peer_policy_accept(p, "unix:x", &nobody));
    assert_false(a0ipc_peer_policy_accept(p, "unix:x", &member));
    uid_t uids[] = {65534};
    gid_t gids[] = {27};
    assert_int_equal(a0ipc_peer_policy_set(p, uids, 1, NULL, 0, &st), 0);
    assert_true(a0ipc_peer_policy_accept(p, "unix:x", &nobody));
    assert_false(a0ipc_peer_policy_accept(p, "unix:x", &member));
    /* A supplementary group counts, not only the primary one. */
    assert_int_equal(a0ipc_peer_policy_set(p, NULL, 0, gids, 1, &st), 0);
    assert_false(a0ipc_peer_policy_accept(p, "unix:x", &nobody));
    assert_true(a0ipc_peer_policy_accept(p, "unix:x", &member));
    a0ipc_peer_policy_free(p);
    a0ipc_log_set_fd(2);
    close(fd);

    /* Refusals are logged at most once a second: a refused user cannot flood the log. */
    char logpath[128];
    snprintf(logpath, sizeof logpath, "%s/refusals.log", dir);
    fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    a0ipc_log_set_fd(fd);
    p = a0ipc_peer_policy_new();
    for (int i = 0; i < 1000; i++)
        assert_false(a0ipc_peer_policy_accept(p, "unix:x", &nobody));
    a0ipc_peer_policy_free(p);
    a0ipc_log_set_fd(2);
    close(fd);
    FILE *f = fopen(logpath, "r");
    char line[1024];
    int lines = 0;
    while (fgets(line, sizeof line, f))
        lines += strstr(line, "refused a connection on unix:x from uid 65534") != NULL;
    fclose(f);
    assert_in_range(lines, 1, 3); /* a second may tick over during the loop */

    uid_t u;
    gid_t g;
    assert_int_equal(a0ipc_parse_uid("root", &u, &st), 0);
    assert_int_equal(u, 0);
    assert_int_equal(a0ipc_parse_uid("65534", &u, &st), 0);
    assert_int_equal(u, 65534);
    assert_int_equal(a0ipc_parse_gid("root", &g, &st), 0);
    assert_int_equal(g, 0);
    assert_int_equal(a0ipc_parse_uid("no-such-user-here", &u, &st), -1);
    assert_non_null(strstr(st.message, "no user named"));
    assert_int_equal(a0ipc_parse_gid("-1", &g, &st), -1);
    a0ipc_status_clear(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(permission_words),     cmocka_unit_test(read_only_flag),
        cmocka_unit_test(token_generation),     cmocka_unit_test(token_table_lookup),
        cmocka_unit_test(token_file_errors),    cmocka_unit_test(token_file_add_remove),
        cmocka_unit_test(authorizer_decisions), cmocka_unit_test(peer_policy),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
