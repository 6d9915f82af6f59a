/* The real a0ipcd with its security settings, called by the C client: bearer tokens (missing,
 * wrong, per-method permissions, revoked by SIGHUP, never logged), TLS (untrusted CA, wrong host
 * name, TLS 1.1 refused, expired certificates), mTLS (required, untrusted, expired client
 * certificates; the CN as identity), certificate rotation under load, unix peer credentials (a
 * client running as another uid), socket file mode and group, and start-up refusals. All
 * certificates are made here with OpenSSL's library. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "a0/runtime/v1/files.a0ipc.h"
#include "a0ipc/grpc_transport.h"
#include "grpc/health/v1/health.a0ipc.h"
#include "grpc/reflection/v1/reflection.a0ipc.h"
#include "security/certgen.h"
#include "security/client_credentials.h"
#include "security/tokens.h"
#include "support/daemon_proc.h"
#include "rpc/core.h"

/* ---- material made once: certificates and tokens ---- */

static char mat[64];    /* temporary directory */
static char good[128];  /* a0ipc certs init: the trusted set */
static char other[128]; /* another CA nobody trusts */
static char tokens_path[128];
static char tok_admin[A0IPC_TOKEN_LEN + 1], tok_checker[A0IPC_TOKEN_LEN + 1],
    tok_viewer[A0IPC_TOKEN_LEN + 1];
static const char tok_wrong[] = "a0ipc_thisTokenWasNeverIssuedByAnyoneAtAll0123";

static const char *path_in(char *buf, size_t cap, const char *dir, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

/* A certificate signed by the trusted CA, written as <name>.pem and <name>.key in mat. */
static void issue(const char *name, const char *cn, bool server, long from_s, long until_s)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    char p[256];
    EVP_PKEY *ca_key = a0ipc_read_key_pem(path_in(p, sizeof p, good, "ca.key"), &st);
    X509 *ca = a0ipc_read_cert_pem(path_in(p, sizeof p, good, "ca.pem"), &st);
    assert_non_null(ca_key);
    assert_non_null(ca);
    const char *dns[] = {"localhost"}, *ips[] = {"127.0.0.1"};
    a0ipc_cert_request r = {.common_name = cn,
                            .server = server,
                            .client = !server,
                            .dns_names = server ? dns : NULL,
                            .n_dns = server ? 1 : 0,
                            .ip_addresses = server ? ips : NULL,
                            .n_ips = server ? 1 : 0,
                            .valid_from_s = from_s,
                            .valid_until_s = until_s};
    EVP_PKEY *key;
    X509 *cert;
    assert_int_equal(a0ipc_cert_issue(&r, ca_key, ca, &key, &cert, &st), 0);
    char file[64];
    snprintf(file, sizeof file, "%s.key", name);
    assert_int_equal(a0ipc_write_key_pem(path_in(p, sizeof p, mat, file), key, &st), 0);
    snprintf(file, sizeof file, "%s.pem", name);
    assert_int_equal(a0ipc_write_cert_pem(path_in(p, sizeof p, mat, file), cert, &st), 0);
    EVP_PKEY_free(key);
    X509_free(cert);
    EVP_PKEY_free(ca_key);
    X509_free(ca);
}

static void add_token(const char *path, const char *name, char *token, const char *perm)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    char hex[65];
    assert_int_equal(a0ipc_token_generate(token, A0IPC_TOKEN_LEN + 1, &st), 0);
    a0ipc_token_hash_hex(token, strlen(token), hex);
    const char *perms[] = {perm};
    assert_int_equal(a0ipc_tokens_file_add(path, name, hex, perms, 1, &st), 0);
}

static int make_material(void **state)
{
    (void)state;
    a0ipc_status st = A0IPC_STATUS_INIT;
    strcpy(mat, "/tmp/a0ipc-sec-XXXXXX");
    assert_non_null(mkdtemp(mat));
    path_in(good, sizeof good, mat, "good");
    path_in(other, sizeof other, mat, "other");
    a0ipc_certs_init_options o = {0};
    assert_int_equal(a0ipc_certs_init(good, &o, &st), 0);
    assert_int_equal(a0ipc_certs_init(other, &o, &st), 0);
    issue("expired-client", "old-client", false, -7200, -3600);
    issue("expired-server", "expired", true, -7200, -3600);
    issue("rotated-server", "rotated", true, -300, 3600);
    /* A CN that tries to forge audit fields. */
    issue("forger-client", "x identity=token:admin\" status=OK", false, -300, 3600);
    path_in(tokens_path, sizeof tokens_path, mat, "tokens");
    add_token(tokens_path, "admin", tok_admin, "*");
    add_token(tokens_path, "checker", tok_checker, "method:/grpc.health.v1.Health/Check");
    add_token(tokens_path, "viewer", tok_viewer, "files:read-only");
    return 0;
}

