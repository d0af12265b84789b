/* cmdutil.c -- what the subcommands share: one voice, parsing with help, the
 * method-spec check, the command line, the metrics output (see cmdutil.h). */
#include "cli/cmdutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "report/results_csv.h"

void cli_cmd_init(cli_cmd *c, int argc, char **argv, MPI_Comm comm)
{
    c->name = argv[0];
    c->argc = argc;
    c->argv = argv;
    c->comm = comm;
    c->rank = 0;
    MPI_Comm_rank(comm, &c->rank);
}

static void verror(const cli_cmd *c, const char *fmt, va_list ap)
{
    if (c->rank != 0)
        return;
    fprintf(stderr, "ckptrank %s: ", c->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const cli_cmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(c, fmt, ap);
    va_end(ap);
}

int cli_usage(const cli_cmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(c, fmt, ap);
    va_end(ap);
    return CLI_USAGE;
}

int cli_cmd_parse(const cli_cmd *c, const cli_opt *opts, void *target, char **pos, int max_pos,
                  int *npos, const char *usage, const char *about)
{
    char msg[4096];
    int prc = cli_parse(c->argc, c->argv, opts, target, pos, max_pos, npos, msg, sizeof msg);
    if (prc == CLI_HELP && c->rank == 0)
        cli_print_help(stdout, usage, about, opts);
    if (prc == CLI_USAGE)
        cli_error(c, "%s", msg);
    return prc;
}

static const cli_opt no_opts[] = { { NULL, 0, 0, 0, NULL, NULL } };

int cli_parse_one_file(const cli_cmd *c, const char *usage, const char *about, char **file)
{
    char *pos[1];
    int npos = 0, dummy = 0;
    int prc = cli_cmd_parse(c, no_opts, &dummy, pos, 1, &npos, usage, about);
    if (prc == CLI_OK && npos != 1)
        prc = cli_usage(c, "expected one file (see --help)");
    if (prc == CLI_OK)
        *file = pos[0];
    return prc;
}

int cli_parse_status(int prc)
{
    return prc == CLI_HELP ? CKR_EXIT_OK : CKR_EXIT_USAGE;
}

int cli_check_methods(const cli_cmd *c, const char *methods, const char *where, ckr_spec **specs,
                      size_t *n)
{
    ckr_spec *s = NULL;
    size_t ns = 0;
    ckr_err err = { 0, "" };
    if (ckr_spec_parse_list(methods, &s, &ns, &err) != 0) {
        cli_error(c, "%s%s%s", where ? where : "", where ? ": " : "", err.msg);
        return err.code == CKR_EARG ? CKR_EXIT_USAGE : CKR_EXIT_ERROR;
    }
    if (specs) {
        *specs = s;
        *n = ns;
    } else {
        free(s);
    }
    return CKR_EXIT_OK;
}

static int parse_decimal(const char *s, const char **end, long *v)
{
    if (*s < '0' || *s > '9')
        return -1; /* no sign, no space */
    char *e;
    errno = 0;
    *v = strtol(s, &e, 10);
    *end = e;
    return errno || *v > 1000000000L ? -1 : 0;
}

int cli_parse_shard(const char *s, int *i, int *n)
{
    long a, b;
    const char *p;
    if (parse_decimal(s, &p, &a) != 0 || *p != '/' || parse_decimal(p + 1, &p, &b) != 0 || *p ||
        b < 1 || a >= b)
        return -1;
    *i = (int)a;
    *n = (int)b;
    return 0;
}

void cli_join_argv(int argc, char **argv, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && used + 1 < len; i++) {
        const char *a = argv[i];
        int quote = a[strcspn(a, " \t'\"\\$|&;<>()*?")] != '\0' || !a[0];
        int w = snprintf(buf + used, len - used, "%s%s%s%s", i ? " " : "", quote ? "'" : "", a,
                         quote ? "'" : "");
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int cli_emit_metrics(const cli_cmd *c, ckr_results *r, const cli_klist *k, const char *csv,
                     int quiet)
{
    ckr_err err = { 0, "" };
    int rc = ckr_results_compute_metrics(r, k->k, k->n, &err);
    if (!rc && csv)
        rc = ckr_metrics_write_csv(csv, r->metrics, r->n_metrics, &err);
    if (rc) {
        cli_error(c, "%s", err.msg);
        return CKR_EXIT_ERROR;
    }
    if (!quiet) {
        if (r->n_gt == 0)
            printf("(no ground truth: no ranking-quality table)\n");
        else
            ckr_metrics_print(stdout, r->metrics, r->n_metrics);
    }
    return CKR_EXIT_OK;
}
