/* run.h - the state of one training run of the driver (run.c), shared
 * with the evaluation (eval.c); internal to runtime/driver. */
#ifndef NRT_DRIVER_RUN_H
#define NRT_DRIVER_RUN_H

#include <signal.h>

#include <cJSON.h>

#include "comm.h"
#include "data.h"
#include "driver.h"
#include "train_rt.h"

enum { ERRN = 1024 };

struct run {
	const char *argv0;
	const struct nrt_driver_opts *o;
	const struct nrt_entry *e;     /* the program's entry points (driver.h) */
	const struct netrt_program *p;
	struct netrt_ctx c;
	cJSON *cfg;
	const cJSON *data_cfg, *train_cfg;
	const char *base_dir;
	struct nrt_data *data;
	int64_t classes;               /* the program's class dimension */
	enum nrt_target target;        /* what the loader writes for the program's TARGET */
	uint64_t program_hash;
	struct nrt_comm *comm;
	int rank, world;
	bool comm_failed;              /* a collective failed: peers may hang, abort at the end */
	bool sharded;                  /* distribute = sharded with more than one rank */
	int servers;                   /* distribute = parameter_server: its servers (world > 1) */
	bool server;                   /* this rank is one of them: no data, netc_update only */
	int drank, dworld;             /* this rank's shard of the train data: of the workers */
	float *opt_full;               /* the whole OPT region (compact OPT: rank 0, for a save) */
	uint64_t seed;
	int64_t epochs;
	struct nrt_ckpt_policy *ckpt;
	struct nrt_sched *sched;
	struct nrt_early early;
	struct nrt_log *log;
	struct nrt_metrics *mtrain, *mval;
	struct nrt_metrics_cfg mcfg;
	const char **class_names;
	struct sigaction old_int, old_term;   /* the handlers before ours, put back at the end */
	bool caught;
	/* a session (nrt_session_*, the REPL) trains in pieces: */
	struct nrt_driver_opts own;    /* its options (R->o points here) */
	bool started;                  /* train() ran: resume and broadcast done */
	int64_t pos_epoch, pos_batch;  /* where the next step starts: epochs done, batch in the next */
	int64_t last_epoch;            /* train() stops after this epoch (0: the section's epochs) */
	char err[ERRN];
};

/* "ARGV0: message" on stderr; returns 1 (run.c). */
int drv_fail(struct run *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A collective failed: say so (naming the collective, the peer, the
 * step), mark the run for an abort; returns 1. */
int drv_comm_fail(struct run *R);
/* The configuration's fields (NULL objects give the default). */
const cJSON *drv_get(const cJSON *o, const char *k);
double drv_num_or(const cJSON *o, const char *k, double def);
const char *drv_str_or(const cJSON *o, const char *k, const char *def);

/* Run eval_step over split s into m, the metrics' values into sc: split
 * over the data ranks when there are several (eval.c).  0, or 1 after a
 * message. */
int drv_evaluate(struct run *R, enum nrt_split s, struct nrt_metrics *m, struct nrt_scalars *sc);

static inline float drv_loss_of(const struct run *R)
{
	return ((const float *)R->c.region[NETRT_ACT])[R->p->loss_offset];
}

static inline const float *drv_output_of(const struct run *R)
{
	return (const float *)R->c.region[NETRT_ACT] + R->p->output_offset;
}

#endif
