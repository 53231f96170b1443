/* tprog.h - the training program: what `netc build` compiles a train
 * section into before any backend sees it.  It is flat and explicit:
 *
 *   - buffers: every tensor the program touches, each a (region, offset,
 *     numel, shape) in one of a few regions (the parameter, gradient,
 *     state and optimizer blobs, the activation arena, the input batch,
 *     the targets, constants);
 *   - four step lists: init, forward (inference), train_step, eval_step;
 *     a step is one reference-kernel call (steps.def) on named buffers
 *     with its arguments (shapes, hyper-parameters) precomputed, plus the
 *     graph node it came from.
 *
 * A backend lowers each list to one function; the reference interpreter
 * (tests/train/interp.c) runs them on the reference kernels.  Nothing in a
 * step needs the graph to be executed: the node is there for messages,
 * profiles and dumps.  docs/training.md describes the program for users
 * and contributors.
 *
 * Offsets count elements of the region's element type (REAL: float or
 * double, chosen when the program runs; I32: int32_t).  Shapes of batched
 * buffers include the batch as dimension 0. */
#ifndef NETC_TPROG_H
#define NETC_TPROG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"
#include "graph.h"
#include "sema.h"

enum { TP_MAX_RANK = SHAPE_MAX_RANK + 1 };   /* a shape with the batch */

/* Where a buffer lives.  Each region is one contiguous array. */
enum tp_region {
	TP_PARAM,    /* parameters: trainable first ([0, ntrain)), then frozen */
	TP_GRAD,     /* gradients of the trainable parameters: PARAM's layout over [0, ntrain) */
	TP_STATE,    /* non-trainable state: batchnorm running mean and variance */
	TP_OPT,      /* optimizer state: nopt slots of ntrain elements (momentum, Adam m, v, ...) */
	TP_ACT,      /* activation arena: values, activation gradients, scratch, the loss */
	TP_INPUT,    /* the input batch, one buffer per network input (filled by the driver) */
	TP_TARGET,   /* the targets of the batch (filled by the driver) */
	TP_CONST,    /* constants: class weights (given: filled by init; auto: by the driver) */
	TP_NREGIONS
};

enum tp_dtype {
	TP_REAL,     /* the program's float type (float32, or float64 in gradient checks) */
	TP_I32,      /* int32_t: class indices */
};

/* What a buffer holds (for dumps, tests and the memory planner). */
enum tp_bufkind {
	TB_VALUE,    /* a node's output */
	TB_GRAD,     /* the gradient of a node's output */
	TB_PARAM,    /* a parameter or state tensor (a view of PARAM or STATE) */
	TB_PGRAD,    /* the gradient of a trainable parameter (a view of GRAD) */
	TB_BLOB,     /* a whole blob (or its trainable part): optimizer operands */
	TB_SAVED,    /* saved by a forward step for the backward (batchnorm mean, 1/std) */
	TB_SCRATCH,  /* a partial gradient before accumulation, a discarded gradient, a copy */
	TB_LOSS,     /* the loss scalar */
	TB_INPUT,    /* an input batch */
	TB_TARGET,   /* the targets */
	TB_CONST,    /* class weights */
};

struct tbuf {
	int id;                      /* index in tprog.bufs */
	enum tp_region region;
	enum tp_dtype dtype;
	enum tp_bufkind kind;
	int64_t offset;              /* in elements from the region start; -1 until laid out (ACT) */
	int64_t numel;               /* elements */
	int rank;                    /* of shape */
	int64_t shape[TP_MAX_RANK];  /* with the batch first when batched */
	bool batched;                /* shape[0] is the batch */
	const char *name;            /* unique in the program: "dense_1", "grad.dense_1", "dense_1.weight" */
	const struct node *node;     /* the node it belongs to, or NULL */
};

/* One parameter or state tensor of the network: the blob tables. */
struct tp_param {
	const char *name;            /* "layer1/conv_1.weight": node name, '.', parameter name */
	const struct node *node;     /* its layer */
	int index;                   /* in node->params */
	struct shape shape;          /* without batch */
	enum tp_region region;       /* TP_PARAM or TP_STATE */
	int64_t offset;              /* in its region (and in GRAD, for trainable ones) */
	int64_t numel;
	bool trainable;              /* trainable and not frozen: has a gradient and is updated */
	int buf;                     /* the view of PARAM / STATE */
	int grad;                    /* the view of GRAD, or -1 */
	int64_t fan_in, fan_out;     /* for the initialiser (PyTorch's rule: dims 1 and 0 times the kernel) */
	const char *init;            /* initialiser as written: "he_normal", "zeros", "0.5", ... */
};

