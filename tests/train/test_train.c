/* test_train.c - tests of the training program (compiler/train): its
 * structure for each test network, the diagnostics of the build, the
 * golden dump; then the groups in test_grad.c and test_steps.c.
 *
 * NETC_REGEN=1 rewrites the golden file tests/train/golden.tprog. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static long checks, failed;

/* Count a check; report a failed one. */
bool t_check(bool ok, const char *file, int line, const char *expr)
{
	checks++;
	if (!ok) {
		failed++;
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n", file, line, expr);
	}
	return ok;
}

/* CLOCK_MONOTONIC in seconds. */
double t_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Does list L have a step of kind k? */
static bool has_kind(const struct tp_list *L, enum tp_step_kind k)
{
	for (int i = 0; i < L->n; i++)
		if (L->v[i].kind == k)
			return true;
	return false;
}

/* The op table and the step table are complete. */
static void test_tables(void)
{
	struct tp_role r[TP_MAX_ROLES];
	for (int i = 0; i < OP_COUNT; i++)
		CHECK(op_table[i].grad != NULL);
	for (int k = 0; k < TS_COUNT; k++) {
		int n = tp_step_roles(k, r), outs = 0;
		CHECK(tp_step_table[k].name && tp_step_table[k].kernel);
		CHECK(n >= 1 && n <= TP_MAX_ROLES);
		for (int j = 0; j < n; j++)
			outs += r[j].out;
		CHECK(outs >= 1);
	}
	CHECK(tp_step_roles(TS_MUL_BWD, r) == 3);
	CHECK(r[0].repeated && !r[0].out && r[2].repeated && r[2].optional && r[2].out);
	CHECK(tp_step_nbuf(TS_MUL_BWD, 3) == 7);
}

