/* nets.c - the test networks and the fixture that compiles them (nets.h).
 * Every network is small enough that a float64 finite-difference check of
 * all its parameter tensors runs in a second or two. */
#include "nets.h"
#include "passes/passes.h"
#include "passes/progpasses.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * The networks
 * ------------------------------------------------------------------- */

/* dense, relu, dropout (a fixed mask per step), a final softmax fused
 * into the cross-entropy with label smoothing. */
const char NET_MLP[] =
	"network mlp(classes = 4) {\n"
	"    input x : f32[6]\n"
	"    @chain x => dense(8) => relu => dropout(0.25) => dense(classes) => softmax\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 4\n"
	"}\n"
	"train t {\n"
	"    network = mlp(classes = 4)\n"
	"    data = d\n"
	"    loss = cross_entropy(label_smoothing = 0.1)\n"
	"    optimizer = sgd(lr = 0.1, momentum = 0.9)\n"
	"    batch = 3\n"
	"    epochs = 1\n"
	"}\n";

/* LeNet-5 from the stdlib at batch 2. */
const char NET_LENET[] =
	"import \"lenet\"\n"
	"data digits {\n"
	"    source = csv(\"labels.csv\", sep = \"\")\n"
	"    classes = 10\n"
	"}\n"
	"train t {\n"
	"    network = lenet(classes = 10)\n"
	"    data = digits\n"
	"    loss = cross_entropy\n"
	"    optimizer = sgd(lr = 0.05, momentum = 0.9)\n"
	"    batch = 2\n"
	"    epochs = 1\n"
	"}\n";

/* Two stdlib basic blocks: an identity shortcut (the input used twice)
 * and a strided one with a 1x1 downsample; batchnorm in training mode. */
const char NET_RESNET[] =
	"import \"layers\"\n"
	"network tiny_resnet(classes = 3) {\n"
	"    input x : f32[2, 6, 6]\n"
	"    @chain x => conv_bn_relu(4, 3, pad = 1) => basic_block(4)\n"
	"             => basic_block(6, stride = 2) => global_avgpool => dense(classes)\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 3\n"
	"}\n"
	"train t {\n"
	"    network = tiny_resnet(classes = 3)\n"
	"    data = d\n"
	"    loss = cross_entropy\n"
	"    optimizer = adam\n"
	"    batch = 3\n"
	"    epochs = 1\n"
	"}\n";

/* Two levels down (max and average pooling) and up (a transposed
 * convolution, a bilinear upsample), skips by concat; Dice on per-pixel
 * class indices, and (train per_pixel_ce) per-pixel cross-entropy. */
const char NET_UNET[] =
	"network tiny_unet(classes = 3) {\n"
	"    input x : f32[2, 8, 8]\n"
	"    let e1 = @chain x => conv(4, 3, pad = 1) => relu\n"
	"    let e2 = @chain e1 => maxpool(2) => conv(6, 3, pad = 1) => relu\n"
	"    let bottom = @chain e2 => avgpool(2) => conv(8, 3, pad = 1) => relu\n"
	"    let u2 = bottom => conv_transpose(6, 2, stride = 2)\n"
	"    let d2 = @chain concat(e2, u2) => conv(6, 3, pad = 1) => relu\n"
	"    let u1 = d2 => upsample(2, mode = bilinear)\n"
	"    let d1 = @chain concat(e1, u1) => conv(4, 3, pad = 1) => relu\n"
	"    d1 => conv(classes, 1)\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 3\n"
	"}\n"
	"train t {\n"
	"    network = tiny_unet(classes = 3)\n"
	"    data = d\n"
	"    loss = dice(smooth = 0.5)\n"
	"    optimizer = adam(lr = 0.01)\n"
	"    batch = 2\n"
	"    epochs = 1\n"
	"}\n"
	"train per_pixel_ce {\n"
	"    network = tiny_unet(classes = 3)\n"
	"    data = d\n"
	"    loss = cross_entropy(label_smoothing = 0.05)\n"
	"    optimizer = sgd\n"
	"    batch = 2\n"
	"    epochs = 1\n"
	"}\n";

/* Multi-label: a final sigmoid fused into binary cross-entropy; elu,
 * a global max pool, a nearest upsample. */
const char NET_BCE[] =
	"network tagger(classes = 4) {\n"
	"    input x : f32[2, 4, 4]\n"
	"    @chain x => conv(5, 3) => elu => upsample(2) => conv(5, 3, stride = 2)\n"
	"             => global_maxpool => dense(classes) => sigmoid\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 4\n"
	"    multi_label = true\n"
	"}\n"
	"train t {\n"
	"    network = tagger(classes = 4)\n"
	"    data = d\n"
	"    loss = binary_cross_entropy\n"
	"    optimizer = rmsprop\n"
	"    batch = 3\n"
	"    epochs = 1\n"
	"}\n";

