/* cpu.h - the fast CPU kernels that generated training programs call for
 * their heavy ops (conv.h, dense.h) and the thread pool they run on
 * (pool.h): the one header to include.
 *
 * Start-up, once, before any kernel: nrt_cpu_init(), then
 * nrt_pool_new(threads).  The kernels are parallel through the pool and
 * call BLAS from several threads at once, each call single-threaded: a
 * multi-threaded BLAS under them would oversubscribe the cores and (in
 * OpenBLAS) split each sgemm by the number of threads it has, which the
 * results must not depend on. */
#ifndef NRT_CPU_H
#define NRT_CPU_H

#include "conv.h"
#include "dense.h"
#include "pool.h"

/* BLAS single-threaded for the whole process (openblas_set_num_threads(1)): once, at start-up. */
void nrt_cpu_init(void);

#endif
