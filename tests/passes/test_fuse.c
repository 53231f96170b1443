/* test_fuse.c - operator fusion on the training program (compiler/passes/
 * fuse.c):
 *
 *   - the dump of a small net before and after the pass: conv + relu and
 *     dense + leaky_relu as one forward step with the activation in the
 *     epilogue, add -> relu of a residual and acc -> relu_bwd of its
 *     backward as `elementwise` chains, relu_bwd reading the relu's
 *     output, a flatten's copy written by its producer;
 *   - fewer steps and ACT buffers, and a smaller planned arena, for
 *     LeNet, the residual net and the U-Net;
 *   - for every test network, fused and unfused programs run on the
 *     reference interpreter (float32 and float64) give bitwise the same
 *     loss, PARAM, GRAD, STATE and OPT after two train steps, and the
 *     same eval loss and forward output: the fused steps do the unfused
 *     arithmetic in the unfused order (the interpreter runs a chain as the
 *     composition of the kernels it came from, an epilogue as the
 *     activation kernel on the forward's output). */
#include "twin.h"

#include "passes/progpasses.h"

/* conv + relu, a residual add + relu, a flatten, dense + leaky_relu. */
static const char NET_SMALL[] =
	"network small {\n"
	"    input x : f32[2, 6, 6]\n"
	"    let a = @chain x => conv(4, 3, pad = 1) => relu\n"
	"    let b = @chain a => conv(4, 3, pad = 1)\n"
	"    @chain add(a, b) => relu => flatten => dense(8) => leaky_relu(0.1) => dense(3)\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 3\n"
	"}\n"
	"train t {\n"
	"    network = small\n"
	"    data = d\n"
	"    loss = cross_entropy\n"
	"    optimizer = sgd(lr = 0.1)\n"
	"    batch = 2\n"
	"    epochs = 1\n"
	"}\n";

/* The dump of P into a malloc'ed string. */
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

static void test_dump(void)
{
	struct fixture F0, F1;
	const struct tprog *P0 = fx_compile_opt(&F0, "small", NET_SMALL, NULL, false, 0);
	const struct tprog *P1 = fx_compile_opt(&F1, "small", NET_SMALL, NULL, false, FX_FUSE);
	char *before, *after;

	if (!CHECK(P0 && P1))
		return;
	before = dump(P0);
	after = dump(P1);
	printf("---- small, before fuse\n%s---- small, after fuse\n%s----\n", before, after);
	/* before: each op its own step */
	CHECK(has(before, "relu_fwd x=conv_1 -> y=a "));
	CHECK(has(before, "relu_bwd x=conv_1 dy=grad.a "));
	CHECK(has(before, "add_fwd x[0]=a x[1]=b -> y=add_1 "));
	CHECK(has(before, "copy x=relu_2 -> y=flatten_1 "));
	CHECK(has(before, "leaky_relu_fwd x=dense_1 -> y=leaky_relu_1 "));
	/* after: the epilogues */
	CHECK(has(after, "conv_fwd x=x w=conv_1.weight b=conv_1.bias -> y=a "));
	CHECK(has(after, "dilation=1,1 act=relu  # conv_1"));
	CHECK(has(after, "dense_fwd x=flatten_1 w=dense_1.weight b=dense_1.bias -> y=leaky_relu_1 "
		  " n=2 in=144 out=8 act=leaky_relu(0.1)"));
	CHECK(!strstr(after, "relu_fwd"));
	CHECK(!strstr(after, "add_fwd"));
	/* the backward reads the activation's output */
	CHECK(has(after, "leaky_relu_bwd x=leaky_relu_1 dy=grad.leaky_relu_1"));
	/* the residual add -> relu -> flatten as one loop (in every list: the
	 * relu's backward reads the flatten's copy of its output instead) */
	CHECK(has(after, "  fwd    elementwise x[0]=a x[1]=b -> y=flatten_1  count=288 "
		  "ops=add(x0,x1);relu(t0);copy(t1)"));
	CHECK(has(after, "\n  elementwise x[0]=a x[1]=b -> y=flatten_1  count=288 "
		  "ops=add(x0,x1);relu(t0);copy(t1)"));
	CHECK(has(after, "elementwise x[0]=grad.flatten_1 x[1]=flatten_1 -> y=grad.add_1  count=288 "
		  "ops=copy(x0);relu_bwd(x1,t0)"));
	/* the backward of a (used twice): acc then relu_bwd as one loop */
	CHECK(has(after, "elementwise x[0]=grad.a x[1]=grad.a#2 x[2]=a -> y=grad.conv_1  count=288 "
		  "ops=add(x0,x1);relu_bwd(x2,t0)"));
	CHECK(!strstr(after, "  acc "));
	CHECK(twin_steps(P1) < twin_steps(P0));
	printf("small: %d -> %d steps, %d -> %d ACT buffers, ACT %lld -> %lld elements\n",
	       twin_steps(P0), twin_steps(P1), twin_act_bufs(P0), twin_act_bufs(P1),
	       (long long)P0->size[TP_ACT], (long long)P1->size[TP_ACT]);
	free(before);
	free(after);
	fx_free(&F0);
	fx_free(&F1);
}

