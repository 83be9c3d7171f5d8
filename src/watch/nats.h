/*
 * nats.h -- a minimal NATS client (nats.c) for the JetStream input of
 * `kubeharden watch --nats` and the nats:// sink: the wire parser (fuzzed
 * by fuzz/fuzz_nats.c), a connection and the sink's JetStream publish.
 */
#ifndef KH_WATCH_NATS_H
#define KH_WATCH_NATS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "kubeharden/watch.h"

/* ------------------------------------------------------------- parser */

#define KH_NATS_MAX_CONTROL 4096           /* the server's default max_control_line */
#define KH_NATS_MAX_PAYLOAD (64u << 20)    /* the server's hard limit on max_payload */

typedef enum kh_nats_op {
    KH_NATS_INFO, KH_NATS_MSG, KH_NATS_PING, KH_NATS_PONG, KH_NATS_OK, KH_NATS_ERR
} kh_nats_op;

/* One server frame; pointers into the parsed buffer. */
typedef struct kh_nats_frame {
    kh_nats_op op;
    const char *subject, *reply;  /* MSG/HMSG; reply "" when none */
    size_t subject_len, reply_len;
    uint64_t sid;
    const char *hdr;              /* HMSG: the header block ("NATS/1.0..." to CRLF CRLF) */
    size_t hdr_len;
    const char *data;             /* payload; INFO's JSON; -ERR's text */
    size_t data_len;
    int status;                   /* HMSG "NATS/1.0 503": 503; 0 without a status */
    const char *status_text;      /* "No Messages", "" when none */
    size_t status_text_len;
} kh_nats_frame;

/* Parse one frame at the start of @p buf: the bytes it takes (> 0), 0 when
 * more input is needed, or -1 for a protocol error (never reads past len). */
long kh_nats__parse(const char *buf, size_t len, kh_nats_frame *f);

/* A header's value in an HMSG frame (the first line whose key matches
 * @p key exactly); 1 found, 0 not. */
int kh_nats__header(const kh_nats_frame *f, const char *key, const char **val, size_t *len);

/* --------------------------------------------------------- connection */

typedef struct kh_nats kh_nats;

/* Parse "nats://[USER:PASS@|TOKEN@]HOST:PORT[/SUBJECT]" (no connection is
 * made yet). @p want_subject: the sink's form, a subject is required.
 * @return 0, KH_EUSAGE or KH_ENOMEM. */
int kh_nats__open(kh_nats **out, const char *url, int want_subject, kh_error *err);
/* Connect now if not connected (INFO, CONNECT, PING/PONG, subscriptions). */
int kh_nats__connect(kh_nats *c, kh_error *err);
void kh_nats__close(kh_nats *c);

/* The sink's message for @p a: "ID\nJSON" (so a queued or spooled alert
 * keeps its id for the Nats-Msg-Id header); malloc'd, NULL without memory. */
char *kh_nats__alert_message(const kh_alert *a, size_t *len);
/* Publish a message from kh_nats__alert_message to the URL's subject and
 * wait (5 s) for JetStream's acknowledgement (a duplicate id counts as
 * stored). @return 0 or KH_EIO (the connection is dropped; the next call
 * reconnects). */
int kh_nats__publish_alert(kh_nats *c, const char *msg, size_t len, kh_error *err);

/* -------------------------------------------------------------- input */

/* The input, kh_watch_nats, is declared in kubeharden/watch.h. */

#endif
