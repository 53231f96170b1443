/* ref.h - the reference kernels: plain, obviously correct C for every op
 * of compiler/ops.def, their gradients, the losses and the optimizer
 * updates.  They are the oracle that generated code is tested against,
 * not a fast path: direct loops, no im2col, no blocking.
 *
 * Every kernel exists in float32 and float64, written once (ref_impl.inc
 * and the family files it includes) and compiled twice:
 *
 *   nrt_ref_<op>_<dir>_f32   float
 *   nrt_ref_<op>_<dir>_f64   double
 *
 * <dir> is fwd, bwd (the gradient of every input and parameter, given the
 * gradient dy of the output) or step (optimizers).  The prototypes are in
 * ref_api.inc, once, in terms of NRT_REF_T and NRT_REF_FN.
 *
 * Tensors are contiguous, batch first, channels next: [N, C, spatial...].
 * Shapes and op arguments travel in the small descriptors below; the
 * hyperparameters are double whatever the element type.  Outputs are
 * overwritten (backward kernels do not accumulate into dx) except where a
 * comment says "adds".  Semantics follow PyTorch; the output sizes follow
 * compiler/ops.c (see nrt_conv_out_dim and friends). */
#ifndef NRT_REF_H
#define NRT_REF_H

#include <stdint.h>

enum { NRT_MAX_SPATIAL = 3 };

/* conv and conv_transpose.  For conv, in[] is the input and out[] the
 * (smaller) output; for conv_transpose, in[] is its input and out[] its
 * (larger) output.  Only the first nd entries of each array are used.
 *   conv weight           [k, c / groups, kernel...]
 *   conv_transpose weight [c, k / groups, kernel...]   (as PyTorch)
 *   bias                  [k] */
struct nrt_conv_desc {
	int nd;                        /* spatial dimensions: 1, 2 or 3 */
	int n;                         /* batch */
	int c;                         /* input channels */
	int k;                         /* output channels (filters) */
	int groups;                    /* divides c and k */
	int in[NRT_MAX_SPATIAL];       /* input spatial sizes */
	int out[NRT_MAX_SPATIAL];      /* output spatial sizes */
	int kernel[NRT_MAX_SPATIAL];   /* window size */
	int stride[NRT_MAX_SPATIAL];   /* step between windows (conv_transpose: upsampling) */
	int pad_lo[NRT_MAX_SPATIAL];   /* zero padding before (conv_transpose: removed) */
	int pad_hi[NRT_MAX_SPATIAL];   /* zero padding after; pad = same puts the odd one here */
	int dilation[NRT_MAX_SPATIAL]; /* spacing between kernel taps */
	int output_pad[NRT_MAX_SPATIAL]; /* conv_transpose: extra output on the high side */
};

/* dense: x [n, in], weight [out, in] (as PyTorch), bias [out], y [n, out]. */
struct nrt_dense_desc {
	int n;                         /* batch */
	int in;                        /* input features */
	int out;                       /* output features (units) */
};

/* batchnorm over x [n, c, s] (s: the product of the spatial sizes, 1 for
 * a [N, C] input); gamma, beta and the statistics are [c]. */
struct nrt_bn_desc {
	int n;                         /* batch */
	int c;                         /* channels */
	int64_t s;                     /* spatial positions per channel */
	double eps;                    /* added to the variance */
	double momentum;               /* weight of the batch in the running statistics */
};

/* dropout over count elements, the mask drawn from Philox (philox.h) with
 * key seed and stream (step, layer): element i is kept when
 * nrt_philox_uniform(seed, step, layer, i) >= p. */
struct nrt_dropout_desc {
	int64_t count;                 /* elements */
	double p;                      /* probability of zeroing, in [0, 1) */
	uint64_t seed;                 /* the run's seed */
	uint32_t step;                 /* training step */
	uint32_t layer;                /* the layer's id, one stream per layer */
};

/* maxpool and avgpool over x [n, c, in...] -> y [n, c, out...].  pad is on
 * both sides (-inf for maxpool, zero for avgpool); out[] may reach into
 * the high padding in ceil mode (nrt_pool_out_dim). */
