/* steps.c - one step of a training program as a call: the fast kernels of
 * runtime/cpu/ (cpu.h) for conv, conv_transpose and dense, the reference
 * kernel that steps.def names (runtime/kernels/ref.h, float32) for the
 * rest.  Descriptors that depend only on the program are private
 * constants of the module; those that read the context (dropout: seed and
 * step; optimizers: lr_scale) are built on the stack. */
#include "lower.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An array of i32 as a constant global: the int-only descriptors
 * (nrt_conv_desc, nrt_pool_desc, nrt_upsample_desc, nrt_dense_desc) have
 * the layout of int[n]. */
static LLVMValueRef int_desc(struct lower *L, const int64_t *v, int n, const char *what)
{
	LLVMValueRef e[32];
	for (int i = 0; i < n; i++)
		e[i] = nl_i32(L, v[i]);
	return nl_const_global(L, LLVMConstArray2(L->i32, e, (uint64_t)n), what);
}

static void put3(int64_t *d, const int64_t *s)
{
	for (int i = 0; i < TP_MAX_SPATIAL; i++)
		d[i] = s[i];
}

/* struct nrt_conv_desc: nd n c k groups, then eight int[3] arrays. */
static LLVMValueRef conv_desc(struct lower *L, const struct tp_conv *c)
{
	int64_t v[29];
	struct tp_conv z = *c;
	for (int i = c->nd; i < TP_MAX_SPATIAL; i++)   /* unused entries: 0, as interp's memset */
		z.in[i] = z.out[i] = z.kernel[i] = z.stride[i] = z.pad_lo[i] = z.pad_hi[i] =
			z.dilation[i] = z.output_pad[i] = 0;
	v[0] = z.nd, v[1] = z.n, v[2] = z.c, v[3] = z.k, v[4] = z.groups;
	put3(v + 5, z.in), put3(v + 8, z.out), put3(v + 11, z.kernel), put3(v + 14, z.stride);
	put3(v + 17, z.pad_lo), put3(v + 20, z.pad_hi), put3(v + 23, z.dilation);
	put3(v + 26, z.output_pad);
	return int_desc(L, v, 29, "conv_desc");
}

/* struct nrt_pool_desc: nd n c, six int[3], count_pad. */
static LLVMValueRef pool_desc(struct lower *L, const struct tp_pool *p)
{
	int64_t v[22];
	struct tp_pool z = *p;
	for (int i = p->nd; i < TP_MAX_SPATIAL; i++)
		z.in[i] = z.out[i] = z.kernel[i] = z.stride[i] = z.pad[i] = z.dilation[i] = 0;
	v[0] = z.nd, v[1] = z.n, v[2] = z.c;
	put3(v + 3, z.in), put3(v + 6, z.out), put3(v + 9, z.kernel), put3(v + 12, z.stride);
	put3(v + 15, z.pad), put3(v + 18, z.dilation);
	v[21] = z.count_pad;
	return int_desc(L, v, 22, "pool_desc");
}

/* struct nrt_upsample_desc: nd n c in[3] scale[3] mode. */
static LLVMValueRef upsample_desc(struct lower *L, const struct tp_upsample *u)
{
	int64_t v[10];
	struct tp_upsample z = *u;
	for (int i = u->nd; i < TP_MAX_SPATIAL; i++)
		z.in[i] = z.scale[i] = 0;
	v[0] = z.nd, v[1] = z.n, v[2] = z.c;
	put3(v + 3, z.in), put3(v + 6, z.scale);
	v[9] = z.bilinear ? 1 : 0;   /* NRT_UPSAMPLE_BILINEAR : NRT_UPSAMPLE_NEAREST */
	return int_desc(L, v, 10, "upsample_desc");
}

/* {i32, i32, i64, double, double...}: nrt_bn_desc, nrt_xent_desc, nrt_dice_desc. */
static LLVMValueRef nc_s_desc(struct lower *L, int64_t n, int64_t c, int64_t s, const double *d,
			      int nd, const char *what)
{
	LLVMValueRef e[5] = { nl_i32(L, n), nl_i32(L, c), nl_i64(L, s) };
	for (int i = 0; i < nd; i++)
		e[3 + i] = nl_f64(L, d[i]);
	return nl_const_global(L, LLVMConstStructInContext(L->C, e, (unsigned)(3 + nd), 0), what);
}

