/* comm.h - the communication layer of data-parallel training: one
 * interface over a `local` implementation (one process, world 1, every
 * collective a no-op, no MPI at run time) and an `mpi` one (mpi.c, built
 * when configure found MPI).
 *
 * Every collective has a deadline: the MPI implementation starts the
 * non-blocking form and polls it with MPI_Test until `timeout` seconds
 * passed, then fails with a message naming the collective, the peer when
 * it is known (world 2: the other rank) and the step (nrt_comm_set_step).
 * Functions return 0 or an errno value (ETIMEDOUT, EIO) with the message
 * in nrt_comm_error(); they never print and never exit. */
#ifndef NRT_COMM_H
#define NRT_COMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nrt_comm;

/* One implementation: the functions behind the nrt_comm_* calls. */
struct nrt_comm_ops {
	int (*barrier)(struct nrt_comm *c, const char *what);
	int (*bcast_f32)(struct nrt_comm *c, float *x, int64_t n, const char *what);
	int (*allreduce_f32)(struct nrt_comm *c, float *x, int64_t n, const char *what);
	int (*allreduce_f64)(struct nrt_comm *c, double *x, int64_t n, const char *what);
	/* start a sum of x[0, n) in place; *req identifies it for wait */
	int (*iallreduce_f32)(struct nrt_comm *c, float *x, int64_t n, int *req);
	/* progress the started ones without waiting (0, or an error) */
	int (*poll)(struct nrt_comm *c);
	/* wait for every started one */
	int (*wait_all)(struct nrt_comm *c, const char *what);
	/* every rank's part nrt_comm_shard(n, world, rank) of x[0, n) into
	 * every rank's x */
	int (*allgather_f32)(struct nrt_comm *c, float *x, int64_t n, const char *what);
	/* start a sum of x[lo, hi) whose part in rank r's shard of [0, n) ends
	 * in rank r's x (wait_all puts it in place) */
	int (*ireduce_scatter_f32)(struct nrt_comm *c, float *x, int64_t n, int64_t lo, int64_t hi);
	/* rank r's send[0, hi[r] - lo[r]) into root's recv[lo[r], hi[r]) */
	int (*gatherv_f32)(struct nrt_comm *c, const float *send, float *recv, const int64_t *lo,
			   const int64_t *hi, int root, const char *what);
	/* rank r's send[0, hi[r] - lo[r]) bytes into every rank's recv[lo[r], hi[r]) */
	int (*allgatherv_bytes)(struct nrt_comm *c, const void *send, void *recv,
				const int64_t *lo, const int64_t *hi, const char *what);
	/* parameter servers: make the groups (server s and every worker) */
	int (*ps_open)(struct nrt_comm *c, int servers);
	/* start, in server s's group, a sum of x[0, n) into the server's x
	 * (the server's own x takes part: zero it) */
	int (*ps_ireduce_f32)(struct nrt_comm *c, int s, float *x, int64_t n);
	/* start, in server s's group, a copy of the server's x[0, n) into
	 * every worker's x */
	int (*ps_ibcast_f32)(struct nrt_comm *c, int s, float *x, int64_t n);
	/* x = the sum over the ranks that train on data (every rank; with
	 * parameter servers the workers only), in place: synchronised
	 * batchnorm's sums (bn.c) */
	int (*data_allreduce_f64)(struct nrt_comm *c, double *x, int64_t n, const char *what);
	/* failed: the run ends on an error (MPI_Abort as the last resort) */
	void (*close)(struct nrt_comm *c, bool failed);
};

enum { NRT_COMM_ERRN = 512 };

struct nrt_comm {
	const struct nrt_comm_ops *ops;
	const char *kind;              /* "local" or "mpi" */
	int rank, world;
	double timeout;                /* seconds a collective may take */
	int64_t step;                  /* for messages */
	double grad_wait;              /* seconds grad_sync spent waiting on the sums */
	int64_t grad_syncs;            /* grad_sync calls that waited (world > 1) */
	/* the strategy grad.c follows (set by the driver): */
	int servers;                   /* parameter_server: the last `servers` ranks serve */
	bool reduce_scatter;           /* sharded: sum each rank's shard only */
	int64_t ntrain;                /* the trainable elements (what the shards split) */
	void *impl;
	char err[NRT_COMM_ERRN];
};

/* Started by mpirun / srun (OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE
 * in the environment)? */
bool nrt_comm_launched(void);

/* The MPI implementation when the process was launched by mpirun and MPI
 * was built in, else the local one.  timeout <= 0: 60 s.  NULL with a
 * message in err (MPI launch without MPI built in, MPI_Init failing). */
