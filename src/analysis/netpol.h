/*
 * netpol.h -- the NetworkPolicy model shared by the analysis (netpol*.c),
 * the set rules (rules/netpol.c) and the `kubeharden netpol` command.
 *
 * Workloads (Pods and the workloads whose templates stand for their pods)
 * are grouped into classes of identical namespace, labels and container
 * ports: every policy decision is the same for all members of a class, so
 * policies and peers are resolved per class and connectivity per pair of
 * classes. Ports are sets of intervals over protocol<<16 | port, interned
 * so that unions and intersections are memoised by id.
 */
#ifndef KH_ANALYSIS_NETPOL_H
#define KH_ANALYSIS_NETPOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/arena.h"
#include "k8s/k8s.h"

enum { NP_TCP = 0, NP_UDP = 1, NP_SCTP = 2, NP_NPROTO = 3 };

/* An address: IPv4 in the low 32 bits, or IPv6. Aligned to 8 only, as
 * the arena aligns (a 16-byte aligned load of an arena pointer faults). */
typedef unsigned __int128 np_addr __attribute__((aligned(8)));

/* An address range of one family (4 or 6), bounds inclusive. */
typedef struct np_range {
    np_addr lo, hi;
    uint8_t fam;
} np_range;

/* One entry of a rule's ports list. */
typedef enum np_port_kind { NP_PORT_ALL = 0, NP_PORT_RANGE, NP_PORT_NAMED } np_port_kind;
typedef struct np_portspec {
    np_port_kind kind;
    uint8_t proto;
    uint16_t lo, hi;             /* NP_PORT_RANGE */
    const char *name;            /* NP_PORT_NAMED */
    const kh_node *node;         /* the ports[i] mapping */
    size_t index;
} np_portspec;

typedef enum np_peer_kind { NP_PEER_PODS = 0, NP_PEER_IPBLOCK } np_peer_kind;
typedef struct np_peer {
    np_peer_kind kind;
    const kh_node *node;         /* from[i] / to[i] */
    size_t index;
    uint32_t *classes;           /* NP_PEER_PODS: classes selected, ascending */
    size_t nclasses;
    size_t nnamespaces;          /* namespaces it reaches (its own for a bare podSelector) */
    size_t npopulated;           /* those of them with workloads in the input */
    bool has_ns_selector;
    np_range *ranges;            /* NP_PEER_IPBLOCK: cidr minus except */
    size_t nranges;
    const char *cidr;
} np_peer;

struct np_policy;

typedef struct np_rule {
    struct np_policy *pol;
    bool egress;
    size_t index;                /* ingress[i] / egress[i] */
    const kh_node *node;
    bool all_peers;              /* from/to missing or empty: every source/destination */
    np_peer *peers;
    size_t npeers;
    uint32_t *classes;           /* union of the pod peers, ascending */
    size_t nclasses;
    np_range *ranges;            /* union of the ipBlocks, sorted and merged */
    size_t nranges;
    np_portspec *ports;          /* none: every port of every protocol */
    size_t nports;
} np_rule;

typedef struct np_policy {
    const kh_object *obj;
    const char *ns;
    bool ingress, egress;        /* policyTypes, defaults applied */
    uint32_t *selected;          /* classes its podSelector selects, ascending */
    size_t nselected;
    np_rule *in;
    size_t nin;
    np_rule *eg;
    size_t neg;
    const char *invalid;         /* why the API server would refuse it, or NULL */
    const kh_node *invalid_at;
    const char *invalid_path;
} np_policy;

typedef struct np_cport {
    const char *name;            /* NULL when unnamed */
    uint8_t proto;
    uint16_t port;
} np_cport;

/* What applies to a class: the policies selecting it and their rules.
 * Apart from the class, as most classes of a large cluster have none:
 * those share one empty record. */
typedef struct np_applied {
    np_policy **pols;            /* policies selecting it, input order */
    np_rule **in_rules;          /* ingress rules of those with Ingress */
    np_rule **eg_rules;
    uint32_t npols, nin, neg;
    bool in_iso, eg_iso;
} np_applied;

/* Counts are 32-bit: a model of 100,000 workloads keeps one class per
 * distinct template, and every byte of a class counts 20,000 times. */
typedef struct np_class {
    const char *ns;              /* the model's namespace name (m->ns[nsi].name) */
    const kh_node *labels;
    np_cport *ports;             /* regular containers' ports (named ports resolve here) */
    uint32_t *workloads;         /* ascending */
    const np_applied *ap;        /* never NULL */
    uint32_t nsi;                /* index of ns in the model's namespaces */
    uint32_t nports, nworkloads;
} np_class;

/* A workload: its object (by index in the model's set, kh_netpol__obj)
 * and its class (its namespace is the class's; its "ns/Kind/name" id is
 * made on demand: kh_netpol__id, kh_netpol__ids). 8 bytes: a cluster
 * has 100,000 of them. */
typedef struct np_workload {
    uint32_t obj;
    uint32_t cls;
} np_workload;

typedef struct np_namespace {
    const char *name;
    const kh_object *obj;        /* the Namespace, or NULL when only named by objects */
    const kh_node *labels;       /* its labels plus kubernetes.io/metadata.name */
    size_t nworkloads;
} np_namespace;

typedef struct np_model {
    kh_arena *arena;
    const kh_objset *set;        /* the objects it was built over */
    np_workload *wl;
    size_t nwl;
    np_class *cls;
    size_t ncls;
    np_namespace *ns;
    size_t nns;
    np_policy *pol;
    size_t npol;
    const char **ids;            /* per workload "ns/Kind/name", once kh_netpol__ids ran */
} np_model;

