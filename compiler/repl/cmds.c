/* cmds.c - the REPL's :commands, one function each, and the table that
 * :help prints.  Each works on a fresh front end over the definitions in
 * force (session.c), so nothing a command does changes them. */
#include "config.h"
#include "repl/cmds.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "data.h"
#include "graph.h"
#include "philox.h"
#include "program.h"
#include "shape.h"

typedef int cmd_fn(struct repl *R, char *args, bool *quit);

struct cmd {
	const char *name, *args, *help;
	cmd_fn *fn;
};

static const struct cmd *find(const char *name);

/* The next word of *s (NUL-terminated in place), or NULL. */
static char *word(char **s)
{
	char *p = *s + strspn(*s, " \t"), *w;
	if (!*p)
		return *s = p, NULL;
	w = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = 0;
	*s = p;
	return w;
}

static int usage(const char *name)
{
	const struct cmd *c = find(name);
	fprintf(stderr, "usage: :%s %s\n", c->name, c->args);
	return 1;
}

/* ---------------------------------------------------------------- files */

int repl_load(struct repl *R, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t cap = 0, n = 0;
	int rc;

	if (!f) {
		fprintf(stderr, "netc repl: cannot read '%s': %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *t = realloc(text, cap = 2 * cap + 8192);
			if (!t) {
				fclose(f);
				free(text);
				fputs("netc repl: out of memory\n", stderr);
				return 1;
			}
			text = t;
		}
		size_t k = fread(text + n, 1, 4096, f);
		n += k;
		if (k < 4096)
			break;
	}
	fclose(f);
	text[n] = 0;
	/* each definition keeps `path` as its origin: its data paths and
	 * imports start from path's folder (diag_origin) */
	rc = repl_define(R, text, path, 1);
	free(text);
	return rc;
}

static int cmd_load(struct repl *R, char *args, bool *quit)
{
	char *f = word(&args);
	(void)quit;
	return f ? repl_load(R, f) : usage("load");
}

/* ---------------------------------------------------------------- inspecting */

static int cmd_list(struct repl *R, char *args, bool *quit)
{
	(void)args, (void)quit;
	if (!R->defs.n)
		puts("(no definitions: enter one, or :load FILE)");
	for (int i = 0; i < R->defs.n; i++) {
		const struct def *d = &R->defs.v[i];
		printf("%-8s %-24s %s:%d\n", def_kind_name(d->kind), d->name, d->origin, d->line);
	}
	return 0;
}

struct name_arg {
	const char *name, *file;
};

static int summary_fn(struct repl *R, struct front *F, void *arg)
{
	struct name_arg *a = arg;
	struct graph *g = sema_select(&F->S, a->name);
	(void)R;
	if (!g || F->D.nerrors)
		return 1;
	graph_summary(stdout, g);
	return 0;
}

static int cmd_summary(struct repl *R, char *args, bool *quit)
{
	struct name_arg a = { word(&args), NULL };
	(void)quit;
	return repl_front(R, &R->defs, false, summary_fn, &a);
}

static int graph_fn(struct repl *R, struct front *F, void *arg)
{
	struct name_arg *a = arg;
	struct graph *g = sema_select(&F->S, a->name);
	FILE *f;
	(void)R;
	if (!g || F->D.nerrors)
		return 1;
	if (!a->file || strcmp(a->file, "-") == 0) {
		graph_dot(stdout, g);
		return 0;
	}
	f = fopen(a->file, "w");
	if (!f) {
		fprintf(stderr, "netc repl: cannot write '%s': %s\n", a->file, strerror(errno));
		return 1;
	}
	graph_dot(f, g);
	if (fclose(f) != 0) {
		fprintf(stderr, "netc repl: cannot write '%s': %s\n", a->file, strerror(errno));
		return 1;
	}
	printf("wrote %s (Graphviz: dot -Tsvg %s -o OUT.svg)\n", a->file, a->file);
	return 0;
}

static int cmd_graph(struct repl *R, char *args, bool *quit)
{
	struct name_arg a;
	(void)quit;
	a.name = word(&args);
	a.file = word(&args);
	return repl_front(R, &R->defs, false, graph_fn, &a);
}

static void print_node_shape(const char *what, const struct node *n)
{
	char b[128];
	printf("%s%s%s: %s\n", what, n->name ? " " : "", n->name ? n->name : "",
	       shape_str(&n->shape, b, sizeof b));
}

