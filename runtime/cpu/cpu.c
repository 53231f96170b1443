/* cpu.c - start-up of the CPU kernels (cpu.h). */
#include "cpu.h"

#include <cblas.h>

void nrt_cpu_init(void)
{
	/* The setting is global to OpenBLAS, not per thread, so it is made
	 * once here rather than around every call.  openblas_config.h (from
	 * OpenBLAS's cblas.h) defines OPENBLAS_VERSION; another CBLAS is left
	 * to its own configuration. */
#ifdef OPENBLAS_VERSION
	openblas_set_num_threads(1);
#endif
}
