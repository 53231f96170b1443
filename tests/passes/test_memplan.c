/* test_memplan.c - memory planning of the ACT arena (compiler/passes/
 * memplan.c): for each test network, the planned layout keeps live
 * buffers apart (tprog_verify_layout), makes the arena smaller, and --
 * what matters -- trains bitwise the same as the plain layout under the
 * reference interpreter: the same loss, GRAD, PARAM, STATE and OPT after
 * two train steps, and the same eval loss and network output.
 *
 * Both interpreters start with the ACT arena full of NaNs instead of
 * zeros, so that a step reading memory no step of its list wrote (which
 * planning would turn into reading another buffer's data) shows up as a
 * difference or a NaN. */
#include "nets.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static long checks, failed;

#define CHECK(expr) check(!!(expr), __LINE__, #expr)
static bool check(bool ok, int line, const char *expr)
{
	checks++;
	if (!ok) {
		failed++;
		fprintf(stderr, "test_memplan.c:%d: CHECK(%s) failed\n", line, expr);
	}
	return ok;
}

/* Fill the ACT arena with NaN bit patterns (0xff bytes). */
static void poison_act(struct interp *I)
{
	if (I->mem[TP_ACT])
		memset(I->mem[TP_ACT], 0xff, I->bytes[TP_ACT]);
}

/* Region r of a and b holds the same bits. */
static bool same_region(const struct interp *a, const struct interp *b, enum tp_region r)
{
	if (a->bytes[r] != b->bytes[r])
		return false;
	return a->bytes[r] == 0 || memcmp(a->mem[r], b->mem[r], a->bytes[r]) == 0;
}

/* The bits of a double (so that equal NaNs compare equal, and -0 != 0). */
static bool same_bits(double x, double y)
{
	return memcmp(&x, &y, sizeof x) == 0;
}

/* must_shrink: the arena must get smaller.  Not asked of the tiniest nets,
 * where the 16-element alignment of planned offsets costs more than reuse
 * saves. */
static void one_net(const char *name, const char *text, enum interp_prec prec, bool must_shrink)
{
	struct fixture plain, planned;
	struct interp *ip, *iq;
	const char *bad;
	const enum tp_region cmp[] = { TP_PARAM, TP_GRAD, TP_STATE, TP_OPT };

	if (!CHECK(fx_compile(&plain, name, text, NULL, false)))
		return;
	if (!CHECK(fx_compile(&planned, name, text, NULL, false))) {
		fx_free(&plain);
		return;
	}
	/* fx_compile lays out with tprog_build's default, planned; lay the
	 * first one out again without planning (netc build --no-opt) */
	CHECK(planned.P->memplan);
	plain.P->memplan = false;
	tprog_layout(plain.P);
	bad = tprog_verify(planned.P);
	if (!CHECK(bad == NULL))
		fprintf(stderr, "  %s: tprog_verify: %s\n", name, bad);
	bad = tprog_verify_layout(planned.P);
	if (!CHECK(bad == NULL))
		fprintf(stderr, "  %s: tprog_verify_layout (planned): %s\n", name, bad);
	bad = tprog_verify_layout(plain.P);
	if (!CHECK(bad == NULL))
		fprintf(stderr, "  %s: tprog_verify_layout (plain): %s\n", name, bad);
	if (must_shrink && !CHECK(planned.P->size[TP_ACT] < plain.P->size[TP_ACT]))
		fprintf(stderr, "  %s: ACT %lld planned, %lld plain\n", name,
			(long long)planned.P->size[TP_ACT], (long long)plain.P->size[TP_ACT]);
	printf("%-12s %s ACT %8lld -> %8lld elements (%.2fx)\n", name,
	       prec == INTERP_F32 ? "f32" : "f64", (long long)plain.P->size[TP_ACT],
	       (long long)planned.P->size[TP_ACT],
	       (double)plain.P->size[TP_ACT] / (double)(planned.P->size[TP_ACT] ? planned.P->size[TP_ACT] : 1));

	ip = interp_new(plain.P, prec);
	iq = interp_new(planned.P, prec);
	if (!CHECK(ip && iq))
		goto out;
	poison_act(ip);
	poison_act(iq);
	interp_init(ip);
	interp_init(iq);
	for (uint32_t step = 1; step <= 2; step++) {
		fx_random_batch(ip, 100 + step);
		fx_random_batch(iq, 100 + step);
		interp_train_step(ip, step);
		interp_train_step(iq, step);
		CHECK(!isnan(interp_loss(ip)));
		if (!CHECK(same_bits(interp_loss(ip), interp_loss(iq))))
			fprintf(stderr, "  %s step %u: loss %.17g plain, %.17g planned\n", name, step,
				interp_loss(ip), interp_loss(iq));
		for (size_t r = 0; r < sizeof cmp / sizeof *cmp; r++)
			if (!CHECK(same_region(ip, iq, cmp[r])))
				fprintf(stderr, "  %s step %u: %s differs\n", name, step,
					tp_region_name(cmp[r]));
	}
	/* eval_step and forward: the loss and the output the driver reads */
	fx_random_batch(ip, 7);
	fx_random_batch(iq, 7);
	interp_run(ip, &plain.P->eval_step, 3, TP_FWD, TP_NPHASES - 1);
	interp_run(iq, &planned.P->eval_step, 3, TP_FWD, TP_NPHASES - 1);
	CHECK(same_bits(interp_loss(ip), interp_loss(iq)));
	interp_run(ip, &plain.P->forward, 3, TP_FWD, TP_NPHASES - 1);
	interp_run(iq, &planned.P->forward, 3, TP_FWD, TP_NPHASES - 1);
	if (plain.P->output >= 0) {
		bool same = true;
		for (int64_t i = 0; i < plain.P->bufs[plain.P->output].numel; i++)
			same = same && same_bits(interp_get(ip, plain.P->output, i),
						 interp_get(iq, planned.P->output, i));
		if (!CHECK(same))
			fprintf(stderr, "  %s: forward output differs\n", name);
	}
	CHECK(same_region(ip, iq, TP_STATE));
out:
	interp_free(ip);
	interp_free(iq);
	fx_free(&plain);
	fx_free(&planned);
}

int main(void)
{
	static const struct {
		const char *name, *text;
		bool must_shrink;
	} nets[] = {
		{ "lenet", NET_LENET, true },
		{ "resnet", NET_RESNET, true },    /* residual, batchnorm */
		{ "unet", NET_UNET, true },
		{ "mlp", NET_MLP, false },
		{ "bn", NET_BN, false },
		{ "frozen", NET_FROZEN, false },
		{ "golden", NET_GOLDEN, false },
	};
	for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
		one_net(nets[i].name, nets[i].text, INTERP_F32, nets[i].must_shrink);
		one_net(nets[i].name, nets[i].text, INTERP_F64, nets[i].must_shrink);
	}
	printf("test_memplan: %ld checks, %ld failed\n", checks, failed);
	return failed ? 1 : 0;
}