static int remove_material(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", mat);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- a client with credentials ---- */

typedef struct client {
    const char *ca, *cert, *key, *token, *server_name;
} client;

static a0ipc_rpc_channel *channel(const char *target, const client *c)
{
    a0ipc_client_security sec = {c->ca, c->cert, c->key, c->token}; /* read by channel_new */
    a0ipc_rpc_channel_options o;
    a0ipc_rpc_channel_options_init(&o);
    o.security = &sec;
    o.authority_override = c->server_name;
    o.enable_retries = false;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_channel *ch = a0ipc_rpc_channel_new(target, &o, &st);
    if (!ch)
        fail_msg("channel: %s", a0ipc_status_message(&st));
    return ch;
}

static const a0ipc_rpc_call_options five_s = {.timeout_ms = 5000};

enum { CHECK, WATCH, REFLECT, UNKNOWN };

/* Makes one call of the given kind on ch; returns its status code (message into st). */
static a0ipc_code call_on(a0ipc_rpc_channel *ch, int what, a0ipc_status *st)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    if (what == CHECK || what == UNKNOWN) {
        a0ipc_rpc_method m = grpc_health_v1_health_service.methods[GRPC_HEALTH_V1_HEALTH__CHECK];
        if (what == UNKNOWN)
            m.path = "/a0.runtime.v1.Nothing/Here";
        ProtobufCMessage *resp = NULL;
        a0ipc_code code = a0ipc_rpc_unary(ch, &m, &five_s, &req.base, &resp, st);
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return code;
    }
    a0ipc_rpc_stream *s;
    ProtobufCMessage *msg = NULL;
    if (what == WATCH) {
        s = grpc_health_v1_health_watch_open(ch, &five_s, &req, st);
    } else {
        s = grpc_reflection_v1_server_reflection_server_reflection_info_open(ch, &five_s, st);
        Grpc__Reflection__V1__ServerReflectionRequest r =
            GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
        r.message_request_case =
            GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
        r.list_services = "";
        if (s)
            grpc_reflection_v1_server_reflection_server_reflection_info_write(s, &r);
    }
    if (!s)
        return st->code;
    a0ipc_code code;
    if (a0ipc_rpc_stream_recv(s, &msg) == 1) {
        protobuf_c_message_free_unpacked(msg, NULL);
        code = a0ipc_status_set(st, A0IPC_OK, "got a message");
    } else {
        code = a0ipc_rpc_stream_finish(s, st);
    }
    a0ipc_rpc_stream_free(s);
    return code;
}

static a0ipc_code call(const char *target, const client *c, int what)
{
    a0ipc_rpc_channel *ch = channel(target, c);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_code code = call_on(ch, what, &st);
    a0ipc_status_clear(&st);
    a0ipc_rpc_channel_free(ch);
    return code;
}

/* The CN of the certificate the server presents to a new connection, and whether a handshake
 * with at most TLS version max_version succeeds. Raw OpenSSL, no verification: it observes. */
static bool tls_probe(const char *target, int max_version, char *cn, size_t cap)
{
    int port = atoi(strrchr(target, ':') + 1);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    /* Let this client offer old versions: the server alone must refuse them. */
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx, max_version);
    SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x02h2", 3);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    bool ok = SSL_connect(ssl) == 1;
    if (ok && cn) {
        X509 *peer = SSL_get1_peer_certificate(ssl);
        cn[0] = '\0';
        if (peer)
            X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, (int)cap);
        X509_free(peer);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return ok;
}

static char *arg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *arg(const char *fmt, ...)
{
    static char bufs[16][256];
    static int next;
    char *b = bufs[next++ % 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, 256, fmt, ap);
    va_end(ap);
    return b;
}

/* ---- tokens ---- */

static int start_tokens_daemon(void **state)
{
    test_daemon *d = calloc(1, sizeof *d);
    const char *extra[] = {"--tls-cert",
                           arg("%s/server.pem", good),
                           "--tls-key",
                           arg("%s/server.key", good),
                           "--tls-ca",
                           arg("%s/ca.pem", good),
                           "--tls-client-cert",
                           "optional",
                           "--tokens-file",
                           tokens_path,
                           "--health-exempt",
                           "false",
                           "--log-level",
                           "debug",
                           NULL};
    test_daemon_start(d, extra);
    *state = d;
    return 0;
}

/* SIGTERM, and the daemon must exit 0: under the sanitizers a leak or an error in the security
 * code (reloads, TLS credentials, the accept threads) would make it exit otherwise. */