/* Fused against unfused; smaller where asked. */
static void one_net(const char *name, const char *text, const char *train, bool must_shrink)
{
	struct fixture F0, F1;
	const struct tprog *P0 = fx_compile_opt(&F0, name, text, train, false, 0);
	const struct tprog *P1 = fx_compile_opt(&F1, name, text, train, false, FX_FUSE);

	if (!CHECK(P0 && P1))
		goto out;
	CHECK(tprog_verify_layout(P1) == NULL);
	printf("%-10s steps %4d -> %4d, ACT buffers %4d -> %4d, ACT %8lld -> %8lld elements\n",
	       name, twin_steps(P0), twin_steps(P1), twin_act_bufs(P0), twin_act_bufs(P1),
	       (long long)P0->size[TP_ACT], (long long)P1->size[TP_ACT]);
	CHECK(twin_steps(P1) <= twin_steps(P0));
	CHECK(P1->size[TP_ACT] <= P0->size[TP_ACT]);
	if (must_shrink) {
		CHECK(twin_steps(P1) < twin_steps(P0));
		CHECK(twin_act_bufs(P1) < twin_act_bufs(P0));
		CHECK(P1->size[TP_ACT] < P0->size[TP_ACT]);
	}
	twin_run(name, P0, P1, INTERP_F32, 2, TWIN_BITWISE, TWIN_BITWISE);
	twin_run(name, P0, P1, INTERP_F64, 2, TWIN_BITWISE, TWIN_BITWISE);
out:
	if (P0)
		fx_free(&F0);
	if (P1)
		fx_free(&F1);
}

/* The figures of the brief: steps, ACT buffers and the planned ACT arena
 * (float32 bytes) without passes, with fuse, and with all passes, for
 * LeNet at batch 64, bench/nets.net's ResNet-18 for 32x32 inputs at batch
 * 32, and the stdlib U-Net at test_jit_stdlib's settings; fuse must not
 * make any of them bigger. */
static const char FIG_LENET[] =
	"import \"lenet\"\n"
	"data d {\n    source = csv(\"x.csv\")\n    classes = 10\n}\n"
	"train t {\n    network = lenet(classes = 10)\n    data = d\n    loss = cross_entropy\n"
	"    optimizer = sgd(lr = 0.05, momentum = 0.9)\n    batch = 64\n    epochs = 1\n}\n";
