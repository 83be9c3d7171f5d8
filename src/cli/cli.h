/*
 * cli.h -- shared pieces of the kubeharden command-line tool: the option
 * table type, the parser that reads it, and --help generated from it.
 * The tool reaches the library only through kubeharden.h.
 */
#ifndef KH_CLI_H
#define KH_CLI_H

#include <stdio.h>

#include "kubeharden.h"

/* Exit codes: documented in every --help. */
enum {
    CLI_EXIT_OK = 0,        /* nothing at or above --fail-on */
    CLI_EXIT_FINDINGS = 1,  /* findings at or above --fail-on */
    CLI_EXIT_ERROR = 2      /* usage error, unreadable or malformed input */
};

struct cli_option {
    const char *lname;      /* long name without "--"; the array is sorted by it */
    char sname;             /* short letter or ' ' */
    const char *arg;        /* argument name for --help, NULL for a flag */
    const char *help;
    int id;
};

/* Called for each option found (value NULL for flags) and, with opt NULL,
 * for each positional argument. Return 0 or an exit code to stop. */
typedef int (*cli_option_fn)(const struct cli_option *opt, const char *value, void *ud);

/* Parse argv[1..] (argv[0] is the subcommand). Prints a usage error
 * naming the command and returns CLI_EXIT_ERROR on a bad option. */
int cli_parse(const char *command, const struct cli_option *opts, size_t nopts,
              int argc, char **argv, cli_option_fn fn, void *ud);

/* Print the option list in the table's order. */
void cli_print_options(FILE *out, const struct cli_option *opts, size_t nopts);

/* The exit-code paragraph every --help ends with; @p scans for commands
 * whose status reports findings. */
void cli_print_exit_codes(FILE *out, int scans);

/* docs/rules.md (doc.c): each rule's EXAMPLE is its first firing case in
 * @p cases_dir (NULL: no examples). Returns 0, or -1 when writing failed. */
int cli_rules_doc(FILE *dst, const char *cases_dir);

/* Append @p value to a growing argument list; CLI_EXIT_ERROR (said) when
 * out of memory. */
int cli_push(const char ***list, size_t *n, const char *value);

/* --fail-on: a severity, or "never" (exit 0 whatever is found: a CronJob's
 * or an init container's report is its output, not a failure). Prints the
 * error and returns CLI_EXIT_ERROR on a bad value. */
int cli_parse_fail_on(const char *command, const char *value, kh_severity *out);

/* `<command> check ARGS` of an analysis: `scan --area AREA ARGS`, so its
 * findings come with every option and report format of scan. */
int cli_scan_area(const char *area, int argc, char **argv);

/* Flush standard output and check that it took everything: a full disk or
 * a closed stdout makes any command fail (exit 2, with a message unless
 * @p status already is CLI_EXIT_ERROR). @p command names the subcommand in
 * the message (NULL: the tool). main calls it after every command.
 * @return @p status, or CLI_EXIT_ERROR. */
int cli_finish(const char *command, int status);

int cmd_ha(int argc, char **argv);
int cmd_netpol(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_rbac(int argc, char **argv);
int cmd_rbac_can(int argc, char **argv);
int cmd_rbac_graph(int argc, char **argv);
int cmd_rbac_paths(int argc, char **argv);
int cmd_rbac_review(int argc, char **argv);
int cmd_rbac_who_can(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif
