/*
 * cmd_rules.c -- `kubeharden rules`: list the registry, or write
 * docs/rules.md from it (--doc, in doc.c).
 */
#include <string.h>

#include "cli.h"

enum { OPT_CASES, OPT_DOC, OPT_HELP, OPT_OUTPUT };

/* Sorted by long name. */
static const struct cli_option options[] = {
    {"cases", ' ', "DIR", "with --doc: take each rule's example from its test cases", OPT_CASES},
    {"doc", ' ', NULL, "write the Markdown rule reference (docs/rules.md)", OPT_DOC},
    {"help", 'h', NULL, "show this help", OPT_HELP},
    {"output", 'o', "FORMAT", "text (default) or json", OPT_OUTPUT},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

struct rules_args {
    const char *cases;
    int doc, help, json;
};

static int on_option(const struct cli_option *o, const char *value, void *ud)
{
    struct rules_args *a = ud;
    if (!o) {
        fprintf(stderr, "kubeharden rules: unexpected argument '%s'\n", value);
        return CLI_EXIT_ERROR;
    }
    switch (o->id) {
    case OPT_CASES: a->cases = value; break;
    case OPT_DOC: a->doc = 1; break;
    case OPT_HELP: a->help = 1; break;
    case OPT_OUTPUT:
        if (strcmp(value, "json") == 0)
            a->json = 1;
        else if (strcmp(value, "text") != 0) {
            fprintf(stderr, "kubeharden rules: unknown output format '%s' (use text or json)\n",
                    value);
            return CLI_EXIT_ERROR;
        }
        break;
    }
    return 0;
}

static void list_text(void)
{
    int width = 2;
    for (size_t i = 0; i < kh_rule_count(); i++) {
        int n = (int)strlen(kh_rule_at(i)->id);
        width = n > width ? n : width;
    }
    printf("%-*s  %-9s %-9s %s\n", width, "ID", "AREA", "SEVERITY", "TITLE");
    for (size_t i = 0; i < kh_rule_count(); i++) {
        const kh_rule_info *r = kh_rule_at(i);
        printf("%-*s  %-9s %-9s %s\n", width, r->id, kh_area_name(r->area),
               kh_severity_name(r->severity), r->title);
    }
}

/* A full disk or a closed stdout is caught by main (cli_finish) for every
 * command; --doc also says which output failed. */
int cmd_rules(int argc, char **argv)
{
    struct rules_args a = {0};
    int status = cli_parse("rules", options, NOPTIONS, argc, argv, on_option, &a);
    if (status)
        return status;
    if (a.help) {
        fputs("Usage: kubeharden rules [OPTIONS]\n\nList every rule kubeharden checks.\n\n",
              stdout);
        cli_print_options(stdout, options, NOPTIONS);
        fputs("\nExamples:\n  kubeharden rules\n"
              "  kubeharden rules --doc --cases tests/cases > docs/rules.md\n",
              stdout);
        cli_print_exit_codes(stdout, 0);
        return CLI_EXIT_OK;
    }
    if (a.doc) {
        if (cli_rules_doc(stdout, a.cases) != 0) {
            fputs("kubeharden rules: cannot write the rule documentation\n", stderr);
            return CLI_EXIT_ERROR;
        }
        return CLI_EXIT_OK;
    }
    if (a.json) {
        kh_error err = {0};
        if (kh_rules_write_json(stdout, &err)) {
            fprintf(stderr, "kubeharden rules: %s\n", err.message);
            return CLI_EXIT_ERROR;
        }
        return CLI_EXIT_OK;
    }
    list_text();
    return CLI_EXIT_OK;
}
