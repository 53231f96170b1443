/* test_jit.c - the compiled training program against the reference
 * interpreter (tests/train/interp.h), float32.  For each network: init
 * (bitwise: same formulas), then three train steps on the interpreter's
 * random batches, comparing after each the loss, every gradient, the
 * parameters, the optimizer and batchnorm state, and the network output,
 * element-wise within |a - b| <= 1e-5 + 1e-4 |b| (each step from the
 * reference's state); then the forward
 * (inference) list.  Each network runs with 1 and 2 threads, and the two
 * runs, and a second run with 1 thread, must agree bit for bit.
 *
 * Every network is compiled three ways: without the passes (netc build
 * --no-opt), with fuse alone, and with all of them (graph passes, bnfold,
 * fuse: netc build's default); each is checked against the interpreter
 * as above.  Then the compiled programs run on their own (init, two train
 * steps, eval_step, forward) and are compared with each other: the fused
 * one bitwise with the plain one (loss, PARAM, GRAD, STATE, OPT, eval
 * loss, output: the epilogue kernels and the chain loops do the unfused
 * arithmetic in its order), the fully optimised one within the bound
 * (bnfold rounds the inference output differently). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "interp.h"
#include "tjit.h"
#include "nets.h"

enum { NSTEPS = 3 };

struct worst {
	double err;                  /* the largest |a - b| / (1e-5 + 1e-4 |b|) seen */
	char where[160];
};

static int failures;

/* Compare buffer region r of the compiled run with the interpreter's. */
static void compare(const char *net, const char *what, int step, const float *got,
		    const float *want, int64_t n, struct worst *w)
{
	int shown = 0;
	for (int64_t i = 0; i < n; i++) {
		double a = got[i], b = want[i], tol = 1e-5 + 1e-4 * fabs(b);
		double r = fabs(a - b) / tol;
		if (!(r <= 1) && shown++ < 3) {
			printf("FAIL %s step %d %s[%lld]: compiled %.9g reference %.9g\n", net, step, what,
			       (long long)i, a, b);
			failures++;
		}
		if (r > w->err || isnan(r)) {
			w->err = isnan(r) ? INFINITY : r;
			snprintf(w->where, sizeof w->where, "%s step %d %s[%lld] |a-b| = %.3g", net, step, what,
				 (long long)i, fabs(a - b));
		}
	}
}

struct run {
	struct netrt_ctx c;
	void *mem[NETRT_NREGIONS];
};

static void run_alloc(struct run *R, const struct interp *I, struct nrt_pool *pool,
		      const struct tjit *j, int threads)
{
	memset(R, 0, sizeof *R);
	for (int r = 0; r < NETRT_NREGIONS; r++)
		R->c.region[r] = R->mem[r] = calloc(I->bytes[r] ? I->bytes[r] : 1, 1);
	R->c.seed = I->seed;
	R->c.lr_scale = 1;
	R->c.pool = pool;
	R->c.workspace_size = (size_t)j->workspace_size(threads);
	R->c.workspace = malloc(R->c.workspace_size + 1);
}

static void run_free(struct run *R)
{
	for (int r = 0; r < NETRT_NREGIONS; r++)
		free(R->mem[r]);
	free(R->c.workspace);
}

static void compare_all(const char *net, int step, const struct tprog *P, const struct run *R,
			const struct interp *I, struct worst *w)
{
	static const int regions[] = { TP_PARAM, TP_GRAD, TP_STATE, TP_OPT };
	for (size_t k = 0; k < sizeof regions / sizeof *regions; k++) {
		int r = regions[k];
		compare(net, tp_region_name((enum tp_region)r), step, R->mem[r], I->mem[r], P->size[r], w);
	}
	if (P->loss >= 0)
		compare(net, "loss", step, (float *)R->mem[TP_ACT] + P->bufs[P->loss].offset,
			(float *)I->mem[TP_ACT] + P->bufs[P->loss].offset, 1, w);
	if (P->output >= 0)
		compare(net, "output", step, (float *)R->mem[TP_ACT] + P->bufs[P->output].offset,
			(float *)I->mem[TP_ACT] + P->bufs[P->output].offset, P->bufs[P->output].numel, w);
}

