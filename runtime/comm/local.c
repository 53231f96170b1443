/* local.c - the local communication layer (world 1: every collective
 * leaves its buffer as it is) and the choice between it and MPI
 * (nrt_comm_open), plus the nrt_comm_* calls that dispatch to either. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "comm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int l_barrier(struct nrt_comm *c, const char *w) { (void)c, (void)w; return 0; }
static int l_bcast(struct nrt_comm *c, float *x, int64_t n, const char *w)
{
	(void)c, (void)x, (void)n, (void)w;
	return 0;
}
static int l_sum_f64(struct nrt_comm *c, double *x, int64_t n, const char *w)
{
	(void)c, (void)x, (void)n, (void)w;
	return 0;
}
static int l_isum(struct nrt_comm *c, float *x, int64_t n, int *req)
{
	(void)c, (void)x, (void)n;
	*req = 0;
	return 0;
}
static int l_poll(struct nrt_comm *c) { (void)c; return 0; }
static int l_wait(struct nrt_comm *c, const char *w) { (void)c, (void)w; return 0; }
static void l_close(struct nrt_comm *c, bool failed) { (void)failed; free(c); }

/* world 1: the sum of x[lo, hi) is x; the one range is already in place */
static int l_irs(struct nrt_comm *c, float *x, int64_t n, int64_t lo, int64_t hi)
{
	(void)c, (void)x, (void)n, (void)lo, (void)hi;
	return 0;
}
static int l_gatherv(struct nrt_comm *c, const float *send, float *recv, const int64_t *lo,
		     const int64_t *hi, int root, const char *w)
{
	(void)c, (void)root, (void)w;
	if (hi[0] > lo[0] && recv + lo[0] != send)
		memmove(recv + lo[0], send, (size_t)(hi[0] - lo[0]) * sizeof *recv);
	return 0;
}
static int l_allgatherv(struct nrt_comm *c, const void *send, void *recv, const int64_t *lo,
			const int64_t *hi, const char *w)
{
	(void)c, (void)w;
	if (hi[0] > lo[0] && (char *)recv + lo[0] != send)
		memmove((char *)recv + lo[0], send, (size_t)(hi[0] - lo[0]));
	return 0;
}
static int l_ps_open(struct nrt_comm *c, int servers)
{
	snprintf(c->err, sizeof c->err, "parameter_server(servers = %d) needs more than one rank "
		 "(a world of 1 runs as one process)", servers);
	return EINVAL;
}
static int l_ps_x(struct nrt_comm *c, int s, float *x, int64_t n)
{
	(void)s, (void)x, (void)n;
	snprintf(c->err, sizeof c->err, "no parameter servers in one process");
	return EINVAL;
}

static const struct nrt_comm_ops local_ops = {
	.barrier = l_barrier, .bcast_f32 = l_bcast, .allreduce_f32 = l_bcast,
	.allreduce_f64 = l_sum_f64, .iallreduce_f32 = l_isum, .poll = l_poll, .wait_all = l_wait,
	.allgather_f32 = l_bcast, .ireduce_scatter_f32 = l_irs, .gatherv_f32 = l_gatherv,
	.allgatherv_bytes = l_allgatherv,
	.ps_open = l_ps_open, .ps_ireduce_f32 = l_ps_x, .ps_ibcast_f32 = l_ps_x,
	.data_allreduce_f64 = l_sum_f64, .close = l_close,
};

struct nrt_comm *nrt_comm_local(void)
{
	struct nrt_comm *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->ops = &local_ops;
	c->kind = "local";
	c->world = 1;
	c->timeout = 60;
	return c;
}

bool nrt_comm_launched(void)
{
	return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_SIZE");
}

