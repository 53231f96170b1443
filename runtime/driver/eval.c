/* eval.c - the evaluation of a split by the driver (run.c): eval_step
 * over its batches (the last one padded, its loss made exact by
 * tail_loss), into the metrics.  With several data ranks each evaluates
 * the batches b % ranks == its data rank and keeps records of them
 * (runtime/train/evalrec.c), which every rank gathers and replays in batch
 * order: the metrics of one process on every rank (docs/distributed.md). */
#define _POSIX_C_SOURCE 200809L
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"

/* The loss of the first `valid` samples of a padded batch: the batch's
 * loss less its data term over all samples plus the data term over the
 * valid ones (the reference loss kernels on the logits), so a
 * regularisation term stays in. */
static double tail_loss(const struct run *R, int64_t valid)
{
	const struct netrt_program *p = R->p;
	const float *z = (const float *)R->c.region[NETRT_ACT] + p->logits_offset;
	const void *t = R->c.region[NETRT_TARGET];
	const cJSON *loss = drv_get(R->train_cfg, "loss");
	const char *kind = drv_str_or(loss, "kind", "");
	int64_t per = p->batch > 0 ? p->region_size[NETRT_TARGET] / p->batch : 0;
	int64_t s = p->classes > 0 && per > 0 ? per : 1;
	double full, part;

	if (p->logits_offset < 0)
		return drv_loss_of(R);
	if (!strcmp(kind, "cross_entropy") || !strcmp(kind, "weighted_cross_entropy")) {
		const float *w = p->class_weights_offset >= 0
			? (const float *)R->c.region[NETRT_CONST] + p->class_weights_offset : NULL;
		struct nrt_xent_desc d = { (int)p->batch, (int)p->classes, s,
					   drv_num_or(loss, "label_smoothing", 0) };
		full = nrt_ref_softmax_xent_fwd_f32(&d, z, t, w);
		d.n = (int)valid;
		part = nrt_ref_softmax_xent_fwd_f32(&d, z, t, w);
	} else if (!strcmp(kind, "dice")) {
		struct nrt_dice_desc d = { (int)p->batch, (int)p->classes, s, drv_num_or(loss, "smooth", 1) };
		full = nrt_ref_dice_fwd_f32(&d, z, t);
		d.n = (int)valid;
		part = nrt_ref_dice_fwd_f32(&d, z, t);
	} else {
		int64_t n = p->region_size[NETRT_TARGET] / p->batch;
		float (*f)(int64_t, const float *, const float *) =
			!strcmp(kind, "mse") ? nrt_ref_mse_fwd_f32 : nrt_ref_bce_logits_fwd_f32;
		full = f(p->batch * n, z, t);
		part = f(valid * n, z, t);
	}
	return drv_loss_of(R) - full + part;
}

/* More evaluation records than this (every rank holds all of them) and
 * the ranks evaluate the whole split each instead (docs/distributed.md). */
#define EVAL_RECORDS_MAX ((int64_t)256 << 20)

/* The records' shape: what nrt_metrics_add reads of a sample. */
static void recs_shape(const struct run *R, struct nrt_evalrec *r)
{
	if (R->mcfg.regression)         /* the metrics read the loss only */
		nrt_evalrec_init(r, 0, 0);
	else
		nrt_evalrec_init(r, R->p->output_numel / R->p->batch,
				 R->p->region_size[NETRT_TARGET] / R->p->batch);
}

/* eval_step over the batches b % stride == offset of split s (stride 1:
 * all): into m, or as records onto rec.  0, or 1 after a message. */
static int eval_batches(struct run *R, enum nrt_split s, int64_t stride, int64_t offset,
			struct nrt_metrics *m, struct nrt_evalrec *rec, int64_t *skipped,
			char *first, size_t firstn)
{
	struct nrt_loader_args a = { .split = s, .batch = R->p->batch, .seed = R->seed,
				     .epoch = 0, .train = false, .tail = NRT_TAIL_PAD,
				     .target = R->target, .batch_stride = stride,
				     .batch_offset = offset };
	struct nrt_loader *l;
	int64_t valid;
	int rc;

	nrt_data_set_shard(R->data, 0, 1);   /* the batches of the whole split */
	l = nrt_loader_start_args(R->data, &a, R->err, sizeof R->err);
	nrt_data_set_shard(R->data, R->drank, R->dworld);
	if (!l)
		return drv_fail(R, "%s", R->err);
	while ((rc = nrt_loader_next(l, R->c.region[NETRT_INPUT], R->c.region[NETRT_TARGET], &valid,
				     R->err, sizeof R->err)) == 0) {
		if ((rc = R->e->eval_step(&R->c)) != 0) {
			nrt_loader_free(l);
			return drv_fail(R, "a kernel failed in the evaluation: %s", strerror(rc));
		}
		double loss = valid < R->p->batch ? tail_loss(R, valid) : drv_loss_of(R);
		if (rec ? nrt_evalrec_add(rec, drv_output_of(R), R->c.region[NETRT_TARGET], valid, loss)
			: nrt_metrics_add(m, drv_output_of(R), R->c.region[NETRT_TARGET], valid, loss)) {
			nrt_loader_free(l);
			return drv_fail(R, "out of memory");
		}
	}
	if (rc < 0) {
		nrt_loader_free(l);
		return drv_fail(R, "%s", R->err);
	}
	*skipped = nrt_loader_skipped(l);
	if (*skipped)
		snprintf(first, firstn, "%s", nrt_loader_skip_message(l, 0));
	nrt_loader_free(l);
	return 0;
}

