/* value.h - compile-time values of the evaluator in sema.c.  A `.net`
 * program is evaluated at compile time: numbers, strings, symbols and lists
 * are ordinary values; a tensor value is a node of the graph being built;
 * a layer value is something that can be applied to tensors; a record is
 * a call in a data/train section (csv(...), adam(lr = 1e-3)) kept for the
 * schema checker. */
#ifndef NETC_VALUE_H
#define NETC_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "graph.h"

enum vkind {
	V_ERROR,    /* an error was already reported: propagate silently */
	V_INT, V_FLOAT, V_BOOL, V_STR,
	V_SYM,      /* an identifier that names nothing: an enum value; s = name */
	V_LIST,     /* items; pipeline = written with => (data/train sections) */
	V_TENSOR,   /* node */
	V_LAYER,    /* layer */
	V_RECORD,   /* s = constructor name; args */
};

struct value;

/* An argument of a call as written: name is NULL for a positional one. */
struct varg {
	const char *name;
	struct loc name_loc;
	struct value *v;
};

enum layer_kind {
	L_OP,       /* a built-in op with its arguments */
	L_DECL,     /* a block or network with its parameters */
	L_CHAIN,    /* stages applied in turn */
	L_REPEAT,   /* count copies of stages[0] */
};

struct layer {
	enum layer_kind kind;
	enum op op;                 /* L_OP */
	const struct ast *decl;     /* L_DECL: AST_BLOCK or AST_NETWORK */
	struct module *mod;         /* L_DECL: the module that defines it */
	struct varg *args;          /* arguments that are not tensor inputs */
	int nargs;
	struct value **inputs;      /* tensors given with the call (add(y) in a chain) */
	int ninputs;
	struct layer **stages;      /* L_CHAIN, L_REPEAT */
	int nstages;
	int64_t count;              /* L_REPEAT */
	const char *name;           /* what to call it in messages */
};

struct value {
	enum vkind kind;
	struct loc loc;             /* where the value was written */
	int64_t i;                  /* V_INT, V_BOOL */
	double f;                   /* V_FLOAT */
	const char *s;              /* V_STR, V_SYM, V_RECORD */
	struct value **items;       /* V_LIST */
	int n;
	bool pipeline;              /* V_LIST made by => */
	struct node *node;          /* V_TENSOR */
	struct layer *layer;        /* V_LAYER */
	struct varg *args;          /* V_RECORD */
	int nargs;
};

/* Constructors; all allocate in A. */
struct value *val_new(struct arena *A, enum vkind k, struct loc at);
struct value *val_int(struct arena *A, int64_t i, struct loc at);
struct value *val_float(struct arena *A, double f, struct loc at);
struct value *val_error(struct arena *A, struct loc at);

/* "integer", "list", "tensor [64,56,56]", ... for messages. */
const char *val_describe(struct arena *A, const struct value *v);
/* The value as a number (int or float); false if it is neither. */
bool val_number(const struct value *v, double *out);
/* Print a value in source syntax (for dumps and tests). */
void val_print(FILE *out, const struct value *v);

/* Closest of `n` candidate names to `name` by edit distance (at most a
 * third of the length away), or NULL.  For "did you mean" notes. */
const char *suggest(const char *name, const char *const *cands, int n);

/* A string-keyed hash map (open addressing) for environments and decls. */
struct strmap {
	const char **keys;
	void **vals;
	int cap, n;
};
void *strmap_get(const struct strmap *m, const char *key);
void strmap_put(struct arena *A, struct strmap *m, const char *key, void *val);

#endif
