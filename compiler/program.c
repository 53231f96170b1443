/* program.c - the front half of `netc build`, shared by netc build,
 * netc run and the REPL: a checked train section through the graph
 * passes, autodiff, the program passes, memory planning and layout to the
 * training program that a backend compiles. */
#include "program.h"

#include <string.h>

#include "passes/passes.h"
#include "passes/progpasses.h"

/* program.h; the stages in the order netc build --help lists them. */
int netc_build_program(struct arena *A, struct diag_ctx *D, struct sema *S, const char *name,
		       const char *dump_after, int64_t batch, bool no_opt, FILE *dump,
		       struct tprog **out)
{
	struct train_info *ti;
	struct tprog *P;
	const char *bad;

	*out = NULL;
	if (D->nerrors)
		return 1;
	ti = sema_train(S, name);
	if (!ti || D->nerrors)
		return 1;
	/* the graph passes (fold, cse, dce) on the forward graph */
	if (!no_opt) {
		if (!passes_run(ti->net, D, dump_after, dump))
			return 1;
		if (dump_after && passes_is_pass(dump_after))
			return 0;
	} else if (dump_after && passes_is_pass(dump_after)) {
		graph_dump(dump, ti->net);   /* no passes ran: the graph as built */
		return 0;
	}
	P = tprog_build(A, D, ti, batch);
	if (!P)
		return 1;
	if (dump_after && strcmp(dump_after, "autodiff") == 0) {
		tprog_dump(dump, P);
		return 0;
	}
	/* the passes over the program (bnfold, fuse) */
	if (!no_opt) {
		if (!progpasses_run(P, D, dump_after, dump))
			return 1;
		if (dump_after && progpasses_is_pass(dump_after))
			return 0;
	} else if (dump_after && progpasses_is_pass(dump_after)) {
		tprog_dump(dump, P);   /* no passes ran: the program as built */
		return 0;
	}
	P->memplan = !no_opt;
	tprog_layout(P);
	bad = tprog_verify(P);
	if (!bad)
		bad = tprog_verify_layout(P);   /* the planner's promise: live buffers apart */
	if (bad) {
		diag_error(D, loc_none(), "internal error: the training program is inconsistent: %s", bad);
		return 1;
	}
	if (dump_after) {
		tprog_dump(dump, P);
		return 0;
	}
	*out = P;
	return 0;
}

