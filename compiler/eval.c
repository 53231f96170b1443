/* eval.c - the compile-time evaluator.  A .net program is evaluated, not
 * merely resolved: parameters, arithmetic and conditionals are computed,
 * chains send tensors through layers, and calls build layers or apply
 * them (inst.c turns applications into graph nodes).  Errors are reported
 * where the user wrote the offending text, with notes for the chain of
 * block instantiations that led there. */
#include "eval.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- environments ------------------------------------------------------ */



struct env *sema_env_new(struct sema *S, struct env *parent, struct module *mod, bool section)
{
	struct env *e = arena_alloc(S->A, sizeof *e);
	e->parent = parent;
	e->mod = mod;
	e->section = section;
	return e;
}

static struct binding *env_lookup(struct env *E, const char *name)
{
	for (; E; E = E->parent) {
		struct binding *b = strmap_get(&E->vars, name);
		if (b)
			return b;
	}
	return NULL;
}

/* Bind name in E; a second binding in the same scope is an error. */
void sema_env_bind(struct sema *S, struct env *E, const char *name, struct value *v, struct loc at)
{
	struct binding *old = strmap_get(&E->vars, name);
	if (old) {
		diag_error(S->D, at, "'%s' is already defined", name);
		diag_note(S->D, old->loc, "previous definition of '%s' is here", name);
		return;
	}
	struct binding *b = arena_alloc(S->A, sizeof *b);
	b->v = v;
	b->loc = at;
	strmap_put(S->A, &E->vars, name, b);
}

/* ---- diagnostics helpers ----------------------------------------------- */

/* Notes for the chain of instantiations we are inside, innermost first. */
void sema_inst_notes(struct sema *S)
{
	int shown = 0;
	for (int i = S->nframes - 1; i >= 0 && shown < 8; i--, shown++) {
		const struct inst_frame *f = &S->frames[i];
		/* The network being checked on its own was not "used" anywhere. */
		if (i == 0 && f->call.line == f->decl->name_loc.line && f->call.col == f->decl->name_loc.col)
			continue;
		diag_note(S->D, f->call, "in %s '%s' used here",
			  f->decl->kind == AST_BLOCK ? "block" : "network", f->decl->name);
	}
	if (S->nframes > 8)
		diag_note(S->D, S->frames[0].call, "... and %d more levels of blocks", S->nframes - 8);
}

/* The names a misspelt layer could have meant: ops, builtins, decls. */
static const char *suggest_layer(struct sema *S, struct env *E, const char *name)
{
	const char *cands[OP_COUNT + 512];
	int n = 0;
	for (int i = 0; i < OP_COUNT; i++)
		if (!(op_table[i].flags & OPF_INTERNAL))
			cands[n++] = op_table[i].name;
	static const char *const builtins[] = { "repeat", "dim", "len", "min", "max" };
	for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++)
		cands[n++] = builtins[i];
	const struct module *ms[65];
	int nm = 0;
	ms[nm++] = E->mod;
	for (int i = 0; i < E->mod->nimports && nm < 65; i++)
		ms[nm++] = E->mod->imports[i];
	for (int k = 0; k < nm; k++)
		for (int i = 0; i < ms[k]->ndecls && n < (int)(sizeof cands / sizeof *cands); i++)
			if (ms[k]->order[i]->kind == AST_BLOCK || ms[k]->order[i]->kind == AST_NETWORK)
				cands[n++] = ms[k]->order[i]->name;
	(void)S;
	return suggest(name, cands, n);
}

/* A declaration in a module that m's imports import, but m does not. */
static const struct ast *find_indirect(const struct module *m, const char *name, int depth)
{
	if (depth > 4)
		return NULL;
	for (int i = 0; i < m->nimports; i++) {
		const struct module *im = m->imports[i];
		for (int j = 0; j < im->nimports; j++) {
			struct module *from;
			const struct ast *d = module_find(im->imports[j], name, &from);
			if (d)
				return d;
		}
		const struct ast *d = find_indirect(im, name, depth + 1);
		if (d)
			return d;
	}
	return NULL;
}

void sema_unknown_layer(struct sema *S, struct env *E, const char *name, struct loc at)
{
	diag_error(S->D, at, "unknown layer '%s'", name);
	const struct ast *d = find_indirect(E->mod, name, 0);
	if (d && (d->kind == AST_BLOCK || d->kind == AST_NETWORK)) {
		diag_note(S->D, d->name_loc, "%s '%s' is defined here, in a module this file does not import (imports are not transitive)",
			  d->kind == AST_BLOCK ? "block" : "network", name);
	} else {
		const char *s = suggest_layer(S, E, name);
		if (s)
			diag_note(S->D, at, "did you mean '%s'?", s);
	}
	sema_inst_notes(S);
}

/* ---- values ------------------------------------------------------------ */

struct value *sema_layer_value(struct sema *S, struct layer *L, struct loc at)
{
	struct value *v = val_new(S->A, V_LAYER, at);
	v->layer = L;
	return v;
}

struct layer *sema_layer_new(struct sema *S, enum layer_kind k, const char *name)
{
	struct layer *L = arena_alloc(S->A, sizeof *L);
	L->kind = k;
	L->name = name;
	return L;
}

