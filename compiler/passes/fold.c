/* fold.c - algebraic simplification of the forward graph ("constant
 * folding" of the IR: the network has no constants, but some ops are
 * known to compute nothing):
 *
 *   identity(x)                     -> x
 *   dropout(x, p = 0)               -> x
 *   reshape(x) / flatten(x) with the output shape of x
 *                                   -> x
 *   reshape(reshape(x)), reshape(flatten(x))
 *                                   -> reshape(x)   (the outer one's shape)
 *
 * A removed node's consumers are rewired to its producer; a graph output
 * is only removed when its producer can take its place as the output (not
 * a network input, not an output already).  The nodes that stay keep their
 * names; the replaced ones (and producers left unused, such as the inner
 * reshape of a chain) are pruned, ids renumbered. */
#include "passes.h"

static bool is_output(const struct graph *g, const struct node *n)
{
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == n)
			return true;
	return false;
}

/* The node n computes its only input unchanged. */
static bool is_identity(const struct node *n)
{
	const struct node *x = n->nin == 1 ? n->in[0] : NULL;

	if (!x)
		return false;
	switch (n->op) {
	case OP_IDENTITY:
		return true;
	case OP_DROPOUT:
		return n->attr[0].f == 0.0;
	case OP_RESHAPE:
	case OP_FLATTEN:
		return n->dtype == x->dtype && shape_eq(&n->shape, &x->shape);
	default:
		return false;
	}
}

bool pass_fold(struct graph *g, struct diag_ctx *D)
{
	struct node **repl;
	bool changed = false;
	int before = g->n;

	(void)D;
	if (g->n == 0)
		return false;
	repl = arena_array(g->A, (size_t)g->n, sizeof *repl);
	/* In topological order, so that every input is already final. */
	for (int i = 0; i < g->n; i++) {
		struct node *n = g->nodes[i];

		for (int k = 0; k < n->nin; k++)
			n->in[k] = passes_final(repl, n->in[k]);
		/* reshape of a reshape/flatten: reshape the original tensor */
		if (n->op == OP_RESHAPE && n->nin == 1 &&
		    (n->in[0]->op == OP_RESHAPE || n->in[0]->op == OP_FLATTEN) &&
		    n->in[0]->nin == 1) {
			n->in[0] = n->in[0]->in[0];
			changed = true;
		}
		if (!is_identity(n))
			continue;
		if (is_output(g, n) && (n->in[0]->op == OP_INPUT || is_output(g, n->in[0])))
			continue;
		repl[n->id] = n->in[0];
	}
	passes_replace(g, repl);
	return changed || g->n != before;
}