static void stop_clean(test_daemon *d)
{
    int status = test_daemon_stop(d, SIGTERM);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("a0ipcd did not exit cleanly (status %d); see %s", status, d->log_path);
    test_daemon_cleanup(d);
}

static int stop_daemon(void **state)
{
    test_daemon *d = *state;
    stop_clean(d);
    free(d);
    return 0;
}

static void tokens_and_permissions(void **state)
{
    test_daemon *d = *state;
    char ca[256];
    path_in(ca, sizeof ca, good, "ca.pem");
    for (int t = 0; t < 2; t++) {
        const char *target = t == 0 ? d->tcp_target : d->unix_target;
        const char *tls_ca = t == 0 ? ca : NULL; /* TLS on TCP; the unix socket is plaintext */
        client none = {.ca = tls_ca}, wrong = {.ca = tls_ca, .token = tok_wrong},
               admin = {.ca = tls_ca, .token = tok_admin},
               checker = {.ca = tls_ca, .token = tok_checker},
               viewer = {.ca = tls_ca, .token = tok_viewer};
        /* Missing or wrong: UNAUTHENTICATED, even for a method that does not exist. */
        for (int what = CHECK; what <= UNKNOWN; what++) {
            assert_int_equal(call(target, &none, what), A0IPC_UNAUTHENTICATED);
            assert_int_equal(call(target, &wrong, what), A0IPC_UNAUTHENTICATED);
        }
        /* Everything for admin. */
        assert_int_equal(call(target, &admin, CHECK), A0IPC_OK);
        assert_int_equal(call(target, &admin, WATCH), A0IPC_OK);
        assert_int_equal(call(target, &admin, REFLECT), A0IPC_OK);
        assert_int_equal(call(target, &admin, UNKNOWN), A0IPC_UNIMPLEMENTED);
        /* checker may call Health.Check and nothing else. */
        assert_int_equal(call(target, &checker, CHECK), A0IPC_OK);
        assert_int_equal(call(target, &checker, WATCH), A0IPC_PERMISSION_DENIED);
        assert_int_equal(call(target, &checker, REFLECT), A0IPC_PERMISSION_DENIED);
        assert_int_equal(call(target, &checker, UNKNOWN), A0IPC_PERMISSION_DENIED);
        /* files:read-only grants no Health. */
        assert_int_equal(call(target, &viewer, CHECK), A0IPC_PERMISSION_DENIED);
    }
    /* mTLS is optional here: a client certificate adds its CN to the audit line. */
    client both = {.ca = ca,
                   .cert = arg("%s/client.pem", good),
                   .key = arg("%s/client.key", good),
                   .token = tok_admin};
    assert_int_equal(call(d->tcp_target, &both, CHECK), A0IPC_OK);

    /* One audit line per call, with identity, transport and credentials. */
    assert_true(
        test_daemon_wait_log(d, "call method=/grpc.health.v1.Health/Check status=OK", 2000));
    assert_true(test_daemon_log_contains(d, "identity=token:admin transport=tls"));
    assert_true(test_daemon_log_contains(d, "identity=token:checker transport=unix"));
    /* The line of a call is written when the server lets go of it, a moment after the client
     * has its answer: wait for the last one. */
    assert_true(test_daemon_wait_log(d, "cn=a0ipc-client", 5000));
    assert_true(test_daemon_log_contains(d, "uid=0 gid=0 pid="));
    assert_true(test_daemon_log_contains(
        d, "method=/grpc.health.v1.Health/Watch status=PERMISSION_DENIED"));
    assert_true(
        test_daemon_log_contains(d, "method=/a0.runtime.v1.Nothing/Here status=UNAUTHENTICATED"));
    assert_true(test_daemon_log_contains(d, "identity=anonymous transport=tls"));
    assert_true(test_daemon_log_contains(d, "duration_ms="));
    assert_true(test_daemon_log_contains(d, "bytes_out=2"));

    /* No token text in any log line (debug level: the core's lines too). */
    char *log = test_daemon_log_read(d);
    const char *secrets[] = {tok_admin, tok_checker, tok_viewer, tok_wrong};
    for (int i = 0; i < 4; i++) {
        assert_null(strstr(log, secrets[i]));
        /* Not even a part of one: the random part without the prefix. */
        assert_null(strstr(log, secrets[i] + strlen(A0IPC_TOKEN_PREFIX) + 8));
    }
    assert_null(strstr(log, "Bearer a0ipc_"));
    free(log);
}

