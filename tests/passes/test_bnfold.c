/* test_bnfold.c - batchnorm folding in the inference lists (compiler/
 * passes/bnfold.c):
 *
 *   - the dump of a conv -> batchnorm -> relu net before and after: in the
 *     inference lists a batchnorm_fold step comes before the conv, which reads
 *     the folded weight and bias and writes the batchnorm's output (with
 *     fuse after it, the relu in its epilogue); train_step keeps its
 *     batchnorm (batch statistics);
 *   - a batchnorm whose input has another use is left alone;
 *   - folded and unfolded programs of the nets with batchnorm (the
 *     residual net, the conv -> batchnorm net, the frozen backbone, the
 *     golden net; a dense -> batchnorm MLP) on the reference interpreter:
 *     bitwise the same training (train_step is not touched), and the eval
 *     loss and forward output after two train steps -- when parameters and
 *     running statistics have moved, so a fold computed once at init
 *     would be caught -- within |a - b| <= 1e-5 + 1e-4 |b| (the folded
 *     weights round differently), in float32 and float64. */
#include "twin.h"

#include "passes/progpasses.h"

static const char NET_CBR[] =
	"network cbr {\n"
	"    input x : f32[2, 5, 5]\n"
	"    let c = @chain x => conv(3, 3, pad = 1) => batchnorm(momentum = 0.5) => relu\n"
	"    @chain c => flatten => dense(4) => batchnorm(momentum = 0.5) => dense(3)\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 3\n"
	"}\n"
	"train t {\n"
	"    network = cbr\n"
	"    data = d\n"
	"    loss = cross_entropy\n"
	"    optimizer = sgd(lr = 0.2, momentum = 0.9)\n"
	"    batch = 4\n"
	"    epochs = 1\n"
	"}\n";

/* The conv's output is also an output of the network: no fold. */
static const char NET_TWOUSE[] =
	"network twouse {\n"
	"    input x : f32[2, 4, 4]\n"
	"    let c = conv(3, 3, pad = 1)(x)\n"
	"    let b = batchnorm(c)\n"
	"    @chain add(b, c) => flatten => dense(3)\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 3\n"
	"}\n"
	"train t {\n"
	"    network = twouse\n"
	"    data = d\n"
	"    loss = cross_entropy\n"
	"    optimizer = sgd\n"
	"    batch = 2\n"
	"    epochs = 1\n"
	"}\n";

static char *dump(const struct tprog *P)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	tprog_dump(out, P);
	fclose(out);
	return text;
}

static bool has(const char *text, const char *what)
{
	bool ok = strstr(text, what) != NULL;
	if (!ok)
		fprintf(stderr, "  not in the dump: %s\n", what);
	return ok;
}

static int count_kind(const struct tp_list *L, enum tp_step_kind k)
{
	int n = 0;
	for (int i = 0; i < L->n; i++)
		n += L->v[i].kind == k;
	return n;
}

