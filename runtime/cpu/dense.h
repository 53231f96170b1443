/* dense.h - fast float32 dense (PyTorch Linear) for the CPU: cblas_sgemm
 * on fixed tiles of the output, spread over a thread pool (pool.h).
 *
 * Descriptor, layouts and semantics are those of nrt_ref_dense_fwd_f32
 * and nrt_ref_dense_bwd_f32 (runtime/kernels/ref.h): x [n, in], weight
 * [out, in], bias [out], y [n, out]; the arguments are theirs, in the same
 * order, after the pool (NULL: the calling thread).  b may be NULL, a NULL
 * gradient output is not computed.  No workspace.
 *
 * The tiles are fixed sizes, not a share per thread, so the sgemm calls
 * and hence the bits of the results are the same for every thread count
 * (BLAS single-threaded: nrt_cpu_init).  Return: 0, or EINVAL for n < 0,
 * in < 1 or out < 1. */
#ifndef NRT_CPU_DENSE_H
#define NRT_CPU_DENSE_H

#include "epilogue.h"
#include "pool.h"
#include "ref.h"

/* y = x w^T + b, as nrt_ref_dense_fwd_f32. */
int nrt_cpu_dense_fwd_f32(struct nrt_pool *p, const struct nrt_dense_desc *d, const float *x,
			  const float *w, const float *b, float *y);
/* y = act(x w^T + b): the forward with an epilogue (epilogue.h; NULL: none). */
int nrt_cpu_dense_fwd_ep_f32(struct nrt_pool *p, const struct nrt_dense_desc *d, const float *x,
			     const float *w, const float *b, float *y,
			     const struct nrt_epilogue *ep);
/* dx = dy w, dw = dy^T x, db = column sums of dy, as nrt_ref_dense_bwd_f32. */
int nrt_cpu_dense_bwd_f32(struct nrt_pool *p, const struct nrt_dense_desc *d, const float *x,
			  const float *w, const float *dy, float *dx, float *dw, float *db);

#endif
