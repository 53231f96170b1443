/* lower.c - a training program to an LLVM module: the types, the helpers
 * of lower.h, and one function per step list (netc_init, netc_forward,
 * netc_train_step, netc_eval_step), each `i32 (ptr noalias ctx)` that
 * loads the context's fields once and runs the steps in order, plus
 * netc_update: the train list's optimizer steps alone (what a parameter
 * server runs on the summed gradient). */
#include "lower.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llvm_backend.h"

LLVMValueRef nl_i32(struct lower *L, int64_t v)
{
	return LLVMConstInt(L->i32, (unsigned long long)v, 1);
}

LLVMValueRef nl_i64(struct lower *L, int64_t v)
{
	return LLVMConstInt(L->i64, (unsigned long long)v, 1);
}

LLVMValueRef nl_f64(struct lower *L, double v)
{
	return LLVMConstReal(L->f64, v);
}

LLVMValueRef nl_extern(struct lower *L, const char *name, LLVMTypeRef ret, LLVMTypeRef *params,
		       int n)
{
	LLVMValueRef f = LLVMGetNamedFunction(L->M, name);
	if (!f)
		f = LLVMAddFunction(L->M, name, LLVMFunctionType(ret, params, (unsigned)n, 0));
	return f;
}

LLVMValueRef nl_call(struct lower *L, LLVMValueRef fn, LLVMValueRef *args, int n)
{
	return LLVMBuildCall2(L->B, LLVMGlobalGetValueType(fn), fn, args, (unsigned)n, "");
}

LLVMValueRef nl_const_global(struct lower *L, LLVMValueRef v, const char *what)
{
	char name[64];
	LLVMValueRef g;
	snprintf(name, sizeof name, "%s.%d", what, L->nglobals++);
	g = LLVMAddGlobal(L->M, LLVMTypeOf(v), name);
	LLVMSetInitializer(g, v);
	LLVMSetGlobalConstant(g, 1);
	LLVMSetLinkage(g, LLVMPrivateLinkage);
	LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
	return g;
}

LLVMValueRef nl_buf(struct lower *L, int b)
{
	const struct tbuf *t;
	LLVMValueRef idx;
	if (b < 0)
		return LLVMConstNull(L->ptr);
	t = &L->P->bufs[b];
	idx = nl_i64(L, t->offset);
	return LLVMBuildInBoundsGEP2(L->B, t->dtype == TP_I32 ? L->i32 : L->f32, L->region[t->region],
				     &idx, 1, t->name);
}

void nl_return_if_error(struct lower *L, LLVMValueRef rc)
{
	LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(L->C, L->fn, "kernel_failed");
	LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(L->C, L->fn, "");
	LLVMValueRef fail = LLVMBuildICmp(L->B, LLVMIntNE, rc, nl_i32(L, 0), "");
	LLVMBuildCondBr(L->B, fail, bad, ok);
	LLVMPositionBuilderAtEnd(L->B, bad);
	LLVMBuildRet(L->B, rc);
	LLVMPositionBuilderAtEnd(L->B, ok);
}

/* struct netrt_ctx (netrt.h), field by field. */
enum { CTX_REGION, CTX_SEED, CTX_STEP, CTX_LR_SCALE, CTX_POOL, CTX_WS, CTX_WS_SIZE, CTX_COMM,
       CTX_SHARD_BEGIN, CTX_SHARD_END, CTX_OPT_COMPACT, CTX_NFIELDS };

static void make_types(struct lower *L)
{
	LLVMTypeRef f[CTX_NFIELDS];
	L->i1 = LLVMInt1TypeInContext(L->C);
	L->i32 = LLVMInt32TypeInContext(L->C);
	L->i64 = LLVMInt64TypeInContext(L->C);
	L->f32 = LLVMFloatTypeInContext(L->C);
	L->f64 = LLVMDoubleTypeInContext(L->C);
	L->ptr = LLVMPointerTypeInContext(L->C, 0);
	L->vd = LLVMVoidTypeInContext(L->C);
	f[CTX_REGION] = LLVMArrayType2(L->ptr, TP_NREGIONS);
	f[CTX_SEED] = L->i64;
	f[CTX_STEP] = L->i64;
	f[CTX_LR_SCALE] = L->f64;
	f[CTX_POOL] = L->ptr;
	f[CTX_WS] = L->ptr;
	f[CTX_WS_SIZE] = L->i64;
	f[CTX_COMM] = L->ptr;
	f[CTX_SHARD_BEGIN] = L->i64;
	f[CTX_SHARD_END] = L->i64;
	f[CTX_OPT_COMPACT] = L->i64;
	L->ctx_ty = LLVMStructCreateNamed(L->C, "struct.netrt_ctx");
	LLVMStructSetBody(L->ctx_ty, f, CTX_NFIELDS, 0);
}