const char *sema_describe(struct sema *S, const struct value *v)
{
	return val_describe(S->A, v);
}

/* ---- naming ------------------------------------------------------------ */

int sema_scope_next(struct sema *S, struct scope *sc, const char *base)
{
	intptr_t k = (intptr_t)strmap_get(&sc->counts, base) + 1;
	strmap_put(S->A, &sc->counts, base, (void *)k);
	return (int)k;
}

/* A name unique in the graph: prefix/base, with _2, _3 ... on collision. */
const char *sema_unique_name(struct sema *S, const char *base)
{
	const char *prefix = S->scope && S->scope->inst ? S->scope->inst->path : NULL;
	const char *name = prefix ? arena_printf(S->A, "%s/%s", prefix, base) : base;
	const char *try = name;
	for (int k = 2; strmap_get(&S->names, try); k++)
		try = arena_printf(S->A, "%s_%d", name, k);
	strmap_put(S->A, &S->names, try, (void *)1);
	return try;
}

/* ---- layers ------------------------------------------------------------ */

static struct value *apply(struct sema *S, struct layer *L, struct value **in, int nin, struct loc at);

static struct value *apply_value(struct sema *S, struct layer *L, struct value *v, struct loc at)
{
	return apply(S, L, &v, 1, at);
}

static struct value *apply(struct sema *S, struct layer *L, struct value **in, int nin, struct loc at)
{
	if (S->D->stopped)
		return val_error(S->A, at);
	switch (L->kind) {
	case L_OP:
	case L_DECL: {
		/* The flowing tensors first, then those given in the call. */
		struct value **all = arena_array(S->A, (size_t)(nin + L->ninputs + 1), sizeof *all);
		int n = 0;
		for (int i = 0; i < nin && n < MAX_INPUTS; i++)
			all[n++] = in[i];
		for (int i = 0; i < L->ninputs && n < MAX_INPUTS; i++)
			all[n++] = L->inputs[i];
		if (L->kind == L_OP)
			return sema_apply_op(S, L->op, all, n, L->args, L->nargs, at);
		return sema_instantiate(S, L->decl, L->mod, L->args, L->nargs, all, n, at);
	}
	case L_CHAIN: {
		struct value *v = apply(S, L->stages[0], in, nin, at);
		for (int i = 1; i < L->nstages && v->kind != V_ERROR; i++)
			v = apply_value(S, L->stages[i], v, at);
		return v;
	}
	case L_REPEAT: {
		if (L->count == 0) {
			/* repeat(0, f) is the identity. */
			if (nin == 1)
				return in[0];
			struct value *l = val_new(S->A, V_LIST, at);
			l->items = arena_array(S->A, (size_t)nin, sizeof *l->items);
			memcpy(l->items, in, sizeof *l->items * (size_t)nin);
			l->n = nin;
			return l;
		}
		struct value *v = apply(S, L->stages[0], in, nin, at);
		for (int64_t i = 1; i < L->count && v->kind != V_ERROR && !S->D->stopped; i++)
			v = apply_value(S, L->stages[0], v, at);
		return v;
	}
	}
	return val_error(S->A, at);
}

/* The value of a chain stage, which must be a layer. */
static struct layer *as_layer(struct sema *S, struct env *E, struct value *v, const struct ast *n)
{
	if (v->kind == V_LAYER)
		return v->layer;
	if (v->kind == V_ERROR)
		return NULL;
	if (v->kind == V_SYM) {
		sema_unknown_layer(S, E, v->s, n->loc);
		return NULL;
	}
	if (v->kind == V_TENSOR)
		diag_error(S->D, n->loc, "%s is not a layer; merge tensors with add(...) or concat(...)",
			   sema_describe(S, v));
	else
		diag_error(S->D, n->loc, "expected a layer, got %s", sema_describe(S, v));
	sema_inst_notes(S);
	return NULL;
}

bool sema_is_tensorish(const struct value *v)
{
	if (v->kind == V_TENSOR)
		return true;
	if (v->kind != V_LIST || v->n == 0)
		return false;
	for (int i = 0; i < v->n; i++)
		if (v->items[i]->kind != V_TENSOR && v->items[i]->kind != V_ERROR)
			return false;
	return true;
}

/* A stage after => : a layer, possibly holding tensors for later. */
static struct value *eval_stage(struct sema *S, struct env *E, const struct ast *n)
{
	if (n->kind == AST_CALL && !E->section && !S->D->stopped && S->depth < SEMA_EVAL_DEPTH_MAX) {
		S->depth++;
		struct value *v = sema_eval_call(S, E, n, true);
		S->depth--;
		return v;
	}
	return sema_eval(S, E, n);
}

