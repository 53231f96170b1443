/* pipeline.c - the pass pipelines of `netc build`: the graph passes
 * (fold, cse, dce) before autodiff, the helper they share to rewire uses
 * of replaced nodes, and the passes over the training program (bnfold,
 * fuse) after it. */
#include "passes.h"
#include "progpasses.h"

#include <string.h>

struct node *passes_final(struct node **repl, struct node *n)
{
	while (repl[n->id])
		n = repl[n->id];
	return n;
}

void passes_replace(struct graph *g, struct node **repl)
{
	for (int i = 0; i < g->n; i++) {
		struct node *n = g->nodes[i];
		for (int k = 0; k < n->nin; k++)
			n->in[k] = passes_final(repl, n->in[k]);
	}
	for (int i = 0; i < g->noutputs; i++)
		g->outputs[i] = passes_final(repl, g->outputs[i]);
	/* The replaced nodes have no uses left: pruning removes them. */
	graph_prune(g);
}

/* Check the graph after pass `name`; an internal error if it is broken. */
static bool verified(struct graph *g, struct diag_ctx *D, const char *name)
{
	const char *bad = graph_verify(g);

	if (!bad)
		return true;
	diag_error(D, g->loc, "internal error: the graph is inconsistent after pass '%s': %s",
		   name, bad);
	return false;
}

static const struct {
	const char *name;
	bool (*run)(struct graph *g, struct diag_ctx *D);
} pipeline[] = {
	{ "fold", pass_fold },
	{ "cse", pass_cse },
	{ "dce", pass_dce },
};

bool passes_is_pass(const char *name)
{
	for (size_t i = 0; i < sizeof pipeline / sizeof pipeline[0]; i++)
		if (strcmp(name, pipeline[i].name) == 0)
			return true;
	return false;
}

bool passes_run(struct graph *g, struct diag_ctx *D, const char *dump_after, FILE *out)
{
	for (size_t i = 0; i < sizeof pipeline / sizeof pipeline[0]; i++) {
		pipeline[i].run(g, D);
		if (!verified(g, D, pipeline[i].name))
			return false;
		if (dump_after && strcmp(dump_after, pipeline[i].name) == 0)
			graph_dump(out, g);
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Passes over the training program
 * ------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*run)(struct tprog *P);
} prog_pipeline[] = {
	{ "bnfold", pass_bnfold },   /* first: the folded conv can take a relu epilogue */
	{ "fuse", pass_fuse },
};

bool progpasses_is_pass(const char *name)
{
	for (size_t i = 0; i < sizeof prog_pipeline / sizeof prog_pipeline[0]; i++)
		if (strcmp(name, prog_pipeline[i].name) == 0)
			return true;
	return false;
}

bool progpasses_run(struct tprog *P, struct diag_ctx *D, const char *dump_after, FILE *out)
{
	for (size_t i = 0; i < sizeof prog_pipeline / sizeof prog_pipeline[0]; i++) {
		const char *bad;
		prog_pipeline[i].run(P);
		bad = tprog_verify(P);
		if (bad) {
			diag_error(D, loc_none(), "internal error: the training program is inconsistent "
				   "after pass '%s': %s", prog_pipeline[i].name, bad);
			return false;
		}
		if (dump_after && strcmp(dump_after, prog_pipeline[i].name) == 0)
			tprog_dump(out, P);
	}
	return true;
}
