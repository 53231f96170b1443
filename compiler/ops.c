/* ops.c - the op table: argument schemas, shape functions, parameter
 * shapes and costs of every op in ops.def; see ops.h.
 *
 * Conventions (PyTorch / torchvision): shapes leave the batch out, so a
 * [C, H, W] tensor has rank 3 and d[0] is the channels.  Messages number
 * dimensions with the batch as 0, so d[i] is "dimension i + 1".  Every
 * size is computed with dim_mul / dim_add, which fail past SHAPE_DIM_MAX
 * (2^40) instead of wrapping; such a failure is reported as "dimension N
 * overflows". */
#include "ops.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Argument schemas.  Each array is in positional order and ends with
 * ATTR_END, so an op without arguments names a real empty list (NOATTR)
 * and op_info.attrs[op_info.nattrs] is always the terminator.
 * ------------------------------------------------------------------- */

#define ATTR_END { .name = NULL }
#define NATTRS(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

#define PAD_SYMS "same|valid"
enum { PAD_SAME, PAD_VALID };

#define MODE_SYMS "nearest|bilinear"
enum { MODE_NEAREST, MODE_BILINEAR };

static const struct attr_spec NOATTR[] = { ATTR_END };

enum { CONV_FILTERS, CONV_KERNEL, CONV_STRIDE, CONV_PAD, CONV_DILATION,
       CONV_GROUPS, CONV_BIAS, CONV_WEIGHT_INIT, CONV_BIAS_INIT };
static const struct attr_spec conv_attrs[] = {
	{ "filters", AT_INT, NULL, NULL, "number of output channels" },
	{ "kernel", AT_INTS, NULL, NULL, "window size: an int, or one per spatial dimension" },
	{ "stride", AT_INTS, "1", NULL, "step between windows" },
	{ "pad", AT_PAD, "0", PAD_SYMS, "zero padding on each side, or same / valid" },
	{ "dilation", AT_INTS, "1", NULL, "spacing between kernel elements" },
	{ "groups", AT_INT, "1", NULL, "channel groups; must divide the input channels and filters" },
	{ "bias", AT_BOOL, "true", NULL, "add a learned bias per filter" },
	{ "weight_init", AT_INIT, "he_normal", INIT_SYMS, "initialiser of the weight" },
	{ "bias_init", AT_INIT, "zeros", INIT_SYMS, "initialiser of the bias" },
	ATTR_END
};

enum { CT_FILTERS, CT_KERNEL, CT_STRIDE, CT_PAD, CT_OUTPUT_PAD, CT_DILATION,
       CT_GROUPS, CT_BIAS, CT_WEIGHT_INIT, CT_BIAS_INIT };
static const struct attr_spec conv_transpose_attrs[] = {
	{ "filters", AT_INT, NULL, NULL, "number of output channels" },
	{ "kernel", AT_INTS, NULL, NULL, "window size: an int, or one per spatial dimension" },
	{ "stride", AT_INTS, "1", NULL, "upsampling step" },
	{ "pad", AT_INTS, "0", NULL, "padding removed from each side of the output" },
	{ "output_pad", AT_INTS, "0", NULL, "extra size added to one side of the output" },
	{ "dilation", AT_INTS, "1", NULL, "spacing between kernel elements" },
	{ "groups", AT_INT, "1", NULL, "channel groups; must divide the input channels and filters" },
	{ "bias", AT_BOOL, "true", NULL, "add a learned bias per filter" },
	{ "weight_init", AT_INIT, "he_normal", INIT_SYMS, "initialiser of the weight" },
	{ "bias_init", AT_INIT, "zeros", INIT_SYMS, "initialiser of the bias" },
	ATTR_END
};

enum { DENSE_UNITS, DENSE_BIAS, DENSE_WEIGHT_INIT, DENSE_BIAS_INIT };
static const struct attr_spec dense_attrs[] = {
	{ "units", AT_INT, NULL, NULL, "number of outputs" },
	{ "bias", AT_BOOL, "true", NULL, "add a learned bias per output" },
	{ "weight_init", AT_INIT, "glorot_uniform", INIT_SYMS, "initialiser of the weight" },
	{ "bias_init", AT_INIT, "zeros", INIT_SYMS, "initialiser of the bias" },
	ATTR_END
};

enum { BN_EPS, BN_MOMENTUM, BN_AFFINE };
static const struct attr_spec batchnorm_attrs[] = {
	{ "eps", AT_FLOAT, "1e-5", NULL, "added to the variance for stability" },
	{ "momentum", AT_FLOAT, "0.1", NULL, "weight of the new batch in the running statistics" },
	{ "affine", AT_BOOL, "true", NULL, "learn a scale (gamma) and shift (beta) per channel" },
	ATTR_END
};

enum { DROPOUT_P };
static const struct attr_spec dropout_attrs[] = {
	{ "p", AT_FLOAT, "0.5", NULL, "probability of zeroing an element, in [0, 1)" },
	ATTR_END
};

enum { MP_KERNEL, MP_STRIDE, MP_PAD, MP_DILATION, MP_CEIL };
static const struct attr_spec maxpool_attrs[] = {
	{ "kernel", AT_INTS, NULL, NULL, "window size: an int, or one per spatial dimension" },
	{ "stride", AT_INTS, "", NULL, "step between windows (default: the kernel)" },
	{ "pad", AT_INTS, "0", NULL, "implicit -inf padding on each side, at most kernel / 2" },
	{ "dilation", AT_INTS, "1", NULL, "spacing between window elements" },
	{ "ceil", AT_BOOL, "false", NULL, "round the output size up instead of down" },
	ATTR_END
};