/* a => b => c */
static struct value *eval_chain(struct sema *S, struct env *E, const struct ast *n)
{
	struct value *v = sema_eval(S, E, n->kids.v[0]);
	if (E->section && v->kind != V_TENSOR && v->kind != V_LAYER && v->kind != V_LIST) {
		/* augment = crop(224) => random_flip; schedule = warmup(5) => plateau(...) */
		struct value *p = val_new(S->A, V_LIST, n->loc);
		p->pipeline = true;
		p->items = arena_array(S->A, (size_t)n->kids.n, sizeof *p->items);
		p->items[p->n++] = v;
		for (int i = 1; i < n->kids.n; i++) {
			struct value *s = sema_eval(S, E, n->kids.v[i]);
			if (s->kind == V_LIST && s->pipeline)
				for (int j = 0; j < s->n; j++) {
					p->items = arena_grow(S->A, p->items, &(int){ p->n }, p->n, sizeof *p->items);
					p->items[p->n++] = s->items[j];
				}
			else
				p->items[p->n++] = s;
		}
		return p;
	}
	if (v->kind == V_ERROR) {
		/* Still check that the stages are layers with valid arguments;
		 * there is no input to apply them to. */
		for (int i = 1; i < n->kids.n && !S->D->stopped; i++) {
			struct layer *L = as_layer(S, E, eval_stage(S, E, n->kids.v[i]), n->kids.v[i]);
			if (L && L->kind == L_OP) {
				struct attr attrs[64];
				bool frozen;
				sema_bind_attrs(S, L->op, L->args, L->nargs, attrs, &frozen, n->kids.v[i]->loc);
			}
		}
		return v;
	}
	if (v->kind == V_LAYER || v->kind == V_SYM) {
		/* A chain of layers is itself a layer. */
		struct layer *L = sema_layer_new(S, L_CHAIN, "chain");
		L->stages = arena_array(S->A, (size_t)n->kids.n, sizeof *L->stages);
		bool ok = true;
		for (int i = 0; i < n->kids.n; i++) {
			struct value *s = i ? eval_stage(S, E, n->kids.v[i]) : v;
			struct layer *sl = as_layer(S, E, s, n->kids.v[i]);
			if (!sl)
				ok = false;
			else
				L->stages[L->nstages++] = sl;
		}
		return ok ? sema_layer_value(S, L, n->loc) : val_error(S->A, n->loc);
	}
	if (!sema_is_tensorish(v)) {
		diag_error(S->D, n->kids.v[0]->loc, "a chain starts with a tensor or a layer, got %s",
			   sema_describe(S, v));
		sema_inst_notes(S);
		return val_error(S->A, n->loc);
	}
	for (int i = 1; i < n->kids.n; i++) {
		const struct ast *st = n->kids.v[i];
		struct value *s = eval_stage(S, E, st);
		struct layer *L = as_layer(S, E, s, st);
		if (!L || v->kind == V_ERROR) {
			v = val_error(S->A, n->loc);
			continue;
		}
		v = apply_value(S, L, v, st->loc);
		if (S->D->stopped)
			break;
	}
	return v;
}

/* ---- calls ------------------------------------------------------------- */

static struct varg *eval_args(struct sema *S, struct env *E, const struct ast *call, bool *err)
{
	int n = call->kids.n;
	struct varg *a = arena_array(S->A, (size_t)(n ? n : 1), sizeof *a);
	for (int i = 0; i < n; i++) {
		const struct ast *g = call->kids.v[i];
		a[i].name = g->name;
		a[i].name_loc = g->name_loc;
		a[i].v = sema_eval(S, E, g->a);
		if (a[i].v->kind == V_ERROR)
			*err = true;
		if (!g->name && i > 0 && a[i - 1].name) {
			const struct ast *fn = call->a;
			if (fn->kind == AST_IDENT)
				diag_error(S->D, g->loc, "%s: positional argument after a keyword argument", fn->name);
			else
				diag_error(S->D, g->loc, "positional argument after a keyword argument");
			*err = true;
		}
		for (int j = 0; j < i && g->name; j++)
			if (a[j].name && strcmp(a[j].name, g->name) == 0) {
				diag_error(S->D, g->name_loc, "argument '%s' is given twice", g->name);
				diag_note(S->D, a[j].name_loc, "first given here");
				*err = true;
			}
	}
	return a;
}

static bool want_int(struct sema *S, const struct value *v, const char *fn, int64_t *out)
{
	if (v->kind == V_INT) {
		*out = v->i;
		return true;
	}
	if (v->kind != V_ERROR)
		diag_error(S->D, v->loc, "%s expects an integer, got %s", fn, sema_describe(S, v));
	return false;
}

