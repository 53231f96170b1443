/* gradcheck.c - the reference kernels checked: every gradient against
 * finite differences, float32 against float64; forward values,
 * optimizers and batchnorm statistics against PyTorch; Philox against
 * the Random123 vectors.  One line per family with its worst error, then
 * "N passed, M failed"; exit status 1 on any failure.
 *
 *   gradcheck [-v]      -v: a line per case */
#include "gc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	static struct gc_report rep;
	clock_t t0 = clock();

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			rep.verbose = 1;
		} else {
			fprintf(stderr, "usage: gradcheck [-v]\n");
			return 2;
		}
	}
	gc_conv_cases(&rep);
	gc_pool_cases(&rep);
	gc_misc_cases(&rep);
	gc_loss_cases(&rep);
	gc_optim_cases(&rep);
	gc_known_cases(&rep);
	gc_pytorch_cases(&rep);
	printf("gradcheck: finite differences with step 1e-6, "
	       "|analytic - numeric| <= 1e-5 + 1e-3 |numeric|; float32 within 1e-4; "
	       "%.1f s of CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
	/* the count of cases passed and failed comes last */
	gc_summary(&rep, stdout);
	return rep.failed ? 1 : 0;
}
