/* grad.c - the runtime calls of the grad_ready and grad_sync steps of a
 * compiled train step (netrt.h): start a non-blocking sum of a range of
 * the GRAD blob as soon as the backward pass has produced it, and before
 * the optimizer update wait for every one and divide by the world size.
 * With no comm (ctx->comm NULL) or a world of 1 both do nothing. */
#include "netrt.h"

#include "comm.h"

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
	if ((rc = nrt_comm_wait_all(c, "gradients")) != 0)
		return rc;
	float s = 1.0f / (float)c->world;
	for (int64_t i = 0; i < count; i++)
		g[i] *= s;
	return 0;
}