static void revoked_after_sighup(void **state)
{
    (void)state;
    /* A tokens file of its own, changed while the daemon runs. */
    char file[128], cmd[512];
    path_in(file, sizeof file, mat, "tokens-revoke");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 600 '%s'", tokens_path, file, file);
    assert_int_equal(system(cmd), 0);
    test_daemon d;
    const char *extra[] = {"--tokens-file", file, "--health-exempt", "false", NULL};
    test_daemon_start(&d, extra);
    client admin = {.token = tok_admin}, checker = {.token = tok_checker};
    assert_int_equal(call(d.unix_target, &checker, CHECK), A0IPC_OK);

    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_int_equal(a0ipc_tokens_file_remove(file, "checker", &st), 0);
    char late[A0IPC_TOKEN_LEN + 1];
    add_token(file, "late", late, "service:grpc.health.v1.Health");
    client latecomer = {.token = late};
    /* Nothing changes until the daemon is told. */
    assert_int_equal(call(d.unix_target, &checker, CHECK), A0IPC_OK);
    assert_int_equal(call(d.unix_target, &latecomer, CHECK), A0IPC_UNAUTHENTICATED);
    kill(d.pid, SIGHUP);
    assert_true(test_daemon_wait_log(&d, "SIGHUP: reloaded (3 token(s)", 5000));
    assert_int_equal(call(d.unix_target, &checker, CHECK), A0IPC_UNAUTHENTICATED);
    assert_int_equal(call(d.unix_target, &latecomer, WATCH), A0IPC_OK);
    assert_int_equal(call(d.unix_target, &admin, CHECK), A0IPC_OK);

    /* A broken file on reload: refused, and the tokens in force stay in force. */
    FILE *f = fopen(file, "a");
    fputs("broken line\n", f);
    fclose(f);
    kill(d.pid, SIGHUP);
    assert_true(test_daemon_wait_log(&d, "SIGHUP: reload failed, nothing changed", 5000));
    assert_true(test_daemon_log_contains(&d, "tokens-revoke:"));
    assert_int_equal(call(d.unix_target, &admin, CHECK), A0IPC_OK);
    assert_int_equal(call(d.unix_target, &latecomer, CHECK), A0IPC_OK);

    char *log = test_daemon_log_read(&d);
    assert_null(strstr(log, tok_admin));
    assert_null(strstr(log, tok_checker));
    assert_null(strstr(log, late));
    free(log);
    stop_clean(&d);
}

/* A read-only token against the real Files service: reads run, every write is refused before
 * its handler, and nothing changes on disk. */
static void read_only_token_and_files(void **state)
{
    (void)state;
    char root[128];
    path_in(root, sizeof root, mat, "root");
    assert_int_equal(mkdir(root, 0755), 0);
    test_daemon d;
    const char *extra[] = {"--root", root, "--tokens-file", tokens_path, NULL};
    test_daemon_start(&d, extra);
    client viewer = {.token = tok_viewer}, admin = {.token = tok_admin}, nobody = {0};
    a0ipc_status st = A0IPC_STATUS_INIT;
    /* health-exempt (the default): Check without a token, but not Watch, nor anything else. */
    assert_int_equal(call(d.unix_target, &nobody, CHECK), A0IPC_OK);
    assert_int_equal(call(d.unix_target, &nobody, WATCH), A0IPC_UNAUTHENTICATED);
    assert_int_equal(call(d.unix_target, &nobody, REFLECT), A0IPC_UNAUTHENTICATED);

    a0ipc_rpc_channel *ch = channel(d.unix_target, &viewer);
    A0__Runtime__V1__StatRequest sreq = A0__RUNTIME__V1__STAT_REQUEST__INIT;
    sreq.path = ".";
    A0__Runtime__V1__StatResponse *sresp = NULL;
    assert_int_equal(a0_runtime_v1_files_stat_call(ch, &five_s, &sreq, &sresp, &st), A0IPC_OK);
    protobuf_c_message_free_unpacked(&sresp->base, NULL);
    A0__Runtime__V1__MakeDirRequest mk = A0__RUNTIME__V1__MAKE_DIR_REQUEST__INIT;
    mk.path = "made";
    A0__Runtime__V1__MakeDirResponse *mresp = NULL;
    assert_int_equal(a0_runtime_v1_files_make_dir_call(ch, &five_s, &mk, &mresp, &st),
                     A0IPC_PERMISSION_DENIED);
    assert_non_null(strstr(st.message, "read-only for files"));
    A0__Runtime__V1__RemoveRequest rm = A0__RUNTIME__V1__REMOVE_REQUEST__INIT;
    rm.path = ".";
    A0__Runtime__V1__RemoveResponse *rresp = NULL;
    assert_int_equal(a0_runtime_v1_files_remove_call(ch, &five_s, &rm, &rresp, &st),
                     A0IPC_PERMISSION_DENIED);
    a0ipc_status_clear(&st);
    a0ipc_rpc_channel_free(ch);
    struct stat sb;
    char made[160];
    snprintf(made, sizeof made, "%s/made", root);
    assert_int_equal(stat(made, &sb), -1);

    /* The same call with a token that may write. */
    ch = channel(d.unix_target, &admin);
    assert_int_equal(a0_runtime_v1_files_make_dir_call(ch, &five_s, &mk, &mresp, &st), A0IPC_OK);
    protobuf_c_message_free_unpacked(&mresp->base, NULL);
    a0ipc_rpc_channel_free(ch);
    assert_int_equal(stat(made, &sb), 0);
    assert_true(test_daemon_wait_log(
        &d, "method=/a0.runtime.v1.Files/MakeDir status=PERMISSION_DENIED", 2000));
    assert_true(test_daemon_log_contains(&d, "identity=token:viewer"));
    stop_clean(&d);
}