/* A stack struct of doubles (optimizers): v[0] is the learning rate,
 * scaled by ctx->lr_scale; an int flag at the end when with_flag. */
static LLVMValueRef optim_desc(struct lower *L, const double *v, int n, int flag, bool with_flag)
{
	LLVMTypeRef t[6];
	LLVMTypeRef st;
	LLVMValueRef a;
	for (int i = 0; i < n; i++)
		t[i] = L->f64;
	if (with_flag)
		t[n] = L->i32;
	st = LLVMStructTypeInContext(L->C, t, (unsigned)(n + with_flag), 0);
	a = LLVMBuildAlloca(L->B, st, "optim_desc");
	for (int i = 0; i < n; i++) {
		LLVMValueRef x = nl_f64(L, v[i]);
		if (i == 0)
			x = LLVMBuildFMul(L->B, x, L->lr_scale, "lr");
		LLVMBuildStore(L->B, x, LLVMBuildStructGEP2(L->B, st, a, (unsigned)i, ""));
	}
	if (with_flag)
		LLVMBuildStore(L->B, nl_i32(L, flag), LLVMBuildStructGEP2(L->B, st, a, (unsigned)n, ""));
	return a;
}

/* struct nrt_dropout_desc {i64 count; double p; u64 seed; u32 step; u32 layer}. */
static LLVMValueRef dropout_desc(struct lower *L, const struct tp_dropout *d)
{
	LLVMTypeRef t[5] = { L->i64, L->f64, L->i64, L->i32, L->i32 };
	LLVMTypeRef st = LLVMStructTypeInContext(L->C, t, 5, 0);
	LLVMValueRef a = LLVMBuildAlloca(L->B, st, "dropout_desc");
	LLVMValueRef v[5] = { nl_i64(L, d->count), nl_f64(L, d->p), L->seed,
			      LLVMBuildTrunc(L->B, L->step, L->i32, ""), nl_i32(L, d->layer) };
	for (unsigned i = 0; i < 5; i++)
		LLVMBuildStore(L->B, v[i], LLVMBuildStructGEP2(L->B, st, a, i, ""));
	return a;
}

/* A stack array of the k buffers s->buf[first ...]: the const T *const *x of merges. */
static LLVMValueRef ptr_array(struct lower *L, const struct tstep *s, int first, int k)
{
	LLVMTypeRef at = LLVMArrayType2(L->ptr, (uint64_t)k);
	LLVMValueRef a = LLVMBuildAlloca(L->B, at, "ptrs");
	for (int j = 0; j < k; j++) {
		LLVMValueRef idx[2] = { nl_i32(L, 0), nl_i32(L, j) };
		LLVMBuildStore(L->B, nl_buf(L, s->buf[first + j]),
			       LLVMBuildInBoundsGEP2(L->B, at, a, idx, 2, ""));
	}
	return a;
}

/* nrt_range[k] of the views s->buf[first ...] (L2). */
static LLVMValueRef ranges(struct lower *L, const struct tstep *s, int first, int k)
{
	LLVMValueRef *e = calloc((size_t)(2 * k + 1), sizeof *e);
	LLVMValueRef g;
	for (int j = 0; j < k; j++) {
		const struct tbuf *t = &L->P->bufs[s->buf[first + j]];
		e[2 * j] = nl_i64(L, t->offset);
		e[2 * j + 1] = nl_i64(L, t->numel);
	}
	g = nl_const_global(L, LLVMConstArray2(L->i64, e, (uint64_t)(2 * k)), "ranges");
	free(e);
	return g;
}

