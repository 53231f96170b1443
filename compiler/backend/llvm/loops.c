/* loops.c - the simple elementwise steps (zero, copy, acc, init_const,
 * relu and leaky_relu forward and backward, add of a few inputs) and the
 * fused chains of them (TS_EW, compiler/passes/ewchain.c) as IR loops
 * instead of kernel calls, so that LLVM vectorises them for the target
 * and nothing is called per step.  A chain is one loop: each element is
 * loaded once from every input, the ops run on registers in their order,
 * one store; no intermediate buffer.
 *
 * Each distinct loop is one internal function
 *     void loop(ptr noalias p0, ..., float c, i64 begin, i64 end)
 * over contiguous floats (the last pointer is the output; c is the fill
 * value or the slope).  A step of n elements calls it on [0, n) (inlined
 * by the pipeline), or, above NL_PARALLEL_MIN elements, through
 * nrt_parallel_for with a body function that unpacks the pointers from a
 * stack struct: every element is written by one thread, from the same
 * inputs, so the result does not depend on the thread count.  The
 * arithmetic is the reference kernels' (act.inc, merge.inc), in the same
 * order, so results are bitwise equal to them. */
#include "lower.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ADD_IN = 4, MAX_PTR = TP_EW_MAX_IN + 2 };

bool nl_is_loop_step(const struct tstep *s)
{
	switch (s->kind) {
	case TS_EW:
	case TS_ZERO: case TS_COPY: case TS_ACC: case TS_INIT_CONST:
	case TS_RELU_FWD: case TS_RELU_BWD: case TS_LEAKY_RELU_FWD: case TS_LEAKY_RELU_BWD:
		return true;
	case TS_ADD_FWD:
		return s->nvar <= MAX_ADD_IN;
	default:
		return false;
	}
}

static int64_t count_of(const struct tstep *s)
{
	switch (s->kind) {
	case TS_INIT_CONST: return s->a.init.count;
	case TS_ADD_FWD: return s->a.merge.count;
	case TS_EW: return s->a.ew.count;
	default: return s->a.count.count;
	}
}

static double const_of(const struct tstep *s)
{
	if (s->kind == TS_INIT_CONST)
		return s->a.init.a;
	if (s->kind == TS_LEAKY_RELU_FWD || s->kind == TS_LEAKY_RELU_BWD)
		return s->a.count.alpha;
	return 0;
}

/* Whether two of the n buffers overlap (then the pointers may not be noalias). */
static bool overlapping(const struct tprog *P, const int *buf, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			const struct tbuf *a = &P->bufs[buf[i]], *b = &P->bufs[buf[j]];
			if (a->region == b->region && a->offset < b->offset + b->numel &&
			    b->offset < a->offset + a->numel)
				return true;
		}
	return false;
}

/* relu and leaky_relu, forward (y = x) and backward (y = dy): x > 0 ? y :
 * slope * y, with slope NULL for relu (0, not 0 * y: the reference's select). */
static LLVMValueRef act_select(LLVMBuilderRef B, LLVMValueRef zero, LLVMValueRef x,
			       LLVMValueRef y, LLVMValueRef slope)
{
	LLVMValueRef pos = LLVMBuildFCmp(B, LLVMRealOGT, x, zero, "");
	return LLVMBuildSelect(B, pos, y, slope ? LLVMBuildFMul(B, slope, y, "") : zero, "");
}

