/* memplan.c - liveness-based reuse of the ACT arena.
 *
 * Liveness: the four step lists are laid end to end on one timeline with
 * an empty slot between consecutive lists.  tprog_verify guarantees that
 * a list reads only ACT buffers it wrote itself, so no contents cross a
 * barrier; a buffer named by two lists simply gets one range spanning
 * both, which is conservative and gives it one offset valid in all of
 * them.  A buffer is live from the first step that names it to the last
 * one, both inclusive: a step's inputs and outputs are then all live at
 * that step and never share memory, so no kernel sees an output aliasing
 * an input (no in-place reuse, even where an elementwise kernel would
 * allow it: the kernels are not audited for that, and the saving is
 * small next to what reuse across the step list gives).
 *
 * Placement: greedy by size.  Buffers are taken largest first (ties: the
 * earlier first use, then the id, so the result is deterministic); each
 * goes into the best-fitting gap (the smallest that holds it; ties: the
 * lowest) between the already placed buffers whose live ranges meet its
 * own, or on top of them when no gap holds it.  Largest first keeps the
 * big activations of the early layers at the bottom, where the smaller
 * buffers of later steps fill the holes they leave. */
#include "memplan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tp_act_live(const struct tprog *P, int64_t *first, int64_t *last)
{
	const struct tp_list *lists[] = { &P->init, &P->forward, &P->train_step, &P->eval_step };
	const int keep[] = { P->loss, P->output,
			     P->logits ? P->nodes[P->logits->id].value : -1 };
	int64_t base = 0;

	for (int b = 0; b < P->nbufs; b++)
		first[b] = last[b] = -1;
	for (size_t l = 0; l < sizeof lists / sizeof *lists; l++) {
		const struct tp_list *L = lists[l];
		for (int i = 0; i < L->n; i++) {
			const struct tstep *s = &L->v[i];
			for (int j = 0; j < s->nbuf; j++) {
				int b = s->buf[j];
				if (b < 0 || P->bufs[b].region != TP_ACT)
					continue;
				if (first[b] < 0)
					first[b] = base + i;
				last[b] = base + i;
			}
		}
		/* what the driver reads after the list must survive its last step */
		for (size_t k = 0; k < sizeof keep / sizeof *keep; k++) {
			int b = keep[k];
			if (b >= 0 && P->bufs[b].region == TP_ACT && last[b] >= base && L->n > 0)
				last[b] = base + L->n - 1;
		}
		base += L->n + 1;   /* the barrier */
	}
}

struct range {
	int64_t lo, hi;     /* [lo, hi) in elements */
};

static int64_t align_up(int64_t n)
{
	return (n + TP_ACT_ALIGN - 1) / TP_ACT_ALIGN * TP_ACT_ALIGN;
}

/* qsort context: the live ranges and sizes the order reads. */
static const struct tprog *order_P;
static const int64_t *order_first;

