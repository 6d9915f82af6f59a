/* a0ipcd-settings-doc [--man]: prints the settings reference of docs/configuration.md (the part
 * between its settings:begin and settings:end markers), or with --man the options of
 * docs/man/a0ipcd.8 (between its settings:begin and settings:end comments), from the settings
 * table. Built, not installed: scripts/settings-doc writes its output into both, and the
 * settings_doc test fails while either committed file differs from it. */
#include <stdio.h>
#include <string.h>

#include "daemon/config_setting.h"

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--man"))) {
        fprintf(stderr, "usage: a0ipcd-settings-doc [--man]\n");
        return 2;
    }
    if (argc == 2)
        a0ipc_daemon_config_man(stdout);
    else
        a0ipc_daemon_config_markdown(stdout);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
