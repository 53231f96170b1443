/* eval.h - what the evaluator's files share (not a public interface):
 * environments, instantiation frames and naming scopes, and the functions
 * eval.c (expressions), inst.c (ops, blocks, networks) and sema.c (the top
 * level: networks, data and train sections) call in one another. */
#ifndef NETC_EVAL_H
#define NETC_EVAL_H

#include "sema.h"

enum { MAX_INPUTS = 1024 };  /* tensors one layer call may take */

struct binding {
	struct value *v;
	struct loc loc;
};

struct env {
	struct env *parent;
	struct strmap vars;         /* name -> struct binding */
	struct module *mod;         /* declarations visible here */
	bool section;               /* data/train section: unknown calls are records */
};

/* One block or network being instantiated (recursion check, notes). */
struct inst_frame {
	const struct ast *decl;
	struct loc call;
};

/* Naming scope: counters that make "conv_3" and "residual_2". */
struct scope {
	struct scope *parent;
	struct inst *inst;          /* NULL at the top of a graph */
	struct strmap counts;       /* base name -> int (stored as intptr_t) */
	bool frozen;
};

/* A scope whose lookups fall back to parent, then to mod's declarations. */
struct env *sema_env_new(struct sema *S, struct env *parent, struct module *mod, bool section);
/* Bind name in E; a second binding in the same scope is an error. */
void sema_env_bind(struct sema *S, struct env *E, const char *name, struct value *v, struct loc at);
/* Notes "in block 'x' used here" for the instantiations we are inside. */
void sema_inst_notes(struct sema *S);
/* Report an unknown layer name, with a suggestion or where it is defined. */
void sema_unknown_layer(struct sema *S, struct env *E, const char *name, struct loc at);
/* A value holding layer L. */
struct value *sema_layer_value(struct sema *S, struct layer *L, struct loc at);
/* A new layer of kind k named name (for messages). */
struct layer *sema_layer_new(struct sema *S, enum layer_kind k, const char *name);
/* "integer 3", "tensor [64,56,56]", ... for messages. */
const char *sema_describe(struct sema *S, const struct value *v);
/* The next number for base in scope sc: conv_1, conv_2, ... */
int sema_scope_next(struct sema *S, struct scope *sc, const char *base);
/* base made unique in the graph under the current instance's path. */
const char *sema_unique_name(struct sema *S, const char *base);
/* A tensor, or a non-empty list of tensors. */
bool sema_is_tensorish(const struct value *v);
/* A call; as a chain stage, tensors given in it wait for the flowing one. */
struct value *sema_eval_call(struct sema *S, struct env *E, const struct ast *n, bool stage);
/* Run a body's statements; its value is the return or the last expression. */
struct value *sema_run_body(struct sema *S, struct env *E, const struct ast *body,
			      const char *cut, bool *cut_found, struct value **inputs, int ninputs,
			      int *next_input, bool is_network);
/* Evaluate an expression (depth-limited). */
struct value *sema_eval(struct sema *S, struct env *E, const struct ast *n);
/* Match call arguments to an op's schema; `trainable = false` sets *frozen. */
bool sema_bind_attrs(struct sema *S, enum op op, const struct varg *args, int nargs,
		       struct attr *out, bool *frozen, struct loc at);
/* Number of tensors in values that may be lists (flattened one level). */
int sema_count_flat(struct value **in, int nin);
/* Apply an op to inputs: check, infer the shape, add the node. */
struct value *sema_apply_op(struct sema *S, enum op op, struct value **in, int nin,
			      const struct varg *args, int nargs, struct loc at);
/* Instantiate a block or network on inputs (none: a network makes its own). */
struct value *sema_instantiate(struct sema *S, const struct ast *decl, struct module *mod,
				 const struct varg *args, int nargs, struct value **in, int nin,
				 struct loc at);

#endif