static int by_size(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int64_t nx = align_up(order_P->bufs[x].numel), ny = align_up(order_P->bufs[y].numel);
	if (nx != ny)
		return nx > ny ? -1 : 1;
	if (order_first[x] != order_first[y])
		return order_first[x] < order_first[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int by_lo(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

void tp_plan_act(struct tprog *P)
{
	size_t n = (size_t)(P->nbufs > 0 ? P->nbufs : 1);
	int64_t *first = calloc(n, sizeof *first), *last = calloc(n, sizeof *last);
	int *order = calloc(n, sizeof *order), *placed = calloc(n, sizeof *placed);
	struct range *busy = calloc(n, sizeof *busy);
	int norder = 0, nplaced = 0;
	int64_t high = 0;

	if (!first || !last || !order || !placed || !busy) {
		fprintf(stderr, "netc: out of memory planning the activation arena\n");
		exit(70);
	}
	tp_act_live(P, first, last);
	for (int b = 0; b < P->nbufs; b++) {
		struct tbuf *tb = &P->bufs[b];
		if (tb->region != TP_ACT)
			continue;
		if (first[b] < 0) {
			/* never live: any address does; the arena still holds it so
			 * that every buffer lies inside its region */
			tb->offset = 0;
			if (tb->numel > high)
				high = tb->numel;
			continue;
		}
		order[norder++] = b;
	}
	order_P = P;
	order_first = first;
	qsort(order, (size_t)norder, sizeof *order, by_size);
	for (int k = 0; k < norder; k++) {
		int b = order[k], nbusy = 0;
		int64_t need = align_up(P->bufs[b].numel), cur = 0, best = -1, best_len = 0;
		for (int i = 0; i < nplaced; i++) {
			int p = placed[i];
			if (first[p] <= last[b] && first[b] <= last[p])
				busy[nbusy++] = (struct range){ P->bufs[p].offset,
								P->bufs[p].offset + align_up(P->bufs[p].numel) };
		}
		qsort(busy, (size_t)nbusy, sizeof *busy, by_lo);
		/* the gaps between the ranges in use (offsets and sizes are
		 * aligned, so every gap start is too) */
		for (int i = 0; i < nbusy; i++) {
			int64_t len = busy[i].lo - cur;
			if (len >= need && (best < 0 || len < best_len)) {
				best = cur;
				best_len = len;
			}
			if (busy[i].hi > cur)
				cur = busy[i].hi;
		}
		P->bufs[b].offset = best >= 0 ? best : cur;
		if (P->bufs[b].offset + P->bufs[b].numel > high)
			high = P->bufs[b].offset + P->bufs[b].numel;
		placed[nplaced++] = b;
	}
	P->size[TP_ACT] = high;
	free(first);
	free(last);
	free(order);
	free(placed);
	free(busy);
}

/* The invariant the planner promises, checked on its own: sort the live
 * ACT buffers by offset and compare each with those that start before it
 * ends. */
const char *tprog_verify_layout(const struct tprog *P)
{
	size_t n = (size_t)(P->nbufs > 0 ? P->nbufs : 1);
	int64_t *first = calloc(n, sizeof *first), *last = calloc(n, sizeof *last);
	int *live = calloc(n, sizeof *live);
	int nlive = 0;
	const char *msg = NULL;

	if (!first || !last || !live) {
		free(first);
		free(last);
		free(live);
		return "out of memory";
	}
	if (!P->laid_out)
		msg = "the ACT arena is not laid out";
	tp_act_live(P, first, last);
	for (int b = 0; b < P->nbufs && !msg; b++) {
		const struct tbuf *tb = &P->bufs[b];
		if (tb->region != TP_ACT)
			continue;
		if (tb->offset < 0 || tb->offset + tb->numel > P->size[TP_ACT])
			msg = arena_printf(P->A, "ACT buffer %s lies outside the arena", tb->name);
		else if (P->memplan && tb->offset % TP_ACT_ALIGN)
			msg = arena_printf(P->A, "ACT buffer %s at %" PRId64 " is not aligned to %d",
					   tb->name, tb->offset, TP_ACT_ALIGN);
		else if (first[b] >= 0)
			live[nlive++] = b;
	}
	/* sorted by offset, a buffer only needs comparing with those that
	 * start before it ends: near linear, where all pairs would be
	 * quadratic on ResNet-sized programs */
	if (!msg) {
		struct range *r = calloc((size_t)(nlive > 0 ? nlive : 1), sizeof *r);
		if (!r) {
			msg = "out of memory";
		} else {
			/* lo: offset, hi: the buffer id (to find it back) */
			for (int i = 0; i < nlive; i++)
				r[i] = (struct range){ P->bufs[live[i]].offset, live[i] };
			qsort(r, (size_t)nlive, sizeof *r, by_lo);
			for (int i = 0; i < nlive && !msg; i++) {
				int a = (int)r[i].hi;
				int64_t end = P->bufs[a].offset + P->bufs[a].numel;
				for (int j = i + 1; j < nlive && r[j].lo < end && !msg; j++) {
					int b = (int)r[j].hi;
					if (P->bufs[b].numel > 0 && P->bufs[a].numel > 0 &&
					    first[a] <= last[b] && first[b] <= last[a])
						msg = arena_printf(P->A, "ACT buffers %s [%" PRId64 ", %" PRId64
								   ") and %s [%" PRId64 ", %" PRId64
								   ") overlap while both are live",
								   P->bufs[a].name, P->bufs[a].offset, end,
								   P->bufs[b].name, P->bufs[b].offset,
								   P->bufs[b].offset + P->bufs[b].numel);
				}
			}
			free(r);
		}
	}
	free(first);
	free(last);
	free(live);
	return msg;
}