/* Builtins: dim(x, k) len(l) min(..) max(..) repeat(n, layer). NULL: not one. */
static struct value *eval_builtin(struct sema *S, struct env *E, const struct ast *call, const char *fn)
{
	static const char *const names[] = { "dim", "len", "min", "max", "repeat" };
	int which = -1;
	for (int i = 0; i < 5; i++)
		if (strcmp(fn, names[i]) == 0)
			which = i;
	if (which < 0)
		return NULL;
	bool err = false;
	struct varg *a = eval_args(S, E, call, &err);
	int n = call->kids.n;
	struct loc at = call->loc;
	if (err)
		return val_error(S->A, at);
	for (int i = 0; i < n; i++)
		if (a[i].name) {
			diag_error(S->D, a[i].name_loc, "%s takes no keyword arguments", fn);
			return val_error(S->A, at);
		}
	switch (which) {
	case 0: { /* dim(x, k) */
		int64_t k;
		if (n != 2) {
			diag_error(S->D, at, "dim takes 2 arguments (a tensor and a dimension), got %d", n);
			return val_error(S->A, at);
		}
		if (a[0].v->kind != V_TENSOR) {
			diag_error(S->D, a[0].v->loc, "dim expects a tensor, got %s", sema_describe(S, a[0].v));
			return val_error(S->A, at);
		}
		if (!want_int(S, a[1].v, "dim", &k))
			return val_error(S->A, at);
		const struct shape *sh = &a[0].v->node->shape;
		int64_t idx = k < 0 ? sh->rank + 1 + k : k;
		if (idx == 0) {
			diag_error(S->D, a[1].v->loc, "dimension 0 is the batch, whose size is not known until run time");
			return val_error(S->A, at);
		}
		if (idx < 1 || idx > sh->rank) {
			char b[96];
			diag_error(S->D, a[1].v->loc, "dim: tensor %s has no dimension %" PRId64 " (dimensions are 1 to %d, or -%d to -1)",
				   shape_str(sh, b, sizeof b), k, sh->rank, sh->rank);
			return val_error(S->A, at);
		}
		return val_int(S->A, sh->d[idx - 1], at);
	}
	case 1: /* len */
		if (n != 1) {
			diag_error(S->D, at, "len takes 1 argument, got %d", n);
			return val_error(S->A, at);
		}
		if (a[0].v->kind != V_LIST && a[0].v->kind != V_STR) {
			diag_error(S->D, a[0].v->loc, "len expects a list or a string, got %s", sema_describe(S, a[0].v));
			return val_error(S->A, at);
		}
		return val_int(S->A, a[0].v->kind == V_LIST ? a[0].v->n : (int64_t)strlen(a[0].v->s), at);
	case 2:
	case 3: { /* min, max */
		if (n < 1) {
			diag_error(S->D, at, "%s needs at least one argument", fn);
			return val_error(S->A, at);
		}
		struct value *best = NULL;
		double bv = 0;
		for (int i = 0; i < n; i++) {
			double x;
			if (!val_number(a[i].v, &x)) {
				diag_error(S->D, a[i].v->loc, "%s expects numbers, got %s", fn, sema_describe(S, a[i].v));
				return val_error(S->A, at);
			}
			if (!best || (which == 2 ? x < bv : x > bv)) {
				best = a[i].v;
				bv = x;
			}
		}
		return best;
	}
	case 4: { /* repeat(n, layer) */
		int64_t cnt;
		if (n != 2) {
			diag_error(S->D, at, "repeat takes 2 arguments (a count and a layer), got %d", n);
			return val_error(S->A, at);
		}
		if (!want_int(S, a[0].v, "repeat", &cnt))
			return val_error(S->A, at);
		if (cnt < 0 || cnt > SEMA_REPEAT_MAX) {
			diag_error(S->D, a[0].v->loc, "repeat count must be between 0 and %d, got %" PRId64,
				   SEMA_REPEAT_MAX, cnt);
			return val_error(S->A, at);
		}
		struct layer *L = as_layer(S, E, a[1].v, call->kids.v[1]->a);
		if (!L)
			return val_error(S->A, at);
		struct layer *R = sema_layer_new(S, L_REPEAT, "repeat");
		R->stages = arena_alloc(S->A, sizeof *R->stages);
		R->stages[0] = L;
		R->nstages = 1;
		R->count = cnt;
		return sema_layer_value(S, R, at);
	}
	}
	return NULL;
}

/* A call.  As a chain stage (`y => add(s)`), tensors given in the call
 * wait for the flowing tensor instead of being applied at once. */
struct value *sema_eval_call(struct sema *S, struct env *E, const struct ast *n, bool stage)
{
	const struct ast *fn = n->a;
	if (fn->kind == AST_IDENT && !env_lookup(E, fn->name)) {
		struct module *m;
		if (!module_find(E->mod, fn->name, &m)) {
			struct value *b = eval_builtin(S, E, n, fn->name);
			if (b)
				return b;
		}
	}
	struct value *cv = sema_eval(S, E, fn);
	bool err = false;
	struct varg *args = eval_args(S, E, n, &err);
	if (cv->kind == V_ERROR)
		return cv;
	if (cv->kind == V_SYM) {
		if (E->section) {
			struct value *r = val_new(S->A, V_RECORD, n->loc);
			r->s = cv->s;
			r->args = args;
			r->nargs = n->kids.n;
			return r;
		}
		sema_unknown_layer(S, E, cv->s, fn->loc);
		return val_error(S->A, n->loc);
	}
	if (cv->kind != V_LAYER) {
		diag_error(S->D, fn->loc, "%s cannot be called", sema_describe(S, cv));
		sema_inst_notes(S);
		return val_error(S->A, n->loc);
	}
	if (err)
		return val_error(S->A, n->loc);
	struct layer *base = cv->layer;
	/* Leading positional tensors are inputs: add(y, s), residual(64)(x). */
	int k = 0;
	while (k < n->kids.n && !args[k].name && sema_is_tensorish(args[k].v))
		k++;
	bool fresh = (base->kind == L_OP || base->kind == L_DECL) && !base->nargs && !base->ninputs;
	if (!fresh) {
		if (k != n->kids.n) {
			diag_error(S->D, n->loc, "'%s' already has its arguments; call it with tensors only",
				   base->name);
			sema_inst_notes(S);
			return val_error(S->A, n->loc);
		}
		struct value **ins = arena_array(S->A, (size_t)k + 1, sizeof *ins);
		for (int i = 0; i < k && i < MAX_INPUTS; i++)
			ins[i] = args[i].v;
		if (stage) {
			struct layer *L = arena_alloc(S->A, sizeof *L);
			*L = *base;
			L->inputs = ins;
			L->ninputs = k < MAX_INPUTS ? k : MAX_INPUTS;
			return sema_layer_value(S, L, n->loc);
		}
		return apply(S, base, ins, k < MAX_INPUTS ? k : MAX_INPUTS, n->loc);
	}
	struct layer *L = sema_layer_new(S, base->kind, base->name);
	L->op = base->op;
	L->decl = base->decl;
	L->mod = base->mod;
	L->args = args + k;
	L->nargs = n->kids.n - k;
	if (k == 0)
		return sema_layer_value(S, L, n->loc);
	struct value **ins = arena_array(S->A, (size_t)k + 1, sizeof *ins);
	for (int i = 0; i < k && i < MAX_INPUTS; i++)
		ins[i] = args[i].v;
	if (stage) {
		L->inputs = ins;
		L->ninputs = k < MAX_INPUTS ? k : MAX_INPUTS;
		return sema_layer_value(S, L, n->loc);
	}
	return apply(S, L, ins, k < MAX_INPUTS ? k : MAX_INPUTS, n->loc);
}

