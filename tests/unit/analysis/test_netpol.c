/*
 * test_netpol.c -- NetworkPolicy semantics, one test per corner case of
 * the API's definition (pkg/apis/networking types, defaults and
 * validation; kube-network-policies' evaluation): selection, policyTypes
 * defaults, isolation per direction, peers, ipBlock CIDR math, ports, and
 * the matrix agreeing with can-reach on every pair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/netpol.h"
#include "kubeharden/netpol.h"
#include "scan/cluster.h"

/* Two namespaces: shop (web, api, db) and ops (prom); each test appends
 * its policies. */
static const char base[] =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: ops, labels: {team: ops}}\n---\n"
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
    "spec:\n  template:\n    metadata: {labels: {app: web, version: 1}}\n"
    "    spec:\n      containers:\n      - name: c\n        ports:\n"
    "        - {name: http, containerPort: 8080}\n---\n"
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
    "spec:\n  template:\n    metadata: {labels: {app: api}}\n"
    "    spec:\n      containers:\n      - name: c\n        ports:\n"
    "        - {name: http, containerPort: 9000}\n"
    "        - {name: dns, containerPort: 53, protocol: UDP}\n---\n"
    "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: shop, labels: {app: db}}\n"
    "spec:\n  containers:\n  - name: c\n    ports: [{name: pg, containerPort: 5432}]\n---\n"
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: prom, namespace: ops}\n"
    "spec:\n  template:\n    metadata: {labels: {app: prom}}\n"
    "    spec: {containers: [{name: c}]}\n";

typedef struct world {
    kh_cluster *c;
    kh_netpol *np;
} world;

static world load(const char *policies)
{
    world w = {0};
    kh_error err = {0};
    size_t n = strlen(base) + strlen(policies) + 8;
    char *buf = malloc(n);
    assert_non_null(buf);
    snprintf(buf, n, "%s---\n%s", base, policies);
    assert_int_equal(kh_cluster_new_area(&w.c, KH_AREA_NETPOL, NULL, NULL, &err), KH_OK);
    assert_int_equal(kh_cluster_load_buffer(w.c, buf, strlen(buf), "t.yaml", &err), KH_OK);
    free(buf);
    assert_int_equal(kh_cluster_errors(w.c), 0);
    assert_int_equal(kh_netpol_load(&w.np, w.c, &err), KH_OK);
    return w;
}

/* Can @p src reach @p dst on @p port (NULL: any)? */
static bool reach(world *w, const char *src, const char *dst, const char *port)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    bool yes = false;
    kh_error err = {0};
    int rc = kh_netpol_can_reach(w->np, src, dst, port, f, &yes, &err);
    fclose(f);
    if (rc != KH_OK)
        fail_msg("can-reach %s %s: %s", src, dst, err.message);
    free(text);
    return yes;
}

static void done(world *w)
{
    kh_cluster_free(w->c);
}

#define POLICY(ns, name) \
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " name \
    ", namespace: " ns "}\n"

static void test_netpol__no_policy_allows_everything(void **state)
{
    (void)state;
    world w = load("");
    assert_true(reach(&w, "shop/web", "shop/db", "5432"));
    assert_true(reach(&w, "shop/db", "ops/prom", "1/SCTP"));
    assert_true(reach(&w, "203.0.113.1", "shop/api", NULL));
    done(&w);
}

static void test_netpol__empty_pod_selector_selects_all_in_namespace(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "deny") "spec: {podSelector: {}}\n");
    assert_false(reach(&w, "ops/prom", "shop/web", NULL));
    assert_false(reach(&w, "ops/prom", "shop/api", NULL));
    assert_false(reach(&w, "ops/prom", "shop/db", NULL));
    assert_true(reach(&w, "shop/web", "ops/prom", NULL)); /* other namespace untouched */
    done(&w);
}

static void test_netpol__missing_pod_selector_is_empty(void **state)
{
    (void)state;
    /* podSelector is not a pointer: absent decodes as {} (all pods). */
    world w = load(POLICY("shop", "deny") "spec: {policyTypes: [Ingress]}\n");
    assert_false(reach(&w, "ops/prom", "shop/db", NULL));
    done(&w);
}

static void test_netpol__policy_types_default_ingress_only(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "in") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
                   "  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]\n");
    assert_true(reach(&w, "shop/api", "shop/db", "5432"));
    assert_false(reach(&w, "shop/web", "shop/db", "5432"));
    assert_true(reach(&w, "shop/db", "ops/prom", "80")); /* egress not isolated */
    done(&w);
}

static void test_netpol__policy_types_default_egress_when_rules(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "out") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
                   "  egress: [{to: [{podSelector: {matchLabels: {app: api}}}]}]\n");
    assert_false(reach(&w, "shop/db", "ops/prom", "80"));
    assert_true(reach(&w, "shop/db", "shop/api", "9000"));
    assert_false(reach(&w, "ops/prom", "shop/db", "5432")); /* Ingress is always a type */
    done(&w);
}

static void test_netpol__empty_egress_list_adds_no_egress_type(void **state)
{
    (void)state;
    /* SetDefaults_NetworkPolicy adds Egress only when len(egress) > 0. */
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
                   "  ingress: [{}]\n  egress: []\n");
    assert_true(reach(&w, "shop/db", "ops/prom", "80"));
    done(&w);
}

static void test_netpol__explicit_egress_without_rules_denies_all(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
                   "  policyTypes: [Egress]\n");
    assert_false(reach(&w, "shop/db", "ops/prom", NULL));
    assert_false(reach(&w, "shop/db", "8.8.8.8", NULL));
    assert_true(reach(&w, "ops/prom", "shop/db", NULL)); /* ingress not isolated */
    done(&w);
}

static void test_netpol__rules_of_a_type_not_listed_are_ignored(void **state)
{
    (void)state;
    /* policyTypes [Ingress]: its egress rules do not isolate or allow. */
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
                   "  policyTypes: [Ingress]\n  ingress: [{}]\n"
                   "  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}]\n");
    assert_true(reach(&w, "shop/db", "8.8.8.8", "443"));
    done(&w);
}

static void test_netpol__union_of_policies(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "a") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
                   "  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]\n---\n"
                   POLICY("shop", "b") "spec:\n  podSelector: {}\n"
                   "  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], "
                   "ports: [{port: 5432}]}]\n");
    assert_true(reach(&w, "shop/api", "shop/db", "1234"));
    assert_true(reach(&w, "shop/web", "shop/db", "5432"));
    assert_false(reach(&w, "shop/web", "shop/db", "1234"));
    done(&w);
}

