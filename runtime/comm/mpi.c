/* mpi.c - the MPI communication layer (comm.h): MPI_COMM_WORLD with
 * MPI_ERRORS_RETURN, every call's result checked, every collective
 * started non-blocking and polled with MPI_Test until the deadline, so a
 * dead or stopped peer gives an error naming the collective instead of a
 * hang.  Compiled only when configure found MPI. */
#define _POSIX_C_SOURCE 200809L
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "comm.h"

#include <errno.h>
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { CHUNK = 1 << 28 };      /* elements per MPI call (counts are int) */

struct move {
	float *from, *to;
	int64_t n;
};

struct mpi_impl {
	MPI_Request *req;      /* started non-blocking sums (gradient buckets) */
	int nreq, capreq;
	int64_t elems;         /* their elements, for messages */
	struct move *mv;       /* reduce-scatter results to put in place after the wait */
	int nmv, capmv;
	MPI_Comm *group;       /* parameter servers: group s = server s and the workers */
	int ngroups;
	MPI_Comm workers;      /* parameter servers: the workers alone (else MPI_COMM_NULL) */
	const char *kind;      /* what the started ones are, for messages */
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* "the other rank (1)" in a world of 2; with parameter servers the ranks
 * of the other side; "a rank" otherwise. */
static void peer(const struct nrt_comm *c, char *b, size_t n)
{
	int w = c->world - c->servers;
	if (c->world == 2)
		snprintf(b, n, "rank %d", 1 - c->rank);
	else if (c->servers > 0 && c->rank >= w)
		snprintf(b, n, "one of the workers (ranks 0-%d)", w - 1);
	else if (c->servers == 1)
		snprintf(b, n, "the parameter server (rank %d) or another worker", w);
	else if (c->servers > 1)
		snprintf(b, n, "a parameter server (ranks %d-%d) or another worker", w,
			 c->world - 1);
	else
		snprintf(b, n, "one of the %d other ranks", c->world - 1);
}

static int mpi_fail(struct nrt_comm *c, int rc, const char *call, const char *what)
{
	char s[MPI_MAX_ERROR_STRING], p[128];
	int len = 0;
	if (MPI_Error_string(rc, s, &len) != MPI_SUCCESS)
		snprintf(s, sizeof s, "error %d", rc);
	peer(c, p, sizeof p);
	snprintf(c->err, sizeof c->err, "rank %d: %s (%s) failed at step %lld: %s (is %s gone?)",
		 c->rank, call, what, (long long)c->step, s, p);
	return EIO;
}

static int timed_out(struct nrt_comm *c, const char *call, const char *what)
{
	char p[128];
	peer(c, p, sizeof p);
	snprintf(c->err, sizeof c->err, "rank %d: %s (%s) did not complete within %g s at step %lld: "
		 "%s did not take part (dead or stopped); --comm-timeout sets the limit",
		 c->rank, call, what, c->timeout, (long long)c->step, p);
	return ETIMEDOUT;
}

/* Poll requests r[0, n) until all completed or the deadline passed. */
static int wait_reqs(struct nrt_comm *c, MPI_Request *r, int n, const char *call, const char *what)
{
	double end = now() + c->timeout;
	for (int i = 0; i < n; i++) {
		for (unsigned spin = 0;; spin++) {
			int done = 0, rc = MPI_Test(&r[i], &done, MPI_STATUS_IGNORE);
			if (rc != MPI_SUCCESS)
				return mpi_fail(c, rc, call, what);
			if (done)
				break;
			if ((spin & 63) == 63 && now() > end)
				return timed_out(c, call, what);
		}
	}
	return 0;
}

static int m_barrier(struct nrt_comm *c, const char *what)
{
	MPI_Request r;
	int rc = MPI_Ibarrier(MPI_COMM_WORLD, &r);
	if (rc != MPI_SUCCESS)
		return mpi_fail(c, rc, "MPI_Ibarrier", what);
	return wait_reqs(c, &r, 1, "barrier", what);
}

static int m_bcast(struct nrt_comm *c, float *x, int64_t n, const char *what)
{
	for (int64_t o = 0; o < n; o += CHUNK) {
		MPI_Request r;
		int k = (int)(n - o < CHUNK ? n - o : CHUNK);
		int rc = MPI_Ibcast(x + o, k, MPI_FLOAT, 0, MPI_COMM_WORLD, &r);
		if (rc != MPI_SUCCESS)
			return mpi_fail(c, rc, "MPI_Ibcast", what);
		if ((rc = wait_reqs(c, &r, 1, "broadcast", what)) != 0)
			return rc;
	}
	return 0;
}

static int sum(struct nrt_comm *c, MPI_Comm comm, void *x, int64_t n, MPI_Datatype t, size_t sz,
	       const char *what)
{
	for (int64_t o = 0; o < n; o += CHUNK) {
		MPI_Request r;
		int k = (int)(n - o < CHUNK ? n - o : CHUNK);
		int rc = MPI_Iallreduce(MPI_IN_PLACE, (char *)x + (size_t)o * sz, k, t, MPI_SUM,
					comm, &r);
		if (rc != MPI_SUCCESS)
			return mpi_fail(c, rc, "MPI_Iallreduce", what);
		if ((rc = wait_reqs(c, &r, 1, "allreduce", what)) != 0)
			return rc;
	}
	return 0;
}

static int m_sum_f32(struct nrt_comm *c, float *x, int64_t n, const char *what)
{
	return sum(c, MPI_COMM_WORLD, x, n, MPI_FLOAT, sizeof *x, what);
}

static int m_sum_f64(struct nrt_comm *c, double *x, int64_t n, const char *what)
{
	return sum(c, MPI_COMM_WORLD, x, n, MPI_DOUBLE, sizeof *x, what);
}

static int m_data_sum_f64(struct nrt_comm *c, double *x, int64_t n, const char *what)
{
	struct mpi_impl *m = c->impl;
	if (c->servers == 0)
		return m_sum_f64(c, x, n, what);
	if (m->workers == MPI_COMM_NULL) {
		snprintf(c->err, sizeof c->err, "rank %d: %s: a parameter server has no part in the "
			 "workers' sums", c->rank, what);
		return EINVAL;
	}
	return sum(c, m->workers, x, n, MPI_DOUBLE, sizeof *x, what);
}

/* Room for one more started request (0, or ENOMEM with a message). */
static int more_reqs(struct nrt_comm *c)
{
	struct mpi_impl *m = c->impl;
	if (m->nreq == m->capreq) {
		int cap = m->capreq ? 2 * m->capreq : 64;
		MPI_Request *v = realloc(m->req, (size_t)cap * sizeof *v);
		if (!v) {
			snprintf(c->err, sizeof c->err, "rank %d: out of memory", c->rank);
			return ENOMEM;
		}
		m->req = v;
		m->capreq = cap;
	}
	return 0;
}

static int m_isum(struct nrt_comm *c, float *x, int64_t n, int *req)
{
	struct mpi_impl *m = c->impl;
	for (int64_t o = 0; o < n; o += CHUNK) {
		int k = (int)(n - o < CHUNK ? n - o : CHUNK), rc;
		if ((rc = more_reqs(c)) != 0)
			return rc;
		rc = MPI_Iallreduce(MPI_IN_PLACE, x + o, k, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
				    &m->req[m->nreq]);
		if (rc != MPI_SUCCESS)
			return mpi_fail(c, rc, "MPI_Iallreduce", "gradient bucket");
		*req = m->nreq++;
		m->elems += k;
		m->kind = "allreduce";
	}
	return 0;
}

/* Let started sums progress (Open MPI moves them on inside MPI calls). */
static int m_poll(struct nrt_comm *c)
{
	struct mpi_impl *m = c->impl;
	int flag = 0, rc;
	if (m->nreq == 0)
		return 0;
	rc = MPI_Testall(m->nreq, m->req, &flag, MPI_STATUSES_IGNORE);
	return rc == MPI_SUCCESS ? 0 : mpi_fail(c, rc, "MPI_Testall", "gradient buckets");
}

static int m_wait(struct nrt_comm *c, const char *what)
{
	struct mpi_impl *m = c->impl;
	char w[160];
	int rc;
	snprintf(w, sizeof w, "%s: %d request%s, %.1f MB", what, m->nreq, m->nreq == 1 ? "" : "s",
		 (double)m->elems * 4 / 1e6);
	rc = wait_reqs(c, m->req, m->nreq, m->kind ? m->kind : "allreduce", w);
	if (rc != 0)
		return rc;
	for (int i = 0; i < m->nmv; i++)   /* reduce-scatter results in place */
		memmove(m->mv[i].to, m->mv[i].from, (size_t)m->mv[i].n * sizeof(float));
	m->nreq = 0, m->elems = 0, m->nmv = 0, m->kind = NULL;
	return 0;
}

/* MPI_Ireduce_scatter in place of x[lo, hi) with the counts of the ranks'
 * shards of [0, n) in it: rank r's sum lands at x + lo (MPI's in-place
 * rule) and moves to its place in x after the wait. */
static int m_ireduce_scatter(struct nrt_comm *c, float *x, int64_t n, int64_t lo, int64_t hi)
{
	struct mpi_impl *m = c->impl;
	int *cnt, rc;
	int64_t mylo = 0, mycnt = 0;

	if (hi - lo > INT_MAX) {
		snprintf(c->err, sizeof c->err, "rank %d: reduce-scatter of %lld elements: more than "
			 "%d (use a smaller bucket_mb)", c->rank, (long long)(hi - lo), INT_MAX);
		return EINVAL;
	}
	if ((rc = more_reqs(c)) != 0)
		return rc;
	if (m->nmv == m->capmv) {
		int cap = m->capmv ? 2 * m->capmv : 64;
		struct move *v = realloc(m->mv, (size_t)cap * sizeof *v);
		if (!v)
			return snprintf(c->err, sizeof c->err, "rank %d: out of memory", c->rank), ENOMEM;
		m->mv = v;
		m->capmv = cap;
	}
	if (!(cnt = calloc((size_t)c->world, sizeof *cnt)))
		return snprintf(c->err, sizeof c->err, "rank %d: out of memory", c->rank), ENOMEM;
	for (int r = 0; r < c->world; r++) {
		int64_t a, b;
		nrt_comm_shard(n, c->world, r, &a, &b);
		a = a > lo ? a : lo;
		b = b < hi ? b : hi;
		cnt[r] = b > a ? (int)(b - a) : 0;
		if (r == c->rank)
			mylo = a, mycnt = cnt[r];
	}
	rc = MPI_Ireduce_scatter(MPI_IN_PLACE, x + lo, cnt, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
				 &m->req[m->nreq]);
	free(cnt);
	if (rc != MPI_SUCCESS)
		return mpi_fail(c, rc, "MPI_Ireduce_scatter", "gradient bucket");
	m->nreq++;
	m->elems += hi - lo;
	m->kind = "reduce-scatter";
	if (mycnt > 0 && mylo != lo)
		m->mv[m->nmv++] = (struct move){ x + lo, x + mylo, mycnt };
	return 0;
}

/* MPI_Igatherv of the ranks' ranges into root's recv. */
/* The int counts and displacements of a v-collective: rank r's range
 * [lo[r], hi[r]) (lo NULL: its shard nrt_comm_shard(n, world, r)), as
 * cnt[0, world) and dsp = cnt + world in one allocation for the caller to
 * free.  NULL after a message in c->err (*rc = ENOMEM, or EINVAL for a
 * range that is not one of at most INT_MAX units: MPI counts are ints). */
static int *v_counts(struct nrt_comm *c, const int64_t *lo, const int64_t *hi, int64_t n,
		     const char *coll, const char *unit, const char *what, int *rc)
{
	int *cnt = calloc((size_t)c->world * 2, sizeof *cnt);
	if (!cnt) {
		snprintf(c->err, sizeof c->err, "rank %d: out of memory (%s)", c->rank, what);
		*rc = ENOMEM;
		return NULL;
	}
	for (int i = 0; i < c->world; i++) {
		int64_t l, h;
		if (lo)
			l = lo[i], h = hi[i];
		else
			nrt_comm_shard(n, c->world, i, &l, &h);
		if (h > INT_MAX || l < 0 || h < l) {
			free(cnt);
			snprintf(c->err, sizeof c->err, "rank %d: %s (%s): range [%lld, %lld) of rank "
				 "%d is not one of at most %d %s", c->rank, coll, what, (long long)l,
				 (long long)h, i, INT_MAX, unit);
			*rc = EINVAL;
			return NULL;
		}
		cnt[i] = (int)(h - l), cnt[c->world + i] = (int)l;
	}
	return cnt;
}

static int m_gatherv(struct nrt_comm *c, const float *send, float *recv, const int64_t *lo,
		     const int64_t *hi, int root, const char *what)
{
	int rc, *cnt = v_counts(c, lo, hi, 0, "gather", "elements", what, &rc);
	MPI_Request r;
	if (!cnt)
		return rc;
	rc = MPI_Igatherv(send, cnt[c->rank], MPI_FLOAT, recv, cnt, cnt + c->world, MPI_FLOAT, root,
			  MPI_COMM_WORLD, &r);
	free(cnt);
	if (rc != MPI_SUCCESS)
		return mpi_fail(c, rc, "MPI_Igatherv", what);
	return wait_reqs(c, &r, 1, "gather", what);
}

/* MPI_Iallgatherv of the ranks' byte ranges into every rank's recv. */
static int m_allgatherv(struct nrt_comm *c, const void *send, void *recv, const int64_t *lo,
			const int64_t *hi, const char *what)
{
	int rc, *cnt = v_counts(c, lo, hi, 0, "allgather", "bytes", what, &rc);
	MPI_Request r;
	if (!cnt)
		return rc;
	rc = MPI_Iallgatherv(send, cnt[c->rank], MPI_BYTE, recv, cnt, cnt + c->world, MPI_BYTE,
			     MPI_COMM_WORLD, &r);
	free(cnt);
	if (rc != MPI_SUCCESS)
		return mpi_fail(c, rc, "MPI_Iallgatherv", what);
	return wait_reqs(c, &r, 1, "allgather", what);
}

/* One communicator per server: server s (rank world - k + s, the last
 * member, so its group rank is the number of workers) and every worker.
 * MPI_Comm_split blocks: a barrier with the deadline first makes sure
 * every rank got here. */
static int m_ps_open(struct nrt_comm *c, int k)
{
	struct mpi_impl *m = c->impl;
	int rc;
	if ((rc = m_barrier(c, "set-up of the parameter-server groups")) != 0)
		return rc;
	if (!(m->group = calloc((size_t)k, sizeof *m->group)))
		return snprintf(c->err, sizeof c->err, "rank %d: out of memory", c->rank), ENOMEM;
	for (int s = 0; s < k; s++) {
		bool in = c->rank < c->world - k || c->rank == c->world - k + s;
		rc = MPI_Comm_split(MPI_COMM_WORLD, in ? 0 : MPI_UNDEFINED, c->rank, &m->group[s]);
		if (rc != MPI_SUCCESS)
			return mpi_fail(c, rc, "MPI_Comm_split", "parameter-server groups");
		if (in && (rc = MPI_Comm_set_errhandler(m->group[s], MPI_ERRORS_RETURN)) != MPI_SUCCESS)
			return mpi_fail(c, rc, "MPI_Comm_set_errhandler", "parameter-server groups");
		m->ngroups = s + 1;
	}
	rc = MPI_Comm_split(MPI_COMM_WORLD, c->rank < c->world - k ? 0 : MPI_UNDEFINED, c->rank,
			    &m->workers);
	if (rc != MPI_SUCCESS)
		return mpi_fail(c, rc, "MPI_Comm_split", "the workers' group");
	if (m->workers != MPI_COMM_NULL &&
	    (rc = MPI_Comm_set_errhandler(m->workers, MPI_ERRORS_RETURN)) != MPI_SUCCESS)
		return mpi_fail(c, rc, "MPI_Comm_set_errhandler", "the workers' group");
	c->servers = k;
	return 0;
}

/* Server s's group communicator, or NULL (with a message) when this rank
 * is not in it or the count is too big. */
static MPI_Comm *ps_group(struct nrt_comm *c, int s, int64_t n)
{
	struct mpi_impl *m = c->impl;
	bool in = c->rank < c->world - c->servers || c->rank == c->world - c->servers + s;
	if (s < 0 || s >= m->ngroups || !in || m->group[s] == MPI_COMM_NULL || n > INT_MAX) {
		snprintf(c->err, sizeof c->err, "rank %d: no parameter-server group %d for %lld "
			 "elements", c->rank, s, (long long)n);
		return NULL;
	}
	return &m->group[s];
}

static int m_ps_ireduce(struct nrt_comm *c, int s, float *x, int64_t n)
{
	struct mpi_impl *m = c->impl;
	MPI_Comm *g = ps_group(c, s, n);
	int root = c->world - c->servers, rc;
	if (!g)
		return EINVAL;
	if ((rc = more_reqs(c)) != 0)
		return rc;
	if (c->rank == c->world - c->servers + s)
		rc = MPI_Ireduce(MPI_IN_PLACE, x, (int)n, MPI_FLOAT, MPI_SUM, root, *g,
				 &m->req[m->nreq]);
	else
		rc = MPI_Ireduce(x, NULL, (int)n, MPI_FLOAT, MPI_SUM, root, *g, &m->req[m->nreq]);
	if (rc != MPI_SUCCESS)
		return mpi_fail(c, rc, "MPI_Ireduce", "gradients to a parameter server");
	m->nreq++;
	m->elems += n;
	m->kind = "reduce (parameter server)";
	return 0;
}

static int m_ps_ibcast(struct nrt_comm *c, int s, float *x, int64_t n)
{
	struct mpi_impl *m = c->impl;
	MPI_Comm *g = ps_group(c, s, n);
	int rc;
	if (!g)
		return EINVAL;
	if ((rc = more_reqs(c)) != 0)
		return rc;
	rc = MPI_Ibcast(x, (int)n, MPI_FLOAT, c->world - c->servers, *g, &m->req[m->nreq]);
	if (rc != MPI_SUCCESS)
		return mpi_fail(c, rc, "MPI_Ibcast", "parameters from a parameter server");
	m->nreq++;
	m->elems += n;
	m->kind = m->kind ? "reduce and broadcast (parameter server)" : "broadcast (parameter server)";
	return 0;
}

/* MPI_Iallgatherv in place of the ranks' shards; counts are ints, so a
 * blob of more than INT_MAX elements is refused. */
static int m_gather(struct nrt_comm *c, float *x, int64_t n, const char *what)
{
	int rc, *cnt = v_counts(c, NULL, NULL, n, "allgather", "elements", what, &rc);
	MPI_Request r;
	if (!cnt)
		return rc;
	rc = MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, x, cnt, cnt + c->world, MPI_FLOAT,
			     MPI_COMM_WORLD, &r);
	free(cnt);
	if (rc != MPI_SUCCESS)
		return mpi_fail(c, rc, "MPI_Iallgatherv", what);
	return wait_reqs(c, &r, 1, "allgather", what);
}

