/* bn.c - synchronised batchnorm: the training-mode batchnorm steps of a
 * distributed train step (distribute = allreduce, sharded or
 * parameter_server with sync_batchnorm = true, netrt.h) over the batch of
 * every rank that trains together (every rank; under parameter servers
 * the workers, nrt_comm_workers of them: the servers run no train step).
 *
 * The statistics are those of one process with the global batch of M =
 * m x workers values per channel (the formulas of runtime/kernels/norm.inc):
 * each rank sums its x per channel, the sums are added over the ranks
 * (nrt_comm_data_allreduce_f64) and give the mean; then the centred sums of
 * squares the same way give the biased variance, and the running
 * variance takes var M / (M - 1).  Every rank so computes the same
 * statistics and keeps the same running ones.  The local sums are
 * accumulated in double, so the rounding is at most the float kernel's.
 *
 * Backward: dbeta = sum dy and dgamma = sum dy xhat are this rank's own
 * sums (grad_sync adds them over the ranks and divides by the world, like
 * every gradient); dx needs the global sums S = sum dy and X = sum dy xhat
 * in this rank's loss scale (its loss is the mean over its own batch, one
 * world-th of the global one's weight), which is the sum over the ranks:
 *   dx = gamma invstd (dy - S / M - xhat X / M).
 *
 * With no comm or one rank that trains both calls are the reference kernels, so a
 * single process stays bitwise what it was.  The channels go in chunks of
 * CHUNK so the sums live on the stack. */
#include "netrt.h"

#include <math.h>

#include "comm.h"
#include "ref.h"

enum { CHUNK = 256 };

static bool alone(const struct netrt_ctx *ctx)
{
	const struct nrt_comm *c = ctx->comm;
	return !c || nrt_comm_workers(c) <= 1;
}

/* Channel c's value i of sample n. */
static int64_t at(const struct nrt_bn_desc *d, int64_t n, int64_t c, int64_t i)
{
	return (n * d->c + c) * d->s + i;
}

int netrt_bn_fwd_train(struct netrt_ctx *ctx, const struct nrt_bn_desc *d, const float *x,
		       const float *gamma, const float *beta, float *y, float *save_mean,
		       float *save_invstd, float *running_mean, float *running_var)
{
	struct nrt_comm *comm = ctx->comm;
	double sum[CHUNK];
	float mean[CHUNK];
	int rc;

	if (alone(ctx)) {
		nrt_ref_batchnorm_fwd_train_f32(d, x, gamma, beta, y, save_mean, save_invstd,
						running_mean, running_var);
		return 0;
	}
	int64_t m = (int64_t)d->n * d->s, M = m * nrt_comm_workers(comm);
	float mom = (float)d->momentum;
	nrt_comm_set_step(comm, ctx->step);
	for (int64_t c0 = 0; c0 < d->c; c0 += CHUNK) {
		int64_t k = d->c - c0 < CHUNK ? d->c - c0 : CHUNK;
		for (int64_t j = 0; j < k; j++) {
			double s = 0;
			for (int64_t n = 0; n < d->n; n++)
				for (int64_t i = 0; i < d->s; i++)
					s += x[at(d, n, c0 + j, i)];
			sum[j] = s;
		}
		if ((rc = nrt_comm_data_allreduce_f64(comm, sum, k, "batchnorm statistics")) != 0)
			return rc;
		for (int64_t j = 0; j < k; j++) {
			double s = 0;
			mean[j] = (float)(sum[j] / (double)M);
			for (int64_t n = 0; n < d->n; n++) {
				for (int64_t i = 0; i < d->s; i++) {
					float u = x[at(d, n, c0 + j, i)] - mean[j];
					s += (double)u * u;
				}
			}
			sum[j] = s;
		}
		if ((rc = nrt_comm_data_allreduce_f64(comm, sum, k, "batchnorm statistics")) != 0)
			return rc;
		for (int64_t j = 0; j < k; j++) {
			int64_t c = c0 + j;
			float var = (float)(sum[j] / (double)M);
			float invstd = 1 / sqrtf(var + (float)d->eps);
			float scale = gamma ? gamma[c] : 1, shift = beta ? beta[c] : 0;
			for (int64_t n = 0; n < d->n; n++) {
				for (int64_t i = 0; i < d->s; i++) {
					int64_t e = at(d, n, c, i);
					y[e] = (x[e] - mean[j]) * invstd * scale + shift;
				}
			}
			if (save_mean)
				save_mean[c] = mean[j];
			if (save_invstd)
				save_invstd[c] = invstd;
			if (running_mean)
				running_mean[c] = (1 - mom) * running_mean[c] + mom * mean[j];
			if (running_var) {
				float unbiased = M > 1 ? var * (float)M / (float)(M - 1) : var;
				running_var[c] = (1 - mom) * running_var[c] + mom * unbiased;
			}
		}
	}
	return 0;
}

int netrt_bn_bwd(struct netrt_ctx *ctx, const struct nrt_bn_desc *d, const float *x,
		 const float *gamma, const float *save_mean, const float *save_invstd,
		 const float *dy, float *dx, float *dgamma, float *dbeta)
{
	struct nrt_comm *comm = ctx->comm;
	double sums[2 * CHUNK];   /* sum dy of the chunk's channels, then sum dy xhat */
	int rc;

	if (alone(ctx)) {
		nrt_ref_batchnorm_bwd_f32(d, x, gamma, save_mean, save_invstd, dy, dx, dgamma, dbeta);
		return 0;
	}
	int64_t M = (int64_t)d->n * d->s * nrt_comm_workers(comm);
	nrt_comm_set_step(comm, ctx->step);
	for (int64_t c0 = 0; c0 < d->c; c0 += CHUNK) {
		int64_t k = d->c - c0 < CHUNK ? d->c - c0 : CHUNK;
		for (int64_t j = 0; j < k; j++) {
			int64_t c = c0 + j;
			float mean = save_mean[c], invstd = save_invstd[c];
			double sdy = 0, sdyx = 0;
			for (int64_t n = 0; n < d->n; n++) {
				for (int64_t i = 0; i < d->s; i++) {
					int64_t e = at(d, n, c, i);
					sdy += dy[e];
					sdyx += (double)dy[e] * (x[e] - mean) * invstd;
				}
			}
			if (dbeta)
				dbeta[c] = (float)sdy;
			if (dgamma)
				dgamma[c] = (float)sdyx;
			sums[j] = sdy;
			sums[k + j] = sdyx;
		}
		/* every rank has the same program: all skip this or none */
		if (!dx)
			continue;
		if ((rc = nrt_comm_data_allreduce_f64(comm, sums, 2 * k, "batchnorm gradient sums")) != 0)
			return rc;
		for (int64_t j = 0; j < k; j++) {
			int64_t c = c0 + j;
			float mean = save_mean[c], invstd = save_invstd[c];
			float scale = gamma ? gamma[c] : 1;
			float ms = (float)(sums[j] / (double)M), mx = (float)(sums[k + j] / (double)M);
			for (int64_t n = 0; n < d->n; n++) {
				for (int64_t i = 0; i < d->s; i++) {
					int64_t e = at(d, n, c, i);
					float xhat = (x[e] - mean) * invstd;
					dx[e] = scale * invstd * (dy[e] - ms - xhat * mx);
				}
			}
		}
	}
	return 0;
}