static void test_netpol__pod_selector_peer_is_own_namespace(void **state)
{
    (void)state;
    world w = load(POLICY("ops", "p") "spec:\n  podSelector: {}\n"
                   "  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]\n");
    assert_false(reach(&w, "shop/web", "ops/prom", NULL)); /* web is in shop, not ops */
    done(&w);
}

static void test_netpol__same_peer_text_in_two_namespaces(void **state)
{
    (void)state;
    /* Peers are resolved once per distinct text, but a bare podSelector
     * means the pods of each policy's own namespace. */
    world w = load(POLICY("ops", "p") "spec:\n  podSelector: {}\n"
                   "  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]\n---\n"
                   POLICY("shop", "p") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
                   "  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]\n");
    assert_false(reach(&w, "shop/web", "ops/prom", NULL));
    assert_true(reach(&w, "shop/web", "shop/db", NULL));
    done(&w);
}

static void test_netpol__namespace_and_pod_selector_in_one_peer_is_and(void **state)
{
    (void)state;
    world w = load(POLICY("ops", "p") "spec:\n  podSelector: {}\n  ingress:\n"
                   "  - from:\n    - namespaceSelector: {matchLabels: "
                   "{kubernetes.io/metadata.name: shop}}\n"
                   "      podSelector: {matchLabels: {app: web}}\n");
    assert_true(reach(&w, "shop/web", "ops/prom", NULL));
    assert_false(reach(&w, "shop/api", "ops/prom", NULL));
    done(&w);
}

static void test_netpol__two_peers_are_or(void **state)
{
    (void)state;
    world w = load(POLICY("ops", "p") "spec:\n  podSelector: {}\n  ingress:\n"
                   "  - from:\n    - namespaceSelector: {matchLabels: "
                   "{kubernetes.io/metadata.name: shop}}\n"
                   "    - podSelector: {matchLabels: {app: web}}\n");
    assert_true(reach(&w, "shop/web", "ops/prom", NULL));
    assert_true(reach(&w, "shop/api", "ops/prom", NULL)); /* every pod of shop */
    done(&w);
}

static void test_netpol__empty_namespace_selector_selects_all_namespaces(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
                   "  ingress: [{from: [{namespaceSelector: {}}]}]\n");
    assert_true(reach(&w, "ops/prom", "shop/db", NULL));
    assert_true(reach(&w, "shop/web", "shop/db", NULL));
    assert_false(reach(&w, "203.0.113.7", "shop/db", NULL)); /* not outside addresses */
    done(&w);
}

static void test_netpol__namespace_labels_and_automatic_name_label(void **state)
{
    (void)state;
    /* ops has a Namespace object with team=ops; shop has none, yet the
     * API server gives every namespace kubernetes.io/metadata.name. */
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
                   "  ingress: [{from: [{namespaceSelector: {matchLabels: {team: ops}}}]}]\n"
                   "---\n" POLICY("ops", "q") "spec:\n  podSelector: {}\n"
                   "  ingress: [{from: [{namespaceSelector: {matchExpressions: "
                   "[{key: kubernetes.io/metadata.name, operator: In, values: [shop]}]}}]}]\n");
    assert_true(reach(&w, "ops/prom", "shop/db", NULL));
    assert_false(reach(&w, "shop/web", "shop/db", NULL));
    assert_true(reach(&w, "shop/web", "ops/prom", NULL));
    done(&w);
}

static void test_netpol__from_missing_or_empty_admits_everything(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "a") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
                   "  ingress: [{ports: [{port: 5432}]}]\n---\n"
                   POLICY("shop", "b") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
                   "  ingress: [{from: [], ports: [{port: 9000}]}]\n");
    assert_true(reach(&w, "ops/prom", "shop/db", "5432"));
    assert_true(reach(&w, "198.51.100.1", "shop/db", "5432"));
    assert_false(reach(&w, "ops/prom", "shop/db", "5433"));
    assert_true(reach(&w, "2001:db8::1", "shop/api", "9000"));
    done(&w);
}

static void test_netpol__empty_rule_allows_all(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n  ingress: [{}]\n");
    assert_true(reach(&w, "ops/prom", "shop/db", "1/UDP"));
    done(&w);
}

static void test_netpol__empty_peer_is_invalid(void **state)
{
    (void)state;
    /* `from: [{}]`: ValidateNetworkPolicyPeer "must specify a peer"; the
     * API server never stores the policy, so it isolates nothing. */
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n  ingress: [{from: [{}]}]\n");
    assert_true(reach(&w, "ops/prom", "shop/db", NULL));
    done(&w);
}

static void test_netpol__ipblock_with_selector_is_invalid(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n"
                   "  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]\n");
    assert_true(reach(&w, "ops/prom", "shop/db", NULL));
    done(&w);
}

static void test_netpol__ipblock_except_ipv4(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n  ingress:\n"
                   "  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, "
                   "10.2.3.0/24]}}]\n");
    assert_true(reach(&w, "10.0.0.1", "shop/db", NULL));
    assert_false(reach(&w, "10.1.200.3", "shop/db", NULL));
    assert_true(reach(&w, "10.2.2.255", "shop/db", NULL));
    assert_false(reach(&w, "10.2.3.0", "shop/db", NULL));
    assert_false(reach(&w, "10.2.3.255", "shop/db", NULL));
    assert_true(reach(&w, "10.2.4.0", "shop/db", NULL));
    assert_true(reach(&w, "10.255.255.255", "shop/db", NULL));
    assert_false(reach(&w, "11.0.0.0", "shop/db", NULL));
    assert_false(reach(&w, "::ffff:10.0.0.1", "shop/db", NULL)); /* another family */
    done(&w);
}

static void test_netpol__ipblock_ipv6(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n  policyTypes: [Egress]\n"
                   "  egress:\n  - to: [{ipBlock: {cidr: '2001:db8::/32', except: "
                   "['2001:db8:ff::/48']}}]\n");
    assert_true(reach(&w, "shop/web", "2001:db8::1", NULL));
    assert_true(reach(&w, "shop/web", "2001:db8:fe:ffff:ffff:ffff:ffff:ffff", NULL));
    assert_false(reach(&w, "shop/web", "2001:db8:ff::1", NULL));
    assert_true(reach(&w, "shop/web", "2001:db8:100::", NULL));
    assert_false(reach(&w, "shop/web", "2001:db9::", NULL));
    assert_false(reach(&w, "shop/web", "10.0.0.1", NULL));
    done(&w);
}

