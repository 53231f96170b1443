/* nets.h - what the tests of the training program share: compiling .net
 * text through the front end into a laid-out program, seeded random
 * batches, and the test networks. */
#ifndef NETC_TESTS_NETS_H
#define NETC_TESTS_NETS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "interp.h"
#include "sema.h"
#include "tprog.h"

/* One compilation: its arena, diagnostics (kept in memory) and program. */
struct fixture {
	struct arena A;
	struct diag_ctx D;
	struct sema S;
	FILE *diag;
	char *diag_text;
	size_t diag_len;
	struct tprog *P;
};

/* Compile train section `train` (NULL: the first) of `text` with the
 * section's batch, verify and lay it out.  NULL (diagnostics printed to
 * stderr unless quiet) on failure. */
struct tprog *fx_compile(struct fixture *F, const char *name, const char *text,
			 const char *train, bool quiet);
/* Which passes fx_compile_opt runs (netc build runs them all; --no-opt none). */
enum {
	FX_GRAPH = 1,                /* fold, cse, dce on the graph before tprog_build */
	FX_BNFOLD = 2,               /* pass_bnfold on the program */
	FX_FUSE = 4,                 /* pass_fuse on the program */
	FX_ALL = FX_GRAPH | FX_BNFOLD | FX_FUSE,
};
/* fx_compile with the passes in `passes` (FX_*), each program pass
 * followed by tprog_verify, before the layout. */
struct tprog *fx_compile_opt(struct fixture *F, const char *name, const char *text,
			     const char *train, bool quiet, int passes);
/* The diagnostics printed so far. */
const char *fx_diags(struct fixture *F);
void fx_free(struct fixture *F);

/* A splitmix64 stream: uniform doubles in [0, 1) and rough normals. */
struct rng {
	uint64_t s;
};
double rng_uniform(struct rng *r);
double rng_normal(struct rng *r);
uint64_t rng_next(struct rng *r);

/* Fill the inputs with N(0, 1) values and the targets with valid ones
 * (class indices, 0/1 labels, N(0, 1) regression targets). */
void fx_random_batch(struct interp *I, uint64_t seed);

/* The networks of the tests, each a .net program with one train section. */
extern const char NET_MLP[], NET_LENET[], NET_RESNET[], NET_UNET[], NET_BCE[], NET_WXENT[],
	NET_MSE[], NET_FROZEN[], NET_L2[], NET_BN[], NET_GOLDEN[];

#endif
