/* inst.c - applying layers: an op applied to tensors becomes a graph node
 * whose arguments are checked against the op table's schema and whose
 * shape the table infers; a block or network applied to tensors is
 * instantiated (parameters bound, inputs bound, body run) in a naming
 * scope of its own. */
#include "eval.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
			   opname, sp->name, sema_describe(S, v));
		return false;
	case AT_FLOAT:
		if (val_number(v, &a->f))
			return true;
		diag_error(S->D, v->loc, "%s: argument '%s' expects a number, got %s",
			   opname, sp->name, sema_describe(S, v));
		return false;
	case AT_BOOL:
		if (v->kind == V_BOOL) {
			a->i = v->i;
			return true;
		}
		diag_error(S->D, v->loc, "%s: argument '%s' expects true or false, got %s",
			   opname, sp->name, sema_describe(S, v));
		return false;
	case AT_PAD:
		if (v->kind == V_SYM || v->kind == V_STR) {
			a->sym = sp->syms ? sym_index(sp->syms, v->s) : -1;
			if (a->sym >= 0)
				return true;
			diag_error(S->D, v->loc, "%s: argument '%s' expects an integer, a list of integers, `same` or `valid`, got %s",
				   opname, sp->name, sema_describe(S, v));
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
						   opname, sp->name, sema_describe(S, v->items[i]));
					return false;
				}
				a->v[i] = v->items[i]->i;
			}
			a->n = v->n;
			return true;
		}
		diag_error(S->D, v->loc, "%s: argument '%s' expects %s, got %s", opname, sp->name,
			   sp->type == AT_SHAPE ? "a list of integers" : "an integer or a list of integers",
			   sema_describe(S, v));
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
				   sp->name, list, sp->type == AT_INIT ? " or a number" : "", sema_describe(S, v));
		}
		return false;
	}
	return false;
}

/* Match call arguments to an op's schema.  `trainable` is reserved. */
bool sema_bind_attrs(struct sema *S, enum op op, const struct varg *args, int nargs,
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
				diag_error(S->D, g->v->loc, "'trainable' expects true or false, got %s", sema_describe(S, g->v));
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
				diag_error(S->D, t->loc, "%s expects tensor inputs, got %s", what, sema_describe(S, t));
				sema_inst_notes(S);
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


/* Number of tensors in values that may be lists (flattened one level). */
int sema_count_flat(struct value **in, int nin)
{
	int n = 0;
	for (int i = 0; i < nin; i++)
		n += in[i]->kind == V_LIST ? in[i]->n : 1;
	return n < MAX_INPUTS ? n : MAX_INPUTS;
}

struct value *sema_apply_op(struct sema *S, enum op op, struct value **in, int nin,
			      const struct varg *args, int nargs, struct loc at)
{
	const struct op_info *o = &op_table[op];
	int cap = sema_count_flat(in, nin);
	struct node **ins = arena_array(S->A, (size_t)(cap ? cap : 1), sizeof *ins);
	bool poisoned = false, frozen = false;
	int n = collect_inputs(S, in, nin, ins, cap, &poisoned, o->name, at);
	struct attr *attrs = arena_array(S->A, (size_t)(o->nattrs ? o->nattrs : 1), sizeof *attrs);
	if (!sema_bind_attrs(S, op, args, nargs, attrs, &frozen, at) || poisoned)
		return val_error(S->A, at);
	if (n < o->min_in || (o->max_in >= 0 && n > o->max_in)) {
		if (o->min_in == o->max_in)
			diag_error(S->D, at, "%s takes %d input%s, got %d", o->name, o->min_in,
				   o->min_in == 1 ? "" : "s", n);
		else
			diag_error(S->D, at, "%s takes at least %d inputs, got %d", o->name, o->min_in, n);
		sema_inst_notes(S);
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
		sema_inst_notes(S);
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
	nd->name = sema_unique_name(S, arena_printf(S->A, "%s_%d", o->name, sema_scope_next(S, S->scope, o->name)));
	if (o->params)
		nd->nparams = o->params(&c, &out, nd->params);
	if (o->macs)
		nd->macs = o->macs(&c, &out);
	struct value *v = val_new(S->A, V_TENSOR, at);
	v->node = nd;
	return v;
}

/* ---- blocks and networks ----------------------------------------------- */


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
				vals[k] = sema_eval(S, E, p->a);
			}
		}
		sema_env_bind(S, E, p->name, vals[k], p->name_loc);
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
struct value *sema_instantiate(struct sema *S, const struct ast *decl, struct module *mod,
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
	int cap = sema_count_flat(in, nin);
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
					   decl->name, sema_describe(S, t));
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
					   decl->name, sema_describe(S, g->v));
				return val_error(S->A, at);
			}
			cut = g->v->s;
			cut_loc = g->v->loc;
		} else if (strcmp(g->name, "trainable") == 0) {
			if (g->v->kind != V_BOOL) {
				diag_error(S->D, g->v->loc, "'trainable' expects true or false, got %s", sema_describe(S, g->v));
				return val_error(S->A, at);
			}
			frozen = !g->v->i;
		}
	}
	if (decl->kind == AST_BLOCK && n != decl->kids2.n) {
		diag_error(S->D, at, "block '%s' takes %d input%s, got %d", decl->name, decl->kids2.n,
			   decl->kids2.n == 1 ? "" : "s", n);
		diag_note(S->D, decl->name_loc, "block '%s' is defined here", decl->name);
		sema_inst_notes(S);
		return val_error(S->A, at);
	}

	struct env *E = sema_env_new(S, NULL, mod, false);
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
						outer ? sema_scope_next(S, outer, decl->name) : 1);
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
				sema_env_bind(S, E, decl->kids2.v[i]->name, ins[i], decl->kids2.v[i]->name_loc);
		bool found = false;
		int next_input = 0;
		result = sema_run_body(S, E, decl->a, cut, &found, decl->kind == AST_NETWORK ? ins : NULL,
				  n, &next_input, decl->kind == AST_NETWORK);
		if (decl->kind == AST_NETWORK && n == 0 && next_input == 0 && result->kind != V_ERROR) {
			diag_error(S->D, decl->name_loc, "network '%s' declares no input", decl->name);
			diag_note(S->D, decl->name_loc, "declare one with 'input x : f32[C, H, W]'");
			result = val_error(S->A, at);
		}
		if (result->kind != V_ERROR && !sema_is_tensorish(result)) {
			/* Point at the statement that gives the output. */
			const struct ast_list *st = &decl->a->kids;
			struct loc where = st->n ? st->v[st->n - 1]->loc : decl->name_loc;
			for (int i = 0; i < st->n; i++)
				if (st->v[i]->kind == AST_RETURN) {
					where = st->v[i]->loc;
					break;
				}
			diag_error(S->D, where, "%s '%s' must output tensors, got %s", what, decl->name,
				   sema_describe(S, result));
			sema_inst_notes(S);
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
