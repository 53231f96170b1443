/* test_passes.c - the graph passes of `netc build` (compiler/passes/):
 * fold removes identity ops and collapses reshape chains, cse merges equal
 * parameter-free subexpressions but not layers with parameters nor
 * dropouts, dce prunes; graph_verify holds after every pass, and no pass
 * changes the trainable parameter count of any stdlib network. */
#include "passes/passes.h"
#include "sema.h"

#include <stdlib.h>
#include <string.h>

static long checks, failed;

#define CHECK(expr) check(!!(expr), __LINE__, #expr)
static bool check(bool ok, int line, const char *expr)
{
	checks++;
	if (!ok) {
		failed++;
		fprintf(stderr, "test_passes.c:%d: CHECK(%s) failed\n", line, expr);
	}
	return ok;
}

/* One front end: arena, diagnostics, sema. */
struct fe {
	struct arena A;
	struct diag_ctx D;
	struct sema S;
};

static const char *stdlib_dir(char *buf, size_t n)
{
	const char *e = getenv("NETC_STDLIB"), *top = getenv("abs_top_srcdir");
	if (e && *e)
		return e;
	snprintf(buf, n, "%s/stdlib", top && *top ? top : ".");
	return buf;
}

/* The graph of network `name` in `text`, or NULL. */
static struct graph *load(struct fe *F, const char *text, const char *name)
{
	char dir[4096];
	struct graph *g;

	memset(F, 0, sizeof *F);
	arena_init(&F->A);
	diag_init(&F->D, stderr);
	F->D.error_limit = 0;
	sema_init(&F->S, &F->A, &F->D, NULL, 0, stdlib_dir(dir, sizeof dir));
	if (!sema_load_text(&F->S, "test.net", text, strlen(text)))
		return NULL;
	g = sema_select(&F->S, name);
	if (!g || F->D.nerrors) {
		fprintf(stderr, "'%s' does not compile\n", name);
		return NULL;
	}
	return g;
}

static void fe_free(struct fe *F)
{
	diag_free(&F->D);
	arena_free(&F->A);
}

/* The op names of the graph in order, space-separated, into buf. */
static const char *ops(const struct graph *g, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < g->n && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? " " : "",
					op_table[g->nodes[i]->op].name);
	return buf;
}

/* ids are positions, and the graph verifies. */
static bool sound(const struct graph *g)
{
	const char *bad = graph_verify(g);

	if (bad)
		fprintf(stderr, "  graph_verify: %s\n", bad);
	for (int i = 0; i < g->n; i++)
		if (g->nodes[i]->id != i)
			return false;
	return bad == NULL;
}

/* Run one pass and check the graph after it; the op sequence after. */
static const char *after(struct graph *g, bool (*pass)(struct graph *, struct diag_ctx *),
			 struct diag_ctx *D, char *buf, size_t n)
{
	pass(g, D);
	CHECK(sound(g));
	return ops(g, buf, n);
}

static void test_fold(void)
{
	static const char text[] =
		"network f {\n"
		"    input x : f32[2, 3, 4]\n"
		"    @chain x => relu => identity => dropout(0) => reshape([2, 3, 4])\n"
		"             => flatten => reshape([4, 6]) => reshape([24]) => dropout(0.5)\n"
		"             => identity\n"
		"}\n";
	struct fe F;
	struct graph *g = load(&F, text, "f");
	char buf[1024];

	if (!CHECK(g))
		return;
	CHECK(g->n == 10);
	CHECK(strcmp(ops(g, buf, sizeof buf), "input relu identity dropout reshape flatten "
		     "reshape reshape dropout identity") == 0);
	const char *relu_name = g->nodes[1]->name;
	/* identity, dropout(0), the same-shape reshape go; reshape([4, 6]) of
	 * the flatten reads relu directly, reshape([24]) of it too, and the
	 * unused flatten and reshape([4, 6]) are pruned; the final identity
	 * is the output, so dropout(0.5) takes its place */
	CHECK(pass_fold(g, &F.D));
	CHECK(sound(g));
	CHECK(strcmp(ops(g, buf, sizeof buf), "input relu reshape dropout") == 0);
	if (!CHECK(g->n == 4))
		fprintf(stderr, "  fold: %s\n", buf);
	CHECK(strcmp(g->nodes[1]->name, relu_name) == 0);
	CHECK(g->nodes[2]->in[0] == g->nodes[1]);
	CHECK(g->nodes[2]->shape.rank == 1 && g->nodes[2]->shape.d[0] == 24);
	CHECK(g->noutputs == 1 && g->outputs[0] == g->nodes[3]);
	/* a second fold finds nothing; cse and dce nothing either */
	CHECK(!pass_fold(g, &F.D));
	CHECK(!pass_cse(g, &F.D));
	CHECK(!pass_dce(g, &F.D));
	CHECK(g->n == 4);
	fe_free(&F);

	/* an identity on the input as the output stays (the input cannot be
	 * the output) */
	static const char text2[] =
		"network f2 {\n"
		"    input x : f32[5]\n"
		"    @chain x => identity\n"
		"}\n";
	g = load(&F, text2, "f2");
	if (CHECK(g)) {
		pass_fold(g, &F.D);
		CHECK(sound(g));
		CHECK(strcmp(ops(g, buf, sizeof buf), "input identity") == 0);
		CHECK(g->outputs[0]->op == OP_IDENTITY);
	}
	fe_free(&F);
}

