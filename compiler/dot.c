/* dot.c - Graphviz output of `netc graph`: one box a node labelled with
 * its op, key arguments and output shape, an edge per input, and block /
 * network instances as nested clusters.  The output depends only on the
 * graph, so it can be compared with golden files. */
#include "graph.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { SHAPE_BUF = 160, LABEL_BUF = 512, INST_DEPTH_MAX = 1024 };

/* Write s escaped for a double-quoted DOT string. */
static void put_esc(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else if ((unsigned char)*s < 0x20)
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

/* ---------------------------------------------------------------------
 * Node labels
 * ------------------------------------------------------------------- */

/* Append printf output to buf (size LABEL_BUF) at *k. */
__attribute__((format(printf, 3, 4)))
static void cat(char *buf, size_t *k, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (*k >= LABEL_BUF - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *k, LABEL_BUF - *k, fmt, ap);
	va_end(ap);
	if (n > 0)
		*k = *k + (size_t)n < LABEL_BUF ? *k + (size_t)n : LABEL_BUF - 1;
}

/* The argument `name` of n when the op has it and it is set, else NULL. */
static const struct attr *get_attr(const struct node *n, const char *name)
{
	int i = op_attr_index(&op_table[n->op], name);
	if (i < 0 || !n->attr || !n->attr[i].set)
		return NULL;
	return &n->attr[i];
}

/* An integer-list argument expanded to the node's spatial dimensions (its
 * output rank - 1), or as written when it does not expand.  Returns the
 * number of values. */
static int get_ints(const struct node *n, const struct attr *a, int64_t v[])
{
	int ns = n->shape.rank - 1;
	if (ns >= 1 && attr_expand(a, ns, v))
		return ns;
	int k = a->n < 0 ? 0 : a->n > SHAPE_MAX_RANK ? SHAPE_MAX_RANK : a->n;
	memcpy(v, a->v, (size_t)k * sizeof v[0]);
	return k;
}

/* " 3x3", " /2", " p1": prefix and the values joined by 'x'; one value when
 * `collapse` and all are equal; nothing when there are none, or when `skip`
 * is true and every value equals `skipv`. */
static void cat_ints(char *buf, size_t *k, const char *prefix, const int64_t v[], int nv,
		     bool collapse, bool skip, int64_t skipv)
{
	bool all = true, same = true;
	for (int i = 0; i < nv; i++) {
		if (v[i] != skipv)
			all = false;
		if (v[i] != v[0])
			same = false;
	}
	if (nv == 0 || (skip && all))
		return;
	if (collapse && same)
		nv = 1;
	cat(buf, k, " %s", prefix);
	for (int i = 0; i < nv; i++)
		cat(buf, k, "%s%" PRId64, i ? "x" : "", v[i]);
}

/* "conv 64 7x7 /2 p3", "dense 1000", "maxpool 3x3 /2". */
static void op_label(const struct node *n, char *buf, size_t *k)
{
	const struct op_info *o = &op_table[n->op];
	const struct attr *a;
	int64_t v[SHAPE_MAX_RANK];
	int nv;

	cat(buf, k, "%s", o->name);
	if (strstr(o->name, "conv")) {
		if ((a = get_attr(n, "filters")))
			cat(buf, k, " %" PRId64, a->i);
		if ((a = get_attr(n, "kernel")) && (nv = get_ints(n, a, v)) > 0)
			cat_ints(buf, k, "", v, nv, false, false, 0);
		if ((a = get_attr(n, "stride")) && (nv = get_ints(n, a, v)) > 0)
			cat_ints(buf, k, "/", v, nv, true, true, 1);
		if ((a = get_attr(n, "pad"))) {
			const struct attr_spec *s = &o->attrs[op_attr_index(o, "pad")];
			if (s->type == AT_PAD && a->sym >= 0) {
				char sym[32];
				sym_name(s->syms, a->sym, sym, sizeof sym);
				if (strcmp(sym, "valid") != 0)
					cat(buf, k, " %s", sym);
			} else if ((nv = get_ints(n, a, v)) > 0) {
				cat_ints(buf, k, "p", v, nv, true, true, 0);
			}
		}
		if ((a = get_attr(n, "groups")) && a->i != 1)
			cat(buf, k, " g%" PRId64, a->i);
	} else if (strcmp(o->name, "dense") == 0) {
		if ((a = get_attr(n, "units")))
			cat(buf, k, " %" PRId64, a->i);
	} else if (strstr(o->name, "pool") && op_attr_index(o, "kernel") >= 0) {
		if ((a = get_attr(n, "kernel")) && (nv = get_ints(n, a, v)) > 0)
			cat_ints(buf, k, "", v, nv, false, false, 0);
		if ((a = get_attr(n, "stride")) && (nv = get_ints(n, a, v)) > 0)
			cat_ints(buf, k, "/", v, nv, true, true, 1);
	}
}

/* Light fill colours by op family. */
static const char *op_color(const struct node *n)
{
	const struct op_info *o = &op_table[n->op];
	const char *s = o->name;
	if (n->op == OP_INPUT)
		return "#eeeeee";
	if (strstr(s, "conv"))
		return "#cfe2ff";       /* blue */
	if (strstr(s, "norm"))
		return "#d1f2d9";       /* green */
	if ((o->flags & OPF_ACTIVATION) || strcmp(s, "softmax") == 0)
		return "#fff3bf";       /* yellow */
	if (strstr(s, "pool"))
		return "#ffe0b2";       /* orange */
	if (strcmp(s, "add") == 0 || strcmp(s, "concat") == 0 || strcmp(s, "multiply") == 0)
		return "#e5d4f7";       /* purple */
	if (strcmp(s, "dense") == 0)
		return "#f8d0d0";       /* red */
	return "#ffffff";
}

static bool is_output(const struct graph *g, const struct node *n)
{
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == n)
			return true;
	return false;
}

