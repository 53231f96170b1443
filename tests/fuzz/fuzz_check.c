/* fuzz_check.c - libFuzzer target over the whole front end: scanner,
 * parser, imports (of the stdlib, through NETC_STDLIB), the evaluator,
 * shape inference, data/train schemas, and the summary and Graphviz
 * writers.  Any input must give diagnostics or output, never a crash, a
 * leak, a hang or a sanitizer report.
 *
 *   ./configure --enable-fuzz && make fuzz
 *   NETC_STDLIB=stdlib tests/fuzz/fuzz_check -max_total_time=600 tests/fuzz/corpus
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "diag.h"
#include "graph.h"
#include "sema.h"

static FILE *sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!sink)
		sink = fopen("/dev/null", "w");
	const char *stdlib = getenv("NETC_STDLIB");
	struct diag_ctx D;
	struct arena A;
	struct sema S;
	jmp_buf oom;
	diag_init(&D, sink);
	arena_init(&A);
	if (setjmp(oom))
		goto done;
	A.oom = &oom;
	sema_init(&S, &A, &D, NULL, 0, stdlib ? stdlib : "stdlib");
	if (sema_load_text(&S, "fuzz.net", (const char *)data, size)) {
		sema_check(&S);
		if (D.nerrors == 0) {
			struct graph *g = sema_select(&S, NULL);
			if (g) {
				graph_summary(sink, g);
				graph_dot(sink, g);
				graph_dump(sink, g);
			}
		}
	}
done:
	arena_free(&A);
	diag_free(&D);
	return 0;
}