static void test_cse(void)
{
	static const char text[] =
		"network c {\n"
		"    input x : f32[8]\n"
		"    let a = relu(x)\n"
		"    let b = relu(x)\n"
		"    let s = add(a, b)\n"
		"    let t = add(b, a)\n"
		"    let d1 = dense(4)(s)\n"
		"    let d2 = dense(4)(s)\n"
		"    let p1 = dropout(0.5)(t)\n"
		"    let p2 = dropout(0.5)(t)\n"
		"    return concat(d1, d2, p1, p2, axis = 1)\n"
		"}\n";
	struct fe F;
	struct graph *g = load(&F, text, "c");
	char buf[1024];

	if (!CHECK(g))
		return;
	CHECK(strcmp(ops(g, buf, sizeof buf), "input relu relu add add dense dense dropout "
		     "dropout concat") == 0);
	struct graph_stats before, now;
	graph_stats(g, &before);
	CHECK(pass_cse(g, &F.D));
	CHECK(sound(g));
	/* relu(x) twice -> once; add(a, b) and add(b, a) -> once; the dense
	 * layers (own weights) and the dropouts (own masks) stay */
	if (!CHECK(strcmp(ops(g, buf, sizeof buf), "input relu add dense dense dropout "
			  "dropout concat") == 0))
		fprintf(stderr, "  cse: %s\n", buf);
	CHECK(g->n == 8);
	CHECK(g->nodes[2]->in[0] == g->nodes[1] && g->nodes[2]->in[1] == g->nodes[1]);
	CHECK(g->nodes[3]->in[0] == g->nodes[2] && g->nodes[4]->in[0] == g->nodes[2]);
	CHECK(g->nodes[5]->in[0] == g->nodes[2] && g->nodes[6]->in[0] == g->nodes[2]);
	graph_stats(g, &now);
	CHECK(now.trainable == before.trainable);
	CHECK(!pass_cse(g, &F.D));
	fe_free(&F);
}

/* The whole pipeline on a net with both kinds of work. */
static void test_pipeline(void)
{
	static const char text[] =
		"network p {\n"
		"    input x : f32[3, 4]\n"
		"    let a = @chain x => flatten => identity => relu\n"
		"    let b = @chain x => flatten => relu\n"
		"    return add(a, b)\n"
		"}\n";
	struct fe F;
	struct graph *g = load(&F, text, "p");
	char buf[1024];
	FILE *out;
	char *dump = NULL;
	size_t len = 0;

	if (!CHECK(g))
		return;
	out = open_memstream(&dump, &len);
	CHECK(passes_run(g, &F.D, "cse", out));
	fclose(out);
	CHECK(F.D.nerrors == 0);
	CHECK(sound(g));
	if (!CHECK(strcmp(ops(g, buf, sizeof buf), "input flatten relu add") == 0))
		fprintf(stderr, "  pipeline: %s\n", buf);
	CHECK(dump && strstr(dump, "add(") != NULL);
	free(dump);
	CHECK(passes_is_pass("fold") && passes_is_pass("cse") && passes_is_pass("dce"));
	CHECK(!passes_is_pass("layout"));
	fe_free(&F);
}

/* The stdlib networks: every pass keeps the graph sound and the
 * parameter counts as they were. */
static void test_stdlib(void)
{
	static const struct {
		const char *import, *net;
	} nets[] = {
		{ "lenet", "lenet" }, { "resnet", "resnet18" }, { "resnet", "resnet50" },
		{ "densenet", "densenet121" }, { "vgg", "vgg11" }, { "inception", "inception_v3" },
		{ "unet", "unet" },
	};
	bool (*const pass[])(struct graph *, struct diag_ctx *) = { pass_fold, pass_cse, pass_dce };

	for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
		char text[256], buf[8];
		struct fe F;
		struct graph *g;
		struct graph_stats before, now;

		snprintf(text, sizeof text, "import \"%s\"\n", nets[i].import);
		g = load(&F, text, nets[i].net);
		if (!CHECK(g)) {
			fe_free(&F);
			continue;
		}
		graph_stats(g, &before);
		for (size_t p = 0; p < 3; p++) {
			after(g, pass[p], &F.D, buf, sizeof buf);
			graph_stats(g, &now);
			if (!CHECK(now.trainable == before.trainable &&
				   now.non_trainable == before.non_trainable &&
				   now.macs == before.macs))
				fprintf(stderr, "  %s: pass %zu changed the parameters\n", nets[i].net, p);
		}
		CHECK(g->noutputs >= 1);
		fe_free(&F);
	}
}

int main(void)
{
	test_fold();
	test_cse();
	test_pipeline();
	test_stdlib();
	printf("test_passes: %ld checks, %ld failed\n", checks, failed);
	return failed ? 1 : 0;
}
