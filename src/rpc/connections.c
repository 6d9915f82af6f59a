#include "rpc/connections.h"

#include <grpc/grpc.h>
#include <grpc/support/alloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* channelz answers in JSON (the channelz proto's mapping); only ids and counts are needed, so
 * they are picked out of the text rather than parsed. */

/* The value of the next "KEY":"N" after *at (ids are int64, hence strings); 0 when none. */
static long long next_id(const char **at, const char *key)
{
    const char *p = strstr(*at, key);
    if (!p)
        return 0;
    p += strlen(key);
    while (*p == '"' || *p == ':' || *p == ' ')
        p++;
    *at = p;
    return strtoll(p, NULL, 10);
}

/* Counts the sockets of one server, page by page. */
static long server_sockets(long long server_id)
{
    long n = 0;
    long long start = 0;
    for (int page = 0; page < 1000; page++) {
        char *json = grpc_channelz_get_server_sockets((intptr_t)server_id, (intptr_t)start, 500);
        if (!json)
            return -1;
        const char *at = json;
        long long id, last = start;
        while ((id = next_id(&at, "\"socketId\"")) > 0) {
            n++;
            last = id;
        }
        bool end = strstr(json, "\"end\":true") != NULL || last == start;
        gpr_free(json);
        if (end)
            break;
        start = last + 1;
    }
    return n;
}

long a0ipc_rpc_tcp_connections(void)
{
    char *json = grpc_channelz_get_servers(0);
    if (!json)
        return -1;
    long total = 0;
    const char *at = json;
    for (long long id; (id = next_id(&at, "\"serverId\"")) > 0;) {
        long n = server_sockets(id);
        if (n < 0) {
            total = -1;
            break;
        }
        total += n;
    }
    gpr_free(json);
    return total;
}
