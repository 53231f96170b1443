/* program.c - the data and the small function besides the entry points:
 *   const struct netrt_program netc_program   (netrt.h: blob sizes, the
 *       parameter table, what the targets hold) for the driver and for
 *       checkpoints later;
 *   int64_t netc_workspace_size(int threads)  the largest workspace any
 *       conv step asks of runtime/cpu for that many threads. */
#include "lower.h"

#include <stdlib.h>
#include <string.h>

#include "netrt.h"

bool nl_workspace_fn(struct lower *L)
{
	LLVMTypeRef pt = L->i32, wt[2] = { L->ptr, L->i32 };
	LLVMValueRef fn = LLVMAddFunction(L->M, "netc_workspace_size",
					  LLVMFunctionType(L->i64, &pt, 1, 0));
	LLVMValueRef best, threads = LLVMGetParam(fn, 0);
	LLVMValueRef cw = nl_extern(L, "nrt_conv_workspace", L->i64, wt, 2);
	LLVMValueRef ctw = nl_extern(L, "nrt_conv_transpose_workspace", L->i64, wt, 2);

	L->fn = fn;
	LLVMPositionBuilderAtEnd(L->B, LLVMAppendBasicBlockInContext(L->C, fn, "entry"));
	best = nl_i64(L, 0);
	for (int i = 0; i < L->nconvs; i++) {
		LLVMValueRef a[2] = { L->convs[i], threads };
		LLVMValueRef v = nl_call(L, L->convt[i] ? ctw : cw, a, 2);
		best = LLVMBuildSelect(L->B, LLVMBuildICmp(L->B, LLVMIntUGT, v, best, ""), v, best, "");
	}
	LLVMBuildRet(L->B, best);
	if (!L->nconvs) {   /* nothing uses them: keep the module free of the externals */
		LLVMDeleteFunction(cw);
		LLVMDeleteFunction(ctw);
	}
	return true;
}

static LLVMValueRef str(struct lower *L, const char *s)
{
	LLVMValueRef v = LLVMConstStringInContext2(L->C, s, strlen(s), 0);
	return nl_const_global(L, v, "str");
}

static enum netrt_target_kind target_kind(const struct tprog *P)
{
	if (P->target >= 0 && P->bufs[P->target].dtype == TP_I32)
		return NETRT_TARGET_CLASS;
	return P->cfg.loss == TL_BCE ? NETRT_TARGET_BINARY : NETRT_TARGET_REAL;
}

/* struct netrt_param {ptr name; i32 region, rank; i64 shape[8], offset, numel; i32 trainable}. */
static LLVMTypeRef param_type(struct lower *L)
{
	LLVMTypeRef t[7] = { L->ptr, L->i32, L->i32, LLVMArrayType2(L->i64, 8), L->i64, L->i64,
			     L->i32 };
	return LLVMStructTypeInContext(L->C, t, 7, 0);
}

bool nl_program_data(struct lower *L)
{
	const struct tprog *P = L->P;
	LLVMTypeRef pty = param_type(L);
	LLVMValueRef *pv = calloc((size_t)P->nparams + 1, sizeof *pv), params, sizes[TP_NREGIONS];
	LLVMValueRef f[16], g;
	const struct tbuf *out = P->output >= 0 ? &P->bufs[P->output] : NULL;

	for (int i = 0; i < P->nparams; i++) {
		const struct tp_param *p = &P->params[i];
		LLVMValueRef sh[8], e[7];
		for (int d = 0; d < 8; d++)
			sh[d] = nl_i64(L, d < p->shape.rank ? p->shape.d[d] : 0);
		e[0] = str(L, p->name);
		e[1] = nl_i32(L, p->region == TP_PARAM ? NETRT_PARAM : NETRT_STATE);
		e[2] = nl_i32(L, p->shape.rank);
		e[3] = LLVMConstArray2(L->i64, sh, 8);
		e[4] = nl_i64(L, p->offset);
		e[5] = nl_i64(L, p->numel);
		e[6] = nl_i32(L, p->trainable);
		pv[i] = LLVMConstStructInContext(L->C, e, 7, 0);   /* the literal type pty */
	}
	params = nl_const_global(L, LLVMConstArray2(pty, pv, (uint64_t)P->nparams), "params");
	free(pv);
	for (int r = 0; r < TP_NREGIONS; r++)
		sizes[r] = nl_i64(L, P->size[r]);
	f[0] = nl_i32(L, NETRT_ABI_VERSION);
	f[1] = nl_i32(L, target_kind(P));
	f[2] = nl_i64(L, P->batch);
	f[3] = nl_i64(L, P->logits ? P->logits->shape.d[0] : 0);
	f[4] = LLVMConstArray2(L->i64, sizes, TP_NREGIONS);
	f[5] = nl_i64(L, P->loss >= 0 ? P->bufs[P->loss].offset : -1);
	f[6] = nl_i64(L, out ? out->offset : -1);
	f[7] = nl_i64(L, out ? out->numel : 0);
	f[8] = nl_i32(L, P->nparams);
	f[9] = params;
	f[10] = str(L, P->name ? P->name : "");
	f[11] = nl_i32(L, P->cfg.weights_auto && P->class_weights >= 0);
	f[12] = str(L, P->config ? P->config : "{}");
	f[13] = nl_i64(L, P->logits && P->nodes[P->logits->id].value >= 0
			      ? P->bufs[P->nodes[P->logits->id].value].offset : -1);
	f[14] = nl_i32(L, P->fused != NULL);
	f[15] = nl_i64(L, P->class_weights >= 0 ? P->bufs[P->class_weights].offset : -1);
	g = LLVMAddGlobal(L->M, LLVMTypeOf(LLVMConstStructInContext(L->C, f, 16, 0)), "netc_program");
	LLVMSetInitializer(g, LLVMConstStructInContext(L->C, f, 16, 0));
	LLVMSetGlobalConstant(g, 1);
	return true;
}
