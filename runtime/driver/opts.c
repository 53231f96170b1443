/* opts.c - the command line of a built training program (driver.h). */
#include "driver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out, const char *argv0, const struct netrt_program *p)
{
	fprintf(out,
		"usage: %s [options]\n"
		"train '%s' as its .net file says: data, epochs, schedule, metrics, checkpoints\n"
		"\n"
		"  --epochs N            epochs to train (default: the train section's)\n"
		"  --batch N             must equal the batch fixed at build time (%lld)\n"
		"  --threads T           threads of the compute pool (default 1)\n"
		"  --workers W           data loader threads (default: the data section's)\n"
		"  --seed S              initialisation, dropout, shuffling, augmentation\n"
		"                        (default: the train section's seed)\n"
		"  --data-root DIR       folder the data paths are relative to\n"
		"                        (default: the folder of the .net file)\n"
		"  --resume [FILE|last]  continue from a checkpoint (default: the section's resume)\n"
		"  --eval-only           evaluate the checkpoint (--resume) on val and test\n"
		"  --log PREFIX          append epochs to PREFIX.csv and PREFIX.jsonl ('none': no logs;\n"
		"                        default: beside the checkpoints; with --eval-only: one row\n"
		"                        of its metrics, only when named)\n"
		"  --steps N             stop after N train steps in all (saves -last to resume from)\n"
		"  --checkpoint-steps N  also save -last every N steps\n"
		"  --no-checkpoint       write no checkpoints\n"
		"  --strict              fail on the first bad sample (default: skip and count)\n"
		"  --max-bad F           fail when more than F of a split is bad (default 0.01)\n"
		"  --comm-timeout S      under mpirun: fail when a collective (gradient allreduce,\n"
		"                        broadcast, barrier) takes longer than S seconds (default 60)\n"
		"  --quiet               only the epoch lines and the final metrics\n"
		"  --synthetic           train on seeded random batches instead of the data\n"
		"                        (--steps N, default 1; prints the loss of each step)\n"
		"  --print-config        print the configuration JSON the program carries\n"
		"  --help                this text\n",
		argv0, p->name, (long long)p->batch);
}

static int parse_int(FILE *err, const char *opt, const char *v, long long lo, int64_t *out)
{
	char *end;
	long long x;
	errno = 0;
	x = v ? strtoll(v, &end, 10) : 0;
	if (!v || !*v || errno || *end || x < lo) {
		fprintf(err, "%s expects an integer >= %lld, got '%s'\n", opt, lo, v ? v : "");
		return -1;
	}
	*out = x;
	return 0;
}

int nrt_driver_parse(const struct netrt_program *p, int argc, char **argv, struct nrt_driver_opts *o,
		     FILE *out, FILE *err)
{
	static const struct {
		const char *name;
		size_t off;
		long long lo;
	} ints[] = {
		{ "--epochs", offsetof(struct nrt_driver_opts, epochs), 1 },
		{ "--batch", offsetof(struct nrt_driver_opts, batch), 1 },
		{ "--threads", offsetof(struct nrt_driver_opts, threads), 1 },
		{ "--seed", offsetof(struct nrt_driver_opts, seed), 0 },
		{ "--steps", offsetof(struct nrt_driver_opts, steps), 0 },
		{ "--workers", offsetof(struct nrt_driver_opts, workers), 0 },
		{ "--checkpoint-steps", offsetof(struct nrt_driver_opts, checkpoint_steps), 1 },
	};
	memset(o, 0, sizeof *o);
	o->epochs = o->batch = o->seed = o->steps = o->workers = -1;
	o->threads = 1;
	o->max_bad = 0.01;
	o->comm_timeout = 60;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		size_t k;
		for (k = 0; k < sizeof ints / sizeof ints[0]; k++)
			if (strcmp(a, ints[k].name) == 0)
				break;
		if (k < sizeof ints / sizeof ints[0]) {
			if (parse_int(err, a, v, ints[k].lo, (int64_t *)((char *)o + ints[k].off)))
				return 2;
			i++;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(out, argv[0], p);
			return 1;
		} else if (!strcmp(a, "--data-root") || !strcmp(a, "--log")) {
			if (!v || !*v) {
				fprintf(err, "%s expects a value\n", a);
				return 2;
			}
			*(!strcmp(a, "--log") ? &o->log : &o->data_root) = v;
			i++;
		} else if (!strcmp(a, "--resume")) {
			/* an optional value: the next word unless it is an option */
			if (v && v[0] != '-') {
				o->resume = v;
				i++;
			} else {
				o->resume = "last";
			}
		} else if (!strcmp(a, "--max-bad")) {
			char *end;
			double x = v ? strtod(v, &end) : -1;
			if (!v || *end || !(x >= 0 && x <= 1)) {
				fprintf(err, "--max-bad expects a fraction in [0, 1], got '%s'\n", v ? v : "");
				return 2;
			}
			o->max_bad = x;
			i++;
		} else if (!strcmp(a, "--comm-timeout")) {
			char *end;
			double x = v ? strtod(v, &end) : -1;
			if (!v || *end || !(x > 0 && x <= 1e6)) {
				fprintf(err, "--comm-timeout expects seconds > 0, got '%s'\n", v ? v : "");
				return 2;
			}
			o->comm_timeout = x;
			i++;
		} else if (!strcmp(a, "--eval-only")) {
			o->eval_only = true;
		} else if (!strcmp(a, "--quiet")) {
			o->quiet = true;
		} else if (!strcmp(a, "--strict")) {
			o->strict = true;
		} else if (!strcmp(a, "--synthetic")) {
			o->synthetic = true;
		} else if (!strcmp(a, "--print-config")) {
			o->print_config = true;
		} else if (!strcmp(a, "--no-checkpoint")) {
			o->no_checkpoint = true;
		} else {
			fprintf(err, "%s: unknown option '%s' (--help lists them)\n", argv[0], a);
			return 2;
		}
	}
	return 0;
}