/* Arguments of steps: the member of union tp_args that steps.def names. */
enum tp_args_kind {
	TA_NONE, TA_COUNT, TA_INIT, TA_VALUES, TA_CONV, TA_DENSE, TA_BN, TA_DROPOUT,
	TA_POOL, TA_GPOOL, TA_CONCAT, TA_MERGE, TA_AXIS, TA_UPSAMPLE, TA_XENT, TA_DICE,
	TA_L2, TA_SGD, TA_ADAM, TA_ADADELTA, TA_RMSPROP, TA_EW, TA_BNFOLD,
};

enum { TP_MAX_SPATIAL = 3 };

struct tp_count {
	int64_t count;               /* elements */
	double alpha;                /* leaky_relu slope, elu alpha; 0 otherwise */
};

/* Initialisers draw from the Philox stream (seed, TP_INIT_STEP, stream):
 * u(j) = nrt_philox_uniform(seed, TP_INIT_STEP, stream, j). */
enum { TP_INIT_STEP = 0 };       /* train steps count from 1, so init never meets dropout */

struct tp_init {
	int64_t count;
	double a, b;                 /* const: value, -; uniform: lo, hi; normal: mean, std */
	uint32_t stream;             /* the parameter's index in tprog.params */
};

struct tp_values {
	int64_t count;
	const double *v;             /* count values */
};

/* An activation applied by a conv, conv_transpose or dense forward step to
 * its output after the bias (the fuse pass, compiler/passes/fuse.c):
 * y = act(conv(x, w) + b).  TP_EPI_NONE (0, what the argument builders
 * leave): no activation. */
enum tp_epi_kind { TP_EPI_NONE, TP_EPI_RELU, TP_EPI_LEAKY_RELU };
struct tp_epi {
	enum tp_epi_kind act;
	double alpha;                /* leaky_relu slope */
};

/* conv and conv_transpose, as nrt_conv_desc (ref.h). */
struct tp_conv {
	int nd;                      /* spatial dimensions */
	int64_t n, c, k, groups;     /* batch, input channels, output channels, groups */
	int64_t in[TP_MAX_SPATIAL], out[TP_MAX_SPATIAL];
	int64_t kernel[TP_MAX_SPATIAL], stride[TP_MAX_SPATIAL];
	int64_t pad_lo[TP_MAX_SPATIAL], pad_hi[TP_MAX_SPATIAL];
	int64_t dilation[TP_MAX_SPATIAL], output_pad[TP_MAX_SPATIAL];
	struct tp_epi epi;           /* forward steps: the fused activation */
};

struct tp_dense {
	int64_t n, in, out;          /* batch, input features, units */
	struct tp_epi epi;           /* forward steps: the fused activation */
};

struct tp_bn {
	int64_t n, c, s;             /* batch, channels, positions per channel */
	double eps, momentum;
};

/* The seed and the step come with each run of train_step. */
struct tp_dropout {
	int64_t count;
	double p;
	uint32_t layer;              /* the node id: one Philox stream per layer */
};

struct tp_pool {
	int nd;
	int64_t n, c;
	int64_t in[TP_MAX_SPATIAL], out[TP_MAX_SPATIAL];
	int64_t kernel[TP_MAX_SPATIAL], stride[TP_MAX_SPATIAL];
	int64_t pad[TP_MAX_SPATIAL], dilation[TP_MAX_SPATIAL];
	bool count_pad;              /* avgpool */
};

struct tp_gpool {
	int64_t nc, s;               /* batch * channels, positions */
};

struct tp_concat {
	int64_t outer, inner;        /* the tensors as [outer, len[i], inner] */
	const int64_t *len;          /* nvar lengths along the axis */
};

struct tp_merge {
	int64_t count;               /* elements of each input */
};

struct tp_axis {
	int64_t outer, len, inner;   /* softmax along the middle of [outer, len, inner] */
};

