/* grad.c - the runtime calls of the grad_ready and grad_sync steps of a
 * compiled train step (netrt.h), for the strategy the driver put in the
 * comm (c->servers, c->reduce_scatter):
 *
 *   allreduce         grad_ready starts a non-blocking sum over the ranks
 *                     of a range of the GRAD blob as soon as the backward
 *                     pass has produced it; grad_sync waits for every one
 *                     and divides by the world size.
 *   sharded           grad_ready starts a reduce-scatter of the range onto
 *                     the ranks' shards (each rank gets the sum of its own
 *                     part only: half the bytes of an allreduce); grad_sync
 *                     waits and divides the rank's shard.
 *   parameter_server  (a worker) grad_ready does nothing; grad_sync pushes
 *                     each server's part of GRAD into a sum at that server
 *                     and receives the parameters it updated, in one wait.
 *                     The servers run netc_update between (the driver).
 *
 * With no comm (ctx->comm NULL) or a world of 1 both do nothing. */
#define _POSIX_C_SOURCE 200809L
#include "netrt.h"

#include <time.h>

#include "comm.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int netrt_grad_ready(struct netrt_ctx *ctx, int64_t offset, int64_t count)
{
	struct nrt_comm *c = ctx->comm;
	float *g = ctx->region[NETRT_GRAD];
	int req, rc;
	if (!c || c->world <= 1 || c->servers > 0)
		return 0;
	nrt_comm_set_step(c, ctx->step);
	if ((rc = nrt_comm_poll(c)) != 0)
		return rc;
	if (c->reduce_scatter)
		return nrt_comm_ireduce_scatter_f32(c, g, c->ntrain, offset, offset + count);
	return nrt_comm_iallreduce_f32(c, g + offset, count, &req);
}

/* A worker: every server's part of GRAD to it, its part of PARAM back. */
static int push_pull(struct netrt_ctx *ctx, struct nrt_comm *c, int64_t ntrain)
{
	float *g = ctx->region[NETRT_GRAD], *p = ctx->region[NETRT_PARAM];
	int rc = 0;
	for (int s = 0; rc == 0 && s < c->servers; s++) {
		int64_t lo, hi;
		nrt_comm_shard(ntrain, c->servers, s, &lo, &hi);
		rc = nrt_comm_ps_ireduce_f32(c, s, g + lo, hi - lo);
		if (rc == 0)
			rc = nrt_comm_ps_ibcast_f32(c, s, p + lo, hi - lo);
	}
	return rc ? rc : nrt_comm_wait_all(c, "gradients to the parameter servers, parameters back");
}

int netrt_grad_sync(struct netrt_ctx *ctx, int64_t count)
{
	struct nrt_comm *c = ctx->comm;
	float *g = ctx->region[NETRT_GRAD];
	int rc;
	if (!c || c->world <= 1)
		return 0;
	nrt_comm_set_step(c, ctx->step);
	double t0 = now();
	rc = c->servers > 0 ? push_pull(ctx, c, count) : nrt_comm_wait_all(c, "gradients");
	c->grad_wait += now() - t0;   /* what the overlap did not hide */
	c->grad_syncs++;
	if (rc || c->servers > 0)
		return rc;
	float s = 1.0f / (float)c->world;
	int64_t lo = 0;
	if (ctx->shard_begin || ctx->shard_end)   /* sharded: only this rank's part is used */
		lo = ctx->shard_begin, count = ctx->shard_end;
	for (int64_t i = lo; i < count; i++)
		g[i] *= s;
	return 0;
}
