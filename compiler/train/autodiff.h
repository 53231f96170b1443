/* autodiff.h - what the files that build a training program share (not a
 * public interface; tprog.h is): the builder context, the buffers a
 * gradient rule sees, and the helpers that make buffers, steps and kernel
 * arguments.
 *
 *   tprog.c     buffers, steps, lists, verify, lookups
 *   config.c    the train section's loss, optimizer, regularisation, seed
 *   layout.c    the blobs (PARAM, GRAD, STATE, OPT), node values, ACT offsets
 *   args.c      kernel arguments of a node (conv geometry, axes, ...)
 *   init.c      the init list
 *   forward.c   the forward rule of every op (training and inference mode)
 *   grad.c      the gradient rule of every op (the grad column of ops.def)
 *   autodiff.c  reverse mode: which nodes need gradients, accumulation
 *   loss.c      the loss: fusion with a final softmax/sigmoid, targets
 *   l2.c        L2 regularisation: which weights, its steps
 *   optim.c     optimizer slots and update steps
 *   build.c     tprog_build: the stages in order
 *   dump.c      tprog_dump */
#ifndef NETC_TRAIN_AUTODIFF_H
#define NETC_TRAIN_AUTODIFF_H

#include "tprog.h"

/* The builder's state while one list is emitted. */
struct ad_ctx {
	struct tprog *P;
	struct diag_ctx *D;
	struct tp_list *list;        /* where ad_emit appends */
	enum tp_phase phase;         /* the phase of the steps emitted */
	bool train;                  /* the forward being emitted is in training mode */
};

/* What a gradient rule (op_grad_fn) gets for node n: buffer ids, -1 where
 * absent.  The rule writes din[j] (when not -1) and dparam[k] (when not
 * -1) completely; autodiff.c accumulates where a tensor has several
 * uses. */
struct ad_io {
	int nin;
	const int *in;               /* values of the inputs */
	int out;                     /* value of the node */
	int dout;                    /* gradient of the node's output (complete) */
	const int *din;              /* gradient of input j to write, or -1: not needed */
	const int *param;            /* views of node->params (OP_MAX_PARAMS entries) */
	const int *dparam;           /* their gradients to write, or -1 (frozen, state) */
	const int *saved;            /* what the training forward saved (batchnorm), or -1 */
	bool infer;                  /* the node ran in inference mode (frozen batchnorm) */
};

/* ---- tprog.c ---- */

/* A new buffer; numel from the shape (times the batch when batched).
 * The offset is -1 (ACT: tprog_layout assigns it). */
int tp_buf(struct tprog *P, enum tp_region r, enum tp_dtype t, enum tp_bufkind k,
	   const char *name, const struct node *n, bool batched, const struct shape *s);
/* A new ACT buffer of the same shape as buffer `like`. */
int tp_buf_like(struct tprog *P, int like, enum tp_bufkind k, const char *name);
/* A name not used by any buffer yet: base, or base#2, base#3, ... */
const char *tp_unique_name(struct tprog *P, const char *base);
/* Append a step with nbuf buffer ids (the int varargs) to C->list. */
struct tstep *ad_emit(struct ad_ctx *C, enum tp_step_kind k, const struct node *n,
		      const union tp_args *a, int nbuf, ...);
/* The same with the ids in an array; nvar = repetitions of the * roles. */
struct tstep *ad_emitv(struct ad_ctx *C, enum tp_step_kind k, const struct node *n,
		       const union tp_args *a, int nbuf, const int *buf, int nvar);
/* Elements of buffer b. */
int64_t tp_numel(const struct tprog *P, int b);
/* union tp_args for a step over count elements. */
union tp_args tp_count_args(int64_t count, double alpha);

/* ---- args.c: kernel arguments of a node (batch P->batch) ---- */

