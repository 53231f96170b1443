/* loss.c - the loss of a training program: its input, targets and steps.
 *
 * The loss kernels take logits.  A network that ends in the loss's own
 * nonlinearity is fused: cross-entropy and Dice apply softmax over the
 * classes, binary cross-entropy applies sigmoid, so a final softmax
 * (over the classes) or sigmoid is left out of the loss and its input
 * becomes the logits.  The network output is still computed (it is what
 * `forward` returns), but no gradient flows through it.  This is the
 * numerically stable form (log-sum-exp, log1p) of the same loss.
 *
 * Targets (TARGET region, one buffer, batch first):
 *   cross_entropy, weighted_cross_entropy, dice
 *               class indices, int32: [N] for an output [C], [N, H, W]
 *               (the output's spatial shape) for a per-pixel output [C, H, W]
 *   binary_cross_entropy
 *               multi-hot floats in [0, 1], the output's shape [N, C]
 *   mse         floats, the output's shape */
#include "autodiff.h"

#include <inttypes.h>
#include <string.h>

/* Product of the dimensions of s from `from` on. */
static int64_t numel_from(const struct shape *s, int from)
{
	int64_t n = 1;
	for (int i = from; i < s->rank; i++)
		n *= s->d[i];
	return n;
}

/* Which nonlinearity the loss contains, and whether node n is it. */
static bool fuses(const struct tprog *P, const struct node *n)
{
	switch (P->cfg.loss) {
	case TL_XENT:
	case TL_WXENT:
	case TL_DICE:
		return n->op == OP_SOFTMAX;
	case TL_BCE:
		return n->op == OP_SIGMOID;
	case TL_MSE:
		return false;
	}
	return false;
}

/* The targets' shape (without the batch) and type. */
static void target_of(const struct tprog *P, struct shape *s, enum tp_dtype *t)
{
	const struct shape *ls = &P->logits->shape;
	if (P->cfg.loss == TL_BCE || P->cfg.loss == TL_MSE) {
		*s = *ls;
		*t = TP_REAL;
		return;
	}
	s->rank = ls->rank - 1;
	for (int i = 1; i < ls->rank; i++)
		s->d[i - 1] = ls->d[i];
	*t = TP_I32;
}

/* The loss input, its fusion, the targets, class weights and the loss
 * scalar. */
bool tp_loss_setup(struct tprog *P, struct diag_ctx *D)
{
	const struct graph *g = P->net;
	const struct tp_config *c = &P->cfg;
	const struct node *out;
	struct shape ts = { 0 }, one = { 1, { 1 } };
	enum tp_dtype tt;

	P->target = P->class_weights = P->loss = -1;
	if (g->noutputs != 1) {
		diag_error(D, c->loss_loc, "netc trains networks with one output; network '%s' has %d",
			   g->name ? g->name : "?", g->noutputs);
		return false;
	}
	out = g->outputs[0];
	P->logits = out;
	if (fuses(P, out) && out->nin == 1) {
		if (out->op == OP_SOFTMAX && tp_axis_index(tp_attr(out, "axis")->i, &out->shape) != 0) {
			diag_error(D, c->loss_loc, "loss %s applies softmax over the classes (dimension 1), "
				   "but network '%s' ends in a softmax over dimension %" PRId64,
				   c->loss_name, g->name ? g->name : "?",
				   (int64_t)tp_axis_index(tp_attr(out, "axis")->i, &out->shape) + 1);
			diag_note(D, out->loc, "the softmax is here");
			return false;
		}
		P->fused = out;
		P->logits = out->in[0];
	}
	if ((c->loss != TL_BCE && c->loss != TL_MSE && P->logits->shape.rank < 1) ||
	    (c->loss == TL_DICE && P->logits->shape.rank < 2)) {
		diag_error(D, c->loss_loc, "loss %s needs an output [classes%s], network '%s' outputs rank %d",
			   c->loss_name, c->loss == TL_DICE ? ", H, W" : ", ...", g->name ? g->name : "?",
			   P->logits->shape.rank);
		return false;
	}
	target_of(P, &ts, &tt);
	P->target = tp_buf(P, TP_TARGET, tt, TB_TARGET, "target", NULL, true, &ts);
	P->bufs[P->target].offset = 0;
	P->size[TP_TARGET] = P->bufs[P->target].numel;
	if (c->loss == TL_WXENT) {
		struct shape ws = { 1, { P->logits->shape.d[0] } };
		if (!c->weights_auto && c->nweights != ws.d[0]) {
			diag_error(D, c->weights_loc, "weighted_cross_entropy: %d weights for the %" PRId64
				   " classes of network '%s': give one per class", c->nweights, ws.d[0],
				   g->name ? g->name : "?");
			return false;
		}
		P->class_weights = tp_buf(P, TP_CONST, TP_REAL, TB_CONST, "class_weights", NULL, false,
					  &ws);
		P->bufs[P->class_weights].offset = 0;
		P->size[TP_CONST] = ws.d[0];
	}
	P->loss = tp_buf(P, TP_ACT, TP_REAL, TB_LOSS, "loss", NULL, false, &one);
	return true;
}

/* The loss kernels' arguments over the logits. */
static union tp_args loss_args(const struct tprog *P)
{
	const struct shape *s = &P->logits->shape;
	union tp_args a;

	memset(&a, 0, sizeof a);
	switch (P->cfg.loss) {
	case TL_XENT:
	case TL_WXENT:
		a.xent.n = P->batch;
		a.xent.c = s->d[0];
		a.xent.s = numel_from(s, 1);
		a.xent.smoothing = P->cfg.loss == TL_XENT ? P->cfg.label_smoothing : 0;
		break;
	case TL_DICE:
		a.dice.n = P->batch;
		a.dice.c = s->d[0];
		a.dice.s = numel_from(s, 1);
		a.dice.smooth = P->cfg.dice_smooth;
		break;
	case TL_BCE:
	case TL_MSE:
		a = tp_count_args(P->batch * numel_from(s, 0), 0);
		break;
	}
	return a;
}

/* The forward (grad = false: the loss) or backward (the logits'
 * gradient) step of the loss. */
static void loss_step(struct ad_ctx *C, bool grad)
{
	struct tprog *P = C->P;
	union tp_args a = loss_args(P);
	int x = P->nodes[P->logits->id].value;
	int y = grad ? P->nodes[P->logits->id].grad : P->loss;
	const struct node *n = P->logits;

	switch (P->cfg.loss) {
	case TL_XENT:
	case TL_WXENT:
		ad_emit(C, grad ? TS_XENT_BWD : TS_XENT_FWD, n, &a, 4, x, P->target, P->class_weights, y);
		break;
	case TL_DICE:
		ad_emit(C, grad ? TS_DICE_BWD : TS_DICE_FWD, n, &a, 3, x, P->target, y);
		break;
	case TL_BCE:
		ad_emit(C, grad ? TS_BCE_BWD : TS_BCE_FWD, n, &a, 3, x, P->target, y);
		break;
	case TL_MSE:
		ad_emit(C, grad ? TS_MSE_BWD : TS_MSE_FWD, n, &a, 3, x, P->target, y);
		break;
	}
}

/* The loss step (phase TP_LOSS). */
void tp_emit_loss(struct ad_ctx *C)
{
	enum tp_phase ph = C->phase;
	C->phase = TP_LOSS;
	loss_step(C, false);
	C->phase = ph;
}

/* The loss gradient step (phase TP_BWD). */
void tp_emit_loss_grad(struct ad_ctx *C)
{
	loss_step(C, true);
}
