/* a0ipc completion bash|zsh|fish: the completion script, written from the command table
 * (cli/commands.h) and each command's options, so it never lists what a0ipc does not take. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/runner.h"

const char *const a0ipc_completion_subcommands[] = {"bash", "zsh", "fish", NULL};

static const struct option conn_options[] = {A0IPC_CLI_CONN_OPTIONS, {NULL, 0, NULL, 0}};
static const struct option common_flags[] = {{"json", no_argument, NULL, 0},
                                             {"quiet", no_argument, NULL, 0},
                                             {"help", no_argument, NULL, 0},
                                             {NULL, 0, NULL, 0}};

/* Calls fn for every option of e: name, whether it takes a value, its help (or NULL). */
typedef void (*option_fn)(void *arg, const char *name, bool has_arg, const char *help);

static void each_option(const a0ipc_cli_entry *e, option_fn fn, void *arg)
{
    if (!e->cmd) {
        for (const struct option *o = e->options; o && o->name; o++)
            fn(arg, o->name, o->has_arg == required_argument, NULL);
        return;
    }
    for (int i = 0; i < A0IPC_CLI_MAX_OPTS && e->cmd->opts[i].name; i++)
        fn(arg, e->cmd->opts[i].name, e->cmd->opts[i].has_arg, e->cmd->opts[i].help);
    for (const struct option *o = common_flags; o->name; o++)
        fn(arg, o->name, false, NULL);
    for (const struct option *o = conn_options; o->name; o++)
        fn(arg, o->name, o->has_arg == required_argument, NULL);
}

/* ---- bash and zsh share the word lists ---- */

static void word(void *arg, const char *name, bool has_arg, const char *help)
{
    (void)has_arg;
    (void)help;
    fprintf(arg, " --%s", name);
}

static void valued(void *arg, const char *name, bool has_arg, const char *help)
{
    (void)help;
    if (has_arg)
        fprintf(arg, "|--%s", name);
}

/* "--target|--ca|..." : every option of any command that takes a value. */
static void valued_options(FILE *out)
{
    size_t n;
    const a0ipc_cli_entry *t = a0ipc_cli_commands(&n);
    fprintf(out, "--_");
    for (size_t i = 0; i < n; i++)
        each_option(&t[i], valued, out);
}

/* The case arms: each command's words. */
static void command_words(FILE *out, const char *arm_end)
{
    size_t n;
    const a0ipc_cli_entry *t = a0ipc_cli_commands(&n);
    fprintf(out, "        '') w=\"help");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %s", t[i].name);
    for (const struct option *o = conn_options; o->name; o++)
        fprintf(out, " --%s", o->name);
    fprintf(out, " --json --quiet --help --version\"%s\n", arm_end);
    fprintf(out, "        help) w=\"");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s", i ? " " : "", t[i].name);
    fprintf(out, "\"%s\n", arm_end);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "        %s) w=\"", t[i].name);
        for (const char *const *s = t[i].subcommands; s && *s; s++)
            fprintf(out, "%s ", *s);
        each_option(&t[i], word, out);
        fprintf(out, "\"%s\n", arm_end);
    }
}

static void bash(FILE *out)
{
    fprintf(out, "# bash completion for a0ipc (a0ipc completion bash)\n"
                 "_a0ipc() {\n"
                 "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
                 "    local cmd= w i\n"
                 "    case $prev in\n        ");
    valued_options(out);
    fprintf(out, ") COMPREPLY=(); return ;;\n    esac\n"
                 "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
                 "        case ${COMP_WORDS[i]} in\n            ");
    valued_options(out);
    fprintf(out, ") ((i++)) ;;\n"
                 "            -*) ;;\n"
                 "            *) cmd=${COMP_WORDS[i]}; break ;;\n"
                 "        esac\n"
                 "    done\n"
                 "    case $cmd in\n");
    command_words(out, " ;;");
    fprintf(out, "        *) w= ;;\n"
                 "    esac\n"
                 "    COMPREPLY=($(compgen -W \"$w\" -- \"$cur\"))\n"
                 "}\n"
                 "complete -o default -o bashdefault -F _a0ipc a0ipc\n");
}

