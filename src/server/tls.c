/*
 * tls.c -- the server's certificate, key and TLS policy, with reload.
 *
 * libmicrohttpd asks for the certificate on every handshake through a
 * GnuTLS retrieve callback (MHD_OPTION_HTTPS_CERT_CALLBACK), which reads
 * one atomic pointer to the current chain and key. The main thread stats
 * the files every second; when one changed (cert-manager writes new ones,
 * a Secret volume swaps its symlink), the pair is loaded and checked, then
 * swapped in. A replaced pair may still be in use by a handshake on a
 * worker thread, so it is kept until the server stops (rotations are rare;
 * a pair is a few KiB). A pair that fails to load is logged and the old
 * one stays.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gnutls/x509.h>
#include <gnutls/abstract.h>

#include "server.h"

#define MAX_PEM_BYTES (1u << 20)
#define MAX_CHAIN 16

struct cred {
    gnutls_pcert_st pcerts[MAX_CHAIN];
    unsigned npcerts;
    gnutls_privkey_t key;
    int64_t expiry;
    struct cred *retired_next;
};

struct file_sig {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct kh_tls {
    const char *cert_file, *key_file;
    struct file_sig cert_sig, key_sig;
    const char *priorities;
    char *client_ca;
    struct cred *retired;
};

/* The one the handshakes use; the callback has no user pointer of its own. */
static _Atomic(struct cred *) current;

/* Modern AEAD ciphers with forward secrecy only; the server's order wins. */
static const char prio_tls12[] =
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE";
static const char prio_tls13[] =
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:%SERVER_PRECEDENCE";

static int read_pem(const char *path, const char *what, char **out, size_t *len, char *why,
                    size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, n, "cannot read %s '%s': %s", what, path, strerror(errno));
        return -1;
    }
    char *buf = malloc(MAX_PEM_BYTES + 1);
    size_t got = buf ? fread(buf, 1, MAX_PEM_BYTES + 1, f) : 0;
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad || got > MAX_PEM_BYTES || got == 0) {
        snprintf(why, n, "%s '%s' is %s", what, path,
                 !buf ? "too big for memory" : bad ? "unreadable"
                 : got == 0 ? "empty" : "larger than 1 MiB");
        free(buf);
        return -1;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}

static int sig_of(const char *path, struct file_sig *s)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->size = st.st_size;
    s->mtime = st.st_mtim;
    return 0;
}

static int sig_eq(const struct file_sig *a, const struct file_sig *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static void cred_free(struct cred *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->npcerts; i++)
        gnutls_pcert_deinit(&c->pcerts[i]);
    if (c->key)
        gnutls_privkey_deinit(c->key);
    free(c);
}

/* Load and check a certificate chain and its key. */
static struct cred *cred_load(const char *cert_file, const char *key_file, char *why, size_t n)
{
    char *cert_pem = NULL, *key_pem = NULL;
    size_t cert_len = 0, key_len = 0;
    struct cred *c = NULL;
    gnutls_certificate_credentials_t check = NULL;
    gnutls_x509_crt_t leaf = NULL;
    int rc;

    if (read_pem(cert_file, "certificate", &cert_pem, &cert_len, why, n) ||
        read_pem(key_file, "private key", &key_pem, &key_len, why, n))
        goto fail;
    gnutls_datum_t cd = {(unsigned char *)cert_pem, (unsigned)cert_len};
    gnutls_datum_t kd = {(unsigned char *)key_pem, (unsigned)key_len};

    /* GnuTLS's own loader parses both and checks that the key matches. */
    if (gnutls_certificate_allocate_credentials(&check) < 0) {
        snprintf(why, n, "out of memory");
        goto fail;
    }
    rc = gnutls_certificate_set_x509_key_mem2(check, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0) {
        snprintf(why, n, "certificate '%s' and private key '%s' cannot be used: %s", cert_file,
                 key_file, gnutls_strerror(rc));
        goto fail;
    }

    c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(why, n, "out of memory");
        goto fail;
    }
    c->npcerts = MAX_CHAIN;
    rc = gnutls_pcert_list_import_x509_raw(c->pcerts, &c->npcerts, &cd, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0 || c->npcerts == 0) {
        c->npcerts = 0;
        snprintf(why, n, "certificate '%s': %s", cert_file,
                 rc < 0 ? gnutls_strerror(rc) : "no certificate");
        goto fail;
    }
    if ((rc = gnutls_privkey_init(&c->key)) < 0 ||
        (rc = gnutls_privkey_import_x509_raw(c->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        snprintf(why, n, "private key '%s': %s", key_file, gnutls_strerror(rc));
        goto fail;
    }
    if (gnutls_x509_crt_init(&leaf) < 0 ||
        gnutls_x509_crt_import(leaf, &c->pcerts[0].cert, GNUTLS_X509_FMT_DER) < 0) {
        snprintf(why, n, "certificate '%s': cannot read its expiry", cert_file);
        goto fail;
    }
    c->expiry = (int64_t)gnutls_x509_crt_get_expiration_time(leaf);
    gnutls_x509_crt_deinit(leaf);
    gnutls_certificate_free_credentials(check);
    free(cert_pem);
    free(key_pem);
    return c;

fail:
    if (leaf)
        gnutls_x509_crt_deinit(leaf);
    if (check)
        gnutls_certificate_free_credentials(check);
    cred_free(c);
    free(cert_pem);
    free(key_pem);
    return NULL;
}

static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                    gnutls_pcert_st **pcert, unsigned int *pcert_length,
                    gnutls_privkey_t *privkey)
{
    (void)session, (void)req_ca_rdn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
    struct cred *c = atomic_load_explicit(&current, memory_order_acquire);
    if (!c)
        return -1;
    *pcert = c->pcerts;
    *pcert_length = c->npcerts;
    *privkey = c->key;
    return 0;
}