static void test_netpol__except_not_strict_subset_is_invalid(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n"
                   "  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}}]}]\n");
    assert_true(reach(&w, "ops/prom", "shop/db", NULL)); /* refused: not isolated */
    done(&w);
}

static void test_netpol__protocol_defaults_to_tcp(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n"
                   "  ingress: [{ports: [{port: 53}]}]\n");
    assert_true(reach(&w, "ops/prom", "shop/api", "53/TCP"));
    assert_false(reach(&w, "ops/prom", "shop/api", "53/UDP"));
    done(&w);
}

static void test_netpol__udp_sctp_and_protocol_without_port(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n"
                   "  ingress: [{ports: [{port: 53, protocol: UDP}, {protocol: SCTP}]}]\n");
    assert_true(reach(&w, "ops/prom", "shop/api", "53/UDP"));
    assert_false(reach(&w, "ops/prom", "shop/api", "54/UDP"));
    assert_true(reach(&w, "ops/prom", "shop/api", "1/SCTP"));
    assert_true(reach(&w, "ops/prom", "shop/api", "65535/SCTP"));
    assert_false(reach(&w, "ops/prom", "shop/api", "80/TCP"));
    done(&w);
}

static void test_netpol__end_port_range(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n"
                   "  ingress: [{ports: [{port: 8000, endPort: 8080}]}]\n");
    assert_false(reach(&w, "ops/prom", "shop/web", "7999"));
    assert_true(reach(&w, "ops/prom", "shop/web", "8000"));
    assert_true(reach(&w, "ops/prom", "shop/web", "8080"));
    assert_false(reach(&w, "ops/prom", "shop/web", "8081"));
    done(&w);
}

static void test_netpol__end_port_with_named_port_is_invalid(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n"
                   "  ingress: [{ports: [{port: http, endPort: 9000}]}]\n");
    assert_true(reach(&w, "ops/prom", "shop/web", "1"));
    done(&w);
}

static void test_netpol__named_port_resolves_per_destination(void **state)
{
    (void)state;
    /* http is 8080 on web and 9000 on api. */
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n"
                   "  ingress: [{ports: [{port: http}]}]\n");
    assert_true(reach(&w, "ops/prom", "shop/web", "8080"));
    assert_false(reach(&w, "ops/prom", "shop/web", "9000"));
    assert_true(reach(&w, "ops/prom", "shop/api", "9000"));
    assert_false(reach(&w, "ops/prom", "shop/api", "8080"));
    assert_false(reach(&w, "ops/prom", "shop/db", NULL)); /* db has no port named http */
    done(&w);
}

static void test_netpol__named_port_protocol_must_match(void **state)
{
    (void)state;
    /* dns is UDP 53 on api: a TCP entry named dns resolves to nothing. */
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n"
                   "  ingress: [{ports: [{port: dns}]}]\n---\n"
                   POLICY("shop", "q") "spec:\n  podSelector: {}\n"
                   "  ingress: [{ports: [{port: dns, protocol: UDP}], from: [{namespaceSelector: "
                   "{matchLabels: {team: ops}}}]}]\n");
    assert_false(reach(&w, "shop/web", "shop/api", "53/TCP"));
    assert_false(reach(&w, "shop/web", "shop/api", "53/UDP"));
    assert_true(reach(&w, "ops/prom", "shop/api", "53/UDP"));
    done(&w);
}

static void test_netpol__named_port_in_egress_resolves_at_destination(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {matchLabels: {app: web}}\n"
                   "  egress: [{ports: [{port: http}]}]\n");
    assert_true(reach(&w, "shop/web", "shop/api", "9000"));
    assert_false(reach(&w, "shop/web", "shop/api", "8080"));
    assert_false(reach(&w, "shop/web", "8.8.8.8", "8080")); /* nothing outside has names */
    done(&w);
}

static void test_netpol__quoted_port_number_is_a_name(void **state)
{
    (void)state;
    /* port: "80" decodes as the string "80", an invalid port name. */
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {}\n"
                   "  ingress: [{ports: [{port: \"80\"}]}]\n");
    assert_true(reach(&w, "ops/prom", "shop/db", "1234")); /* refused: not isolated */
    done(&w);
}

static void test_netpol__label_values_compare_as_strings(void **state)
{
    (void)state;
    /* web's template has version: 1 (a YAML int); "1" selects it. */
    world w = load(POLICY("shop", "p") "spec:\n  podSelector: {matchLabels: {version: \"1\"}}\n"
                   "  policyTypes: [Ingress]\n");
    assert_false(reach(&w, "ops/prom", "shop/web", NULL));
    assert_true(reach(&w, "ops/prom", "shop/api", NULL));
    done(&w);
}

static void test_netpol__both_directions_must_allow(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "in") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
                   "  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]\n---\n"
                   POLICY("shop", "out") "spec:\n  podSelector: {matchLabels: {app: web}}\n"
                   "  policyTypes: [Egress]\n  egress: [{ports: [{port: 5432}]}]\n");
    assert_true(reach(&w, "shop/web", "shop/db", "5432"));
    assert_false(reach(&w, "shop/web", "shop/db", "5433")); /* egress stops it */
    assert_false(reach(&w, "shop/api", "shop/db", "5432")); /* ingress stops it */
    done(&w);
}

static void test_netpol__owned_pods_are_left_to_their_owner(void **state)
{
    (void)state;
    world w = load("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-abc\n  namespace: shop\n"
                   "  labels: {app: web}\n  ownerReferences: [{kind: Deployment, name: web, "
                   "controller: true, apiVersion: apps/v1, uid: x}]\n"
                   "spec: {containers: [{name: c}]}\n");
    kh_error err = {0};
    kh_netpol_stats st;
    assert_int_equal(kh_netpol_matrix(w.np, NULL, KH_NETPOL_TEXT, &st, &err), KH_OK);
    assert_int_equal(st.workloads, 4); /* web, api, db, prom: not web-abc */
    done(&w);
}