/* Settings and structure of the MLP: fusion, blobs, lists, defaults. */
static void test_structure(void)
{
	struct fixture F;
	struct tprog *P = fx_compile(&F, "mlp", NET_MLP, NULL, false);
	if (!CHECK(P != NULL)) {
		fx_free(&F);
		return;
	}
	CHECK(P->batch == 3 && P->seed == 1);
	CHECK(P->fused && P->fused->op == OP_SOFTMAX && P->logits->op == OP_DENSE);
	CHECK(P->cfg.loss == TL_XENT && P->cfg.label_smoothing == 0.1);
	CHECK(P->cfg.optim == TO_SGD && P->cfg.lr == 0.1 && P->cfg.momentum == 0.9);
	CHECK(P->ntrain == 6 * 8 + 8 + 8 * 4 + 4);
	CHECK(P->size[TP_GRAD] == P->ntrain && P->size[TP_OPT] == P->ntrain && P->nopt == 1);
	CHECK(P->bufs[P->target].dtype == TP_I32 && P->bufs[P->target].numel == 3);
	CHECK(P->bufs[P->inputs[0]].region == TP_INPUT && P->bufs[P->inputs[0]].numel == 18);
	/* inference: no dropout, no loss; training: dropout, loss, backward, update */
	CHECK(!has_kind(&P->forward, TS_DROPOUT_FWD) && has_kind(&P->forward, TS_COPY));
	CHECK(!has_kind(&P->forward, TS_XENT_FWD) && has_kind(&P->eval_step, TS_XENT_FWD));
	CHECK(has_kind(&P->train_step, TS_DROPOUT_FWD) && has_kind(&P->train_step, TS_DROPOUT_BWD));
	CHECK(has_kind(&P->train_step, TS_SGD) && !has_kind(&P->eval_step, TS_SGD));
	/* the fused softmax has no backward step, the first dense no input gradient */
	CHECK(tprog_count_steps(&P->train_step, P->fused, TP_BWD) == 0);
	CHECK(P->nodes[P->net->inputs[0]->id].grad < 0);
	for (int i = 0; i < P->train_step.n; i++) {
		const struct tstep *s = &P->train_step.v[i];
		if (s->kind == TS_DENSE_BWD && s->node->in[0]->op == OP_INPUT)
			CHECK(s->buf[3] == -1);
	}
	CHECK(tprog_find_param(P, "dense_1.weight") && tprog_find_param(P, "dense_2.bias"));
	fx_free(&F);

	/* the schema's defaults */
	static const char adam[] =
		"network n() {\n    input x : f32[3]\n    x => dense(2)\n}\n"
		"data d {\n    source = csv(\"x.csv\")\n}\n"
		"train t {\n    network = n()\n    data = d\n    loss = mse\n"
		"    optimizer = adam\n    batch = 2\n    epochs = 1\n}\n";
	P = fx_compile(&F, "adam", adam, NULL, false);
	if (CHECK(P != NULL)) {
		CHECK(P->cfg.lr == 0.001 && P->cfg.beta1 == 0.9 && P->cfg.beta2 == 0.999);
		CHECK(P->cfg.eps == 1e-8 && P->cfg.weight_decay == 0 && P->nopt == 2);
		CHECK(P->bufs[P->target].dtype == TP_REAL && P->bufs[P->target].numel == 4);
		CHECK(!P->fused);
	}
	fx_free(&F);

	/* weights = auto: a CONST buffer the driver fills; given: init fills it */
	static const char wauto[] =
		"network n() {\n    input x : f32[3]\n    x => dense(4)\n}\n"
		"data d {\n    source = csv(\"x.csv\")\n}\n"
		"train t {\n    network = n()\n    data = d\n"
		"    loss = weighted_cross_entropy\n    optimizer = rmsprop\n"
		"    batch = 2\n    epochs = 1\n}\n";
	P = fx_compile(&F, "wauto", wauto, NULL, false);
	if (CHECK(P != NULL)) {
		CHECK(P->cfg.weights_auto && P->class_weights >= 0 && P->size[TP_CONST] == 4);
		CHECK(P->bufs[P->class_weights].region == TP_CONST);
		CHECK(!has_kind(&P->init, TS_CONST_FILL));
		CHECK(P->nopt == 1 && strcmp(P->opt_slot[0], "sq_avg") == 0);
	}
	fx_free(&F);
	P = fx_compile(&F, "wxent", NET_WXENT, NULL, false);
	if (CHECK(P != NULL)) {
		CHECK(!P->cfg.weights_auto && P->cfg.nweights == 3 && P->cfg.weights[1] == 2.0);
		CHECK(has_kind(&P->init, TS_CONST_FILL));
		CHECK(P->fused && P->bufs[P->target].numel == 2 * 5 * 5);
	}
	fx_free(&F);

	/* L2 on dense_2 by name and on every conv by op: weights only */
	P = fx_compile(&F, "l2", NET_L2, NULL, false);
	if (CHECK(P != NULL) && CHECK(P->nl2 == 2)) {
		CHECK(P->l2[0].n == 1 && P->l2[0].weight == 0.01);
		CHECK(strcmp(P->bufs[P->l2[0].w[0]].name, "dense_2.weight") == 0);
		CHECK(P->l2[1].n == 2 && P->l2[1].weight == 0.05);
		CHECK(strcmp(P->bufs[P->l2[1].w[0]].name, "conv_1.weight") == 0);
		CHECK(strcmp(P->bufs[P->l2[1].w[1]].name, "conv_2.weight") == 0);
	}
	fx_free(&F);
}

