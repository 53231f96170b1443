/* grad.c - the runtime calls of the grad_ready and grad_sync steps of a
 * compiled train step (netrt.h): start a non-blocking sum of a range of
 * the GRAD blob as soon as the backward pass has produced it, and before
 * the optimizer update wait for every one and divide by the world size.
 * With no comm (ctx->comm NULL) or a world of 1 both do nothing.
 * distribute = sharded (ctx->shard_begin < shard_end): the sum is still a
 * whole allreduce (a first version; a reduce-scatter would move half the
 * bytes), but only the rank's shard is divided, the one its update reads. */
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
	int req;
	if (!c || c->world <= 1)
		return 0;
	nrt_comm_set_step(c, ctx->step);
	int rc = nrt_comm_poll(c);
	return rc ? rc : nrt_comm_iallreduce_f32(c, (float *)ctx->region[NETRT_GRAD] + offset, count,
						 &req);
}

int netrt_grad_sync(struct netrt_ctx *ctx, int64_t count)
{
	struct nrt_comm *c = ctx->comm;
	float *g = ctx->region[NETRT_GRAD];
	int rc;
	if (!c || c->world <= 1)
		return 0;
	double t0 = now();
	rc = nrt_comm_wait_all(c, "gradients");
	c->grad_wait += now() - t0;   /* what the overlap did not hide */
	c->grad_syncs++;
	if (rc)
		return rc;
	float s = 1.0f / (float)c->world;
	int64_t lo = 0;
	if (ctx->shard_end > ctx->shard_begin)   /* sharded: only this rank's part is used */
		lo = ctx->shard_begin, count = ctx->shard_end;
	for (int64_t i = lo; i < count; i++)
		g[i] *= s;
	return 0;
}