struct nrt_comm *nrt_comm_open(double timeout, char *err, size_t errlen)
{
	struct nrt_comm *c;
	if (timeout <= 0)
		timeout = 60;
	if (nrt_comm_launched()) {
#ifdef HAVE_MPI
		return nrt_comm_mpi_open(timeout, err, errlen);
#else
		const char *ws = getenv("OMPI_COMM_WORLD_SIZE");
		if (!ws)
			ws = getenv("PMI_SIZE");
		if (ws && atoi(ws) > 1) {
			snprintf(err, errlen, "started by mpirun with %s ranks, but this program was "
				 "built without MPI (configure found none): it can only run as one "
				 "process", ws);
			return NULL;
		}
#endif
	}
	c = nrt_comm_local();
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->timeout = timeout;
	return c;
}

void nrt_comm_close(struct nrt_comm *c, bool failed)
{
	if (c)
		c->ops->close(c, failed);
}

int nrt_comm_barrier(struct nrt_comm *c, const char *what)
{
	return c ? c->ops->barrier(c, what) : 0;
}

int nrt_comm_bcast_f32(struct nrt_comm *c, float *x, int64_t n, const char *what)
{
	return c && n > 0 ? c->ops->bcast_f32(c, x, n, what) : 0;
}

int nrt_comm_allgather_f32(struct nrt_comm *c, float *x, int64_t n, const char *what)
{
	return c && n > 0 ? c->ops->allgather_f32(c, x, n, what) : 0;
}

int nrt_comm_allreduce_f32(struct nrt_comm *c, float *x, int64_t n, const char *what)
{
	return c && n > 0 ? c->ops->allreduce_f32(c, x, n, what) : 0;
}

int nrt_comm_allreduce_f64(struct nrt_comm *c, double *x, int64_t n, const char *what)
{
	return c && n > 0 ? c->ops->allreduce_f64(c, x, n, what) : 0;
}

int nrt_comm_data_allreduce_f64(struct nrt_comm *c, double *x, int64_t n, const char *what)
{
	return c && n > 0 ? c->ops->data_allreduce_f64(c, x, n, what) : 0;
}

int nrt_comm_iallreduce_f32(struct nrt_comm *c, float *x, int64_t n, int *req)
{
	*req = 0;
	return c && n > 0 ? c->ops->iallreduce_f32(c, x, n, req) : 0;
}

int nrt_comm_poll(struct nrt_comm *c)
{
	return c ? c->ops->poll(c) : 0;
}

int nrt_comm_wait_all(struct nrt_comm *c, const char *what)
{
	return c ? c->ops->wait_all(c, what) : 0;
}

int nrt_comm_ireduce_scatter_f32(struct nrt_comm *c, float *x, int64_t n, int64_t lo, int64_t hi)
{
	return c && hi > lo ? c->ops->ireduce_scatter_f32(c, x, n, lo, hi) : 0;
}

int nrt_comm_gatherv_f32(struct nrt_comm *c, const float *send, float *recv, const int64_t *lo,
			 const int64_t *hi, int root, const char *what)
{
	return c ? c->ops->gatherv_f32(c, send, recv, lo, hi, root, what) : 0;
}

int nrt_comm_allgatherv_bytes(struct nrt_comm *c, const void *send, void *recv, const int64_t *lo,
			      const int64_t *hi, const char *what)
{
	if (!c)
		return l_allgatherv(c, send, recv, lo, hi, what);
	return c->ops->allgatherv_bytes(c, send, recv, lo, hi, what);
}

int nrt_comm_ps_open(struct nrt_comm *c, int servers)
{
	if (!c)
		return EINVAL;
	if (servers < 1 || servers >= c->world) {
		snprintf(c->err, sizeof c->err, "parameter_server(servers = %d) with %d ranks: it needs "
			 "at least one server and one worker (1 <= servers < ranks)", servers, c->world);
		return EINVAL;
	}
	return c->ops->ps_open(c, servers);
}

int nrt_comm_ps_ireduce_f32(struct nrt_comm *c, int s, float *x, int64_t n)
{
	return c && n > 0 ? c->ops->ps_ireduce_f32(c, s, x, n) : 0;
}

int nrt_comm_ps_ibcast_f32(struct nrt_comm *c, int s, float *x, int64_t n)
{
	return c && n > 0 ? c->ops->ps_ibcast_f32(c, s, x, n) : 0;
}