static int shape_fn(struct repl *R, struct front *F, void *arg)
{
	struct name_arg *a = arg;
	struct graph *g = sema_select(&F->S, a->name);
	(void)R;
	if (!g || F->D.nerrors)
		return 1;
	if (a->file) {   /* a chain: its output only */
		char b[128];
		for (int i = 0; i < g->noutputs; i++)
			printf("%s\n", shape_str(&g->outputs[i]->shape, b, sizeof b));
		return 0;
	}
	for (int i = 0; i < g->ninputs; i++)
		print_node_shape("input", g->inputs[i]);
	for (int i = 0; i < g->noutputs; i++)
		print_node_shape("output", g->outputs[i]);
	return 0;
}

/* :shape NAME, or :shape TYPE => stage => ... (a chain from an input of
 * TYPE, checked with the definitions in force as a network of its own). */
static int cmd_shape(struct repl *R, char *args, bool *quit)
{
	char *p = args + strspn(args, " \t"), *arrow = strstr(p, "=>"), *text;
	struct name_arg a = { NULL, NULL };
	struct defs set;
	char err[1024];
	int rc, col;
	(void)quit;

	if (!*p)
		return usage("shape");
	if (!arrow) {
		a.name = word(&p);
		return repl_front(R, &R->defs, false, shape_fn, &a);
	}
	/* line 1: the network and its input; line 2: the chain, its stages at
	 * the columns they were typed at (":shape " took 7 of them) */
	col = 7 + (int)(arrow - p) + (int)(p - args);
	if (asprintf(&text, "network __shape__ {\n    input x : %.*s\n%*s@chain x %s\n}",
		     (int)(arrow - p), p, col > 9 ? col - 9 : 0, "", arrow) < 0)
		return 1;
	set = defs_copy(&R->defs);
	/* the def's first line is the line before the chain's, so that the
	 * chain's line is the line it was typed on */
	rc = defs_split(text, "<input>", R->input_line - 2, &set, err, sizeof err);
	free(text);
	if (rc) {
		fprintf(stderr, "%s\n", err);
		defs_free(&set);
		return 1;
	}
	a.name = "__shape__";
	a.file = "chain";
	rc = repl_front(R, &set, false, shape_fn, &a);
	defs_free(&set);
	return rc;
}

static int emit_fn(struct repl *R, struct front *F, void *arg)
{
	struct name_arg *a = arg;
	struct backend_opts bo = R->o.bo;
	struct tprog *P;
	if (netc_build_program(&F->A, &F->D, &F->S, a->name, NULL, R->o.batch, false, stdout, &P) ||
	    !P)
		return 1;
	bo.output = BO_IR;
	bo.out_path = "-";
	return backend_llvm.emit_program(P, &bo, &F->D) ? 1 : 0;
}

static int cmd_emit(struct repl *R, char *args, bool *quit)
{
	char *what = word(&args);
	struct name_arg a = { word(&args), NULL };
	(void)quit;
	if (!what || strcmp(what, "llvm") != 0)
		return usage("emit");
	if (a.name && !defs_find(&R->defs, DEF_TRAIN, a.name) && repl_train_of(R, a.name))
		a.name = repl_train_of(R, a.name);
	return repl_front(R, &R->defs, false, emit_fn, &a);
}

/* ---------------------------------------------------------------- running */

/* A train section for NAME (a train section, or a network one trains). */
static const char *train_for(struct repl *R, const char *name)
{
	if (!name || defs_find(&R->defs, DEF_TRAIN, name))
		return name;
	if (repl_train_of(R, name))
		return repl_train_of(R, name);
	return name;   /* sema says what is wrong with it */
}

/* The live program of a bare network NAME (one no train section trains):
 * the definitions in force and a train section of defaults for it (mse,
 * a learning rate that changes nothing, batch 1) with a data section that
 * is never opened: the session has no data (repl_live_set's bare). */