/* out[i] from the inputs at i (in[] loaded; y_old: the output's old value, for acc). */
static LLVMValueRef element(struct lower *L, LLVMBuilderRef B, enum tp_step_kind k, int nin,
			    LLVMValueRef *in, LLVMValueRef c)
{
	LLVMValueRef zero = LLVMConstReal(L->f32, 0), acc;
	switch (k) {
	case TS_ZERO: return zero;
	case TS_INIT_CONST: return c;
	case TS_COPY: return in[0];
	case TS_ACC:   /* add_fwd of (y, x): 0 + y + x */
		return LLVMBuildFAdd(B, LLVMBuildFAdd(B, zero, in[1], ""), in[0], "");
	case TS_ADD_FWD:
		acc = zero;
		for (int j = 0; j < nin; j++)
			acc = LLVMBuildFAdd(B, acc, in[j], "");
		return acc;
	case TS_RELU_FWD: return act_select(B, zero, in[0], in[0], NULL);
	case TS_RELU_BWD: return act_select(B, zero, in[0], in[1], NULL);
	case TS_LEAKY_RELU_FWD: return act_select(B, zero, in[0], in[0], c);
	case TS_LEAKY_RELU_BWD: return act_select(B, zero, in[0], in[1], c);
	default:
		return zero;
	}
}

/* A loop function being built: void fn(ptr p0, ..., float c, i64 begin,
 * i64 end) with entry -> loop -> exit blocks and the index phi; the body
 * goes at B's position (the loop block). */
struct loop_build {
	LLVMValueRef fn, c, begin, end, i;
	LLVMBasicBlockRef entry, loop, exit;
	LLVMBuilderRef B;
};

/* The cached loop function of key, or NULL. */
static struct nl_loopfn *loop_find(struct lower *L, const char *key)
{
	for (int j = 0; j < L->nloops; j++)
		if (strcmp(L->loops[j].key, key) == 0)
			return &L->loops[j];
	return NULL;
}

/* Open a loop function over nptr pointers (noalias unless alias). */
static void loop_open(struct lower *L, const char *name, int nptr, bool alias,
		      struct loop_build *lb)
{
	LLVMTypeRef pt[MAX_PTR + 3];
	unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);

	for (int j = 0; j < nptr; j++)
		pt[j] = L->ptr;
	pt[nptr] = L->f32;
	pt[nptr + 1] = L->i64;
	pt[nptr + 2] = L->i64;
	lb->fn = LLVMAddFunction(L->M, name, LLVMFunctionType(L->vd, pt, (unsigned)nptr + 3, 0));
	LLVMSetLinkage(lb->fn, LLVMInternalLinkage);
	if (!alias)
		for (int j = 0; j < nptr; j++)
			LLVMAddAttributeAtIndex(lb->fn, (unsigned)j + 1,
						LLVMCreateEnumAttribute(L->C, noalias, 0));
	lb->c = LLVMGetParam(lb->fn, (unsigned)nptr);
	lb->begin = LLVMGetParam(lb->fn, (unsigned)nptr + 1);
	lb->end = LLVMGetParam(lb->fn, (unsigned)nptr + 2);
	lb->B = LLVMCreateBuilderInContext(L->C);
	lb->entry = LLVMAppendBasicBlockInContext(L->C, lb->fn, "entry");
	lb->loop = LLVMAppendBasicBlockInContext(L->C, lb->fn, "loop");
	lb->exit = LLVMAppendBasicBlockInContext(L->C, lb->fn, "exit");
	LLVMPositionBuilderAtEnd(lb->B, lb->entry);
	LLVMBuildCondBr(lb->B, LLVMBuildICmp(lb->B, LLVMIntSLT, lb->begin, lb->end, ""), lb->loop,
			lb->exit);
	LLVMPositionBuilderAtEnd(lb->B, lb->loop);
	lb->i = LLVMBuildPhi(lb->B, L->i64, "i");
}

