/* sema.c - the compile-time evaluator.  A .net program is evaluated, not
 * merely resolved: parameters, arithmetic and conditionals are computed,
 * blocks and networks are instantiated with their arguments, and every op
 * applied to tensors becomes a graph node whose shape the op table infers.
 * Errors are reported where the user wrote the offending text, with notes
 * for the chain of block instantiations that led there. */
#include "sema.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- environments ------------------------------------------------------ */

struct binding {
	struct value *v;
	struct loc loc;
};

struct env {
	struct env *parent;
	struct strmap vars;         /* name -> struct binding */
	struct module *mod;         /* declarations visible here */
	bool section;               /* data/train section: unknown calls are records */
};

/* One block or network being instantiated (recursion check, notes). */
struct inst_frame {
	const struct ast *decl;
	struct loc call;
};

/* Naming scope: counters that make "conv_3" and "residual_2". */
struct scope {
	struct scope *parent;
	struct inst *inst;          /* NULL at the top of a graph */
	struct strmap counts;       /* base name -> int (stored as intptr_t) */
	bool frozen;
};

static struct value *eval(struct sema *S, struct env *E, const struct ast *n);

static struct env *env_new(struct sema *S, struct env *parent, struct module *mod, bool section)
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
static void env_bind(struct sema *S, struct env *E, const char *name, struct value *v, struct loc at)
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
static void inst_notes(struct sema *S)
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

static void unknown_layer(struct sema *S, struct env *E, const char *name, struct loc at)
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
	inst_notes(S);
}

/* ---- values ------------------------------------------------------------ */

static struct value *layer_value(struct sema *S, struct layer *L, struct loc at)
{
	struct value *v = val_new(S->A, V_LAYER, at);
	v->layer = L;
	return v;
}

static struct layer *layer_new(struct sema *S, enum layer_kind k, const char *name)
{
	struct layer *L = arena_alloc(S->A, sizeof *L);
	L->kind = k;
	L->name = name;
	return L;
}

static const char *describe(struct sema *S, const struct value *v)
{
	return val_describe(S->A, v);
}

/* ---- naming ------------------------------------------------------------ */

static int scope_next(struct sema *S, struct scope *sc, const char *base)
{
	intptr_t k = (intptr_t)strmap_get(&sc->counts, base) + 1;
	strmap_put(S->A, &sc->counts, base, (void *)k);
	return (int)k;
}

/* A name unique in the graph: prefix/base, with _2, _3 ... on collision. */
static const char *unique_name(struct sema *S, const char *base)
{
	const char *prefix = S->scope && S->scope->inst ? S->scope->inst->path : NULL;
	const char *name = prefix ? arena_printf(S->A, "%s/%s", prefix, base) : base;
	const char *try = name;
	for (int k = 2; strmap_get(&S->names, try); k++)
		try = arena_printf(S->A, "%s_%d", name, k);
	strmap_put(S->A, &S->names, try, (void *)1);
	return try;
}

/* ---- ops --------------------------------------------------------------- */

/* Convert one argument value to an op attribute.  False after an error. */
static bool to_attr(struct sema *S, const char *opname, const struct attr_spec *sp,
		    const struct value *v, struct attr *a)
{
	char buf[64];
	memset(a, 0, sizeof *a);
	a->set = true;
	a->sym = -1;
	a->loc = v->loc;
	if (v->kind == V_ERROR)
		return false;
	switch (sp->type) {
	case AT_INT:
		if (v->kind == V_INT) {
			a->i = v->i;
			return true;
		}
		if (v->kind == V_FLOAT && v->f == floor(v->f) && fabs(v->f) < 9e15) {
			a->i = (int64_t)v->f;
			return true;
		}
		diag_error(S->D, v->loc, "%s: argument '%s' expects an integer, got %s",
			   opname, sp->name, describe(S, v));
		return false;
	case AT_FLOAT:
		if (val_number(v, &a->f))
			return true;
		diag_error(S->D, v->loc, "%s: argument '%s' expects a number, got %s",
			   opname, sp->name, describe(S, v));
		return false;
	case AT_BOOL:
		if (v->kind == V_BOOL) {
			a->i = v->i;
			return true;
		}
		diag_error(S->D, v->loc, "%s: argument '%s' expects true or false, got %s",
			   opname, sp->name, describe(S, v));
		return false;
	case AT_PAD:
		if (v->kind == V_SYM || v->kind == V_STR) {
			a->sym = sp->syms ? sym_index(sp->syms, v->s) : -1;
			if (a->sym >= 0)
				return true;
			diag_error(S->D, v->loc, "%s: argument '%s' expects an integer, a list of integers, `same` or `valid`, got %s",
				   opname, sp->name, describe(S, v));
			return false;
		}
		/* fall through */
	case AT_INTS:
	case AT_SHAPE:
		if (v->kind == V_INT && sp->type != AT_SHAPE) {
			a->n = 1;
			a->v[0] = v->i;
			return true;
		}
		if (v->kind == V_LIST) {
			if (v->n < 1 || v->n > SHAPE_MAX_RANK) {
				diag_error(S->D, v->loc, "%s: argument '%s' takes 1 to %d values, got %d",
					   opname, sp->name, SHAPE_MAX_RANK, v->n);
				return false;
			}
			for (int i = 0; i < v->n; i++) {
				if (v->items[i]->kind != V_INT) {
					diag_error(S->D, v->items[i]->loc, "%s: argument '%s' expects integers, got %s",
						   opname, sp->name, describe(S, v->items[i]));
					return false;
				}
				a->v[i] = v->items[i]->i;
			}
			a->n = v->n;
			return true;
		}
		diag_error(S->D, v->loc, "%s: argument '%s' expects %s, got %s", opname, sp->name,
			   sp->type == AT_SHAPE ? "a list of integers" : "an integer or a list of integers",
			   describe(S, v));
		return false;
	case AT_SYM:
	case AT_INIT:
		if (v->kind == V_SYM || v->kind == V_STR) {
			a->sym = sym_index(sp->syms, v->s);
			if (a->sym >= 0)
				return true;
		} else if (sp->type == AT_INIT && val_number(v, &a->f)) {
			return true;
		}
		{
			char list[256];
			size_t k = 0;
			list[0] = 0;
			for (int i = 0; *sym_name(sp->syms, i, buf, sizeof buf) && k < sizeof list - 64; i++)
				k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", buf);
			diag_error(S->D, v->loc, "%s: argument '%s' expects one of %s%s, got %s", opname,
				   sp->name, list, sp->type == AT_INIT ? " or a number" : "", describe(S, v));
		}
		return false;
	}
	return false;
}