static int live_bare(struct repl *R, const char *name)
{
	struct defs set = defs_copy(&R->defs);
	char err[1024], *text;
	int rc;

	if (asprintf(&text, "data __eval_data__ {\n    source = csv(\"-\", image = \"i\", labels = \"l\")\n}\n"
		     "train __eval_%s__ {\n    network = %s\n    data = __eval_data__\n    loss = mse\n"
		     "    optimizer = sgd(lr = 1e-30)\n    batch = 1\n    epochs = 1\n}\n",
		     name, name) < 0) {
		defs_free(&set);
		return fputs("netc repl: out of memory\n", stderr), 1;
	}
	rc = defs_split(text, "<eval>", 1, &set, err, sizeof err);
	if (rc)
		fprintf(stderr, "%s\n", err);
	else {
		char *t = strstr(text, "train ") + 6;
		t[strcspn(t, " ")] = 0;
		rc = repl_live_set(R, &set, t, true);
	}
	free(text);
	defs_free(&set);
	return rc;
}

/* The label of listing sample k, or -1. */
static int label_of(struct nrt_data *d, int64_t k)
{
	struct nrt_sample_info info;
	for (enum nrt_split s = NRT_TRAIN; s <= NRT_TEST; s++)
		for (int64_t i = 0; i < nrt_data_count(d, s); i++)
			if (nrt_data_sample(d, s, i, &info) == 0 && info.index == k)
				return info.label;
	return -1;
}

/* :eval NAME [on random | on DATA sample K]: the forward pass of NAME's
 * program with the live weights, on sample 0 of the batch; the output of
 * that sample printed (softmax of the logits when they are class scores).
 * A bare network (no train section trains it) gets live_bare's program. */
static int cmd_eval(struct repl *R, char *args, bool *quit)
{
	char *name = word(&args), *on = word(&args), *src = word(&args), *what = word(&args),
	     *ks = word(&args);
	struct live *L = &R->live;
	const struct netrt_program *p;
	struct netrt_ctx *c;
	struct nrt_data *d;
	int64_t per, k = -1, out_per;
	int label = -1;
	double t0;
	(void)quit;

	if (!name || (on && strcmp(on, "on") != 0) || (on && !src) ||
	    (src && strcmp(src, "random") != 0 && (!what || strcmp(what, "sample") != 0 || !ks)))
		return usage("eval");
	if (src && strcmp(src, "random") != 0) {
		char *end;
		k = strtoll(ks, &end, 10);
		if (*end || k < 0)
			return fprintf(stderr, "netc repl: :eval: sample expects a number >= 0, got '%s'\n",
				       ks), 1;
	}
	if (defs_find(&R->defs, DEF_NETWORK, name) && !defs_find(&R->defs, DEF_TRAIN, name) &&
	    !repl_train_of(R, name)) {   /* a bare network: its own forward-only program */
		if (k >= 0)
			return fprintf(stderr, "netc repl: :eval: no train section trains %s, so it has "
				       "no data: :eval %s on random\n", name, name), 1;
		if (live_bare(R, name))
			return 1;
	} else if (repl_live(R, train_for(R, name))) {
		return 1;
	}
	p = L->e.program;
	c = nrt_session_ctx(L->run);
	d = nrt_session_data(L->run);
	per = p->region_size[NETRT_INPUT] / p->batch;
	memset(c->region[NETRT_INPUT], 0, (size_t)p->region_size[NETRT_INPUT] * sizeof(float));
	if (k >= 0) {
		char err[1024];
		if (!L->data || strcmp(L->data, src) != 0)
			return fprintf(stderr, "netc repl: :eval: %s reads the data '%s', not '%s'\n",
				       L->train, L->data ? L->data : "(none)", src), 1;
		if (!d || k >= nrt_data_count(d, NRT_TRAIN) + nrt_data_count(d, NRT_VAL) +
					 nrt_data_count(d, NRT_TEST))
			return fprintf(stderr, "netc repl: :eval: %s has no sample %lld\n", src,
				       (long long)k), 1;
		if (nrt_data_load_sample(d, k, nrt_session_seed(L->run), 0, 0, false,
					 c->region[NETRT_INPUT], err, sizeof err))
			return fprintf(stderr, "netc repl: %s\n", err), 1;
		label = label_of(d, k);
	} else {
		uint64_t s = 0x5eed + (uint64_t)c->step;
		float *x = c->region[NETRT_INPUT];
		for (int64_t i = 0; i < per; i++)
			x[i] = (float)((nrt_splitmix(&s) >> 40) * 0x1p-24);
	}
	t0 = repl_now();
	if (L->e.forward(c) != 0)
		return fputs("netc repl: a kernel failed in the forward pass\n", stderr), 1;
	R->t_run += repl_now() - t0;
	out_per = p->output_numel / p->batch;
	const float *y = (const float *)c->region[NETRT_ACT] + p->output_offset;
	bool classes = p->classes > 1 && out_per == p->classes &&
		       p->target_kind == NETRT_TARGET_CLASS;
	printf("%s on %s", name, k >= 0 ? src : "random input");
	if (k >= 0)
		printf(" sample %lld", (long long)k);
	if (label >= 0)
		printf(" (label %s)", d ? nrt_data_class_name(d, label) : "?");
	printf(", after %lld training steps:\n", (long long)c->step);
	if (classes) {
		double m = -INFINITY, z = 0;
		int64_t best = 0;
		for (int64_t i = 0; i < out_per; i++)
			m = y[i] > m ? y[i] : m;
		for (int64_t i = 0; i < out_per; i++)
			z += p->output_probs ? y[i] : exp(y[i] - m);
		printf("class probabilities%s:\n", p->output_probs ? "" : " (softmax of the logits)");
		for (int64_t i = 0; i < out_per; i++) {
			double pr = p->output_probs ? y[i] / z : exp(y[i] - m) / z;
			if (y[i] > y[best])
				best = i;
			printf("  %-10s %.4f\n", d && nrt_data_classes(d) == out_per
			       ? nrt_data_class_name(d, (int)i) : "", pr);
		}
		printf("predicted: %s\n", d && nrt_data_classes(d) == out_per
		       ? nrt_data_class_name(d, (int)best) : "?");
		return 0;
	}
	printf("output [%lld]:", (long long)out_per);
	for (int64_t i = 0; i < out_per && i < 64; i++)
		printf(" %.4g", y[i]);
	puts(out_per > 64 ? " ..." : "");
	return 0;
}