enum { AP_KERNEL, AP_STRIDE, AP_PAD, AP_CEIL, AP_COUNT_PAD };
static const struct attr_spec avgpool_attrs[] = {
	{ "kernel", AT_INTS, NULL, NULL, "window size: an int, or one per spatial dimension" },
	{ "stride", AT_INTS, "", NULL, "step between windows (default: the kernel)" },
	{ "pad", AT_INTS, "0", NULL, "implicit zero padding on each side, at most kernel / 2" },
	{ "ceil", AT_BOOL, "false", NULL, "round the output size up instead of down" },
	{ "count_pad", AT_BOOL, "true", NULL, "count padding elements in the divisor" },
	ATTR_END
};

enum { RESHAPE_SHAPE };
static const struct attr_spec reshape_attrs[] = {
	{ "shape", AT_SHAPE, NULL, NULL, "new shape without the batch; one -1 is inferred" },
	ATTR_END
};

enum { CONCAT_AXIS };
static const struct attr_spec concat_attrs[] = {
	{ "axis", AT_INT, "1", NULL, "dimension to join (1 = channels; negative: from the end)" },
	ATTR_END
};

static const struct attr_spec leaky_relu_attrs[] = {
	{ "slope", AT_FLOAT, "0.01", NULL, "slope for negative inputs" },
	ATTR_END
};

static const struct attr_spec elu_attrs[] = {
	{ "alpha", AT_FLOAT, "1.0", NULL, "saturation value for negative inputs" },
	ATTR_END
};

enum { SOFTMAX_AXIS };
static const struct attr_spec softmax_attrs[] = {
	{ "axis", AT_INT, "1", NULL, "dimension to normalise (1 = channels; negative: from the end)" },
	ATTR_END
};

enum { UP_SCALE, UP_MODE };
static const struct attr_spec upsample_attrs[] = {
	{ "scale", AT_INTS, "2", NULL, "factor: an int, or one per spatial dimension" },
	{ "mode", AT_SYM, "nearest", MODE_SYMS, "interpolation: nearest or bilinear" },
	ATTR_END
};

/* ---------------------------------------------------------------------
 * Common helpers
 * ------------------------------------------------------------------- */

/* Fill *e and return false, so that shape functions can `return fail(...)`. */
__attribute__((format(printf, 4, 5)))
static bool fail(struct op_err *e, int attr, int input, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->attr = attr;
	e->input = input;
	return false;
}

/* The standard complaint when a size passes SHAPE_DIM_MAX. */
static bool overflow(struct op_err *e, int attr, int input, int dim)
{
	return fail(e, attr, input, "dimension %d overflows (the limit is 2^40)", dim);
}

/* Room for shape_str of any shape: 6 dimensions of up to 20 characters. */
enum { SHAPE_BUF = 160 };

/* shape_str into a caller's SHAPE_BUF buffer, for use inside messages. */
static const char *sh(const struct shape *s, char *buf)
{
	return shape_str(s, buf, SHAPE_BUF);
}

/* "s" for plural counts in messages. */
static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

/* Product of a saturating at INT64_MAX; MAC counts are not dimensions and
 * may legitimately pass 2^40, but must not wrap. */
static int64_t sat_mul(int64_t a, int64_t b)
{
	int64_t r;
	if (a < 0 || b < 0)
		return 0;
	if (__builtin_mul_overflow(a, b, &r))
		return INT64_MAX;
	return r;
}

/* Element count of s, saturating (for costs, never for shapes). */
static int64_t sat_numel(const struct shape *s)
{
	int64_t n = 1;
	for (int i = 0; i < s->rank && i < SHAPE_MAX_RANK; i++)
		n = sat_mul(n, s->d[i]);
	return n;
}

/* Checks shared by every shape function: the number of inputs fits the op,
 * every input has a rank in 0..SHAPE_MAX_RANK and sizes in
 * 1..SHAPE_DIM_MAX.  Also resets *e. */
static bool check_call(const struct op_call *c, struct op_err *e)
{
	const struct op_info *o;
	char b[SHAPE_BUF];

	e->msg[0] = 0;
	e->attr = e->input = -1;
	if ((unsigned)c->op >= OP_COUNT)
		return fail(e, -1, -1, "unknown op %d", (int)c->op);
	o = &op_table[c->op];
	if (c->nin < o->min_in || (o->max_in >= 0 && c->nin > o->max_in)) {
		if (o->max_in == o->min_in)
			return fail(e, -1, -1, "expects %d input%s, got %d",
				    o->min_in, plural(o->min_in), c->nin);
		return fail(e, -1, -1, "expects at least %d inputs, got %d", o->min_in, c->nin);
	}
	if (c->nin > 0 && !c->in)
		return fail(e, -1, -1, "inputs are missing");
	if (o->nattrs > 0 && !c->attr)
		return fail(e, -1, -1, "arguments are missing");
	for (int i = 0; i < c->nin; i++) {
		const struct shape *s = &c->in[i];
		if (s->rank < 0 || s->rank > SHAPE_MAX_RANK)
			return fail(e, -1, i, "input %d has rank %d; at most %d dimensions are supported",
				    i, s->rank, SHAPE_MAX_RANK);
		for (int j = 0; j < s->rank; j++) {
			if (s->d[j] < 1)
				return fail(e, -1, i, "dimension %d of the input %s is not positive",
					    j + 1, sh(s, b));
			if (s->d[j] > SHAPE_DIM_MAX)
				return overflow(e, -1, i, j + 1);
		}
	}
	return true;
}

/* Checks shared by every shape function on success: every output size is
 * in 1..SHAPE_DIM_MAX, and the output and each parameter tensor hold at
 * most SHAPE_DIM_MAX elements (later passes take their element counts). */
