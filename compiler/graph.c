/* graph.c - building, checking, counting and dumping the graph IR; see
 * graph.h.  The table of `netc summary` is in summary.c, the Graphviz
 * output of `netc graph` in dot.c. */
#include "graph.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ast.h"

struct graph *graph_new(struct arena *A, const char *name)
{
	struct graph *g = arena_alloc(A, sizeof *g);
	if (!g)
		return NULL;
	g->A = A;
	g->name = name ? arena_strdup(A, name) : NULL;
	g->loc = loc_none();
	return g;
}

struct node *graph_add(struct graph *g, enum op op, int nin, struct node **in)
{
	struct node *n;
	struct node **nodes;

	if ((unsigned)op >= OP_COUNT || nin < 0)
		return NULL;
	n = arena_alloc(g->A, sizeof *n);
	if (!n)
		return NULL;
	n->op = op;
	n->nin = nin;
	if (nin > 0) {
		n->in = arena_array(g->A, (size_t)nin, sizeof *n->in);
		if (!n->in)
			return NULL;
		if (in)
			memcpy(n->in, in, (size_t)nin * sizeof *n->in);
	}
	if (op_table[op].nattrs > 0) {
		n->attr = arena_array(g->A, (size_t)op_table[op].nattrs, sizeof *n->attr);
		if (!n->attr)
			return NULL;
	}
	n->dtype = AST_F32;
	n->loc = loc_none();
	nodes = arena_grow(g->A, g->nodes, &g->cap, g->n, sizeof *g->nodes);
	if (!nodes)
		return NULL;
	g->nodes = nodes;
	if (op == OP_INPUT) {
		struct node **ins = arena_grow(g->A, g->inputs, &g->capinputs, g->ninputs,
					       sizeof *g->inputs);
		if (!ins)
			return NULL;
		g->inputs = ins;
		g->inputs[g->ninputs++] = n;
	}
	n->id = g->n;
	g->nodes[g->n++] = n;
	return n;
}

void graph_add_output(struct graph *g, struct node *n)
{
	struct node **outs = arena_grow(g->A, g->outputs, &g->capoutputs, g->noutputs,
					sizeof *g->outputs);
	if (!outs)
		return;
	g->outputs = outs;
	g->outputs[g->noutputs++] = n;
}

/* ---------------------------------------------------------------------
 * Statistics
 * ------------------------------------------------------------------- */

/* Sums of sizes saturate at INT64_MAX: a total that large is reported as
 * such rather than wrapping to a negative count. */
static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return INT64_MAX;
	return r;
}

/* Element count of a shape; INT64_MAX when it passes SHAPE_DIM_MAX, 0 for
 * a malformed (negative) shape. */
static int64_t numel_sat(const struct shape *s)
{
	int64_t n;
	if (s->rank < 0 || s->rank > SHAPE_MAX_RANK)
		return 0;
	if (!shape_numel(s, &n))
		return INT64_MAX;
	return n < 0 ? 0 : n;
}

void graph_stats(const struct graph *g, struct graph_stats *s)
{
	int64_t elems = 0;

	memset(s, 0, sizeof *s);
	s->nnodes = g->n;
	for (int i = 0; i < g->n; i++) {
		const struct node *n = g->nodes[i];
		int np = n->nparams < OP_MAX_PARAMS ? n->nparams : OP_MAX_PARAMS;
		for (int j = 0; j < np; j++) {
			int64_t k = numel_sat(&n->params[j].shape);
			if (n->params[j].trainable && !n->frozen)
				s->trainable = sat_add(s->trainable, k);
			else
				s->non_trainable = sat_add(s->non_trainable, k);
		}
		if (n->macs > 0)
			s->macs = sat_add(s->macs, n->macs);
		elems = sat_add(elems, numel_sat(&n->shape));
	}
	if (__builtin_mul_overflow(elems, (int64_t)4, &s->act_bytes))
		s->act_bytes = INT64_MAX;
}

/* ---------------------------------------------------------------------
 * Verification
 * ------------------------------------------------------------------- */

/* "%3 (conv 'layer1/conv_1')" for messages. */
static const char *node_desc(struct arena *A, const struct node *n)
{
	const char *op = (unsigned)n->op < OP_COUNT ? op_table[n->op].name : "?";
	if (n->name)
		return arena_printf(A, "%%%d (%s '%s')", n->id, op, n->name);
	return arena_printf(A, "%%%d (%s)", n->id, op);
}