/* One whole run of `net` on `threads` threads; the final regions stay in R. */
static void run_net(const char *net, const struct tprog *P, const struct tjit *j, int threads,
		    struct run *R, struct worst *w)
{
	struct interp *I = interp_new(P, INTERP_F32);
	struct nrt_pool *pool = nrt_pool_new(threads);
	int rc;

	run_alloc(R, I, pool, j, threads);
	interp_init(I);
	rc = j->init(&R->c);
	if (rc) {
		printf("FAIL %s: netc_init returned %d\n", net, rc);
		failures++;
	}
	compare(net, "init PARAM", 0, R->mem[TP_PARAM], I->mem[TP_PARAM], P->size[TP_PARAM], w);
	compare(net, "init CONST", 0, R->mem[TP_CONST], I->mem[TP_CONST], P->size[TP_CONST], w);
	for (int step = 1; step <= NSTEPS; step++) {
		fx_random_batch(I, 100 + (uint64_t)step);
		memcpy(R->mem[TP_INPUT], I->mem[TP_INPUT], I->bytes[TP_INPUT]);
		memcpy(R->mem[TP_TARGET], I->mem[TP_TARGET], I->bytes[TP_TARGET]);
		memcpy(R->mem[TP_CONST], I->mem[TP_CONST], I->bytes[TP_CONST]);
		interp_train_step(I, (uint32_t)step);
		R->c.step = step;
		rc = j->train_step(&R->c);
		if (rc) {
			printf("FAIL %s: netc_train_step returned %d\n", net, rc);
			failures++;
		}
		compare_all(net, step, P, R, I, w);
		/* Each step is compared from the same state: start the next one
		 * from the reference's, so that normalising optimizers (RMSprop,
		 * Adam: g / sqrt(v)) do not compound one step's rounding. */
		for (int r = 0; r < TP_NREGIONS; r++)
			memcpy(R->mem[r], I->mem[r], I->bytes[r]);
	}
	interp_run(I, &P->forward, NSTEPS, TP_FWD, TP_NPHASES - 1);
	j->forward(&R->c);
	if (P->output >= 0)
		compare(net, "forward output", NSTEPS, (float *)R->mem[TP_ACT] + P->bufs[P->output].offset,
			(float *)I->mem[TP_ACT] + P->bufs[P->output].offset, P->bufs[P->output].numel, w);
	interp_free(I);
	nrt_pool_free(pool);
	R->c.pool = NULL;
}

static bool same_bits(const struct tprog *P, const struct run *a, const struct run *b)
{
	for (int r = 0; r < TP_NREGIONS; r++)
		if (memcmp(a->mem[r], b->mem[r], (size_t)P->size[r] * 4) != 0)
			return false;
	return true;
}

/* Wide layers: the elementwise loops above the parallel threshold (and,
 * fused, the epilogues and a residual add -> relu and its acc -> relu_bwd
 * chain). */
static const char NET_WIDE[] =
	"network wide {\n"
	"    input x : f32[300]\n"
	"    let h = @chain x => dense(300) => relu\n"
	"    let r = @chain add(h, dense(300)(h)) => relu\n"
	"    @chain r => dense(300) => leaky_relu(0.1) => dense(4)\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 4\n"
	"}\n"
	"train t {\n"
	"    network = wide\n"
	"    data = d\n"
	"    epochs = 1\n"
	"    loss = cross_entropy\n"
	"    optimizer = sgd(lr = 0.05, momentum = 0.9)\n"
	"    batch = 256\n"
	"}\n";

/* The runtime functions generated code may call that nothing else in
 * this program references: named here so that the linker takes their
 * objects out of libnetrt.a (-rdynamic then exports them to the JIT). */
__attribute__((used)) static void *const runtime_keep[] = {
	(void *)nrt_cpu_conv_fwd_f32, (void *)nrt_cpu_conv_bwd_f32,
	(void *)nrt_cpu_conv_transpose_fwd_f32, (void *)nrt_cpu_conv_transpose_bwd_f32,
	(void *)nrt_cpu_dense_fwd_f32, (void *)nrt_cpu_dense_bwd_f32, (void *)nrt_conv_workspace,
	(void *)nrt_conv_transpose_workspace, (void *)nrt_parallel_for,
	(void *)netrt_init_uniform_f32, (void *)netrt_init_normal_f32,
	(void *)nrt_cpu_conv_fwd_ep_f32, (void *)nrt_cpu_conv_transpose_fwd_ep_f32,
	(void *)nrt_cpu_dense_fwd_ep_f32, (void *)nrt_ref_batchnorm_fold_f32,
};