static void zsh(FILE *out)
{
    fprintf(out, "#compdef a0ipc\n"
                 "# zsh completion for a0ipc (a0ipc completion zsh)\n"
                 "_a0ipc() {\n"
                 "    local cmd= w i\n"
                 "    case ${words[CURRENT-1]} in\n        ");
    valued_options(out);
    fprintf(out, ") _files; return ;;\n    esac\n"
                 "    for ((i = 2; i < CURRENT; i++)); do\n"
                 "        case ${words[i]} in\n            ");
    valued_options(out);
    fprintf(out, ") ((i++)) ;;\n"
                 "            -*) ;;\n"
                 "            *) cmd=${words[i]}; break ;;\n"
                 "        esac\n"
                 "    done\n"
                 "    case $cmd in\n");
    command_words(out, " ;;");
    fprintf(
        out,
        "        *) w= ;;\n"
        "    esac\n"
        "    compadd -- ${=w}\n"
        "    [[ -n $cmd && ${words[CURRENT]} != -* ]] && _files\n"
        "}\n"
        "if [[ ${funcstack[1]} == _a0ipc ]]; then _a0ipc \"$@\"; else compdef _a0ipc a0ipc; fi\n");
}

/* ---- fish: one `complete` line per word ---- */

typedef struct fish_ctx {
    FILE *out;
    const char *cmd;
} fish_ctx;

static void fish_option(void *arg, const char *name, bool has_arg, const char *help)
{
    fish_ctx *c = arg;
    fprintf(c->out, "complete -c a0ipc -n '__fish_seen_subcommand_from %s' -l %s%s", c->cmd, name,
            has_arg ? " -r" : "");
    if (help) {
        fputs(" -d '", c->out);
        for (const char *p = help; *p; p++)
            fputs(*p == '\'' ? "\\'" : (char[]){*p, 0}, c->out);
        fputc('\'', c->out);
    }
    fputc('\n', c->out);
}

static void fish(FILE *out)
{
    size_t n;
    const a0ipc_cli_entry *t = a0ipc_cli_commands(&n);
    fprintf(out, "# fish completion for a0ipc (a0ipc completion fish)\n"
                 "complete -c a0ipc -n __fish_use_subcommand -f -a help -d 'a command\\'s "
                 "options'\n"
                 "complete -c a0ipc -n '__fish_seen_subcommand_from help' -f -a '");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s", i ? " " : "", t[i].name);
    fprintf(out, "'\n");
    for (const struct option *o = conn_options; o->name; o++)
        fprintf(out, "complete -c a0ipc -n __fish_use_subcommand -l %s%s\n", o->name,
                o->has_arg == required_argument ? " -r" : "");
    fprintf(out, "complete -c a0ipc -n __fish_use_subcommand -l json\n"
                 "complete -c a0ipc -n __fish_use_subcommand -l quiet\n"
                 "complete -c a0ipc -n __fish_use_subcommand -l version\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "complete -c a0ipc -n __fish_use_subcommand -f -a %s -d '", t[i].name);
        for (const char *p = t[i].summary; *p; p++)
            fputs(*p == '\'' ? "\\'" : (char[]){*p, 0}, out);
        fprintf(out, "'\n");
        for (const char *const *s = t[i].subcommands; s && *s; s++)
            fprintf(out, "complete -c a0ipc -n '__fish_seen_subcommand_from %s' -f -a %s\n",
                    t[i].name, *s);
        fish_ctx c = {out, t[i].name};
        each_option(&t[i], fish_option, &c);
    }
}

int a0ipc_cmd_completion(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("Usage: a0ipc completion bash|zsh|fish\n"
               "Print the completion script for the shell, e.g.\n"
               "  source <(a0ipc completion bash)\n"
               "The Debian package installs all three.\n");
        return A0IPC_EXIT_OK;
    }
    if (argc != 2)
        return a0ipc_cli_usage_error("completion", "one shell (bash, zsh, fish) is expected");
    if (!strcmp(argv[1], "bash"))
        bash(stdout);
    else if (!strcmp(argv[1], "zsh"))
        zsh(stdout);
    else if (!strcmp(argv[1], "fish"))
        fish(stdout);
    else
        return a0ipc_cli_usage_error("completion", "unknown shell %s", argv[1]);
    return A0IPC_EXIT_OK;
}
