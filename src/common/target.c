#include "common/target.h"

#include <stdlib.h>
#include <string.h>

bool a0ipc_target_is_address_list(const char *target)
{
    return !strncmp(target, "ipv4:", 5) || !strncmp(target, "ipv6:", 5);
}

char *a0ipc_target_host(const char *target)
{
    if (!strncmp(target, "dns:", 4) || a0ipc_target_is_address_list(target)) {
        target = strchr(target, ':') + 1; /* past the scheme */
        while (*target == '/')
            target++;
    } else if (strstr(target, ":/") || !strncmp(target, "unix", 4)) {
        return NULL;
    }
    size_t first = strcspn(target, ",");
    if (*target == '[') { /* [v6]:port */
        const char *end = memchr(target, ']', first);
        return end ? strndup(target + 1, (size_t)(end - target - 1)) : NULL;
    }
    const char *colon = memrchr(target, ':', first);
    return strndup(target, colon ? (size_t)(colon - target) : first);
}