static bool finish(const struct op_call *c, const struct shape *out, struct op_err *e)
{
	struct param_desc p[OP_MAX_PARAMS];
	char b[SHAPE_BUF];
	int64_t n;
	int np;

	for (int j = 0; j < out->rank; j++) {
		if (out->d[j] > SHAPE_DIM_MAX)
			return overflow(e, -1, -1, j + 1);
		if (out->d[j] < 1)
			return fail(e, -1, -1, "dimension %d of the output would be %" PRId64
				    "; it must be at least 1", j + 1, out->d[j]);
	}
	if (!shape_numel(out, &n))
		return fail(e, -1, -1, "the output %s has more than 2^40 elements", sh(out, b));
	np = op_table[c->op].params(c, out, p);
	for (int i = 0; i < np; i++)
		if (!shape_numel(&p[i].shape, &n))
			return fail(e, -1, -1, "the %s %s would have more than 2^40 elements",
				    p[i].name, sh(&p[i].shape, b));
	return true;
}

/* Copy a one-input op's input shape to the output (activations, dropout). */
static bool same_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	if (!check_call(c, e))
		return false;
	*out = c->in[0];
	return finish(c, out, e);
}

/* The number of spatial dimensions of a [C, spatial...] input with 1 to 3
 * of them, or -1 with *e filled. */
static int spatial_dims(const struct op_call *c, struct op_err *e)
{
	char b[SHAPE_BUF];
	int r = c->in[0].rank;
	if (r < 2 || r > 4) {
		fail(e, -1, 0, "expects an input [C, L], [C, H, W] or [C, D, H, W], got %s",
		     sh(&c->in[0], b));
		return -1;
	}
	return r - 1;
}

/* Expand integer-list argument `idx` (named `name`) to ns values, each at
 * least `min`.  An unset argument gives `fallback` ns times. */
static bool read_ints(const struct op_call *c, int idx, const char *name, int ns,
		      int64_t min, int64_t fallback, int64_t out[], struct op_err *e)
{
	const struct attr *a = &c->attr[idx];
	char b[SHAPE_BUF];

	if (!a->set) {
		for (int i = 0; i < ns; i++)
			out[i] = fallback;
		return true;
	}
	if (!attr_expand(a, ns, out))
		return fail(e, idx, -1, "%s has %d value%s but the input %s has %d spatial dimension%s",
			    name, a->n, plural(a->n), sh(&c->in[0], b), ns, plural(ns));
	for (int i = 0; i < ns; i++)
		if (out[i] < min)
			return fail(e, idx, -1, "%s must be at least %" PRId64 ", got %" PRId64,
				    name, min, out[i]);
	return true;
}

/* An integer argument that must be at least `min`. */
static bool read_int(const struct op_call *c, int idx, const char *name, int64_t min,
		     int64_t *out, struct op_err *e)
{
	*out = c->attr[idx].i;
	if (*out < min)
		return fail(e, idx, -1, "%s must be at least %" PRId64 ", got %" PRId64,
			    name, min, *out);
	return true;
}

/* Resolve an axis argument that counts the batch as dimension 0 (negative:
 * from the end, -1 = last) to an index into s->d[]. */
static bool read_axis(const struct op_call *c, int idx, const struct shape *s, int *out,
		      struct op_err *e)
{
	char b[SHAPE_BUF];
	int64_t a = c->attr[idx].i, r = s->rank;
	int64_t k = a < 0 ? a + r + 1 : a;

	if (k == 0)
		return fail(e, idx, -1, "axis %" PRId64 " is the batch dimension; "
			    "dimension 1 is the channels", a);
	if (k < 0 || k > r) {
		if (r == 0)
			return fail(e, idx, -1, "axis %" PRId64 " is out of range: the input %s "
				    "has no dimensions besides the batch", a, sh(s, b));
		return fail(e, idx, -1, "axis %" PRId64 " is out of range for the input %s "
			    "(use 1 to %" PRId64 ", or -%" PRId64 " to -1)", a, sh(s, b), r, r);
	}
	*out = (int)(k - 1);
	return true;
}

/* ---------------------------------------------------------------------
 * Sliding windows: conv, conv_transpose, maxpool, avgpool
 * ------------------------------------------------------------------- */

/* Where an op keeps its window arguments (attribute indices, -1: the op
 * has no such argument). */
struct window_spec {
	int kernel, stride, pad, output_pad, dilation, ceil;
	bool stride_is_kernel;  /* an unset stride means stride = kernel (pooling) */
	bool pad_syms;          /* pad may be `same` or `valid` */
};

static const struct window_spec conv_win = {
	CONV_KERNEL, CONV_STRIDE, CONV_PAD, -1, CONV_DILATION, -1, false, true
};
static const struct window_spec conv_transpose_win = {
	CT_KERNEL, CT_STRIDE, CT_PAD, CT_OUTPUT_PAD, CT_DILATION, -1, false, false
};
static const struct window_spec maxpool_win = {
	MP_KERNEL, MP_STRIDE, MP_PAD, -1, MP_DILATION, MP_CEIL, true, false
};
static const struct window_spec avgpool_win = {
	AP_KERNEL, AP_STRIDE, AP_PAD, -1, -1, AP_CEIL, true, false
};

/* A call's window arguments, one value per spatial dimension. */
struct window {
	const struct window_spec *ws;
	int ns;
	int64_t k[SHAPE_MAX_RANK], stride[SHAPE_MAX_RANK], pad[SHAPE_MAX_RANK];
	int64_t opad[SHAPE_MAX_RANK], dil[SHAPE_MAX_RANK];
	bool same;              /* pad = same: total padding dil * (k - 1) */
	bool ceil;
};

