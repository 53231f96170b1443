/* window.c - output sizes of sliding windows, the same rules as
 * compiler/ops.c (window_out, transpose_out) in the runtime's terms; see
 * ref.h. */
#include "ref.h"

int64_t nrt_conv_out_dim(int64_t in, int64_t k, int64_t stride, int64_t lo, int64_t hi,
			 int64_t dil)
{
	int64_t n = in + lo + hi - dil * (k - 1) - 1;   /* room left after one window */
	if (n < 0 || stride < 1)
		return 0;
	return n / stride + 1;
}

int64_t nrt_pool_out_dim(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dil,
			 int ceil_mode)
{
	int64_t n = in + 2 * pad - dil * (k - 1) - 1, out;
	if (n < 0 || stride < 1)
		return 0;
	out = (ceil_mode ? (n + stride - 1) / stride : n / stride) + 1;
	/* PyTorch: the last window must start inside the input or the low padding */
	if (ceil_mode && out > 1 && (out - 1) * stride >= in + pad)
		out--;
	return out;
}

int64_t nrt_conv_transpose_out_dim(int64_t in, int64_t k, int64_t stride, int64_t lo,
				   int64_t hi, int64_t dil, int64_t output_pad)
{
	return (in - 1) * stride - lo - hi + dil * (k - 1) + output_pad + 1;
}

void nrt_pad_same(int64_t k, int64_t dil, int *lo, int *hi)
{
	int64_t total = dil * (k - 1);
	*lo = (int)(total / 2);
	*hi = (int)(total - total / 2);
}