/* ---- arithmetic -------------------------------------------------------- */

static struct value *arith_error(struct sema *S, const struct ast *n, const struct value *a,
				 const struct value *b)
{
	if (b)
		diag_error(S->D, n->loc, "operator '%s' cannot combine %s and %s", ast_op_text(n->op),
			   sema_describe(S, a), sema_describe(S, b));
	else
		diag_error(S->D, n->loc, "operator '%s' cannot be applied to %s", ast_op_text(n->op),
			   sema_describe(S, a));
	sema_inst_notes(S);
	return val_error(S->A, n->loc);
}

static struct value *eval_int_op(struct sema *S, const struct ast *n, int64_t x, int64_t y)
{
	int64_t r = 0;
	bool ovf = false;
	switch (n->op) {
	case AOP_ADD: ovf = __builtin_add_overflow(x, y, &r); break;
	case AOP_SUB: ovf = __builtin_sub_overflow(x, y, &r); break;
	case AOP_MUL: ovf = __builtin_mul_overflow(x, y, &r); break;
	case AOP_IDIV:
	case AOP_MOD:
		if (y == 0) {
			diag_error(S->D, n->loc, "division by zero");
			return val_error(S->A, n->loc);
		}
		if (x == INT64_MIN && y == -1) {
			ovf = true;
			break;
		}
		/* Floor division and modulo, as in Python. */
		r = x / y;
		if ((x % y != 0) && ((x < 0) != (y < 0)))
			r--;
		if (n->op == AOP_MOD)
			r = x - r * y;
		break;
	case AOP_POW:
		if (y < 0)
			return val_float(S->A, pow((double)x, (double)y), n->loc);
		r = 1;
		for (int64_t i = 0; i < y && !ovf; i++) {
			ovf = __builtin_mul_overflow(r, x, &r);
			if (r == 0 || r == 1)
				break;
		}
		break;
	default:
		return NULL;
	}
	if (ovf) {
		diag_error(S->D, n->loc, "integer overflow in '%s'", ast_op_text(n->op));
		return val_error(S->A, n->loc);
	}
	return val_int(S->A, r, n->loc);
}

static bool values_equal(const struct value *a, const struct value *b, bool *comparable)
{
	double x, y;
	*comparable = true;
	if (val_number(a, &x) && val_number(b, &y))
		return x == y;
	if (a->kind == V_BOOL && b->kind == V_BOOL)
		return a->i == b->i;
	if ((a->kind == V_STR || a->kind == V_SYM) && (b->kind == V_STR || b->kind == V_SYM))
		return strcmp(a->s, b->s) == 0;
	if (a->kind == V_LIST && b->kind == V_LIST) {
		if (a->n != b->n)
			return false;
		for (int i = 0; i < a->n; i++)
			if (!values_equal(a->items[i], b->items[i], comparable))
				return false;
		return true;
	}
	*comparable = false;
	return false;
}

