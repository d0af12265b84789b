/* options.c -- table-driven command-line options (see options.h). */
#include "cli/options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const cli_opt *find_long(const cli_opt *opts, const char *name, size_t len)
{
    for (; opts->name; opts++)
        if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
            return opts;
    return NULL;
}

static const cli_opt *find_short(const cli_opt *opts, char c)
{
    for (; opts->name; opts++)
        if (opts->shortc == c)
            return opts;
    return NULL;
}

void cli_klist_default(cli_klist *k)
{
    k->k[0] = 1;
    k->k[1] = 3;
    k->n = 2;
}

static int parse_klist(const char *s, cli_klist *k)
{
    k->n = 0;
    char *end;
    while (*s) {
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno || v < 1 || v > 1000000 || k->n >= 8)
            return -1;
        for (int i = 0; i < k->n; i++)
            if (k->k[i] == (int)v)
                return -1; /* a duplicate would repeat its columns */
        k->k[k->n++] = (int)v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return k->n > 0 ? 0 : -1;
}

/* Write the reason of a usage error into msg (if any); returns CLI_USAGE. */
static int usage_error(char *msg, size_t msglen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int usage_error(char *msg, size_t msglen, const char *fmt, ...)
{
    if (msg && msglen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msglen, fmt, ap);
        va_end(ap);
    }
    return CLI_USAGE;
}

static int set_value(const cli_opt *o, void *target, const char *val, char *msg, size_t msglen)
{
    char *p = (char *)target + o->offset, *end;
    errno = 0;
    switch (o->type) {
    case OPT_FLAG:
        *(int *)p = 1;
        return 0;
    case OPT_STR:
        *(const char **)p = val;
        return 0;
    case OPT_INT: {
        long v = strtol(val, &end, 10);
        if (!*val || *end || errno || v < 0 || v > 1000000000)
            break;
        *(int *)p = (int)v;
        return 0;
    }
    case OPT_U64: {
        unsigned long long v = strtoull(val, &end, 10);
        if (!*val || *end || errno || val[0] == '-')
            break;
        *(uint64_t *)p = (uint64_t)v;
        return 0;
    }
    case OPT_KLIST:
        if (parse_klist(val, (cli_klist *)p) == 0)
            return 0;
        break;
    }
    return usage_error(msg, msglen, "--%s: invalid value '%s'", o->name, val);
}

int cli_parse(int argc, char **argv, const cli_opt *opts, void *target, char **pos, int max_pos,
              int *npos, char *msg, size_t msglen)
{
    *npos = 0;
    if (msg && msglen)
        msg[0] = '\0';
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        const cli_opt *o = NULL;
        const char *val = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return CLI_HELP;
        if (strncmp(a, "--", 2) == 0 && a[2]) {
            char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            o = find_long(opts, a + 2, len);
            if (eq)
                val = eq + 1;
        } else if (a[0] == '-' && a[1] && !a[2]) {
            o = find_short(opts, a[1]);
        } else {
            if (*npos >= max_pos)
                return usage_error(msg, msglen, "unexpected argument '%s' (see --help)", a);
            pos[(*npos)++] = a;
            continue;
        }
        if (!o)
            return usage_error(msg, msglen, "unknown option '%s' (see --help)", a);
        if (o->type != OPT_FLAG && !val) {
            if (i + 1 >= argc)
                return usage_error(msg, msglen, "option --%s needs a value", o->name);
            val = argv[++i];
        }
        int rc = set_value(o, target, val, msg, msglen);
        if (rc)
            return rc;
    }
    return CLI_OK;
}

void cli_print_help(FILE *f, const char *usage, const char *about, const cli_opt *opts)
{
    fprintf(f, "usage: %s\n\n%s\n", usage, about);
    if (opts->name)
        fprintf(f, "\noptions:\n");
    for (; opts->name; opts++) {
        char left[64];
        if (opts->shortc)
            snprintf(left, sizeof left, "-%c, --%s%s%s", opts->shortc, opts->name,
                     opts->metavar ? " " : "", opts->metavar ? opts->metavar : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", opts->name, opts->metavar ? " " : "",
                     opts->metavar ? opts->metavar : "");
        fprintf(f, "  %-28s %s\n", left, opts->help);
    }
    fprintf(f, "  %-28s %s\n", "-h, --help", "show this help");
}