/* ---- TLS ---- */

static void tls_refusals(void **state)
{
    test_daemon *d = *state;
    char ca[256], other_ca[256];
    path_in(ca, sizeof ca, good, "ca.pem");
    path_in(other_ca, sizeof other_ca, other, "ca.pem");
    client good_client = {.ca = ca, .token = tok_admin};
    assert_int_equal(call(d->tcp_target, &good_client, CHECK), A0IPC_OK);
    /* The name checked is the target's host or the override: localhost is in the certificate
     * too. (An override rather than a "localhost:port" target: no DNS resolver in the test.) */
    client by_name = {.ca = ca, .token = tok_admin, .server_name = "localhost"};
    assert_int_equal(call(d->tcp_target, &by_name, CHECK), A0IPC_OK);

    client untrusted = {.ca = other_ca, .token = tok_admin};
    assert_int_equal(call(d->tcp_target, &untrusted, CHECK), A0IPC_UNAVAILABLE);
    client wrong_host = {.ca = ca, .token = tok_admin, .server_name = "wrong.example"};
    a0ipc_rpc_channel *ch = channel(d->tcp_target, &wrong_host);
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_int_equal(call_on(ch, CHECK, &st), A0IPC_UNAVAILABLE);
    assert_non_null(strstr(st.message, "wrong.example"));
    a0ipc_status_clear(&st);
    a0ipc_rpc_channel_free(ch);
    client plaintext = {.token = tok_admin};
    assert_int_equal(call(d->tcp_target, &plaintext, CHECK), A0IPC_UNAVAILABLE);

    /* The client library's gRPC transport takes the same CA and token. */
    a0ipc_grpc_options go;
    a0ipc_grpc_options_init(&go);
    go.target = d->tcp_target;
    go.ca_file = ca;
    go.token = tok_admin;
    go.wait_for_ready = false;
    a0ipc_transport *t = a0ipc_grpc_transport_new(&go, &st);
    assert_non_null(t);
    a0ipc_serving serving = A0IPC_SERVING_UNKNOWN;
    assert_int_equal(a0ipc_health(t, NULL, "", &serving, &st), A0IPC_OK);
    assert_int_equal(serving, A0IPC_SERVING);
    a0ipc_transport_free(t);
    go.ca_file = other_ca;
    t = a0ipc_grpc_transport_new(&go, &st);
    assert_non_null(t);
    assert_int_equal(a0ipc_health(t, NULL, "", &serving, &st), A0IPC_UNAVAILABLE);
    a0ipc_status_clear(&st);
    a0ipc_transport_free(t);

    /* TLS 1.2 and 1.3 are spoken, 1.1 and older are not. */
    char cn[128];
    assert_true(tls_probe(d->tcp_target, TLS1_3_VERSION, cn, sizeof cn));
    assert_true(tls_probe(d->tcp_target, TLS1_2_VERSION, NULL, 0));
    assert_false(tls_probe(d->tcp_target, TLS1_1_VERSION, NULL, 0));
    assert_false(tls_probe(d->tcp_target, TLS1_VERSION, NULL, 0));
    /* The daemon still serves after all that. */
    assert_int_equal(call(d->tcp_target, &good_client, CHECK), A0IPC_OK);
}

