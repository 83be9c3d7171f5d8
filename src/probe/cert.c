/*
 * cert.c -- what the probe reports about a server's certificate: subject,
 * issuer, validity, subject alternative names, and whether it is
 * self-signed. Nothing is verified against a trust store (the probe has
 * none: it reports what any client is shown). "Self-signed" is the leaf
 * whose issuer is its own subject and whose signature its own key
 * verifies; a kubelet that generated its own serving certificate
 * (client-go's cert.GenerateSelfSignedCertKey, used when no
 * --tls-cert-file is given) signs it with a throw-away CA named
 * "<host>-ca@<unix time>", which is recognised by that name.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "probe/internal.h"

/* The value of CN= in an RFC 4514 DN string, or "" */
static void common_name(const char *dn, char *out, size_t size)
{
    const char *p = strstr(dn, "CN=");
    while (p && p != dn && p[-1] != ',')
        p = strstr(p + 1, "CN=");
    out[0] = '\0';
    if (!p)
        return;
    p += 3;
    size_t n = 0;
    while (p[n] && !(p[n] == ',' && (n == 0 || p[n - 1] != '\\')))
        n++;
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* "HOST-ca@DIGITS", as client-go names the CA of a self-generated pair */
static int is_kubelet_ca(const char *cn)
{
    const char *at = strrchr(cn, '@');
    if (!at || at - cn < 4 || memcmp(at - 3, "-ca", 3) != 0 || !at[1])
        return 0;
    for (const char *p = at + 1; *p; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return 1;
}

static void get_dn(gnutls_x509_crt_t crt, int issuer, char *out, size_t size)
{
    size_t n = size;
    int rc = issuer ? gnutls_x509_crt_get_issuer_dn(crt, out, &n)
                    : gnutls_x509_crt_get_dn(crt, out, &n);
    if (rc < 0)
        snprintf(out, size, "?");
}

static void get_sans(gnutls_x509_crt_t crt, char *out, size_t size)
{
    size_t at = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < 64; i++) {
        char name[256];
        size_t n = sizeof(name) - 1;
        int type = gnutls_x509_crt_get_subject_alt_name(crt, i, name, &n, NULL);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (type < 0)
            continue;
        char text[300];
        if (type == GNUTLS_SAN_DNSNAME) {
            name[n] = '\0';
            snprintf(text, sizeof(text), "DNS:%s", name);
        } else if (type == GNUTLS_SAN_IPADDRESS && (n == 4 || n == 16)) {
            char ip[64] = "";
            if (n == 4)
                snprintf(ip, sizeof(ip), "%u.%u.%u.%u", (unsigned char)name[0],
                         (unsigned char)name[1], (unsigned char)name[2], (unsigned char)name[3]);
            else
                for (int k = 0; k < 16; k += 2)
                    snprintf(ip + strlen(ip), sizeof(ip) - strlen(ip), "%s%x", k ? ":" : "",
                             ((unsigned char)name[k] << 8) | (unsigned char)name[k + 1]);
            snprintf(text, sizeof(text), "IP:%s", ip);
        } else {
            continue;
        }
        int w = snprintf(out + at, size - at, "%s%s", at ? "," : "", text);
        if (w < 0 || (size_t)w >= size - at) {
            out[at] = '\0';
            break;
        }
        at += (size_t)w;
    }
}

void kh_probe__cert_describe(const void *chain, unsigned n, kh_pr_cert *out)
{
    const gnutls_datum_t *certs = chain;
    gnutls_x509_crt_t crt;
    memset(out, 0, sizeof(*out));
    if (!n || gnutls_x509_crt_init(&crt) < 0)
        return;
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0) {
        gnutls_x509_crt_deinit(crt);
        return;
    }
    out->present = 1;
    get_dn(crt, 0, out->subject, sizeof(out->subject));
    get_dn(crt, 1, out->issuer, sizeof(out->issuer));
    out->not_before = gnutls_x509_crt_get_activation_time(crt);
    out->not_after = gnutls_x509_crt_get_expiration_time(crt);
    get_sans(crt, out->sans, sizeof(out->sans));
    if (gnutls_x509_crt_check_issuer(crt, crt)) {
        unsigned status = 0;
        /* its own key verifies it: self-signed, not just a matching name */
        if (gnutls_x509_crt_verify(crt, &crt, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
                                   GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &status) >= 0 &&
            !(status & GNUTLS_CERT_SIGNATURE_FAILURE))
            out->self_signed = 1;
    }
    char cn[256];
    common_name(out->issuer, cn, sizeof(cn));
    out->kubelet_self = is_kubelet_ca(cn);
    gnutls_x509_crt_deinit(crt);
}