static void emit_node(FILE *out, const struct graph *g, const struct node *n, int depth)
{
	char label[LABEL_BUF], b[SHAPE_BUF];
	size_t k = 0;

	label[0] = 0;
	if ((unsigned)n->op >= OP_COUNT) {
		for (int i = 0; i < depth; i++)
			fputc('\t', out);
		fprintf(out, "n%d [label=\"?\"];\n", n->id);
		return;
	}
	if (n->op == OP_INPUT)
		cat(label, &k, "%s", n->name ? n->name : "input");
	else
		op_label(n, label, &k);
	if (n->frozen)
		cat(label, &k, " (frozen)");
	cat(label, &k, "\n%s", shape_str(&n->shape, b, sizeof b));

	for (int i = 0; i < depth; i++)
		fputc('\t', out);
	fprintf(out, "n%d [label=\"", n->id);
	put_esc(out, label);
	fputc('"', out);
	if (n->name) {
		fputs(", tooltip=\"", out);
		put_esc(out, n->name);
		fputc('"', out);
	}
	if (n->op == OP_INPUT)
		fputs(", shape=ellipse", out);
	if (is_output(g, n))
		fputs(", penwidth=2", out);
	fprintf(out, ", fillcolor=\"%s\"];\n", op_color(n));
}

/* ---------------------------------------------------------------------
 * Clusters: the instances of the nodes' inst chains as a tree.  Each
 * cluster lists the nodes directly in it and its child clusters; both
 * are emitted in the order of their first node id.
 * ------------------------------------------------------------------- */

struct cluster {
	const struct inst *inst;
	int parent;             /* index, or -1 for the top level */
	int first;              /* smallest node id inside (descendants included) */
	int depth;
	int child, sibling;     /* first child, next sibling (ascending first) */
	int node;               /* first node directly inside; then node_next[] */
};

struct ctree {
	struct cluster *c;
	int n, cap;
	int *node_cluster;      /* per node: innermost cluster or -1 */
	int *node_next;         /* next node of the same cluster, or -1 */
	int top_child, top_node;
	int last;               /* index of the last lookup: a cache */
};

/* The instance of the network being drawn encloses everything: no cluster
 * for it. */
static bool transparent(const struct graph *g, const struct inst *in)
{
	return !in->parent && in->kind && strcmp(in->kind, "network") == 0 &&
	       in->name && g->name && strcmp(in->name, g->name) == 0;
}

/* Index of inst's cluster, adding it and its ancestors; -1 for the top
 * level; -2 when out of memory. */
static int cluster_of(struct ctree *t, const struct graph *g, const struct inst *in, int depth)
{
	if (!in || depth > INST_DEPTH_MAX || transparent(g, in))
		return -1;
	if (t->last >= 0 && t->c[t->last].inst == in)
		return t->last;
	for (int i = 0; i < t->n; i++)
		if (t->c[i].inst == in)
			return t->last = i;
	int p = cluster_of(t, g, in->parent, depth + 1);
	if (p < -1)
		return p;
	struct cluster *nc = arena_grow(g->A, t->c, &t->cap, t->n, sizeof *t->c);
	if (!nc)
		return -2;
	t->c = nc;
	t->c[t->n] = (struct cluster){ in, p, -1, p >= 0 ? t->c[p].depth + 1 : 0, -1, -1, -1 };
	return t->last = t->n++;
}

static const struct cluster *sort_base;

