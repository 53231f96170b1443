/* run.c - the training run of a built program (driver.h): set up the
 * context and the data, initialise or resume, then epochs of train steps
 * with a validation pass, metrics, schedule, early stopping, logs and
 * checkpoints after each, and the test split at the end.
 *
 * Reproducibility: the parameters come from (seed), dropout from (seed,
 * step), the epoch order and augmentations from (seed, epoch, position)
 * (runtime/data), so a run resumed from a checkpoint written after batch
 * k of an epoch continues exactly as the run that was not interrupted.
 *
 * Under mpirun (runtime/comm/comm.h, docs/distributed.md) every rank runs
 * this same loop on its shard of each epoch's order: the parameters and
 * optimizer state come from rank 0 (broadcast after init or resume), the
 * compiled train step sums the gradients, every data-dependent decision
 * (end of data, a non-finite loss, a signal, a failed save) is agreed by
 * a small allreduce of flags, the val split is split over the data ranks
 * whose records every rank replays into the metrics (the numbers of one
 * process everywhere, so schedules and early stopping agree: evaluate),
 * and only rank 0 prints, logs and writes checkpoints.  distribute =
 * sharded and parameter_server ("strategies" below) keep only a rank's
 * part of the optimizer state (ctx->opt_compact) and gather it on rank 0
 * for a checkpoint; a parameter server runs this loop too, with
 * netc_update on the workers' summed gradient in place of a train step
 * and no data. */
#define _POSIX_C_SOURCE 200809L
#include "driver.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "comm.h"
#include "cpu.h"
#include "data.h"
#include "philox.h"
#include "run.h"
#include "train_rt.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* struct run: run.h */

/* SIGINT and SIGTERM stop at the next step boundary; the caller's handlers
 * come back in release_signals (the driver may run again in this process). */
static void catch_signals(struct run *R)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	interrupted = 0;
	sigaction(SIGINT, &sa, &R->old_int);
	sigaction(SIGTERM, &sa, &R->old_term);
	R->caught = true;
}

static void release_signals(struct run *R)
{
	if (!R->caught)
		return;
	sigaction(SIGINT, &R->old_int, NULL);
	sigaction(SIGTERM, &R->old_term, NULL);
	R->caught = false;
}

/* ---------------------------------------------------------------- helpers */