static const char *check_shape(struct arena *A, const struct node *n, const char *what,
			       const struct shape *s, int min_rank)
{
	char b[160];
	if (s->rank < min_rank || s->rank > SHAPE_MAX_RANK)
		return arena_printf(A, "%s: %s has rank %d (expected %d to %d)",
				    node_desc(A, n), what, s->rank, min_rank, SHAPE_MAX_RANK);
	for (int j = 0; j < s->rank; j++)
		if (s->d[j] < 1 || s->d[j] > SHAPE_DIM_MAX)
			return arena_printf(A, "%s: %s %s has size %" PRId64 " in dimension %d",
					    node_desc(A, n), what, shape_str(s, b, sizeof b),
					    s->d[j], j + 1);
	return NULL;
}

/* True when n is the node of g at its id. */
static bool in_graph(const struct graph *g, const struct node *n)
{
	return n && n->id >= 0 && n->id < g->n && g->nodes[n->id] == n;
}

const char *graph_verify(const struct graph *g)
{
	struct arena *A = g->A;
	const char *m;

	if (g->n < 0 || (g->n > 0 && !g->nodes))
		return arena_printf(A, "graph '%s': no node array", g->name ? g->name : "");
	for (int i = 0; i < g->n; i++) {
		const struct node *n = g->nodes[i];
		const struct op_info *o;
		if (!n)
			return arena_printf(A, "node %d is missing", i);
		if (n->id != i)
			return arena_printf(A, "node at index %d has id %d", i, n->id);
		if ((unsigned)n->op >= OP_COUNT)
			return arena_printf(A, "%%%d: unknown op %d", i, (int)n->op);
		o = &op_table[n->op];
		if (n->nin < o->min_in || (o->max_in >= 0 && n->nin > o->max_in)) {
			if (o->max_in < 0)
				return arena_printf(A, "%s: %d inputs, expected at least %d",
						    node_desc(A, n), n->nin, o->min_in);
			return arena_printf(A, "%s: %d inputs, expected %d to %d",
					    node_desc(A, n), n->nin, o->min_in, o->max_in);
		}
		if (n->nin > 0 && !n->in)
			return arena_printf(A, "%s: input array missing", node_desc(A, n));
		for (int j = 0; j < n->nin; j++) {
			const struct node *p = n->in[j];
			if (!p)
				return arena_printf(A, "%s: input %d is missing", node_desc(A, n), j);
			if (p->id >= i)
				return arena_printf(A, "%s: input %d is %%%d, not before it "
						    "(nodes are not in topological order)",
						    node_desc(A, n), j, p->id);
			if (!in_graph(g, p))
				return arena_printf(A, "%s: input %d (%%%d) is not a node of "
						    "the graph", node_desc(A, n), j, p->id);
		}
		if (o->nattrs > 0 && !n->attr)
			return arena_printf(A, "%s: argument array missing", node_desc(A, n));
		if ((m = check_shape(A, n, "output shape", &n->shape, 1)))
			return m;
		if (n->nparams < 0 || n->nparams > OP_MAX_PARAMS)
			return arena_printf(A, "%s: %d parameter tensors (at most %d)",
					    node_desc(A, n), n->nparams, OP_MAX_PARAMS);
		for (int j = 0; j < n->nparams; j++) {
			const struct param_desc *p = &n->params[j];
			const char *what = arena_printf(A, "parameter '%s'", p->name ? p->name : "?");
			if ((m = check_shape(A, n, what, &p->shape, 0)))
				return m;
		}
		if (n->macs < 0)
			return arena_printf(A, "%s: negative MAC count %" PRId64,
					    node_desc(A, n), n->macs);
	}
	for (int i = 0; i < g->ninputs; i++) {
		const struct node *n = g->inputs[i];
		if (!in_graph(g, n))
			return arena_printf(A, "input %d is not a node of the graph", i);
		if (n->op != OP_INPUT)
			return arena_printf(A, "input %d is %s, not an input node",
					    i, node_desc(A, n));
	}
	if (g->noutputs < 1)
		return arena_printf(A, "graph '%s' has no outputs", g->name ? g->name : "");
	for (int i = 0; i < g->noutputs; i++)
		if (!in_graph(g, g->outputs[i]))
			return arena_printf(A, "output %d is not a node of the graph", i);
	return NULL;
}

/* ---------------------------------------------------------------------
 * Text dump
 * ------------------------------------------------------------------- */