struct tp_upsample {
	int nd;
	int64_t n, c;
	int64_t in[TP_MAX_SPATIAL], scale[TP_MAX_SPATIAL];
	bool bilinear;
};

struct tp_xent {
	int64_t n, c, s;             /* batch, classes, positions per sample */
	double smoothing;
};

struct tp_dice {
	int64_t n, c, s;
	double smooth;
};

struct tp_l2 {
	double weight;
};

/* Optimizers: n elements of the blobs.  lr is the base learning rate; a
 * schedule scales it at run time. */
struct tp_sgd {
	int64_t n;
	double lr, momentum, dampening, weight_decay;
	bool nesterov;
};

struct tp_adam {
	int64_t n;
	double lr, beta1, beta2, eps, weight_decay;
};

struct tp_adadelta {
	int64_t n;
	double lr, rho, eps, weight_decay;
};

struct tp_rmsprop {
	int64_t n;
	double lr, alpha, eps, momentum, weight_decay;
};

/* A fused chain of elementwise steps (TS_EW, compiler/passes/ewchain.c):
 * ops run in order on each element; op k reads its operands (step inputs
 * or results of earlier ops) and the last op's result is the output.
 * Each op is the arithmetic of the step kind it came from, in the same
 * order, so the chain is bitwise equal to the unfused steps. */
enum { TP_EW_MAX_OPS = 16, TP_EW_MAX_IN = 6, TP_EW_MAX_ARGS = 4 };
enum tp_ew_kind {
	TP_EW_COPY,                  /* a0 */
	TP_EW_ADD,                   /* 0 + a0 + a1 + ... (add_fwd; acc is the add of (y, x)) */
	TP_EW_MUL,                   /* 1 * a0 * a1 * ... (multiply_fwd) */
	TP_EW_RELU,                  /* a0 > 0 ? a0 : 0 */
	TP_EW_RELU_BWD,              /* a0 > 0 ? a1 : 0   (x, dy) */
	TP_EW_LEAKY,                 /* a0 > 0 ? a0 : alpha a0 */
	TP_EW_LEAKY_BWD,             /* a0 > 0 ? a1 : alpha a1   (x, dy) */
};
struct tp_ew_op {
	enum tp_ew_kind op;
	int nin;                     /* operands, 1..TP_EW_MAX_ARGS */
	int in[TP_EW_MAX_ARGS];      /* >= 0: input x[in] of the step; < 0: result of op -1 - in */
	double alpha;                /* leaky slope (rounded to the element type, as the kernels) */
};
struct tp_ew {
	int64_t count;               /* elements */
	int nops;
	struct tp_ew_op ops[TP_EW_MAX_OPS];
};

/* Batchnorm folded into the conv or dense before it (TS_BN_FOLD,
 * compiler/passes/bnfold.c): w and b hold k output channels of `per`
 * weights each. */
struct tp_bnfold {
	int64_t k, per;
	double eps;
};

union tp_args {
	struct tp_count count;
	struct tp_init init;
	struct tp_values values;
	struct tp_conv conv;
	struct tp_dense dense;
	struct tp_bn bn;
	struct tp_dropout dropout;
	struct tp_pool pool;
	struct tp_gpool gpool;
	struct tp_concat concat;
	struct tp_merge merge;
	struct tp_axis axis;
	struct tp_upsample up;
	struct tp_xent xent;
	struct tp_dice dice;
	struct tp_l2 l2;
	struct tp_sgd sgd;
	struct tp_adam adam;
	struct tp_adadelta adadelta;
	struct tp_rmsprop rmsprop;
	struct tp_ew ew;
	struct tp_bnfold bnfold;
};

enum tp_step_kind {
#define STEP(id, name, kernel, args, roles, doc) TS_##id,
#include "steps.def"
#undef STEP
	TS_COUNT
};

/* The step-kind table (steps.def). */
struct tp_step_info {
	const char *name;
	const char *kernel;          /* reference kernel, "-" for none */
	enum tp_args_kind args;
	const char *roles;           /* "x w b? -> y" */
	const char *doc;
};
extern const struct tp_step_info tp_step_table[TS_COUNT];

struct tstep;

