/* a0ipcd-settings-doc: prints the settings reference of docs/configuration.md (the part between
 * its settings:begin and settings:end markers) from the settings table. Built, not installed:
 * scripts/settings-doc writes its output into the docs, and the settings_doc test fails while
 * the committed docs differ from it. */
#include <stdio.h>

#include "daemon/config_setting.h"

int main(void)
{
    a0ipc_daemon_config_markdown(stdout);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