static void dump_ints(FILE *out, const struct attr *a, bool list)
{
	int n = a->n < 0 ? 0 : a->n > SHAPE_MAX_RANK ? SHAPE_MAX_RANK : a->n;
	if (n == 1 && !list) {
		fprintf(out, "%" PRId64, a->v[0]);
		return;
	}
	fputc('[', out);
	for (int i = 0; i < n; i++)
		fprintf(out, "%s%" PRId64, i ? "," : "", a->v[i]);
	fputc(']', out);
}

/* A number that reads back as one: "0.5", "1e-05", "1.0" (not "1"). */
static void dump_float(FILE *out, double f)
{
	char b[64];
	snprintf(b, sizeof b, "%.9g", f);
	if (isfinite(f) && !strpbrk(b, ".e"))
		strcat(b, ".0");
	fputs(b, out);
}

static void dump_sym(FILE *out, const char *syms, int k)
{
	char b[64];
	sym_name(syms, k, b, sizeof b);
	fputs(b[0] ? b : "?", out);
}

static void dump_attr(FILE *out, const struct attr_spec *s, const struct attr *a)
{
	switch (s->type) {
	case AT_INT:
		fprintf(out, "%" PRId64, a->i);
		break;
	case AT_FLOAT:
		dump_float(out, a->f);
		break;
	case AT_BOOL:
		fputs(a->i ? "true" : "false", out);
		break;
	case AT_INTS:
		dump_ints(out, a, false);
		break;
	case AT_SHAPE:
		dump_ints(out, a, true);
		break;
	case AT_PAD:
		if (a->sym >= 0)
			dump_sym(out, s->syms ? s->syms : "same|valid", a->sym);
		else
			dump_ints(out, a, false);
		break;
	case AT_SYM:
		dump_sym(out, s->syms, a->sym);
		break;
	case AT_INIT:
		if (a->sym >= 0)
			dump_sym(out, s->syms ? s->syms : INIT_SYMS, a->sym);
		else
			dump_float(out, a->f);
		break;
	}
}

void graph_dump(FILE *out, const struct graph *g)
{
	char b[160];

	for (int i = 0; i < g->n; i++) {
		const struct node *n = g->nodes[i];
		const struct op_info *o;
		if ((unsigned)n->op >= OP_COUNT) {
			fprintf(out, "%%%d = ?%d\n", n->id, (int)n->op);
			continue;
		}
		o = &op_table[n->op];
		fprintf(out, "%%%d = %s(", n->id, o->name);
		for (int j = 0; j < n->nin; j++)
			fprintf(out, "%s%%%d", j ? ", " : "", n->in[j] ? n->in[j]->id : -1);
		fputc(')', out);
		for (int j = 0; j < o->nattrs && n->attr; j++) {
			if (!n->attr[j].set)
				continue;
			fprintf(out, " %s=", o->attrs[j].name);
			dump_attr(out, &o->attrs[j], &n->attr[j]);
		}
		if (n->frozen)
			fputs(" frozen", out);
		fprintf(out, " : %s", shape_str(&n->shape, b, sizeof b));
		if (n->loc.file >= 0 && n->loc.line > 0)
			fprintf(out, "  # %d:%d", n->loc.line, n->loc.col);
		fputc('\n', out);
	}
	fputs("outputs:", out);
	for (int i = 0; i < g->noutputs; i++)
		fprintf(out, "%s %%%d", i ? "," : "", g->outputs[i] ? g->outputs[i]->id : -1);
	fputc('\n', out);
}

void graph_prune(struct graph *g)
{
	if (g->n == 0)
		return;
	bool *live = arena_array(g->A, (size_t)g->n, sizeof *live);
	for (int i = 0; i < g->noutputs; i++)
		live[g->outputs[i]->id] = true;
	/* Nodes are in topological order: one backward sweep marks every node
	 * an output depends on. */
	for (int i = g->n - 1; i >= 0; i--) {
		struct node *n = g->nodes[i];
		if (n->op == OP_INPUT)
			live[i] = true;
		if (!live[i])
			continue;
		for (int k = 0; k < n->nin; k++)
			live[n->in[k]->id] = true;
	}
	int k = 0;
	for (int i = 0; i < g->n; i++)
		if (live[i]) {
			g->nodes[k] = g->nodes[i];
			g->nodes[k]->id = k;
			k++;
		}
	g->n = k;
}