/* One role of a step kind, parsed from its roles string. */
struct tp_role {
	char name[16];               /* "x", "dw", ... */
	bool out;                    /* written (after "->") */
	bool inout;                  /* = : read and written */
	bool optional;               /* ? : may be -1 */
	bool repeated;               /* * : nvar times */
};
enum { TP_MAX_ROLES = 8 };
/* The roles of kind k into r[TP_MAX_ROLES]; returns their number. */
int tp_step_roles(enum tp_step_kind k, struct tp_role *r);
/* The number of buffers a step of kind k with nvar repetitions has. */
int tp_step_nbuf(enum tp_step_kind k, int nvar);
/* Role of buffer i of step s (index into the roles of its kind). */
int tp_step_role_at(const struct tstep *s, int i);

/* Where a step of train_step belongs; a prefix of phases is a meaningful
 * program (gradient checks run up to TP_BWD). */
enum tp_phase {
	TP_FWD,      /* the forward pass (training mode in train_step) */
	TP_LOSS,     /* the loss and the L2 term */
	TP_BWD,      /* the loss gradient, the backward pass, the L2 gradient */
	TP_UPDATE,   /* the optimizer */
	TP_STATS,    /* storing the batchnorm running statistics */
	TP_NPHASES
};

struct tstep {
	enum tp_step_kind kind;
	enum tp_phase phase;
	const struct node *node;     /* where it came from (attributes, source line); NULL: optimizer */
	int nbuf;
	int *buf;                    /* buffer ids in the order of the kind's roles; -1: absent (?) */
	int nvar;                    /* repetitions of the * roles (0 when the kind has none) */
	union tp_args a;             /* the member tp_step_table[kind].args names */
};

struct tp_list {
	const char *name;            /* "init", "forward", "train_step", "eval_step" */
	struct tstep *v;
	int n, cap;
};

enum tp_loss_kind { TL_XENT, TL_WXENT, TL_BCE, TL_DICE, TL_MSE };
enum tp_optim_kind { TO_SGD, TO_ADAM, TO_ADADELTA, TO_RMSPROP };

/* The train section's settings as the program uses them (defaults filled
 * in as compiler/schema.c documents them). */
struct tp_config {
	enum tp_loss_kind loss;
	const char *loss_name;       /* as written: "cross_entropy" */
	double label_smoothing;      /* cross_entropy */
	double dice_smooth;          /* dice */
	bool weights_auto;           /* weighted_cross_entropy(weights = auto) */
	const double *weights;       /* given class weights, nweights of them */
	int nweights;
	struct loc weights_loc;
	enum tp_optim_kind optim;
	const char *optim_name;
	double lr, momentum, dampening, weight_decay;   /* sgd (and common) */
	bool nesterov;
	double beta1, beta2, eps;    /* adam (eps also adadelta, rmsprop) */
	double rho;                  /* adadelta */
	double alpha;                /* rmsprop */
	struct tp_l2_term {
		double weight;
		const struct value *layers;  /* V_SYM all, or a list of names; NULL: all */
		struct loc loc;
	} *l2;                       /* regularize = l2(...) terms */
	int nl2;
	uint64_t seed;               /* the section's seed (default 1) */
	int64_t batch;               /* the section's batch */
	bool allreduce;              /* distribute = allreduce: gradient steps (dist.c) */
	double bucket_mb;            /* its bucket size in MiB */
	bool sync_bn;                /* allreduce and sync_batchnorm: training-mode batchnorm
				      * over the global batch (runtime/comm/bn.c) */
	struct loc loss_loc, optim_loc;
};

/* One L2 term after its layers were resolved: the weights it covers. */
struct tp_l2_views {
	double weight;
	int n;
	int *w;                      /* PARAM views of the weights */
	int *dw;                     /* their GRAD views */
};

/* Per graph node: its buffers and what autodiff decided. */
struct tp_node {
	int value;                   /* the output buffer */
	int grad;                    /* the gradient of the output, or -1 */
	int param[OP_MAX_PARAMS];    /* views of node->params, -1 past nparams */
	int dparam[OP_MAX_PARAMS];   /* their gradients (GRAD views), -1 when frozen or state */
	int saved[2];                /* batchnorm in training mode: mean, 1/std; else -1 */
	int stats[2];                /* copies of the running statistics updated by the forward */
	bool needs_grad;             /* the loss depends on a trainable parameter through it */
	bool backward;               /* a backward step was emitted for it */
	bool infer;                  /* runs in inference mode in train_step (frozen batchnorm) */
};