/* Read and check the window arguments of c for ns spatial dimensions. */
static bool window_read(const struct op_call *c, const struct window_spec *ws, int ns,
			struct window *w, struct op_err *e)
{
	memset(w, 0, sizeof *w);
	w->ws = ws;
	w->ns = ns;
	if (!read_ints(c, ws->kernel, "kernel", ns, 1, 1, w->k, e))
		return false;
	if (ws->stride_is_kernel && !c->attr[ws->stride].set)
		memcpy(w->stride, w->k, sizeof w->stride);
	else if (!read_ints(c, ws->stride, "stride", ns, 1, 1, w->stride, e))
		return false;
	if (ws->pad_syms && c->attr[ws->pad].set && c->attr[ws->pad].sym >= 0) {
		w->same = c->attr[ws->pad].sym == PAD_SAME;
		if (w->same)
			for (int i = 0; i < ns; i++)
				if (w->stride[i] != 1)
					return fail(e, ws->stride, -1, "pad = same needs stride 1, "
						    "got %" PRId64, w->stride[i]);
	} else if (!read_ints(c, ws->pad, "pad", ns, 0, 0, w->pad, e)) {
		return false;
	}
	if (ws->dilation < 0) {
		for (int i = 0; i < ns; i++)
			w->dil[i] = 1;
	} else if (!read_ints(c, ws->dilation, "dilation", ns, 1, 1, w->dil, e)) {
		return false;
	}
	if (ws->output_pad >= 0 &&
	    !read_ints(c, ws->output_pad, "output_pad", ns, 0, 0, w->opad, e))
		return false;
	w->ceil = ws->ceil >= 0 && c->attr[ws->ceil].i != 0;
	return true;
}

/* Output size of a sliding window along spatial dimension i of size `in`
 * (conv and pooling):
 *   floor((in + 2 * pad - dil * (k - 1) - 1) / stride) + 1,
 * rounded up instead in ceil mode, where, as in PyTorch, a last window that
 * would start in the right padding is dropped. */
static bool window_out(const struct window *w, int i, int64_t in, struct op_err *e,
		       int64_t *out)
{
	const struct window_spec *ws = w->ws;
	int dim = i + 2;
	int64_t span, padded, pad_lo, n, q, start;

	/* span = dil * (k - 1) + 1, the extent of one window */
	if (!dim_mul(w->dil[i], w->k[i] - 1, &span) || !dim_add(span, 1, &span))
		return overflow(e, ws->kernel, -1, dim);
	if (w->same) {
		pad_lo = (span - 1) / 2;
		if (!dim_add(in, span - 1, &padded))
			return overflow(e, ws->kernel, -1, dim);
	} else {
		pad_lo = w->pad[i];
		if (!dim_mul(w->pad[i], 2, &padded) || !dim_add(padded, in, &padded))
			return overflow(e, ws->pad, -1, dim);
	}
	if (span > padded) {
		if (ws->dilation >= 0)
			return fail(e, ws->kernel, -1, "kernel %" PRId64 " (dilation %" PRId64
				    ") is larger than the padded input %" PRId64 " in dimension %d",
				    w->k[i], w->dil[i], padded, dim);
		return fail(e, ws->kernel, -1, "kernel %" PRId64 " is larger than the padded "
			    "input %" PRId64 " in dimension %d", w->k[i], padded, dim);
	}
	n = padded - span;
	q = n / w->stride[i];
	if (w->ceil && n % w->stride[i] != 0)
		q++;
	*out = q + 1;
	if (w->ceil && *out > 1 &&
	    (!dim_mul(*out - 1, w->stride[i], &start) || start >= in + pad_lo))
		(*out)--;
	return true;
}

/* Output size of a transposed convolution along spatial dimension i:
 *   (in - 1) * stride - 2 * pad + dil * (k - 1) + output_pad + 1. */
static bool transpose_out(const struct window *w, int i, int64_t in, struct op_err *e,
			  int64_t *out)
{
	const struct window_spec *ws = w->ws;
	int dim = i + 2;
	int64_t a, b, p2;

	if (w->opad[i] >= w->stride[i] && w->opad[i] >= w->dil[i])
		return fail(e, ws->output_pad, -1, "output_pad %" PRId64 " must be smaller than "
			    "the stride %" PRId64 " or the dilation %" PRId64 " in dimension %d",
			    w->opad[i], w->stride[i], w->dil[i], dim);
	if (!dim_mul(in - 1, w->stride[i], &a))
		return overflow(e, ws->stride, -1, dim);
	if (!dim_mul(w->dil[i], w->k[i] - 1, &b))
		return overflow(e, ws->kernel, -1, dim);
	if (!dim_mul(w->pad[i], 2, &p2))
		return overflow(e, ws->pad, -1, dim);
	if (!dim_add(a, b, &a) || !dim_add(a, w->opad[i], &a) || !dim_add(a, 1, &a))
		return overflow(e, -1, -1, dim);
	if (a - p2 < 1)
		return fail(e, ws->pad, -1, "pad %" PRId64 " leaves no output in dimension %d "
			    "(size %" PRId64 " before padding is removed)", w->pad[i], dim, a);
	*out = a - p2;
	return true;
}

/* Product of the kernel sizes (at most 2^40 each; saturating). */
static int64_t kernel_volume(const struct window *w)
{
	int64_t v = 1;
	for (int i = 0; i < w->ns; i++)
		v = sat_mul(v, w->k[i]);
	return v;
}