gnutls_certificate_retrieve_function2 *kh_tls__cert_callback(void)
{
    return retrieve;
}

void kh_tls__require_client_cert(gnutls_session_t session)
{
    /* libmicrohttpd only requests one (GNUTLS_CERT_REQUEST) when given a
     * trust list; require it and let GnuTLS verify it during the handshake,
     * so a client without a valid certificate never gets to send a request.
     * The certificate must be meant for clients (extended key usage
     * clientAuth), as Go's RequireAndVerifyClientCert checks. */
    static gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                            (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_verify_cert2(session, &purpose, 1, 0);
}

int kh_tls__new(struct kh_tls **out, const struct kh_server_options *opts, char *why, size_t n)
{
    struct kh_tls *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    t->cert_file = opts->cert_file;
    t->key_file = opts->key_file;
    t->priorities = opts->tls13_only ? prio_tls13 : prio_tls12;

    gnutls_priority_t prio;
    const char *at = NULL;
    if (gnutls_priority_init(&prio, t->priorities, &at) < 0) {
        snprintf(why, n, "this GnuTLS rejects the priority string at '%s'", at ? at : "");
        goto fail;
    }
    gnutls_priority_deinit(prio);

    /* A file that cannot be stat'ed cannot be read either: cred_load says which. */
    (void)sig_of(t->cert_file, &t->cert_sig);
    (void)sig_of(t->key_file, &t->key_sig);
    struct cred *c = cred_load(t->cert_file, t->key_file, why, n);
    if (!c)
        goto fail;
    atomic_store_explicit(&current, c, memory_order_release);

    if (opts->client_ca_file) {
        size_t len;
        gnutls_x509_crt_t *list = NULL;
        unsigned count = 0;
        if (read_pem(opts->client_ca_file, "client CA file", &t->client_ca, &len, why, n))
            goto fail;
        gnutls_datum_t d = {(unsigned char *)t->client_ca, (unsigned)len};
        int rc = gnutls_x509_crt_list_import2(&list, &count, &d, GNUTLS_X509_FMT_PEM, 0);
        for (unsigned i = 0; rc >= 0 && i < count; i++)
            gnutls_x509_crt_deinit(list[i]);
        gnutls_free(list);
        if (rc < 0 || count == 0) {
            snprintf(why, n, "client CA file '%s': %s", opts->client_ca_file,
                     rc < 0 ? gnutls_strerror(rc) : "no certificate");
            goto fail;
        }
    }
    *out = t;
    return 0;
fail:
    kh_tls__free(t);
    return -1;
}

const char *kh_tls__priorities(const struct kh_tls *t)
{
    return t->priorities;
}

const char *kh_tls__client_ca(const struct kh_tls *t)
{
    return t->client_ca;
}

int kh_tls__maybe_reload(struct kh_tls *t, int force, char *why, size_t n)
{
    struct file_sig cs, ks;
    if (sig_of(t->cert_file, &cs) || sig_of(t->key_file, &ks)) {
        /* Mid-rotation (a file replaced by rename) or gone: keep serving
         * the old pair, try again on the next tick. */
        if (!force)
            return 0;
        memset(&cs, 0, sizeof(cs));
        memset(&ks, 0, sizeof(ks));
    }
    if (!force && sig_eq(&cs, &t->cert_sig) && sig_eq(&ks, &t->key_sig))
        return 0;
    t->cert_sig = cs;
    t->key_sig = ks;
    struct cred *c = cred_load(t->cert_file, t->key_file, why, n);
    if (!c)
        return -1;
    struct cred *old = atomic_exchange_explicit(&current, c, memory_order_acq_rel);
    if (old) {
        old->retired_next = t->retired;
        t->retired = old;
    }
    return 1;
}

int64_t kh_tls__expiry(const struct kh_tls *t)
{
    (void)t;
    struct cred *c = atomic_load_explicit(&current, memory_order_acquire);
    return c ? c->expiry : 0;
}

void kh_tls__free(struct kh_tls *t)
{
    if (!t)
        return;
    cred_free(atomic_exchange(&current, NULL));
    while (t->retired) {
        struct cred *next = t->retired->retired_next;
        cred_free(t->retired);
        t->retired = next;
    }
    free(t->client_ca);
    free(t);
}