struct nrt_pool_desc {
	int nd;                        /* spatial dimensions: 1, 2 or 3 */
	int n;                         /* batch */
	int c;                         /* channels */
	int in[NRT_MAX_SPATIAL];       /* input spatial sizes */
	int out[NRT_MAX_SPATIAL];      /* output spatial sizes */
	int kernel[NRT_MAX_SPATIAL];   /* window size */
	int stride[NRT_MAX_SPATIAL];   /* step between windows */
	int pad[NRT_MAX_SPATIAL];      /* implicit padding on each side */
	int dilation[NRT_MAX_SPATIAL]; /* maxpool: spacing of the elements (avgpool: unused) */
	int count_pad;                 /* avgpool: padding counts in the divisor */
};

enum nrt_upsample_mode {
	NRT_UPSAMPLE_NEAREST,          /* y[o] = x[o / scale] */
	NRT_UPSAMPLE_BILINEAR,         /* PyTorch bilinear, align_corners = false; nd = 2 */
};

/* upsample x [n, c, in...] -> y [n, c, in * scale...]. */
struct nrt_upsample_desc {
	int nd;                        /* spatial dimensions: 1, 2 or 3 (bilinear: 2) */
	int n;                         /* batch */
	int c;                         /* channels */
	int in[NRT_MAX_SPATIAL];       /* input spatial sizes */
	int scale[NRT_MAX_SPATIAL];    /* integer factor per dimension */
	enum nrt_upsample_mode mode;
};

/* softmax cross-entropy on logits [n, c, s] (s = 1 for one label per
 * sample, H * W per pixel) against labels [n, s] in 0..c-1. */
struct nrt_xent_desc {
	int n;                         /* batch */
	int c;                         /* classes */
	int64_t s;                     /* positions per sample */
	double smoothing;              /* label smoothing, in [0, 1) */
};

/* Dice loss on logits [n, c, s] against labels [n, s] in 0..c-1. */
struct nrt_dice_desc {
	int n;                         /* batch */
	int c;                         /* classes */
	int64_t s;                     /* pixels per sample */
	double smooth;                 /* added to numerator and denominator */
};

/* torch.optim.SGD. */
struct nrt_sgd_desc {
	double lr;                     /* learning rate */
	double momentum;               /* 0: plain SGD, no buffer */
	double dampening;              /* 0 unless asked */
	double weight_decay;           /* L2 added to the gradient */
	int nesterov;                  /* Nesterov momentum (needs momentum > 0) */
};

/* torch.optim.Adam (amsgrad = false). */
struct nrt_adam_desc {
	double lr, beta1, beta2, eps;
	double weight_decay;           /* L2 added to the gradient (not AdamW) */
};

/* torch.optim.Adadelta. */
struct nrt_adadelta_desc {
	double lr, rho, eps;
	double weight_decay;           /* L2 added to the gradient */
};

/* torch.optim.RMSprop (centered = false). */
struct nrt_rmsprop_desc {
	double lr, alpha, eps;
	double momentum;               /* 0: no buffer */
	double weight_decay;           /* L2 added to the gradient */
};

/* Elements [off, off + len) of a parameter blob. */
struct nrt_range {
	int64_t off;
	int64_t len;
};

/* Output size of a convolution or pooling window along one dimension:
 *   floor((in + lo + hi - dil * (k - 1) - 1) / stride) + 1
 * (ceil instead of floor in ceil mode, where, as in PyTorch, a last window
 * that would start in the high padding is dropped).  0 or less: no output. */
int64_t nrt_conv_out_dim(int64_t in, int64_t k, int64_t stride, int64_t lo, int64_t hi,
			 int64_t dil);
int64_t nrt_pool_out_dim(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dil,
			 int ceil_mode);
/* Output size of a transposed convolution:
 *   (in - 1) * stride - lo - hi + dil * (k - 1) + output_pad + 1. */
int64_t nrt_conv_transpose_out_dim(int64_t in, int64_t k, int64_t stride, int64_t lo,
				   int64_t hi, int64_t dil, int64_t output_pad);
/* pad = same (stride 1): total dil * (k - 1), the odd one on the high side. */
void nrt_pad_same(int64_t k, int64_t dil, int *lo, int *hi);

#define NRT_REF_T float
#define NRT_REF_FN(name) nrt_ref_##name##_f32
#include "ref_api.inc"
#undef NRT_REF_T
#undef NRT_REF_FN

#define NRT_REF_T double
#define NRT_REF_FN(name) nrt_ref_##name##_f64
#include "ref_api.inc"
#undef NRT_REF_T
#undef NRT_REF_FN

#endif