/* Call `name` with ret type ret and args (every pointer is ptr). */
static LLVMValueRef call(struct lower *L, const char *name, LLVMTypeRef ret, LLVMValueRef *a,
			 int n)
{
	LLVMTypeRef t[16];
	for (int i = 0; i < n; i++)
		t[i] = LLVMTypeOf(a[i]);
	return nl_call(L, nl_extern(L, name, ret, t, n), a, n);
}

/* The reference kernel of s: "nrt_ref_<kernel>_f32". */
static LLVMValueRef ref(struct lower *L, const struct tstep *s, LLVMTypeRef ret, LLVMValueRef *a,
			int n)
{
	char name[96];
	snprintf(name, sizeof name, "nrt_ref_%s_f32", tp_step_table[s->kind].kernel);
	return call(L, name, ret, a, n);
}

#define B(j) nl_buf(L, s->buf[(j)])

/* The range of an optimizer update over n trainable elements: ctx's
 * [shard_begin, shard_end) when either is non-zero (distribute = sharded
 * or parameter_server; it may be empty), else [0, n); *lo is its first
 * element (shard_begin: 0 for the whole blob). */
static LLVMValueRef shard_count(struct lower *L, int64_t n, LLVMValueRef *lo)
{
	LLVMValueRef any = LLVMBuildOr(L->B, L->shard_begin, L->shard_end, "");
	LLVMValueRef has = LLVMBuildICmp(L->B, LLVMIntNE, any, nl_i64(L, 0), "has_shard");
	*lo = L->shard_begin;
	return LLVMBuildSelect(L->B, has, LLVMBuildSub(L->B, L->shard_end, L->shard_begin, ""),
			       nl_i64(L, n), "shard_n");
}

/* Buffer j of an optimizer step from element lo on (NULL for a buffer the
 * step has not got).  An OPT slot k of a compact OPT region
 * (ctx->opt_compact) starts at k * (shard_end - shard_begin) and holds the
 * shard only; else at the layout's k * ntrain, element lo. */
static LLVMValueRef shard_buf(struct lower *L, const struct tstep *s, int j, LLVMValueRef lo)
{
	if (s->buf[j] < 0)
		return nl_buf(L, s->buf[j]);
	const struct tbuf *t = &L->P->bufs[s->buf[j]];
	if (t->region == TP_OPT && L->P->ntrain > 0) {
		LLVMValueRef len = LLVMBuildSub(L->B, L->shard_end, L->shard_begin, "shard_len");
		LLVMValueRef k = nl_i64(L, t->offset / L->P->ntrain);
		LLVMValueRef compact = LLVMBuildICmp(L->B, LLVMIntNE, L->opt_compact, nl_i64(L, 0), "");
		LLVMValueRef off = LLVMBuildSelect(L->B, compact, LLVMBuildMul(L->B, k, len, ""),
						   LLVMBuildAdd(L->B, nl_i64(L, t->offset), lo, ""),
						   "opt_off");
		return LLVMBuildGEP2(L->B, L->f32, L->region[TP_OPT], &off, 1, t->name);
	}
	return LLVMBuildGEP2(L->B, L->f32, nl_buf(L, s->buf[j]), &lo, 1, "");
}
#define SB(j) shard_buf(L, s, (j), lo)

/* struct nrt_epilogue {i32 act; float alpha} (runtime/cpu/epilogue.h) of
 * a fused activation, or NULL when there is none. */
static LLVMValueRef epilogue(struct lower *L, const struct tp_epi *e)
{
	LLVMValueRef f[2];
	if (e->act == TP_EPI_NONE)
		return NULL;
	/* NRT_ACT_RELU = 1, NRT_ACT_LEAKY_RELU = 2: tp_epi_kind's order */
	f[0] = nl_i32(L, e->act == TP_EPI_RELU ? 1 : 2);
	f[1] = LLVMConstReal(L->f32, (float)e->alpha);
	return nl_const_global(L, LLVMConstStructInContext(L->C, f, 2, 0), "epilogue");
}

/* conv / conv_transpose / dense on runtime/cpu, with its status checked;
 * a forward step with a fused activation calls the _ep_ kernel. */