static const char *variant(int passes)
{
	return passes == 0 ? "plain" : passes == FX_FUSE ? "fuse" : "all passes";
}

static void test_net(const char *name, const char *text, int passes)
{
	struct fixture F;
	struct tjit j;
	struct run r1, r2, r1b;
	struct worst w = { 0, "" };
	const struct tprog *P = fx_compile_opt(&F, name, text, NULL, false, passes);
	int before = failures;

	if (!P) {
		printf("FAIL %s: does not compile\n", name);
		failures++;
		return;
	}
	if (tjit_load(&j, P)) {
		printf("FAIL %s: %s\n", name, j.err);
		failures++;
		tjit_free(&j);
		fx_free(&F);
		return;
	}
	run_net(name, P, &j, 1, &r1, &w);
	run_net(name, P, &j, 2, &r2, &w);
	run_net(name, P, &j, 1, &r1b, &w);
	if (!same_bits(P, &r1, &r1b)) {
		printf("FAIL %s: two runs with one seed differ\n", name);
		failures++;
	}
	if (!same_bits(P, &r1, &r2)) {
		printf("FAIL %s: 1 and 2 threads differ\n", name);
		failures++;
	}
	printf("%s %s (%s): worst error %.3g of the tolerance (%s)\n",
	       failures == before ? "ok  " : "FAIL", name, variant(passes), w.err, w.where);
	run_free(&r1);
	run_free(&r2);
	run_free(&r1b);
	tjit_free(&j);
	fx_free(&F);
}

/* What a compiled program gives on its own: the loss after each train
 * step, the blobs after the last, the eval loss and the forward output. */
struct alone {
	float loss[NSTEPS + 1], eval_loss;
	void *mem[TP_NREGIONS];
	size_t bytes[TP_NREGIONS];
	float *out;
	int64_t nout;
};

/* Compile `text` with `passes`, run it on one thread, keep what it gave. */
static bool alone_run(const char *name, const char *text, int passes, struct alone *A)
{
	struct fixture F;
	struct tjit j;
	struct run R;
	struct interp *I;
	const struct tprog *P = fx_compile_opt(&F, name, text, NULL, false, passes);
	bool ok = true;

	memset(A, 0, sizeof *A);
	if (!P)
		return false;
	if (tjit_load(&j, P)) {
		tjit_free(&j);
		fx_free(&F);
		return false;
	}
	I = interp_new(P, INTERP_F32);   /* for its buffers' sizes and the batches */
	run_alloc(&R, I, NULL, &j, 1);
	ok = ok && j.init(&R.c) == 0;
	for (int step = 1; step <= NSTEPS; step++) {
		fx_random_batch(I, 100 + (uint64_t)step);
		for (int r = TP_INPUT; r <= TP_TARGET; r++)
			memcpy(R.mem[r], I->mem[r], I->bytes[r]);
		R.c.step = step;
		ok = ok && j.train_step(&R.c) == 0;
		A->loss[step] = ((float *)R.mem[TP_ACT])[P->bufs[P->loss].offset];
	}
	fx_random_batch(I, 7);
	for (int r = TP_INPUT; r <= TP_TARGET; r++)
		memcpy(R.mem[r], I->mem[r], I->bytes[r]);
	ok = ok && j.eval_step(&R.c) == 0;
	A->eval_loss = ((float *)R.mem[TP_ACT])[P->bufs[P->loss].offset];
	ok = ok && j.forward(&R.c) == 0;
	for (int r = 0; r < TP_NREGIONS; r++) {
		A->mem[r] = R.mem[r];
		R.mem[r] = r == TP_ACT ? R.mem[r] : NULL;
	}
	A->mem[TP_ACT] = NULL;
	if (P->output >= 0) {
		A->nout = P->bufs[P->output].numel;
		A->out = malloc((size_t)A->nout * sizeof *A->out + 1);
		memcpy(A->out, (float *)R.mem[TP_ACT] + P->bufs[P->output].offset,
		       (size_t)A->nout * sizeof *A->out);
	}
	for (int r = 0; r < TP_NREGIONS; r++)
		A->bytes[r] = I->bytes[r];
	run_free(&R);
	interp_free(I);
	tjit_free(&j);
	fx_free(&F);
	return ok;
}

