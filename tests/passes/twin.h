/* twin.h - what the tests of the program passes share (test_fuse.c,
 * test_bnfold.c, test_cse_train.c): one network compiled twice, with
 * different passes, run side by side on the reference interpreter from
 * the same init and the same random batches, and compared region by
 * region -- bitwise, or within |a - b| <= 1e-5 + 1e-4 |b|.
 *
 * The ACT arenas start full of NaNs (0xff bytes), so that a step reading
 * memory no step of its list wrote shows up as a difference or a NaN. */
#ifndef NETC_TESTS_TWIN_H
#define NETC_TESTS_TWIN_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nets.h"

static long checks, failed;

#define CHECK(expr) check(!!(expr), __FILE__, __LINE__, #expr)
static bool check(bool ok, const char *file, int line, const char *expr)
{
	checks++;
	if (!ok) {
		failed++;
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n", file, line, expr);
	}
	return ok;
}

/* How two runs must agree. */
enum twin_cmp { TWIN_BITWISE, TWIN_CLOSE };

static bool twin_close(double a, double b, enum twin_cmp how)
{
	if (how == TWIN_BITWISE)
		return memcmp(&a, &b, sizeof a) == 0;
	return fabs(a - b) <= 1e-5 + 1e-4 * fabs(b);
}

/* Buffer-by-buffer would need the same buffers: the blobs have the same
 * layout in both programs (the passes never touch them), so regions are
 * compared element by element. */
static bool twin_region(const struct interp *a, const struct interp *b, enum tp_region r,
			enum twin_cmp how, int64_t *where)
{
	if (a->P->size[r] != b->P->size[r])
		return false;
	for (int64_t i = 0; i < a->P->size[r]; i++) {
		double x = a->prec == INTERP_F32 ? ((float *)a->mem[r])[i] : ((double *)a->mem[r])[i];
		double y = b->prec == INTERP_F32 ? ((float *)b->mem[r])[i] : ((double *)b->mem[r])[i];
		if (!twin_close(x, y, how)) {
			*where = i;
			return false;
		}
	}
	return true;
}

static void twin_poison(struct interp *I)
{
	if (I->mem[TP_ACT])
		memset(I->mem[TP_ACT], 0xff, I->bytes[TP_ACT]);
}

/* Steps of all four lists. */
__attribute__((unused)) static int twin_steps(const struct tprog *P)
{
	return P->init.n + P->forward.n + P->train_step.n + P->eval_step.n;
}

/* ACT buffers some step names. */
__attribute__((unused)) static int twin_act_bufs(const struct tprog *P)
{
	const struct tp_list *lists[] = { &P->init, &P->forward, &P->train_step, &P->eval_step };
	bool *used = calloc((size_t)P->nbufs + 1, 1);
	int n = 0;
	for (size_t l = 0; l < 4; l++)
		for (int i = 0; i < lists[l]->n; i++)
			for (int j = 0; j < lists[l]->v[i].nbuf; j++) {
				int b = lists[l]->v[i].buf[j];
				if (b >= 0 && P->bufs[b].region == TP_ACT && !used[b]) {
					used[b] = true;
					n++;
				}
			}
	free(used);
	return n;
}

/* Train `steps` steps on a and b (programs pa, pb of one network), then
 * eval_step and forward; train_how for the loss and the blobs after each
 * step, infer_how for the eval loss and the forward output. */
static void twin_run(const char *name, const struct tprog *pa, const struct tprog *pb,
		     enum interp_prec prec, int steps, enum twin_cmp train_how,
		     enum twin_cmp infer_how)
{
	static const enum tp_region cmp[] = { TP_PARAM, TP_GRAD, TP_STATE, TP_OPT };
	struct interp *a = interp_new(pa, prec), *b = interp_new(pb, prec);
	const char *pn = prec == INTERP_F32 ? "f32" : "f64";
	int64_t at;

	if (!CHECK(a && b))
		goto out;
	twin_poison(a);
	twin_poison(b);
	interp_init(a);
	interp_init(b);
	for (uint32_t step = 1; step <= (uint32_t)steps; step++) {
		fx_random_batch(a, 100 + step);
		fx_random_batch(b, 100 + step);
		interp_train_step(a, step);
		interp_train_step(b, step);
		CHECK(!isnan(interp_loss(a)));
		if (!CHECK(twin_close(interp_loss(a), interp_loss(b), train_how)))
			fprintf(stderr, "  %s %s step %u: loss %.17g and %.17g\n", name, pn, step,
				interp_loss(a), interp_loss(b));
		for (size_t r = 0; r < sizeof cmp / sizeof *cmp; r++)
			if (!CHECK(twin_region(a, b, cmp[r], train_how, &at)))
				fprintf(stderr, "  %s %s step %u: %s differs at %lld\n", name, pn, step,
					tp_region_name(cmp[r]), (long long)at);
	}
	fx_random_batch(a, 7);
	fx_random_batch(b, 7);
	interp_run(a, &pa->eval_step, (uint32_t)steps + 1, TP_FWD, TP_NPHASES - 1);
	interp_run(b, &pb->eval_step, (uint32_t)steps + 1, TP_FWD, TP_NPHASES - 1);
	if (!CHECK(twin_close(interp_loss(a), interp_loss(b), infer_how)))
		fprintf(stderr, "  %s %s eval loss %.17g and %.17g\n", name, pn, interp_loss(a),
			interp_loss(b));
	interp_run(a, &pa->forward, (uint32_t)steps + 1, TP_FWD, TP_NPHASES - 1);
	interp_run(b, &pb->forward, (uint32_t)steps + 1, TP_FWD, TP_NPHASES - 1);
	if (pa->output >= 0 && CHECK(pb->output >= 0)) {
		int64_t bad = -1;
		for (int64_t i = 0; i < pa->bufs[pa->output].numel && bad < 0; i++)
			if (!twin_close(interp_get(a, pa->output, i), interp_get(b, pb->output, i),
					infer_how))
				bad = i;
		if (!CHECK(bad < 0))
			fprintf(stderr, "  %s %s forward output differs at %lld: %.17g and %.17g\n", name,
				pn, (long long)bad, interp_get(a, pa->output, bad),
				interp_get(b, pb->output, bad));
	}
	/* eval_step and forward change nothing outside ACT */
	CHECK(twin_region(a, b, TP_STATE, TWIN_BITWISE, &at));
	CHECK(twin_region(a, b, TP_PARAM, train_how, &at));
out:
	interp_free(a);
	interp_free(b);
}

#endif