static void heavy(struct lower *L, const struct tstep *s)
{
	const union tp_args *a = &s->a;
	LLVMValueRef rc, d, ep = NULL;
	bool fwd = s->kind == TS_CONV_FWD || s->kind == TS_CONVT_FWD || s->kind == TS_DENSE_FWD;
	char name[64];

	if (fwd)
		ep = epilogue(L, s->kind == TS_DENSE_FWD ? &a->dense.epi : &a->conv.epi);
	if (s->kind == TS_DENSE_FWD || s->kind == TS_DENSE_BWD) {
		int64_t v[3] = { a->dense.n, a->dense.in, a->dense.out };
		LLVMValueRef args[8] = { L->pool, int_desc(L, v, 3, "dense_desc"), B(0), B(1), B(2), B(3) };
		if (!fwd)
			args[6] = B(4), args[7] = B(5);
		else if (ep)
			args[6] = ep;
		rc = call(L, !fwd ? "nrt_cpu_dense_bwd_f32" : ep ? "nrt_cpu_dense_fwd_ep_f32"
			  : "nrt_cpu_dense_fwd_f32", L->i32, args, fwd ? (ep ? 7 : 6) : 8);
	} else {
		bool t = s->kind == TS_CONVT_FWD || s->kind == TS_CONVT_BWD;
		LLVMValueRef args[10];
		int n = 0;
		d = conv_desc(L, &a->conv);
		if (L->nconvs == L->capconvs) {
			L->capconvs = L->capconvs ? 2 * L->capconvs : 16;
			L->convs = realloc(L->convs, (size_t)L->capconvs * sizeof *L->convs);
			L->convt = realloc(L->convt, (size_t)L->capconvs * sizeof *L->convt);
		}
		L->convs[L->nconvs] = d;
		L->convt[L->nconvs++] = t;
		args[n++] = L->pool;
		args[n++] = d;
		for (int j = 0; j < (fwd ? 4 : 6); j++)
			args[n++] = B(j);
		if (ep)
			args[n++] = ep;
		args[n++] = L->ws;
		args[n++] = L->ws_size;
		snprintf(name, sizeof name, "nrt_cpu_conv%s_%s_f32", t ? "_transpose" : "",
			 !fwd ? "bwd" : ep ? "fwd_ep" : "fwd");
		rc = call(L, name, L->i32, args, n);
	}
	nl_return_if_error(L, rc);
}

