/* test_cse_train.c - a network with duplicate subexpressions trains the
 * same with all of netc build's passes (fold, cse, dce on the graph;
 * bnfold, fuse on the program) and without them (--no-opt), on the
 * reference interpreter in float32 and float64: the loss and PARAM, GRAD,
 * STATE, OPT after each of NSTEPS train steps, and the eval loss and the
 * forward output after them, bitwise.
 *
 * Why bitwise and not merely close: cse merges maxpool(a) twice and
 * relu(...) twice into one node each, and fold drops the identity, so the
 * forward computes the same values once instead of twice.  In the
 * backward, the two uses of the merged relu give one gradient d + d
 * (acc) where the unmerged program has d in each branch and adds the two
 * branches' results after relu_bwd and maxpool_bwd.  Both of those are
 * selections (relu_bwd passes dy or 0; maxpool_bwd with non-overlapping
 * windows moves dy to one place per window), and d + d = 2d is exact, so
 * both programs compute 2 relu_bwd(d) at the same places with no other
 * rounding.  Fusion is bitwise by construction (test_fuse.c). */
#include "twin.h"

enum { NSTEPS = 5 };

static const char NET_DUP[] =
	"network dup {\n"
	"    input x : f32[2, 6, 6]\n"
	"    let a = @chain x => conv(4, 3, pad = 1) => relu\n"
	"    let p = maxpool(2)(a)\n"
	"    let q = maxpool(2)(a)\n"
	"    let u = @chain p => identity => relu\n"
	"    let v = relu(q)\n"
	"    @chain add(u, v) => flatten => dense(3)\n"
	"}\n"
	"data d {\n"
	"    source = csv(\"x.csv\")\n"
	"    classes = 3\n"
	"}\n"
	"train t {\n"
	"    network = dup\n"
	"    data = d\n"
	"    loss = cross_entropy\n"
	"    optimizer = sgd(lr = 0.1, momentum = 0.9)\n"
	"    batch = 3\n"
	"    epochs = 1\n"
	"}\n";

static int count_op(const struct graph *g, enum op op)
{
	int n = 0;
	for (int i = 0; i < g->n; i++)
		n += g->nodes[i]->op == op;
	return n;
}

int main(void)
{
	struct fixture F0, F1;
	const struct tprog *P0 = fx_compile_opt(&F0, "dup", NET_DUP, NULL, false, 0);
	const struct tprog *P1 = fx_compile_opt(&F1, "dup", NET_DUP, NULL, false, FX_ALL);

	if (!CHECK(P0 && P1))
		return 1;
	/* the passes did their work: one maxpool, two relus, no identity */
	CHECK(count_op(P0->net, OP_MAXPOOL) == 2 && count_op(P1->net, OP_MAXPOOL) == 1);
	CHECK(count_op(P0->net, OP_RELU) == 3 && count_op(P1->net, OP_RELU) == 2);
	CHECK(count_op(P1->net, OP_IDENTITY) == 0);
	CHECK(twin_steps(P1) < twin_steps(P0));
	printf("dup: steps %d -> %d, ACT %lld -> %lld elements\n", twin_steps(P0), twin_steps(P1),
	       (long long)P0->size[TP_ACT], (long long)P1->size[TP_ACT]);
	twin_run("dup", P0, P1, INTERP_F32, NSTEPS, TWIN_BITWISE, TWIN_BITWISE);
	twin_run("dup", P0, P1, INTERP_F64, NSTEPS, TWIN_BITWISE, TWIN_BITWISE);
	fx_free(&F0);
	fx_free(&F1);
	printf("test_cse_train: %ld checks, %ld failed\n", checks, failed);
	return failed ? 1 : 0;
}