/* The window of a call whose shape function already succeeded. */
static void window_of(const struct op_call *c, const struct window_spec *ws, struct window *w)
{
	struct op_err e;
	window_read(c, ws, c->in[0].rank - 1, w, &e);
}

/* The groups argument of a call whose shape function succeeded (never 0,
 * so that parameter and cost functions cannot divide by zero). */
static int64_t groups_of(const struct op_call *c, int gidx)
{
	return c->attr[gidx].i >= 1 ? c->attr[gidx].i : 1;
}

/* Check groups against the input channels and the filters. */
static bool check_groups(const struct op_call *c, int gidx, int64_t channels,
			 int64_t filters, struct op_err *e)
{
	int64_t g;
	if (!read_int(c, gidx, "groups", 1, &g, e))
		return false;
	if (channels % g != 0)
		return fail(e, gidx, 0, "input channels %" PRId64 " are not divisible by "
			    "groups %" PRId64, channels, g);
	if (filters % g != 0)
		return fail(e, gidx, -1, "filters %" PRId64 " are not divisible by groups %"
			    PRId64, filters, g);
	return true;
}

/* ---------------------------------------------------------------------
 * Ops
 * ------------------------------------------------------------------- */

/* The network input placeholder: sema sets its shape. */
static bool input_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	(void)c;
	(void)out;
	return fail(e, -1, -1, "the input placeholder has no shape function (sema sets it)");
}

static int no_params(const struct op_call *c, const struct shape *out, struct param_desc *p)
{
	(void)c;
	(void)out;
	(void)p;
	return 0;
}

static int64_t no_macs(const struct op_call *c, const struct shape *out)
{
	(void)c;
	(void)out;
	return 0;
}

/* A parameter tensor of rank 1 or 2 (d1 < 0: rank 1). */
static struct param_desc param(const char *name, int64_t d0, int64_t d1, bool trainable,
			       int init_attr)
{
	struct param_desc p;
	memset(&p, 0, sizeof p);
	p.name = name;
	p.shape.rank = d1 < 0 ? 1 : 2;
	p.shape.d[0] = d0;
	p.shape.d[1] = d1 < 0 ? 0 : d1;
	p.trainable = trainable;
	p.init_attr = init_attr;
	return p;
}

/* conv: [C, spatial...] -> [filters, spatial'...]. */
static bool conv_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	struct window w;
	int64_t filters;
	int ns;

	if (!check_call(c, e) || (ns = spatial_dims(c, e)) < 0 ||
	    !window_read(c, &conv_win, ns, &w, e) ||
	    !read_int(c, CONV_FILTERS, "filters", 1, &filters, e) ||
	    !check_groups(c, CONV_GROUPS, c->in[0].d[0], filters, e))
		return false;
	out->rank = c->in[0].rank;
	out->d[0] = filters;
	for (int i = 0; i < ns; i++)
		if (!window_out(&w, i, c->in[0].d[i + 1], e, &out->d[i + 1]))
			return false;
	return finish(c, out, e);
}

/* weight [filters, C / groups, k...], bias [filters]. */
static int conv_params(const struct op_call *c, const struct shape *out, struct param_desc *p)
{
	struct window w;
	int n = 0;

	window_of(c, &conv_win, &w);
	p[n] = param("weight", out->d[0], c->in[0].d[0] / groups_of(c, CONV_GROUPS),
		     true, CONV_WEIGHT_INIT);
	p[n].shape.rank = 2 + w.ns;
	memcpy(&p[n].shape.d[2], w.k, (size_t)w.ns * sizeof w.k[0]);
	n++;
	if (c->attr[CONV_BIAS].i)
		p[n++] = param("bias", out->d[0], -1, true, CONV_BIAS_INIT);
	return n;
}

/* numel(out) * (C / groups) * prod(k). */
static int64_t conv_macs(const struct op_call *c, const struct shape *out)
{
	struct window w;
	window_of(c, &conv_win, &w);
	return sat_mul(sat_mul(sat_numel(out), c->in[0].d[0] / groups_of(c, CONV_GROUPS)),
		       kernel_volume(&w));
}

/* conv_transpose: [C, spatial...] -> [filters, spatial'...]. */
static bool conv_transpose_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	struct window w;
	int64_t filters;
	int ns;

	if (!check_call(c, e) || (ns = spatial_dims(c, e)) < 0 ||
	    !window_read(c, &conv_transpose_win, ns, &w, e) ||
	    !read_int(c, CT_FILTERS, "filters", 1, &filters, e) ||
	    !check_groups(c, CT_GROUPS, c->in[0].d[0], filters, e))
		return false;
	out->rank = c->in[0].rank;
	out->d[0] = filters;
	for (int i = 0; i < ns; i++)
		if (!transpose_out(&w, i, c->in[0].d[i + 1], e, &out->d[i + 1]))
			return false;
	return finish(c, out, e);
}

/* weight [C, filters / groups, k...], bias [filters]. */
static int conv_transpose_params(const struct op_call *c, const struct shape *out,
				 struct param_desc *p)
{
	struct window w;
	int n = 0;

	window_of(c, &conv_transpose_win, &w);
	p[n] = param("weight", c->in[0].d[0], out->d[0] / groups_of(c, CT_GROUPS),
		     true, CT_WEIGHT_INIT);
	p[n].shape.rank = 2 + w.ns;
	memcpy(&p[n].shape.d[2], w.k, (size_t)w.ns * sizeof w.k[0]);
	n++;
	if (c->attr[CT_BIAS].i)
		p[n++] = param("bias", out->d[0], -1, true, CT_BIAS_INIT);
	return n;
}

