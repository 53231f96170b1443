/* autodiff.c - reverse-mode differentiation of the network graph into the
 * backward part of train_step.
 *
 * A node needs a gradient when the loss depends on a trainable parameter
 * through it: it has trainable parameters (not frozen) or one of its
 * inputs needs one, and it lies on a path to the loss's input (the
 * logits).  Only such nodes get a gradient buffer and a backward step, so
 * a frozen prefix of the network, the network input and a fused final
 * softmax get none.
 *
 * The nodes are visited in reverse topological order, so every consumer
 * of a tensor has written its share of the tensor's gradient before the
 * tensor's own rule reads it.  The first share is written straight into
 * the gradient buffer; every further share (a tensor used twice, also by
 * the same node: add(x, x)) goes to a scratch buffer and is added by an
 * acc step. */
#include "autodiff.h"

#include <string.h>

/* Has node n a trainable (not frozen) parameter? */
static bool has_trainable(const struct tprog *P, const struct node *n)
{
	for (int k = 0; k < OP_MAX_PARAMS; k++)
		if (P->nodes[n->id].dparam[k] >= 0)
			return true;
	return false;
}

/* Mark the nodes that need gradients (see the top of the file) and give
 * them buffers. */
void ad_plan(struct tprog *P)
{
	const struct graph *g = P->net;
	bool *needs = arena_array(P->A, (size_t)(g->n > 0 ? g->n : 1), sizeof *needs);
	bool *reach = arena_array(P->A, (size_t)(g->n > 0 ? g->n : 1), sizeof *reach);

	for (int i = 0; i < g->n; i++) {
		const struct node *n = g->nodes[i];
		needs[i] = has_trainable(P, n);
		for (int j = 0; j < n->nin && !needs[i]; j++)
			needs[i] = needs[n->in[j]->id];
	}
	if (P->logits)
		reach[P->logits->id] = true;
	for (int i = g->n - 1; i >= 0; i--) {
		const struct node *n = g->nodes[i];
		if (!reach[i])
			continue;
		for (int j = 0; j < n->nin; j++)
			reach[n->in[j]->id] = true;
	}
	for (int i = 0; i < g->n; i++) {
		struct tp_node *tn = &P->nodes[i];
		tn->needs_grad = needs[i] && reach[i];
		if (tn->needs_grad)
			tn->grad = tp_buf_like(P, tn->value, TB_GRAD,
					       arena_printf(P->A, "grad.%s", P->bufs[tn->value].name));
	}
}

/* Zero the gradients of trainable parameters no backward step writes (a
 * layer whose output does not reach the loss), so the update sees 0. */
static void zero_unreached(struct ad_ctx *C)
{
	struct tprog *P = C->P;
	for (int i = 0; i < P->nparams; i++) {
		const struct tp_param *p = &P->params[i];
		union tp_args a;
		if (!p->trainable || P->nodes[p->node->id].needs_grad)
			continue;
		a = tp_count_args(p->numel, 0);
		ad_emit(C, TS_ZERO, p->node, &a, 1, p->grad);
	}
}

/* The backward steps of node n, then the acc steps of its extra shares. */
static void backward_node(struct ad_ctx *C, const struct node *n, bool *written)
{
	struct tprog *P = C->P;
	struct tp_node *tn = &P->nodes[n->id];
	int *in = arena_array(P->A, (size_t)n->nin, sizeof *in);
	int *din = arena_array(P->A, (size_t)n->nin, sizeof *din);
	bool *extra = arena_array(P->A, (size_t)n->nin, sizeof *extra);
	struct ad_io io;

	for (int j = 0; j < n->nin; j++) {
		const struct tp_node *x = &P->nodes[n->in[j]->id];
		in[j] = x->value;
		din[j] = -1;
		if (!x->needs_grad)
			continue;
		if (!written[n->in[j]->id]) {
			din[j] = x->grad;
			written[n->in[j]->id] = true;
		} else {
			din[j] = tp_buf_like(P, x->grad, TB_SCRATCH, P->bufs[x->grad].name);
			extra[j] = true;
		}
	}
	memset(&io, 0, sizeof io);
	io.nin = n->nin;
	io.in = in;
	io.out = tn->value;
	io.dout = tn->grad;
	io.din = din;
	io.param = tn->param;
	io.dparam = tn->dparam;
	io.saved = tn->saved;
	io.infer = tn->infer;
	op_table[n->op].grad(C, n, &io);
	tn->backward = true;
	for (int j = 0; j < n->nin; j++) {
		union tp_args a;
		if (!extra[j])
			continue;
		a = tp_count_args(tp_numel(P, din[j]), 0);
		ad_emit(C, TS_ACC, n, &a, 2, din[j], P->nodes[n->in[j]->id].grad);
	}
}

/* The loss gradient, then every marked node from the logits back to the
 * input. */
void ad_backward(struct ad_ctx *C)
{
	struct tprog *P = C->P;
	const struct graph *g = P->net;
	bool *written = arena_array(P->A, (size_t)(g->n > 0 ? g->n : 1), sizeof *written);
	enum tp_phase ph = C->phase;

	C->phase = TP_BWD;
	zero_unreached(C);
	if (P->logits && P->nodes[P->logits->id].needs_grad) {
		tp_emit_loss_grad(C);
		written[P->logits->id] = true;
		for (int i = P->logits->id; i >= 0; i--)
			if (P->nodes[i].needs_grad)
				backward_node(C, g->nodes[i], written);
	}
	C->phase = ph;
}
