/* config.c - the train section's loss, optimizer, regularisation, seed and
 * batch as the training program uses them.  The section was checked by
 * compiler/schema.c; this file only reads it, arguments and their defaults
 * through schema_arg (the defaults live in schema.c's tables only). */
#include "autodiff.h"

#include <string.h>

#include "schema.h"

static const struct {
	const char *name;
	enum tp_loss_kind kind;
} losses[] = {
	{ "cross_entropy", TL_XENT },
	{ "weighted_cross_entropy", TL_WXENT },
	{ "binary_cross_entropy", TL_BCE },
	{ "dice", TL_DICE },
	{ "mse", TL_MSE },
};

static const struct {
	const char *name;
	enum tp_optim_kind kind;
} optims[] = {
	{ "sgd", TO_SGD },
	{ "adam", TO_ADAM },
	{ "adadelta", TO_ADADELTA },
	{ "rmsprop", TO_RMSPROP },
};

/* The value of field `name`, or NULL when the section does not give it. */
static const struct value *field(const struct train_info *ti, const char *name)
{
	const struct section *s = ti->sec;
	for (int i = 0; s && i < s->n; i++)
		if (s->fields[i] && s->fields[i]->name && strcmp(s->fields[i]->name, name) == 0)
			return s->values[i];
	return NULL;
}

/* Argument `name` of the constructor v as a number (booleans 0 / 1), its
 * default when not given; 0 when it has neither. */
static double num(struct arena *A, const struct value *v, const char *name)
{
	const struct value *a = schema_arg(A, v, name);
	double x;
	if (a && a->kind == V_BOOL)
		return (double)a->i;
	if (a && val_number(a, &x))
		return x;
	return 0;
}

/* The name of the constructor v (a record, or a bare name), or NULL. */
static const char *ctor_name(const struct value *v)
{
	return v && (v->kind == V_RECORD || v->kind == V_SYM) ? v->s : NULL;
}

/* loss = name or name(args): the kind and its arguments. */
static bool read_loss(struct tprog *P, struct diag_ctx *D, const struct train_info *ti)
{
	struct tp_config *c = &P->cfg;
	const struct value *v = field(ti, "loss");
	const char *name = ctor_name(v);
	size_t i;

	for (i = 0; name && i < sizeof losses / sizeof losses[0]; i++)
		if (strcmp(losses[i].name, name) == 0)
			break;
	if (!name || i == sizeof losses / sizeof losses[0]) {
		diag_error(D, v ? v->loc : ti->decl->loc, "train section '%s' has no loss netc can compile",
			   ti->decl->name);
		return false;
	}
	c->loss = losses[i].kind;
	c->loss_name = name;
	c->loss_loc = v->loc;
	c->label_smoothing = c->loss == TL_XENT ? num(P->A, v, "label_smoothing") : 0;
	c->dice_smooth = c->loss == TL_DICE ? num(P->A, v, "smooth") : 0;
	if (c->loss == TL_WXENT) {
		const struct value *wv = v->kind == V_RECORD ? schema_arg(P->A, v, "weights") : NULL;
		c->weights_loc = wv ? wv->loc : v->loc;
		if (!wv || wv->kind == V_SYM) {
			c->weights_auto = true;
		} else if (wv->kind == V_LIST) {
			double *ws = arena_array(P->A, (size_t)(wv->n > 0 ? wv->n : 1), sizeof *ws);
			for (int k = 0; k < wv->n; k++)
				if (!val_number(wv->items[k], &ws[k]))
					ws[k] = 1;
			c->weights = ws;
			c->nweights = wv->n;
		}
	}
	return true;
}

/* optimizer = name or name(args): the kind and its hyper-parameters. */
static bool read_optim(struct tprog *P, struct diag_ctx *D, const struct train_info *ti)
{
	struct tp_config *c = &P->cfg;
	const struct value *v = field(ti, "optimizer");
	const char *name = ctor_name(v);
	size_t i;

	for (i = 0; name && i < sizeof optims / sizeof optims[0]; i++)
		if (strcmp(optims[i].name, name) == 0)
			break;
	if (!name || i == sizeof optims / sizeof optims[0]) {
		diag_error(D, v ? v->loc : ti->decl->loc,
			   "train section '%s' has no optimizer netc can compile", ti->decl->name);
		return false;
	}
	c->optim = optims[i].kind;
	c->optim_name = name;
	c->optim_loc = v->loc;
	/* the optimizer's own arguments; the others are 0 (schema_arg: NULL) */
	c->lr = num(P->A, v, "lr");
	c->momentum = num(P->A, v, "momentum");
	c->nesterov = num(P->A, v, "nesterov") != 0;
	c->weight_decay = num(P->A, v, "weight_decay");
	c->beta1 = num(P->A, v, "beta1");
	c->beta2 = num(P->A, v, "beta2");
	c->eps = num(P->A, v, "eps");
	c->rho = num(P->A, v, "rho");
	c->alpha = num(P->A, v, "alpha");
	c->dampening = 0;   /* the language has no dampening argument */
	return true;
}

/* regularize = l2(...) or [l2(...), ...]. */
static void read_l2(struct tprog *P, const struct train_info *ti)
{
	struct tp_config *c = &P->cfg;
	const struct value *v = field(ti, "regularize");
	const struct value *const *items = &v;
	int n = 1;

	if (!v)
		return;
	if (v->kind == V_LIST) {
		items = (const struct value *const *)v->items;
		n = v->n;
	}
	c->l2 = arena_array(P->A, (size_t)(n > 0 ? n : 1), sizeof *c->l2);
	for (int i = 0; i < n; i++) {
		const struct value *r = items[i];
		const char *name = ctor_name(r);
		if (!name || strcmp(name, "l2") != 0)
			continue;
		c->l2[c->nl2].weight = num(P->A, r, "weight");
		c->l2[c->nl2].layers = r->kind == V_RECORD ? schema_arg(P->A, r, "layers") : NULL;
		c->l2[c->nl2].loc = r->loc;
		c->nl2++;
	}
}

/* All the fields the program uses; seed 1 when not given. */
bool tp_read_config(struct tprog *P, struct diag_ctx *D, const struct train_info *ti)
{
	const struct value *v;

	memset(&P->cfg, 0, sizeof P->cfg);
	if (!read_loss(P, D, ti) || !read_optim(P, D, ti))
		return false;
	read_l2(P, ti);
	v = field(ti, "seed");
	P->cfg.seed = v && v->kind == V_INT && v->i >= 0 ? (uint64_t)v->i : 1;
	v = field(ti, "batch");
	P->cfg.batch = v && v->kind == V_INT ? v->i : 0;
	v = field(ti, "distribute");
	if (ctor_name(v) && strcmp(ctor_name(v), "allreduce") == 0) {
		P->cfg.allreduce = true;
		P->cfg.bucket_mb = num(P->A, v, "bucket_mb");
	}
	/* sharded and parameter_server: the same gradient steps; the runtime
	 * decides what they do (grad.c: a reduce-scatter onto the ranks'
	 * shards, or a push to the servers and a pull of the parameters) */
	if (ctor_name(v) && (strcmp(ctor_name(v), "sharded") == 0 ||
			     strcmp(ctor_name(v), "parameter_server") == 0))
		P->cfg.allreduce = true;
	/* batch statistics summed over the ranks (default true) */
	v = field(ti, "sync_batchnorm");
	P->cfg.sync_bn = P->cfg.allreduce && !(v && v->kind == V_BOOL && !v->i);
	return true;
}