/* numel(in) * (filters / groups) * prod(k). */
static int64_t conv_transpose_macs(const struct op_call *c, const struct shape *out)
{
	struct window w;
	window_of(c, &conv_transpose_win, &w);
	return sat_mul(sat_mul(sat_numel(&c->in[0]), out->d[0] / groups_of(c, CT_GROUPS)),
		       kernel_volume(&w));
}

/* dense: [in] -> [units]. */
static bool dense_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	char b[SHAPE_BUF];
	int64_t units;

	if (!check_call(c, e))
		return false;
	if (c->in[0].rank != 1)
		return fail(e, -1, 0, "expects a vector input [features], got %s; "
			    "put flatten or global_avgpool before it", sh(&c->in[0], b));
	if (!read_int(c, DENSE_UNITS, "units", 1, &units, e))
		return false;
	out->rank = 1;
	out->d[0] = units;
	return finish(c, out, e);
}

/* weight [units, in], bias [units]. */
static int dense_params(const struct op_call *c, const struct shape *out, struct param_desc *p)
{
	int n = 0;
	p[n++] = param("weight", out->d[0], c->in[0].d[0], true, DENSE_WEIGHT_INIT);
	if (c->attr[DENSE_BIAS].i)
		p[n++] = param("bias", out->d[0], -1, true, DENSE_BIAS_INIT);
	return n;
}

/* in * units. */
static int64_t dense_macs(const struct op_call *c, const struct shape *out)
{
	return sat_mul(c->in[0].d[0], out->d[0]);
}

/* batchnorm: shape unchanged; normalises over the channels (dimension 1). */
static bool batchnorm_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	double eps, mom;

	if (!check_call(c, e))
		return false;
	if (c->in[0].rank < 1)
		return fail(e, -1, 0, "expects an input with channels [C, ...], got []");
	eps = c->attr[BN_EPS].f;
	mom = c->attr[BN_MOMENTUM].f;
	if (!(eps >= 0) || isinf(eps))
		return fail(e, BN_EPS, -1, "eps must be a non-negative number, got %g", eps);
	if (!(mom >= 0 && mom <= 1))
		return fail(e, BN_MOMENTUM, -1, "momentum must be in [0, 1], got %g", mom);
	*out = c->in[0];
	return finish(c, out, e);
}

/* gamma, beta [C] (trainable, with affine); running_mean, running_var [C]
 * (state). */
static int batchnorm_params(const struct op_call *c, const struct shape *out,
			    struct param_desc *p)
{
	int64_t ch = out->d[0];
	int n = 0;
	if (c->attr[BN_AFFINE].i) {
		p[n++] = param("gamma", ch, -1, true, -1);
		p[n++] = param("beta", ch, -1, true, -1);
	}
	p[n++] = param("running_mean", ch, -1, false, -1);
	p[n++] = param("running_var", ch, -1, false, -1);
	return n;
}

/* dropout: shape unchanged; p in [0, 1). */
static bool dropout_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	double p;
	if (!check_call(c, e))
		return false;
	p = c->attr[DROPOUT_P].f;
	if (!(p >= 0 && p < 1))
		return fail(e, DROPOUT_P, -1, "p must be in [0, 1), got %g", p);
	*out = c->in[0];
	return finish(c, out, e);
}

/* maxpool / avgpool: channels unchanged, spatial sizes as for conv;
 * PyTorch's rule that the padding is at most half the kernel. */
static bool pool_shape(const struct op_call *c, const struct window_spec *ws,
		       struct shape *out, struct op_err *e)
{
	struct window w;
	int ns;

	if (!check_call(c, e) || (ns = spatial_dims(c, e)) < 0 ||
	    !window_read(c, ws, ns, &w, e))
		return false;
	for (int i = 0; i < ns; i++)
		if (w.pad[i] > w.k[i] / 2)
			return fail(e, ws->pad, -1, "pad %" PRId64 " is more than half the kernel %"
				    PRId64 " in dimension %d", w.pad[i], w.k[i], i + 2);
	out->rank = c->in[0].rank;
	out->d[0] = c->in[0].d[0];
	for (int i = 0; i < ns; i++)
		if (!window_out(&w, i, c->in[0].d[i + 1], e, &out->d[i + 1]))
			return false;
	return finish(c, out, e);
}

static bool maxpool_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	return pool_shape(c, &maxpool_win, out, e);
}

static bool avgpool_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	return pool_shape(c, &avgpool_win, out, e);
}

/* global_avgpool / global_maxpool: [C, spatial...] -> [C]. */
static bool global_pool_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	char b[SHAPE_BUF];
	if (!check_call(c, e))
		return false;
	if (c->in[0].rank < 2)
		return fail(e, -1, 0, "expects an input [C, spatial...], got %s", sh(&c->in[0], b));
	out->rank = 1;
	out->d[0] = c->in[0].d[0];
	return finish(c, out, e);
}

/* flatten: any shape -> [numel]. */
static bool flatten_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	char b[SHAPE_BUF];
	int64_t n;
	if (!check_call(c, e))
		return false;
	if (!shape_numel(&c->in[0], &n))
		return fail(e, -1, 0, "dimension 1 overflows: the input %s has more than "
			    "2^40 elements", sh(&c->in[0], b));
	out->rank = 1;
	out->d[0] = n;
	return finish(c, out, e);
}

