/* config.c - the train section's loss, optimizer, regularisation, seed and
 * batch as the training program uses them.  The section was checked by
 * compiler/schema.c; this file only reads it.  The argument order and
 * defaults below are those of schema.c's tables (docs/sections.md), which
 * are private to schema.c: keep the two in step (tests/train checks the
 * defaults). */
#include "autodiff.h"

#include <string.h>

/* An argument of a constructor: name and default. */
struct carg {
	const char *name;
	double def;
};

static const struct carg ce_args[] = { { "label_smoothing", 0 } };
static const struct carg dice_args[] = { { "smooth", 1.0 } };
static const struct carg sgd_args[] = {
	{ "lr", 0.01 }, { "momentum", 0 }, { "nesterov", 0 }, { "weight_decay", 0 },
};
static const struct carg adam_args[] = {
	{ "lr", 0.001 }, { "beta1", 0.9 }, { "beta2", 0.999 }, { "eps", 1e-8 }, { "weight_decay", 0 },
};
static const struct carg adadelta_args[] = {
	{ "lr", 1.0 }, { "rho", 0.9 }, { "eps", 1e-6 }, { "weight_decay", 0 },
};
static const struct carg rmsprop_args[] = {
	{ "lr", 0.01 }, { "alpha", 0.99 }, { "eps", 1e-8 }, { "momentum", 0 }, { "weight_decay", 0 },
};
static const struct carg l2_args[] = { { "weight", 0 }, { "layers", 0 } };

#define NARGS(a) (int)(sizeof a / sizeof a[0])

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
	const struct carg *args;
	int nargs;
} optims[] = {
	{ "sgd", TO_SGD, sgd_args, NARGS(sgd_args) },
	{ "adam", TO_ADAM, adam_args, NARGS(adam_args) },
	{ "adadelta", TO_ADADELTA, adadelta_args, NARGS(adadelta_args) },
	{ "rmsprop", TO_RMSPROP, rmsprop_args, NARGS(rmsprop_args) },
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

/* Argument k of the constructor `v` (a record, or a bare name: no
 * arguments) given by position or by name; NULL when not given. */
static const struct value *arg(const struct value *v, const struct carg *args, int k)
{
	int pos = 0;
	if (!v || v->kind != V_RECORD)
		return NULL;
	for (int i = 0; i < v->nargs; i++) {
		const struct varg *a = &v->args[i];
		if (a->name ? strcmp(a->name, args[k].name) == 0 : pos++ == k)
			return a->v;
	}
	return NULL;
}

/* Argument k as a number, its default when not given. */
static double num(const struct value *v, const struct carg *args, int k)
{
	const struct value *a = arg(v, args, k);
	double x;
	if (a && a->kind == V_BOOL)
		return (double)a->i;
	if (a && val_number(a, &x))
		return x;
	return args[k].def;
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
	c->label_smoothing = c->loss == TL_XENT ? num(v, ce_args, 0) : 0;
	c->dice_smooth = c->loss == TL_DICE ? num(v, dice_args, 0) : 0;
	if (c->loss == TL_WXENT) {
		static const struct carg w[] = { { "weights", 0 } };
		const struct value *wv = arg(v, w, 0);
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
	for (int k = 0; k < optims[i].nargs; k++) {
		const char *a = optims[i].args[k].name;
		double x = num(v, optims[i].args, k);
		if (strcmp(a, "lr") == 0)
			c->lr = x;
		else if (strcmp(a, "momentum") == 0)
			c->momentum = x;
		else if (strcmp(a, "nesterov") == 0)
			c->nesterov = x != 0;
		else if (strcmp(a, "weight_decay") == 0)
			c->weight_decay = x;
		else if (strcmp(a, "beta1") == 0)
			c->beta1 = x;
		else if (strcmp(a, "beta2") == 0)
			c->beta2 = x;
		else if (strcmp(a, "eps") == 0)
			c->eps = x;
		else if (strcmp(a, "rho") == 0)
			c->rho = x;
		else if (strcmp(a, "alpha") == 0)
			c->alpha = x;
	}
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
		c->l2[c->nl2].weight = num(r, l2_args, 0);
		c->l2[c->nl2].layers = arg(r, l2_args, 1);
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
	return true;
}