/* Split s over the data ranks: data rank r evaluates the batches b with
 * b % dworld == r (the batches of one process, padded tail included),
 * every rank gets every record (a parameter server sends none) and replays
 * nrt_metrics_add in batch order, so m holds one process's metrics.  The
 * ranks agree on failures first (one rank's bad data stops them all). */
static int evaluate_split(struct run *R, enum nrt_split s, struct nrt_metrics *m,
			  int64_t *skipped, char *first, size_t firstn)
{
	struct nrt_evalrec rec;
	int W = R->world, rc = 0;
	double *v = calloc((size_t)W * 3, sizeof *v);
	int64_t *lo = calloc((size_t)W * 3, sizeof *lo), *hi = lo + W, *nb = hi + W;
	unsigned char *all = NULL;

	recs_shape(R, &rec);
	if (!v || !lo) {
		free(v), free(lo);
		return drv_fail(R, "out of memory");
	}
	*skipped = 0;
	if (!R->server)
		rc = eval_batches(R, s, R->dworld, R->drank, m, &rec, skipped, first, firstn);
	double *mine = v + (size_t)R->rank * 3;
	mine[0] = rc ? -1 : (double)rec.len;
	mine[1] = (double)rec.batches;
	mine[2] = (double)*skipped;
	if (nrt_comm_allreduce_f64(R->comm, v, W * 3, "sizes of the evaluation records")) {
		rc = drv_comm_fail(R);
		goto out;
	}
	int64_t total = 0;
	*skipped = 0;
	for (int r = 0; r < W; r++) {
		if (v[3 * r] < 0 && !rc)   /* one message, from rank 0 */
			rc = R->rank ? 1 : drv_fail(R, "rank %d failed in the %s evaluation (its "
						"message is above)", r, nrt_split_name(s));
		lo[r] = total;
		total += v[3 * r] > 0 ? (int64_t)v[3 * r] : 0;
		hi[r] = total;
		nb[r] = (int64_t)v[3 * r + 1];
		*skipped += (int64_t)v[3 * r + 2];
	}
	if (rc)
		goto out;
	if (!(all = malloc(total > 0 ? (size_t)total : 1))) {
		rc = drv_fail(R, "out of memory");
		goto out;
	}
	if (nrt_comm_allgatherv_bytes(R->comm, rec.b, all, lo, hi, "evaluation records")) {
		rc = drv_comm_fail(R);
		goto out;
	}
	/* the data ranks are 0 .. dworld - 1; a server's part is empty */
	if (nrt_evalrec_replay(m, &rec, R->p->batch, all, lo, hi, nb, R->dworld, R->err,
			       sizeof R->err)) {
		rc = drv_fail(R, "%s", R->err);
		goto out;
	}
	if (R->o->eval_only && R->rank == 0) {
		printf("%s: evaluated by %d data ranks, batches per rank:", nrt_split_name(s),
		       R->dworld);
		for (int r = 0; r < R->dworld; r++)
			printf(" %lld", (long long)nb[r]);
		printf("\n");
	}
out:
	nrt_evalrec_free(&rec);
	free(all), free(v), free(lo);
	return rc;
}

/* Run eval_step over split s into m; the metrics' values go into sc.  More
 * than one data rank and records that fit: split over them
 * (evaluate_split), else every rank evaluates the whole split. */
int drv_evaluate(struct run *R, enum nrt_split s, struct nrt_metrics *m, struct nrt_scalars *sc)
{
	int64_t n = nrt_data_count(R->data, s), skipped = 0, B = R->p->batch;
	char first[512] = "";
	struct nrt_evalrec shape;
	int rc;

	nrt_metrics_reset(m);
	if (n == 0)
		return 0;
	recs_shape(R, &shape);
	int64_t need = (n + B - 1) / B * nrt_evalrec_size(&shape, 0) +
		       n * (shape.out_per + shape.tgt_per) * 4;
	if (R->dworld > 1 && need <= EVAL_RECORDS_MAX)
		rc = evaluate_split(R, s, m, &skipped, first, sizeof first);
	else
		rc = eval_batches(R, s, 1, 0, m, NULL, &skipped, first, sizeof first);
	if (rc)
		return rc;
	if (skipped)
		printf("%s: skipped %lld bad samples (first: %s)\n", nrt_split_name(s),
		       (long long)skipped, first[0] ? first : "on another rank");
	nrt_metrics_export(m, nrt_split_name(s), sc);
	return 0;
}