/* reshape(shape): same element count; one -1 takes what is left. */
static bool reshape_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	const struct attr *a = &c->attr[RESHAPE_SHAPE];
	struct shape to;
	char b1[SHAPE_BUF], b2[SHAPE_BUF];
	int64_t n, known = 1;
	int infer = -1;

	if (!check_call(c, e))
		return false;
	if (!a->set || a->n < 1 || a->n > SHAPE_MAX_RANK)
		return fail(e, RESHAPE_SHAPE, -1, "shape must have 1 to %d values, got %d",
			    SHAPE_MAX_RANK, a->set ? a->n : 0);
	to.rank = a->n;
	memcpy(to.d, a->v, sizeof to.d);
	for (int i = 0; i < to.rank; i++) {
		if (to.d[i] == -1) {
			if (infer >= 0)
				return fail(e, RESHAPE_SHAPE, -1, "shape %s has more than one -1",
					    sh(&to, b1));
			infer = i;
		} else if (to.d[i] < 1) {
			return fail(e, RESHAPE_SHAPE, -1, "shape %s: sizes must be positive or -1, "
				    "got %" PRId64, sh(&to, b1), to.d[i]);
		} else if (!dim_mul(known, to.d[i], &known)) {
			return fail(e, RESHAPE_SHAPE, -1, "dimension %d overflows: the shape %s "
				    "has more than 2^40 elements", i + 1, sh(&to, b1));
		}
	}
	if (!shape_numel(&c->in[0], &n))
		return fail(e, -1, 0, "the input %s has more than 2^40 elements",
			    sh(&c->in[0], b1));
	if (infer >= 0) {
		if (n % known != 0)
			return fail(e, RESHAPE_SHAPE, -1, "cannot reshape %s (%" PRId64 " elements) "
				    "to %s: %" PRId64 " is not a multiple of %" PRId64,
				    sh(&c->in[0], b1), n, sh(&to, b2), n, known);
		to.d[infer] = n / known;
	} else if (n != known) {
		return fail(e, RESHAPE_SHAPE, -1, "cannot reshape %s (%" PRId64 " elements) "
			    "to %s (%" PRId64 " elements)", sh(&c->in[0], b1), n, sh(&to, b2), known);
	}
	*out = to;
	return finish(c, out, e);
}

/* concat(axis): same rank, equal sizes except along the axis, which adds. */
static bool concat_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	char b1[SHAPE_BUF], b2[SHAPE_BUF];
	const struct shape *s0 = &c->in[0];
	int ax = 0;

	if (!check_call(c, e))
		return false;
	for (int i = 1; i < c->nin; i++)
		if (c->in[i].rank != s0->rank)
			return fail(e, -1, i, "shapes %s and %s have different ranks",
				    sh(s0, b1), sh(&c->in[i], b2));
	if (!read_axis(c, CONCAT_AXIS, s0, &ax, e))
		return false;
	*out = *s0;
	for (int i = 1; i < c->nin; i++) {
		const struct shape *s = &c->in[i];
		for (int j = 0; j < s->rank; j++)
			if (j != ax && s->d[j] != s0->d[j])
				return fail(e, -1, i, "shapes %s and %s differ in dimension %d "
					    "(concat joins dimension %d)",
					    sh(s0, b1), sh(s, b2), j + 1, ax + 1);
		if (!dim_add(out->d[ax], s->d[ax], &out->d[ax]))
			return overflow(e, -1, i, ax + 1);
	}
	return finish(c, out, e);
}

/* add / multiply: two or more inputs of exactly the same shape. */
static bool merge_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	char b1[SHAPE_BUF], b2[SHAPE_BUF];
	const struct shape *s0 = &c->in[0];

	if (!check_call(c, e))
		return false;
	for (int i = 1; i < c->nin; i++) {
		const struct shape *s = &c->in[i];
		if (s->rank != s0->rank)
			return fail(e, -1, i, "shapes %s and %s have different ranks",
				    sh(s0, b1), sh(s, b2));
		for (int j = 0; j < s->rank; j++)
			if (s->d[j] != s0->d[j])
				return fail(e, -1, i, "shapes %s and %s differ in dimension %d",
					    sh(s0, b1), sh(s, b2), j + 1);
	}
	*out = *s0;
	return finish(c, out, e);
}

/* softmax(axis): shape unchanged; the axis must exist. */
static bool softmax_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	int ax = 0;
	if (!check_call(c, e) || !read_axis(c, SOFTMAX_AXIS, &c->in[0], &ax, e))
		return false;
	*out = c->in[0];
	return finish(c, out, e);
}

/* upsample(scale, mode): spatial sizes times scale. */
static bool upsample_shape(const struct op_call *c, struct shape *out, struct op_err *e)
{
	char b[SHAPE_BUF];
	int64_t scale[SHAPE_MAX_RANK];
	int ns;

	if (!check_call(c, e) || (ns = spatial_dims(c, e)) < 0 ||
	    !read_ints(c, UP_SCALE, "scale", ns, 1, 2, scale, e))
		return false;
	if (c->attr[UP_MODE].set && c->attr[UP_MODE].sym == MODE_BILINEAR && ns != 2)
		return fail(e, UP_MODE, 0, "mode = bilinear needs an input [C, H, W], got %s",
			    sh(&c->in[0], b));
	*out = c->in[0];
	for (int i = 0; i < ns; i++)
		if (!dim_mul(out->d[i + 1], scale[i], &out->d[i + 1]))
			return overflow(e, UP_SCALE, -1, i + 2);
	return finish(c, out, e);
}

/* ---------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------- */

/* The gradient rules are defined in compiler/train/grad.c. */
#define OP(id, name_, min_in_, max_in_, attrs_, flags_, shape_, params_, macs_, grad_, doc_) \
	op_grad_fn grad_;
#include "ops.def"
#undef OP