static struct value *eval_binary(struct sema *S, struct env *E, const struct ast *n)
{
	struct value *a = sema_eval(S, E, n->a);
	if (n->op == AOP_AND || n->op == AOP_OR) {
		/* Short-circuit, so `c > 0 and 64 // c > 1` is safe. */
		if (a->kind == V_ERROR)
			return a;
		if (a->kind != V_BOOL)
			return arith_error(S, n, a, NULL);
		if ((n->op == AOP_AND) != (a->i != 0))
			return a;
		struct value *b = sema_eval(S, E, n->b);
		if (b->kind != V_BOOL && b->kind != V_ERROR)
			return arith_error(S, n, b, NULL);
		return b;
	}
	struct value *b = sema_eval(S, E, n->b);
	if (a->kind == V_ERROR || b->kind == V_ERROR)
		return val_error(S->A, n->loc);
	struct value *r;
	double x, y;
	switch (n->op) {
	case AOP_EQ:
	case AOP_NE: {
		bool cmp;
		bool eq = values_equal(a, b, &cmp);
		if (!cmp)
			return arith_error(S, n, a, b);
		r = val_new(S->A, V_BOOL, n->loc);
		r->i = (n->op == AOP_EQ) == eq;
		return r;
	}
	case AOP_LT: case AOP_LE: case AOP_GT: case AOP_GE:
		if (!val_number(a, &x) || !val_number(b, &y))
			return arith_error(S, n, a, b);
		r = val_new(S->A, V_BOOL, n->loc);
		r->i = n->op == AOP_LT ? x < y : n->op == AOP_LE ? x <= y : n->op == AOP_GT ? x > y : x >= y;
		return r;
	case AOP_ADD:
		if (a->kind == V_STR && b->kind == V_STR) {
			r = val_new(S->A, V_STR, n->loc);
			r->s = arena_printf(S->A, "%s%s", a->s, b->s);
			return r;
		}
		if (a->kind == V_LIST && b->kind == V_LIST && !a->pipeline && !b->pipeline) {
			r = val_new(S->A, V_LIST, n->loc);
			r->n = a->n + b->n;
			r->items = arena_array(S->A, (size_t)(r->n ? r->n : 1), sizeof *r->items);
			memcpy(r->items, a->items, sizeof *r->items * (size_t)a->n);
			memcpy(r->items + a->n, b->items, sizeof *r->items * (size_t)b->n);
			return r;
		}
		break;
	default:
		break;
	}
	if (a->kind == V_INT && b->kind == V_INT && n->op != AOP_DIV) {
		r = eval_int_op(S, n, a->i, b->i);
		if (r)
			return r;
	}
	if (!val_number(a, &x) || !val_number(b, &y))
		return arith_error(S, n, a, b);
	double f;
	switch (n->op) {
	case AOP_ADD: f = x + y; break;
	case AOP_SUB: f = x - y; break;
	case AOP_MUL: f = x * y; break;
	case AOP_DIV:
	case AOP_IDIV:
	case AOP_MOD:
		if (y == 0) {
			diag_error(S->D, n->loc, "division by zero");
			return val_error(S->A, n->loc);
		}
		f = n->op == AOP_DIV ? x / y : n->op == AOP_IDIV ? floor(x / y) : x - floor(x / y) * y;
		break;
	case AOP_POW: f = pow(x, y); break;
	default:
		return arith_error(S, n, a, b);
	}
	if (!isfinite(f)) {
		diag_error(S->D, n->loc, "'%s' gives a result that is not a finite number", ast_op_text(n->op));
		return val_error(S->A, n->loc);
	}
	return val_float(S->A, f, n->loc);
}

static struct value *eval_unary(struct sema *S, struct env *E, const struct ast *n)
{
	struct value *a = sema_eval(S, E, n->a);
	if (a->kind == V_ERROR)
		return a;
	if (n->op == AOP_NOT) {
		if (a->kind != V_BOOL)
			return arith_error(S, n, a, NULL);
		struct value *r = val_new(S->A, V_BOOL, n->loc);
		r->i = !a->i;
		return r;
	}
	if (a->kind == V_INT) {
		if (n->op == AOP_POS)
			return val_int(S->A, a->i, n->loc);
		if (a->i == INT64_MIN) {
			diag_error(S->D, n->loc, "integer overflow in '-'");
			return val_error(S->A, n->loc);
		}
		return val_int(S->A, -a->i, n->loc);
	}
	if (a->kind == V_FLOAT)
		return val_float(S->A, n->op == AOP_NEG ? -a->f : a->f, n->loc);
	return arith_error(S, n, a, NULL);
}

/* ---- names ------------------------------------------------------------- */

static struct value *eval_ident(struct sema *S, struct env *E, const struct ast *n)
{
	struct binding *b = env_lookup(E, n->name);
	if (b)
		return b->v;
	struct module *m = NULL;
	const struct ast *d = module_find(E->mod, n->name, &m);
	if (d && (d->kind == AST_BLOCK || d->kind == AST_NETWORK)) {
		struct layer *L = sema_layer_new(S, L_DECL, d->name);
		L->decl = d;
		L->mod = m;
		return sema_layer_value(S, L, n->loc);
	}
	enum op op;
	if (op_lookup(n->name, &op)) {
		struct layer *L = sema_layer_new(S, L_OP, op_table[op].name);
		L->op = op;
		return sema_layer_value(S, L, n->loc);
	}
	if (strcmp(n->name, "world") == 0) {
		S->world_used = true;
		return val_int(S->A, S->world, n->loc);
	}
	struct value *v = val_new(S->A, V_SYM, n->loc);
	v->s = n->name;
	return v;
}

/* ---- statements -------------------------------------------------------- */

/* Give the tensor made by `let name = ...` that name, if it was made in
 * this scope and still has an automatic one. */
static void name_tensor(struct sema *S, struct value *v, const char *name)
{
	if (v->kind != V_TENSOR)
		return;
	struct node *nd = v->node;
	if (!nd->let_name)
		nd->let_name = name;
	if (nd->op == OP_INPUT || nd->inst != (S->scope ? S->scope->inst : NULL))
		return;
	const char *prefix = S->scope && S->scope->inst ? S->scope->inst->path : NULL;
	const char *base = nd->name;
	if (prefix) {
		size_t pl = strlen(prefix);
		if (strncmp(base, prefix, pl) != 0 || base[pl] != '/')
			return;
		base += pl + 1;
	}
	if (strchr(base, '/'))
		return;
	/* Only automatic names (op_N) are replaced. */
	const char *us = strrchr(base, '_');
	if (!us || strncmp(base, op_table[nd->op].name, (size_t)(us - base)) != 0)
		return;
	nd->name = sema_unique_name(S, name);
}

