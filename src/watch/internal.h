/*
 * internal.h -- what the files of src/watch share.
 */
#ifndef KH_WATCH_INTERNAL_H
#define KH_WATCH_INTERNAL_H

#include "kubeharden/watch.h"
#include "watch/event.h"

/* Has the alert or error callback asked to stop? */
int kh_watch__stopped(const kh_watch *w);
/* Run the idle hook, if any (follow.c, while waiting for input). */
void kh_watch__idle(kh_watch *w);

/* metrics.c: the counters /metrics reads from another thread (atomics). */
typedef struct kh_watch_obs kh_watch_obs;
kh_watch_obs *kh_watch__obs_new(void);
void kh_watch__obs_free(kh_watch_obs *o);
kh_watch_obs *kh_watch__obs(const kh_watch *w);
void kh_watch__obs_event(kh_watch_obs *o, int64_t t_us); /* t_us: stageTimestamp, 0: none */
void kh_watch__obs_error(kh_watch_obs *o);
void kh_watch__obs_folded(kh_watch_obs *o);
void kh_watch__obs_alert(kh_watch_obs *o, const kh_alert *a);

#endif