static void test_netpol__cidr_math(void **state)
{
    (void)state;
    np_range r;
    int bits;
    assert_int_equal(kh_netpol__parse_cidr("10.1.2.3/8", &r, &bits), 0);
    assert_true(r.lo == 0x0a000000u && r.hi == 0x0affffffu && bits == 8);
    assert_int_equal(kh_netpol__parse_cidr("0.0.0.0/0", &r, &bits), 0);
    assert_true(r.lo == 0 && r.hi == 0xffffffffu);
    assert_int_equal(kh_netpol__parse_cidr("::/0", &r, &bits), 0);
    assert_true(r.lo == 0 && r.hi == ~(unsigned __int128)0 && r.fam == 6);
    assert_int_equal(kh_netpol__parse_cidr("2001:db8::1/128", &r, &bits), 0);
    assert_true(r.lo == r.hi);
    assert_int_equal(kh_netpol__parse_cidr("10.0.0.0/33", &r, &bits), -1);
    assert_int_equal(kh_netpol__parse_cidr("10.0.0.0", &r, &bits), -1);
    assert_int_equal(kh_netpol__parse_cidr("10.0.0.0/", &r, &bits), -1);
    kh_arena a;
    kh_arena_init(&a, 0);
    np_range x = {.fam = 4, .lo = 0x0a000000u, .hi = 0x0a00ffffu};
    assert_string_equal(kh_netpol__range_text(&a, &x), "10.0.0.0/16");
    x.hi = 0x0a00fffeu;
    assert_string_equal(kh_netpol__range_text(&a, &x), "10.0.0.0-10.0.255.254");
    kh_arena_free(&a);
}

/* Can @p src reach @p dst, and what was said? */
static bool reach_text(world *w, const char *src, const char *dst, const char *port, char **text)
{
    size_t len = 0;
    FILE *f = open_memstream(text, &len);
    bool yes = false;
    kh_error err = {0};
    int rc = kh_netpol_can_reach(w->np, src, dst, port, f, &yes, &err);
    fclose(f);
    if (rc != KH_OK)
        fail_msg("can-reach %s %s: %s", src, dst, err.message);
    return yes;
}

static void test_netpol__service_target_port_resolves_per_backend(void **state)
{
    (void)state;
    /* Two backends of one Service whose targetPort names http: 9000 on
     * api, 9100 on api2; only 9100 is allowed in. */
    world w = load("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api2, namespace: shop}\n"
                   "spec:\n  template:\n    metadata: {labels: {app: api, v: \"2\"}}\n"
                   "    spec:\n      containers:\n      - name: c\n        ports:\n"
                   "        - {name: http, containerPort: 9100}\n---\n"
                   "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
                   "spec:\n  selector: {app: api}\n  ports: [{name: web, port: 80, targetPort: http}]\n"
                   "---\n" POLICY("shop", "p") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
                   "  ingress: [{ports: [{port: 9100}]}]\n");
    char *text = NULL;
    assert_true(reach_text(&w, "ops/prom", "shop/service/api", "80", &text));
    assert_non_null(strstr(text, "(1 of 2 backend ports reachable)"));
    assert_non_null(strstr(text, "-> backend shop/Deployment/api on TCP 9000"));
    assert_non_null(strstr(text, "-> backend shop/Deployment/api2 on TCP 9100"));
    free(text);
    assert_true(reach_text(&w, "ops/prom", "shop/svc/api", "web", &text)); /* by port name */
    free(text);
    done(&w);
}

/* The matrix (built per destination, rule by rule) says exactly what
 * can-reach (evaluated pair by pair) says, for every pair. */
static void test_netpol__matrix_agrees_with_can_reach(void **state)
{
    (void)state;
    world w = load(POLICY("shop", "deny") "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n"
                   "---\n" POLICY("shop", "web") "spec:\n  podSelector: {matchLabels: {app: web}}\n"
                   "  ingress: [{ports: [{port: http}]}]\n"
                   "  egress: [{to: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: http}]}]\n"
                   "---\n" POLICY("shop", "api") "spec:\n  podSelector: {matchLabels: {app: api}}\n"
                   "  ingress: [{from: [{podSelector: {}}, {namespaceSelector: {}}]}]\n"
                   "  egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}]\n"
                   "---\n" POLICY("ops", "prom") "spec:\n  podSelector: {}\n"
                   "  egress: [{to: [{namespaceSelector: {}}], ports: [{port: 9000}, {port: 5432}]}]\n");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    kh_error err = {0};
    assert_int_equal(kh_netpol_matrix(w.np, f, KH_NETPOL_TEXT, NULL, &err), KH_OK);
    fclose(f);
    const char *ids[] = {"shop/Deployment/web", "shop/Deployment/api", "shop/Pod/db",
                         "ops/Deployment/prom"};
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++) {
            if (i == j)
                continue;
            char line[128];
            snprintf(line, sizeof(line), "\n%s -> %s: ", ids[i], ids[j]);
            bool in_matrix = strstr(text, line) != NULL ||
                             strncmp(text, line + 1, strlen(line) - 1) == 0;
            assert_int_equal(in_matrix, reach(&w, ids[i], ids[j], NULL));
        }
    assert_non_null(strstr(text, "shop/Deployment/web -> shop/Deployment/api: TCP 9000\n"));
    assert_non_null(strstr(text, "ops/Deployment/prom -> shop/Deployment/api: TCP 5432,9000\n"));
    assert_null(strstr(text, "ops/Deployment/prom -> shop/Pod/db"));
    free(text);
    done(&w);
}

/* ------------------------------------------- upstream e2e truth tables */

/*
 * Scenarios of Kubernetes' own NetworkPolicy e2e suite
 * (test/e2e/network/netpol/network_policy.go): namespaces x, y, z; pods
 * labelled pod=<name> serving ports 80 and 81 on TCP, UDP and SCTP with
 * container port names serve-<port>-<proto>; the same pods and policies
 * (SetSpecIngressRules/SetSpecEgressRules also set policyTypes); the
 * expectations applied in upstream's order over a table that starts all
 * true, loopback ignored.
 */
typedef struct expect {
    const char *from_ns, *from_pod, *to_ns, *to_pod; /* NULL: any */
    bool allow;
} expect;

typedef struct scenario {
    const char *name;
    const char *pods;            /* "x/a x/b y/a" */
    const char *policies;
    const char *port;            /* "80/TCP" */
    expect exp[6];             /* applied in order, as upstream's Expect* calls */
    size_t nexp;
} scenario;

static bool peer_is(const char *ns, const char *pod, const char *want_ns, const char *want_pod)
{
    return (!want_ns || strcmp(ns, want_ns) == 0) && (!want_pod || strcmp(pod, want_pod) == 0);
}