static LLVMValueRef load_field(struct lower *L, int field, LLVMTypeRef ty, const char *name)
{
	LLVMValueRef p = LLVMBuildStructGEP2(L->B, L->ctx_ty, L->ctx, (unsigned)field, "");
	return LLVMBuildLoad2(L->B, ty, p, name);
}

/* One entry point: i32 name(ptr noalias ctx) over the steps of list (of
 * phase `only` alone when it is >= 0). */
static bool emit_steps(struct lower *L, const char *name, const struct tp_list *list, int only)
{
	LLVMTypeRef pt = L->ptr;
	LLVMValueRef fn = LLVMAddFunction(L->M, name, LLVMFunctionType(L->i32, &pt, 1, 0));
	unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
	LLVMAddAttributeAtIndex(fn, 1, LLVMCreateEnumAttribute(L->C, noalias, 0));
	L->fn = fn;
	L->ctx = LLVMGetParam(fn, 0);
	LLVMSetValueName2(L->ctx, "ctx", 3);
	LLVMPositionBuilderAtEnd(L->B, LLVMAppendBasicBlockInContext(L->C, fn, "entry"));
	for (int r = 0; r < TP_NREGIONS; r++) {
		LLVMValueRef idx[2] = { nl_i32(L, 0), nl_i32(L, r) };
		LLVMValueRef base = LLVMBuildStructGEP2(L->B, L->ctx_ty, L->ctx, CTX_REGION, "");
		LLVMValueRef p = LLVMBuildInBoundsGEP2(L->B, LLVMArrayType2(L->ptr, TP_NREGIONS), base,
						       idx, 2, "");
		L->region[r] = LLVMBuildLoad2(L->B, L->ptr, p, tp_region_name((enum tp_region)r));
	}
	L->seed = load_field(L, CTX_SEED, L->i64, "seed");
	L->step = load_field(L, CTX_STEP, L->i64, "step");
	L->lr_scale = load_field(L, CTX_LR_SCALE, L->f64, "lr_scale");
	L->pool = load_field(L, CTX_POOL, L->ptr, "pool");
	L->ws = load_field(L, CTX_WS, L->ptr, "ws");
	L->ws_size = load_field(L, CTX_WS_SIZE, L->i64, "ws_size");
	L->shard_begin = load_field(L, CTX_SHARD_BEGIN, L->i64, "shard_begin");
	L->shard_end = load_field(L, CTX_SHARD_END, L->i64, "shard_end");
	L->opt_compact = load_field(L, CTX_OPT_COMPACT, L->i64, "opt_compact");
	for (int i = 0; i < list->n; i++) {
		const struct tstep *s = &list->v[i];
		bool ok;
		if (only >= 0 && (int)s->phase != only)
			continue;
		ok = nl_is_loop_step(s) ? nl_loop_step(L, s) : nl_step(L, s);
		if (!ok)
			return false;
	}
	LLVMBuildRet(L->B, nl_i32(L, 0));
	return true;
}

static bool emit_list(struct lower *L, const char *name, const struct tp_list *list)
{
	return emit_steps(L, name, list, -1);
}

LLVMModuleRef nl_lower(const struct tprog *P, LLVMContextRef C, struct lstatus *st)
{
	struct lower L;
	bool ok;

	memset(&L, 0, sizeof L);
	L.P = P;
	L.st = st;
	L.C = C;
	L.M = LLVMModuleCreateWithNameInContext(P->name ? P->name : "netc", C);
	L.B = LLVMCreateBuilderInContext(C);
	make_types(&L);
	ok = emit_list(&L, "netc_init", &P->init) && emit_list(&L, "netc_forward", &P->forward) &&
	     emit_list(&L, "netc_train_step", &P->train_step) &&
	     emit_list(&L, "netc_eval_step", &P->eval_step) &&
	     emit_steps(&L, "netc_update", &P->train_step, TP_UPDATE) && nl_workspace_fn(&L) &&
	     nl_program_data(&L);
	LLVMDisposeBuilder(L.B);
	free(L.convs);
	free(L.convt);
	free(L.loops);
	if (!ok) {
		LLVMDisposeModule(L.M);
		return NULL;
	}
	return L.M;
}
