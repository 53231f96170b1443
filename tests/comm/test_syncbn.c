/* test_syncbn.c - synchronised batchnorm (runtime/comm/bn.c) without MPI:
 * two threads are two ranks of a fake comm whose allreduce adds their
 * buffers (a pthread barrier between the steps).  Each takes half of a
 * batch; their batch statistics, outputs, running statistics, dx and
 * (averaged) dgamma / dbeta must be the reference kernel's over the whole
 * batch, with more channels than bn.c's chunk of 256.  Also: no comm gives
 * the reference kernel bitwise, and a failing collective is returned. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "comm.h"
#include "netrt.h"
#include "ref.h"

enum { N = 6, C = 300, S = 5, HALF = N / 2 };

/* The shared side of the fake comm: one slot per rank. */
static struct {
	pthread_barrier_t bar;
	double *slot[2];
	int64_t n[2];
} fake;

static int f_sum_f64(struct nrt_comm *c, double *x, int64_t n, const char *what)
{
	(void)what;
	fake.slot[c->rank] = x;
	fake.n[c->rank] = n;
	pthread_barrier_wait(&fake.bar);
	double *o = fake.slot[1 - c->rank];
	double *tmp = malloc((size_t)n * sizeof *tmp);
	for (int64_t i = 0; i < n; i++)
		tmp[i] = x[i] + (fake.n[1 - c->rank] == n ? o[i] : NAN);
	pthread_barrier_wait(&fake.bar);   /* both read before either writes */
	memcpy(x, tmp, (size_t)n * sizeof *tmp);
	free(tmp);
	pthread_barrier_wait(&fake.bar);
	return 0;
}

static int f_fail_f64(struct nrt_comm *c, double *x, int64_t n, const char *what)
{
	(void)x, (void)n;
	snprintf(c->err, sizeof c->err, "%s timed out", what);
	return ETIMEDOUT;
}

static struct nrt_comm_ops ops = { .allreduce_f64 = f_sum_f64, .data_allreduce_f64 = f_sum_f64 };
static struct nrt_comm_ops fail_ops = { .allreduce_f64 = f_fail_f64, .data_allreduce_f64 = f_fail_f64 };

static float x[N * C * S], dy[N * C * S], gamma_[C], beta_[C];

struct rank {
	struct nrt_comm comm;
	struct netrt_ctx ctx;
	struct nrt_bn_desc d;
	float y[HALF * C * S], dx[HALF * C * S], mean[C], invstd[C], rm[C], rv[C];
	float dgamma[C], dbeta[C], dyr[HALF * C * S];
	int rc;
};

static void *rank_main(void *arg)
{
	struct rank *r = arg;
	const float *xr = x + (size_t)r->comm.rank * HALF * C * S;
	/* this rank's loss is the mean over its half: dy twice the whole batch's */
	for (int i = 0; i < HALF * C * S; i++)
		r->dyr[i] = 2 * dy[r->comm.rank * HALF * C * S + i];
	r->rc = netrt_bn_fwd_train(&r->ctx, &r->d, xr, gamma_, beta_, r->y, r->mean, r->invstd,
				   r->rm, r->rv);
	if (!r->rc)
		r->rc = netrt_bn_bwd(&r->ctx, &r->d, xr, gamma_, r->mean, r->invstd, r->dyr, r->dx,
				     r->dgamma, r->dbeta);
	return NULL;
}

static bool close_to(double a, double b, double tol)
{
	return fabs(a - b) <= tol * (1 + fabs(b));
}

/* Worst |a - b| / (1 + |b|) over n, scaled a by k. */
static double worst(const float *a, const float *b, int n, float k)
{
	double w = 0;
	for (int i = 0; i < n; i++) {
		double e = fabs((double)a[i] - k * (double)b[i]) / (1 + fabs(k * (double)b[i]));
		if (e > w)
			w = e;
	}
	return w;
}