/* Match call arguments to an op's schema.  `trainable` is reserved. */
static bool bind_attrs(struct sema *S, enum op op, const struct varg *args, int nargs,
		       struct attr *out, bool *frozen, struct loc at)
{
	const struct op_info *o = &op_table[op];
	bool ok = true, given[64] = { 0 };
	struct loc given_at[64];
	int pos = 0, npos = 0;
	for (int i = 0; i < nargs; i++)
		npos += !args[i].name;
	for (int i = 0; i < nargs; i++) {
		const struct varg *g = &args[i];
		int k;
		if (g->name && strcmp(g->name, "trainable") == 0) {
			if (g->v->kind != V_BOOL) {
				diag_error(S->D, g->v->loc, "'trainable' expects true or false, got %s", describe(S, g->v));
				ok = false;
			} else if (!g->v->i) {
				*frozen = true;
			}
			continue;
		}
		if (g->name) {
			k = op_attr_index(o, g->name);
			if (k < 0) {
				diag_error(S->D, g->name_loc, "%s has no argument '%s'", o->name, g->name);
				const char *c[64];
				for (int j = 0; j < o->nattrs && j < 64; j++)
					c[j] = o->attrs[j].name;
				const char *s = suggest(g->name, c, o->nattrs);
				if (s)
					diag_note(S->D, g->name_loc, "did you mean '%s'?", s);
				ok = false;
				continue;
			}
		} else {
			k = pos++;
			if (k >= o->nattrs) {
				if (k == o->nattrs)
					diag_error(S->D, g->v->loc, "%s takes %d argument%s, got %d", o->name,
						   o->nattrs, o->nattrs == 1 ? "" : "s", npos);
				ok = false;
				continue;
			}
		}
		if (given[k]) {
			diag_error(S->D, g->name ? g->name_loc : g->v->loc,
				   "%s: argument '%s' is given twice", o->name, o->attrs[k].name);
			diag_note(S->D, given_at[k], "first given here");
			ok = false;
			continue;
		}
		given[k] = true;
		given_at[k] = g->name ? g->name_loc : g->v->loc;
		if (!to_attr(S, o->name, &o->attrs[k], g->v, &out[k]))
			ok = false;
	}
	for (int k = 0; k < o->nattrs; k++) {
		if (given[k])
			continue;
		if (!attr_default(&o->attrs[k], &out[k])) {
			diag_error(S->D, at, "%s needs argument '%s'", o->name, o->attrs[k].name);
			ok = false;
		}
		out[k].loc = at;
	}
	return ok;
}

/* Inputs of a layer: tensors, or lists of tensors flattened one level. */
static int collect_inputs(struct sema *S, struct value **in, int nin, struct node **out, int max,
			  bool *poisoned, const char *what, struct loc at)
{
	int n = 0;
	for (int i = 0; i < nin; i++) {
		struct value *v = in[i];
		int cnt = v->kind == V_LIST ? v->n : 1;
		for (int j = 0; j < cnt; j++) {
			struct value *t = v->kind == V_LIST ? v->items[j] : v;
			if (t->kind == V_ERROR) {
				*poisoned = true;
				continue;
			}
			if (t->kind != V_TENSOR) {
				diag_error(S->D, t->loc, "%s expects tensor inputs, got %s", what, describe(S, t));
				inst_notes(S);
				*poisoned = true;
				continue;
			}
			if (n >= max) {
				diag_error(S->D, at, "%s has more than %d inputs", what, max);
				*poisoned = true;
				return n;
			}
			out[n++] = t->node;
		}
	}
	return n;
}

enum { MAX_INPUTS = 1024 };

/* Number of tensors in values that may be lists (flattened one level). */
static int count_flat(struct value **in, int nin)
{
	int n = 0;
	for (int i = 0; i < nin; i++)
		n += in[i]->kind == V_LIST ? in[i]->n : 1;
	return n < MAX_INPUTS ? n : MAX_INPUTS;
}