static void run_scenario(const scenario *sc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    char pods[64];
    snprintf(pods, sizeof(pods), "%s", sc->pods);
    for (char *t = strtok(pods, " "); t; t = strtok(NULL, " "))
        fprintf(f, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: %c, namespace: %c, labels: "
                   "{pod: %c}}\nspec:\n  containers:\n  - name: c\n    ports:\n"
                   "    - {name: serve-80-tcp, containerPort: 80}\n"
                   "    - {name: serve-81-tcp, containerPort: 81}\n"
                   "    - {name: serve-80-udp, containerPort: 80, protocol: UDP}\n"
                   "    - {name: serve-81-udp, containerPort: 81, protocol: UDP}\n"
                   "    - {name: serve-80-sctp, containerPort: 80, protocol: SCTP}\n"
                   "    - {name: serve-81-sctp, containerPort: 81, protocol: SCTP}\n",
                t[2], t[0], t[2]);
    fprintf(f, "%s", sc->policies);
    fclose(f);
    world w = {0};
    kh_error err = {0};
    assert_int_equal(kh_cluster_new_area(&w.c, KH_AREA_NETPOL, NULL, NULL, &err), KH_OK);
    assert_int_equal(kh_cluster_load_buffer(w.c, buf, len, "e2e.yaml", &err), KH_OK);
    assert_int_equal(kh_cluster_errors(w.c), 0);
    assert_int_equal(kh_netpol_load(&w.np, w.c, &err), KH_OK);
    char from[64], to[64];
    snprintf(from, sizeof(from), "%s", sc->pods);
    size_t nf = 0;
    const char *list[9];
    for (char *t = strtok(from, " "); t && nf < 9; t = strtok(NULL, " "))
        list[nf++] = t;
    for (size_t i = 0; i < nf; i++)
        for (size_t j = 0; j < nf; j++) {
            if (i == j)
                continue; /* loopback: ignored upstream */
            char sns[2] = {list[i][0], 0}, spod[2] = {list[i][2], 0};
            char dns[2] = {list[j][0], 0}, dpod[2] = {list[j][2], 0};
            bool want = true;
            for (size_t k = 0; k < sc->nexp; k++) {
                const expect *e = &sc->exp[k];
                if (peer_is(sns, spod, e->from_ns, e->from_pod) &&
                    peer_is(dns, dpod, e->to_ns, e->to_pod))
                    want = e->allow;
            }
            snprintf(to, sizeof(to), "%s/%s", dns, dpod);
            char src[8];
            snprintf(src, sizeof(src), "%s/%s", sns, spod);
            bool got = reach(&w, src, to, sc->port);
            if (got != want)
                fail_msg("%s: %s -> %s on %s: got %s, upstream expects %s", sc->name, src, to,
                         sc->port, got ? "allowed" : "denied", want ? "allowed" : "denied");
        }
    done(&w);
    free(buf);
}

#define NP(ns, name) "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" \
    "metadata: {name: " name ", namespace: " ns "}\nspec:\n"
#define ANY NULL