static struct value *make_input(struct sema *S, struct env *E, const struct ast *st)
{
	struct shape sh = { 0 };
	if (st->kids.n < 1 || st->kids.n > SHAPE_MAX_RANK) {
		diag_error(S->D, st->loc, "input '%s' must have 1 to %d dimensions, got %d", st->name,
			   SHAPE_MAX_RANK, st->kids.n);
		return val_error(S->A, st->loc);
	}
	for (int i = 0; i < st->kids.n; i++) {
		struct value *d = sema_eval(S, E, st->kids.v[i]);
		if (d->kind == V_ERROR)
			return d;
		if (d->kind != V_INT || d->i < 1) {
			diag_error(S->D, d->loc, "dimension %d of input '%s' must be a positive integer, got %s",
				   i + 1, st->name, sema_describe(S, d));
			return val_error(S->A, st->loc);
		}
		if (d->i > SHAPE_DIM_MAX) {
			diag_error(S->D, d->loc, "dimension %d of input '%s' must be at most 2^40, got %s",
				   i + 1, st->name, sema_describe(S, d));
			return val_error(S->A, st->loc);
		}
		sh.d[sh.rank++] = d->i;
	}
	int64_t total;
	if (!shape_numel(&sh, &total)) {
		char b[128];
		diag_error(S->D, st->loc, "input '%s' %s has more than 2^40 elements", st->name,
			   shape_str(&sh, b, sizeof b));
		return val_error(S->A, st->loc);
	}
	struct node *nd = graph_add(S->g, OP_INPUT, 0, NULL);
	nd->shape = sh;
	nd->dtype = st->op ? st->op : AST_F32;
	nd->loc = st->loc;
	nd->name = sema_unique_name(S, st->name);
	struct value *v = val_new(S->A, V_TENSOR, st->loc);
	v->node = nd;
	return v;
}

/* A network used as a layer binds its `input` to the incoming tensor,
 * which must have the declared rank and channels (sizes may differ:
 * convolutional networks take any spatial size). */
static struct value *bind_input(struct sema *S, struct env *E, const struct ast *st, struct value *in)
{
	char want[96], got[96];
	const struct shape *s = &in->node->shape;
	bool ok = s->rank == st->kids.n;
	struct shape decl = { 0 };
	for (int i = 0; i < st->kids.n && i < SHAPE_MAX_RANK; i++) {
		struct value *d = sema_eval(S, E, st->kids.v[i]);
		decl.d[decl.rank++] = d->kind == V_INT ? d->i : 0;
	}
	if (ok && s->rank > 0 && decl.d[0] != s->d[0])
		ok = false;
	if (!ok) {
		diag_error(S->D, S->frames[S->nframes - 1].call,
			   "network '%s' takes input '%s' of shape %s, got %s (rank and channels must match)",
			   S->frames[S->nframes - 1].decl->name, st->name, shape_str(&decl, want, sizeof want),
			   shape_str(s, got, sizeof got));
		diag_note(S->D, st->loc, "input '%s' is declared here", st->name);
		return val_error(S->A, st->loc);
	}
	return in;
}

struct value *sema_run_body(struct sema *S, struct env *E, const struct ast *body,
			      const char *cut, bool *cut_found, struct value **inputs, int ninputs,
			      int *next_input, bool is_network)
{
	struct value *last = NULL;
	for (int i = 0; i < body->kids.n && !S->D->stopped; i++) {
		const struct ast *st = body->kids.v[i];
		switch (st->kind) {
		case AST_LET: {
			struct value *v = sema_eval(S, E, st->a);
			name_tensor(S, v, st->name);
			sema_env_bind(S, E, st->name, v, st->name_loc);
			last = NULL;
			if (cut && strcmp(cut, st->name) == 0) {
				*cut_found = true;
				return v;
			}
			break;
		}
		case AST_RETURN:
			if (i + 1 < body->kids.n)
				diag_warning(S->D, body->kids.v[i + 1]->loc, "statement after 'return' is never used");
			return sema_eval(S, E, st->a);
		case AST_EXPR:
			last = sema_eval(S, E, st->a);
			break;
		case AST_INPUT: {
			if (!is_network || S->nframes == 0) {
				diag_error(S->D, st->loc, "'input' declares a network's input; a block takes its inputs in its second parameter list");
				return val_error(S->A, st->loc);
			}
			struct value *v;
			if (inputs && ninputs > 0) {
				if (*next_input >= ninputs) {
					(*next_input)++;
					continue;
				}
				v = bind_input(S, E, st, inputs[(*next_input)++]);
			} else {
				(*next_input)++;
				v = make_input(S, E, st);
			}
			sema_env_bind(S, E, st->name, v, st->name_loc);
			break;
		}
		default:
			diag_error(S->D, st->loc, "unexpected %s statement", ast_kind_name(st->kind));
			return val_error(S->A, st->loc);
		}
	}
	if (S->D->stopped)
		return val_error(S->A, body->loc);
	if (!last) {
		const struct ast *d = S->nframes ? S->frames[S->nframes - 1].decl : NULL;
		struct loc end = body->loc;
		end.line = end.end_line;
		end.col = end.end_col > 1 ? end.end_col - 1 : 1;
		if (d && body == d->a)
			diag_error(S->D, end, "%s '%s' has no output: end it with 'return' or an expression",
				   d->kind == AST_BLOCK ? "block" : "network", d->name);
		else
			diag_error(S->D, end, "this body has no value: end it with an expression");
		return val_error(S->A, body->loc);
	}
	return last;
}

