/*
 * cli_options.c -- the option parser and help printer shared by every
 * subcommand. Each command declares a sorted static table of options
 * (curl's habit); the same table drives parsing and --help, so the help
 * text cannot disagree with what is accepted. Also the check, made once
 * for every command in main, that standard output really took what was
 * written to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_option *find_long(const struct cli_option *opts, size_t n,
                                          const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].lname) == len && strncmp(opts[i].lname, name, len) == 0)
            return &opts[i];
    return NULL;
}

static const struct cli_option *find_short(const struct cli_option *opts, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i].sname == c)
            return &opts[i];
    return NULL;
}

static int usage_error(const char *command, const char *fmt, const char *arg)
{
    fprintf(stderr, "kubeharden %s: ", command);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'kubeharden %s --help'.\n", command);
    return CLI_EXIT_ERROR;
}

int cli_parse(const char *command, const struct cli_option *opts, size_t nopts,
              int argc, char **argv, cli_option_fn fn, void *ud)
{
    int only_args = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const struct cli_option *o = NULL;
        const char *value = NULL;
        int rc;
        if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
            if ((rc = fn(NULL, a, ud)) != 0)
                return rc;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            o = find_long(opts, nopts, a + 2, len);
            if (!o)
                return usage_error(command, "unknown option '%s'", a);
            if (eq && !o->arg)
                return usage_error(command, "option '--%s' takes no value", o->lname);
            value = eq ? eq + 1 : NULL;
        } else {
            o = find_short(opts, nopts, a[1]);
            if (!o)
                return usage_error(command, "unknown option '%s'", a);
            if (a[2] && !o->arg)
                return usage_error(command, "unknown option '%s'", a);
            value = a[2] ? a + 2 : NULL;
        }
        if (o->arg && !value) {
            if (i + 1 >= argc)
                return usage_error(command, "option '--%s' needs a value", o->lname);
            value = argv[++i];
        }
        if ((rc = fn(o, value, ud)) != 0)
            return rc;
    }
    return 0;
}

void cli_print_options(FILE *out, const struct cli_option *opts, size_t nopts)
{
    fputs("Options:\n", out);
    for (size_t i = 0; i < nopts; i++) {
        char left[64];
        if (opts[i].sname != ' ')
            snprintf(left, sizeof(left), "-%c, --%s%s%s", opts[i].sname, opts[i].lname,
                     opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", opts[i].lname,
                     opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
        fprintf(out, "  %-28s %s\n", left, opts[i].help);
    }
}

void cli_print_exit_codes(FILE *out, int scans)
{
    if (scans)
        fputs("\nExit status:\n"
              "  0  no finding at or above --fail-on\n"
              "  1  findings at or above --fail-on\n"
              "  2  usage error, or input that could not be read or parsed\n",
              out);
    else
        fputs("\nExit status:\n  0  success\n  2  usage error, or output that could not be written\n",
              out);
}

int cli_push(const char ***list, size_t *n, const char *value)
{
    const char **bigger = realloc(*list, (*n + 1) * sizeof(char *));
    if (!bigger) {
        fputs("kubeharden: out of memory\n", stderr);
        return CLI_EXIT_ERROR;
    }
    bigger[(*n)++] = value;
    *list = bigger;
    return 0;
}

int cli_parse_fail_on(const char *command, const char *value, kh_severity *out)
{
    if (strcmp(value, "never") == 0) {
        *out = (kh_severity)(KH_SEVERITY_CRITICAL + 1); /* above every severity */
        return 0;
    }
    if (kh_severity_parse(out, value) == KH_OK)
        return 0;
    fprintf(stderr, "kubeharden %s: unknown severity '%s' "
                    "(use info, low, medium, high, critical or never)\n", command, value);
    return CLI_EXIT_ERROR;
}

int cli_scan_area(const char *area, int argc, char **argv)
{
    char **args = calloc((size_t)argc + 3, sizeof(*args));
    if (!args) {
        fputs("kubeharden: out of memory\n", stderr);
        return CLI_EXIT_ERROR;
    }
    args[0] = "scan";
    args[1] = "--area";
    args[2] = (char *)area;
    for (int i = 1; i < argc; i++)
        args[i + 2] = argv[i];
    int status = cmd_scan(argc + 2, args);
    free(args);
    return status;
}

int cli_finish(const char *command, int status)
{
    errno = 0;
    int flush_failed = fflush(stdout) != 0;
    int errnum = errno;
    if (!flush_failed && !ferror(stdout))
        return status;
    /* A command that failed has said why (scan: "cannot write the report"). */
    if (status != CLI_EXIT_ERROR) {
        fprintf(stderr, "kubeharden%s%s: cannot write to standard output", command ? " " : "",
                command ? command : "");
        if (flush_failed && errnum)
            fprintf(stderr, ": %s", strerror(errnum));
        fputc('\n', stderr);
    }
    return CLI_EXIT_ERROR;
}