/* The kinds the model reads (NULL-terminated): policies, namespaces, pods
 * and every workload kind with a pod template. */
extern const char *const kh_netpol__kinds[];
extern const char *const kh_netpol__fields[];

/* Build the model over @p set in @p arena. NULL when out of memory. */
np_model *kh_netpol__build(kh_arena *arena, const kh_objset *set);

/* Workload @p i's object. */
const kh_object *kh_netpol__obj(const np_model *m, uint32_t i);

/* Fill m->ids (the queries and the isolation rule name workloads; the
 * other rules never do, so a scan does not pay for 100,000 strings).
 * 0, or -1 when out of memory. */
int kh_netpol__ids(np_model *m);
/* Workload @p i's id: m->ids[i] once made, else made in @p arena (for
 * the few a can-reach or an isolation finding names). */
const char *kh_netpol__id(kh_arena *arena, const np_model *m, uint32_t i);

/* "<meta>.labels", a finding's path at a workload's labels, made once per
 * distinct @p meta (metadata, spec.template.metadata...) and shared by
 * every finding: the scanner keeps each finding's path until the end of
 * the scan, and 100,000 pods would otherwise each have a copy. */
typedef struct np_paths {
    const char *meta[4], *path[4];
} np_paths;
const char *kh_netpol__labels_path(kh_arena *arena, np_paths *c, const char *meta);

/* The namespace an object lands in: "" is "default". */
const char *kh_netpol__ns(const kh_object *obj);
/* TCP (also for NULL), UDP, SCTP; -1 for anything else. */
int kh_netpol__proto(const char *s);
/* Is @p cls in the ascending list? */
bool kh_netpol__has(const uint32_t *list, size_t n, uint32_t cls);

/* ------------------------------------------------------------ evaluation */

/* Port sets: id 0 is empty, 1 every port of every protocol. */
enum { NP_PS_NONE = 0, NP_PS_ALL = 1 };
typedef struct np_eval np_eval;

np_eval *kh_netpol__eval_new(const np_model *m);
void kh_netpol__eval_free(np_eval *ev);
uint32_t kh_netpol__ps_union(np_eval *ev, uint32_t a, uint32_t b);
uint32_t kh_netpol__ps_inter(np_eval *ev, uint32_t a, uint32_t b);
/* The ports rule @p r allows towards class @p dst (NULL: an address outside
 * the cluster, where named ports resolve to nothing). */
uint32_t kh_netpol__rule_ports(np_eval *ev, const np_rule *r, const np_class *dst);
/* The set of ports lo..hi of one protocol. */
uint32_t kh_netpol__ps_range(np_eval *ev, int proto, unsigned lo, unsigned hi);
/* Does the port set hold protocol @p proto, port @p port? */
bool kh_netpol__ps_has(const np_eval *ev, uint32_t ps, int proto, unsigned port);
/* "TCP 80,443; UDP 53", "all ports" or "none" (static buffer per eval). */
const char *kh_netpol__ps_text(np_eval *ev, uint32_t ps);
/* The intervals of a set: *iv holds 2n codes (lo, hi of proto<<16|port). */
size_t kh_netpol__ps_intervals(const np_eval *ev, uint32_t ps, const uint32_t **iv);

/* Does the rule's peer list admit class @p c / address atom @p a? */
bool kh_netpol__rule_admits_class(const np_rule *r, uint32_t c);
bool kh_netpol__rule_admits_addr(const np_rule *r, uint8_t fam, unsigned __int128 a);

/* Ports a connection may use, direction by direction: src class (or NULL
 * for an outside address @p fam/@p addr) to dst class (or NULL). */
uint32_t kh_netpol__egress(np_eval *ev, const np_model *m, uint32_t src, int dst,
                           uint8_t fam, unsigned __int128 addr);
uint32_t kh_netpol__ingress(np_eval *ev, const np_model *m, uint32_t dst, int src,
                            uint8_t fam, unsigned __int128 addr);

/* The atoms outside the cluster: the address space of both families cut
 * at every ipBlock boundary, so each rule admits an atom wholly or not. */
size_t kh_netpol__atoms(const np_model *m, np_range **out);
/* The same cut at the boundaries of one class's rules of a direction only:
 * enough to tell its answers apart (malloc'd; NULL and 0 when out of memory). */
size_t kh_netpol__class_atoms(const np_model *m, uint32_t c, bool egress, np_range **out);

/* Call @p fn for every pair of classes with some port allowed both ways
 * (ps is the intersection). Per destination class the sources' sets are
 * built rule by rule, so the cost follows the rules' peers. */
typedef void (*np_pair_fn)(void *ud, uint32_t src, uint32_t dst, uint32_t ps);
int kh_netpol__pairs(np_eval *ev, const np_model *m, np_pair_fn fn, void *ud);

/* The same, one destination class at a time: *in and *out (valid until
 * the next call) hold, per source class, the ports the destination's
 * ingress and the source's egress allow towards it. */
typedef struct np_columns np_columns;
np_columns *kh_netpol__columns_new(np_eval *ev, const np_model *m);
void kh_netpol__column(np_columns *c, uint32_t d, const uint32_t **in, const uint32_t **out);
void kh_netpol__columns_free(np_columns *c);

/* Address text: a CIDR when the range is one, else "lo-hi". */
const char *kh_netpol__range_text(kh_arena *arena, const np_range *r);
/* Parse "a.b.c.d/n" or an IPv6 CIDR (host bits cleared into the range).
 * @return 0, or -1 when not a CIDR. *bits is the prefix length. */
int kh_netpol__parse_cidr(const char *text, np_range *out, int *bits);
int kh_netpol__parse_ip(const char *text, uint8_t *fam, unsigned __int128 *addr);

#endif