static void mtls_required(void **state)
{
    (void)state;
    test_daemon d;
    /* No tokens file: the client certificate is the credential. */
    const char *extra[] = {
        "--tls-cert", arg("%s/server.pem", good), "--tls-key",         arg("%s/server.key", good),
        "--tls-ca",   arg("%s/ca.pem", good),     "--tls-client-cert", "required",
        NULL};
    test_daemon_start(&d, extra);
    const char *ca = arg("%s/ca.pem", good);
    client no_cert = {.ca = ca};
    client good_cert = {
        .ca = ca, .cert = arg("%s/client.pem", good), .key = arg("%s/client.key", good)};
    client foreign = {
        .ca = ca, .cert = arg("%s/client.pem", other), .key = arg("%s/client.key", other)};
    client expired = {.ca = ca,
                      .cert = arg("%s/expired-client.pem", mat),
                      .key = arg("%s/expired-client.key", mat)};
    assert_int_equal(call(d.tcp_target, &no_cert, CHECK), A0IPC_UNAVAILABLE);
    assert_int_equal(call(d.tcp_target, &foreign, CHECK), A0IPC_UNAVAILABLE);
    assert_int_equal(call(d.tcp_target, &expired, CHECK), A0IPC_UNAVAILABLE);
    assert_int_equal(call(d.tcp_target, &good_cert, CHECK), A0IPC_OK);
    assert_int_equal(call(d.tcp_target, &good_cert, REFLECT), A0IPC_OK);
    assert_true(test_daemon_wait_log(&d, "status=OK duration_ms=", 2000));
    assert_true(test_daemon_log_contains(&d, "identity=cn:a0ipc-client transport=tls"));
    /* Certificate text is escaped in the audit line: it cannot forge fields. */
    client forger = {.ca = ca,
                     .cert = arg("%s/forger-client.pem", mat),
                     .key = arg("%s/forger-client.key", mat)};
    assert_int_equal(call(d.tcp_target, &forger, CHECK), A0IPC_OK);
    assert_true(test_daemon_wait_log(
        &d, "identity=cn:x\\x20identity=token:admin\\x22\\x20status=OK transport=tls", 2000));
    assert_false(test_daemon_log_contains(&d, "x identity=token:admin"));
    /* The handshake failures are in the daemon's log (the client only sees UNAVAILABLE). */
    assert_true(test_daemon_log_contains(&d, "grpc: "));
    stop_clean(&d);
}

static void certificate_rotation(void **state)
{
    (void)state;
    /* The daemon serves live.pem/live.key; rotation renames other files over them. */
    char cmd[1024], live_cert[128], live_key[128];
    path_in(live_cert, sizeof live_cert, mat, "live.pem");
    path_in(live_key, sizeof live_key, mat, "live.key");
    snprintf(cmd, sizeof cmd, "cp '%s/server.pem' '%s' && cp -p '%s/server.key' '%s'", good,
             live_cert, good, live_key);
    assert_int_equal(system(cmd), 0);
    test_daemon d;
    const char *extra[] = {
        "--tls-cert", live_cert,       "--tls-key", live_key, "--tls-reload-seconds",
        "1",          "--tokens-file", tokens_path, NULL};
    test_daemon_start(&d, extra);
    client c = {.ca = arg("%s/ca.pem", good), .token = tok_admin};
    char cn[128];
    assert_true(tls_probe(d.tcp_target, TLS1_3_VERSION, cn, sizeof cn));
    char first_cn[128];
    snprintf(first_cn, sizeof first_cn, "%s", cn);
    assert_string_not_equal(first_cn, "rotated");

    a0ipc_rpc_channel *kept = channel(d.tcp_target, &c); /* one connection all along */
    int calls = 0, failures = 0;
    bool rotated = false, seen = false;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        a0ipc_status st = A0IPC_STATUS_INIT;
        if (call_on(kept, CHECK, &st) != A0IPC_OK) {
            failures++;
            fprintf(stderr, "kept channel: %s\n", a0ipc_status_message(&st));
        }
        a0ipc_status_clear(&st);
        if (call(d.tcp_target, &c, CHECK) != A0IPC_OK) /* a fresh connection each time */
            failures++;
        calls += 2;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double s = (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
        if (!rotated && s > 0.3) {
            /* Key first, then the certificate, each by an atomic rename. */
            snprintf(cmd, sizeof cmd,
                     "cp -p '%s/rotated-server.key' '%s.new' && mv '%s.new' '%s' && "
                     "cp '%s/rotated-server.pem' '%s.new' && mv '%s.new' '%s'",
                     mat, live_key, live_key, live_key, mat, live_cert, live_cert, live_cert);
            assert_int_equal(system(cmd), 0);
            rotated = true;
        }
        if (rotated && tls_probe(d.tcp_target, TLS1_3_VERSION, cn, sizeof cn) &&
            !strcmp(cn, "rotated")) {
            seen = true;
            break;
        }
        if (s > 10)
            break;
    }
    assert_true(seen);
    assert_int_equal(failures, 0);
    assert_true(calls >= 4);
    /* New connections after the change work too (they get the new certificate). */
    assert_int_equal(call(d.tcp_target, &c, CHECK), A0IPC_OK);
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_int_equal(call_on(kept, CHECK, &st), A0IPC_OK);
    a0ipc_rpc_channel_free(kept);

    /* A certificate that expired: new clients refuse the server. */
    snprintf(cmd, sizeof cmd,
             "cp -p '%s/expired-server.key' '%s.new' && mv '%s.new' '%s' && "
             "cp '%s/expired-server.pem' '%s.new' && mv '%s.new' '%s'",
             mat, live_key, live_key, live_key, mat, live_cert, live_cert, live_cert);
    assert_int_equal(system(cmd), 0);
    seen = false;
    for (int i = 0; i < 500 && !seen; i++) {
        seen = tls_probe(d.tcp_target, TLS1_3_VERSION, cn, sizeof cn) && !strcmp(cn, "expired");
        if (!seen)
            usleep(20000);
    }
    assert_true(seen);
    assert_int_equal(call(d.tcp_target, &c, CHECK), A0IPC_UNAVAILABLE);
    stop_clean(&d);
}

