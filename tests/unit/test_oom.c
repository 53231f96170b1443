/* test_oom.c - out-of-memory fault injection over the whole front end:
 * the n-th allocation of the compilation arena fails, for every n until a
 * run completes.  Each run must unwind through the driver's jmp_buf with
 * no crash; under valgrind or ASan (make check on a sanitizer build) also
 * with no leak. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "check.h"
#include "diag.h"
#include "graph.h"
#include "sema.h"

static const char program[] =
	"block residual(c, stride = 1)(x) {\n"
	"    let y = @chain x => conv(c, 3, stride = stride, pad = 1, bias = false)\n"
	"                     => batchnorm => relu => conv(c, 3, pad = 1) => batchnorm\n"
	"    let s = if stride == 1 { x } else { @chain x => conv(c, 1, stride = stride) }\n"
	"    return @chain add(y, s) => relu\n"
	"}\n"
	"network net(classes = 10) {\n"
	"    input x : f32[3, 32, 32]\n"
	"    @chain x => conv(16, 3, pad = 1) => residual(16) => residual(32, stride = 2)\n"
	"             => global_avgpool => dense(classes) => softmax\n"
	"}\n"
	"data d { source = csv(\"l.csv\") classes = 10 decode = rgb(32, 32)\n"
	"         augment = random_flip => normalize(mean = 0.5, std = 0.2) }\n"
	"train t { network = net data = d loss = cross_entropy optimizer = adam(lr = 1e-3)\n"
	"          batch = 8 epochs = 1 metrics = [accuracy] }\n"
	"network broken { input x : f32[3, 8, 8] @chain x => conv(4, 9) => dense(2) }\n";

/* One compilation with allocation number `fail` failing.  Returns 1 when
 * it completed, 0 when it ran out of memory. */
static int run(long fail, FILE *sink, int *errors)
{
	struct diag_ctx D;
	struct arena A;
	struct sema S;
	jmp_buf oom;
	volatile int done = 0;
	diag_init(&D, sink);
	arena_init(&A);
	A.fail_after = fail;
	if (setjmp(oom) == 0) {
		A.oom = &oom;
		sema_init(&S, &A, &D, NULL, 0, "/nonexistent");
		if (sema_load_text(&S, "oom.net", program, strlen(program))) {
			sema_check(&S);
			struct graph *g = sema_select(&S, "net");
			if (g) {
				graph_summary(sink, g);
				graph_dot(sink, g);
			}
		}
		done = 1;
	}
	*errors = D.nerrors;
	arena_free(&A);
	diag_free(&D);
	return done;
}

int main(void)
{
	FILE *sink = fopen("/dev/null", "w");
	if (!ASSERT(sink != NULL))
		return check_summary();
	int errors = 0;
	/* Without injection: the one error is the broken network's. */
	ASSERT_EQ_INT(1, run(-1, sink, &errors));
	ASSERT_EQ_INT(1, errors);
	long n;
	for (n = 0; n < 100000; n++) {
		if (run(n, sink, &errors))
			break;
	}
	printf("the run completes once allocation %ld succeeds; failed each of the %ld before it\n", n, n);
	ASSERT(n > 10);
	ASSERT(n < 100000);
	fclose(sink);
	return check_summary();
}
