/* The settings table as text: `a0ipcd --help`, the reference in docs/configuration.md and the
 * options of a0ipcd(8). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_setting.h"

#define HELP_WIDTH  80 /* the longest --help line */
#define HELP_INDENT 29 /* where the explanations start */

static const char *choice_name(const a0ipc_setting *s, long long value)
{
    for (const a0ipc_setting_choice *ch = s->choices; ch->name; ch++)
        if (!ch->alias && ch->value == value)
            return ch->name;
    return NULL;
}

const char *a0ipc_setting_default_text(const a0ipc_setting *s, char *buf, size_t size)
{
    switch (s->type) {
    case A0IPC_SETTING_BOOL:
        return s->def ? "true" : "false";
    case A0IPC_SETTING_INT:
    case A0IPC_SETTING_LLONG:
        snprintf(buf, size, "%lld", s->def);
        return buf;
    case A0IPC_SETTING_MODE:
        snprintf(buf, size, "%04llo", s->def);
        return buf;
    case A0IPC_SETTING_ENUM:
        return choice_name(s, s->def);
    default:
        return s->def_text;
    }
}

/* Writes text word by word from column col (where the cursor is), breaking lines before
 * HELP_WIDTH and starting each new one at column indent. */
static void put_wrapped(FILE *out, const char *text, size_t col, size_t indent)
{
    bool first = true;
    while (*text) {
        while (*text == ' ')
            text++;
        size_t word = strcspn(text, " ");
        if (!word)
            break;
        if (!first && col + 1 + word > HELP_WIDTH) {
            fprintf(out, "\n%*s", (int)indent, "");
            col = indent;
        } else if (!first) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", (int)word, text);
        col += word;
        text += word;
        first = false;
    }
    fputc('\n', out);
}

/* "  --name ARG" and its explanation, in two columns. */
static void put_option(FILE *out, const char *name, const char *arg, const char *text)
{
    int n = fprintf(out, "  --%s%s%s", name, arg ? " " : "", arg ? arg : "");
    size_t col = n < 0 ? 0 : (size_t)n;
    size_t pad = col + 1 < HELP_INDENT ? HELP_INDENT - col : 1;
    fprintf(out, "%*s", (int)pad, "");
    put_wrapped(out, text, col + pad, HELP_INDENT);
}

void a0ipc_daemon_config_usage(FILE *out)
{
    fprintf(out, "Usage: a0ipcd [OPTION]...\n"
                 "Serve a0ipc's terminal, file and health services over gRPC.\n\n");
    put_option(out, "config", "FILE",
               "read settings from FILE (key = value lines, the keys are the option names "
               "below; see docs/configuration.md); options given here win");
    const char *section = NULL;
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++) {
        const a0ipc_setting *s = &a0ipc_daemon_settings[i];
        if (section && strcmp(section, s->section))
            fprintf(out, "\n%s:\n", s->section);
        section = s->section;
        char text[512], num[32];
        const char *def = (s->flags & A0IPC_SETTING_CLI_FLAG)
                              ? NULL
                              : a0ipc_setting_default_text(s, num, sizeof num);
        if (def)
            snprintf(text, sizeof text, "%s (default %s)", s->help, def);
        else
            snprintf(text, sizeof text, "%s", s->help);
        put_option(out, s->name, s->arg, text);
    }
    fputc('\n', out);
    put_option(out, "help", NULL, "show this help and exit");
    put_option(out, "version", NULL, "show the version and exit");

    char signals[1024];
    size_t n = (size_t)snprintf(signals, sizeof signals,
                                "Signals: SIGTERM/SIGINT stop gracefully (exit 0); SIGHUP reloads");
    size_t left = 0;
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++)
        left += (a0ipc_daemon_settings[i].flags & A0IPC_SETTING_RELOADABLE) != 0;
    for (size_t i = 0; i < a0ipc_daemon_n_settings && n < sizeof signals; i++) {
        const a0ipc_setting *s = &a0ipc_daemon_settings[i];
        if (!(s->flags & A0IPC_SETTING_RELOADABLE))
            continue;
        left--;
        n += (size_t)snprintf(signals + n, sizeof signals - n, " %s%s", s->name,
                              left > 1    ? ","
                              : left == 1 ? " and"
                                          : ".");
    }
    if (n < sizeof signals)
        snprintf(signals + n, sizeof signals - n, " TLS files reload by themselves.");
    fputc('\n', out);
    put_wrapped(out, signals, 0, 0);
}

/* The value column: what may be written. */
static void put_values(FILE *out, const a0ipc_setting *s)
{
    switch (s->type) {
    case A0IPC_SETTING_BOOL:
        fprintf(out, "`true` or `false`");
        break;
    case A0IPC_SETTING_INT:
    case A0IPC_SETTING_LLONG:
        fprintf(out, "`%lld` to `%lld`", s->min, s->max);
        break;
    case A0IPC_SETTING_MODE:
        fprintf(out, "octal, up to `0777`");
        break;
    case A0IPC_SETTING_STRING:
        fprintf(out, "*%s*", s->arg);
        break;
    case A0IPC_SETTING_ENUM: {
        size_t total = 0, listed = 0;
        for (const a0ipc_setting_choice *ch = s->choices; ch->name; ch++)
            total += !ch->alias;
        for (const a0ipc_setting_choice *ch = s->choices; ch->name; ch++) {
            if (ch->alias)
                continue;
            fprintf(out, "%s`%s`",
                    listed == 0           ? ""
                    : listed + 1 == total ? " or "
                                          : ", ",
                    ch->name);
            listed++;
        }
        break;
    }
    case A0IPC_SETTING_UID:
        fprintf(out, "user name or uid");
        break;
    case A0IPC_SETTING_GID:
        fprintf(out, "group name or gid");
        break;
    case A0IPC_SETTING_UID_LIST:
        fprintf(out, "user name or uid; repeatable");
        break;
    case A0IPC_SETTING_GID_LIST:
        fprintf(out, "group name or gid; repeatable");
        break;
    case A0IPC_SETTING_ADDR_LIST:
        fprintf(out, "*%s*; repeatable", s->arg);
        break;
    }
}