static const scenario upstream[] = {
    {"should support a 'default-deny-ingress' policy", "x/a x/b y/a y/b",
     NP("x", "deny-ingress") "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress: []\n",
     "80/TCP", {{ANY, ANY, "x", ANY, false}}, 1},
    {"should support a 'default-deny-all' policy", "x/a x/b y/a",
     NP("x", "deny-all") "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
     "80/TCP", {{ANY, ANY, "x", ANY, false}, {"x", ANY, ANY, ANY, false}}, 2},
    {"should enforce policy to allow traffic from pods within server namespace based on "
     "PodSelector", "x/a x/b x/c y/a",
     NP("x", "x-a-allows-x-b") "  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n"
     "  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]\n",
     "80/TCP", {{ANY, ANY, "x", "a", false}, {"x", "b", "x", "a", true}}, 2},
    {"should enforce policy to allow ingress traffic for a target", "x/a x/b y/a",
     NP("x", "deny-all") "  podSelector: {}\n  policyTypes: [Ingress]\n"
     NP("x", "allow-all-to-a") "  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n"
     "  ingress: [{from: [{podSelector: {}, namespaceSelector: {}}]}]\n",
     "80/TCP", {{ANY, ANY, "x", "a", true}, {ANY, ANY, "x", "b", false}}, 2},
    {"should enforce policy to allow ingress traffic from pods in all namespaces",
     "x/a x/b y/a z/a",
     NP("x", "allow-from-another-ns") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchLabels: {}}}]}]\n",
     "80/TCP", {{0}}, 0},
    {"should enforce policy to allow traffic only from a different namespace, based on "
     "NamespaceSelector", "x/a x/b y/a z/a",
     NP("x", "allow-client-a-via-ns-selector") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: y}}}]}]\n",
     "80/TCP", {{"x", ANY, "x", "a", false}, {"z", ANY, "x", "a", false}}, 2},
    {"should enforce policy based on PodSelector with MatchExpressions", "x/a x/b y/a",
     NP("x", "x-a-allows-x-b") "  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n"
     "  ingress: [{from: [{podSelector: {matchExpressions: [{key: pod, operator: In, "
     "values: [b]}]}}]}]\n",
     "80/TCP", {{ANY, ANY, "x", "a", false}, {"x", "b", "x", "a", true}}, 2},
    {"should enforce policy based on NamespaceSelector with MatchExpressions", "x/a x/b y/a z/a",
     NP("x", "allow-ns-y-match-selector") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchExpressions: "
     "[{key: kubernetes.io/metadata.name, operator: In, values: [y]}]}}]}]\n",
     "80/TCP", {{"x", ANY, "x", "a", false}, {"z", ANY, "x", "a", false}}, 2},
    {"should enforce policy based on PodSelector or NamespaceSelector", "x/a x/b x/c y/a",
     NP("x", "allow-ns-y-match-selector") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress:\n  - from:\n"
     "    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, "
     "operator: NotIn, values: [x]}]}\n    - podSelector: {matchLabels: {pod: b}}\n",
     "80/TCP", {{"x", "a", "x", "a", false}, {"x", "c", "x", "a", false}}, 2},
    {"should enforce policy based on PodSelector and NamespaceSelector", "x/a x/b y/a y/b z/b",
     NP("x", "allow-ns-y-podselector-and-nsselector") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress:\n  - from:\n"
     "    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, "
     "operator: NotIn, values: [x]}]}\n      podSelector: {matchLabels: {pod: b}}\n",
     "80/TCP",
     {{ANY, ANY, "x", "a", false}, {"y", "b", "x", "a", true}, {"z", "b", "x", "a", true}}, 3},
    {"should enforce policy based on Multiple PodSelectors and NamespaceSelectors",
     "x/a x/b y/a y/b y/c",
     NP("x", "allow-ns-y-z-pod-b-c") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress:\n  - from:\n"
     "    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, "
     "operator: NotIn, values: [x]}]}\n      podSelector: {matchExpressions: [{key: pod, "
     "operator: In, values: [b, c]}]}\n",
     "80/TCP", {{"x", ANY, "x", "a", false}, {"y", "a", "x", "a", false}}, 2},
    {"should enforce policy based on any PodSelectors", "x/a x/b x/c",
     NP("x", "allow-ns-x-pod-b-c") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}, "
     "{podSelector: {matchLabels: {pod: c}}}]}]\n",
     "80/TCP",
     {{ANY, ANY, "x", "a", false}, {"x", "b", "x", "a", true}, {"x", "c", "x", "a", true}}, 3},
    {"should enforce policy to allow traffic only from a pod in a different namespace based on "
     "PodSelector and NamespaceSelector", "x/a x/b y/a y/b z/a",
     NP("x", "allow-ns-y-pod-a") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: y}}, podSelector: {matchLabels: {pod: a}}}]}]\n",
     "80/TCP", {{ANY, ANY, "x", "a", false}, {"y", "a", "x", "a", true}}, 2},
    {"should enforce policy based on Ports (81)", "x/a x/b y/a y/b z/a",
     NP("x", "allow-client-a-via-ns-selector") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: y}}}], ports: [{port: 81, protocol: TCP}]}]\n",
     "81/TCP",
     {{"x", ANY, "x", "a", false}, {"y", ANY, "x", "a", true}, {"z", ANY, "x", "a", false}}, 3},
    {"should enforce multiple, stacked policies with overlapping podSelectors (80 denied)",
     "x/a x/b y/a y/b z/a",
     NP("x", "allow-client-a-via-ns-selector") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: y}}}], ports: [{port: 81, protocol: TCP}]}]\n",
     "80/TCP", {{ANY, ANY, "x", "a", false}}, 1},
    {"should enforce multiple, stacked policies with overlapping podSelectors (80 unblocked)",
     "x/a x/b y/a y/b z/a",
     NP("x", "allow-client-a-via-ns-selector") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: y}}}], ports: [{port: 81, protocol: TCP}]}]\n"
     NP("x", "allow-client-a-via-ns-selector-80") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: y}}}], ports: [{port: 80, protocol: TCP}]}]\n",
     "80/TCP",
     {{"x", ANY, "x", "a", false}, {"y", ANY, "x", "a", true}, {"z", ANY, "x", "a", false}}, 3},
    {"should support allow-all policy", "x/a x/b y/a",
     NP("x", "allow-all") "  podSelector: {matchLabels: {}}\n  policyTypes: [Ingress]\n"
     "  ingress: [{}]\n",
     "81/TCP", {{0}}, 0},
    {"should allow ingress access on one named port (81 open)", "x/a x/b y/a",
     NP("x", "allow-all") "  podSelector: {}\n  policyTypes: [Ingress]\n"
     "  ingress: [{ports: [{port: serve-81-tcp}]}]\n",
     "81/TCP", {{0}}, 0},
    {"should allow ingress access on one named port (80 closed)", "x/a x/b y/a",
     NP("x", "allow-all") "  podSelector: {}\n  policyTypes: [Ingress]\n"
     "  ingress: [{ports: [{port: serve-81-tcp}]}]\n",
     "80/TCP", {{ANY, ANY, "x", ANY, false}}, 1},
    {"should allow ingress access from namespace on one named port (80)", "x/a x/b y/a z/a",
     NP("x", "allow-client-a-via-ns-selector-80") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: y}}}], ports: [{port: serve-80-tcp, protocol: TCP}]}]\n",
     "80/TCP", {{"x", ANY, "x", "a", false}, {"z", ANY, "x", "a", false}}, 2},
    {"should allow ingress access from namespace on one named port (81)", "x/a x/b y/a z/a",
     NP("x", "allow-client-a-via-ns-selector-80") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: y}}}], ports: [{port: serve-80-tcp, protocol: TCP}]}]\n",
     "81/TCP", {{ANY, ANY, "x", "a", false}}, 1},
    {"should allow egress access on one named port (80)", "x/a y/a",
     NP("x", "allow-egress") "  podSelector: {}\n  policyTypes: [Egress]\n"
     "  egress: [{ports: [{port: serve-80-tcp}]}]\n",
     "80/TCP", {{0}}, 0},
    {"should allow egress access on one named port (81)", "x/a y/a",
     NP("x", "allow-egress") "  podSelector: {}\n  policyTypes: [Egress]\n"
     "  egress: [{ports: [{port: serve-80-tcp}]}]\n",
     "81/TCP", {{"x", ANY, ANY, ANY, false}}, 1},
    {"should deny ingress from pods on other namespaces", "x/a x/b y/a z/a",
     NP("x", "deny-empty-policy") "  podSelector: {}\n  policyTypes: [Ingress]\n"
     "  ingress: [{from: [{podSelector: {matchLabels: {}}}]}]\n",
     "80/TCP", {{"y", ANY, "x", ANY, false}, {"z", ANY, "x", ANY, false}}, 2},
    {"should deny egress from pods based on PodSelector", "x/a x/b y/a",
     NP("x", "deny-egress-pod-a") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Egress]\n  egress: []\n",
     "80/TCP", {{"x", "a", ANY, ANY, false}}, 1},
    {"should deny egress from all pods in a namespace", "x/a x/b y/a",
     NP("x", "deny-egress-ns-x") "  podSelector: {}\n  policyTypes: [Egress]\n",
     "80/TCP", {{"x", ANY, ANY, ANY, false}}, 1},
    {"should work with Ingress, Egress specified together (80)", "x/a x/b x/c y/a",
     NP("x", "allow-client-a-via-pod-selector") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Egress, Ingress]\n"
     "  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]\n"
     "  egress: [{ports: [{port: 80}]}]\n",
     "80/TCP", {{ANY, ANY, "x", "a", false}, {"x", "b", "x", "a", true}}, 2},
    {"should work with Ingress, Egress specified together (81)", "x/a x/b x/c y/a",
     NP("x", "allow-client-a-via-pod-selector") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Egress, Ingress]\n"
     "  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]\n"
     "  egress: [{ports: [{port: 80}]}]\n",
     "81/TCP",
     {{ANY, ANY, "x", "a", false}, {"x", "a", ANY, ANY, false}, {"x", "b", "x", "a", true}}, 3},
    {"should support denying of egress traffic on the client side (even if the server "
     "explicitly allows this traffic)", "x/a y/a y/b",
     NP("x", "allow-to-ns-y-pod-a") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Egress]\n  egress: [{to: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: y}}, podSelector: {matchLabels: {pod: a}}}]}]\n"
     NP("y", "allow-from-xa-on-ya-match-selector") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: x}}, podSelector: {matchLabels: {pod: a}}}]}]\n"
     NP("y", "allow-from-xa-on-yb-match-selector") "  podSelector: {matchLabels: {pod: b}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{from: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: x}}, podSelector: {matchLabels: {pod: a}}}]}]\n",
     "80/TCP",
     {{"x", "a", ANY, ANY, false}, {ANY, ANY, "y", "a", false}, {"x", "a", "y", "a", true},
      {ANY, ANY, "y", "b", false}}, 4},
    {"should enforce egress policy allowing traffic to a server in a different namespace based "
     "on PodSelector and NamespaceSelector", "x/a y/a y/b",
     NP("x", "allow-to-ns-y-pod-a") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Egress]\n  egress: [{to: [{namespaceSelector: {matchLabels: "
     "{kubernetes.io/metadata.name: y}}, podSelector: {matchLabels: {pod: a}}}]}]\n",
     "80/TCP", {{"x", "a", ANY, ANY, false}, {"x", "a", "y", "a", true}}, 2},
    {"should enforce ingress policy allowing any port traffic to a server on a specific "
     "protocol (TCP)", "x/a y/a",
     NP("x", "allow-ingress-by-proto") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{ports: [{protocol: TCP}]}]\n",
     "80/TCP", {{0}}, 0},
    {"should enforce ingress policy allowing any port traffic to a server on a specific "
     "protocol (UDP)", "x/a y/a",
     NP("x", "allow-ingress-by-proto") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{ports: [{protocol: TCP}]}]\n",
     "80/UDP", {{ANY, ANY, "x", "a", false}}, 1},
    {"should enforce multiple ingress policies with ingress allow-all policy taking precedence "
     "(port 80 only)", "x/a y/a",
     NP("x", "allow-ingress-port-80") "  podSelector: {matchLabels: {}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{ports: [{port: 80}]}]\n",
     "81/TCP", {{ANY, ANY, "x", ANY, false}}, 1},
    {"should enforce multiple ingress policies with ingress allow-all policy taking precedence "
     "(allow-all added)", "x/a y/a",
     NP("x", "allow-ingress-port-80") "  podSelector: {matchLabels: {}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{ports: [{port: 80}]}]\n"
     NP("x", "allow-ingress") "  podSelector: {matchLabels: {}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{}]\n",
     "81/TCP", {{0}}, 0},
    {"should enforce multiple egress policies with egress allow-all policy taking precedence "
     "(port 80 only)", "x/a y/a",
     NP("x", "allow-egress-port-80") "  podSelector: {matchLabels: {}}\n"
     "  policyTypes: [Egress]\n  egress: [{ports: [{port: 80}]}]\n",
     "81/TCP", {{"x", ANY, ANY, ANY, false}}, 1},
    {"should enforce multiple egress policies with egress allow-all policy taking precedence "
     "(allow-all added)", "x/a y/a",
     NP("x", "allow-egress-port-80") "  podSelector: {matchLabels: {}}\n"
     "  policyTypes: [Egress]\n  egress: [{ports: [{port: 80}]}]\n"
     NP("x", "allow-egress") "  podSelector: {matchLabels: {}}\n"
     "  policyTypes: [Egress]\n  egress: [{}]\n",
     "81/TCP", {{0}}, 0},
    {"should enforce policies to check ingress and egress policies can be controlled "
     "independently based on PodSelector", "x/a x/b y/a",
     NP("x", "allow-egress-for-target") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Egress]\n  egress: [{}]\n"
     NP("x", "deny-ingress-via-label-selector") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n",
     "80/TCP", {{ANY, ANY, "x", "a", false}}, 1},
    {"should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP'", "x/a y/a",
     NP("x", "deny-ingress") "  podSelector: {}\n  policyTypes: [Ingress]\n"
     NP("x", "allow-only-sctp-ingress-on-port-81") "  podSelector: {matchLabels: {pod: a}}\n"
     "  policyTypes: [Ingress]\n  ingress: [{ports: [{port: 81, protocol: SCTP}]}]\n",
     "81/TCP", {{ANY, ANY, "x", ANY, false}}, 1},
};

