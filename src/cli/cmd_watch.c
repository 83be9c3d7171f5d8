/*
 * cmd_watch.c -- `kubeharden watch [--follow] FILE|-`: detection over the
 * API server's audit log.
 *
 * The library (kubeharden/watch.h) reads the events line by line, runs the
 * audit.* rules and folds storms; each alert goes to every --sink (JSON
 * lines on stdout by default). Without --follow the file is read to its end
 * and the exit status says whether an alert reached --fail-on (batch
 * audits, tests); with --follow it runs until SIGINT or SIGTERM, across
 * rotations. Malformed lines are reported on stderr as file:line:col and
 * reading goes on.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kubeharden/watch.h"

enum {
    OPT_CONFIG, OPT_FAIL_ON, OPT_FOLLOW, OPT_HELP, OPT_NO_CONFIG, OPT_POLL, OPT_RULE, OPT_SINK
};

/* Sorted by long name. */
static const struct cli_option options[] = {
    {"config", ' ', "FILE", "configuration file (default: .kubeharden.yaml found upwards)", OPT_CONFIG},
    {"fail-on", ' ', "SEVERITY", "exit 1 when an alert is at least this severe (default low; never: always 0)", OPT_FAIL_ON},
    {"follow", 'f', NULL, "keep reading as the file grows, across rotation, until SIGINT/SIGTERM", OPT_FOLLOW},
    {"help", 'h', NULL, "show this help", OPT_HELP},
    {"no-config", ' ', NULL, "ignore any .kubeharden.yaml", OPT_NO_CONFIG},
    {"poll-interval", ' ', "MS", "with --follow: how often to look for more (default 250)", OPT_POLL},
    {"rule", ' ', "ID", "run only this rule (repeatable)", OPT_RULE},
    {"sink", 's', "SINK", "-, file:PATH, syslog+udp://HOST:PORT or syslog+tcp://HOST:PORT (repeatable; default -)", OPT_SINK},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

struct watch_args {
    const char *config, *path;
    const char **rules, **sinks;
    size_t nrules, nsinks;
    int follow, help, no_config, never;
    unsigned poll_ms;
    kh_severity fail_on;
};

struct watch_run {
    kh_sink **sinks;
    size_t nsinks;
    kh_severity fail_on;
    int never, hit;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void help(void)
{
    fputs("Usage: kubeharden watch [OPTIONS] FILE|-\n\n"
          "Read Kubernetes audit events (audit.k8s.io/v1 Event, one JSON object per line,\n"
          "or EventList batches) from FILE or standard input, run the audit.* rules and\n"
          "send an alert per detection to each sink as one JSON object per line or as\n"
          "RFC 5424 syslog. Repeated alerts of one rule and subject are folded into few\n"
          "alerts with counts (watch.dedup). Thresholds, exceptions and severities come\n"
          "from the configuration's watch: section (docs/watch.md).\n\nOptions:\n",
          stdout);
    cli_print_options(stdout, options, NOPTIONS);
    cli_print_exit_codes(stdout, 1);
}

static int on_option(const struct cli_option *o, const char *value, void *ud)
{
    struct watch_args *a = ud;
    if (!o) {
        if (a->path) {
            fprintf(stderr, "kubeharden watch: one input only ('%s' and '%s')\n", a->path,
                    value);
            return CLI_EXIT_ERROR;
        }
        a->path = value;
        return 0;
    }
    char *end;
    switch (o->id) {
    case OPT_CONFIG: a->config = value; break;
    case OPT_FAIL_ON:
        if (strcmp(value, "never") == 0) {
            a->never = 1;
        } else if (kh_severity_parse(&a->fail_on, value) != KH_OK) {
            fprintf(stderr, "kubeharden watch: unknown severity '%s' "
                            "(use info, low, medium, high, critical or never)\n", value);
            return CLI_EXIT_ERROR;
        }
        break;
    case OPT_FOLLOW: a->follow = 1; break;
    case OPT_HELP: a->help = 1; break;
    case OPT_NO_CONFIG: a->no_config = 1; break;
    case OPT_POLL: {
        long n = strtol(value, &end, 10);
        if (!*value || *end || n < 10 || n > 60000) {
            fprintf(stderr, "kubeharden watch: bad --poll-interval '%s' (use 10-60000)\n", value);
            return CLI_EXIT_ERROR;
        }
        a->poll_ms = (unsigned)n;
        break;
    }
    case OPT_RULE: return cli_push(&a->rules, &a->nrules, value);
    case OPT_SINK: return cli_push(&a->sinks, &a->nsinks, value);
    }
    return 0;
}

static int on_alert(const kh_alert *al, void *ud)
{
    struct watch_run *r = ud;
    for (size_t i = 0; i < r->nsinks; i++)
        kh_sink_alert_cb(al, r->sinks[i]);
    if (!r->never && al->severity >= r->fail_on)
        r->hit = 1;
    return 0;
}

static int on_error(const kh_finding *f, void *ud)
{
    (void)ud;
    fprintf(stderr, "%s:%u:%u: error: %s\n", f->file, f->line, f->col, f->message);
    return 0;
}

static kh_config *load_config(const struct watch_args *a)
{
    kh_config *cfg = NULL;
    kh_error err = {0};
    char *found = NULL;
    int rc;
    if (a->config)
        rc = kh_config_load(&cfg, a->config, &err);
    else if (!a->no_config && kh_config_discover(&found, ".") == KH_OK)
        rc = kh_config_load(&cfg, found, &err);
    else
        rc = kh_config_new(&cfg, &err);
    for (size_t i = 0; rc == KH_OK && i < a->nrules; i++) {
        const kh_rule_info *r = kh_rule_find(a->rules[i]);
        if (!r || r->area != KH_AREA_AUDIT) {
            fprintf(stderr, "kubeharden watch: unknown audit rule '%s'\n", a->rules[i]);
            free(found);
            kh_config_free(cfg);
            return NULL;
        }
        rc = kh_config_only_rule(cfg, a->rules[i], &err);
    }
    free(found);
    if (rc != KH_OK) {
        char msg[512];
        kh_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "kubeharden watch: %s\n", msg);
        kh_config_free(cfg);
        return NULL;
    }
    return cfg;
}

int cmd_watch(int argc, char **argv)
{
    struct watch_args a = {.fail_on = KH_SEVERITY_LOW};
    int rc = cli_parse("watch", options, NOPTIONS, argc, argv, on_option, &a);
    if (rc == 0 && a.help) {
        help();
        goto done;
    }
    if (rc == 0 && !a.path) {
        fputs("kubeharden watch: missing FILE (or - for standard input)\n", stderr);
        rc = CLI_EXIT_ERROR;
    }
    if (rc)
        goto done;
    kh_config *cfg = load_config(&a);
    if (!cfg) {
        rc = CLI_EXIT_ERROR;
        goto done;
    }
    static const char *const default_sink[] = {"-"};
    const char *const *specs = a.nsinks ? a.sinks : default_sink;
    size_t nspecs = a.nsinks ? a.nsinks : 1;
    struct watch_run run = {.fail_on = a.fail_on, .never = a.never};
    run.sinks = calloc(nspecs, sizeof(*run.sinks));
    kh_error err = {0};
    for (size_t i = 0; run.sinks && i < nspecs && rc == 0; i++, run.nsinks++)
        if (kh_sink_open(&run.sinks[i], specs[i], &err) != KH_OK) {
            fprintf(stderr, "kubeharden watch: %s\n", err.message);
            rc = CLI_EXIT_ERROR;
        }
    kh_watch *w = NULL;
    if (!run.sinks)
        rc = CLI_EXIT_ERROR;
    if (rc == 0 && kh_watch_new(&w, cfg, on_alert, &run, on_error, NULL, &err) != KH_OK) {
        fprintf(stderr, "kubeharden watch: %s\n", err.message);
        rc = CLI_EXIT_ERROR;
    }
    if (rc == 0) {
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if (kh_watch_path(w, a.path, a.follow, a.poll_ms, &stop_flag, &err) != KH_OK) {
            fprintf(stderr, "kubeharden watch: %s\n", err.message);
            rc = CLI_EXIT_ERROR;
        }
        kh_watch_flush(w);
        kh_watch_stats st;
        kh_watch_get_stats(w, &st);
        if (rc == 0 && st.errors)
            rc = CLI_EXIT_ERROR;
        else if (rc == 0 && run.hit)
            rc = CLI_EXIT_FINDINGS;
    }
    kh_watch_free(w);
    for (size_t i = 0; i < run.nsinks; i++)
        kh_sink_close(run.sinks[i]);
    free(run.sinks);
    kh_config_free(cfg);
done:
    free(a.rules);
    free(a.sinks);
    return rc;
}