static int cmp_first(const void *a, const void *b)
{
	const struct cluster *x = &sort_base[*(const int *)a], *y = &sort_base[*(const int *)b];
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return 0;
}

/* Build the tree; false when out of memory (then no clusters are drawn). */
static bool build_tree(struct ctree *t, const struct graph *g)
{
	memset(t, 0, sizeof *t);
	t->last = -1;
	t->top_child = t->top_node = -1;
	if (g->n == 0)
		return true;
	t->node_cluster = arena_array(g->A, (size_t)g->n, sizeof *t->node_cluster);
	t->node_next = arena_array(g->A, (size_t)g->n, sizeof *t->node_next);
	if (!t->node_cluster || !t->node_next)
		return false;
	for (int i = 0; i < g->n; i++) {
		int k = cluster_of(t, g, g->nodes[i]->inst, 0);
		if (k < -1)
			return false;
		t->node_cluster[i] = k;
		/* The first node reaching a cluster has the smallest id. */
		for (int d = 0; k >= 0 && t->c[k].first < 0 && d <= INST_DEPTH_MAX; d++) {
			t->c[k].first = i;
			k = t->c[k].parent;
		}
	}
	/* Nodes: prepend in descending order, so each list ascends. */
	for (int i = g->n - 1; i >= 0; i--) {
		int k = t->node_cluster[i];
		int *head = k >= 0 ? &t->c[k].node : &t->top_node;
		t->node_next[i] = *head;
		*head = i;
	}
	/* Clusters: the same, over the clusters sorted by first node. */
	if (t->n > 0) {
		int *order = arena_array(g->A, (size_t)t->n, sizeof *order);
		if (!order)
			return false;
		for (int i = 0; i < t->n; i++)
			order[i] = i;
		sort_base = t->c;
		qsort(order, (size_t)t->n, sizeof *order, cmp_first);
		for (int i = t->n - 1; i >= 0; i--) {
			struct cluster *c = &t->c[order[i]];
			int *head = c->parent >= 0 ? &t->c[c->parent].child : &t->top_child;
			c->sibling = *head;
			*head = order[i];
		}
	}
	return true;
}

static void emit_items(FILE *out, const struct graph *g, const struct ctree *t,
		       int node, int child, int depth);

static void emit_cluster(FILE *out, const struct graph *g, const struct ctree *t, int k,
			 int depth)
{
	const struct cluster *c = &t->c[k];
	const struct inst *in = c->inst;

	for (int i = 0; i < depth; i++)
		fputc('\t', out);
	fprintf(out, "subgraph cluster_%d {\n", k);
	for (int i = 0; i <= depth; i++)
		fputc('\t', out);
	fputs("label=\"", out);
	put_esc(out, in->name ? in->name : in->kind ? in->kind : "block");
	if (in->path && *in->path) {
		fputs(" (", out);
		put_esc(out, in->path);
		fputc(')', out);
	}
	if (in->frozen)
		fputs(" [frozen]", out);
	fputs("\";\n", out);
	for (int i = 0; i <= depth; i++)
		fputc('\t', out);
	fputs("style=\"rounded,dashed\"; color=\"#888888\";\n", out);
	emit_items(out, g, t, c->node, c->child, depth + 1);
	for (int i = 0; i < depth; i++)
		fputc('\t', out);
	fputs("}\n", out);
}

/* Merge the node list and the child cluster list by first node id. */
static void emit_items(FILE *out, const struct graph *g, const struct ctree *t,
		       int node, int child, int depth)
{
	while (node >= 0 || child >= 0) {
		if (child < 0 || (node >= 0 && node < t->c[child].first)) {
			emit_node(out, g, g->nodes[node], depth);
			node = t->node_next[node];
		} else {
			emit_cluster(out, g, t, child, depth);
			child = t->c[child].sibling;
		}
	}
}

void graph_dot(FILE *out, const struct graph *g)
{
	struct ctree t;

	fputs("digraph \"", out);
	put_esc(out, g->name ? g->name : "network");
	fputs("\" {\n", out);
	fputs("\trankdir=TB;\n", out);
	fputs("\tnode [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n", out);
	fputs("\tedge [fontname=\"Helvetica\"];\n", out);
	if (build_tree(&t, g)) {
		emit_items(out, g, &t, t.top_node, t.top_child, 1);
	} else {
		for (int i = 0; i < g->n; i++)
			emit_node(out, g, g->nodes[i], 1);
	}
	for (int i = 0; i < g->n; i++) {
		const struct node *n = g->nodes[i];
		for (int j = 0; j < n->nin; j++)
			if (n->in[j])
				fprintf(out, "\tn%d -> n%d;\n", n->in[j]->id, n->id);
	}
	fputs("}\n", out);
}
