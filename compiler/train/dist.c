/* dist.c - the gradient steps of data-parallel training (distribute =
 * allreduce(bucket_mb)): after the backward pass was emitted, a grad_ready
 * step right after the step that completes a bucket of gradients, and a
 * grad_sync step before the update.
 *
 * A trainable parameter's gradient is complete after the last step of
 * train_step that writes its GRAD view (or the whole GRAD blob: l2_bwd
 * writes every weight's).  Parameters are taken in the order their
 * gradients complete (the order backward produces them) and grouped into
 * buckets of consecutive GRAD ranges of at most bucket_mb MiB (a bigger
 * parameter is a bucket of its own); each bucket's grad_ready follows the
 * step that completes its last member.  The runtime starts a
 * non-blocking sum over the ranks there (netrt_grad_ready) and waits for
 * all of them at grad_sync, so communication overlaps the rest of the
 * backward pass.  Nothing is emitted for distribute = local. */
#include "autodiff.h"

#include <stdlib.h>
#include <string.h>

struct ready {
	int64_t lo, hi;        /* GRAD range */
	int at;                /* index of the step that completes it */
};

/* The index of the last step of L that writes GRAD elements [lo, hi). */
static int last_write(const struct tprog *P, const struct tp_list *L, int64_t lo, int64_t hi)
{
	int last = -1;
	for (int i = 0; i < L->n; i++) {
		const struct tstep *s = &L->v[i];
		struct tp_role r[TP_MAX_ROLES];
		tp_step_roles(s->kind, r);
		for (int j = 0; j < s->nbuf; j++) {
			const struct tbuf *b = s->buf[j] >= 0 ? &P->bufs[s->buf[j]] : NULL;
			if (!b || b->region != TP_GRAD || !r[tp_step_role_at(s, j)].out)
				continue;
			if (b->offset < hi && b->offset + b->numel > lo)
				last = i;
		}
	}
	return last;
}

static int by_step(const void *a, const void *b)
{
	const struct ready *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->lo > y->lo ? -1 : x->lo < y->lo;   /* backward order: later parameters first */
}

/* A GRAD view [lo, hi) for a bucket. */
static int bucket_buf(struct tprog *P, int64_t lo, int64_t hi, int k)
{
	struct shape s = { 0 };
	int b;
	s.rank = 1;
	s.d[0] = hi - lo;
	b = tp_buf(P, TP_GRAD, TP_REAL, TB_BLOB, arena_printf(P->A, "grads.bucket%d", k), NULL,
		   false, &s);
	P->bufs[b].offset = lo;
	return b;
}

void tp_emit_grad_steps(struct ad_ctx *C)
{
	struct tprog *P = C->P;
	struct tp_list *L = C->list;
	int64_t cap = (int64_t)(P->cfg.bucket_mb > 0 ? P->cfg.bucket_mb : 25) * (1 << 20) / 4;
	struct ready *v, *bk;
	int n = 0, nb = 0, old = L->n;
	struct tstep *steps;
	enum tp_phase ph = C->phase;
	union tp_args a;

	if (!P->cfg.allreduce || P->ntrain == 0)
		return;
	v = calloc((size_t)P->nparams + 1, sizeof *v);
	bk = calloc((size_t)P->nparams + 1, sizeof *bk);
	for (int i = 0; i < P->nparams; i++) {
		const struct tp_param *p = &P->params[i];
		if (!p->trainable)
			continue;
		v[n].lo = p->offset;
		v[n].hi = p->offset + p->numel;
		v[n].at = last_write(P, L, v[n].lo, v[n].hi);
		n++;
	}
	qsort(v, (size_t)n, sizeof *v, by_step);
	for (int i = 0; i < n; i++) {
		struct ready *b = nb ? &bk[nb - 1] : NULL;
		bool adjacent = b && (v[i].hi == b->lo || v[i].lo == b->hi);
		if (b && adjacent && (b->hi - b->lo) + (v[i].hi - v[i].lo) <= cap) {
			b->lo = v[i].lo < b->lo ? v[i].lo : b->lo;
			b->hi = v[i].hi > b->hi ? v[i].hi : b->hi;
			b->at = v[i].at;
			continue;
		}
		bk[nb++] = v[i];
	}
	/* emit the grad_ready steps at the end, then move each after its step */
	C->phase = TP_BWD;
	for (int k = 0; k < nb; k++) {
		int g = bucket_buf(P, bk[k].lo, bk[k].hi, k);
		a = tp_count_args(bk[k].hi - bk[k].lo, 0);
		ad_emit(C, TS_GRAD_READY, NULL, &a, 1, g);
	}
	steps = malloc((size_t)L->n * sizeof *steps);
	memcpy(steps, L->v, (size_t)L->n * sizeof *steps);
	{
		int o = 0, k = 0;
		/* buckets are sorted by their step; at < 0 (never written): first */
		while (k < nb && bk[k].at < 0)
			L->v[o++] = steps[old + k++];
		for (int i = 0; i < old; i++) {
			L->v[o++] = steps[i];
			while (k < nb && bk[k].at == i)
				L->v[o++] = steps[old + k++];
		}
		while (k < nb)
			L->v[o++] = steps[old + k++];
	}
	free(steps);
	a = tp_count_args(P->ntrain, 0);
	ad_emit(C, TS_GRAD_SYNC, NULL, &a, 1, P->grads_blob);
	C->phase = ph;
	free(v);
	free(bk);
}