/* ---- unix peer credentials ---- */

/* Runs `a0ipc health --target target` as uid/gid 65534 (nobody) and returns its exit code. */
static int health_as_nobody(const char *cli, const char *target)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
            _exit(100);
        execl(cli, cli, "health", "--target", target, "--timeout", "3", (char *)NULL);
        _exit(101);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void peer_uid_checked(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        skip(); /* needs root to become another user; CI and the dev machines run as root */
        return;
    }
    /* The CLI must be runnable by nobody: a copy in a world-readable place. */
    char cli[128], cmd[512], conf[128];
    path_in(cli, sizeof cli, mat, "a0ipc");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 755 '%s' '%s'", test_cli_path(), cli, cli,
             mat);
    assert_int_equal(system(cmd), 0);
    path_in(conf, sizeof conf, mat, "peer.conf");
    FILE *f = fopen(conf, "w");
    fputs("socket-mode = 0666\n", f);
    fclose(f);

    test_daemon d;
    const char *extra[] = {"--config", conf, NULL};
    test_daemon_start(&d, extra);
    assert_int_equal(chmod(d.dir, 0711), 0); /* let nobody reach the socket file */
    const char *sock = d.unix_target + 5;
    struct stat sb;
    assert_int_equal(stat(sock, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0666);

    /* The file lets nobody connect; the peer check does not. */
    assert_int_equal(health_as_nobody(cli, d.unix_target), 3);
    assert_true(test_daemon_wait_log(&d, "refused a connection", 2000));
    assert_true(test_daemon_log_contains(&d, "from uid 65534"));
    assert_true(test_daemon_log_contains(&d, "allow-uid = 65534"));
    assert_false(test_daemon_log_contains(&d, "identity=uid:65534"));

    /* Allowed through the configuration, reloaded with SIGHUP. */
    f = fopen(conf, "a");
    fputs("allow-uid = 65534\n", f);
    fclose(f);
    kill(d.pid, SIGHUP);
    assert_true(test_daemon_wait_log(&d, "SIGHUP: reloaded (0 token(s), 1 allow-uid", 5000));
    assert_int_equal(health_as_nobody(cli, d.unix_target), 0);
    assert_true(test_daemon_wait_log(&d, "identity=uid:65534 transport=unix", 2000));
    assert_true(test_daemon_log_contains(&d, "uid=65534 gid=65534"));
    /* root is always allowed */
    client root = {0};
    assert_int_equal(call(d.unix_target, &root, CHECK), A0IPC_OK);
    stop_clean(&d);

    /* By group, and the default file mode (0660) with a group owner. */
    const char *by_group[] = {"--allow-gid", "65534", "--socket-group", "65534", NULL};
    test_daemon_start(&d, by_group);
    assert_int_equal(chmod(d.dir, 0711), 0);
    sock = d.unix_target + 5;
    assert_int_equal(stat(sock, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0660);
    assert_int_equal(sb.st_gid, 65534);
    assert_int_equal(health_as_nobody(cli, d.unix_target), 0);
    stop_clean(&d);

    /* The default mode without the group: the kernel refuses before a0ipcd sees anyone. */
    const char *plain[] = {"--allow-uid", "65534", NULL};
    test_daemon_start(&d, plain);
    assert_int_equal(chmod(d.dir, 0711), 0);
    assert_int_equal(health_as_nobody(cli, d.unix_target), 3);
    assert_false(test_daemon_log_contains(&d, "identity=uid:65534"));
    stop_clean(&d);
}

/* Connections handed over by our unix listener skip the core's handshake timeout: one that never
 * speaks must not hold up shutdown beyond the grace period. */
static void silent_unix_clients_do_not_block_shutdown(void **state)
{
    (void)state;
    test_daemon d;
    const char *extra[] = {"--shutdown-grace-ms", "300", "--terminal", "false", NULL};
    test_daemon_start(&d, extra);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    const char *path = d.unix_target + 5;
    assert_true(strlen(path) < sizeof sun.sun_path);
    memcpy(sun.sun_path, path, strlen(path) + 1);
    int silent[2];
    for (int i = 0; i < 2; i++) {
        silent[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(connect(silent[i], (struct sockaddr *)&sun, sizeof sun), 0);
    }
    assert_int_equal(write(silent[1], "PRI * HTTP/2.0\r\n", 16), 16); /* half a preface */
    client root = {0};
    assert_int_equal(call(d.unix_target, &root, CHECK), A0IPC_OK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    stop_clean(&d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (s > 5)
        fail_msg("a0ipcd took %.1f s to stop with silent unix clients", s);
    close(silent[0]);
    close(silent[1]);
}

/* ---- start-up refusals ---- */

static void refuses_unsafe_start(void **state)
{
    (void)state;
    char out[4096];
    const char *cert = arg("%s/server.pem", good), *key = arg("%s/server.key", good),
               *ca = arg("%s/ca.pem", good);
    /* TLS alone would let anyone who reaches the port call everything. */
    const char *tls_alone[] = {"--listen",  "127.0.0.1:0", "--tls-cert", cert,
                               "--tls-key", key,           NULL};
    assert_int_equal(test_daemon_run(tls_alone, out, sizeof out), 2);
    assert_non_null(strstr(out, "set tokens-file, or tls-client-cert = required"));
    const char *no_key[] = {"--listen", "127.0.0.1:0", "--tls-cert", cert, NULL};
    assert_int_equal(test_daemon_run(no_key, out, sizeof out), 2);
    assert_non_null(strstr(out, "both tls-cert and tls-key"));
    const char *no_ca[] = {"--listen", "127.0.0.1:0",       "--tls-cert", cert, "--tls-key",
                           key,        "--tls-client-cert", "required",   NULL};
    assert_int_equal(test_daemon_run(no_ca, out, sizeof out), 2);
    assert_non_null(strstr(out, "needs tls-ca"));
    /* Plaintext off loopback, even with --insecure. */
    const char *anywhere[] = {"--listen", "0.0.0.0:0", "--insecure", NULL};
    assert_int_equal(test_daemon_run(anywhere, out, sizeof out), 2);
    assert_non_null(strstr(out, "loopback addresses only"));
    /* Files that cannot work are named at start, not at the first handshake. */
    const char *expired[] = {"--listen",
                             "127.0.0.1:0",
                             "--tls-cert",
                             arg("%s/expired-server.pem", mat),
                             "--tls-key",
                             arg("%s/expired-server.key", mat),
                             "--tokens-file",
                             tokens_path,
                             NULL};
    assert_int_equal(test_daemon_run(expired, out, sizeof out), 1);
    assert_non_null(strstr(out, "has expired"));
    const char *mismatch[] = {
        "--listen",      "127.0.0.1:0", "--tls-cert", cert, "--tls-key", arg("%s/client.key", good),
        "--tokens-file", tokens_path,   NULL};
    assert_int_equal(test_daemon_run(mismatch, out, sizeof out), 1);
    assert_non_null(strstr(out, "does not belong to the certificate"));
    /* A tokens file others may write. */
    char loose[128], cmd[512];
    path_in(loose, sizeof loose, mat, "tokens-loose");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 666 '%s'", tokens_path, loose, loose);
    assert_int_equal(system(cmd), 0);
    const char *loose_tokens[] = {"--listen",      "127.0.0.1:0", "--tls-cert", cert,
                                  "--tls-key",     key,           "--tls-ca",   ca,
                                  "--tokens-file", loose,         NULL};
    assert_int_equal(test_daemon_run(loose_tokens, out, sizeof out), 1);
    assert_non_null(strstr(out, "chmod go-w"));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    a0ipc_rpc_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tokens_and_permissions, start_tokens_daemon, stop_daemon),
        cmocka_unit_test(revoked_after_sighup),
        cmocka_unit_test(read_only_token_and_files),
        cmocka_unit_test_setup_teardown(tls_refusals, start_tokens_daemon, stop_daemon),
        cmocka_unit_test(mtls_required),
        cmocka_unit_test(certificate_rotation),
        cmocka_unit_test(peer_uid_checked),
        cmocka_unit_test(silent_unix_clients_do_not_block_shutdown),
        cmocka_unit_test(refuses_unsafe_start),
    };
    int failed = cmocka_run_group_tests(tests, make_material, remove_material);
    a0ipc_rpc_shutdown();
    return failed;
}