/* :train NAME [steps=N | epochs=N] (default: one epoch). */
static int cmd_train(struct repl *R, char *args, bool *quit)
{
	char *name = word(&args), *n = word(&args);
	int64_t steps = 0, epochs = 0;
	double t0;
	int rc;
	(void)quit;

	if (name && (!strncmp(name, "steps=", 6) || !strncmp(name, "epochs=", 7))) {
		n = name;   /* :train steps=N: the first train section */
		name = NULL;
	}
	if (n && (!strncmp(n, "steps=", 6) || !strncmp(n, "epochs=", 7))) {
		char *end;
		long long v = strtoll(strchr(n, '=') + 1, &end, 10);
		if (*end || v < 1 || v > 100000000)
			return fprintf(stderr, "netc repl: :train: %.*s expects a number >= 1, got '%s'\n",
				       (int)(strchr(n, '=') - n), n, strchr(n, '=') + 1), 1;
		*(n[0] == 's' ? &steps : &epochs) = v;
	} else if (n || (name && strchr(name, '='))) {
		return usage("train");
	}
	if (!steps && !epochs)
		epochs = 1;
	if (repl_live(R, train_for(R, name)))
		return 1;
	t0 = repl_now();
	rc = nrt_session_train(R->live.run, steps, epochs);
	R->t_run += repl_now() - t0;
	if (rc == 130) {
		printf("stopped at step %lld: the weights are kept (:train goes on from here)\n",
		       (long long)nrt_session_ctx(R->live.run)->step);
		return 0;
	}
	if (rc == 0)
		printf("%s: trained to step %lld\n", R->live.train,
		       (long long)nrt_session_ctx(R->live.run)->step);
	return rc ? 1 : 0;
}

static int cmd_save(struct repl *R, char *args, bool *quit)
{
	char *f = word(&args);
	(void)quit;
	if (!f)
		return usage("save");
	if (!R->live.run)
		return fputs("netc repl: :save: nothing to save yet (:train or :eval a train section "
			     "first)\n", stderr), 1;
	if (R->live.bare)
		return fprintf(stderr, "netc repl: :save: %s is a bare network's program (no train "
			       "section trains it): nothing to save\n", R->live.train), 1;
	if (nrt_session_save(R->live.run, f))
		return 1;
	printf("saved %s (%s, step %lld)\n", f, R->live.train,
	       (long long)nrt_session_ctx(R->live.run)->step);
	return 0;
}