/* Close the loop (i + 1 < end: again) and cache the function under key. */
static struct nl_loopfn *loop_close(struct lower *L, struct loop_build *lb, const char *key,
				    int nptr)
{
	LLVMBuilderRef B = lb->B;
	LLVMValueRef inext = LLVMBuildNSWAdd(B, lb->i, nl_i64(L, 1), "");
	struct nl_loopfn *lf;

	LLVMAddIncoming(lb->i, &lb->begin, &lb->entry, 1);
	LLVMAddIncoming(lb->i, &inext, &lb->loop, 1);
	LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntSLT, inext, lb->end, ""), lb->loop, lb->exit);
	LLVMPositionBuilderAtEnd(B, lb->exit);
	LLVMBuildRetVoid(B);
	LLVMDisposeBuilder(B);
	if (L->nloops == L->caploops) {
		L->caploops = L->caploops ? 2 * L->caploops : 16;
		L->loops = realloc(L->loops, (size_t)L->caploops * sizeof *L->loops);
	}
	lf = &L->loops[L->nloops++];
	memset(lf, 0, sizeof *lf);
	snprintf(lf->key, sizeof lf->key, "%s", key);
	lf->loop = lb->fn;
	lf->nptr = nptr;
	return lf;
}

/* The loop function for (kind, nptr, aliasing). */
static struct nl_loopfn *loop_fn(struct lower *L, const struct tstep *s, bool alias)
{
	int nptr = s->nbuf;
	char key[64], name[64];
	struct nl_loopfn *lf;
	struct loop_build lb;
	LLVMValueRef in[MAX_ADD_IN + 1], out, idx[1];
	bool reads_out = s->kind == TS_ACC;
	int nin = nptr - 1;

	snprintf(key, sizeof key, "%d:%d:%d", (int)s->kind, nptr, alias);
	if ((lf = loop_find(L, key)))
		return lf;
	snprintf(name, sizeof name, "netc_loop_%s", tp_step_table[s->kind].name);
	loop_open(L, name, nptr, alias, &lb);
	idx[0] = lb.i;
	for (int j = 0; j < nin + reads_out; j++)
		in[j] = LLVMBuildLoad2(lb.B, L->f32,
				       LLVMBuildInBoundsGEP2(lb.B, L->f32, LLVMGetParam(lb.fn, (unsigned)j),
							     idx, 1, ""),
				       "");
	out = LLVMBuildInBoundsGEP2(lb.B, L->f32, LLVMGetParam(lb.fn, (unsigned)nin), idx, 1, "");
	LLVMBuildStore(lb.B, element(L, lb.B, s->kind, nin, in, lb.c), out);
	return loop_close(L, &lb, key, nptr);
}

/* struct { ptr p[nptr]; float c; }: the body's argument. */
static LLVMTypeRef args_type(struct lower *L, int nptr)
{
	LLVMTypeRef t[2] = { LLVMArrayType2(L->ptr, (uint64_t)nptr), L->f32 };
	return LLVMStructTypeInContext(L->C, t, 2, 0);
}

/* void body(ptr args, i64 begin, i64 end): nrt_body_fn over the loop. */
static LLVMValueRef body_fn(struct lower *L, struct nl_loopfn *lf)
{
	LLVMTypeRef pt[3] = { L->ptr, L->i64, L->i64 };
	LLVMTypeRef at = args_type(L, lf->nptr);
	LLVMValueRef fn, a[MAX_PTR + 3], p;
	LLVMBuilderRef B;
	char name[96];

	if (lf->body)
		return lf->body;
	snprintf(name, sizeof name, "%s.body", LLVMGetValueName(lf->loop));
	fn = LLVMAddFunction(L->M, name, LLVMFunctionType(L->vd, pt, 3, 0));
	LLVMSetLinkage(fn, LLVMInternalLinkage);
	B = LLVMCreateBuilderInContext(L->C);
	LLVMPositionBuilderAtEnd(B, LLVMAppendBasicBlockInContext(L->C, fn, "entry"));
	p = LLVMGetParam(fn, 0);
	for (int j = 0; j < lf->nptr; j++) {
		LLVMValueRef idx[3] = { nl_i32(L, 0), nl_i32(L, 0), nl_i32(L, j) };
		a[j] = LLVMBuildLoad2(B, L->ptr, LLVMBuildInBoundsGEP2(B, at, p, idx, 3, ""), "");
	}
	a[lf->nptr] = LLVMBuildLoad2(B, L->f32, LLVMBuildStructGEP2(B, at, p, 1, ""), "c");
	a[lf->nptr + 1] = LLVMGetParam(fn, 1);
	a[lf->nptr + 2] = LLVMGetParam(fn, 2);
	LLVMBuildCall2(B, LLVMGlobalGetValueType(lf->loop), lf->loop, a, (unsigned)lf->nptr + 3, "");
	LLVMBuildRetVoid(B);
	LLVMDisposeBuilder(B);
	lf->body = fn;
	return fn;
}