struct nrt_comm *nrt_comm_open(double timeout, char *err, size_t errlen);
/* The local implementation alone (world 1). */
struct nrt_comm *nrt_comm_local(void);
#ifdef HAVE_MPI
struct nrt_comm *nrt_comm_mpi_open(double timeout, char *err, size_t errlen);
#endif
/* End MPI (failed: abort the job) and free c.  NULL is fine. */
void nrt_comm_close(struct nrt_comm *c, bool failed);

static inline int nrt_comm_rank(const struct nrt_comm *c) { return c ? c->rank : 0; }
static inline int nrt_comm_world(const struct nrt_comm *c) { return c ? c->world : 1; }
static inline void nrt_comm_set_step(struct nrt_comm *c, int64_t step) { if (c) c->step = step; }
static inline const char *nrt_comm_error(const struct nrt_comm *c) { return c ? c->err : ""; }

int nrt_comm_barrier(struct nrt_comm *c, const char *what);
/* x[0, n) of rank 0 into every rank's x. */
int nrt_comm_bcast_f32(struct nrt_comm *c, float *x, int64_t n, const char *what);
/* x = the sum over ranks of x, in place. */
int nrt_comm_allreduce_f32(struct nrt_comm *c, float *x, int64_t n, const char *what);
int nrt_comm_allreduce_f64(struct nrt_comm *c, double *x, int64_t n, const char *what);
/* x = the sum over the ranks that train on data (nrt_comm_workers of
 * them: every rank, or the workers under parameter servers).  A server
 * must not call it. */
int nrt_comm_data_allreduce_f64(struct nrt_comm *c, double *x, int64_t n, const char *what);
/* Non-blocking sum of a float range: start, then wait for all started. */
int nrt_comm_iallreduce_f32(struct nrt_comm *c, float *x, int64_t n, int *req);
int nrt_comm_poll(struct nrt_comm *c);
int nrt_comm_wait_all(struct nrt_comm *c, const char *what);
/* The part of [0, n) that rank r of world owns (distribute = sharded):
 * [n r / world, n (r + 1) / world), nearly equal parts in rank order. */
static inline void nrt_comm_shard(int64_t n, int world, int r, int64_t *lo, int64_t *hi)
{
	*lo = world > 0 ? n * r / world : 0;
	*hi = world > 0 ? n * (r + 1) / world : n;
}
/* x[0, n): every rank's shard (nrt_comm_shard) from its owner, in place. */
int nrt_comm_allgather_f32(struct nrt_comm *c, float *x, int64_t n, const char *what);
/* Start the sum of x[lo, hi) onto the ranks' shards of [0, n): after
 * nrt_comm_wait_all rank r's x holds the sum over that range's part in
 * its shard (the rest of x[lo, hi) is undefined). */
int nrt_comm_ireduce_scatter_f32(struct nrt_comm *c, float *x, int64_t n, int64_t lo, int64_t hi);
/* Rank r's send[0, hi[r] - lo[r]) into root's recv[lo[r], hi[r]) (lo, hi:
 * one range per rank; an empty one sends nothing). */
int nrt_comm_gatherv_f32(struct nrt_comm *c, const float *send, float *recv, const int64_t *lo,
			 const int64_t *hi, int root, const char *what);
/* Rank r's send[0, hi[r] - lo[r]) bytes into every rank's recv[lo[r],
 * hi[r]) (lo, hi: one range per rank of the world; an empty one sends
 * nothing; the ranges must not overlap).  The evaluation's records of
 * each rank's batches (docs/distributed.md, Validation). */
int nrt_comm_allgatherv_bytes(struct nrt_comm *c, const void *send, void *recv, const int64_t *lo,
			      const int64_t *hi, const char *what);

/* distribute = parameter_server(servers = k): ranks world - k .. world - 1
 * are the servers, server s (rank world - k + s) owns part s of the
 * trainable blob (nrt_comm_shard(ntrain, k, s)); ranks 0 .. world - k - 1
 * are the workers.  ps_open makes one group per server (it and every
 * worker); 1 <= k < world, else EINVAL with a message. */
static inline bool nrt_comm_is_server(const struct nrt_comm *c)
{
	return c && c->servers > 0 && c->rank >= c->world - c->servers;
}
static inline int nrt_comm_workers(const struct nrt_comm *c)
{
	return c ? c->world - c->servers : 1;
}
int nrt_comm_ps_open(struct nrt_comm *c, int servers);
int nrt_comm_ps_ireduce_f32(struct nrt_comm *c, int s, float *x, int64_t n);
int nrt_comm_ps_ibcast_f32(struct nrt_comm *c, int s, float *x, int64_t n);

#endif
