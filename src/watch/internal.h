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

#endif