static struct value *apply_op(struct sema *S, enum op op, struct value **in, int nin,
			      const struct varg *args, int nargs, struct loc at)
{
	const struct op_info *o = &op_table[op];
	int cap = count_flat(in, nin);
	struct node **ins = arena_array(S->A, (size_t)(cap ? cap : 1), sizeof *ins);
	bool poisoned = false, frozen = false;
	int n = collect_inputs(S, in, nin, ins, cap, &poisoned, o->name, at);
	struct attr *attrs = arena_array(S->A, (size_t)(o->nattrs ? o->nattrs : 1), sizeof *attrs);
	if (!bind_attrs(S, op, args, nargs, attrs, &frozen, at) || poisoned)
		return val_error(S->A, at);
	if (n < o->min_in || (o->max_in >= 0 && n > o->max_in)) {
		if (o->min_in == o->max_in)
			diag_error(S->D, at, "%s takes %d input%s, got %d", o->name, o->min_in,
				   o->min_in == 1 ? "" : "s", n);
		else
			diag_error(S->D, at, "%s takes at least %d inputs, got %d", o->name, o->min_in, n);
		inst_notes(S);
		return val_error(S->A, at);
	}
	struct shape *shapes = arena_array(S->A, (size_t)(n ? n : 1), sizeof *shapes);
	for (int i = 0; i < n; i++)
		shapes[i] = ins[i]->shape;
	struct op_call c = { op, n, shapes, attrs };
	struct op_err e = { .attr = -1, .input = -1 };
	struct shape out = { 0 };
	if (!o->shape(&c, &out, &e)) {
		struct loc l = e.attr >= 0 && attrs[e.attr].set && attrs[e.attr].loc.file >= 0 &&
			       attrs[e.attr].loc.line ? attrs[e.attr].loc : at;
		diag_error(S->D, at, "%s: %s", o->name, e.msg);
		if (l.line != at.line || l.file != at.file)
			diag_note(S->D, l, "argument '%s' is given here", o->attrs[e.attr].name);
		if (e.input >= 0 && e.input < n && n > 1) {
			char b[96];
			const struct node *src = ins[e.input];
			struct loc from = src->loc;
			const char *what = src->name;
			/* A tensor made inside a block used here: point at the use. */
			const struct inst *here = S->scope ? S->scope->inst : NULL;
			for (const struct inst *i = src->inst; i; i = i->parent) {
				/* The first enclosing instance of src whose parent is
				 * also around the error: its call made src. */
				bool common = i->parent == NULL;
				for (const struct inst *h = here; h && !common; h = h->parent)
					common = h == i->parent;
				if (common) {
					from = i->call;
					what = src->let_name ? src->let_name : i->path;
					break;
				}
			}
			diag_note(S->D, from, "input %d %s comes from '%s' here", e.input + 1,
				  shape_str(&src->shape, b, sizeof b), what);
		}
		inst_notes(S);
		return val_error(S->A, at);
	}
	struct node *nd = graph_add(S->g, op, n, ins);
	if (o->nattrs)
		memcpy(nd->attr, attrs, sizeof *attrs * (size_t)o->nattrs);
	nd->shape = out;
	nd->dtype = n > 0 ? ins[0]->dtype : AST_F32;
	nd->loc = at;
	nd->inst = S->scope ? S->scope->inst : NULL;
	nd->frozen = frozen || (S->scope && S->scope->frozen);
	nd->name = unique_name(S, arena_printf(S->A, "%s_%d", o->name, scope_next(S, S->scope, o->name)));
	if (o->params)
		nd->nparams = o->params(&c, &out, nd->params);
	if (o->macs)
		nd->macs = o->macs(&c, &out);
	struct value *v = val_new(S->A, V_TENSOR, at);
	v->node = nd;
	return v;
}

/* ---- blocks and networks ----------------------------------------------- */

static struct value *run_body(struct sema *S, struct env *E, const struct ast *body,
			      const char *cut, bool *cut_found, struct value **inputs, int ninputs,
			      int *next_input, bool is_network);
static bool is_tensorish(const struct value *v);
static struct value *eval_call(struct sema *S, struct env *E, const struct ast *n, bool stage);

static const char *reserved_arg(const char *name)
{
	return name && (strcmp(name, "cut") == 0 || strcmp(name, "trainable") == 0) ? name : NULL;
}

/* Bind a block's or network's parameters from a call's arguments. */
static bool bind_params(struct sema *S, struct env *E, const struct ast *decl,
			const struct varg *args, int nargs, struct loc at)
{
	const struct ast_list *ps = &decl->kids;
	const char *what = decl->kind == AST_BLOCK ? "block" : "network";
	struct value *vals[256] = { 0 };
	bool ok = true;
	int pos = 0, npos = 0;
	for (int i = 0; i < nargs; i++)
		npos += !args[i].name;
	if (ps->n > 256) {
		diag_error(S->D, decl->name_loc, "%s '%s' has more than 256 parameters", what, decl->name);
		return false;
	}
	for (int i = 0; i < nargs; i++) {
		const struct varg *g = &args[i];
		int k = -1;
		if (reserved_arg(g->name))
			continue;
		if (g->name) {
			for (int j = 0; j < ps->n; j++)
				if (strcmp(ps->v[j]->name, g->name) == 0)
					k = j;
			if (k < 0) {
				diag_error(S->D, g->name_loc, "%s '%s' has no parameter '%s'", what, decl->name, g->name);
				const char *c[256];
				for (int j = 0; j < ps->n; j++)
					c[j] = ps->v[j]->name;
				const char *s = suggest(g->name, c, ps->n);
				if (s)
					diag_note(S->D, g->name_loc, "did you mean '%s'?", s);
				diag_note(S->D, decl->name_loc, "%s '%s' is defined here", what, decl->name);
				ok = false;
				continue;
			}
		} else {
			k = pos++;
			if (k >= ps->n) {
				if (k == ps->n) {
					diag_error(S->D, g->v->loc, "%s '%s' takes %d parameter%s, got %d", what,
						   decl->name, ps->n, ps->n == 1 ? "" : "s", npos);
					diag_note(S->D, decl->name_loc, "%s '%s' is defined here", what, decl->name);
				}
				ok = false;
				continue;
			}
		}
		if (vals[k]) {
			diag_error(S->D, g->name ? g->name_loc : g->v->loc, "parameter '%s' of %s '%s' is given twice",
				   ps->v[k]->name, what, decl->name);
			ok = false;
			continue;
		}
		vals[k] = g->v;
	}
	/* Defaults are evaluated in the block's own environment, in order, so
	 * a default may use the parameters before it. */
	for (int k = 0; k < ps->n; k++) {
		const struct ast *p = ps->v[k];
		if (!vals[k]) {
			if (!p->a) {
				diag_error(S->D, at, "%s '%s' needs parameter '%s'", what, decl->name, p->name);
				diag_note(S->D, p->name_loc, "parameter '%s' is declared here", p->name);
				ok = false;
				vals[k] = val_error(S->A, at);
			} else {
				vals[k] = eval(S, E, p->a);
			}
		}
		env_bind(S, E, p->name, vals[k], p->name_loc);
	}
	return ok;
}

