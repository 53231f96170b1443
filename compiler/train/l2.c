/* l2.c - L2 regularisation, regularize = l2(weight, layers = all | [...]):
 * weight * sum w^2 over the weights (the parameters called `weight`, not
 * biases or batchnorm scales) of the chosen layers, added to the loss,
 * and 2 * weight * w added to their gradients after the backward pass.
 *
 * A name in `layers` picks the nodes called so ("dense_1",
 * "layer1/conv_1"), the nodes of an op ("conv"), the nodes inside a
 * block instance ("layer1" picks "layer1/..."), or the node a `let`
 * bound.  Frozen layers are left out: their weights do not change, so
 * the term would be a constant. */
#include "autodiff.h"

#include <string.h>

/* The name a layers item gives: a symbol, a string or a layer (op). */
static const char *item_name(const struct value *v)
{
	if (!v)
		return NULL;
	if ((v->kind == V_SYM || v->kind == V_STR) && v->s)
		return v->s;
	if (v->kind == V_LAYER && v->layer)
		return v->layer->name;
	return NULL;
}

/* Does `name` pick node n? */
static bool picks(const char *name, const struct node *n)
{
	size_t len = strlen(name);
	if (n->name && strcmp(n->name, name) == 0)
		return true;
	if (strcmp(op_table[n->op].name, name) == 0)
		return true;
	if (n->name && strncmp(n->name, name, len) == 0 && n->name[len] == '/')
		return true;
	return n->let_name && strcmp(n->let_name, name) == 0;
}

/* Report a name that picks no node, with the closest node name. */
static void unknown_layer(struct tprog *P, struct diag_ctx *D, const char *name, struct loc at)
{
	const struct graph *g = P->net;
	const char **cands = arena_array(P->A, (size_t)(g->n > 0 ? g->n : 1), sizeof *cands);
	const char *near;
	int nc = 0;

	for (int i = 0; i < g->n; i++)
		if (g->nodes[i]->name)
			cands[nc++] = g->nodes[i]->name;
	diag_error(D, at, "l2: network '%s' has no layer or op called '%s'",
		   g->name ? g->name : "?", name);
	near = suggest(name, cands, nc);
	if (near)
		diag_note(D, at, "did you mean '%s'?", near);
}

/* Resolve one term into *v. */
static bool resolve(struct tprog *P, struct diag_ctx *D, const struct tp_l2_term *t,
		    struct tp_l2_views *v)
{
	const struct value *L = t->layers;
	bool all = !L || L->kind == V_SYM, ok = true;
	bool *chosen = arena_array(P->A, (size_t)(P->net->n > 0 ? P->net->n : 1), sizeof *chosen);

	v->weight = t->weight;
	v->w = arena_array(P->A, (size_t)(P->nparams > 0 ? P->nparams : 1), sizeof *v->w);
	v->dw = arena_array(P->A, (size_t)(P->nparams > 0 ? P->nparams : 1), sizeof *v->dw);
	for (int i = 0; i < P->net->n; i++)
		chosen[i] = all;
	for (int k = 0; !all && L->kind == V_LIST && k < L->n; k++) {
		const char *name = item_name(L->items[k]);
		bool any = false;
		if (!name)
			continue;
		for (int i = 0; i < P->net->n; i++)
			if (picks(name, P->net->nodes[i]))
				chosen[i] = any = true;
		if (!any) {
			unknown_layer(P, D, name, L->items[k]->loc);
			ok = false;
		}
	}
	for (int i = 0; i < P->nparams; i++) {
		const struct tp_param *p = &P->params[i];
		if (!p->trainable || !chosen[p->node->id] ||
		    strcmp(p->node->params[p->index].name, "weight") != 0)
			continue;
		v->w[v->n] = p->buf;
		v->dw[v->n++] = p->grad;
	}
	if (ok && v->n == 0)
		diag_warning(D, t->loc, "l2: the layers chosen have no trainable weights");
	return ok;
}

/* Resolve every term; false after an unknown name. */
bool tp_l2_setup(struct tprog *P, struct diag_ctx *D)
{
	bool ok = true;
	P->nl2 = P->cfg.nl2;
	P->l2 = arena_array(P->A, (size_t)(P->nl2 > 0 ? P->nl2 : 1), sizeof *P->l2);
	for (int i = 0; i < P->nl2; i++)
		ok = resolve(P, D, &P->cfg.l2[i], &P->l2[i]) && ok;
	return ok;
}

/* loss += weight sum w^2, one step per term. */
void tp_emit_l2(struct ad_ctx *C)
{
	struct tprog *P = C->P;
	enum tp_phase ph = C->phase;

	C->phase = TP_LOSS;
	for (int i = 0; i < P->nl2; i++) {
		const struct tp_l2_views *v = &P->l2[i];
		union tp_args a;
		int *buf;
		if (v->n == 0)
			continue;
		memset(&a, 0, sizeof a);
		a.l2.weight = v->weight;
		buf = arena_array(P->A, (size_t)v->n + 1, sizeof *buf);
		memcpy(buf, v->w, (size_t)v->n * sizeof *buf);
		buf[v->n] = P->loss;
		ad_emitv(C, TS_L2_FWD, NULL, &a, v->n + 1, buf, v->n);
	}
	C->phase = ph;
}

/* dw += 2 weight w, one step per term. */
void tp_emit_l2_grad(struct ad_ctx *C)
{
	struct tprog *P = C->P;
	enum tp_phase ph = C->phase;

	C->phase = TP_BWD;
	for (int i = 0; i < P->nl2; i++) {
		const struct tp_l2_views *v = &P->l2[i];
		union tp_args a;
		int *buf;
		if (v->n == 0)
			continue;
		memset(&a, 0, sizeof a);
		a.l2.weight = v->weight;
		buf = arena_array(P->A, (size_t)(2 * v->n), sizeof *buf);
		memcpy(buf, v->w, (size_t)v->n * sizeof *buf);
		memcpy(buf + v->n, v->dw, (size_t)v->n * sizeof *buf);
		ad_emitv(C, TS_L2_BWD, NULL, &a, 2 * v->n, buf, v->n);
	}
	C->phase = ph;
}
