#!/usr/bin/env bash
# rbac_query.sh -- `kubeharden rbac who-can`, `can` and `review` driven as an
# auditor would, over a kubeadm-like cluster dump (tests/fixtures/rbac):
# aggregated admin/edit/view resolved from their sources, RoleBindings
# that grant only in their namespace, a binding to a missing role, the
# system:masters bypass, the groups the authenticators add, and
# SubjectAccessReviews answered exactly as tests/fixtures/rbac/reviews.expect.
set -u
. "$(dirname "$0")/lib/check.bash"
fx=$src/tests/fixtures/rbac
dump=$fx/kubeadm.yaml

# The `rbac` dispatcher is the lead's (src/cli/cmd_rbac.c); without it
# there is nothing to drive yet.
"$bin" rbac who-can --help > /dev/null 2>&1 || { echo "skip: no rbac command"; exit 77; }

# ---------------------------------------------------------------- who-can
"$bin" rbac who-can create pods/exec -n shop "$dump" > out 2>&1
check "who-can answers" 0 $?
contains "cluster-admin's groups" out "ClusterRoleBinding/kubeadm:cluster-admins"
contains "a service account through aggregated edit" out "ServiceAccount  ci/deployer"
contains "the rule is named where it is written (the aggregation source)" out \
    "ClusterRole/system:aggregate-to-edit items[5].rules[2]"
contains "a user through aggregated admin" out "User            bob@example.com"
lacks "view grants no exec" out "RoleBinding/shop/web-self"
lacks "pod-reader grants no exec" out "alice@example.com"

"$bin" rbac who-can create pods/exec -n other "$dump" > out 2>&1
lacks "RoleBindings grant only in their namespace" out "deployer"
contains "the count names the request" out "create pods/exec in namespace other: 2 subjects"

"$bin" rbac who-can get configmaps -n shop "$dump" > out 2>&1
lacks "a named rule does not answer for every name" out "developers"
"$bin" rbac who-can get configmaps --name shop-config -n shop "$dump" > out 2>&1
contains "a named rule answers for its name" out "RoleBinding/shop/developers"

"$bin" rbac who-can list nodes "$dump" > out 2>&1
contains "cluster-wide list nodes" out "ServiceAccount  kube-system/kube-proxy"
lacks "the stale binding grants nothing" out "legacy"

"$bin" rbac who-can get --url /version "$dump" > out 2>&1
contains "anonymous users may read /version" out "system:unauthenticated"
"$bin" rbac who-can get --url /apis/apps "$dump" > out 2>&1
contains "a trailing * is a prefix" out "ClusterRole/system:discovery"
lacks "but not for anonymous users" out "system:unauthenticated"

"$bin" rbac who-can update deployments.apps/scale -n shop -o json "$dump" > who.json 2>&1
check "who-can json" 0 $?
python3 -m json.tool who.json > /dev/null
check "who-can json parses" 0 $?
contains "RESOURCE.GROUP sets the group" who.json '"group":"apps","resource":"deployments","subresource":"scale"'

cat "$dump" | "$bin" rbac who-can delete secrets -n shop -A - > out 2>&1
check "stdin and every namespace" 0 $?
contains "every namespace at once" out "delete secrets in every namespace"
contains "with the RoleBindings of each" out "RoleBinding/shop/shop-admins"

# ---------------------------------------------------------------- can
"$bin" rbac can user:bob@example.com delete secrets -n shop "$dump" > out 2>&1
check "can: yes is 0" 0 $?
contains "the API server's reason" out \
    'yes - RBAC: allowed by RoleBinding "shop-admins/shop" of ClusterRole "admin" to User "bob@example.com"'
"$bin" rbac can user:bob@example.com delete secrets -n kube-system "$dump" > out 2>&1
check "can: no is 1" 1 $?
"$bin" rbac can sa:legacy/operator list nodes "$dump" > out 2>&1
check "a missing role grants nothing" 1 $?
contains "and says why" out 'no - RBAC: clusterrole.rbac.authorization.k8s.io "legacy-operator" not found'
"$bin" rbac can user:root --as-group system:masters delete nodes "$dump" > out 2>&1
check "system:masters may do anything" 0 $?
"$bin" rbac can user:carol create selfsubjectaccessreviews.authorization.k8s.io "$dump" > out 2>&1
check "every user is in system:authenticated" 0 $?
"$bin" rbac can user:system:anonymous create selfsubjectaccessreviews.authorization.k8s.io \
    "$dump" > out 2>&1
check "system:anonymous is not" 1 $?
"$bin" rbac can sa:shop/web -n shop "$dump" > out 2>&1
check "can lists a subject's rules" 0 $?
contains "the service account groups are added" out "'system:serviceaccounts:shop'"
contains "an unqualified subject is the RoleBinding's namespace's" out "RoleBinding/shop/web-self"
"$bin" rbac can group:shop-devs -A -o json "$dump" > can.json 2>&1
check "can list json" 0 $?
python3 -m json.tool can.json > /dev/null
check "can list json parses" 0 $?
"$bin" rbac can someone "$dump" > out 2>&1
check "a bad subject is a usage error" 2 $?

# ---------------------------------------------------------------- review
"$bin" rbac review "$fx/reviews.yaml" --rbac "$dump" > answers 2> errors
check "an invalid review makes the run fail" 2 $?
if diff -u "$fx/reviews.expect" answers; then echo "ok: reviews answered as expected"; else
    echo "FAIL: reviews differ"; fails=$((fails + 1)); fi
contains "the invalid review is named by position" errors \
    'reviews.yaml:63:3: error: spec.user: Invalid value: "": at least one of user or group must be specified'
head -n 58 "$fx/reviews.yaml" | "$bin" rbac review - --rbac "$dump" > answers 2> errors
check "valid reviews from stdin" 0 $?
if [ "$(wc -l < answers)" = 9 ]; then echo "ok: nine answers"; else echo "FAIL: answers"; fails=$((fails + 1)); fi

# ---------------------------------------------------------------- inputs
printf 'kind: Role\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: [x\n' > bad.yaml
"$bin" rbac who-can get pods "$dump" bad.yaml > out 2>&1
check "a malformed input fails the run" 2 $?
contains "with its position" out "bad.yaml:4:1: error:"
"$bin" rbac who-can get > out 2>&1
check "no resource is a usage error" 2 $?

exit $((fails > 0))
