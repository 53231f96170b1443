/* layout.c - where everything lives: the parameter table and the PARAM,
 * GRAD, STATE and OPT blobs (laid out before any step is emitted, so that
 * steps can name blob ranges), the value buffer of every node, and last
 * the ACT arena (tprog_layout).
 *
 * PARAM holds the trainable parameters first, in node order, then the
 * frozen ones; GRAD mirrors its trainable part, so that one optimizer
 * step, one allreduce or one checkpoint write covers a whole blob.  OPT
 * holds nopt slots of the same layout one after the other: the slot-k
 * state of parameter p is at k * ntrain + p.offset. */
#include "autodiff.h"
#include "passes/memplan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The receptive-field size of a weight: the product of its dims past 2. */
static int64_t receptive(const struct shape *s)
{
	int64_t r = 1;
	for (int i = 2; i < s->rank; i++)
		r *= s->d[i];
	return r;
}

/* PyTorch's fans: weight [d0, d1, k...] has fan_in d1 * k, fan_out d0 * k;
 * a vector (bias) takes those of its layer's weight. */
static void fans(const struct node *n, const struct param_desc *p, int64_t *in, int64_t *out)
{
	const struct param_desc *w = p;
	if (p->shape.rank < 2 && n->nparams > 0 && n->params[0].shape.rank >= 2)
		w = &n->params[0];
	if (w->shape.rank >= 2) {
		*in = w->shape.d[1] * receptive(&w->shape);
		*out = w->shape.d[0] * receptive(&w->shape);
	} else {
		*in = *out = w->shape.rank == 1 ? w->shape.d[0] : 1;
	}
}

/* The initialiser as written, or the implied one (batchnorm gamma and
 * running variance 1, everything else 0). */
static const char *init_of(struct tprog *P, const struct node *n, const struct param_desc *p)
{
	char buf[32];
	if (p->init_attr >= 0 && n->attr && n->attr[p->init_attr].set) {
		const struct attr *a = &n->attr[p->init_attr];
		if (a->sym >= 0)
			return arena_strdup(P->A, sym_name(INIT_SYMS, a->sym, buf, sizeof buf));
		for (int digits = 6; digits <= 17; digits++) {   /* the shortest text that reads back */
			snprintf(buf, sizeof buf, "%.*g", digits, a->f);
			if (strtod(buf, NULL) == a->f)
				break;
		}
		return arena_strdup(P->A, buf);
	}
	return strcmp(p->name, "gamma") == 0 || strcmp(p->name, "running_var") == 0 ? "ones" : "zeros";
}

/* Which of the three groups a parameter belongs to: 0 trainable, 1 frozen
 * (PARAM), 2 state (STATE). */
static int group_of(const struct node *n, const struct param_desc *p)
{
	if (!p->trainable)
		return 2;
	return n->frozen ? 1 : 0;
}

