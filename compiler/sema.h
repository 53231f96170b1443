/* sema.h - semantic analysis: load a file and its imports, evaluate the
 * compile-time language, instantiate blocks and networks into graph IR
 * with inferred shapes, and check data and train sections. */
#ifndef NETC_SEMA_H
#define NETC_SEMA_H

#include <stdbool.h>

#include "arena.h"
#include "diag.h"
#include "graph.h"
#include "module.h"
#include "schema.h"

enum { SEMA_EVAL_DEPTH_MAX = 1000, SEMA_INST_DEPTH_MAX = 100, SEMA_REPEAT_MAX = 100000 };

struct inst_frame;
struct scope;

struct sema {
	struct arena *A;
	struct diag_ctx *D;
	struct loader L;
	struct module *main;        /* the file named on the command line */
	int64_t world;              /* number of ranks (netc build --world N; default 1) */
	bool world_used;            /* the program read `world` */
	/* evaluation state */
	int depth;                  /* eval recursion */
	bool depth_reported;        /* the depth limit was reported on the way down */
	struct inst_frame *frames;  /* block/network instantiations in progress */
	int nframes, capframes;
	struct graph *g;            /* graph being built */
	struct scope *scope;        /* naming scope of the current instantiation */
	struct strmap names;        /* node names used in g */
	struct strmap data;         /* data section name -> struct data_info * */
	struct strmap graphs;       /* network name -> struct graph * (defaults) */
};

/* Set up; dirs: -I folders in order.  NETC_PATH and the stdlib come after. */
void sema_init(struct sema *S, struct arena *A, struct diag_ctx *D,
	       const char *const *dirs, int ndirs, const char *stdlib_dir);
/* Load FILE and its imports.  False if it could not be read. */
bool sema_load(struct sema *S, const char *path);
/* The same for text in memory, named `path` in messages. */
bool sema_load_text(struct sema *S, const char *path, const char *text, size_t len);
/* Check every network (with its defaults), data and train section of the
 * main file.  Errors go to S->D. */
void sema_check(struct sema *S);
/* The graph for `netc summary/graph FILE [NAME]`: NAME a network or a train
 * section (its network); without NAME the first train section's network,
 * else the last network of the file.  NULL after reporting an error. */
struct graph *sema_select(struct sema *S, const char *name);
/* A checked train section: what `netc build` compiles. */
struct train_info {
	const struct ast *decl;     /* AST_TRAIN */
	struct section *sec;        /* its evaluated fields (loss, optimizer, ... as values) */
	struct graph *net;          /* the network it trains */
	struct data_info *data;     /* the data section it names (NULL if none) */
	int64_t world;              /* the ranks it was evaluated for */
	bool world_used;            /* its files read `world`: it is right for that many only */
};
/* Train section `name` (NULL: the first of the main file), checked.  NULL
 * after reporting errors. */
struct train_info *sema_train(struct sema *S, const char *name);
/* Instantiate network `name` with its defaults into a new graph. */
struct graph *sema_network(struct sema *S, const struct ast *decl, struct module *mod,
			   const struct varg *args, int nargs, struct loc at);

#endif