/* One op of a chain on loaded values v (already mapped from its operands). */
static LLVMValueRef ew_element(struct lower *L, LLVMBuilderRef B, const struct tp_ew_op *o,
			       LLVMValueRef *v)
{
	LLVMValueRef zero = LLVMConstReal(L->f32, 0), c = LLVMConstReal(L->f32, (float)o->alpha);
	LLVMValueRef acc;
	switch (o->op) {
	case TP_EW_COPY:
		return v[0];
	case TP_EW_ADD:   /* add_fwd: 0 + a0 + a1 ... */
		acc = zero;
		for (int j = 0; j < o->nin; j++)
			acc = LLVMBuildFAdd(B, acc, v[j], "");
		return acc;
	case TP_EW_MUL:   /* multiply_fwd: 1 * a0 * a1 ... */
		acc = LLVMConstReal(L->f32, 1);
		for (int j = 0; j < o->nin; j++)
			acc = LLVMBuildFMul(B, acc, v[j], "");
		return acc;
	case TP_EW_RELU: return act_select(B, zero, v[0], v[0], NULL);
	case TP_EW_RELU_BWD: return act_select(B, zero, v[0], v[1], NULL);
	case TP_EW_LEAKY: return act_select(B, zero, v[0], v[0], c);
	case TP_EW_LEAKY_BWD: return act_select(B, zero, v[0], v[1], c);
	}
	return zero;
}

/* The pointers of a chain step: its distinct input buffers in order, then
 * the output unless it is one of them (acc reads and writes it).  map[j]:
 * the pointer of input j; returns the count, *out the output's pointer. */
static int ew_pointers(const struct tstep *s, int *ptrbuf, int *map, int *out)
{
	int n = 0, k = s->nvar;
	for (int j = 0; j <= k; j++) {
		int b = s->buf[j], at = -1;
		for (int q = 0; q < n; q++)
			if (ptrbuf[q] == b)
				at = q;
		if (at < 0) {
			at = n;
			ptrbuf[n++] = b;
		}
		if (j < k)
			map[j] = at;
		else
			*out = at;
	}
	return n;
}

/* The loop function of a chain: the ops in the key, so equal chains
 * (the same ops over the same pointer pattern) share one function. */