static void test_netpol__upstream_e2e_truth_tables(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(upstream) / sizeof(upstream[0]); i++)
        run_scenario(&upstream[i]);
}

/* ------------------------------------------------- randomised agreement */

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static unsigned pick(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const ports_choices[] = {
    "", "ports: [{port: 80}]", "ports: [{port: http}]", "ports: [{port: dns, protocol: UDP}]",
    "ports: [{port: 8000, endPort: 8100}, {protocol: SCTP}]", "ports: [{protocol: UDP}]",
};

static void random_peer(FILE *f)
{
    switch (pick(5)) {
    case 0: fprintf(f, "{podSelector: {matchLabels: {app: a%u}}}", pick(4)); break;
    case 1: fprintf(f, "{namespaceSelector: {matchLabels: {env: e%u}}}", pick(2)); break;
    case 2:
        fprintf(f, "{namespaceSelector: {matchLabels: {env: e%u}}, podSelector: "
                   "{matchExpressions: [{key: tier, operator: NotIn, values: [t%u]}]}}",
                pick(2), pick(3));
        break;
    case 3: fprintf(f, "{podSelector: {}}"); break;
    default: fprintf(f, "{ipBlock: {cidr: 10.%u.0.0/16}}", pick(4)); break;
    }
}

static void random_rules(FILE *f, const char *key, const char *peers)
{
    unsigned n = pick(3);
    fprintf(f, "  %s:\n", key);
    if (n == 0) {
        fprintf(f, "  - {}\n");
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        fprintf(f, "  - %s\n", ports_choices[pick(6)]);
        if (pick(4) == 0)
            continue; /* no peers: everything */
        fprintf(f, "    %s: [", peers);
        unsigned np = 1 + pick(2);
        for (unsigned k = 0; k < np; k++) {
            if (k)
                fputs(", ", f);
            random_peer(f);
        }
        fputs("]\n", f);
    }
}

/* On random clusters, the matrix built per destination through the
 * egress index equals each pair's ingress and egress evaluated alone. */
static void test_netpol__matrix_equals_pairwise_on_random_clusters(void **state)
{
    (void)state;
    size_t partial = 0, denied = 0; /* the generator must make real decisions */
    for (int round = 0; round < 20; round++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        for (unsigned n = 0; n < 3; n++)
            fprintf(f, "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n%u, labels: "
                       "{env: e%u}}\n", n, n % 2);
        for (unsigned i = 0; i < 12; i++)
            fprintf(f, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%u, namespace: n%u, "
                       "labels: {app: a%u, tier: t%u}}\nspec:\n  containers:\n  - name: c\n"
                       "    ports: [{name: http, containerPort: %u}, {name: dns, containerPort: 53, "
                       "protocol: %s}]\n",
                    i, pick(3), pick(4), pick(3), 80 + pick(3), pick(2) ? "UDP" : "TCP");
        for (unsigned j = 0; j < 6; j++) {
            fprintf(f, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                       "metadata: {name: np%u, namespace: n%u}\nspec:\n", j, pick(3));
            if (pick(3))
                fprintf(f, "  podSelector: {matchLabels: {tier: t%u}}\n", pick(3));
            else
                fputs("  podSelector: {}\n", f);
            unsigned t = pick(4);
            if (t == 1)
                fputs("  policyTypes: [Ingress]\n", f);
            else if (t == 2)
                fputs("  policyTypes: [Egress]\n", f);
            else if (t == 3)
                fputs("  policyTypes: [Ingress, Egress]\n", f);
            if (pick(3))
                random_rules(f, "ingress", "from");
            if (pick(3))
                random_rules(f, "egress", "to");
        }
        fclose(f);
        kh_cluster *c = NULL;
        kh_error err = {0};
        assert_int_equal(kh_cluster_new_area(&c, KH_AREA_NETPOL, NULL, NULL, &err), KH_OK);
        assert_int_equal(kh_cluster_load_buffer(c, buf, len, "r.yaml", &err), KH_OK);
        assert_int_equal(kh_cluster_errors(c), 0);
        np_model *m = kh_netpol__build(kh_cluster__arena(c), kh_cluster__objects(c));
        assert_non_null(m);
        np_eval *ev = kh_netpol__eval_new(m);
        np_columns *cols = kh_netpol__columns_new(ev, m);
        assert_non_null(cols);
        for (uint32_t d = 0; d < m->ncls; d++) {
            const uint32_t *in, *out;
            kh_netpol__column(cols, d, &in, &out);
            for (uint32_t s = 0; s < m->ncls; s++) {
                uint32_t want_in = kh_netpol__ingress(ev, m, d, (int)s, 0, 0);
                uint32_t want_out = kh_netpol__egress(ev, m, s, (int)d, 0, 0);
                partial += want_in != NP_PS_ALL && want_in != NP_PS_NONE;
                denied += want_in == NP_PS_NONE || want_out == NP_PS_NONE;
                if (in[s] != want_in || out[s] != want_out)
                    fail_msg("round %d: class %u -> %u: column %s / %s, pairwise %s / %s\n%s",
                             round, s, d, kh_netpol__ps_text(ev, in[s]),
                             kh_netpol__ps_text(ev, out[s]), kh_netpol__ps_text(ev, want_in),
                             kh_netpol__ps_text(ev, want_out), buf);
            }
        }
        kh_netpol__columns_free(cols);
        kh_netpol__eval_free(ev);
        kh_cluster_free(c);
        free(buf);
    }
    assert_true(partial > 100 && denied > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_netpol__no_policy_allows_everything),
        cmocka_unit_test(test_netpol__empty_pod_selector_selects_all_in_namespace),
        cmocka_unit_test(test_netpol__missing_pod_selector_is_empty),
        cmocka_unit_test(test_netpol__policy_types_default_ingress_only),
        cmocka_unit_test(test_netpol__policy_types_default_egress_when_rules),
        cmocka_unit_test(test_netpol__empty_egress_list_adds_no_egress_type),
        cmocka_unit_test(test_netpol__explicit_egress_without_rules_denies_all),
        cmocka_unit_test(test_netpol__rules_of_a_type_not_listed_are_ignored),
        cmocka_unit_test(test_netpol__union_of_policies),
        cmocka_unit_test(test_netpol__pod_selector_peer_is_own_namespace),
        cmocka_unit_test(test_netpol__same_peer_text_in_two_namespaces),
        cmocka_unit_test(test_netpol__namespace_and_pod_selector_in_one_peer_is_and),
        cmocka_unit_test(test_netpol__two_peers_are_or),
        cmocka_unit_test(test_netpol__empty_namespace_selector_selects_all_namespaces),
        cmocka_unit_test(test_netpol__namespace_labels_and_automatic_name_label),
        cmocka_unit_test(test_netpol__from_missing_or_empty_admits_everything),
        cmocka_unit_test(test_netpol__empty_rule_allows_all),
        cmocka_unit_test(test_netpol__empty_peer_is_invalid),
        cmocka_unit_test(test_netpol__ipblock_with_selector_is_invalid),
        cmocka_unit_test(test_netpol__ipblock_except_ipv4),
        cmocka_unit_test(test_netpol__ipblock_ipv6),
        cmocka_unit_test(test_netpol__except_not_strict_subset_is_invalid),
        cmocka_unit_test(test_netpol__protocol_defaults_to_tcp),
        cmocka_unit_test(test_netpol__udp_sctp_and_protocol_without_port),
        cmocka_unit_test(test_netpol__end_port_range),
        cmocka_unit_test(test_netpol__end_port_with_named_port_is_invalid),
        cmocka_unit_test(test_netpol__named_port_resolves_per_destination),
        cmocka_unit_test(test_netpol__named_port_protocol_must_match),
        cmocka_unit_test(test_netpol__named_port_in_egress_resolves_at_destination),
        cmocka_unit_test(test_netpol__quoted_port_number_is_a_name),
        cmocka_unit_test(test_netpol__label_values_compare_as_strings),
        cmocka_unit_test(test_netpol__both_directions_must_allow),
        cmocka_unit_test(test_netpol__owned_pods_are_left_to_their_owner),
        cmocka_unit_test(test_netpol__cidr_math),
        cmocka_unit_test(test_netpol__service_target_port_resolves_per_backend),
        cmocka_unit_test(test_netpol__matrix_agrees_with_can_reach),
        cmocka_unit_test(test_netpol__matrix_equals_pairwise_on_random_clusters),
        cmocka_unit_test(test_netpol__upstream_e2e_truth_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
