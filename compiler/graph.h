/* graph.h - the graph IR: a DAG of nodes over tensors with static shapes
 * (the batch dimension is left out and bound at build time).  Sema builds
 * it from the AST; passes, autodiff and backends read it.  Every node keeps
 * the source location of the layer call it came from. */
#ifndef NETC_GRAPH_H
#define NETC_GRAPH_H

#include <stdbool.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"
#include "ops.h"

/* One instantiation of a block or network: where it was called and where it
 * was defined, so errors inside it can say "in block 'residual' called
 * here".  parent = the instantiation it happened in (NULL at top). */
struct inst {
	const char *kind;       /* "block" or "network" */
	const char *name;       /* block/network name */
	const char *path;       /* scope path, "layer1/residual_2" */
	struct loc call;        /* the call site */
	struct loc def;         /* the declaration */
	struct inst *parent;
	bool frozen;            /* trainable = false applies inside */
};

struct node {
	int id;                 /* index in graph.nodes (topological order) */
	enum op op;
	int nin;
	struct node **in;       /* inputs */
	struct attr *attr;      /* op_table[op].nattrs arguments */
	struct shape shape;     /* output shape, without batch */
	int dtype;              /* AST_F32, ... */
	struct loc loc;         /* the layer call in the source */
	const char *name;       /* unique in the graph: "layer1/residual_2/conv_1" */
	const char *let_name;   /* the first `let` that bound it, for messages */
	struct inst *inst;      /* innermost block/network instance, or NULL */
	bool frozen;            /* parameters not trained (trainable = false) */
	int nparams;
	struct param_desc params[OP_MAX_PARAMS];
	int64_t macs;           /* per sample */
};

struct graph {
	struct arena *A;
	const char *name;       /* network name */
	struct loc loc;         /* network declaration */
	struct node **nodes;    /* topological order: inputs come first */
	int n, cap;
	struct node **inputs;
	int ninputs, capinputs;
	struct node **outputs;
	int noutputs, capoutputs;
};

struct graph *graph_new(struct arena *A, const char *name);
/* Append a node; its id is its position. */
struct node *graph_add(struct graph *g, enum op op, int nin, struct node **in);
void graph_add_output(struct graph *g, struct node *n);

/* Remove the nodes no output depends on (inputs stay); renumber ids. */
void graph_prune(struct graph *g);

/* Totals for `netc summary`. */
struct graph_stats {
	int64_t trainable, non_trainable;   /* parameters (state counts as non-trainable) */
	int64_t macs;                        /* forward MACs per sample */
	int64_t act_bytes;                   /* activation memory per sample (f32) */
	int nnodes;
};
void graph_stats(const struct graph *g, struct graph_stats *s);

/* Check the IR's invariants (topological order, arity, shapes present).
 * Returns NULL when fine, else a message in the graph's arena. */
const char *graph_verify(const struct graph *g);

/* Text dump, one node a line: "%3 = conv(%2) filters=64 ... : [64,112,112]". */
void graph_dump(FILE *out, const struct graph *g);
/* The Keras-style table of `netc summary`. */
void graph_summary(FILE *out, const struct graph *g);
/* Graphviz of `netc graph`: blocks as clusters. */
void graph_dot(FILE *out, const struct graph *g);

#endif