/* Per-pixel weighted cross-entropy, the final softmax over the channels
 * fused; pad = same, dilation, groups. */
const char NET_WXENT[] =
	"network seg(classes = 3) {\n"
	"    input x : f32[2, 5, 5]\n"
	"    @chain x => conv(4, 3, pad = same, dilation = 2) => leaky_relu(0.2)\n"
	"             => conv(6, 3, pad = 1, groups = 2) => tanh => conv(classes, 1) => softmax\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 3\n"
	"}\n"
	"train t {\n"
	"    network = seg(classes = 3)\n"
	"    data = d\n"
	"    loss = weighted_cross_entropy(weights = [0.5, 2.0, 1.25])\n"
	"    optimizer = adadelta\n"
	"    batch = 2\n"
	"    epochs = 1\n"
	"}\n";

/* Regression: activations, multiply and add with repeated inputs (h
 * three times, m twice: gradient accumulation), reshape, a final sigmoid
 * that MSE does not fuse. */
const char NET_MSE[] =
	"network reg() {\n"
	"    input x : f32[5]\n"
	"    let h = @chain x => dense(6) => tanh\n"
	"    let g = @chain h => dense(6) => gelu\n"
	"    let m = multiply(h, g)\n"
	"    let s = add(m, h, m, h, h)\n"
	"    @chain s => leaky_relu(0.1) => reshape([2, 3]) => flatten => dense(6) => elu\n"
	"             => identity => dense(3) => sigmoid\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"}\n"
	"train t {\n"
	"    network = reg()\n"
	"    data = d\n"
	"    loss = mse\n"
	"    optimizer = sgd(lr = 0.01)\n"
	"    batch = 4\n"
	"    epochs = 1\n"
	"}\n";

/* Transfer learning: a frozen backbone (no gradients, no backward steps,
 * its batchnorm in inference mode), then trainable layers with a frozen
 * dense and batchnorm in between that the gradient must pass through. */
const char NET_FROZEN[] =
	"network backbone() {\n"
	"    input x : f32[6]\n"
	"    @chain x => dense(8) => batchnorm => relu => dense(7) => tanh\n"
	"}\n"
	"network transfer(classes = 3) {\n"
	"    input x : f32[6]\n"
	"    @chain x => backbone(trainable = false) => dense(6) => relu\n"
	"             => batchnorm(trainable = false) => dense(5, trainable = false)\n"
	"             => dense(classes)\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 3\n"
	"}\n"
	"train t {\n"
	"    network = transfer(classes = 3)\n"
	"    data = d\n"
	"    loss = cross_entropy\n"
	"    optimizer = sgd(lr = 0.1, momentum = 0.5)\n"
	"    batch = 4\n"
	"    epochs = 1\n"
	"}\n";

/* L2 on chosen layers: dense_2 by name and every conv by op; dense_1
 * and every bias are left out. */
const char NET_L2[] =
	"network small(classes = 3) {\n"
	"    input x : f32[1, 6, 6]\n"
	"    @chain x => conv(3, 3) => relu => conv(2, 3) => relu => flatten\n"
	"             => dense(5) => relu => dense(classes)\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 3\n"
	"}\n"
	"train t {\n"
	"    network = small(classes = 3)\n"
	"    data = d\n"
	"    loss = cross_entropy\n"
	"    optimizer = sgd(lr = 0.1)\n"
	"    regularize = [l2(0.01, layers = [dense_2]), l2(0.05, layers = [conv])]\n"
	"    batch = 3\n"
	"    epochs = 1\n"
	"}\n";

/* Batchnorm running statistics. */
const char NET_BN[] =
	"network bn() {\n"
	"    input x : f32[2, 3, 3]\n"
	"    @chain x => conv(3, 1) => batchnorm(momentum = 0.2) => relu => flatten => dense(3)\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 3\n"
	"}\n"
	"train t {\n"
	"    network = bn()\n"
	"    data = d\n"
	"    loss = cross_entropy\n"
	"    optimizer = sgd(lr = 0.1)\n"
	"    batch = 4\n"
	"    epochs = 1\n"
	"}\n";

/* The golden dump: one of everything small. */
const char NET_GOLDEN[] =
	"network golden(classes = 3) {\n"
	"    input x : f32[1, 4, 4]\n"
	"    let f = @chain x => conv(2, 3, pad = 1, bias = false) => batchnorm => relu\n"
	"    @chain add(f, f) => maxpool(2) => flatten => dropout(0.5)\n"
	"             => dense(classes, weight_init = he_uniform, bias_init = 0.1) => softmax\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 3\n"
	"}\n"
	"train t {\n"
	"    network = golden(classes = 3)\n"
	"    data = d\n"
	"    loss = cross_entropy\n"
	"    optimizer = adam(lr = 0.002, weight_decay = 0.0001)\n"
	"    regularize = l2(0.001)\n"
	"    batch = 2\n"
	"    epochs = 1\n"
	"    seed = 7\n"
	"}\n";