void a0ipc_daemon_config_markdown(FILE *out)
{
    fprintf(out, "<!-- Generated from src/daemon/config_table.c by a0ipcd-settings-doc: edit the "
                 "table, then run scripts/settings-doc. -->\n");
    const char *section = NULL;
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++) {
        const a0ipc_setting *s = &a0ipc_daemon_settings[i];
        if (!section || strcmp(section, s->section)) {
            fprintf(out, "\n### %s\n\n", s->section);
            fprintf(out, "| key | values | default | on SIGHUP | meaning |\n"
                         "|---|---|---|---|---|\n");
        }
        section = s->section;
        char num[32];
        const char *def = a0ipc_setting_default_text(s, num, sizeof num);
        fprintf(out, "| `%s` | ", s->name);
        put_values(out, s);
        /* A default in words ("a0ipcd's user") is prose; a value is code. */
        if (!def)
            fprintf(out, " | none");
        else if (strchr(def, ' '))
            fprintf(out, " | %s", def);
        else
            fprintf(out, " | `%s`", def);
        fprintf(out, " | %s | %s |\n",
                (s->flags & A0IPC_SETTING_RELOADABLE) ? "reloaded" : "restart",
                s->doc ? s->doc : s->help);
    }
}

/* n bytes of plain text for man(7): the characters troff reads specially escaped. */
static void put_troff_plain(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\')
            fputs("\\e", out);
        else if (s[i] == '-')
            fputs("\\-", out);
        else
            fputc(s[i], out);
    }
}

/* The docs' markdown as man(7) text: `code` in bold, *name* in italics, [text](target) as its
 * text. Starts with \& so that a leading '.' or '\'' is never read as a request. */
static void put_troff(FILE *out, const char *md)
{
    fputs("\\&", out);
    bool code = false, italic = false;
    for (const char *p = md; *p; p++) {
        size_t plain = strcspn(p, "`*[");
        put_troff_plain(out, p, plain);
        p += plain;
        if (!*p)
            break;
        const char *close = *p == '[' ? strstr(p, "](") : NULL;
        const char *end = close ? strchr(close, ')') : NULL;
        if (*p == '`' && !italic) {
            fputs(code ? "\\fR" : "\\fB", out);
            code = !code;
        } else if (*p == '*' && !code) {
            fputs(italic ? "\\fR" : "\\fI", out);
            italic = !italic;
        } else if (*p == '[' && !code && end) {
            put_troff_plain(out, p + 1, (size_t)(close - p - 1));
            p = end;
        } else {
            fputc(*p, out);
        }
    }
    if (code || italic)
        fputs("\\fR", out);
    fputc('\n', out);
}

void a0ipc_daemon_config_man(FILE *out)
{
    fputs(".\\\" Generated from src/daemon/config_table.c by a0ipcd-settings-doc --man: edit the "
          "table,\n.\\\" then run scripts/settings-doc.\n",
          out);
    const char *section = NULL;
    for (size_t i = 0; i < a0ipc_daemon_n_settings; i++) {
        const a0ipc_setting *s = &a0ipc_daemon_settings[i];
        /* The first section's settings follow OPTIONS' own introduction and --config. */
        if (section && strcmp(section, s->section))
            fprintf(out, ".SS %s\n", s->section);
        section = s->section;
        fputs(".TP\n", out);
        if (s->flags & A0IPC_SETTING_CLI_FLAG) {
            fputs(".B \\-\\-", out);
            put_troff_plain(out, s->name, strlen(s->name));
        } else {
            fputs(".BI \\-\\-", out);
            put_troff_plain(out, s->name, strlen(s->name));
            fprintf(out, " \" %s\"", s->arg ? s->arg : "VALUE");
        }
        fputc('\n', out);
        put_troff(out, s->doc ? s->doc : s->help);
        /* Values, default and SIGHUP as the docs' table columns say them. */
        char *values = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&values, &len);
        if (mem) {
            fputs("Values: ", mem);
            put_values(mem, s);
            char num[32];
            const char *def = a0ipc_setting_default_text(s, num, sizeof num);
            if (!def)
                fputs("; no default", mem);
            else if (strchr(def, ' '))
                fprintf(mem, "; default %s", def);
            else
                fprintf(mem, "; default `%s`", def);
            fprintf(mem, "; %s.",
                    (s->flags & A0IPC_SETTING_RELOADABLE) ? "reloaded on SIGHUP"
                                                          : "a change needs a restart");
            if (fclose(mem) == 0) {
                fputs(".br\n", out);
                put_troff(out, values);
            }
        }
        free(values);
    }
}