static void test_dump(void)
{
	struct fixture F0, F1, F2;
	const struct tprog *P0 = fx_compile_opt(&F0, "cbr", NET_CBR, NULL, false, 0);
	const struct tprog *P1 = fx_compile_opt(&F1, "cbr", NET_CBR, NULL, false, FX_BNFOLD);
	const struct tprog *P2 = fx_compile_opt(&F2, "cbr", NET_CBR, NULL, false,
						FX_BNFOLD | FX_FUSE);
	char *before, *after, *fused;

	if (!CHECK(P0 && P1 && P2))
		return;
	before = dump(P0);
	after = dump(P1);
	fused = dump(P2);
	printf("---- cbr, before bnfold\n%s---- cbr, after bnfold\n%s---- cbr, after bnfold and "
	       "fuse\n%s----\n", before, after, fused);
	CHECK(has(before, "conv_fwd x=x w=conv_1.weight b=conv_1.bias -> y=conv_1 "));
	CHECK(count_kind(&P0->forward, TS_BN_FWD_INFER) == 2);
	CHECK(count_kind(&P1->forward, TS_BN_FWD_INFER) == 0);
	CHECK(count_kind(&P1->eval_step, TS_BN_FWD_INFER) == 0);
	CHECK(count_kind(&P1->forward, TS_BN_FOLD) == 2);
	CHECK(count_kind(&P1->eval_step, TS_BN_FOLD) == 2);
	/* each fold right before its layer */
	CHECK(P1->forward.v[0].kind == TS_BN_FOLD && P1->forward.v[1].kind == TS_CONV_FWD);
	for (int i = 1; i < P1->forward.n; i++)
		if (P1->forward.v[i].kind == TS_DENSE_FWD && i + 1 < P1->forward.n)
			CHECK(P1->forward.v[i - 1].kind == TS_BN_FOLD);   /* the first dense, folded */
	CHECK(P1->forward.n == P0->forward.n);   /* one fold for each batchnorm */
	/* train_step as it was */
	CHECK(count_kind(&P1->train_step, TS_BN_FWD_TRAIN) == 2);
	CHECK(P1->train_step.n == P0->train_step.n);
	CHECK(has(after, "batchnorm_fold w=conv_1.weight b=conv_1.bias gamma=batchnorm_1.gamma "
		  "beta=batchnorm_1.beta rmean=batchnorm_1.running_mean rvar=batchnorm_1.running_var "
		  "-> w2=conv_1.weight.folded b2=conv_1.bias.folded  k=3 per=18 eps=1e-05"));
	CHECK(has(after, "conv_fwd x=x w=conv_1.weight.folded b=conv_1.bias.folded -> y=batchnorm_1 "));
	CHECK(has(after, "dense_fwd x=flatten_1 w=dense_1.weight.folded b=dense_1.bias.folded -> "
		  "y=batchnorm_2 "));
	CHECK(has(after, "k=4 per=75 eps=1e-05"));
	/* eval_step folds into buffers of its own */
	CHECK(has(after, "w2=conv_1.weight.folded#2"));
	/* with fuse: the relu in the folded conv's epilogue, which writes the flatten */
	CHECK(has(fused, "conv_fwd x=x w=conv_1.weight.folded b=conv_1.bias.folded -> y=flatten_1 "));
	CHECK(has(fused, "dilation=1,1 act=relu  # conv_1"));
	free(before);
	free(after);
	free(fused);
	fx_free(&F0);
	fx_free(&F1);
	fx_free(&F2);

	/* a conv output with two uses stays unfolded */
	P1 = fx_compile_opt(&F1, "twouse", NET_TWOUSE, NULL, false, FX_BNFOLD);
	if (CHECK(P1)) {
		CHECK(count_kind(&P1->forward, TS_BN_FOLD) == 0);
		CHECK(count_kind(&P1->forward, TS_BN_FWD_INFER) == 1);
		fx_free(&F1);
	}
}

static void one_net(const char *name, const char *text, int folds)
{
	struct fixture F0, F1;
	const struct tprog *P0 = fx_compile_opt(&F0, name, text, NULL, false, 0);
	const struct tprog *P1 = fx_compile_opt(&F1, name, text, NULL, false, FX_BNFOLD | FX_FUSE);

	if (!CHECK(P0 && P1))
		goto out;
	if (!CHECK(count_kind(&P1->forward, TS_BN_FOLD) == folds))
		fprintf(stderr, "  %s: %d folds, expected %d\n", name,
			count_kind(&P1->forward, TS_BN_FOLD), folds);
	CHECK(tprog_verify_layout(P1) == NULL);
	printf("%-8s forward %3d -> %3d steps, eval_step %3d -> %3d, ACT %lld -> %lld elements\n",
	       name, P0->forward.n, P1->forward.n, P0->eval_step.n, P1->eval_step.n,
	       (long long)P0->size[TP_ACT], (long long)P1->size[TP_ACT]);
	twin_run(name, P0, P1, INTERP_F32, 2, TWIN_BITWISE, TWIN_CLOSE);
	twin_run(name, P0, P1, INTERP_F64, 2, TWIN_BITWISE, TWIN_CLOSE);
out:
	if (P0)
		fx_free(&F0);
	if (P1)
		fx_free(&F1);
}

int main(void)
{
	test_dump();
	one_net("cbr", NET_CBR, 2);
	one_net("resnet", NET_RESNET, 6);
	one_net("bn", NET_BN, 1);
	one_net("frozen", NET_FROZEN, 1);    /* the backbone's dense + batchnorm (the other follows a relu) */
	one_net("golden", NET_GOLDEN, 1);
	one_net("twouse", NET_TWOUSE, 0);
	printf("test_bnfold: %ld checks, %ld failed\n", checks, failed);
	return failed ? 1 : 0;
}