bool nl_step(struct lower *L, const struct tstep *s)
{
	const union tp_args *a = &s->a;
	const struct tprog *P = L->P;
	int k = s->nvar;
	LLVMValueRef v, d;

	switch (s->kind) {
	case TS_CONV_FWD: case TS_CONV_BWD: case TS_CONVT_FWD: case TS_CONVT_BWD:
	case TS_DENSE_FWD: case TS_DENSE_BWD:
		heavy(L, s);
		return true;
	case TS_INIT_UNIFORM:
	case TS_INIT_NORMAL: {
		LLVMValueRef args[6] = { B(0), nl_i64(L, a->init.count), nl_f64(L, a->init.a),
					 nl_f64(L, a->init.b), L->seed, nl_i32(L, a->init.stream) };
		call(L, s->kind == TS_INIT_UNIFORM ? "netrt_init_uniform_f32" : "netrt_init_normal_f32",
		     L->vd, args, 6);
		return true;
	}
	case TS_CONST_FILL: {
		LLVMValueRef *e = calloc((size_t)a->values.count + 1, sizeof *e);
		for (int64_t i = 0; i < a->values.count; i++)
			e[i] = LLVMConstReal(L->f32, (float)a->values.v[i]);
		v = nl_const_global(L, LLVMConstArray2(L->f32, e, (uint64_t)a->values.count), "values");
		free(e);
		LLVMBuildMemCpy(L->B, B(0), 4, v, 4, nl_i64(L, a->values.count * 4));
		return true;
	}
	case TS_BN_FWD_TRAIN: case TS_BN_FWD_INFER: case TS_BN_BWD: {
		double h[2] = { a->bn.eps, a->bn.momentum };
		LLVMValueRef args[10] = { L->ctx, nc_s_desc(L, a->bn.n, a->bn.c, a->bn.s, h, 2,
							     "bn_desc") };
		for (int j = 0; j < s->nbuf; j++)
			args[2 + j] = B(j);
		if (s->kind != TS_BN_FWD_INFER && P->cfg.sync_bn) {
			/* sync_batchnorm: the sums over every rank (runtime/comm/bn.c) */
			nl_return_if_error(L, call(L, s->kind == TS_BN_BWD ? "netrt_bn_bwd"
						   : "netrt_bn_fwd_train", L->i32, args,
						   2 + s->nbuf));
			return true;
		}
		ref(L, s, L->vd, args + 1, 1 + s->nbuf);
		return true;
	}
	case TS_BN_BWD_INFER: {
		/* batchnorm_fwd_infer of dy with mean 0 and no beta (steps.def) */
		double h[2] = { a->bn.eps, a->bn.momentum };
		LLVMValueRef zeros = nl_const_global(
			L, LLVMConstNull(LLVMArrayType2(L->f32, (uint64_t)a->bn.c)), "zeros");
		LLVMValueRef args[7] = { nc_s_desc(L, a->bn.n, a->bn.c, a->bn.s, h, 2, "bn_desc"),
					 B(2), B(0), LLVMConstNull(L->ptr), zeros, B(1), B(3) };
		ref(L, s, L->vd, args, 7);
		return true;
	}
	case TS_DROPOUT_FWD: case TS_DROPOUT_BWD: {
		LLVMValueRef args[3] = { dropout_desc(L, &a->dropout), B(0), B(1) };
		ref(L, s, L->vd, args, 3);
		return true;
	}
	case TS_MAXPOOL_FWD: case TS_MAXPOOL_BWD: case TS_AVGPOOL_FWD: case TS_AVGPOOL_BWD: {
		LLVMValueRef args[4] = { pool_desc(L, &a->pool) };
		for (int j = 0; j < s->nbuf; j++)
			args[1 + j] = B(j);
		ref(L, s, L->vd, args, 1 + s->nbuf);
		return true;
	}
	case TS_GAVGPOOL_FWD: case TS_GAVGPOOL_BWD: case TS_GMAXPOOL_FWD: case TS_GMAXPOOL_BWD: {
		LLVMValueRef args[5] = { nl_i64(L, a->gpool.nc), nl_i64(L, a->gpool.s) };
		for (int j = 0; j < s->nbuf; j++)
			args[2 + j] = B(j);
		ref(L, s, L->vd, args, 2 + s->nbuf);
		return true;
	}
	case TS_CONCAT_FWD: case TS_CONCAT_BWD: {
		LLVMValueRef *e = calloc((size_t)k, sizeof *e);
		LLVMValueRef args[6];
		for (int j = 0; j < k; j++)
			e[j] = nl_i64(L, a->concat.len[j]);
		d = nl_const_global(L, LLVMConstArray2(L->i64, e, (uint64_t)k), "lens");
		free(e);
		args[0] = nl_i64(L, a->concat.outer);
		args[1] = nl_i64(L, a->concat.inner);
		args[2] = nl_i32(L, k);
		args[3] = d;
		if (s->kind == TS_CONCAT_FWD)
			args[4] = ptr_array(L, s, 0, k), args[5] = B(k);
		else
			args[4] = B(0), args[5] = ptr_array(L, s, 1, k);
		ref(L, s, L->vd, args, 6);
		return true;
	}
	case TS_ADD_FWD: case TS_MUL_FWD: {
		LLVMValueRef args[4] = { nl_i64(L, a->merge.count), nl_i32(L, k), ptr_array(L, s, 0, k),
					 B(k) };
		ref(L, s, L->vd, args, 4);
		return true;
	}
	case TS_ADD_BWD: {
		LLVMValueRef args[4] = { nl_i64(L, a->merge.count), nl_i32(L, k), B(0),
					 ptr_array(L, s, 1, k) };
		ref(L, s, L->vd, args, 4);
		return true;
	}
	case TS_MUL_BWD: {
		LLVMValueRef args[5] = { nl_i64(L, a->merge.count), nl_i32(L, k), ptr_array(L, s, 0, k),
					 B(k), ptr_array(L, s, k + 1, k) };
		ref(L, s, L->vd, args, 5);
		return true;
	}
	case TS_COPY: case TS_RELU_FWD: case TS_RELU_BWD: case TS_SIGMOID_FWD: case TS_SIGMOID_BWD:
	case TS_TANH_FWD: case TS_TANH_BWD: case TS_GELU_FWD: case TS_GELU_BWD: {
		LLVMValueRef args[4] = { nl_i64(L, a->count.count) };
		for (int j = 0; j < s->nbuf; j++)
			args[1 + j] = B(j);
		ref(L, s, L->vd, args, 1 + s->nbuf);
		return true;
	}
	case TS_LEAKY_RELU_FWD: case TS_LEAKY_RELU_BWD: case TS_ELU_FWD: case TS_ELU_BWD: {
		LLVMValueRef args[5] = { nl_i64(L, a->count.count), nl_f64(L, a->count.alpha) };
		for (int j = 0; j < s->nbuf; j++)
			args[2 + j] = B(j);
		ref(L, s, L->vd, args, 2 + s->nbuf);
		return true;
	}
	case TS_SOFTMAX_FWD: case TS_SOFTMAX_BWD: {
		LLVMValueRef args[6] = { nl_i64(L, a->axis.outer), nl_i64(L, a->axis.len),
					 nl_i64(L, a->axis.inner) };
		for (int j = 0; j < s->nbuf; j++)
			args[3 + j] = B(j);
		ref(L, s, L->vd, args, 3 + s->nbuf);
		return true;
	}
	case TS_UPSAMPLE_FWD: case TS_UPSAMPLE_BWD: {
		LLVMValueRef args[3] = { upsample_desc(L, &a->up), B(0), B(1) };
		ref(L, s, L->vd, args, 3);
		return true;
	}
	case TS_XENT_FWD: case TS_XENT_BWD: {
		double h = a->xent.smoothing;
		LLVMValueRef args[4] = { nc_s_desc(L, a->xent.n, a->xent.c, a->xent.s, &h, 1, "xent_desc"),
					 B(0), B(1), B(2) };
		if (s->kind == TS_XENT_FWD) {
			v = ref(L, s, L->f32, args, 4);
			LLVMBuildStore(L->B, v, B(3));
		} else {
			LLVMValueRef all[5] = { args[0], args[1], args[2], args[3], B(3) };
			ref(L, s, L->vd, all, 5);
		}
		return true;
	}
	case TS_DICE_FWD: case TS_DICE_BWD: {
		double h = a->dice.smooth;
		LLVMValueRef args[4] = { nc_s_desc(L, a->dice.n, a->dice.c, a->dice.s, &h, 1, "dice_desc"),
					 B(0), B(1), B(2) };
		if (s->kind == TS_DICE_FWD) {
			v = ref(L, s, L->f32, args, 3);
			LLVMBuildStore(L->B, v, B(2));
		} else {
			ref(L, s, L->vd, args, 4);
		}
		return true;
	}
	case TS_BCE_FWD: case TS_MSE_FWD: case TS_BCE_BWD: case TS_MSE_BWD: {
		LLVMValueRef args[4] = { nl_i64(L, a->count.count), B(0), B(1), B(2) };
		if (s->kind == TS_BCE_FWD || s->kind == TS_MSE_FWD) {
			v = ref(L, s, L->f32, args, 3);
			LLVMBuildStore(L->B, v, B(2));
		} else {
			ref(L, s, L->vd, args, 4);
		}
		return true;
	}
	case TS_L2_FWD: {
		LLVMValueRef args[4] = { nl_f64(L, a->l2.weight), nl_i32(L, k), ranges(L, s, 0, k),
					 L->region[TP_PARAM] };
		LLVMValueRef loss = B(k);
		v = ref(L, s, L->f32, args, 4);
		v = LLVMBuildFAdd(L->B, LLVMBuildLoad2(L->B, L->f32, loss, ""), v, "");
		LLVMBuildStore(L->B, v, loss);
		return true;
	}
	case TS_L2_BWD: {
		/* the gradient views sit at the weights' offsets (interp checks it) */
		LLVMValueRef args[5] = { nl_f64(L, a->l2.weight), nl_i32(L, k), ranges(L, s, 0, k),
					 L->region[TP_PARAM], L->region[TP_GRAD] };
		for (int j = 0; j < k; j++)
			if (P->bufs[s->buf[j]].offset != P->bufs[s->buf[k + j]].offset)
				return lfail(L->st, "l2_bwd", "a weight and its gradient are at different offsets"),
				       false;
		ref(L, s, L->vd, args, 5);
		return true;
	}
	case TS_SGD: {
		double h[4] = { a->sgd.lr, a->sgd.momentum, a->sgd.dampening, a->sgd.weight_decay };
		LLVMValueRef lo, n = shard_count(L, a->sgd.n, &lo);
		LLVMValueRef args[6] = { optim_desc(L, h, 4, a->sgd.nesterov, true), L->step, n,
					 SB(1), SB(0), SB(2) };
		ref(L, s, L->vd, args, 6);
		return true;
	}
	case TS_ADAM: {
		double h[5] = { a->adam.lr, a->adam.beta1, a->adam.beta2, a->adam.eps,
				a->adam.weight_decay };
		LLVMValueRef lo, n = shard_count(L, a->adam.n, &lo);
		LLVMValueRef args[7] = { optim_desc(L, h, 5, 0, false), L->step, n, SB(1), SB(0),
					 SB(2), SB(3) };
		ref(L, s, L->vd, args, 7);
		return true;
	}
	case TS_ADADELTA: {
		double h[4] = { a->adadelta.lr, a->adadelta.rho, a->adadelta.eps,
				a->adadelta.weight_decay };
		LLVMValueRef lo, n = shard_count(L, a->adadelta.n, &lo);
		LLVMValueRef args[6] = { optim_desc(L, h, 4, 0, false), n, SB(1), SB(0), SB(2),
					 SB(3) };
		ref(L, s, L->vd, args, 6);
		return true;
	}
	case TS_RMSPROP: {
		double h[5] = { a->rmsprop.lr, a->rmsprop.alpha, a->rmsprop.eps, a->rmsprop.momentum,
				a->rmsprop.weight_decay };
		LLVMValueRef lo, n = shard_count(L, a->rmsprop.n, &lo);
		LLVMValueRef args[6] = { optim_desc(L, h, 5, 0, false), n, SB(1), SB(0),
					 SB(2), SB(3) };
		ref(L, s, L->vd, args, 6);
		return true;
	}
	case TS_BN_FOLD: {
		LLVMValueRef args[11] = { nl_i64(L, a->bnfold.k), nl_i64(L, a->bnfold.per),
					  nl_f64(L, a->bnfold.eps) };
		for (int j = 0; j < 8; j++)
			args[3 + j] = B(j);
		ref(L, s, L->vd, args, 11);
		return true;
	}
	case TS_GRAD_READY: {   /* runtime/comm/grad.c */
		LLVMValueRef args[3] = { L->ctx, nl_i64(L, P->bufs[s->buf[0]].offset),
					 nl_i64(L, a->count.count) };
		nl_return_if_error(L, call(L, "netrt_grad_ready", L->i32, args, 3));
		return true;
	}
	case TS_GRAD_SYNC: {
		LLVMValueRef args[2] = { L->ctx, nl_i64(L, a->count.count) };
		nl_return_if_error(L, call(L, "netrt_grad_sync", L->i32, args, 2));
		return true;
	}
	case TS_ZERO: case TS_ACC: case TS_INIT_CONST: case TS_EW:   /* loops.c */
	case TS_COUNT:
		break;
	}
	lfail(L->st, "nl_step", tp_step_table[s->kind < TS_COUNT ? s->kind : 0].name);
	return false;
}
