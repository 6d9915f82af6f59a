#include "services/term_config.h"

#include <string.h>

void a0ipc_terminal_config_init(a0ipc_terminal_config *c)
{
    memset(c, 0, sizeof *c);
    c->max_sessions = 64;
    c->ring_bytes = 1024 * 1024;
    c->default_idle_ttl_s = 3600;
    c->max_idle_ttl_s = 86400;
    c->close_grace_ms = 2000;
    c->max_close_grace_ms = 30000;
    c->kill_wait_ms = 5000;
    c->start_timeout_ms = 10000;
    c->write_timeout_ms = 10000;
    c->shell = "/bin/bash";
    c->tmp_dir = "/tmp";
    c->uid = -1;
    c->gid = -1;
    c->cgroup = "auto";
    c->subreaper = true;
    c->exec_timeout_ms = 60000;
    c->exec_max_output = 1024 * 1024;
}