static bool decl_on_stack(struct sema *S, const struct ast *decl, int *at)
{
	for (int i = 0; i < S->nframes; i++)
		if (S->frames[i].decl == decl) {
			*at = i;
			return true;
		}
	return false;
}

/* Instantiate a block or network with arguments on input tensors.  With
 * no inputs, a network creates its own input nodes (the graph's inputs). */
static struct value *instantiate(struct sema *S, const struct ast *decl, struct module *mod,
				 const struct varg *args, int nargs, struct value **in, int nin,
				 struct loc at)
{
	const char *what = decl->kind == AST_BLOCK ? "block" : "network";
	int first;
	if (decl_on_stack(S, decl, &first)) {
		char chain[1024];
		size_t k = 0;
		for (int i = first; i < S->nframes && k < sizeof chain - 80; i++)
			k += (size_t)snprintf(chain + k, sizeof chain - k, "%s -> ", S->frames[i].decl->name);
		snprintf(chain + k, sizeof chain - k, "%s", decl->name);
		diag_error(S->D, at, "%s '%s' uses itself: %s", what, decl->name, chain);
		diag_note(S->D, decl->name_loc, "%s '%s' is defined here", what, decl->name);
		return val_error(S->A, at);
	}
	if (S->nframes > SEMA_INST_DEPTH_MAX) {
		diag_error(S->D, at, "blocks are nested more than %d deep", SEMA_INST_DEPTH_MAX);
		return val_error(S->A, at);
	}
	/* Flatten list inputs and check them. */
	int cap = count_flat(in, nin);
	struct value **ins = arena_array(S->A, (size_t)(cap ? cap : 1), sizeof *ins);
	int n = 0;
	for (int i = 0; i < nin; i++) {
		struct value *v = in[i];
		int cnt = v->kind == V_LIST ? v->n : 1;
		for (int j = 0; j < cnt && n < cap; j++) {
			struct value *t = v->kind == V_LIST ? v->items[j] : v;
			if (t->kind == V_ERROR)
				return val_error(S->A, at);
			if (t->kind != V_TENSOR) {
				diag_error(S->D, t->loc, "%s '%s' expects tensor inputs, got %s", what,
					   decl->name, describe(S, t));
				return val_error(S->A, at);
			}
			ins[n++] = t;
		}
	}
	const char *cut = NULL;
	struct loc cut_loc = at;
	bool frozen = false;
	for (int i = 0; i < nargs; i++) {
		const struct varg *g = &args[i];
		if (!g->name)
			continue;
		if (strcmp(g->name, "cut") == 0) {
			if (decl->kind != AST_NETWORK) {
				diag_error(S->D, g->name_loc, "'cut' applies to networks; '%s' is a block", decl->name);
				return val_error(S->A, at);
			}
			if (g->v->kind != V_STR && g->v->kind != V_SYM) {
				diag_error(S->D, g->v->loc, "'cut' expects the name of a binding in network '%s', got %s",
					   decl->name, describe(S, g->v));
				return val_error(S->A, at);
			}
			cut = g->v->s;
			cut_loc = g->v->loc;
		} else if (strcmp(g->name, "trainable") == 0) {
			if (g->v->kind != V_BOOL) {
				diag_error(S->D, g->v->loc, "'trainable' expects true or false, got %s", describe(S, g->v));
				return val_error(S->A, at);
			}
			frozen = !g->v->i;
		}
	}
	if (decl->kind == AST_BLOCK && n != decl->kids2.n) {
		diag_error(S->D, at, "block '%s' takes %d input%s, got %d", decl->name, decl->kids2.n,
			   decl->kids2.n == 1 ? "" : "s", n);
		diag_note(S->D, decl->name_loc, "block '%s' is defined here", decl->name);
		inst_notes(S);
		return val_error(S->A, at);
	}

	struct env *E = env_new(S, NULL, mod, false);
	S->frames = arena_grow(S->A, S->frames, &S->capframes, S->nframes, sizeof *S->frames);
	S->frames[S->nframes++] = (struct inst_frame){ decl, at };
	bool ok = bind_params(S, E, decl, args, nargs, at);

	/* A nested naming scope, unless this is the top network of a graph. */
	struct scope *outer = S->scope;
	struct scope *sc = arena_alloc(S->A, sizeof *sc);
	sc->parent = outer;
	sc->frozen = frozen || (outer && outer->frozen);
	if (n > 0 || decl->kind == AST_BLOCK) {
		struct inst *I = arena_alloc(S->A, sizeof *I);
		I->kind = what;
		I->name = decl->name;
		I->parent = outer ? outer->inst : NULL;
		const char *base = arena_printf(S->A, "%s_%d", decl->name,
						outer ? scope_next(S, outer, decl->name) : 1);
		I->path = I->parent ? arena_printf(S->A, "%s/%s", I->parent->path, base) : base;
		I->call = at;
		I->def = decl->name_loc;
		I->frozen = sc->frozen;
		sc->inst = I;
	}
	S->scope = sc;