static void test_two_ranks(void)
{
	static struct rank r[2];
	static float y[N * C * S], dx[N * C * S];
	float mean[C], invstd[C], rm[C], rv[C], dgamma[C], dbeta[C];
	struct nrt_bn_desc whole = { N, C, S, 1e-5, 0.1 };
	pthread_t t[2];

	for (int c = 0; c < C; c++)
		rm[c] = 0.5f, rv[c] = 2.0f;
	nrt_ref_batchnorm_fwd_train_f32(&whole, x, gamma_, beta_, y, mean, invstd, rm, rv);
	nrt_ref_batchnorm_bwd_f32(&whole, x, gamma_, mean, invstd, dy, dx, dgamma, dbeta);

	pthread_barrier_init(&fake.bar, NULL, 2);
	for (int k = 0; k < 2; k++) {
		memset(&r[k], 0, sizeof r[k]);
		r[k].comm.ops = &ops, r[k].comm.rank = k, r[k].comm.world = 2;
		r[k].ctx.comm = &r[k].comm;
		r[k].d = (struct nrt_bn_desc){ HALF, C, S, 1e-5, 0.1 };
		for (int c = 0; c < C; c++)
			r[k].rm[c] = 0.5f, r[k].rv[c] = 2.0f;
		pthread_create(&t[k], NULL, rank_main, &r[k]);
	}
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	pthread_barrier_destroy(&fake.bar);

	for (int k = 0; k < 2; k++) {
		size_t off = (size_t)k * HALF * C * S;
		ASSERT_EQ_INT(0, r[k].rc);
		ASSERT(worst(r[k].y, y + off, HALF * C * S, 1) < 1e-5);
		ASSERT(worst(r[k].mean, mean, C, 1) < 1e-6);
		ASSERT(worst(r[k].invstd, invstd, C, 1) < 1e-6);
		ASSERT(worst(r[k].rm, rm, C, 1) < 1e-6);
		/* unbiased with the global count: 30 values, not 15 */
		ASSERT(worst(r[k].rv, rv, C, 1) < 1e-6);
		ASSERT(worst(r[k].dx, dx + off, HALF * C * S, 2) < 1e-5);
	}
	/* every rank the same statistics */
	ASSERT(memcmp(r[0].mean, r[1].mean, sizeof r[0].mean) == 0);
	ASSERT(memcmp(r[0].rv, r[1].rv, sizeof r[0].rv) == 0);
	/* dgamma, dbeta: each rank's own sums; their mean (grad_sync) is the whole's */
	bool ok = true;
	for (int c = 0; c < C; c++)
		ok &= close_to(((double)r[0].dgamma[c] + r[1].dgamma[c]) / 2, dgamma[c], 1e-5) &&
		      close_to(((double)r[0].dbeta[c] + r[1].dbeta[c]) / 2, dbeta[c], 1e-5);
	ASSERT(ok);
	/* the statistics of one half alone differ (the test can fail) */
	float m1[C], s1[C], y1[HALF * C * S];
	struct nrt_bn_desc half = { HALF, C, S, 1e-5, 0.1 };
	nrt_ref_batchnorm_fwd_train_f32(&half, x, gamma_, beta_, y1, m1, s1, NULL, NULL);
	ASSERT(worst(m1, mean, C, 1) > 1e-3);
}

static void test_alone_and_failure(void)
{
	static float y1[N * C * S], y2[N * C * S], dx1[N * C * S], dx2[N * C * S];
	float m1[C], s1[C], m2[C], s2[C], g1[C], g2[C], b1[C], b2[C];
	struct nrt_bn_desc d = { N, C, S, 1e-5, 0.1 };
	struct netrt_ctx ctx = { 0 };

	/* no comm: the reference kernels, bit for bit */
	nrt_ref_batchnorm_fwd_train_f32(&d, x, gamma_, beta_, y1, m1, s1, NULL, NULL);
	ASSERT_EQ_INT(0, netrt_bn_fwd_train(&ctx, &d, x, gamma_, beta_, y2, m2, s2, NULL, NULL));
	ASSERT(memcmp(y1, y2, sizeof y1) == 0 && memcmp(m1, m2, sizeof m1) == 0 &&
	       memcmp(s1, s2, sizeof s1) == 0);
	nrt_ref_batchnorm_bwd_f32(&d, x, gamma_, m1, s1, dy, dx1, g1, b1);
	ASSERT_EQ_INT(0, netrt_bn_bwd(&ctx, &d, x, gamma_, m1, s1, dy, dx2, g2, b2));
	ASSERT(memcmp(dx1, dx2, sizeof dx1) == 0 && memcmp(g1, g2, sizeof g1) == 0 &&
	       memcmp(b1, b2, sizeof b1) == 0);

	/* a collective that fails: its status comes back, the message stays */
	struct nrt_comm c = { .ops = &fail_ops, .rank = 0, .world = 2 };
	ctx.comm = &c;
	ASSERT_EQ_INT(ETIMEDOUT, netrt_bn_fwd_train(&ctx, &d, x, gamma_, beta_, y2, m2, s2, NULL,
						     NULL));
	ASSERT_STR_EQ("batchnorm statistics timed out", c.err);
	ASSERT_EQ_INT(ETIMEDOUT, netrt_bn_bwd(&ctx, &d, x, gamma_, m1, s1, dy, dx2, g2, b2));
	ASSERT_STR_EQ("batchnorm gradient sums timed out", c.err);
	/* dx not wanted: no collective at all (every rank skips it alike) */
	ASSERT_EQ_INT(0, netrt_bn_bwd(&ctx, &d, x, gamma_, m1, s1, dy, NULL, g2, b2));
}

int main(void)
{
	uint64_t s = 12345;
	for (int i = 0; i < N * C * S; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		int c = (i / S) % C;
		/* channels with an offset, so the centred sums matter */
		x[i] = (float)((double)(s >> 40) / (double)(1 << 24) * 4 - 2 + 0.01 * c);
		dy[i] = (float)((double)((s >> 20) & 0xfffff) / (double)(1 << 20) - 0.5) / N;
	}
	for (int c = 0; c < C; c++)
		gamma_[c] = 1 + 0.001f * (float)c, beta_[c] = 0.1f * (float)(c % 7);
	test_two_ranks();
	test_alone_and_failure();
	return check_summary();
}