/* Three passes over the nodes: trainable, frozen, state. */
void tp_layout_params(struct tprog *P)
{
	const struct graph *g = P->net;
	struct shape blob = { 1, { 0 } };

	P->nodes = arena_array(P->A, (size_t)(g->n > 0 ? g->n : 1), sizeof *P->nodes);
	for (int i = 0; i < g->n; i++) {
		struct tp_node *tn = &P->nodes[i];
		tn->value = tn->grad = -1;
		for (int k = 0; k < OP_MAX_PARAMS; k++)
			tn->param[k] = tn->dparam[k] = -1;
		tn->saved[0] = tn->saved[1] = tn->stats[0] = tn->stats[1] = -1;
	}
	for (int grp = 0; grp < 3; grp++) {
		for (int i = 0; i < g->n; i++) {
			const struct node *n = g->nodes[i];
			for (int k = 0; k < n->nparams && k < OP_MAX_PARAMS; k++) {
				const struct param_desc *pd = &n->params[k];
				struct tp_param *p;
				if (group_of(n, pd) != grp)
					continue;
				P->params = arena_grow(P->A, P->params, &P->capparams, P->nparams,
						       sizeof *P->params);
				p = &P->params[P->nparams++];
				memset(p, 0, sizeof *p);
				p->name = arena_printf(P->A, "%s.%s", n->name ? n->name : "?", pd->name);
				p->node = n;
				p->index = k;
				p->shape = pd->shape;
				p->region = grp == 2 ? TP_STATE : TP_PARAM;
				p->trainable = grp == 0;
				shape_numel(&pd->shape, &p->numel);
				p->offset = P->size[p->region];
				P->size[p->region] += p->numel;
				fans(n, pd, &p->fan_in, &p->fan_out);
				p->init = init_of(P, n, pd);
				p->buf = tp_buf(P, p->region, TP_REAL, TB_PARAM, p->name, n, false, &pd->shape);
				P->bufs[p->buf].offset = p->offset;
				P->nodes[i].param[k] = p->buf;
				p->grad = -1;
				if (p->trainable) {
					p->grad = tp_buf(P, TP_GRAD, TP_REAL, TB_PGRAD,
							 arena_printf(P->A, "grad.%s", p->name), n, false,
							 &pd->shape);
					P->bufs[p->grad].offset = p->offset;
					P->nodes[i].dparam[k] = p->grad;
				}
			}
		}
		if (grp == 0)
			P->ntrain = P->size[TP_PARAM];
	}
	P->size[TP_GRAD] = P->ntrain;
	P->nopt = tp_optim_slots(&P->cfg, P->opt_slot);
	P->size[TP_OPT] = P->nopt * P->ntrain;
	P->params_blob = P->grads_blob = P->opt_blob[0] = P->opt_blob[1] = -1;
	if (P->ntrain == 0)
		return;
	blob.d[0] = P->ntrain;
	P->params_blob = tp_buf(P, TP_PARAM, TP_REAL, TB_BLOB, "params", NULL, false, &blob);
	P->bufs[P->params_blob].offset = 0;
	P->grads_blob = tp_buf(P, TP_GRAD, TP_REAL, TB_BLOB, "grads", NULL, false, &blob);
	P->bufs[P->grads_blob].offset = 0;
	for (int k = 0; k < P->nopt; k++) {
		P->opt_blob[k] = tp_buf(P, TP_OPT, TP_REAL, TB_BLOB,
					arena_printf(P->A, "opt.%s", P->opt_slot[k]), NULL, false, &blob);
		P->bufs[P->opt_blob[k]].offset = k * P->ntrain;
	}
}

/* Inputs go to INPUT, one after the other; every other node gets an ACT
 * buffer. */
void tp_layout_values(struct tprog *P)
{
	const struct graph *g = P->net;
	int k = 0;

	P->inputs = arena_array(P->A, (size_t)(g->ninputs > 0 ? g->ninputs : 1), sizeof *P->inputs);
	for (int i = 0; i < g->n; i++) {
		const struct node *n = g->nodes[i];
		const char *name = n->name ? n->name : arena_printf(P->A, "%%%d", n->id);
		int b;
		if (n->op == OP_INPUT) {
			b = tp_buf(P, TP_INPUT, TP_REAL, TB_INPUT, name, n, true, &n->shape);
			P->bufs[b].offset = P->size[TP_INPUT];
			P->size[TP_INPUT] += P->bufs[b].numel;
			if (k < g->ninputs)
				P->inputs[k++] = b;
		} else {
			b = tp_buf(P, TP_ACT, TP_REAL, TB_VALUE, name, n, true, &n->shape);
		}
		P->nodes[i].value = b;
	}
	P->output = g->noutputs > 0 ? P->nodes[g->outputs[0]->id].value : -1;
}

/* Planned (memplan.c) or bump allocation of the ACT buffers.  No ACT
 * buffer gets an offset before this, so every ACT offset is reset first:
 * that lets a test lay one program out both ways. */
void tprog_layout(struct tprog *P)
{
	for (int i = 0; i < P->nbufs; i++)
		if (P->bufs[i].region == TP_ACT)
			P->bufs[i].offset = -1;
	P->size[TP_ACT] = 0;
	if (P->memplan) {
		tp_plan_act(P);
		P->laid_out = true;
		return;
	}
	for (int i = 0; i < P->nbufs; i++) {
		struct tbuf *b = &P->bufs[i];
		if (b->region != TP_ACT || b->offset >= 0)
			continue;
		b->offset = P->size[TP_ACT];
		P->size[TP_ACT] += b->numel;
	}
	P->laid_out = true;
}
