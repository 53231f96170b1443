/* sema.c - semantic analysis at the top level: loading a file and its
 * imports, checking every network (with its defaults), data and train
 * section, and choosing the graph `netc summary` and `netc graph` print.
 * The evaluator itself is eval.c and inst.c. */
#include "eval.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	struct value *out = sema_instantiate(S, decl, mod, args, nargs, NULL, 0, at);
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
				   sema_describe(S, t));
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
	struct env *E = sema_env_new(S, NULL, m, true);
	sec->decl = d;
	sec->n = d->kids.n;
	sec->fields = arena_array(S->A, (size_t)(sec->n ? sec->n : 1), sizeof *sec->fields);
	sec->values = arena_array(S->A, (size_t)(sec->n ? sec->n : 1), sizeof *sec->values);
	for (int i = 0; i < d->kids.n; i++) {
		sec->fields[i] = d->kids.v[i];
		sec->values[i] = sema_eval(S, E, d->kids.v[i]->a);
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
		diag_error(S->D, v->loc, "field 'network' expects a network, got %s", sema_describe(S, v));
		return NULL;
	}
	const struct layer *L = v->layer;
	if (!L->nargs)
		return all_defaults(L->decl) ? default_graph(S, L->decl, L->mod)
					     : sema_network(S, L->decl, L->mod, NULL, 0, v->loc);
	return sema_network(S, L->decl, L->mod, L->args, L->nargs, v->loc);
}

static struct train_info *check_train(struct sema *S, struct module *m, const struct ast *d)
{
	int errors = S->D->nerrors;
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
				   sema_describe(S, v));
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
	if (S->D->nerrors > errors || !g)
		return NULL;
	struct train_info *t = arena_alloc(S->A, sizeof *t);
	t->decl = d;
	t->sec = sec;
	t->net = g;
	t->data = di;
	t->world = S->world;
	t->world_used = S->world_used;
	return t;
}

/* The declaration NAME of the main file, of kind k1 or k2; without NAME
 * the first train section, else (when networks are asked for) the last
 * network.
 * NULL after an error naming what was asked for. */
static const struct ast *pick_decl(struct sema *S, const char *name, enum ast_kind k1,
				   enum ast_kind k2, const char *what, struct module **dm)
{
	struct module *m = S->main;
	const struct ast *d = NULL;
	*dm = m;
	if (name) {
		d = module_find(m, name, dm);
		if (d && (d->kind == k1 || d->kind == k2))
			return d;
		const char *base = strrchr(m->path, '/');
		base = base ? base + 1 : m->path;
		if (base[0] == '<')   /* text made in process (netc repl): no file to name */
			diag_error(S->D, loc_none(), "'%s' is not a %s of this session", name, what);
		else
			diag_error(S->D, loc_none(), "'%s' is not a %s of '%s'", name, what, m->path);
		const char *c[512];
		int nc = 0;
		for (int i = 0; i < m->ndecls && nc < 512; i++)
			if (m->order[i]->kind == k1 || m->order[i]->kind == k2)
				c[nc++] = m->order[i]->name;
		const char *s = suggest(name, c, nc);
		if (s)
			diag_note(S->D, loc_none(), "did you mean '%s'?", s);
		return NULL;
	}
	for (int i = 0; i < m->ndecls && !d; i++)
		if (m->order[i]->kind == AST_TRAIN)
			d = m->order[i];
	bool networks = k1 == AST_NETWORK || k2 == AST_NETWORK;
	for (int i = m->ndecls - 1; i >= 0 && !d && networks; i--)
		if (m->order[i]->kind == AST_NETWORK)
			d = m->order[i];
	if (!d)
		diag_error(S->D, loc_none(), "'%s' has no %s", m->path,
			   networks ? "network" : "train section");
	return d;
}

struct train_info *sema_train(struct sema *S, const char *name)
{
	struct module *dm;
	if (S->D->nerrors)
		return NULL;
	const struct ast *d = pick_decl(S, name, AST_TRAIN, AST_TRAIN, "train section", &dm);
	return d ? check_train(S, dm, d) : NULL;
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
	struct module *dm;
	if (S->D->nerrors)
		return NULL;
	const struct ast *d = pick_decl(S, name, AST_NETWORK, AST_TRAIN, "network or train section", &dm);
	if (!d)
		return NULL;
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
