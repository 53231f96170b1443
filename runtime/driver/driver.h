/* driver.h - the training driver of a program built by `netc build`: the
 * command line, the data pipeline (runtime/data), the epochs of train
 * steps with validation, metrics, schedules, logs and checkpoints
 * (runtime/train), all driven by the configuration the program carries
 * (netc_program.config, docs/runtime-abi.md).  main.c is its only caller
 * in a built program; `netc run` will call it in process.
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

/* Parse argv into o (defaults first).  0, 1 for --help (printed to out),
 * or 2 after a message on err. */
int nrt_driver_parse(int argc, char **argv, struct nrt_driver_opts *o, FILE *out, FILE *err);

/* Run the program p (the generated module's netc_program and entry points)
 * as the options say.  Returns the exit status. */
int nrt_driver_run(const char *argv0, const struct nrt_driver_opts *o);

/* main(): parse, then run. */
int nrt_driver_main(int argc, char **argv);

#endif