int drv_fail(struct run *R, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", R->argv0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

const cJSON *drv_get(const cJSON *o, const char *k)
{
	return o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

double drv_num_or(const cJSON *o, const char *k, double def)
{
	const cJSON *v = drv_get(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

const char *drv_str_or(const cJSON *o, const char *k, const char *def)
{
	const cJSON *v = drv_get(o, k);
	return cJSON_IsString(v) ? v->valuestring : def;
}

/* FNV-1a over the program's layout: the parameter table and region sizes.
 * A checkpoint of another program (another network, optimizer or batch)
 * is refused by it. */
static uint64_t program_hash(const struct netrt_program *p)
{
	uint64_t h = 0xcbf29ce484222325ull;
#define MIX(ptr, n)                                                      \
	for (size_t i_ = 0; i_ < (n); i_++)                              \
		h = (h ^ ((const unsigned char *)(ptr))[i_]) * 0x100000001b3ull
	MIX(p->name, strlen(p->name) + 1);
	MIX(p->region_size, sizeof p->region_size);
	for (int i = 0; i < p->nparams; i++) {
		const struct netrt_param *q = &p->params[i];
		MIX(q->name, strlen(q->name) + 1);
		MIX(&q->region, sizeof q->region);
		MIX(&q->rank, sizeof q->rank);
		MIX(q->shape, sizeof q->shape[0] * (size_t)q->rank);
		MIX(&q->offset, sizeof q->offset);
	}
#undef MIX
	return h;
}

/* ---------------------------------------------------------------- agreement */

/* A collective failed: say so (naming the collective, the peer, the step). */
int drv_comm_fail(struct run *R)
{
	R->comm_failed = true;
	return drv_fail(R, "%s", nrt_comm_error(R->comm));
}

/* v[0, n) = the sum over ranks (flags: > 0 when any rank set one).  One
 * process: nothing.  -1 after a message when the collective failed. */
static int agree(struct run *R, double *v, int n)
{
	if (R->world <= 1)
		return 0;
	nrt_comm_set_step(R->comm, R->c.step);
	if (nrt_comm_allreduce_f64(R->comm, v, n, "agreement of flags"))
		return drv_comm_fail(R), -1;
	return 0;
}

/* Every rank runs the same program on the same data, and each started:
 * rank 0's hashes to all, a flag per rank (failed to start, other
 * program, other data) summed.  0, or 1 after one message (rank 0). */
static int agree_start(struct run *R, int local_rc)
{
	float h[8];
	uint64_t mine[2] = { R->program_hash, R->data ? nrt_data_hash(R->data) : 0 };
	double *f;
	int rc = 0;

	if (R->world <= 1)
		return local_rc;
	memcpy(h, mine, sizeof mine);
	if (nrt_comm_bcast_f32(R->comm, h, 4, "program and data hashes"))
		return drv_comm_fail(R);
	f = calloc((size_t)R->world * 3, sizeof *f);
	if (!f)
		return drv_fail(R, "out of memory");
	uint64_t theirs[2];
	memcpy(theirs, h, sizeof theirs);
	f[3 * R->rank] = local_rc != 0;
	f[3 * R->rank + 1] = !local_rc && theirs[0] != mine[0];
	f[3 * R->rank + 2] = !local_rc && theirs[1] != mine[1];
	if (agree(R, f, 3 * R->world)) {
		free(f);
		return 1;
	}
	for (int r = 0; r < R->world; r++) {
		if (f[3 * r] > 0)
			rc = 1, R->rank == 0 && drv_fail(R, "rank %d of %d could not start (its message above)",
						    r, R->world);
		else if (f[3 * r + 1] > 0)
			rc = 1, R->rank == 0 && drv_fail(R, "rank %d runs a different program than rank 0 "
						    "(another .net file, batch or build): every rank "
						    "must run the same binary", r);
		else if (f[3 * r + 2] > 0)
			rc = 1, R->rank == 0 && drv_fail(R, "rank %d reads different data than rank 0 (the "
						    "listing differs): every rank must see the same "
						    "data files", r);
	}
	free(f);
	return rc ? 1 : local_rc;
}

/* FNV-1a of what a resume loaded: PARAM, STATE, OPT and the position. */
static uint64_t state_hash(const struct run *R, const struct nrt_ckpt_meta *m)
{
	static const int regions[] = { NETRT_PARAM, NETRT_STATE, NETRT_OPT };
	int64_t pos[3] = { m->epoch, m->batch_in_epoch, m->step };
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i <= sizeof regions / sizeof regions[0]; i++) {
		bool last = i == sizeof regions / sizeof regions[0];
		const unsigned char *b = last ? (const void *)pos : R->c.region[regions[i]];
		size_t n = last ? sizeof pos : (size_t)R->p->region_size[regions[i]] * 4;
		for (size_t j = 0; j < n; j++)
			h = (h ^ b[j]) * 0x100000001b3ull;
	}
	return h;
}

enum { PATHN = 240 };   /* characters of a rank's checkpoint path in agree_resume */

/* Every rank resumed from the same checkpoint, or none did: per rank a
 * slot {failed, resumed, hash high, hash low, path chars...} summed over
 * the ranks (each fills its own), so rank 0 can name the rank and its
 * path.  from: the checkpoint this rank resumed from (NULL: none); path:
 * the one it resumed or tried to (NULL or ""); local_rc: this rank's
 * failure (its message printed).  0, or 1 after one message
 * from rank 0 on every rank. */
static int agree_resume(struct run *R, int local_rc, const char *from, const char *path,
			const struct nrt_ckpt_meta *m)
{
	enum { W = 4 + PATHN };
	double *f;
	int rc = 0;

	if (R->world <= 1)
		return local_rc;
	f = calloc((size_t)R->world * W, sizeof *f);
	if (!f)
		return drv_fail(R, "out of memory");
	double *mine = f + (size_t)R->rank * W;
	uint64_t h = !local_rc && from ? state_hash(R, m) : 0;
	mine[0] = local_rc != 0;
	mine[1] = from != NULL;
	mine[2] = (double)(h >> 32);
	mine[3] = (double)(h & 0xffffffffu);
	for (int i = 0; path && path[i] && i < PATHN - 1; i++)
		mine[4 + i] = (unsigned char)path[i];
	if (agree(R, f, R->world * W)) {
		free(f);
		return 1;
	}
	char p0[PATHN], pr[PATHN];
	for (int r = 0; r < R->world && !rc; r++) {
		const double *o = f + (size_t)r * W;
		for (int i = 0; i < PATHN; i++)
			p0[i] = (char)f[4 + i], pr[i] = (char)o[4 + i];
		p0[PATHN - 1] = pr[PATHN - 1] = 0;
		if (o[0] > 0)
			rc = 1, R->rank == 0 && drv_fail(R, "rank %d of %d could not resume%s%s (its own "
						    "message says why): every rank must read the same "
						    "checkpoint",
						    r, R->world, pr[0] ? " from " : "", pr);
		else if (r > 0 && o[1] != f[1])
			rc = 1, R->rank == 0 && drv_fail(R, "rank %d %s but rank 0 %s%s: every rank must "
						    "resume from the same checkpoint", r,
						    o[1] > 0 ? "resumes from" : "starts afresh",
						    f[1] > 0 ? "resumes from " : "starts afresh",
						    f[1] > 0 ? p0 : "");
		else if (r > 0 && (o[2] != f[2] || o[3] != f[3]))
			rc = 1, R->rank == 0 && drv_fail(R, "rank %d resumes from %s, which differs from rank "
						    "0's %s: every rank must resume from the same "
						    "checkpoint", r, pr, p0);
	}
	free(f);
	return rc ? 1 : local_rc;
}

/* PARAM, STATE and OPT of rank 0 on every rank. */
static int bcast_state(struct run *R)
{
	static const int regions[] = { NETRT_PARAM, NETRT_STATE, NETRT_OPT };
	if (R->world <= 1)
		return 0;
	for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
		if (nrt_comm_bcast_f32(R->comm, R->c.region[regions[i]],
				       R->p->region_size[regions[i]], "parameters and optimizer state"))
			return drv_comm_fail(R);
	return 0;
}

/* ---------------------------------------------------------------- strategies */

/* The part of the trainable blob rank r updates: sharded, its shard of the
 * world; parameter_server, server s's part of the servers' split, and for
 * a worker [n, n) (empty, but not 0, 0: "the whole blob"). */
static void update_range(const struct run *R, int r, int64_t *lo, int64_t *hi)
{
	int64_t n = R->p->region_size[NETRT_GRAD];
	int s = r - (R->world - R->servers);
	if (R->servers > 0 && s < 0)
		*lo = *hi = n;
	else if (R->servers > 0)
		nrt_comm_shard(n, R->servers, s, lo, hi);
	else
		nrt_comm_shard(n, R->world, r, lo, hi);
}

/* sharded / parameter_server: tell grad.c the strategy, make the server
 * groups, and put this rank's part in ctx->shard_begin / shard_end. */
static int setup_strategy(struct run *R)
{
	int64_t n = R->p->region_size[NETRT_GRAD];
	if (!R->sharded && R->servers == 0)
		return 0;
	if (n < R->world)
		return drv_fail(R, "the network has %lld trainable values, fewer than the %d ranks to "
			    "split them over", (long long)n, R->world);
	R->comm->ntrain = n;
	R->comm->reduce_scatter = R->sharded;
	if (R->servers > 0 && nrt_comm_ps_open(R->comm, R->servers))
		return drv_comm_fail(R);
	update_range(R, R->rank, &R->c.shard_begin, &R->c.shard_end);
	return 0;
}

/* Keep only this rank's part of every OPT slot (after init or resume, which
 * need the whole region): slot k's [shard_begin, shard_end) one after the
 * other (ctx->opt_compact), so the optimizer memory is divided by the
 * ranks (sharded) or held by the servers only (parameter_server). */
static int opt_shrink(struct run *R)
{
	const struct netrt_program *p = R->p;
	int64_t n = p->region_size[NETRT_GRAD], nslots = n > 0 ? p->region_size[NETRT_OPT] / n : 0;
	int64_t len = R->c.shard_end - R->c.shard_begin, lo, hi;
	float *full = R->c.region[NETRT_OPT], *v;

	if ((!R->sharded && R->servers == 0) || nslots == 0 || R->c.opt_compact)
		return 0;
	v = calloc((size_t)(nslots * len > 0 ? nslots * len : 1), sizeof *v);
	if (!v)
		return drv_fail(R, "out of memory (%lld values of optimizer state)", (long long)(nslots * len));
	for (int64_t k = 0; k < nslots; k++)
		memcpy(v + k * len, full + k * n + R->c.shard_begin, (size_t)len * sizeof *v);
	free(full);
	R->c.region[NETRT_OPT] = v;
	R->c.opt_compact = 1;
	update_range(R, R->world - 1, &lo, &hi);   /* a server's, for the message */
	if (!R->o->quiet && R->sharded)
		printf("optimizer state: %lld bytes on rank 0 of %lld in one process (sharded over "
		       "%d ranks)\n", (long long)(4 * nslots * len),
		       (long long)(4 * p->region_size[NETRT_OPT]), R->world);
	else if (!R->o->quiet)
		printf("optimizer state: %lld bytes on server rank %d of %lld in one process (%d "
		       "server%s), none on the %d workers\n", (long long)(4 * nslots * (hi - lo)),
		       R->world - 1, (long long)(4 * p->region_size[NETRT_OPT]), R->servers,
		       R->servers == 1 ? "" : "s", R->world - R->servers);
	return 0;
}

/* The regions a checkpoint writes, in reg: with a compact OPT every rank
 * sends its part of each slot and rank 0 (the writer) receives the whole
 * OPT into R->opt_full (ckpt_done frees it).  Every rank takes part. */
static int ckpt_regions(struct run *R, void *reg[NETRT_NREGIONS])
{
	const struct netrt_program *p = R->p;
	int64_t n = p->region_size[NETRT_GRAD], nslots = n > 0 ? p->region_size[NETRT_OPT] / n : 0;
	int64_t len = R->c.shard_end - R->c.shard_begin, *lo, *hi;
	int rc = 0;

	memcpy(reg, R->c.region, sizeof R->c.region);
	if (!R->c.opt_compact)
		return 0;
	if (!(lo = calloc((size_t)R->world * 2, sizeof *lo)))
		return drv_fail(R, "out of memory");
	hi = lo + R->world;
	for (int r = 0; r < R->world; r++)
		update_range(R, r, &lo[r], &hi[r]);
	if (R->rank == 0 && !R->opt_full &&
	    !(R->opt_full = malloc((size_t)p->region_size[NETRT_OPT] * sizeof *R->opt_full)))
		rc = drv_fail(R, "out of memory (the optimizer state of a checkpoint)");
	for (int64_t k = 0; rc == 0 && k < nslots; k++)
		if (nrt_comm_gatherv_f32(R->comm, (float *)R->c.region[NETRT_OPT] + k * len,
					 R->opt_full ? R->opt_full + k * n : NULL, lo, hi, 0,
					 "optimizer state for a checkpoint"))
			rc = drv_comm_fail(R);
	free(lo);
	reg[NETRT_OPT] = R->opt_full;
	return rc;
}

static void ckpt_done(struct run *R)
{
	free(R->opt_full);   /* rank 0 keeps the whole OPT only while it writes */
	R->opt_full = NULL;
}

/* A parameter server's step: the workers' gradients of its part summed into
 * GRAD (its own contribution zero), divided by the number of workers (the
 * mean over the global batch), netc_update on its part of PARAM and OPT,
 * and that part sent back to every worker.  0, or an errno value (a
 * collective's message in the comm). */
static int ps_serve(struct run *R)
{
	struct nrt_comm *c = R->comm;
	int s = R->rank - (R->world - R->servers), rc;
	int64_t lo = R->c.shard_begin, len = R->c.shard_end - lo;
	float *g = (float *)R->c.region[NETRT_GRAD] + lo;
	float inv = 1.0f / (float)(R->world - R->servers);

	nrt_comm_set_step(c, R->c.step);
	memset(g, 0, (size_t)len * sizeof *g);
	if ((rc = nrt_comm_ps_ireduce_f32(c, s, g, len)) != 0 ||
	    (rc = nrt_comm_wait_all(c, "gradients from the workers")) != 0)
		return rc;
	for (int64_t i = 0; i < len; i++)
		g[i] *= inv;
	if ((rc = R->e->update(&R->c)) != 0)
		return rc;
	if ((rc = nrt_comm_ps_ibcast_f32(c, s, (float *)R->c.region[NETRT_PARAM] + lo, len)) != 0)
		return rc;
	return nrt_comm_wait_all(c, "parameters to the workers");
}

/* Before an evaluation under parameter_server: the servers hold fresh
 * parameters of their own part only, so rank 0 (a worker: it pulled all of
 * them) sends its parameters and batchnorm state to every rank, and every
 * rank evaluates the same network. */
static int ps_eval_sync(struct run *R)
{
	if (R->servers == 0)
		return 0;
	if (nrt_comm_bcast_f32(R->comm, R->c.region[NETRT_PARAM], R->p->region_size[NETRT_PARAM],
			       "parameters for the evaluation") ||
	    nrt_comm_bcast_f32(R->comm, R->c.region[NETRT_STATE], R->p->region_size[NETRT_STATE],
			       "batchnorm state for the evaluation"))
		return drv_comm_fail(R);
	return 0;
}

/* The epoch's train metrics averaged over the ranks (weighted by their
 * samples; images/s summed). */
static int average_train(struct run *R, struct nrt_scalars *sc, int64_t images)
{
	double v[NRT_SCALARS_MAX + 1];
	if (R->world <= 1)
		return 0;
	for (int i = 0; i < sc->n; i++) {
		bool tr = strncmp(sc->v[i].name, "train.", 6) == 0;
		bool ips = strcmp(sc->v[i].name, "images/s") == 0;
		/* a parameter server took no samples: its metrics are empty */
		v[i] = tr ? (images > 0 ? sc->v[i].value * (double)images : 0)
			  : ips ? sc->v[i].value : 0;
	}
	v[sc->n] = (double)images;
	if (agree(R, v, sc->n + 1))
		return 1;
	for (int i = 0; i < sc->n; i++) {
		if (strncmp(sc->v[i].name, "train.", 6) == 0)
			sc->v[i].value = v[sc->n] > 0 ? v[i] / v[sc->n] : sc->v[i].value;
		else if (strcmp(sc->v[i].name, "images/s") == 0)
			sc->v[i].value = v[i];
	}
	return 0;
}

/* ---------------------------------------------------------------- set-up */

static int setup_ctx(struct run *R)
{
	const struct netrt_program *p = R->p;
	memset(&R->c, 0, sizeof R->c);
	nrt_cpu_init();
	R->c.pool = nrt_pool_new((int)R->o->threads);
	if (!R->c.pool && R->o->threads > 1)
		return drv_fail(R, "cannot start %lld threads: %s", (long long)R->o->threads,
			    strerror(errno));
	for (int r = 0; r < NETRT_NREGIONS; r++) {
		/* float and int32 elements are both 4 bytes */
		R->c.region[r] = calloc((size_t)(p->region_size[r] > 0 ? p->region_size[r] : 1), 4);
		if (!R->c.region[r])
			return drv_fail(R, "out of memory (%s region of %lld elements)",
				    r == NETRT_ACT ? "activation" : "a", (long long)p->region_size[r]);
	}
	R->c.workspace_size = (size_t)R->e->workspace_size((int)R->o->threads);
	R->c.workspace = malloc(R->c.workspace_size ? R->c.workspace_size : 1);
	if (!R->c.workspace)
		return drv_fail(R, "out of memory (workspace of %zu bytes)", R->c.workspace_size);
	R->c.seed = R->seed;
	R->c.lr_scale = 1;
	R->c.comm = R->comm;
	return setup_strategy(R);
}

/* What the loader writes into TARGET for this program's loss. */
static int choose_target(struct run *R)
{
	const struct netrt_program *p = R->p;
	int64_t per = p->region_size[NETRT_TARGET] / (p->batch > 0 ? p->batch : 1);
	bool multi = nrt_data_multi_label(R->data);
	int dc = nrt_data_classes(R->data);

	if (p->target_kind == NETRT_TARGET_CLASS) {
		if (per != 1)
			return drv_fail(R, "the loss needs per-pixel class targets (%lld per sample), "
				    "which a csv or folder source of labels cannot give", (long long)per);
		if (multi)
			return drv_fail(R, "the data are multi-label but the loss takes one class per sample");
		R->target = NRT_TARGET_INDEX;
	} else if (p->target_kind == NETRT_TARGET_BINARY && per == 1 && dc == 2 && !multi) {
		R->target = NRT_TARGET_INDEX_FLOAT;
	} else {
		if (per != dc)
			return drv_fail(R, "the loss takes %lld targets per sample but the data have %d classes",
				    (long long)per, dc);
		R->target = NRT_TARGET_MULTIHOT;
	}
	return 0;
}

static int open_data(struct run *R)
{
	const struct netrt_program *p = R->p;
	struct nrt_data_opts o;
	int c, h, w;

	nrt_data_opts_init(&o);
	o.base_dir = R->base_dir;
	o.strict = R->o->strict;
	o.max_bad_fraction = R->o->max_bad;
	o.rank = R->drank;
	o.world = R->dworld;
	if (R->o->workers >= 0)
		o.workers_override = (int)R->o->workers;
	R->data = nrt_data_open(R->data_cfg, &o, R->err, sizeof R->err);
	if (!R->data)
		return drv_fail(R, "%s", R->err);
	nrt_data_shape(R->data, &c, &h, &w);
	if ((int64_t)c * h * w * p->batch != p->region_size[NETRT_INPUT])
		return drv_fail(R, "the data give samples of %dx%dx%d but the network takes %lld values "
			    "per sample", c, h, w, (long long)(p->region_size[NETRT_INPUT] / p->batch));
	if (choose_target(R))
		return 1;
	int n = nrt_data_classes(R->data);
	R->class_names = calloc((size_t)(n > 0 ? n : 1), sizeof *R->class_names);
	for (int i = 0; R->class_names && i < n; i++)
		R->class_names[i] = nrt_data_class_name(R->data, i);
	if (!R->o->quiet)
		printf("data: %lld train, %lld val, %lld test samples of %dx%dx%d, %d classes\n",
		       (long long)nrt_data_count(R->data, NRT_TRAIN),
		       (long long)nrt_data_count(R->data, NRT_VAL),
		       (long long)nrt_data_count(R->data, NRT_TEST), c, h, w, n);
	if (nrt_data_count(R->data, NRT_TRAIN) < p->batch && !R->o->eval_only)
		return drv_fail(R, "the train split has %lld samples, fewer than one batch of %lld",
			    (long long)nrt_data_count(R->data, NRT_TRAIN), (long long)p->batch);
	return 0;
}

/* Class weights from the train split's counts, for weights = auto. */
static void fill_class_weights(struct run *R)
{
	const struct netrt_program *p = R->p;
	if (!p->class_weights_auto || p->class_weights_offset < 0)
		return;
	nrt_data_class_weights(R->data, NRT_TRAIN,
			       (float *)R->c.region[NETRT_CONST] + p->class_weights_offset);
}

static int setup_train_rt(struct run *R, int64_t steps_per_epoch)
{
	const cJSON *t = R->train_cfg;
	double lr = drv_num_or(drv_get(t, "optimizer"), "lr", 0);

	if (nrt_metrics_cfg_from_program(R->p, &R->mcfg, R->err, sizeof R->err))
		return drv_fail(R, "%s", R->err);
	R->mcfg.output_kind = R->p->output_probs ? NRT_OUTPUT_PROBS : NRT_OUTPUT_LOGITS;
	R->mcfg.class_names = R->class_names;
	R->mtrain = nrt_metrics_new(drv_get(t, "metrics"), &R->mcfg, R->err, sizeof R->err);
	R->mval = R->mtrain ? nrt_metrics_new(drv_get(t, "metrics"), &R->mcfg, R->err, sizeof R->err) : NULL;
	if (!R->mval)
		return drv_fail(R, "%s", R->err);
	R->sched = nrt_sched_new(drv_get(t, "schedule"), lr, steps_per_epoch, R->epochs, R->err,
				 sizeof R->err);
	if (!R->sched)
		return drv_fail(R, "%s", R->err);
	if (nrt_early_init(&R->early, drv_get(t, "early_stopping"), R->err, sizeof R->err))
		return drv_fail(R, "%s", R->err);
	if (drv_get(t, "checkpoint") && !R->o->no_checkpoint) {
		/* checkpoints and logs are outputs: relative to the working folder */
		R->ckpt = nrt_ckpt_policy_new(drv_get(t, "checkpoint"), NULL, R->p->name, R->err,
					      sizeof R->err);
		if (!R->ckpt)
			return drv_fail(R, "%s", R->err);
	}
	return 0;
}

/* Create the folders above file path (mkdir -p of its dirname). */
static int mkdirs_for(const char *path)
{
	char d[4200];
	snprintf(d, sizeof d, "%s", path);
	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(d, 0777) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

static int open_log(struct run *R)
{
	char csv[4200], jsonl[4200], last[4096];
	const char *prefix = R->o->log;

	if ((prefix && !strcmp(prefix, "none")) || R->rank != 0)
		return 0;
	if (!prefix) {
		/* beside the checkpoints: PREFIX-last.safetensors -> PREFIX-log.csv */
		const char *l = R->ckpt ? nrt_ckpt_policy_path(R->ckpt, "last", 0, last, sizeof last) : NULL;
		char *dash = l ? strstr(last, "-last.safetensors") : NULL;
		if (!dash)
			return 0;
		strcpy(dash, "-log");
		prefix = last;
	}
	snprintf(csv, sizeof csv, "%s.csv", prefix);
	snprintf(jsonl, sizeof jsonl, "%s.jsonl", prefix);
	if (mkdirs_for(csv))
		return drv_fail(R, "cannot create the folder of the log %s: %s", csv, strerror(errno));
	R->log = nrt_log_open(csv, jsonl, R->err, sizeof R->err);
	if (!R->log)
		return drv_fail(R, "%s", R->err);
	return 0;
}

/* ---------------------------------------------------------------- checkpoints */

static void fill_meta(struct run *R, struct nrt_ckpt_meta *m, int64_t epoch, int64_t batch_in_epoch)
{
	double best = m->best;
	nrt_ckpt_meta_init(m);
	m->best = best;
	m->epoch = epoch;
	m->step = R->c.step;
	m->batch_in_epoch = batch_in_epoch;
	m->program_hash = R->program_hash;
	m->data_hash = R->data ? nrt_data_hash(R->data) : 0;
	m->seed = R->seed;
	nrt_sched_save_meta(R->sched, m);
	nrt_early_save_meta(&R->early, m);
}

/* The checkpoint to resume from, or NULL to start afresh (0), or an error. */
static int resume_path(struct run *R, char *buf, size_t n, const char **path)
{
	const char *want = R->o->resume;
	const cJSON *res = drv_get(R->train_cfg, "resume");
	bool from_section = false;

	*path = NULL;
	if (!want && cJSON_IsString(res))
		want = res->valuestring, from_section = true;
	else if (!want && cJSON_IsTrue(res))
		want = "last", from_section = true;
	if (!want)
		return 0;
	if (strcmp(want, "last") == 0) {
		if (!R->ckpt || !nrt_ckpt_policy_path(R->ckpt, "last", 0, buf, n))
			return drv_fail(R, "--resume: the train section writes no checkpoints to resume from; "
				    "name a file (--resume FILE)");
		if (access(buf, F_OK) != 0) {
			if (from_section && !R->o->eval_only) {
				if (!R->o->quiet)
					printf("resume: no checkpoint %s yet, starting afresh\n", buf);
				return 0;
			}
			return drv_fail(R, "--resume: no checkpoint at %s", buf);
		}
		*path = buf;
		return 0;
	}
	snprintf(buf, n, "%s", want);   /* relative to the working folder */
	*path = buf;
	return 0;
}

/* ---------------------------------------------------------------- training */

/* distribute = sharded: each rank updated only its shard of the trainable
 * parameters (ctx->shard_begin / shard_end); gather every rank's shard of
 * PARAM [0, ntrain) after each step (the optimizer state is gathered only
 * for a checkpoint: ckpt_regions). */
static int shard_gather(struct run *R)
{
	int64_t ntrain = R->p->region_size[NETRT_GRAD];
	if (!R->sharded || ntrain == 0)
		return 0;
	if (nrt_comm_allgather_f32(R->comm, R->c.region[NETRT_PARAM], ntrain, "parameters"))
		return drv_comm_fail(R);
	return 0;
}

static int save_last(struct run *R, struct nrt_ckpt_meta *m, int64_t epoch, int64_t batch_in_epoch)
{
	char path[4096];
	double bad = 0;
	if (!R->ckpt)
		return 0;
	void *reg[NETRT_NREGIONS];
	fill_meta(R, m, epoch, batch_in_epoch);
	if (ckpt_regions(R, reg))
		return 1;
	if (R->rank == 0 &&
	    nrt_ckpt_policy_save_last(R->ckpt, R->p, reg, m, R->err, sizeof R->err))
		bad = 1, drv_fail(R, "%s", R->err);
	ckpt_done(R);
	if (agree(R, &bad, 1) || bad > 0)   /* also the barrier after the write */
		return 1;
	if (!R->o->quiet)
		printf("saved %s (epoch %lld, batch %lld, step %lld)\n",
		       nrt_ckpt_policy_path(R->ckpt, "last", 0, path, sizeof path),
		       (long long)epoch, (long long)batch_in_epoch, (long long)R->c.step);
	return 0;
}

enum { GO_ON, STOP_DONE, STOP_FAIL, STOP_SIGNAL };

/* Samples of the batch whose largest output is the class target (single-label
 * outputs [C] only: the progress line's running accuracy); -1 otherwise. */
static int64_t batch_correct(const struct run *R, int64_t valid)
{
	const struct netrt_program *p = R->p;
	const float *out = drv_output_of(R);
	const int32_t *t = R->c.region[NETRT_TARGET];
	int64_t c = p->classes, hits = 0;

	if (R->target != NRT_TARGET_INDEX || c < 2 || p->output_numel != p->batch * c)
		return -1;
	for (int64_t n = 0; n < valid; n++) {
		int64_t best = 0;
		for (int64_t k = 1; k < c; k++)
			if (out[n * c + k] > out[n * c + best])
				best = k;
		hits += best == t[n];
	}
	return hits;
}

/* One epoch of train steps from batch `start` on. */
static int train_epoch(struct run *R, int64_t epoch, int64_t start, struct nrt_progress *pr,
		       struct nrt_ckpt_meta *meta, int64_t *images)
{
	struct nrt_loader_args a = { .split = NRT_TRAIN, .batch = R->p->batch, .seed = R->seed,
				     .epoch = epoch, .train = true, .tail = NRT_TAIL_DROP,
				     .target = R->target, .start_batch = start };
	/* a parameter server reads no data: it follows the workers' agreed flags */
	struct nrt_loader *l = R->server ? NULL : nrt_loader_start_args(R->data, &a, R->err,
									  sizeof R->err);
	int64_t valid = 0, k = start, seen = 0, correct = 0;
	int rc, status = GO_ON;

	if (!l && !R->server)
		return drv_fail(R, "%s", R->err), STOP_FAIL;
	nrt_metrics_reset(R->mtrain);
	for (;;) {
		double f[2];
		rc = R->server ? 0 : nrt_loader_next(l, R->c.region[NETRT_INPUT],
						      R->c.region[NETRT_TARGET], &valid, R->err,
						      sizeof R->err);
		f[0] = rc > 0, f[1] = rc < 0;   /* the end of the data and a failure, agreed */
		if (agree(R, f, 2)) {
			status = STOP_FAIL;
			break;
		}
		if (rc == 0 && f[1] > 0) {
			drv_fail(R, "another rank failed to load its batch (its message above)");
			status = STOP_FAIL;
			break;
		}
		if (rc == 0 && f[0] > 0)
			rc = 1;
		if (rc != 0)
			break;
		R->c.step++;
		R->c.lr_scale = nrt_sched_scale(R->sched, R->c.step);
		nrt_comm_set_step(R->comm, R->c.step);
		if (R->server)
			rc = ps_serve(R);
		else if ((rc = R->e->train_step(&R->c)) == 0 && shard_gather(R)) {
			status = STOP_FAIL;
			break;
		}
		if (rc != 0) {
			if (R->world > 1 && nrt_comm_error(R->comm)[0])
				drv_comm_fail(R);
			else
				drv_fail(R, "a kernel failed at step %lld: %s", (long long)R->c.step,
				     strerror(rc));
			status = STOP_FAIL;
			break;
		}
		k++;
		R->pos_epoch = epoch - 1;
		R->pos_batch = k;
		double loss = drv_loss_of(R);
		f[0] = !isfinite(loss), f[1] = interrupted;
		if (agree(R, f, 2)) {
			status = STOP_FAIL;
			break;
		}
		if (f[1] > 0)
			interrupted = 1;
		if (f[0] > 0 && isfinite(loss))
			loss = NAN;   /* another rank's loss is not finite: stop everywhere */
		if (!isfinite(loss)) {
			char path[4096];
			const char *last = R->ckpt ? nrt_ckpt_policy_path(R->ckpt, "last", 0, path,
									   sizeof path) : NULL;
			bool have = last && access(last, F_OK) == 0;
			drv_fail(R, "the loss is %g at step %lld (epoch %lld, batch %lld): stopping; %s%s%s",
			     loss, (long long)R->c.step, (long long)epoch, (long long)k,
			     have ? "the last checkpoint " : "no checkpoint was written yet",
			     have ? last : "", have ? " is intact" : "");
			status = STOP_FAIL;
			break;
		}
		int64_t hits = 0;
		if (!R->server) {
			nrt_metrics_add(R->mtrain, drv_output_of(R), R->c.region[NETRT_TARGET], valid, loss);
			*images += valid;
			hits = batch_correct(R, valid);
			seen += valid;
			correct += hits > 0 ? hits : 0;
		}
		if (R->server)
			;   /* its stdout is /dev/null */
		else if (!R->o->quiet)
			nrt_progress_step(pr, k, valid, loss, hits >= 0 ? "acc" : NULL,
					  seen ? (double)correct / (double)seen : 0, nrt_now());
		else
			pr->images += valid;   /* the epoch line's images/s */
		bool last_step = R->o->steps >= 0 && R->c.step >= R->o->steps;
		if (last_step || interrupted ||
		    (R->o->checkpoint_steps > 0 && R->c.step % R->o->checkpoint_steps == 0)) {
			if (save_last(R, meta, epoch - 1, k)) {
				status = STOP_FAIL;
				break;
			}
		}
		if (last_step || interrupted) {
			status = interrupted ? STOP_SIGNAL : STOP_DONE;
			break;
		}
	}
	if (rc < 0 && status == GO_ON) {
		drv_fail(R, "%s", R->err);
		status = STOP_FAIL;
	}
	if (l && nrt_loader_skipped(l))
		printf("epoch %lld: skipped %lld bad samples (first: %s)\n", (long long)epoch,
		       (long long)nrt_loader_skipped(l), nrt_loader_skip_message(l, 0));
	if (l)
		nrt_loader_free(l);
	return status;
}

static int final_report(struct run *R)
{
	struct nrt_scalars sc;
	nrt_scalars_clear(&sc);
	if (ps_eval_sync(R))
		return 1;
	for (enum nrt_split s = NRT_VAL; s <= NRT_TEST; s++) {
		if (nrt_data_count(R->data, s) == 0)
			continue;
		if (drv_evaluate(R, s, R->mval, &sc))
			return 1;
		nrt_metrics_print(R->mval, nrt_split_name(s), stdout);
	}
	/* --eval-only --log PREFIX: the metrics as one row, at full precision */
	if (R->o->eval_only && R->log) {
		nrt_scalars_set(&sc, "step", (double)R->c.step);
		if (nrt_log_epoch(R->log, &sc, R->err, sizeof R->err))
			return drv_fail(R, "%s", R->err);
	}
	return 0;
}

static int train(struct run *R)
{
	struct nrt_ckpt_meta meta;
	struct nrt_progress pr;
	char buf[4096];
	const char *from;
	int64_t start_epoch = 0, start_batch = 0;
	int status = GO_ON, lrc;

	nrt_ckpt_meta_init(&meta);
	if (R->started) {   /* a session's next piece: on from where the last one stopped */
		from = NULL;
		start_epoch = R->pos_epoch;
		start_batch = R->pos_batch;
		goto loop;
	}
	R->started = true;
	buf[0] = 0;
	lrc = resume_path(R, buf, sizeof buf, &from);
	if (!lrc && from) {
		if (nrt_ckpt_load(from, R->p, R->c.region, R->program_hash, &meta, R->err, sizeof R->err))
			lrc = drv_fail(R, "cannot resume: %s", R->err);
		else if (meta.data_hash && meta.data_hash != nrt_data_hash(R->data))
			lrc = drv_fail(R, "cannot resume from %s: it was written for other data (the "
				   "listing differs)", from);
		else if (nrt_sched_load_meta(R->sched, &meta, R->err, sizeof R->err) ||
			 nrt_early_load_meta(&R->early, &meta, R->err, sizeof R->err))
			lrc = drv_fail(R, "cannot resume from %s: %s", from, R->err);
	}
	/* under mpirun: the same checkpoint everywhere, or one error on every rank */
	if (agree_resume(R, lrc, from, lrc && !from ? buf : from, &meta))
		return 1;
	if (from) {
		if (meta.batch_in_epoch > 0 && R->world > 1 && !R->o->quiet)
			printf("resume: batch %lld counts batches of rank 0's shard\n",
			       (long long)meta.batch_in_epoch);
		R->c.step = meta.step;
		start_epoch = R->pos_epoch = meta.epoch;
		start_batch = R->pos_batch = meta.batch_in_epoch;
		if (!R->o->quiet)
			printf("resumed from %s: epoch %lld, batch %lld, step %lld\n", from,
			       (long long)meta.epoch, (long long)meta.batch_in_epoch, (long long)meta.step);
	}
	if (bcast_state(R))
		return 1;
	if (R->o->eval_only) {
		if (!from)
			return drv_fail(R, "--eval-only needs a checkpoint: --resume FILE or a section that "
				    "writes checkpoints");
		return final_report(R);
	}
	if (opt_shrink(R))
		return 1;

loop:;
	int64_t spe = nrt_data_count(R->data, NRT_TRAIN) / (R->p->batch * R->dworld);
	int64_t last = R->last_epoch > 0 ? R->last_epoch : R->epochs;
	nrt_progress_init(&pr, stdout, -1, R->epochs, spe);
	for (int64_t e = start_epoch + 1; e <= last && status == GO_ON; e++) {
		struct nrt_scalars sc;
		int64_t images = 0;
		double t0 = nrt_now();
		int stop = 0, saved = 0;

		nrt_progress_epoch_begin(&pr, e, t0);
		status = train_epoch(R, e, e == start_epoch + 1 ? start_batch : 0, &pr, &meta, &images);
		if (status != GO_ON)
			break;
		R->pos_epoch = e;
		R->pos_batch = 0;
		nrt_scalars_clear(&sc);
		nrt_scalars_set(&sc, "epoch", (double)e);
		nrt_scalars_set(&sc, "step", (double)R->c.step);
		nrt_scalars_set(&sc, "lr", drv_num_or(drv_get(R->train_cfg, "optimizer"), "lr", 0) * R->c.lr_scale);
		nrt_metrics_export(R->mtrain, "train", &sc);
		double t1 = nrt_now();
		nrt_scalars_set(&sc, "images/s", (double)images / (t1 - t0 > 0 ? t1 - t0 : 1e-9));
		if (average_train(R, &sc, images))
			return 1;
		if (ps_eval_sync(R) || drv_evaluate(R, NRT_VAL, R->mval, &sc))
			return 1;
		nrt_scalars_set(&sc, "time", nrt_now() - t0);
		if (nrt_sched_epoch_end(R->sched, &sc, R->err, sizeof R->err) ||
		    nrt_early_epoch_end(&R->early, &sc, &stop, R->err, sizeof R->err))
			return drv_fail(R, "%s", R->err);
		if (R->ckpt) {
			double bad = 0;
			void *reg[NETRT_NREGIONS];
			fill_meta(R, &meta, e, 0);
			if (ckpt_regions(R, reg))
				return 1;
			if (R->rank == 0 &&
			    nrt_ckpt_policy_epoch_end(R->ckpt, R->p, reg, &meta, &sc,
						      e == R->epochs || stop, &saved, R->err, sizeof R->err))
				bad = 1, drv_fail(R, "%s", R->err);
			ckpt_done(R);
			if (agree(R, &bad, 1) || bad > 0)   /* the barrier after the write */
				return 1;
		}
		if (R->log && nrt_log_epoch(R->log, &sc, R->err, sizeof R->err))
			return drv_fail(R, "%s", R->err);
		nrt_progress_epoch_end(&pr, &sc, nrt_now());
		if (stop) {
			if (!R->o->quiet)
				printf("early stopping after epoch %lld: %s has not improved for %lld epochs\n",
				       (long long)e, R->early.on, (long long)R->early.patience);
			break;
		}
		if (interrupted)
			status = STOP_SIGNAL;
	}
	if (pr.dirty) {   /* stopped mid-epoch on a terminal: end the progress line */
		fputc('\n', pr.out);
		pr.dirty = 0;
	}
	if (status == STOP_FAIL)
		return 1;
	if (status == STOP_SIGNAL) {
		fprintf(stderr, "%s: interrupted at step %lld\n", R->argv0, (long long)R->c.step);
		return 130;
	}
	if (status == STOP_DONE)
		return 0;
	return final_report(R);
}

/* ---------------------------------------------------------------- synthetic */

/* Inputs uniform in [0, 1), targets valid for the loss (netrt_target_kind);
 * the batch of step k depends on (seed, k) only. */
static void random_batch(struct run *R, int64_t step)
{
	const struct netrt_program *p = R->p;
	uint64_t s = R->seed * 0x2545f4914f6cdd1dull + (uint64_t)step;
	float *in = R->c.region[NETRT_INPUT];
	for (int64_t i = 0; i < p->region_size[NETRT_INPUT]; i++)
		in[i] = (float)((nrt_splitmix(&s) >> 40) * 0x1p-24);
	for (int64_t i = 0; i < p->region_size[NETRT_TARGET]; i++) {
		uint64_t r = nrt_splitmix(&s);
		if (p->target_kind == NETRT_TARGET_CLASS)
			((int32_t *)R->c.region[NETRT_TARGET])[i] =
				(int32_t)(r % (uint64_t)(p->classes > 0 ? p->classes : 1));
		else if (p->target_kind == NETRT_TARGET_BINARY)
			((float *)R->c.region[NETRT_TARGET])[i] = (float)(r & 1);
		else
			((float *)R->c.region[NETRT_TARGET])[i] = (float)((r >> 40) * 0x1p-24);
	}
}

static int synthetic(struct run *R)
{
	const struct netrt_program *p = R->p;
	int64_t steps = R->o->steps >= 0 ? R->o->steps : 1;
	int rc = 0;

	if (p->class_weights_auto && p->class_weights_offset >= 0)   /* no data: equal weights */
		for (int64_t i = 0; i < p->classes; i++)
			((float *)R->c.region[NETRT_CONST])[p->class_weights_offset + i] = 1;
	rc = R->e->init(&R->c);
	if (rc == 0 && opt_shrink(R))
		return 1;
	for (int64_t k = 1; rc == 0 && k <= steps; k++) {
		R->c.step = k;
		nrt_comm_set_step(R->comm, k);
		if (R->server) {   /* a parameter server: netc_update on the workers' gradients */
			if ((rc = ps_serve(R)) != 0 && nrt_comm_error(R->comm)[0])
				return drv_comm_fail(R);
			continue;
		}
		random_batch(R, k);
		rc = R->e->train_step(&R->c);
		if (rc != 0 && R->world > 1 && nrt_comm_error(R->comm)[0])
			return drv_comm_fail(R);
		if (rc == 0 && shard_gather(R))
			return 1;
		if (rc == 0 && (!R->o->quiet || k == steps))
			printf("step %lld loss %.9g\n", (long long)k, (double)drv_loss_of(R));
	}
	if (rc)
		return drv_fail(R, "a kernel failed: %s", strerror(rc));
	return 0;
}

/* ---------------------------------------------------------------- entry */

static void teardown(struct run *R)
{
	if (R->log && nrt_log_close(R->log, R->err, sizeof R->err))
		drv_fail(R, "%s", R->err);
	nrt_metrics_free(R->mtrain);
	nrt_metrics_free(R->mval);
	nrt_sched_free(R->sched);
	nrt_ckpt_policy_free(R->ckpt);
	nrt_data_free(R->data);
	free(R->class_names);
	for (int r = 0; r < NETRT_NREGIONS; r++)
		free(R->c.region[r]);
	free(R->c.workspace);
	free(R->opt_full);
	nrt_pool_free(R->c.pool);
	cJSON_Delete(R->cfg);
}

/* Under mpirun: a program built for allreduce, and only rank 0 prints
 * (stdout of the others goes to /dev/null; errors still reach stderr). */
static int check_world(struct run *R)
{
	const cJSON *d = drv_get(R->train_cfg, "distribute");
	const char *kind = drv_str_or(d, "kind", "local");
	const cJSON *w = drv_get(R->cfg, "world");

	/* a .net file that reads `world` was evaluated for the ranks netc build
	 * --world gave: another count would be wrong (lr = 0.1 * world) */
	if (cJSON_IsTrue(drv_get(R->cfg, "world_used")) && cJSON_IsNumber(w) &&
	    (int64_t)w->valuedouble != R->world) {
		if (R->rank == 0)
			drv_fail(R, "this program was built for %lld rank%s (its .net file reads `world`) "
			     "but runs with %d: rebuild it with netc build --world %d",
			     (long long)w->valuedouble, w->valuedouble == 1 ? "" : "s", R->world,
			     R->world);
		return 1;
	}
	if (R->world <= 1)
		return 0;
	if (strcmp(kind, "allreduce") != 0 && strcmp(kind, "sharded") != 0 &&
	    strcmp(kind, "parameter_server") != 0) {
		if (R->rank == 0)
			drv_fail(R, "started by mpirun with %d ranks, but the train section says "
			     "distribute = %s%s: build it with distribute = allreduce", R->world, kind,
			     strcmp(kind, "local") ? " (not implemented)" : "");
		return 1;
	}
	if (strcmp(kind, "sharded") == 0)   /* this rank updates its part of the trainable blob */
		R->sharded = true;   /* the range: setup_strategy */
	if (strcmp(kind, "parameter_server") == 0) {
		double k = drv_num_or(d, "servers", 1);
		if (k < 1 || k >= R->world || k != (int)k) {
			if (R->rank == 0)
				drv_fail(R, "distribute = parameter_server(servers = %g) with %d ranks: it "
				     "needs at least one server and one worker (1 <= servers < %d); "
				     "start more ranks or give fewer servers", k, R->world, R->world);
			return 1;
		}
		R->servers = (int)k;
		R->server = R->rank >= R->world - R->servers;
		R->dworld = R->world - R->servers;   /* only the workers read data */
		R->drank = R->server ? 0 : R->rank;
	}
	if (R->rank != 0 && !freopen("/dev/null", "w", stdout))
		return drv_fail(R, "cannot silence the output of rank %d", R->rank);
	return 0;
}

/* Everything before the first step: the configuration, the context, the
 * data, initialisation, the training runtime, the log; agreed by the
 * ranks.  0 or the exit status. */
static int open_run(struct run *R)
{
	const struct nrt_driver_opts *o = R->o;
	const struct netrt_program *p = R->p;
	int rc;

	R->cfg = cJSON_Parse(p->config ? p->config : "{}");
	if (!R->cfg)
		return drv_fail(R, "the program's configuration is not valid JSON (rebuild it)");
	R->data_cfg = drv_get(R->cfg, "data");
	R->train_cfg = drv_get(R->cfg, "train");
	R->base_dir = o->data_root ? o->data_root : drv_str_or(R->cfg, "base_dir", ".");
	R->seed = o->seed >= 0 ? (uint64_t)o->seed : (uint64_t)drv_num_or(R->train_cfg, "seed", 1);
	R->epochs = o->epochs > 0 ? o->epochs : (int64_t)drv_num_or(R->train_cfg, "epochs", 1);
	R->program_hash = program_hash(p);
	if (check_world(R))
		return 1;

	rc = setup_ctx(R);
	if (rc == 0 && !o->synthetic) {
		if (!cJSON_IsObject(R->data_cfg))
			rc = drv_fail(R, "the train section names no data section (use --synthetic)");
		if (rc == 0)
			rc = open_data(R);
		if (rc == 0) {
			fill_class_weights(R);
			if ((rc = R->e->init(&R->c)) != 0)
				rc = drv_fail(R, "initialisation failed: %s", strerror(rc));
		}
		if (rc == 0)
			rc = setup_train_rt(R, nrt_data_count(R->data, NRT_TRAIN) /
					    (p->batch * R->dworld));
		if (rc == 0 && (!o->eval_only || o->log))   /* eval-only: only a named log */
			rc = open_log(R);
	}
	return agree_start(R, rc);
}

static int run(struct run *R)
{
	int rc = open_run(R);

	if (rc == 0 && R->o->synthetic) {
		rc = synthetic(R);
	} else if (rc == 0) {
		catch_signals(R);
		rc = train(R);
	}
	return rc;
}

/* The checks before anything is set up and the communicator: a new run,
 * or NULL with the exit status in *rc (0 after --print-config). */
static struct run *new_run(const struct nrt_entry *e, const char *argv0,
			   const struct nrt_driver_opts *o, int *rc)
{
	struct run *R = calloc(1, sizeof *R);
	const struct netrt_program *p = e->program;

	*rc = 1;
	if (!R) {
		fprintf(stderr, "%s: out of memory\n", argv0);
		return NULL;
	}
	R->argv0 = argv0;
	R->o = o;
	R->e = e;
	R->p = p;
	R->world = 1;
	interrupted = 0;
	if (p->abi_version != NETRT_ABI_VERSION) {
		*rc = drv_fail(R, "generated code of ABI %d, driver of ABI %d", p->abi_version,
			   NETRT_ABI_VERSION);
		free(R);
		return NULL;
	}
	if (o->print_config) {
		puts(p->config ? p->config : "{}");
		free(R);
		*rc = 0;
		return NULL;
	}
	if (o->batch >= 0 && o->batch != p->batch) {
		fprintf(stderr, "%s: the batch is fixed at build time to %lld (netc build --batch N), "
			"got --batch %lld\n", argv0, (long long)p->batch, (long long)o->batch);
		free(R);
		*rc = 2;
		return NULL;
	}
	R->comm = nrt_comm_open(o->comm_timeout, R->err, sizeof R->err);
	if (!R->comm) {
		*rc = drv_fail(R, "%s", R->err);
		free(R);
		return NULL;
	}
	R->rank = nrt_comm_rank(R->comm);
	R->world = nrt_comm_world(R->comm);
	R->drank = R->rank;
	R->dworld = R->world;
	*rc = 0;
	return R;
}

static void free_run(struct run *R)
{
	fflush(stdout);
	teardown(R);
	nrt_comm_close(R->comm, R->comm_failed);
	free(R);
}

int nrt_driver_run_entry(const struct nrt_entry *e, const char *argv0,
			 const struct nrt_driver_opts *o)
{
	int rc;
	struct run *R = new_run(e, argv0, o, &rc);

	if (!R)
		return rc;
	rc = run(R);
	release_signals(R);
	if (rc == 0 && R->world > 1 && R->comm->grad_syncs > 0 && !o->quiet)
		/* rank 0's stdout only: the others write to /dev/null */
		printf("comm: the train steps waited %.3f s for gradient sums (%lld steps, "
		       "%.2f ms a step)\n", R->comm->grad_wait, (long long)R->comm->grad_syncs,
		       1e3 * R->comm->grad_wait / (double)R->comm->grad_syncs);
	free_run(R);
	return rc;
}

int nrt_driver_main_entry(const struct nrt_entry *e, int argc, char **argv)
{
	struct nrt_driver_opts o;
	int rc = nrt_driver_parse(e->program, argc, argv, &o, stdout, stderr);
	if (rc)
		return rc == 1 ? 0 : rc;
	return nrt_driver_run_entry(e, argv[0], &o);
}

/* ---------------------------------------------------------------- sessions */

struct nrt_session {
	struct run R;
};

struct nrt_session *nrt_session_open(const struct nrt_entry *e, const char *argv0,
				     const struct nrt_driver_opts *o, int *status)
{
	struct run *R;
	struct nrt_driver_opts own = *o;
	int rc;

	own.eval_only = false;
	own.print_config = false;
	R = new_run(e, argv0, &own, &rc);
	if (!R) {
		*status = rc ? rc : 1;
		return NULL;
	}
	R->own = own;
	R->o = &R->own;
	rc = open_run(R);
	if (rc == 0 && own.synthetic && (rc = R->e->init(&R->c)) != 0)
		rc = drv_fail(R, "initialisation failed: %s", strerror(rc));
	if (rc) {
		free_run(R);
		*status = rc;
		return NULL;
	}
	*status = 0;
	return (struct nrt_session *)R;   /* R is the session's first and only member */
}

int nrt_session_train(struct nrt_session *s, int64_t steps, int64_t epochs)
{
	struct run *R = &s->R;
	int rc;

	if (R->own.synthetic)
		return drv_fail(R, "this program has no data to train on");
	R->own.steps = steps > 0 ? R->c.step + steps : -1;
	R->last_epoch = epochs > 0 ? R->pos_epoch + epochs : steps > 0 ? INT64_MAX : 0;
	catch_signals(R);
	rc = train(R);
	release_signals(R);
	fflush(stdout);
	return rc;
}

int nrt_session_save(struct nrt_session *s, const char *path)
{
	struct run *R = &s->R;
	struct nrt_ckpt_meta m;

	nrt_ckpt_meta_init(&m);
	fill_meta(R, &m, R->pos_epoch, R->pos_batch);
	if (nrt_ckpt_save(path, R->p, R->c.region, &m, R->err, sizeof R->err))
		return drv_fail(R, "%s", R->err);
	return 0;
}

int nrt_session_restore(struct nrt_session *s, const char *path)
{
	struct run *R = &s->R;
	struct nrt_ckpt_meta m;

	nrt_ckpt_meta_init(&m);
	if (nrt_ckpt_load(path, R->p, R->c.region, R->program_hash, &m, R->err, sizeof R->err))
		return drv_fail(R, "cannot restore: %s", R->err);
	if (nrt_sched_load_meta(R->sched, &m, R->err, sizeof R->err) ||
	    nrt_early_load_meta(&R->early, &m, R->err, sizeof R->err))
		return drv_fail(R, "cannot restore from %s: %s", path, R->err);
	R->c.step = m.step;
	R->pos_epoch = m.epoch;
	R->pos_batch = m.batch_in_epoch;
	R->started = true;
	return 0;
}

struct netrt_ctx *nrt_session_ctx(struct nrt_session *s)
{
	return &s->R.c;
}

struct nrt_data *nrt_session_data(struct nrt_session *s)
{
	return s->R.data;
}

uint64_t nrt_session_seed(const struct nrt_session *s)
{
	return s->R.seed;
}

void nrt_session_close(struct nrt_session *s)
{
	if (s)
		free_run(&s->R);
}