static void alone_free(struct alone *A)
{
	for (int r = 0; r < TP_NREGIONS; r++)
		free(A->mem[r]);
	free(A->out);
}

static bool near(float a, float b, bool bitwise)
{
	if (bitwise)
		return memcmp(&a, &b, sizeof a) == 0;
	return fabs((double)a - b) <= 1e-5 + 1e-4 * fabs((double)b);
}

/* Compare what `passes` gives with what the plain program gives. */
static void compare_alone(const char *name, const char *text, int passes)
{
	struct alone a, b;
	bool bitwise = passes == FX_FUSE;
	int before = failures;

	if (!alone_run(name, text, 0, &a) || !alone_run(name, text, passes, &b)) {
		printf("FAIL %s: a compiled run failed\n", name);
		failures++;
		return;
	}
	for (int s = 1; s <= NSTEPS; s++)
		if (!near(b.loss[s], a.loss[s], bitwise)) {
			printf("FAIL %s (%s) step %d: loss %.9g, plain %.9g\n", name, variant(passes), s,
			       b.loss[s], a.loss[s]);
			failures++;
		}
	for (int r = TP_PARAM; r <= TP_OPT; r++) {
		const float *x = b.mem[r], *y = a.mem[r];
		int64_t n = (int64_t)(a.bytes[r] / sizeof(float)), bad = 0;
		if (a.bytes[r] != b.bytes[r]) {
			bad = 1;
		} else {
			for (int64_t i = 0; i < n; i++)
				bad += !near(x[i], y[i], bitwise);
		}
		if (bad) {
			printf("FAIL %s (%s): %s differs from plain in %lld elements\n", name,
			       variant(passes), tp_region_name((enum tp_region)r), (long long)bad);
			failures++;
		}
	}
	if (!near(b.eval_loss, a.eval_loss, bitwise)) {
		printf("FAIL %s (%s): eval loss %.9g, plain %.9g\n", name, variant(passes), b.eval_loss,
		       a.eval_loss);
		failures++;
	}
	for (int64_t i = 0; i < a.nout && a.nout == b.nout; i++)
		if (!near(b.out[i], a.out[i], bitwise)) {
			printf("FAIL %s (%s): output[%lld] %.9g, plain %.9g\n", name, variant(passes),
			       (long long)i, b.out[i], a.out[i]);
			failures++;
			break;
		}
	if (a.nout != b.nout) {
		printf("FAIL %s (%s): outputs of different sizes\n", name, variant(passes));
		failures++;
	}
	printf("%s %s: compiled %s against compiled plain, %s\n", failures == before ? "ok  " : "FAIL",
	       name, variant(passes), bitwise ? "bitwise" : "within the bound");
	alone_free(&a);
	alone_free(&b);
}

int main(void)
{
	static const struct { const char *name, *text; } nets[] = {
		{ "mlp", NET_MLP }, { "lenet", NET_LENET }, { "bn", NET_BN }, { "resnet", NET_RESNET },
		{ "unet", NET_UNET }, { "bce", NET_BCE }, { "wxent", NET_WXENT }, { "mse", NET_MSE },
		{ "frozen", NET_FROZEN }, { "l2", NET_L2 }, { "golden", NET_GOLDEN },
		{ "wide", NET_WIDE },
	};
	nrt_cpu_init();
	for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
		test_net(nets[i].name, nets[i].text, 0);
		test_net(nets[i].name, nets[i].text, FX_FUSE);
		test_net(nets[i].name, nets[i].text, FX_ALL);
		compare_alone(nets[i].name, nets[i].text, FX_FUSE);
		compare_alone(nets[i].name, nets[i].text, FX_ALL);
	}
	printf("%d failure%s\n", failures, failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