static const char FIG_RESNET18[] =
	"import \"resnet\"\nimport \"layers\"\n"
	"network resnet18_cifar(classes = 10) {\n"
	"    input x : f32[3, 32, 32]\n"
	"    @chain x => conv_bn_relu(64, 3, pad = 1) => basic_stage(64, 2)\n"
	"             => basic_stage(128, 2, stride = 2) => basic_stage(256, 2, stride = 2)\n"
	"             => basic_stage(512, 2, stride = 2) => global_avgpool => dense(classes)\n"
	"}\n"
	"data d {\n    source = csv(\"x.csv\")\n    classes = 10\n}\n"
	"train t {\n    network = resnet18_cifar(classes = 10)\n    data = d\n"
	"    loss = cross_entropy\n    optimizer = sgd(lr = 0.1, momentum = 0.9)\n"
	"    batch = 32\n    epochs = 1\n}\n";
static const char FIG_UNET[] =
	"import \"unet\"\n"
	"data d {\n    source = csv(\"x.csv\")\n    classes = 3\n}\n"
	"train t {\n    network = unet(in_channels = 4, classes = 3, base = 8, size = 32)\n"
	"    data = d\n    loss = dice\n    optimizer = adam(lr = 0.001, eps = 1e-5)\n"
	"    batch = 2\n    epochs = 1\n}\n";

static void figures(void)
{
	static const struct { const char *name, *text; } nets[] = {
		{ "lenet/64", FIG_LENET }, { "resnet18-32x32/32", FIG_RESNET18 }, { "unet/2", FIG_UNET },
	};
	static const int variants[] = { 0, FX_FUSE, FX_ALL };
	printf("%-18s %-10s %6s %6s %6s %6s %8s %12s\n", "net", "passes", "fwd", "train", "eval",
	       "total", "ACT bufs", "ACT bytes");
	for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
		int64_t act0 = 0;
		int steps0 = 0;
		for (size_t v = 0; v < 3; v++) {
			struct fixture F;
			const struct tprog *P = fx_compile_opt(&F, nets[i].name, nets[i].text, NULL, false,
							       variants[v]);
			if (!CHECK(P))
				continue;
			printf("%-18s %-10s %6d %6d %6d %6d %8d %12lld\n", nets[i].name,
			       v == 0 ? "none" : v == 1 ? "fuse" : "all", P->forward.n, P->train_step.n,
			       P->eval_step.n, twin_steps(P), twin_act_bufs(P),
			       (long long)P->size[TP_ACT] * 4);
			if (v == 0) {
				act0 = P->size[TP_ACT];
				steps0 = twin_steps(P);
			} else {
				CHECK(P->size[TP_ACT] <= act0);
				CHECK(twin_steps(P) < steps0);
			}
			fx_free(&F);
		}
	}
}

/* A second run of the pass finds nothing. */
static void test_idempotent(void)
{
	struct fixture F;
	struct tprog *P = fx_compile_opt(&F, "resnet", NET_RESNET, NULL, false, FX_FUSE);
	if (!CHECK(P))
		return;
	CHECK(pass_fuse(P) == 0);
	fx_free(&F);
}

int main(void)
{
	static const struct {
		const char *name, *text, *train;
		bool must_shrink;
	} nets[] = {
		{ "lenet", NET_LENET, NULL, true },
		{ "resnet", NET_RESNET, NULL, true },
		{ "unet", NET_UNET, NULL, true },
		{ "unet-ce", NET_UNET, "per_pixel_ce", true },
		{ "mlp", NET_MLP, NULL, false },
		{ "bn", NET_BN, NULL, false },
		{ "frozen", NET_FROZEN, NULL, false },
		{ "golden", NET_GOLDEN, NULL, false },
		{ "mse", NET_MSE, NULL, false },
		{ "wxent", NET_WXENT, NULL, false },
		{ "bce", NET_BCE, NULL, false },
		{ "l2", NET_L2, NULL, false },
		{ "small", NET_SMALL, NULL, true },
	};
	test_dump();
	test_idempotent();
	figures();
	for (size_t i = 0; i < sizeof nets / sizeof *nets; i++)
		one_net(nets[i].name, nets[i].text, nets[i].train, nets[i].must_shrink);
	printf("test_fuse: %ld checks, %ld failed\n", checks, failed);
	return failed ? 1 : 0;
}