/* ---- eval -------------------------------------------------------------- */

static struct value *eval_inner(struct sema *S, struct env *E, const struct ast *n)
{
	switch (n->kind) {
	case AST_INT:
		return val_int(S->A, n->ival, n->loc);
	case AST_FLOAT:
		return val_float(S->A, n->fval, n->loc);
	case AST_BOOL: {
		struct value *v = val_new(S->A, V_BOOL, n->loc);
		v->i = n->ival;
		return v;
	}
	case AST_STR: {
		struct value *v = val_new(S->A, V_STR, n->loc);
		v->s = n->name;
		return v;
	}
	case AST_IDENT:
		return eval_ident(S, E, n);
	case AST_LIST: {
		struct value *v = val_new(S->A, V_LIST, n->loc);
		v->items = arena_array(S->A, (size_t)(n->kids.n ? n->kids.n : 1), sizeof *v->items);
		for (int i = 0; i < n->kids.n; i++)
			v->items[v->n++] = sema_eval(S, E, n->kids.v[i]);
		return v;
	}
	case AST_CALL:
		return sema_eval_call(S, E, n, false);
	case AST_MEMBER: {
		/* val.loss in train sections: a dotted symbol. */
		struct value *o = sema_eval(S, E, n->a);
		if (o->kind == V_ERROR)
			return o;
		if (!E->section || o->kind != V_SYM) {
			diag_error(S->D, n->loc, "'.%s' cannot be applied to %s", n->name, sema_describe(S, o));
			sema_inst_notes(S);
			return val_error(S->A, n->loc);
		}
		struct value *v = val_new(S->A, V_SYM, n->loc);
		v->s = arena_printf(S->A, "%s.%s", o->s, n->name);
		return v;
	}
	case AST_INDEX: {
		struct value *o = sema_eval(S, E, n->a), *k = sema_eval(S, E, n->b);
		if (o->kind == V_ERROR || k->kind == V_ERROR)
			return val_error(S->A, n->loc);
		if (o->kind != V_LIST || o->pipeline) {
			diag_error(S->D, n->a->loc, "only lists can be indexed, got %s", sema_describe(S, o));
			sema_inst_notes(S);
			return val_error(S->A, n->loc);
		}
		if (k->kind != V_INT) {
			diag_error(S->D, k->loc, "a list index must be an integer, got %s", sema_describe(S, k));
			return val_error(S->A, n->loc);
		}
		int64_t i = k->i < 0 ? k->i + o->n : k->i;
		if (i < 0 || i >= o->n) {
			diag_error(S->D, k->loc, "index %" PRId64 " is out of range for a list of %d", k->i, o->n);
			sema_inst_notes(S);
			return val_error(S->A, n->loc);
		}
		return o->items[i];
	}
	case AST_UNARY:
		return eval_unary(S, E, n);
	case AST_BINARY:
		return eval_binary(S, E, n);
	case AST_CHAIN:
		return eval_chain(S, E, n);
	case AST_IF: {
		struct value *c = sema_eval(S, E, n->a);
		if (c->kind == V_ERROR)
			return c;
		if (c->kind != V_BOOL) {
			diag_error(S->D, n->a->loc, "the condition of 'if' must be true or false at compile time, got %s",
				   sema_describe(S, c));
			sema_inst_notes(S);
			return val_error(S->A, n->loc);
		}
		return sema_eval(S, E, c->i ? n->b : n->c);
	}
	case AST_BODY: {
		struct env *inner = sema_env_new(S, E, E->mod, E->section);
		bool found = false;
		int next = 0;
		return sema_run_body(S, inner, n, NULL, &found, NULL, 0, &next, false);
	}
	default:
		diag_error(S->D, n->loc, "unexpected %s here", ast_kind_name(n->kind));
		return val_error(S->A, n->loc);
	}
}

struct value *sema_eval(struct sema *S, struct env *E, const struct ast *n)
{
	if (S->D->stopped)
		return val_error(S->A, n->loc);
	if (S->depth >= SEMA_EVAL_DEPTH_MAX) {
		/* One report per overflow: the siblings on the way back up are
		 * just as deep. */
		if (!S->depth_reported)
			diag_error(S->D, n->loc, "expression is nested more than %d levels deep",
				   SEMA_EVAL_DEPTH_MAX);
		S->depth_reported = true;
		return val_error(S->A, n->loc);
	}
	S->depth++;
	struct value *v = eval_inner(S, E, n);
	if (--S->depth == 0)
		S->depth_reported = false;
	return v;
}
