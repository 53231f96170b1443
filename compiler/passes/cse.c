/* cse.c - common-subexpression elimination: two nodes with the same op,
 * the same inputs (the same nodes in the same order; for add and multiply
 * in any order) and equal arguments compute the same tensor, so the later
 * one is merged into the first: its consumers (and its place among the
 * graph outputs) go to the first, and it is pruned.
 *
 * Only nodes without parameters or state are merged (two dense(4) on x
 * are two layers with their own weights), and never OPF_TRAIN_ONLY ones
 * (each dropout draws its own mask). */
#include "passes.h"

#include <stdlib.h>

static bool is_output(const struct graph *g, const struct node *n)
{
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == n)
			return true;
	return false;
}

/* May n be merged with an equal node? */
static bool mergeable(const struct node *n)
{
	unsigned fl = op_table[n->op].flags;

	return n->op != OP_INPUT && n->nparams == 0 &&
	       !(fl & (OPF_PARAMS | OPF_STATE | OPF_TRAIN_ONLY | OPF_INTERNAL));
}

/* The integer lists of two arguments are equal. */
static bool same_ints(const struct attr *a, const struct attr *b)
{
	if (a->n != b->n)
		return false;
	for (int k = 0; k < a->n; k++)
		if (a->v[k] != b->v[k])
			return false;
	return true;
}

/* Two checked arguments of type t hold the same value. */
static bool same_attr(enum attr_type t, const struct attr *a, const struct attr *b)
{
	if (a->set != b->set)
		return false;
	if (!a->set)
		return true;
	switch (t) {
	case AT_INT:
	case AT_BOOL:
		return a->i == b->i;
	case AT_FLOAT:
		return a->f == b->f;
	case AT_SYM:
		return a->sym == b->sym;
	case AT_INIT:
		return a->sym == b->sym && (a->sym >= 0 || a->f == b->f);
	case AT_PAD:   /* a symbol (same, valid) or values */
		return a->sym == b->sym && (a->sym >= 0 || same_ints(a, b));
	case AT_INTS:
	case AT_SHAPE:
		return same_ints(a, b);
	}
	return false;
}

static int by_id(const void *x, const void *y)
{
	const struct node *a = *(const struct node *const *)x, *b = *(const struct node *const *)y;

	return (a->id > b->id) - (a->id < b->id);
}

/* The same inputs: in order, or as a multiset for commutative ops. */
static bool same_inputs(const struct node *a, const struct node *b)
{
	if (a->nin != b->nin)
		return false;
	bool ordered = true;
	for (int k = 0; k < a->nin; k++)
		if (a->in[k] != b->in[k])
			ordered = false;
	if (ordered)
		return true;
	if (a->op != OP_ADD && a->op != OP_MULTIPLY)
		return false;
	struct node **sa = malloc(2 * (size_t)a->nin * sizeof *sa);
	bool same = true;
	if (!sa)
		return false;
	for (int k = 0; k < a->nin; k++) {
		sa[k] = a->in[k];
		sa[a->nin + k] = b->in[k];
	}
	qsort(sa, (size_t)a->nin, sizeof *sa, by_id);
	qsort(sa + a->nin, (size_t)a->nin, sizeof *sa, by_id);
	for (int k = 0; k < a->nin; k++)
		if (sa[k] != sa[a->nin + k])
			same = false;
	free(sa);
	return same;
}

/* a and b compute the same tensor. */
static bool same_node(const struct node *a, const struct node *b)
{
	const struct op_info *o = &op_table[a->op];

	if (a->op != b->op || a->dtype != b->dtype || !shape_eq(&a->shape, &b->shape) ||
	    !same_inputs(a, b))
		return false;
	for (int k = 0; k < o->nattrs; k++)
		if (!same_attr(o->attrs[k].type, &a->attr[k], &b->attr[k]))
			return false;
	return true;
}

bool pass_cse(struct graph *g, struct diag_ctx *D)
{
	struct node **repl;
	bool merged = false;

	(void)D;
	if (g->n == 0)
		return false;
	repl = arena_array(g->A, (size_t)g->n, sizeof *repl);
	/* In topological order: inputs are rewired to the nodes they were
	 * merged into before the node itself is compared, so chains of equal
	 * subexpressions (relu(relu(x)) twice) merge all the way up. */
	for (int i = 0; i < g->n; i++) {
		struct node *n = g->nodes[i];

		for (int k = 0; k < n->nin; k++)
			n->in[k] = passes_final(repl, n->in[k]);
		if (!mergeable(n))
			continue;
		for (int j = 0; j < i; j++) {
			struct node *m = g->nodes[j];
			if (repl[j] || !mergeable(m) || !same_node(m, n))
				continue;
			/* two outputs stay two outputs */
			if (is_output(g, n) && is_output(g, m))
				continue;
			repl[i] = m;
			merged = true;
			break;
		}
	}
	if (merged)
		passes_replace(g, repl);
	return merged;
}