struct tprog {
	struct arena *A;
	const struct graph *net;
	const char *name;            /* the train section */
	struct tp_config cfg;
	const char *config;          /* the program's configuration JSON (schema_config) */
	int64_t batch;
	uint64_t seed;               /* default seed of init and dropout (the section's) */
	struct tbuf *bufs;
	int nbufs, capbufs;
	struct tp_param *params;     /* PARAM (trainable first, then frozen), then STATE */
	int nparams, capparams;
	int64_t size[TP_NREGIONS];   /* elements of each region */
	int64_t ntrain;              /* trainable elements: PARAM[0, ntrain) and GRAD */
	int nopt;                    /* optimizer slots in OPT */
	const char *opt_slot[2];     /* their names: "momentum", "m", "v", "sq_avg", ... */
	struct tp_node *nodes;       /* one per graph node, by node id */
	const struct node *logits;   /* the loss's input (before a fused softmax/sigmoid) */
	const struct node *fused;    /* the fused softmax or sigmoid, or NULL */
	/* well-known buffers (-1 when absent) */
	int loss;                    /* ACT [1] */
	int target;                  /* TARGET */
	int class_weights;           /* CONST [classes] */
	int output;                  /* the network output's value */
	int *inputs;                 /* one per network input (graph order) */
	int params_blob, grads_blob; /* PARAM[0, ntrain), GRAD[0, ntrain) */
	int opt_blob[2];             /* OPT slots */
	struct tp_l2_views *l2;      /* cfg.l2 resolved, one per term */
	int nl2;
	bool laid_out;               /* ACT offsets assigned */
	/* tprog_layout reuses ACT ranges by liveness (compiler/passes/memplan.c)
	 * when set (tprog_build's default); false (`netc build --no-opt`):
	 * every ACT buffer its own range. */
	bool memplan;
	struct strmap bufnames;      /* buffer name -> id + 1 (as a pointer) */
	struct tp_list init, forward, train_step, eval_step;
};

/* Build the training program of a checked train section: read the loss,
 * optimizer and regularisation, lay out the blobs, emit the four lists,
 * differentiate.  batch <= 0: the section's batch.  ACT offsets are not
 * assigned yet (tprog_layout).  NULL after reporting errors to D. */
struct tprog *tprog_build(struct arena *A, struct diag_ctx *D, const struct train_info *ti,
			  int64_t batch);
/* Assign the ACT arena (again, when it was laid out already): with
 * P->memplan, buffers whose live ranges are disjoint share memory and
 * offsets are aligned to 16 elements (compiler/passes/memplan.c); without,
 * every ACT buffer its own range, in order of creation. */
void tprog_layout(struct tprog *P);
/* Check the ACT layout: every buffer inside the arena, aligned when
 * planned, and no two buffers that are live at the same time (memplan.h,
 * tp_act_live) sharing an element.  NULL when fine, else a message in
 * P's arena.  Run after tprog_layout. */
const char *tprog_verify_layout(const struct tprog *P);
/* tprog_build, then tprog_layout. */
struct tprog *tprog_compile(struct arena *A, struct diag_ctx *D, const struct train_info *ti,
			    int64_t batch);

/* Check the program's invariants (roles, buffer ranges, regions written).
 * NULL when fine, else a message in P's arena. */
const char *tprog_verify(const struct tprog *P);
/* Deterministic text of the whole program (golden tests, --dump-after). */
void tprog_dump(FILE *out, const struct tprog *P);
/* One step as text, without the newline. */
void tprog_dump_step(FILE *out, const struct tprog *P, const struct tstep *s);

/* The region's name: "PARAM", "GRAD", ... */
const char *tp_region_name(enum tp_region r);
/* The buffer called name, or -1. */
int tprog_find_buf(const struct tprog *P, const char *name);
/* The parameter called name ("dense_1.weight"), or NULL. */
const struct tp_param *tprog_find_param(const struct tprog *P, const char *name);
/* Steps of list L that came from node n (in phase ph, or any phase when ph < 0). */
int tprog_count_steps(const struct tp_list *L, const struct node *n, int ph);

#endif