/* :restore FILE [NAME]: into the live program, or NAME's (default: the first train section). */
static int cmd_restore(struct repl *R, char *args, bool *quit)
{
	char *f = word(&args), *name = word(&args);
	(void)quit;
	if (!f)
		return usage("restore");
	if (!name && R->live.train && R->live.bare)
		return fprintf(stderr, "netc repl: :restore: the live program is a bare network's "
			       "(from :eval; no train section trains it): name the train section "
			       "the checkpoint is of, :restore FILE TRAIN\n"), 1;
	/* NAME's program, or the live one (compiled again if its definitions changed) */
	char *t = name ? NULL : R->live.train ? strdup(R->live.train) : NULL;
	int rc = repl_live(R, train_for(R, name ? name : t));
	free(t);
	if (rc)
		return 1;
	if (nrt_session_restore(R->live.run, f))
		return 1;
	printf("restored %s (%s, step %lld)\n", f, R->live.train,
	       (long long)nrt_session_ctx(R->live.run)->step);
	return 0;
}

static int cmd_set(struct repl *R, char *args, bool *quit)
{
	char *what = word(&args), *v = word(&args), *end;
	long long n;
	(void)quit;
	if (!what || strcmp(what, "threads") != 0 || !v)
		return usage("set");
	n = strtoll(v, &end, 10);
	if (*end || n < 1 || n > 1024)
		return fprintf(stderr, "netc repl: :set threads expects 1 to 1024, got '%s'\n", v), 1;
	R->threads = n;
	if (repl_live_reopen(R))
		return 1;
	printf("threads: %lld\n", n);
	return 0;
}

static int cmd_time(struct repl *R, char *args, bool *quit)
{
	(void)R, (void)args, (void)quit;
	return 0;   /* repl.c prints the last command's times */
}

static int cmd_quit(struct repl *R, char *args, bool *quit)
{
	(void)R, (void)args;
	*quit = true;
	return 0;
}

static int cmd_help(struct repl *R, char *args, bool *quit);

static const struct cmd cmds[] = {
	{ "help", "", "this list", cmd_help },
	{ "load", "FILE", "load the definitions of FILE (each replaces one of its kind and name)", cmd_load },
	{ "list", "", "the definitions in force and where they came from", cmd_list },
	{ "summary", "[NAME]", "the layer table of network NAME (or a train section's network)", cmd_summary },
	{ "graph", "[NAME] [FILE]", "the network as Graphviz .dot text (to FILE)", cmd_graph },
	{ "shape", "NAME | TYPE => STAGE => ...", "input and output shapes, or a chain's output shape, without running it", cmd_shape },
	{ "eval", "NAME [on random | on DATA sample K]", "the forward pass with the current weights; prints the output", cmd_eval },
	{ "train", "[NAME] [steps=N | epochs=N]", "JIT-compiled training from the current weights (Ctrl-C stops it)", cmd_train },
	{ "save", "FILE", "write the weights and optimizer state as a checkpoint (the built programs' format)", cmd_save },
	{ "restore", "FILE [NAME]", "read a checkpoint of the same program", cmd_restore },
	{ "set", "threads N", "threads of the compute pool", cmd_set },
	{ "time", "", "compile and run times of the last command", cmd_time },
	{ "emit", "llvm NAME", "the optimised LLVM IR of NAME's training program", cmd_emit },
	{ "quit", "", "end the session (so does the end of the input)", cmd_quit },
};

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static int cmd_help(struct repl *R, char *args, bool *quit)
{
	(void)R, (void)args, (void)quit;
	puts("Enter definitions (import, block, network, data, train; a redefinition replaces\n"
	     "the old one) or commands:");
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		char head[80];
		snprintf(head, sizeof head, ":%s %s", cmds[i].name, cmds[i].args);
		printf("  %-44s %s\n", head, cmds[i].help);
	}
	puts("NAME is a network or a train section.  docs/repl.md has a worked session.");
	return 0;
}

int repl_command(struct repl *R, const char *line, bool *quit)
{
	char *buf = strdup(line), *args, *name;
	const struct cmd *c;
	int rc;

	if (!buf)
		return 1;
	args = buf + strspn(buf, " \t") + 1;   /* past ':' */
	name = word(&args);
	c = name ? find(name) : NULL;
	if (!c) {
		fprintf(stderr, "netc repl: unknown command ':%s' (:help lists them)\n", name ? name : "");
		free(buf);
		return 1;
	}
	rc = c->fn(R, args, quit);
	free(buf);
	return rc;
}
