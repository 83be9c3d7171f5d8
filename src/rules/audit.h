/*
 * audit.h -- the audit-event rules (audit.c) for the registry.
 */
#ifndef KH_RULES_AUDIT_H
#define KH_RULES_AUDIT_H

#include "rules/rules.h"
#include "watch/event.h"

void kh_audit__admission_webhook_changed(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__anonymous_allowed(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__auth_failure_burst(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__cluster_admin_binding(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__events_deleted(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__forbidden_burst(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__impersonation(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__kubectl_in_pod(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__kube_system_change(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__nodes_proxy(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__pod_exec(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__privileged_pod(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__secret_enumeration(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__secret_read(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__sensitive_namespace(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__source_outside_cidrs(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__serviceaccount_token(kh_audit_ctx *ctx, const kh_audit_event *ev);
void kh_audit__wildcard_role(kh_audit_ctx *ctx, const kh_audit_event *ev);

#endif