union tp_args tp_conv_args(const struct tprog *P, const struct node *n);
union tp_args tp_conv_transpose_args(const struct tprog *P, const struct node *n);
union tp_args tp_dense_args(const struct tprog *P, const struct node *n);
union tp_args tp_bn_args(const struct tprog *P, const struct node *n);
union tp_args tp_dropout_args(const struct tprog *P, const struct node *n);
union tp_args tp_pool_args(const struct tprog *P, const struct node *n);
union tp_args tp_gpool_args(const struct tprog *P, const struct node *n);
union tp_args tp_concat_args(const struct tprog *P, const struct node *n);
union tp_args tp_softmax_args(const struct tprog *P, const struct node *n);
union tp_args tp_upsample_args(const struct tprog *P, const struct node *n);
/* Elements of the node's output over the batch, with the op's alpha
 * (leaky_relu slope, elu alpha). */
union tp_args tp_node_count_args(const struct tprog *P, const struct node *n);
/* The argument called name of node n. */
const struct attr *tp_attr(const struct node *n, const char *name);
/* Index of node n's parameter called name, or -1. */
int tp_param_index(const struct node *n, const char *name);
/* An axis argument (batch = 0, negative from the end) as an index into
 * s->d[], or -1 when out of range. */
int tp_axis_index(int64_t axis, const struct shape *s);

/* ---- config.c ---- */

/* Read the loss, optimizer, regularize, seed and batch fields. */
bool tp_read_config(struct tprog *P, struct diag_ctx *D, const struct train_info *ti);

/* ---- layout.c ---- */

/* The parameter table, its views, the blob buffers and the OPT slots. */
void tp_layout_params(struct tprog *P);
/* A value buffer per node, the input buffers. */
void tp_layout_values(struct tprog *P);

/* ---- init.c ---- */

void tp_emit_init(struct ad_ctx *C);

/* ---- forward.c ---- */

/* The forward steps of node n (C->train: training mode). */
void tp_forward_node(struct ad_ctx *C, const struct node *n);
/* True when every op but the input has a forward rule (a table check). */
bool tp_forward_complete(void);
/* After the optimizer: store the running statistics the training forward
 * of batchnorm updated. */
void tp_emit_stats(struct ad_ctx *C);

/* ---- autodiff.c ---- */

/* Decide which nodes need gradients and give them gradient buffers. */
void ad_plan(struct tprog *P);
/* The backward pass after the loss gradient was written to the logits'
 * gradient buffer: gradient rules in reverse order, accumulation. */
void ad_backward(struct ad_ctx *C);

/* ---- loss.c ---- */

/* Find the logits (fusing a final softmax/sigmoid), make the target,
 * class-weight and loss buffers.  False after an error. */
bool tp_loss_setup(struct tprog *P, struct diag_ctx *D);
/* loss = L(logits, target). */
void tp_emit_loss(struct ad_ctx *C);
/* The gradient of the loss w.r.t. the logits, into their gradient buffer. */
void tp_emit_loss_grad(struct ad_ctx *C);

/* ---- l2.c ---- */

/* Resolve each term's layers to weight views.  False after an error. */
bool tp_l2_setup(struct tprog *P, struct diag_ctx *D);
/* loss += the L2 terms. */
void tp_emit_l2(struct ad_ctx *C);
/* Their gradients, added to the GRAD views. */
void tp_emit_l2_grad(struct ad_ctx *C);

/* ---- dist.c ---- */

/* distribute = allreduce: grad_ready steps after the backward steps that
 * complete each gradient bucket, and grad_sync at the end (after the L2
 * gradient, before the update).  Nothing for distribute = local. */
void tp_emit_grad_steps(struct ad_ctx *C);

/* ---- optim.c ---- */

/* The optimizer's state slots (names into names[2]); returns the count. */
int tp_optim_slots(const struct tp_config *cfg, const char *names[2]);
/* The update of the trainable blob. */
void tp_emit_update(struct ad_ctx *C);

#endif
