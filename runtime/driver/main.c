/* main.c - the main of a program built by `netc build`: allocate the
 * regions the generated module describes (netc_program, netrt.h), run
 * netc_init, then N training steps on seeded random batches, printing
 * `step K loss L`.  Real data come with the data pipeline (next issue).
 *
 *   --steps N    training steps (default 1)
 *   --batch N    must equal the batch fixed at build time (checked)
 *   --seed S     initialisation, dropout and the random batches (default 1)
 *   --threads T  threads of the pool (default 1)
 *   --quiet      print only the last loss
 *
 * The random batch of step k depends on (seed, k) only, the kernels'
 * results not on the thread count, so runs are reproducible. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "netrt.h"

static void usage(FILE *out, const char *argv0)
{
	fprintf(out,
		"usage: %s [--steps N] [--batch N] [--seed S] [--threads T] [--quiet]\n"
		"train '%s' for N steps on random batches and print the loss of each step\n",
		argv0, netc_program.name);
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Inputs uniform in [0, 1), targets valid for the loss (netrt_target_kind). */
static void random_batch(struct netrt_ctx *c, uint64_t seed, int64_t step)
{
	const struct netrt_program *p = &netc_program;
	uint64_t s = seed * 0x2545f4914f6cdd1dull + (uint64_t)step;
	float *in = c->region[NETRT_INPUT];
	for (int64_t i = 0; i < p->region_size[NETRT_INPUT]; i++)
		in[i] = (float)((splitmix(&s) >> 40) * 0x1p-24);
	for (int64_t i = 0; i < p->region_size[NETRT_TARGET]; i++) {
		uint64_t r = splitmix(&s);
		if (p->target_kind == NETRT_TARGET_CLASS)
			((int32_t *)c->region[NETRT_TARGET])[i] =
				(int32_t)(r % (uint64_t)(p->classes > 0 ? p->classes : 1));
		else if (p->target_kind == NETRT_TARGET_BINARY)
			((float *)c->region[NETRT_TARGET])[i] = (float)(r & 1);
		else
			((float *)c->region[NETRT_TARGET])[i] = (float)((r >> 40) * 0x1p-24);
	}
}

static int parse_int(const char *opt, const char *v, long long lo, long long *out)
{
	char *end;
	errno = 0;
	*out = v ? strtoll(v, &end, 10) : 0;
	if (!v || errno || *end || *out < lo) {
		fprintf(stderr, "%s expects an integer >= %lld, got '%s'\n", opt, lo, v ? v : "");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct netrt_program *p = &netc_program;
	long long steps = 1, batch = p->batch, seed = 1, threads = 1;
	bool quiet = false;
	struct netrt_ctx c;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long long *dst = !strcmp(a, "--steps") ? &steps : !strcmp(a, "--batch") ? &batch
			       : !strcmp(a, "--seed") ? &seed : !strcmp(a, "--threads") ? &threads : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout, argv[0]);
			return 0;
		} else if (!strcmp(a, "--quiet")) {
			quiet = true;
		} else if (dst) {
			if (parse_int(a, v, dst == &seed ? 0 : dst == &steps ? 0 : 1, dst))
				return 2;
			i++;
		} else {
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (p->abi_version != NETRT_ABI_VERSION) {
		fprintf(stderr, "%s: generated code of ABI %d, driver of ABI %d\n", argv[0],
			p->abi_version, NETRT_ABI_VERSION);
		return 1;
	}
	if (batch != p->batch) {
		fprintf(stderr, "%s: the batch is fixed at build time to %lld (netc build --batch N), "
			"got --batch %lld\n", argv[0], (long long)p->batch, batch);
		return 2;
	}

	memset(&c, 0, sizeof c);
	nrt_cpu_init();
	c.pool = nrt_pool_new((int)threads);
	if (!c.pool && threads > 1) {
		fprintf(stderr, "%s: cannot start %lld threads: %s\n", argv[0], threads, strerror(errno));
		return 1;
	}
	for (int r = 0; r < NETRT_NREGIONS; r++) {
		/* float and int32 elements are both 4 bytes */
		c.region[r] = calloc((size_t)(p->region_size[r] > 0 ? p->region_size[r] : 1), 4);
		if (!c.region[r]) {
			fprintf(stderr, "%s: out of memory\n", argv[0]);
			return 1;
		}
	}
	c.workspace_size = (size_t)netc_workspace_size((int)threads);
	c.workspace = malloc(c.workspace_size ? c.workspace_size : 1);
	c.seed = (uint64_t)seed;
	c.lr_scale = 1;
	if (!c.workspace) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 1;
	}
	if (p->class_weights_auto)   /* no data to count classes in: equal weights */
		for (int64_t i = 0; i < p->region_size[NETRT_CONST]; i++)
			((float *)c.region[NETRT_CONST])[i] = 1;
	rc = netc_init(&c);
	for (long long k = 1; rc == 0 && k <= steps; k++) {
		float loss;
		c.step = k;
		random_batch(&c, (uint64_t)seed, k);
		rc = netc_train_step(&c);
		loss = ((float *)c.region[NETRT_ACT])[p->loss_offset];
		if (rc == 0 && (!quiet || k == steps))
			printf("step %lld loss %.9g\n", k, (double)loss);
	}
	if (rc)
		fprintf(stderr, "%s: a kernel failed: %s\n", argv[0], strerror(rc));
	for (int r = 0; r < NETRT_NREGIONS; r++)
		free(c.region[r]);
	free(c.workspace);
	nrt_pool_free(c.pool);
	return rc ? 1 : 0;
}
