/* a0ipc agent-zero install|uninstall|status AGENT_ZERO_DIR: switches an Agent Zero v1.x install
 * to a0ipcd. The work is Python's (python/a0ipc/agent_zero/install.py: it installs the Python
 * package into Agent Zero's own interpreter with pip), so this command only finds the package's
 * source and hands over to `python3 -m a0ipc.agent_zero` with the same arguments. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"

/* For completion: the options are the Python installer's (install.py's parser()). */
const char *const a0ipc_agent_zero_subcommands[] = {"install", "uninstall", "status", NULL};
const struct option a0ipc_agent_zero_options[] = {{"python", required_argument, NULL, 0},
                                                  {"target", required_argument, NULL, 0},
                                                  {"token-file", required_argument, NULL, 0},
                                                  {"ca", required_argument, NULL, 0},
                                                  {"cert", required_argument, NULL, 0},
                                                  {"key", required_argument, NULL, 0},
                                                  {"server-name", required_argument, NULL, 0},
                                                  {"backend", required_argument, NULL, 0},
                                                  {"no-package", no_argument, NULL, 0},
                                                  {"pip-arg", required_argument, NULL, 0},
                                                  {"keep-package", no_argument, NULL, 0},
                                                  {"help", no_argument, NULL, 0},
                                                  {NULL, 0, NULL, 0}};

/* The package's source: the checkout's python/ when this binary is the build tree's, else the
 * installed copy (cmake --install, the .deb). Both have proto/ beside them. */
static const char *package_source(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        size_t len = strlen(A0IPC_BUILD_DIR);
        if (!strncmp(exe, A0IPC_BUILD_DIR, len) && exe[len] == '/' &&
            access(A0IPC_SOURCE_PYTHON_DIR "/pyproject.toml", R_OK) == 0)
            return A0IPC_SOURCE_PYTHON_DIR;
    }
    return A0IPC_INSTALLED_PYTHON_DIR;
}

int a0ipc_cmd_agent_zero(int argc, char **argv)
{
    if (argc < 2)
        return a0ipc_cli_usage_error("agent-zero", "install, uninstall or status is missing");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf(
            "Usage: a0ipc agent-zero install|uninstall|status AGENT_ZERO_DIR [OPTION]...\n"
            "  install    the plugin (usr/plugins/a0ipc), the a0ipc Python package in Agent\n"
            "             Zero's interpreter, the settings (usr/.env)\n"
            "  uninstall  remove all three: Agent Zero runs as before\n"
            "  status     what is installed, and a smoke test against a0ipcd\n"
            "a0ipc agent-zero COMMAND --help lists the command's options (docs/agent-zero.md).\n");
        return A0IPC_EXIT_OK;
    }
    const char *src = package_source();
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/a0ipc/agent_zero/install.py", src);
    if (access(probe, R_OK) != 0) {
        fprintf(stderr, "a0ipc agent-zero: the a0ipc Python package is not at %s (%s)\n", src,
                strerror(errno));
        return A0IPC_EXIT_ERROR;
    }
    const char *old = getenv("PYTHONPATH");
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s%s%s", src, old && *old ? ":" : "", old ? old : "");
    if (setenv("PYTHONPATH", path, 1) || setenv("A0IPC_PACKAGE_SOURCE", src, 1)) {
        perror("a0ipc agent-zero: setenv");
        return A0IPC_EXIT_ERROR;
    }
    char **args = calloc((size_t)argc + 3, sizeof *args);
    if (!args) {
        perror("a0ipc agent-zero");
        return A0IPC_EXIT_ERROR;
    }
    args[0] = "python3";
    args[1] = "-m";
    args[2] = "a0ipc.agent_zero";
    for (int i = 1; i < argc; i++)
        args[i + 2] = argv[i];
    execvp(args[0], args);
    fprintf(stderr, "a0ipc agent-zero: cannot run python3: %s\n", strerror(errno));
    free(args);
    return A0IPC_EXIT_ERROR;
}