/* Errors the build reports. */
static void test_diagnostics(void)
{
	static const char bad_weights[] =
		"network n() {\n    input x : f32[3]\n    x => dense(4)\n}\n"
		"data d {\n    source = csv(\"x.csv\")\n}\n"
		"train t {\n    network = n()\n    data = d\n"
		"    loss = weighted_cross_entropy(weights = [1, 2])\n"
		"    optimizer = sgd\n    batch = 2\n    epochs = 1\n}\n";
	static const char bad_layer[] =
		"network n() {\n    input x : f32[3]\n    @chain x => dense(4) => dense(2)\n}\n"
		"data d {\n    source = csv(\"x.csv\")\n}\n"
		"train t {\n    network = n()\n    data = d\n    loss = cross_entropy\n"
		"    optimizer = sgd\n    regularize = l2(0.1, layers = [dense_3])\n"
		"    batch = 2\n    epochs = 1\n}\n";
	static const char bad_softmax[] =
		"network n() {\n    input x : f32[1, 4, 4]\n"
		"    @chain x => conv(3, 1) => softmax(axis = -1)\n}\n"
		"data d {\n    source = csv(\"x.csv\")\n}\n"
		"train t {\n    network = n()\n    data = d\n    loss = cross_entropy\n"
		"    optimizer = sgd\n    batch = 2\n    epochs = 1\n}\n";
	struct fixture F;

	CHECK(fx_compile(&F, "w.net", bad_weights, NULL, true) == NULL);
	CHECK(strstr(fx_diags(&F), "w.net:11:45: error: weighted_cross_entropy: 2 weights for 4 classes"));
	fx_free(&F);
	CHECK(fx_compile(&F, "l.net", bad_layer, NULL, true) == NULL);
	CHECK(strstr(fx_diags(&F), "error: l2: network 'n' has no layer or op called 'dense_3'"));
	CHECK(strstr(fx_diags(&F), "note: did you mean 'dense_1'?") ||
	      strstr(fx_diags(&F), "note: did you mean 'dense_2'?"));
	fx_free(&F);
	CHECK(fx_compile(&F, "s.net", bad_softmax, NULL, true) == NULL);
	CHECK(strstr(fx_diags(&F), "s.net:11:12: error: loss cross_entropy applies softmax over the classes "
		     "(dimension 1), but network 'n' ends in a softmax over dimension 3"));
	fx_free(&F);
}

/* The dump of NET_GOLDEN against tests/train/golden.tprog. */
static void test_golden(void)
{
	struct fixture F;
	struct tprog *P = fx_compile(&F, "golden.net", NET_GOLDEN, NULL, false);
	const char *top = getenv("abs_top_srcdir");
	char path[4096], *got = NULL, *want = NULL;
	size_t ngot = 0, nwant = 0;
	FILE *f;

	if (!CHECK(P != NULL)) {
		fx_free(&F);
		return;
	}
	f = open_memstream(&got, &ngot);
	tprog_dump(f, P);
	fclose(f);
	snprintf(path, sizeof path, "%s/tests/train/golden.tprog", top && *top ? top : ".");
	if (getenv("NETC_REGEN") && strcmp(getenv("NETC_REGEN"), "1") == 0) {
		f = fopen(path, "w");
		if (CHECK(f != NULL)) {
			fwrite(got, 1, ngot, f);
			fclose(f);
			printf("golden: wrote %s\n", path);
		}
	}
	f = fopen(path, "r");
	if (CHECK(f != NULL)) {
		FILE *m = open_memstream(&want, &nwant);
		int c;
		while ((c = fgetc(f)) != EOF)
			fputc(c, m);
		fclose(m);
		fclose(f);
		if (!CHECK(nwant == ngot && memcmp(want, got, ngot) == 0))
			fprintf(stderr, "golden: the dump differs from %s (NETC_REGEN=1 rewrites it);"
				" it is now:\n%s", path, got);
	}
	free(got);
	free(want);
	fx_free(&F);
}

/* The groups in turn; exit status 1 when a check failed. */
int main(void)
{
	double t0 = t_now();
	test_tables();
	test_structure();
	test_diagnostics();
	test_golden();
	test_steps();
	test_grad();
	printf("%ld checks, %ld failed, %.1f s\n", checks, failed, t_now() - t0);
	return failed ? 1 : 0;
}
