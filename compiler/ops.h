/* ops.h - the op table.  Every layer the language knows is one row of
 * ops.def; the enum, the name lookup, attribute schemas, shape functions,
 * parameter shapes and cost functions are all reached through it.  Passes
 * and backends ask the table (op_table[op].flags & OPF_ELEMENTWISE) rather
 * than switching on op names.
 *
 * To add an op: one row in ops.def, its attr_spec array and its shape /
 * params / macs functions in ops.c, a line in docs/language.md. */
#ifndef NETC_OPS_H
#define NETC_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "shape.h"

enum op {
#define OP(id, name, min_in, max_in, attrs, flags, shape, params, macs, grad, doc) OP_##id,
#include "ops.def"
#undef OP
	OP_COUNT
};

enum op_flags {
	OPF_ELEMENTWISE = 1 << 0,  /* output[i] depends on input[i] only */
	OPF_ACTIVATION  = 1 << 1,  /* a pointwise nonlinearity (fusable after conv/dense) */
	OPF_PARAMS      = 1 << 2,  /* has parameter tensors */
	OPF_SPATIAL     = 1 << 3,  /* needs [C, spatial...] input (conv, pooling, upsample) */
	OPF_INTERNAL    = 1 << 4,  /* not callable from the language (input) */
	OPF_TRAIN_ONLY  = 1 << 5,  /* behaves as identity in inference (dropout) */
	OPF_STATE       = 1 << 6,  /* keeps non-trainable state (batchnorm statistics) */
};

/* Types of layer arguments.  The same schema drives data/train sections. */
enum attr_type {
	AT_INT,     /* an integer */
	AT_FLOAT,   /* a number (integers convert) */
	AT_BOOL,    /* true / false */
	AT_INTS,    /* an integer, or a list of integers: one per spatial dimension */
	AT_PAD,     /* like AT_INTS, or one of the symbols `same`, `valid` */
	AT_SYM,     /* one of the symbols in spec->syms ("nearest|bilinear") */
	AT_SHAPE,   /* a list of integers; -1 (infer) allowed once (reshape) */
	AT_INIT,    /* an initialiser symbol from INIT_SYMS, or a number (constant) */
};

#define INIT_SYMS "zeros|ones|normal|uniform|glorot_uniform|glorot_normal|he_uniform|he_normal"

struct attr_spec {
	const char *name;
	enum attr_type type;
	const char *def;    /* default as source text ("1", "0.5", "true", "same");
			     * NULL: required; "": optional, left unset */
	const char *syms;   /* AT_SYM / AT_INIT: allowed symbols separated by '|' */
	const char *doc;    /* one line for --help and docs */
};

/* An argument value after sema has checked it against its attr_spec. */
struct attr {
	bool set;           /* false: optional and not given */
	int sym;            /* AT_SYM, AT_PAD, AT_INIT: index into syms, or -1 */
	int64_t i;          /* AT_INT, AT_BOOL (0/1) */
	double f;           /* AT_FLOAT; AT_INIT constant when sym < 0 */
	int n;              /* AT_INTS, AT_PAD, AT_SHAPE: number of values given */
	int64_t v[SHAPE_MAX_RANK];
	struct loc loc;     /* where the argument was written (or the call) */
};

/* What a shape function sees: the op, its input shapes and arguments. */
struct op_call {
	enum op op;
	int nin;
	const struct shape *in;   /* nin shapes */
	const struct attr *attr;  /* op_table[op].nattrs values, in schema order */
};

/* Where a shape function puts its complaint.  The caller prefixes the op
 * name and location: "conv: kernel 5 is larger than the padded input 3 in
 * dimension 2". */
struct op_err {
	char msg[512];
	int attr;    /* index of the argument to point at, or -1 */
	int input;   /* index of the input to blame, or -1 */
};

enum { OP_MAX_PARAMS = 4 };

struct param_desc {
	const char *name;     /* "weight", "bias", "gamma", "running_mean", ... */
	struct shape shape;
	bool trainable;       /* false: state (running statistics) */
	int init_attr;        /* attribute index giving the initialiser, or -1 */
};

/* A gradient rule (the grad column of ops.def, defined in
 * compiler/train/grad.c): emits the backward steps of node n into the
 * training program being built, given the buffers of its inputs, output,
 * output gradient and parameters in *io (compiler/train/autodiff.h). */
struct ad_ctx;
struct ad_io;
struct node;
typedef void op_grad_fn(struct ad_ctx *C, const struct node *n, const struct ad_io *io);

struct op_info {
	const char *name;
	int min_in, max_in;            /* number of tensor inputs; max_in < 0: any */
	const struct attr_spec *attrs;
	int nattrs;
	unsigned flags;
	/* Output shape, or false with e->msg filled. */
	bool (*shape)(const struct op_call *c, struct shape *out, struct op_err *e);
	/* Parameter and state tensors (at most OP_MAX_PARAMS); returns count. */
	int (*params)(const struct op_call *c, const struct shape *out, struct param_desc *p);
	/* Multiply-accumulates per sample in the forward pass (conv, dense); 0 for others. */
	int64_t (*macs)(const struct op_call *c, const struct shape *out);
	/* Gradient rule: the backward steps of one node (autodiff). */
	op_grad_fn *grad;
	const char *doc;
};

extern const struct op_info op_table[OP_COUNT];

/* The op called `name` (callable ones only), or NULL. */
const struct op_info *op_lookup(const char *name, enum op *id);
/* Index of argument `name` in the op's schema, or -1. */
int op_attr_index(const struct op_info *o, const char *name);
/* Symbol `s` in a '|'-separated list: its index or -1. */
int sym_index(const char *syms, const char *s);
/* The k-th symbol of a '|'-separated list, copied into buf. */
const char *sym_name(const char *syms, int k, char *buf, size_t n);
/* Expand an AT_INTS/AT_PAD attribute to k values (a single value is
 * repeated).  False when it holds neither 1 nor k values. */
bool attr_expand(const struct attr *a, int k, int64_t out[]);
/* Fill *a with the default of spec (text as in attr_spec.def).  False if
 * the spec has no default (required). */
bool attr_default(const struct attr_spec *s, struct attr *a);

#endif
