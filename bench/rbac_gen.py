#!/usr/bin/env python3
"""rbac_gen.py -- a cluster dump for the RBAC benchmark (bench/rbac.sh).

Writes one multi-document YAML stream shaped like `kubectl get -A -o yaml`
of a large cluster: NAMESPACES namespaces, each with ServiceAccounts,
legacy token Secrets, Roles and RoleBindings, pods running as the accounts
(some with the token unmounted), plus ClusterRoles and ClusterRoleBindings,
so that ROLES + BINDINGS (Role, ClusterRole, RoleBinding, ClusterRoleBinding)
total about 10,000 and pods 50,000 by default. Grants mix the harmless
(read configmaps) with every risky capability the rules know (create pods,
exec, read secrets, bind, impersonate, nodes/proxy, tokens), so the risk
rules fire and the escalation graph has long paths. Deterministic for a seed.

Usage: rbac_gen.py [--namespaces N] [--pods P] [--rbac R] [--seed S] > dump.yaml
"""
import argparse
import random
import sys

HARMLESS = [
    '- {apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}',
    '- {apiGroups: [apps], resources: [deployments, statefulsets], verbs: [get, list, watch]}',
    '- {apiGroups: [""], resources: [services, endpoints], verbs: [get, list]}',
    '- {apiGroups: [batch], resources: [jobs], verbs: [get, list, watch, delete]}',
    '- {apiGroups: [""], resources: [events], verbs: [create, patch]}',
]
RISKY = [
    '- {apiGroups: [""], resources: [pods], verbs: [create, delete]}',
    '- {apiGroups: [apps], resources: [deployments], verbs: [create, update]}',
    '- {apiGroups: [""], resources: [pods/exec, pods/attach], verbs: [create]}',
    '- {apiGroups: [""], resources: [secrets], verbs: [get, list]}',
    '- {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}',
    '- {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}',
    '- {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [bind]}',
    '- {apiGroups: [""], resources: ["*"], verbs: [get]}',
    '- {apiGroups: [""], resources: [configmaps], verbs: ["*"]}',
]
CLUSTER_RISKY = [
    '- {apiGroups: [""], resources: [nodes/proxy], verbs: [get]}',
    '- {apiGroups: [""], resources: [nodes], verbs: [patch]}',
    '- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind, escalate]}',
    '- {apiGroups: [""], resources: [groups, users], verbs: [impersonate]}',
    '- {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [create, patch]}',
    '- {apiGroups: [""], resources: [persistentvolumes], verbs: [create]}',
    '- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}',
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--namespaces", type=int, default=500)
    ap.add_argument("--pods", type=int, default=50000)
    ap.add_argument("--rbac", type=int, default=10000,
                    help="Roles + RoleBindings + ClusterRoles + ClusterRoleBindings")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    out = sys.stdout
    w = out.write
    nns = a.namespaces
    sas_per_ns = 10
    # 80% of the RBAC objects are namespaced, half roles and half bindings.
    ns_roles = (a.rbac * 4 // 10) // nns
    cl_roles = a.rbac // 10
    users = [f"user-{i}" for i in range(2000)]
    groups = [f"team-{i}" for i in range(200)]

    def role_rules(risky_share, pool):
        lines = [rnd.choice(HARMLESS) for _ in range(rnd.randint(1, 3))]
        if rnd.random() < risky_share:
            lines.append(rnd.choice(pool))
        return "\n".join(lines)

    def subject(ns):
        r = rnd.random()
        if r < 0.5:
            return f"- {{kind: ServiceAccount, name: sa-{rnd.randrange(sas_per_ns)}, namespace: {ns}}}"
        if r < 0.8:
            return f"- {{kind: User, name: {rnd.choice(users)}, apiGroup: rbac.authorization.k8s.io}}"
        return f"- {{kind: Group, name: {rnd.choice(groups)}, apiGroup: rbac.authorization.k8s.io}}"

    for n in range(nns):
        ns = f"ns-{n}"
        sensitive = "true" if n % 50 == 0 else "false"
        w(f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
          f"  labels: {{kubeharden.io/sensitive: \"{sensitive}\", team: t{n % 20}}}\n")
        for s in range(sas_per_ns):
            w(f"---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: sa-{s}, namespace: {ns}}}\n")
        for s in range(2):
            w(f"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: sa-{s}-token\n  namespace: {ns}\n"
              f"  annotations: {{kubernetes.io/service-account.name: sa-{s}}}\n"
              f"type: kubernetes.io/service-account-token\ndata: {{token: ZmFrZQ==}}\n")
        for r in range(ns_roles):
            w(f"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
              f"metadata: {{name: role-{r}, namespace: {ns}}}\nrules:\n{role_rules(0.15, RISKY)}\n")
        for b in range(ns_roles):
            ref = (f"{{apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-{b}}}"
                   if rnd.random() < 0.8 else
                   f"{{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr-{rnd.randrange(cl_roles)}}}")
            subs = "\n".join(subject(ns) for _ in range(rnd.randint(1, 3)))
            w(f"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
              f"metadata: {{name: rb-{b}, namespace: {ns}}}\nroleRef: {ref}\nsubjects:\n{subs}\n")
    for r in range(cl_roles):
        w(f"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
          f"metadata: {{name: cr-{r}}}\nrules:\n{role_rules(0.05, RISKY + CLUSTER_RISKY)}\n")
    for b in range(cl_roles):
        ns = f"ns-{rnd.randrange(nns)}"
        subs = "\n".join(subject(ns) for _ in range(rnd.randint(1, 2)))
        w(f"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
          f"metadata: {{name: crb-{b}}}\n"
          f"roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr-{rnd.randrange(cl_roles)}}}\n"
          f"subjects:\n{subs}\n")
    for p in range(a.pods):
        ns = f"ns-{p % nns}"
        sa = rnd.randrange(sas_per_ns)
        automount = "\n  automountServiceAccountToken: false" if p % 7 == 0 else ""
        w(f"""---
apiVersion: v1
kind: Pod
metadata:
  name: pod-{p}
  namespace: {ns}
  labels: {{app: app-{p % 97}, tier: backend}}
spec:
  serviceAccountName: sa-{sa}{automount}
  containers:
  - name: app
    image: registry.example/app-{p % 97}:1.{p % 13}
    ports:
    - {{containerPort: 8080}}
    resources:
      requests: {{cpu: 100m, memory: 128Mi}}
      limits: {{memory: 256Mi}}
""")


if __name__ == "__main__":
    main()