const struct op_info op_table[OP_COUNT] = {
#define OP(id, name_, min_in_, max_in_, attrs_, flags_, shape_, params_, macs_, grad_, doc_) \
	[OP_##id] = {                                                            \
		.name = name_,                                                   \
		.min_in = min_in_,                                               \
		.max_in = max_in_,                                               \
		.attrs = attrs_,                                                 \
		.nattrs = NATTRS(attrs_),                                        \
		.flags = flags_,                                                 \
		.shape = shape_,                                                 \
		.params = params_,                                               \
		.macs = macs_,                                                   \
		.grad = grad_,                                                   \
		.doc = doc_,                                                     \
	},
#include "ops.def"
#undef OP
};

/* ---------------------------------------------------------------------
 * Lookups and argument helpers
 * ------------------------------------------------------------------- */

const struct op_info *op_lookup(const char *name, enum op *id)
{
	if (!name)
		return NULL;
	for (int i = 0; i < OP_COUNT; i++) {
		if (op_table[i].flags & OPF_INTERNAL)
			continue;
		if (strcmp(op_table[i].name, name) == 0) {
			if (id)
				*id = (enum op)i;
			return &op_table[i];
		}
	}
	return NULL;
}

int op_attr_index(const struct op_info *o, const char *name)
{
	if (!o || !name)
		return -1;
	for (int i = 0; i < o->nattrs; i++)
		if (strcmp(o->attrs[i].name, name) == 0)
			return i;
	return -1;
}

int sym_index(const char *syms, const char *s)
{
	size_t len;
	int k = 0;

	if (!syms || !s)
		return -1;
	len = strlen(s);
	for (const char *p = syms;; k++) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == len && strncmp(p, s, n) == 0)
			return k;
		if (!bar)
			return -1;
		p = bar + 1;
	}
}

/* Returns buf; it holds "" when the list has no k-th symbol.  Long
 * symbols are truncated to n - 1 bytes. */
const char *sym_name(const char *syms, int k, char *buf, size_t n)
{
	const char *p = syms;

	if (n == 0)
		return buf;
	buf[0] = 0;
	if (!syms || k < 0)
		return buf;
	for (; k > 0; k--) {
		p = strchr(p, '|');
		if (!p)
			return buf;
		p++;
	}
	size_t len = strcspn(p, "|");
	if (len > n - 1)
		len = n - 1;
	memcpy(buf, p, len);
	buf[len] = 0;
	return buf;
}

bool attr_expand(const struct attr *a, int k, int64_t out[])
{
	if (k < 0 || k > SHAPE_MAX_RANK || a->n < 1 || a->n > SHAPE_MAX_RANK)
		return false;
	if (a->n == k) {
		memcpy(out, a->v, (size_t)k * sizeof out[0]);
		return true;
	}
	if (a->n != 1)
		return false;
	for (int i = 0; i < k; i++)
		out[i] = a->v[0];
	return true;
}

/* Parse a whole string as a decimal integer. */
static bool parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end || errno)
		return false;
	*out = v;
	return true;
}

/* Parse a whole string as a finite number ("1", "0.5", "1e-5"). */
static bool parse_num(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* Parse "3", "[3, 3]" or "3, 3" into a->v / a->n. */
static bool parse_ints(const char *s, struct attr *a)
{
	char tok[32];
	const char *p = s;
	bool bracket;

	while (*p == ' ')
		p++;
	bracket = *p == '[';
	if (bracket)
		p++;
	a->n = 0;
	for (;;) {
		size_t n;
		while (*p == ' ')
			p++;
		if (bracket && *p == ']' && a->n == 0) {
			p++;
			break;
		}
		n = strcspn(p, ",] ");
		if (n == 0 || n >= sizeof tok || a->n == SHAPE_MAX_RANK)
			return false;
		memcpy(tok, p, n);
		tok[n] = 0;
		if (!parse_int(tok, &a->v[a->n++]))
			return false;
		p += n;
		while (*p == ' ')
			p++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (bracket) {
			if (*p != ']')
				return false;
			p++;
		}
		break;
	}
	while (*p == ' ')
		p++;
	if (*p)
		return false;
	a->i = a->n > 0 ? a->v[0] : 0;
	return true;
}

/* Also false when the default text does not parse as its type: that is a
 * bug in the table, which the unit test catches. */
bool attr_default(const struct attr_spec *s, struct attr *a)
{
	const char *d;
	bool ok = false;

	memset(a, 0, sizeof *a);
	a->sym = -1;
	a->loc.file = -1;
	if (!s || !s->def)
		return false;
	d = s->def;
	if (!*d)
		return true;
	switch (s->type) {
	case AT_INT:
		ok = parse_int(d, &a->i);
		a->f = (double)a->i;
		a->n = 1;
		a->v[0] = a->i;
		break;
	case AT_FLOAT:
		ok = parse_num(d, &a->f);
		break;
	case AT_BOOL:
		ok = strcmp(d, "true") == 0 || strcmp(d, "false") == 0;
		a->i = strcmp(d, "true") == 0;
		break;
	case AT_INTS:
	case AT_SHAPE:
		ok = parse_ints(d, a);
		break;
	case AT_PAD:
		a->sym = sym_index(s->syms, d);
		ok = a->sym >= 0 || parse_ints(d, a);
		break;
	case AT_SYM:
		a->sym = sym_index(s->syms, d);
		ok = a->sym >= 0;
		break;
	case AT_INIT:
		a->sym = sym_index(s->syms, d);
		ok = a->sym >= 0 || parse_num(d, &a->f);
		break;
	}
	if (!ok) {
		memset(a, 0, sizeof *a);
		a->sym = -1;
		a->loc.file = -1;
		return false;
	}
	a->set = true;
	return true;
}
