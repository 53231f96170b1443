/* bnfold.c - batchnorm folding in the inference lists of a training
 * program (pass_bnfold, progpasses.h).
 *
 * In forward and eval_step, a batchnorm in inference mode is an affine
 * map per channel, y = (x - rmean) s + beta with s = gamma / sqrt(rvar +
 * eps).  When x is the output of a conv or dense step and nothing else in
 * the list reads it, the map moves into the layer's weights:
 *
 *     conv(x, w, b) -> v;  batchnorm_fwd_infer(v) -> y
 * becomes
 *     batchnorm_fold(w, b, gamma, beta, rmean, rvar) -> w', b'
 *     conv(x, w', b') -> y
 *
 * with w' = w s per output channel and b' = (b - rmean) s + beta.  The
 * fold runs at every call of the list, from the parameters and running
 * statistics of that moment (training changes both), right before its
 * layer rather than all at the start of the list: w' and b' are ACT
 * buffers of the list that the memory planner places, live from the fold
 * to the conv, so only one folded weight takes arena space at a time
 * (all at the start would keep a copy of every folded weight live at
 * once: more than the activations of a U-Net at small sizes).  Not in train_step: there batchnorm normalises
 * with the batch statistics (a frozen batchnorm in train_step would fold
 * too, but its backward reads its input; left as it is).  Not after
 * conv_transpose, whose weight is [c, k / groups, ...]: the output
 * channel is not its leading dimension.
 *
 * The folded layer rounds differently (the scale multiplies the weights
 * before the sum instead of the sum): the output agrees with the unfolded
 * one within |a - b| <= 1e-5 + 1e-4 |b| (tests/passes/test_bnfold.c). */
#include "progpasses.h"
#include "train/autodiff.h"

#include <string.h>

/* The conv or dense step writing v before step j, when v's only reader in
 * L is step j; else -1. */
static int producer(const struct tprog *P, const struct tp_list *L, const bool *dead, int j, int v)
{
	int p = -1;

	if (v < 0 || v == P->output || v == P->loss || P->bufs[v].region != TP_ACT)
		return -1;
	for (int k = 0; k < L->n; k++) {
		const struct tstep *s = &L->v[k];
		bool named = false;
		if (dead[k] || k == j)
			continue;
		for (int q = 0; q < s->nbuf; q++)
			named = named || s->buf[q] == v;
		if (!named)
			continue;
		if (p >= 0 || k > j || (s->kind != TS_CONV_FWD && s->kind != TS_DENSE_FWD))
			return -1;
		p = k;
	}
	if (p < 0 || L->v[p].buf[3] != v || L->v[p].phase != L->v[j].phase)
		return -1;
	if ((L->v[p].kind == TS_CONV_FWD ? L->v[p].a.conv.epi.act : L->v[p].a.dense.epi.act) !=
	    TP_EPI_NONE)
		return -1;
	return p;
}

static int fold_list(struct tprog *P, struct tp_list *L)
{
	bool *dead = arena_array(P->A, (size_t)(L->n > 0 ? L->n : 1), sizeof *dead);
	struct tstep *folds = arena_array(P->A, (size_t)(L->n > 0 ? L->n : 1), sizeof *folds);
	bool *has_fold = arena_array(P->A, (size_t)(L->n > 0 ? L->n : 1), sizeof *has_fold);
	int nfolds = 0;

	for (int j = 0; j < L->n; j++) {
		struct tstep *bn = &L->v[j], *f;
		int p, w, b, w2, b2;
		int64_t k;
		struct shape sk;
		const struct node *ln;

		if (bn->kind != TS_BN_FWD_INFER || (p = producer(P, L, dead, j, bn->buf[0])) < 0)
			continue;
		struct tstep *cv = &L->v[p];
		k = cv->kind == TS_CONV_FWD ? cv->a.conv.k : cv->a.dense.out;
		w = cv->buf[1];
		b = cv->buf[2];
		if (k != bn->a.bn.c || k < 1 || P->bufs[w].numel % k != 0)
			continue;
		ln = cv->node;
		w2 = tp_buf_like(P, w, TB_SCRATCH, arena_printf(P->A, "%s.weight.folded", ln->name));
		sk.rank = 1;
		sk.d[0] = k;
		b2 = tp_buf(P, TP_ACT, TP_REAL, TB_SCRATCH,
			    arena_printf(P->A, "%s.bias.folded", ln->name), ln, false, &sk);

		f = &folds[p];
		has_fold[p] = true;
		nfolds++;
		memset(f, 0, sizeof *f);
		f->kind = TS_BN_FOLD;
		f->phase = TP_FWD;
		f->node = bn->node;
		f->nbuf = 8;
		f->buf = arena_array(P->A, 8, sizeof *f->buf);
		f->buf[0] = w;
		f->buf[1] = b;
		f->buf[2] = bn->buf[1];   /* gamma? */
		f->buf[3] = bn->buf[2];   /* beta? */
		f->buf[4] = bn->buf[3];   /* rmean */
		f->buf[5] = bn->buf[4];   /* rvar */
		f->buf[6] = w2;
		f->buf[7] = b2;
		f->a.bnfold.k = k;
		f->a.bnfold.per = P->bufs[w].numel / k;
		f->a.bnfold.eps = bn->a.bn.eps;

		cv->buf[1] = w2;
		cv->buf[2] = b2;
		cv->buf[3] = bn->buf[5];
		dead[j] = true;
	}
	if (nfolds) {
		/* each fold right before its layer: one folded weight live at a time */
		int cap = L->n + nfolds, n = 0;
		struct tstep *v = arena_array(P->A, (size_t)cap, sizeof *v);
		for (int i = 0; i < L->n; i++) {
			if (has_fold[i])
				v[n++] = folds[i];
			if (!dead[i])
				v[n++] = L->v[i];
		}
		L->v = v;
		L->n = n;
		L->cap = cap;
	}
	return nfolds;
}

int pass_bnfold(struct tprog *P)
{
	return fold_list(P, &P->forward) + fold_list(P, &P->eval_step);
}