static struct nl_loopfn *ew_loop_fn(struct lower *L, const struct tstep *s, int nptr,
				    const int *map, int outp, bool alias)
{
	const struct tp_ew *e = &s->a.ew;
	char key[768];
	size_t len;
	struct nl_loopfn *lf;
	struct loop_build lb;
	LLVMBuilderRef B;
	LLVMValueRef in[MAX_PTR], res[TP_EW_MAX_OPS], idx[1];
	bool *read = calloc((size_t)nptr, sizeof *read);

	len = (size_t)snprintf(key, sizeof key, "ew:%d:%d:%d", nptr, outp, alias);
	for (int k = 0; k < e->nops && len < sizeof key; k++) {
		const struct tp_ew_op *o = &e->ops[k];
		len += (size_t)snprintf(key + len, sizeof key - len, "|%d:%a", (int)o->op,
					(double)(float)o->alpha);
		for (int j = 0; j < o->nin && len < sizeof key; j++) {
			int v = o->in[j] >= 0 ? map[o->in[j]] : o->in[j];
			len += (size_t)snprintf(key + len, sizeof key - len, ",%d", v);
			if (o->in[j] >= 0)
				read[map[o->in[j]]] = true;
		}
	}
	if ((lf = loop_find(L, key))) {
		free(read);
		return lf;
	}
	loop_open(L, "netc_loop_elementwise", nptr, alias, &lb);
	B = lb.B;
	idx[0] = lb.i;
	for (int j = 0; j < nptr; j++)
		in[j] = read[j] ? LLVMBuildLoad2(B, L->f32,
						 LLVMBuildInBoundsGEP2(B, L->f32, LLVMGetParam(lb.fn, (unsigned)j),
								       idx, 1, ""), "")
				: NULL;
	for (int k = 0; k < e->nops; k++) {
		const struct tp_ew_op *o = &e->ops[k];
		LLVMValueRef v[TP_EW_MAX_ARGS];
		for (int j = 0; j < o->nin; j++)
			v[j] = o->in[j] >= 0 ? in[map[o->in[j]]] : res[-1 - o->in[j]];
		res[k] = ew_element(L, B, o, v);
	}
	LLVMBuildStore(B, res[e->nops - 1],
		       LLVMBuildInBoundsGEP2(B, L->f32, LLVMGetParam(lb.fn, (unsigned)outp), idx, 1, ""));
	free(read);
	return loop_close(L, &lb, key, nptr);
}

bool nl_loop_step(struct lower *L, const struct tstep *s)
{
	struct nl_loopfn *lf;
	int64_t n = count_of(s);
	LLVMValueRef c = LLVMConstReal(L->f32, (float)const_of(s));
	LLVMValueRef a[MAX_PTR + 3];
	int ptrbuf[MAX_PTR], map[MAX_PTR], outp = 0, nptr;

	if (s->kind == TS_EW) {
		if (s->nvar > TP_EW_MAX_IN || s->a.ew.nops < 1 || s->a.ew.nops > TP_EW_MAX_OPS)
			return lfail(L->st, "elementwise", "a chain of more inputs or ops than TP_EW_MAX_*"),
			       false;
		nptr = ew_pointers(s, ptrbuf, map, &outp);
		lf = ew_loop_fn(L, s, nptr, map, outp, overlapping(L->P, ptrbuf, nptr));
	} else {
		nptr = s->nbuf;
		memcpy(ptrbuf, s->buf, (size_t)nptr * sizeof *ptrbuf);
		lf = loop_fn(L, s, overlapping(L->P, s->buf, s->nbuf));
	}
	if (n < NL_PARALLEL_MIN) {
		for (int j = 0; j < lf->nptr; j++)
			a[j] = nl_buf(L, ptrbuf[j]);
		a[lf->nptr] = c;
		a[lf->nptr + 1] = nl_i64(L, 0);
		a[lf->nptr + 2] = nl_i64(L, n);
		nl_call(L, lf->loop, a, lf->nptr + 3);
	} else {
		LLVMTypeRef at = args_type(L, lf->nptr);
		LLVMValueRef args = LLVMBuildAlloca(L->B, at, "loop_args");
		LLVMTypeRef pt[4] = { L->ptr, L->i64, L->ptr, L->ptr };
		LLVMValueRef pf = nl_extern(L, "nrt_parallel_for", L->vd, pt, 4);
		for (int j = 0; j < lf->nptr; j++) {
			LLVMValueRef idx[3] = { nl_i32(L, 0), nl_i32(L, 0), nl_i32(L, j) };
			LLVMBuildStore(L->B, nl_buf(L, ptrbuf[j]),
				       LLVMBuildInBoundsGEP2(L->B, at, args, idx, 3, ""));
		}
		LLVMBuildStore(L->B, c, LLVMBuildStructGEP2(L->B, at, args, 1, ""));
		a[0] = L->pool;
		a[1] = nl_i64(L, n);
		a[2] = body_fn(L, lf);
		a[3] = args;
		nl_call(L, pf, a, 4);
	}
	return true;
}
