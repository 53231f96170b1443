/* memplan.h - liveness-based planning of the ACT arena (memplan.c).
 * tprog_layout (compiler/train/layout.c) calls tp_plan_act when the
 * program asks for planning (tprog.memplan); tprog_verify_layout
 * (tprog.h) checks the result with tp_act_live. */
#ifndef NETC_PASSES_MEMPLAN_H
#define NETC_PASSES_MEMPLAN_H

#include <stdint.h>

#include "train/tprog.h"

/* Offsets the planner gives ACT buffers are multiples of this many
 * elements (64 bytes of float32: one cache line, the widest vector). */
enum { TP_ACT_ALIGN = 16 };

/* The live range of every buffer on one timeline that runs through the
 * lists init, forward, train_step, eval_step with one empty slot (a
 * barrier) between consecutive lists: first[b] is the time of the first
 * step that names b, last[b] that of the last; the loss and the network
 * output stay live to the end of every list that names them, because the
 * driver reads them after the list returns.  Buffers outside ACT and
 * buffers no step names get first = last = -1 (never live).  first and
 * last have P->nbufs entries. */
void tp_act_live(const struct tprog *P, int64_t *first, int64_t *last);

/* Give every ACT buffer an offset (aligned to TP_ACT_ALIGN) such that
 * buffers live at the same time never share an element, and set
 * P->size[TP_ACT] to the high-water mark. */
void tp_plan_act(struct tprog *P);

#endif