	struct value *result = NULL;
	if (ok) {
		if (decl->kind == AST_BLOCK)
			for (int i = 0; i < n; i++)
				env_bind(S, E, decl->kids2.v[i]->name, ins[i], decl->kids2.v[i]->name_loc);
		bool found = false;
		int next_input = 0;
		result = run_body(S, E, decl->a, cut, &found, decl->kind == AST_NETWORK ? ins : NULL,
				  n, &next_input, decl->kind == AST_NETWORK);
		if (decl->kind == AST_NETWORK && n == 0 && next_input == 0 && result->kind != V_ERROR) {
			diag_error(S->D, decl->name_loc, "network '%s' declares no input", decl->name);
			diag_note(S->D, decl->name_loc, "declare one with 'input x : f32[C, H, W]'");
			result = val_error(S->A, at);
		}
		if (result->kind != V_ERROR && !is_tensorish(result)) {
			/* Point at the statement that gives the output. */
			const struct ast_list *st = &decl->a->kids;
			struct loc where = st->n ? st->v[st->n - 1]->loc : decl->name_loc;
			for (int i = 0; i < st->n; i++)
				if (st->v[i]->kind == AST_RETURN) {
					where = st->v[i]->loc;
					break;
				}
			diag_error(S->D, where, "%s '%s' must output tensors, got %s", what, decl->name,
				   describe(S, result));
			inst_notes(S);
			result = val_error(S->A, at);
		}
		if (decl->kind == AST_NETWORK && n > 0 && next_input != n && result->kind != V_ERROR) {
			diag_error(S->D, at, "network '%s' takes %d input%s, got %d", decl->name, next_input,
				   next_input == 1 ? "" : "s", n);
			diag_note(S->D, decl->name_loc, "network '%s' is defined here", decl->name);
			result = val_error(S->A, at);
		}
		if (cut && !found && result->kind != V_ERROR) {
			diag_error(S->D, cut_loc, "network '%s' has no binding '%s' to cut at", decl->name, cut);
			const char *c[512];
			int nc = 0;
			for (int i = 0; i < decl->a->kids.n && nc < 512; i++)
				if (decl->a->kids.v[i]->kind == AST_LET)
					c[nc++] = decl->a->kids.v[i]->name;
			const char *s = suggest(cut, c, nc);
			if (s)
				diag_note(S->D, cut_loc, "did you mean '%s'?", s);
			diag_note(S->D, decl->name_loc, "network '%s' is defined here", decl->name);
			result = val_error(S->A, at);
		}
	} else {
		result = val_error(S->A, at);
	}
	S->scope = outer;
	S->nframes--;
	return result;
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
			return apply_op(S, L->op, all, n, L->args, L->nargs, at);
		return instantiate(S, L->decl, L->mod, L->args, L->nargs, all, n, at);
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
		unknown_layer(S, E, v->s, n->loc);
		return NULL;
	}
	if (v->kind == V_TENSOR)
		diag_error(S->D, n->loc, "%s is not a layer; merge tensors with add(...) or concat(...)",
			   describe(S, v));
	else
		diag_error(S->D, n->loc, "expected a layer, got %s", describe(S, v));
	inst_notes(S);
	return NULL;
}

static bool is_tensorish(const struct value *v)
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
		struct value *v = eval_call(S, E, n, true);
		S->depth--;
		return v;
	}
	return eval(S, E, n);
}

/* a => b => c */
static struct value *eval_chain(struct sema *S, struct env *E, const struct ast *n)
{
	struct value *v = eval(S, E, n->kids.v[0]);
	if (E->section && v->kind != V_TENSOR && v->kind != V_LAYER && v->kind != V_LIST) {
		/* augment = crop(224) => random_flip; schedule = warmup(5) => plateau(...) */
		struct value *p = val_new(S->A, V_LIST, n->loc);
		p->pipeline = true;
		p->items = arena_array(S->A, (size_t)n->kids.n, sizeof *p->items);
		p->items[p->n++] = v;
		for (int i = 1; i < n->kids.n; i++) {
			struct value *s = eval(S, E, n->kids.v[i]);
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
				bind_attrs(S, L->op, L->args, L->nargs, attrs, &frozen, n->kids.v[i]->loc);
			}
		}
		return v;
	}
	if (v->kind == V_LAYER || v->kind == V_SYM) {
		/* A chain of layers is itself a layer. */
		struct layer *L = layer_new(S, L_CHAIN, "chain");
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
		return ok ? layer_value(S, L, n->loc) : val_error(S->A, n->loc);
	}
	if (!is_tensorish(v)) {
		diag_error(S->D, n->kids.v[0]->loc, "a chain starts with a tensor or a layer, got %s",
			   describe(S, v));
		inst_notes(S);
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
		a[i].v = eval(S, E, g->a);
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
		diag_error(S->D, v->loc, "%s expects an integer, got %s", fn, describe(S, v));
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
			diag_error(S->D, a[0].v->loc, "dim expects a tensor, got %s", describe(S, a[0].v));
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
			diag_error(S->D, a[0].v->loc, "len expects a list or a string, got %s", describe(S, a[0].v));
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
				diag_error(S->D, a[i].v->loc, "%s expects numbers, got %s", fn, describe(S, a[i].v));
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
		struct layer *R = layer_new(S, L_REPEAT, "repeat");
		R->stages = arena_alloc(S->A, sizeof *R->stages);
		R->stages[0] = L;
		R->nstages = 1;
		R->count = cnt;
		return layer_value(S, R, at);
	}
	}
	return NULL;
}

/* A call.  As a chain stage (`y => add(s)`), tensors given in the call
 * wait for the flowing tensor instead of being applied at once. */
static struct value *eval_call(struct sema *S, struct env *E, const struct ast *n, bool stage)
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
	struct value *cv = eval(S, E, fn);
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
		unknown_layer(S, E, cv->s, fn->loc);
		return val_error(S->A, n->loc);
	}
	if (cv->kind != V_LAYER) {
		diag_error(S->D, fn->loc, "%s cannot be called", describe(S, cv));
		inst_notes(S);
		return val_error(S->A, n->loc);
	}
	if (err)
		return val_error(S->A, n->loc);
	struct layer *base = cv->layer;
	/* Leading positional tensors are inputs: add(y, s), residual(64)(x). */
	int k = 0;
	while (k < n->kids.n && !args[k].name && is_tensorish(args[k].v))
		k++;
	bool fresh = (base->kind == L_OP || base->kind == L_DECL) && !base->nargs && !base->ninputs;
	if (!fresh) {
		if (k != n->kids.n) {
			diag_error(S->D, n->loc, "'%s' already has its arguments; call it with tensors only",
				   base->name);
			inst_notes(S);
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
			return layer_value(S, L, n->loc);
		}
		return apply(S, base, ins, k < MAX_INPUTS ? k : MAX_INPUTS, n->loc);
	}
	struct layer *L = layer_new(S, base->kind, base->name);
	L->op = base->op;
	L->decl = base->decl;
	L->mod = base->mod;
	L->args = args + k;
	L->nargs = n->kids.n - k;
	if (k == 0)
		return layer_value(S, L, n->loc);
	struct value **ins = arena_array(S->A, (size_t)k + 1, sizeof *ins);
	for (int i = 0; i < k && i < MAX_INPUTS; i++)
		ins[i] = args[i].v;
	if (stage) {
		L->inputs = ins;
		L->ninputs = k < MAX_INPUTS ? k : MAX_INPUTS;
		return layer_value(S, L, n->loc);
	}
	return apply(S, L, ins, k < MAX_INPUTS ? k : MAX_INPUTS, n->loc);
}

