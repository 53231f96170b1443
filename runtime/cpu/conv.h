/* conv.h - fast float32 conv and conv_transpose for the CPU: im2col into
 * a workspace and cblas_sgemm, one sample block and group at a time,
 * spread over a thread pool (pool.h).
 *
 * Descriptors, layouts and semantics are those of the reference kernels
 * (runtime/kernels/ref.h, conv.inc): each function takes the arguments of
 * the nrt_ref_*_f32 function it replaces, in the same order, after the
 * pool (NULL: run on the calling thread), and then the workspace.  As
 * there, b may be NULL (no bias), a NULL gradient output is not computed,
 * outputs are overwritten, never accumulated into.
 *
 * Workspace: ws points at ws_size bytes of scratch that the caller owns
 * (the compiler plans it in the arena; no kernel allocates).
 * nrt_conv_workspace(d, T) is enough for conv forward and backward on a
 * pool of T threads, nrt_conv_transpose_workspace likewise for
 * conv_transpose; any alignment will do.  It is 0 where none is needed
 * (a 1x1 conv of stride 1 without padding: ws may then be NULL) and for a
 * descriptor the kernels refuse.  A workspace planned for fewer threads
 * than the pool has makes the kernel use fewer threads, not fail; the
 * share of one thread is a few hundred KiB for 2-D layers (a tile of the
 * column matrix), more for a block of small samples.  Calls that may run
 * at the same time need workspaces of their own.
 *
 * Determinism: the work is cut into pieces that depend on the descriptor
 * only (blocks of samples, blocks of input channels for the weight
 * gradient, whole channels for the bias), every output element is written
 * by one piece, and sums over the batch run in sample order inside a
 * piece.  The sgemm calls made are thus the same for every thread count,
 * and so are the results, bit for bit, given that BLAS runs
 * single-threaded (nrt_cpu_init).
 *
 * Return value: 0, or EINVAL (nothing written) for a descriptor that is
 * not a convolution (nd not 1..3, n < 0, c or k < 1, groups not dividing
 * c and k, in, kernel, stride or dilation < 1, out or padding < 0), sizes
 * beyond the int of BLAS, or a workspace smaller than one thread's share. */
#ifndef NRT_CPU_CONV_H
#define NRT_CPU_CONV_H

#include <stddef.h>

#include "epilogue.h"
#include "pool.h"
#include "ref.h"

/* Bytes of workspace for conv forward and backward on `threads` threads (see above). */
size_t nrt_conv_workspace(const struct nrt_conv_desc *d, int threads);
/* Bytes of workspace for conv_transpose forward and backward on `threads` threads. */
size_t nrt_conv_transpose_workspace(const struct nrt_conv_desc *d, int threads);

/* y = conv(x, w) + b, as nrt_ref_conv_fwd_f32. */
int nrt_cpu_conv_fwd_f32(struct nrt_pool *p, const struct nrt_conv_desc *d, const float *x,
			 const float *w, const float *b, float *y, void *ws, size_t ws_size);
/* y = act(conv(x, w) + b): the forward with an epilogue (epilogue.h; NULL: none). */
int nrt_cpu_conv_fwd_ep_f32(struct nrt_pool *p, const struct nrt_conv_desc *d, const float *x,
			    const float *w, const float *b, float *y,
			    const struct nrt_epilogue *ep, void *ws, size_t ws_size);
/* dx, dw, db of conv from dy, as nrt_ref_conv_bwd_f32. */
int nrt_cpu_conv_bwd_f32(struct nrt_pool *p, const struct nrt_conv_desc *d, const float *x,
			 const float *w, const float *dy, float *dx, float *dw, float *db,
			 void *ws, size_t ws_size);
/* y = conv_transpose(x, w) + b, as nrt_ref_conv_transpose_fwd_f32. */
int nrt_cpu_conv_transpose_fwd_f32(struct nrt_pool *p, const struct nrt_conv_desc *d,
				   const float *x, const float *w, const float *b, float *y,
				   void *ws, size_t ws_size);
/* y = act(conv_transpose(x, w) + b) (epilogue.h; NULL: none). */
int nrt_cpu_conv_transpose_fwd_ep_f32(struct nrt_pool *p, const struct nrt_conv_desc *d,
				      const float *x, const float *w, const float *b, float *y,
				      const struct nrt_epilogue *ep, void *ws, size_t ws_size);
/* dx, dw, db of conv_transpose from dy, as nrt_ref_conv_transpose_bwd_f32. */
int nrt_cpu_conv_transpose_bwd_f32(struct nrt_pool *p, const struct nrt_conv_desc *d,
				   const float *x, const float *w, const float *dy, float *dx,
				   float *dw, float *db, void *ws, size_t ws_size);

#endif
