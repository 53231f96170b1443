/* driver.h - the training driver of a program built by `netc build`: the
 * command line, the data pipeline (runtime/data), the epochs of train
 * steps with validation, metrics, schedules, logs and checkpoints
 * (runtime/train), all driven by the configuration the program carries
 * (netc_program.config, docs/runtime-abi.md).  The driver reaches the
 * program through a struct nrt_entry: main.c fills it from the link-time
 * symbols of a built program, `netc run` and `netc repl` from the JIT
 * (compiler/jit/jit.h).  It keeps no state between runs, so one process
 * may run it many times.
 *
 * Exit status: 0 done (or stopped early / by --steps), 1 a failure (bad
 * data, a non-finite loss, a checkpoint that cannot be written or read),
 * 2 a bad command line, 130 interrupted (SIGINT/SIGTERM, after saving). */
#ifndef NRT_DRIVER_H
#define NRT_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "netrt.h"

struct nrt_driver_opts {
	int64_t epochs;              /* -1: the train section's */
	int64_t batch;               /* -1: the build's (any other value is refused) */
	int64_t threads;             /* pool threads (default 1) */
	int64_t seed;                /* -1: the train section's */
	int64_t steps;               /* stop after this many train steps in all (-1: none) */
	int64_t workers;             /* -1: the data section's */
	int64_t checkpoint_steps;    /* also write -last every N steps (0: only at epoch ends) */
	const char *data_root;       /* replaces the .net file's folder for data paths */
	const char *resume;          /* a checkpoint, "last", or NULL (the section's `resume`) */
	const char *log;             /* PREFIX: PREFIX.csv and PREFIX.jsonl; "none": no logs */
	double max_bad;              /* fraction of bad samples tolerated (default 0.01) */
	double comm_timeout;         /* seconds a collective of a distributed run may take (60) */
	bool eval_only, quiet, strict, synthetic, print_config, no_checkpoint;
};

/* Parse argv into o (defaults first).  0, 1 for --help (printed to out,
 * naming program p), or 2 after a message on err. */
int nrt_driver_parse(const struct netrt_program *p, int argc, char **argv,
		     struct nrt_driver_opts *o, FILE *out, FILE *err);

/* A program's entry points and tables (runtime/include/netrt.h): the
 * netc_* symbols of a built program, or the same functions JIT-compiled. */
struct nrt_entry {
	const struct netrt_program *program;      /* netc_program */
	int (*init)(struct netrt_ctx *);          /* netc_init */
	int (*forward)(struct netrt_ctx *);       /* netc_forward */
	int (*train_step)(struct netrt_ctx *);    /* netc_train_step */
	int (*eval_step)(struct netrt_ctx *);     /* netc_eval_step */
	int (*update)(struct netrt_ctx *);        /* netc_update */
	int64_t (*workspace_size)(int threads);   /* netc_workspace_size */
};

/* Run the program e as the options say; messages start with argv0.
 * Returns the exit status.  SIGINT and SIGTERM handlers are the driver's
 * while it runs and the caller's again when it returns. */
int nrt_driver_run_entry(const struct nrt_entry *e, const char *argv0,
			 const struct nrt_driver_opts *o);

/* A run in pieces, for `netc repl`: the set-up of nrt_driver_run_entry
 * (configuration, context, data, initialisation, training runtime; o's
 * eval_only and print_config are ignored), then any number of train, save
 * and restore calls on the same parameters, then close.  The steps are
 * train()'s loop, so the pieces train exactly as one run.  With
 * o->synthetic the session has no data and no training runtime (the
 * context and the initialised parameters only, for forward passes):
 * nrt_session_train refuses it. */
struct nrt_session;
struct nrt_data;
/* NULL with the exit status in *status after a message on stderr. */
struct nrt_session *nrt_session_open(const struct nrt_entry *e, const char *argv0,
				     const struct nrt_driver_opts *o, int *status);
/* steps (> 0) more train steps, or epochs (> 0) more epochs (then the
 * validation report), from where the last call stopped.  SIGINT stops at
 * the next step boundary (status 130).  Returns 0 or the exit status. */
int nrt_session_train(struct nrt_session *s, int64_t steps, int64_t epochs);
/* Write / read a checkpoint (the format of built programs; a restore
 * refuses another program's).  0, or 1 after a message. */
int nrt_session_save(struct nrt_session *s, const char *path);
int nrt_session_restore(struct nrt_session *s, const char *path);
/* The context (regions, step, pool) and the data (NULL: none) it owns. */
struct netrt_ctx *nrt_session_ctx(struct nrt_session *s);
struct nrt_data *nrt_session_data(struct nrt_session *s);
uint64_t nrt_session_seed(const struct nrt_session *s);
void nrt_session_close(struct nrt_session *s);

/* main(): parse argv, then run e. */
int nrt_driver_main_entry(const struct nrt_entry *e, int argc, char **argv);

#endif