/* ---- arithmetic -------------------------------------------------------- */

static struct value *arith_error(struct sema *S, const struct ast *n, const struct value *a,
				 const struct value *b)
{
	if (b)
		diag_error(S->D, n->loc, "operator '%s' cannot combine %s and %s", ast_op_text(n->op),
			   describe(S, a), describe(S, b));
	else
		diag_error(S->D, n->loc, "operator '%s' cannot be applied to %s", ast_op_text(n->op),
			   describe(S, a));
	inst_notes(S);
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
	struct value *a = eval(S, E, n->a);
	if (n->op == AOP_AND || n->op == AOP_OR) {
		/* Short-circuit, so `c > 0 and 64 // c > 1` is safe. */
		if (a->kind == V_ERROR)
			return a;
		if (a->kind != V_BOOL)
			return arith_error(S, n, a, NULL);
		if ((n->op == AOP_AND) != (a->i != 0))
			return a;
		struct value *b = eval(S, E, n->b);
		if (b->kind != V_BOOL && b->kind != V_ERROR)
			return arith_error(S, n, b, NULL);
		return b;
	}
	struct value *b = eval(S, E, n->b);
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
	struct value *a = eval(S, E, n->a);
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
		struct layer *L = layer_new(S, L_DECL, d->name);
		L->decl = d;
		L->mod = m;
		return layer_value(S, L, n->loc);
	}
	enum op op;
	if (op_lookup(n->name, &op)) {
		struct layer *L = layer_new(S, L_OP, op_table[op].name);
		L->op = op;
		return layer_value(S, L, n->loc);
	}
	if (strcmp(n->name, "world") == 0)
		return val_int(S->A, S->world, n->loc);
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
	nd->name = unique_name(S, name);
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
		struct value *d = eval(S, E, st->kids.v[i]);
		if (d->kind == V_ERROR)
			return d;
		if (d->kind != V_INT || d->i < 1) {
			diag_error(S->D, d->loc, "dimension %d of input '%s' must be a positive integer, got %s",
				   i + 1, st->name, describe(S, d));
			return val_error(S->A, st->loc);
		}
		if (d->i > SHAPE_DIM_MAX) {
			diag_error(S->D, d->loc, "dimension %d of input '%s' must be at most 2^40, got %s",
				   i + 1, st->name, describe(S, d));
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
	nd->name = unique_name(S, st->name);
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
		struct value *d = eval(S, E, st->kids.v[i]);
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

static struct value *run_body(struct sema *S, struct env *E, const struct ast *body,
			      const char *cut, bool *cut_found, struct value **inputs, int ninputs,
			      int *next_input, bool is_network)
{
	struct value *last = NULL;
	for (int i = 0; i < body->kids.n && !S->D->stopped; i++) {
		const struct ast *st = body->kids.v[i];
		switch (st->kind) {
		case AST_LET: {
			struct value *v = eval(S, E, st->a);
			name_tensor(S, v, st->name);
			env_bind(S, E, st->name, v, st->name_loc);
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
			return eval(S, E, st->a);
		case AST_EXPR:
			last = eval(S, E, st->a);
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
			env_bind(S, E, st->name, v, st->name_loc);
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
			v->items[v->n++] = eval(S, E, n->kids.v[i]);
		return v;
	}
	case AST_CALL:
		return eval_call(S, E, n, false);
	case AST_MEMBER: {
		/* val.loss in train sections: a dotted symbol. */
		struct value *o = eval(S, E, n->a);
		if (o->kind == V_ERROR)
			return o;
		if (!E->section || o->kind != V_SYM) {
			diag_error(S->D, n->loc, "'.%s' cannot be applied to %s", n->name, describe(S, o));
			inst_notes(S);
			return val_error(S->A, n->loc);
		}
		struct value *v = val_new(S->A, V_SYM, n->loc);
		v->s = arena_printf(S->A, "%s.%s", o->s, n->name);
		return v;
	}
	case AST_INDEX: {
		struct value *o = eval(S, E, n->a), *k = eval(S, E, n->b);
		if (o->kind == V_ERROR || k->kind == V_ERROR)
			return val_error(S->A, n->loc);
		if (o->kind != V_LIST || o->pipeline) {
			diag_error(S->D, n->a->loc, "only lists can be indexed, got %s", describe(S, o));
			inst_notes(S);
			return val_error(S->A, n->loc);
		}
		if (k->kind != V_INT) {
			diag_error(S->D, k->loc, "a list index must be an integer, got %s", describe(S, k));
			return val_error(S->A, n->loc);
		}
		int64_t i = k->i < 0 ? k->i + o->n : k->i;
		if (i < 0 || i >= o->n) {
			diag_error(S->D, k->loc, "index %" PRId64 " is out of range for a list of %d", k->i, o->n);
			inst_notes(S);
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
		struct value *c = eval(S, E, n->a);
		if (c->kind == V_ERROR)
			return c;
		if (c->kind != V_BOOL) {
			diag_error(S->D, n->a->loc, "the condition of 'if' must be true or false at compile time, got %s",
				   describe(S, c));
			inst_notes(S);
			return val_error(S->A, n->loc);
		}
		return eval(S, E, c->i ? n->b : n->c);
	}
	case AST_BODY: {
		struct env *inner = env_new(S, E, E->mod, E->section);
		bool found = false;
		int next = 0;
		return run_body(S, inner, n, NULL, &found, NULL, 0, &next, false);
	}
	default:
		diag_error(S->D, n->loc, "unexpected %s here", ast_kind_name(n->kind));
		return val_error(S->A, n->loc);
	}
}

static struct value *eval(struct sema *S, struct env *E, const struct ast *n)
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

/* ---- top level --------------------------------------------------------- */

void sema_init(struct sema *S, struct arena *A, struct diag_ctx *D,
	       const char *const *dirs, int ndirs, const char *stdlib_dir)
{
	memset(S, 0, sizeof *S);
	S->A = A;
	S->D = D;
	S->world = 1;
	loader_init(&S->L, A, D);
	for (int i = 0; i < ndirs; i++)
		loader_add_dir(&S->L, dirs[i]);
	loader_add_path_list(&S->L, getenv("NETC_PATH"));
	loader_add_dir(&S->L, stdlib_dir);
}

bool sema_load(struct sema *S, const char *path)
{
	S->main = module_load(&S->L, path, loc_none());
	return S->main != NULL;
}

bool sema_load_text(struct sema *S, const char *path, const char *text, size_t len)
{
	S->main = module_load_text(&S->L, path, text, len);
	return S->main != NULL;
}

struct graph *sema_network(struct sema *S, const struct ast *decl, struct module *mod,
			   const struct varg *args, int nargs, struct loc at)
{
	struct graph *g = graph_new(S->A, decl->name);
	g->loc = decl->name_loc;
	struct graph *saved_g = S->g;
	struct strmap saved_names = S->names;
	struct scope *saved_scope = S->scope;
	S->g = g;
	S->names = (struct strmap){ 0 };
	S->scope = NULL;
	int errors = S->D->nerrors;
	struct value *out = instantiate(S, decl, mod, args, nargs, NULL, 0, at);
	S->g = saved_g;
	S->names = saved_names;
	S->scope = saved_scope;
	if (out->kind == V_ERROR || S->D->nerrors > errors)
		return NULL;
	int cnt = out->kind == V_LIST ? out->n : 1;
	for (int i = 0; i < cnt; i++) {
		struct value *t = out->kind == V_LIST ? out->items[i] : out;
		if (t->kind != V_TENSOR) {
			diag_error(S->D, t->loc, "network '%s' must output tensors, got %s", decl->name,
				   describe(S, t));
			return NULL;
		}
		graph_add_output(g, t->node);
	}
	/* Bindings the output does not use (a `let` left over, the head a cut
	 * skips) are not part of the network. */
	graph_prune(g);
	if (g->ninputs == 0) {
		diag_error(S->D, decl->name_loc, "network '%s' declares no input", decl->name);
		diag_note(S->D, decl->name_loc, "declare one with 'input x : f32[C, H, W]'");
		return NULL;
	}
	const char *bad = graph_verify(g);
	if (bad) {
		diag_error(S->D, decl->name_loc, "internal error: invalid graph for '%s': %s", decl->name, bad);
		return NULL;
	}
	return g;
}

/* A network with defaults for all parameters, instantiated once. */
static struct graph *default_graph(struct sema *S, const struct ast *d, struct module *m)
{
	struct graph *g = strmap_get(&S->graphs, d->name);
	if (g)
		return g;
	g = sema_network(S, d, m, NULL, 0, d->name_loc);
	if (g)
		strmap_put(S->A, &S->graphs, d->name, g);
	return g;
}

static bool all_defaults(const struct ast *d)
{
	for (int i = 0; i < d->kids.n; i++)
		if (!d->kids.v[i]->a)
			return false;
	return true;
}

static struct section *eval_section(struct sema *S, struct module *m, const struct ast *d)
{
	struct section *sec = arena_alloc(S->A, sizeof *sec);
	struct env *E = env_new(S, NULL, m, true);
	sec->decl = d;
	sec->n = d->kids.n;
	sec->fields = arena_array(S->A, (size_t)(sec->n ? sec->n : 1), sizeof *sec->fields);
	sec->values = arena_array(S->A, (size_t)(sec->n ? sec->n : 1), sizeof *sec->values);
	for (int i = 0; i < d->kids.n; i++) {
		sec->fields[i] = d->kids.v[i];
		sec->values[i] = eval(S, E, d->kids.v[i]->a);
	}
	return sec;
}

static struct data_info *check_data(struct sema *S, struct module *m, const struct ast *d)
{
	struct data_info *di = strmap_get(&S->data, d->name);
	if (di)
		return di;
	di = arena_alloc(S->A, sizeof *di);
	struct section *sec = eval_section(S, m, d);
	di->decl = d;
	if (!schema_check_data(S->D, S->A, sec, di)) {
		/* What a broken section says is not to be checked against. */
		di->sample.rank = 0;
		di->nclasses = 0;
	}
	strmap_put(S->A, &S->data, d->name, di);
	return di;
}

static int field_index(const struct section *sec, const char *name)
{
	for (int i = 0; i < sec->n; i++)
		if (strcmp(sec->fields[i]->name, name) == 0)
			return i;
	return -1;
}

/* The network a train section names: `network = chexnet(classes = 14)`. */
static struct graph *train_network(struct sema *S, struct module *m, const struct section *sec)
{
	int k = field_index(sec, "network");
	if (k < 0)
		return NULL;   /* schema_check_train reports the missing field */
	struct value *v = sec->values[k];
	if (v->kind == V_ERROR)
		return NULL;
	if (v->kind == V_SYM || v->kind == V_RECORD) {
		diag_error(S->D, v->loc, "unknown network '%s'", v->s);
		const char *c[512];
		int nc = 0;
		for (int i = 0; i < m->ndecls && nc < 512; i++)
			if (m->order[i]->kind == AST_NETWORK)
				c[nc++] = m->order[i]->name;
		for (int j = 0; j < m->nimports; j++)
			for (int i = 0; i < m->imports[j]->ndecls && nc < 512; i++)
				if (m->imports[j]->order[i]->kind == AST_NETWORK)
					c[nc++] = m->imports[j]->order[i]->name;
		const char *s = suggest(v->s, c, nc);
		if (s)
			diag_note(S->D, v->loc, "did you mean '%s'?", s);
		return NULL;
	}
	if (v->kind != V_LAYER || v->layer->kind != L_DECL || v->layer->decl->kind != AST_NETWORK) {
		diag_error(S->D, v->loc, "field 'network' expects a network, got %s", describe(S, v));
		return NULL;
	}
	const struct layer *L = v->layer;
	if (!L->nargs)
		return all_defaults(L->decl) ? default_graph(S, L->decl, L->mod)
					     : sema_network(S, L->decl, L->mod, NULL, 0, v->loc);
	return sema_network(S, L->decl, L->mod, L->args, L->nargs, v->loc);
}

static void check_train(struct sema *S, struct module *m, const struct ast *d)
{
	struct section *sec = eval_section(S, m, d);
	struct graph *g = train_network(S, m, sec);
	struct data_info *di = NULL;
	int k = field_index(sec, "data");
	if (k >= 0) {
		struct value *v = sec->values[k];
		struct module *dm;
		const struct ast *dd = v->kind == V_SYM ? module_find(m, v->s, &dm) : NULL;
		if (dd && dd->kind == AST_DATA) {
			di = check_data(S, dm, dd);
		} else if (v->kind != V_ERROR) {
			diag_error(S->D, v->loc, "field 'data' expects the name of a data section, got %s",
				   describe(S, v));
			const char *c[512];
			int nc = 0;
			for (int i = 0; i < m->ndecls && nc < 512; i++)
				if (m->order[i]->kind == AST_DATA)
					c[nc++] = m->order[i]->name;
			const char *s = v->kind == V_SYM ? suggest(v->s, c, nc) : NULL;
			if (s)
				diag_note(S->D, v->loc, "did you mean '%s'?", s);
		}
	}
	if (g && di && di->sample.rank > 0 && g->ninputs > 0) {
		const struct shape *in = &g->inputs[0]->shape;
		if (!shape_eq(in, &di->sample)) {
			char a[96], b[96];
			diag_error(S->D, sec->fields[k]->a->loc,
				   "data '%s' gives samples of shape %s but network '%s' takes %s",
				   di->decl->name, shape_str(&di->sample, a, sizeof a), g->name,
				   shape_str(in, b, sizeof b));
			diag_note(S->D, g->inputs[0]->loc, "the network's input is declared here");
			if (di->decode_loc.file >= 0 && di->decode_loc.line)
				diag_note(S->D, di->decode_loc, "the samples are decoded here");
		}
	}
	schema_check_train(S->D, S->A, sec, g, di);
}

void sema_check(struct sema *S)
{
	struct module *m = S->main;
	/* After syntax errors the tree has holes (a `let` that did not parse
	 * leaves its name unbound): checking it would only report follow-on
	 * errors. */
	if (S->D->nerrors)
		return;
	for (int i = 0; i < m->ndecls && !S->D->stopped; i++) {
		const struct ast *d = m->order[i];
		enum op op;
		if ((d->kind == AST_BLOCK || d->kind == AST_NETWORK) && op_lookup(d->name, &op)) {
			diag_error(S->D, d->name_loc, "%s '%s' has the name of a built-in layer",
				   d->kind == AST_BLOCK ? "block" : "network", d->name);
			continue;
		}
		if (d->kind == AST_NETWORK && all_defaults(d))
			default_graph(S, d, m);
		else if (d->kind == AST_DATA)
			check_data(S, m, d);
	}
	for (int i = 0; i < m->ndecls && !S->D->stopped; i++)
		if (m->order[i]->kind == AST_TRAIN)
			check_train(S, m, m->order[i]);
}

struct graph *sema_select(struct sema *S, const char *name)
{
	struct module *m = S->main, *dm = m;
	const struct ast *d = NULL;
	if (S->D->nerrors)
		return NULL;
	if (name) {
		d = module_find(m, name, &dm);
		if (!d || (d->kind != AST_NETWORK && d->kind != AST_TRAIN)) {
			diag_error(S->D, loc_none(), "'%s' is not a network or train section of '%s'", name, m->path);
			const char *c[512];
			int nc = 0;
			for (int i = 0; i < m->ndecls && nc < 512; i++)
				if (m->order[i]->kind == AST_NETWORK || m->order[i]->kind == AST_TRAIN)
					c[nc++] = m->order[i]->name;
			const char *s = suggest(name, c, nc);
			if (s)
				diag_note(S->D, loc_none(), "did you mean '%s'?", s);
			return NULL;
		}
	} else {
		for (int i = 0; i < m->ndecls && !d; i++)
			if (m->order[i]->kind == AST_TRAIN)
				d = m->order[i];
		for (int i = m->ndecls - 1; i >= 0 && !d; i--)
			if (m->order[i]->kind == AST_NETWORK)
				d = m->order[i];
		if (!d) {
			diag_error(S->D, loc_none(), "'%s' has no network", m->path);
			return NULL;
		}
	}
	if (d->kind == AST_TRAIN)
		return train_network(S, dm, eval_section(S, dm, d));
	if (!all_defaults(d)) {
		for (int i = 0; i < d->kids.n; i++)
			if (!d->kids.v[i]->a) {
				diag_error(S->D, d->name_loc, "network '%s' needs a value for parameter '%s'; name a train section that gives one",
					   d->name, d->kids.v[i]->name);
				return NULL;
			}
	}
	return default_graph(S, d, dm);
}
