/* What a0ipcd knows about each of its settings, in one table (config_table.c): the name (the
 * file's key and the long option), how its value is written and checked, its default, where it
 * lives in a0ipc_daemon_config, whether SIGHUP applies it, and the text --help and
 * docs/configuration.md show. The parser, the command line, --help, the defaults, SIGHUP's
 * reload and the generated part of docs/configuration.md are all driven by it, so a setting is
 * added in one place (plus the field and the code that uses it). */
#ifndef A0IPC_DAEMON_CONFIG_SETTING_H
#define A0IPC_DAEMON_CONFIG_SETTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum a0ipc_setting_type {
    A0IPC_SETTING_BOOL,      /* bool; true/yes/1/on, false/no/0/off */
    A0IPC_SETTING_INT,       /* int, decimal, from min to max */
    A0IPC_SETTING_LLONG,     /* long long, decimal, from min to max */
    A0IPC_SETTING_MODE,      /* int, an octal file mode up to 0777 */
    A0IPC_SETTING_STRING,    /* char * (owned); NULL until set */
    A0IPC_SETTING_ENUM,      /* int, one of choices */
    A0IPC_SETTING_UID,       /* uid_t, a user name or uid; def -1: a0ipcd's own */
    A0IPC_SETTING_GID,       /* gid_t, a group name or gid; def -1: a0ipcd's own */
    A0IPC_SETTING_UID_LIST,  /* uid_t * (owned) and its count at count_offset; repeatable */
    A0IPC_SETTING_GID_LIST,  /* gid_t * (owned) and its count at count_offset; repeatable */
    A0IPC_SETTING_ADDR_LIST, /* char ** (owned) and its count; repeatable; the first on the
                              * command line replaces the file's list */
} a0ipc_setting_type;

enum {
    A0IPC_SETTING_RELOADABLE = 1 << 0, /* SIGHUP applies a new value while serving */
    A0IPC_SETTING_CLI_FLAG = 1 << 1,   /* a BOOL that the command line sets with no value */
};

/* One value of an ENUM setting. An alias is accepted but not listed. */
typedef struct a0ipc_setting_choice {
    const char *name;
    int value;
    bool alias;
} a0ipc_setting_choice;

typedef struct a0ipc_setting {
    const char *name;
    a0ipc_setting_type type;
    unsigned flags;
    size_t offset;                       /* of the field in a0ipc_daemon_config */
    size_t count_offset;                 /* lists: of the size_t count */
    long long min, max;                  /* INT, LLONG */
    long long def;                       /* the default of BOOL, INT, LLONG, MODE, ENUM, UID, GID */
    const a0ipc_setting_choice *choices; /* ENUM; ends with a NULL name */
    const char *section;                 /* the heading it is listed under in --help and the docs */
    const char *arg;                     /* the value's name in --help: N, FILE, ADDR... */
    const char *def_text;                /* the default in words when the field's value is not it
                                          * ("a0ipcd's user", "auto"); NULL: the value, or none */
    const char *help;                    /* for --help: short, plain text */
    const char *doc;                     /* for docs/configuration.md (markdown); NULL: help */
} a0ipc_setting;

extern const a0ipc_setting a0ipc_daemon_settings[];
extern const size_t a0ipc_daemon_n_settings;

/* NULL when there is no such setting. */
const a0ipc_setting *a0ipc_daemon_setting_find(const char *name);

/* The default as text: "4194304", "true", "info", "0660", def_text, or NULL (none). buf holds
 * numbers. */
const char *a0ipc_setting_default_text(const a0ipc_setting *s, char *buf, size_t size);

/* `a0ipcd --help`. */
void a0ipc_daemon_config_usage(FILE *out);

/* The settings section of docs/configuration.md, between its settings:begin/end markers. */
void a0ipc_daemon_config_markdown(FILE *out);

/* The same as a0ipcd(8)'s options (man(7) macros), between its settings:begin/end comments. */
void a0ipc_daemon_config_man(FILE *out);

#endif