static void m_close(struct nrt_comm *c, bool failed)
{
	struct mpi_impl *m = c->impl;
	if (failed && c->world > 1) {
		/* The message was printed; peers may hang.  Give mpirun's output
		 * forwarding a moment to deliver it: MPI_Abort ends the job at
		 * once and can lose what this rank wrote last. */
		struct timespec pause = { 0, 500 * 1000 * 1000 };
		fflush(stdout);
		fflush(stderr);
		nanosleep(&pause, NULL);
		MPI_Abort(MPI_COMM_WORLD, 1);
	} else {
		for (int s = 0; m && s < m->ngroups; s++)
			if (m->group[s] != MPI_COMM_NULL)
				MPI_Comm_free(&m->group[s]);
		if (m && m->workers != MPI_COMM_NULL)
			MPI_Comm_free(&m->workers);
		MPI_Finalize();
	}
	if (m) {
		free(m->req);
		free(m->mv);
		free(m->group);
	}
	free(m);
	free(c);
}

static const struct nrt_comm_ops mpi_ops = {
	.barrier = m_barrier, .bcast_f32 = m_bcast, .allreduce_f32 = m_sum_f32,
	.allreduce_f64 = m_sum_f64, .iallreduce_f32 = m_isum, .poll = m_poll, .wait_all = m_wait,
	.allgather_f32 = m_gather, .ireduce_scatter_f32 = m_ireduce_scatter,
	.gatherv_f32 = m_gatherv, .allgatherv_bytes = m_allgatherv, .ps_open = m_ps_open,
	.ps_ireduce_f32 = m_ps_ireduce, .ps_ibcast_f32 = m_ps_ibcast, .data_allreduce_f64 = m_data_sum_f64,
	.close = m_close,
};

struct nrt_comm *nrt_comm_mpi_open(double timeout, char *err, size_t errlen)
{
	struct nrt_comm *c = calloc(1, sizeof *c);
	struct mpi_impl *m = calloc(1, sizeof *m);
	int rc, inited = 0;

	if (!c || !m) {
		free(c), free(m);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (MPI_Initialized(&inited) != MPI_SUCCESS || (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS)) {
		free(c), free(m);
		snprintf(err, errlen, "MPI_Init failed (started by mpirun, but MPI cannot start)");
		return NULL;
	}
	if ((rc = MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN)) != MPI_SUCCESS ||
	    (rc = MPI_Comm_rank(MPI_COMM_WORLD, &c->rank)) != MPI_SUCCESS ||
	    (rc = MPI_Comm_size(MPI_COMM_WORLD, &c->world)) != MPI_SUCCESS) {
		snprintf(err, errlen, "MPI set-up failed (error %d)", rc);
		MPI_Abort(MPI_COMM_WORLD, 1);
		free(c), free(m);
		return NULL;
	}
	c->ops = &mpi_ops;
	c->kind = "mpi";
	c->timeout = timeout;
	m->workers = MPI_COMM_NULL;
	c->impl = m;
	return c;
}