/* ---------------------------------------------------------------------
 * The fixture
 * ------------------------------------------------------------------- */

/* The stdlib of the source tree. */
static const char *stdlib_dir(char *buf, size_t n)
{
	const char *e = getenv("NETC_STDLIB"), *top = getenv("abs_top_srcdir");
	if (e && *e)
		return e;
	snprintf(buf, n, "%s/stdlib", top && *top ? top : ".");
	return buf;
}

/* Front end (sema_load_text, sema_train), tprog_compile, tprog_verify. */
struct tprog *fx_compile(struct fixture *F, const char *name, const char *text,
			 const char *train, bool quiet)
{
	return fx_compile_opt(F, name, text, train, quiet, 0);
}

/* Front end, the graph passes, tprog_build, the program passes, layout. */
struct tprog *fx_compile_opt(struct fixture *F, const char *name, const char *text,
			     const char *train, bool quiet, int passes)
{
	char dir[4096];
	struct train_info *ti;
	const char *bad;

	memset(F, 0, sizeof *F);
	arena_init(&F->A);
	F->diag = open_memstream(&F->diag_text, &F->diag_len);
	diag_init(&F->D, F->diag);
	F->D.error_limit = 0;
	sema_init(&F->S, &F->A, &F->D, NULL, 0, stdlib_dir(dir, sizeof dir));
	if (!sema_load_text(&F->S, name, text, strlen(text)))
		goto fail;
	ti = sema_train(&F->S, train);
	if (!ti || F->D.nerrors)
		goto fail;
	if ((passes & FX_GRAPH) && !passes_run(ti->net, &F->D, NULL, NULL))
		goto fail;
	F->P = tprog_build(&F->A, &F->D, ti, 0);
	if (!F->P)
		goto fail;
	for (int k = 0; k < 2; k++) {
		if (!(passes & (k ? FX_FUSE : FX_BNFOLD)))
			continue;
		(k ? pass_fuse : pass_bnfold)(F->P);
		bad = tprog_verify(F->P);
		if (bad) {
			fprintf(stderr, "%s: tprog_verify after %s: %s\n", name, k ? "fuse" : "bnfold", bad);
			F->P = NULL;
			return NULL;
		}
	}
	tprog_layout(F->P);
	bad = tprog_verify(F->P);
	if (bad) {
		fprintf(stderr, "%s: tprog_verify: %s\n", name, bad);
		F->P = NULL;
		return NULL;
	}
	return F->P;
fail:
	if (!quiet)
		fprintf(stderr, "%s: does not compile:\n%s", name, fx_diags(F));
	F->P = NULL;
	return NULL;
}

/* The memory stream the diagnostics go to. */
const char *fx_diags(struct fixture *F)
{
	fflush(F->diag);
	return F->diag_text ? F->diag_text : "";
}

/* Diagnostics, then the arena. */
void fx_free(struct fixture *F)
{
	diag_free(&F->D);
	fclose(F->diag);
	free(F->diag_text);
	arena_free(&F->A);
}

/* ---------------------------------------------------------------------
 * Random batches
 * ------------------------------------------------------------------- */

uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* 53 random bits in [0, 1). */
double rng_uniform(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1p-53;
}

/* Box-Muller. */
double rng_normal(struct rng *r)
{
	double u1 = rng_uniform(r), u2 = rng_uniform(r);
	return sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2);
}

/* Inputs N(0, 1); targets valid for the loss. */
void fx_random_batch(struct interp *I, uint64_t seed)
{
	const struct tprog *P = I->P;
	struct rng r = { seed };
	const struct tbuf *t = &P->bufs[P->target];
	int64_t classes = P->logits->shape.d[0];

	for (int k = 0; k < P->net->ninputs; k++)
		for (int64_t i = 0; i < P->bufs[P->inputs[k]].numel; i++)
			interp_set(I, P->inputs[k], i, rng_normal(&r));
	for (int64_t i = 0; i < t->numel; i++) {
		double v;
		if (t->dtype == TP_I32)
			v = (double)(rng_next(&r) % (uint64_t)classes);
		else if (P->cfg.loss == TL_BCE)
			v = (double)(rng_next(&r) & 1);
		else
			v = rng_normal(&r);
		interp_set(I, P->target, i, v);
	}
}
