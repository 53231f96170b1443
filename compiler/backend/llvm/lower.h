/* lower.h - the state shared by the files of the lowering (lower.c: the
 * module and entry points; steps.c: one step as kernel calls; loops.c:
 * elementwise steps as IR loops; program.c: the netrt_program data and
 * the workspace function). */
#ifndef NETC_LLVM_LOWER_H
#define NETC_LLVM_LOWER_H

#include <stdbool.h>
#include <stdint.h>

#include <llvm-c/Core.h>

#include "check.h"
#include "train/tprog.h"

/* Elementwise steps above this many elements run on the pool. */
enum { NL_PARALLEL_MIN = 65536 };

struct nl_loopfn {
	char key[768];               /* what the loop computes (kind, arity, ops, aliasing) */
	LLVMValueRef loop;           /* void (ptr..., float c, i64 begin, i64 end) */
	LLVMValueRef body;           /* nrt_body_fn over it, or NULL until needed */
	int nptr;
};

struct lower {
	const struct tprog *P;
	struct lstatus *st;
	LLVMContextRef C;
	LLVMModuleRef M;
	LLVMBuilderRef B;
	LLVMTypeRef i1, i32, i64, f32, f64, ptr, vd;
	LLVMTypeRef ctx_ty;          /* struct netrt_ctx */
	/* the function being emitted */
	LLVMValueRef fn, ctx;
	LLVMValueRef region[TP_NREGIONS];
	LLVMValueRef seed, step, lr_scale, pool, ws, ws_size;
	LLVMValueRef shard_begin, shard_end;   /* the update's range (netrt.h) */
	LLVMValueRef opt_compact;              /* OPT holds the shard's slots only */
	/* conv descriptors, for netc_workspace_size */
	LLVMValueRef *convs;
	bool *convt;
	int nconvs, capconvs;
	struct nl_loopfn *loops;
	int nloops, caploops;
	int nglobals;                /* for unique names */
};

/* Declared once: an external function of the runtime. */
LLVMValueRef nl_extern(struct lower *L, const char *name, LLVMTypeRef ret, LLVMTypeRef *params,
		       int n);
/* Call a function made by nl_extern (or any function). */
LLVMValueRef nl_call(struct lower *L, LLVMValueRef fn, LLVMValueRef *args, int n);
/* A private constant global holding v; returns its address. */
LLVMValueRef nl_const_global(struct lower *L, LLVMValueRef v, const char *what);
/* The address of buffer b (a null pointer for -1). */
LLVMValueRef nl_buf(struct lower *L, int b);
/* Return the i32 rc from the entry point when it is not 0. */
void nl_return_if_error(struct lower *L, LLVMValueRef rc);
LLVMValueRef nl_i32(struct lower *L, int64_t v);
LLVMValueRef nl_i64(struct lower *L, int64_t v);
LLVMValueRef nl_f64(struct lower *L, double v);

/* steps.c: emit step s at the builder's position; false after recording why. */
bool nl_step(struct lower *L, const struct tstep *s);
/* loops.c: whether s is generated as a loop, and generating it. */
bool nl_is_loop_step(const struct tstep *s);
bool nl_loop_step(struct lower *L, const struct tstep *s);
/* program.c: netc_program and netc_workspace_size. */
bool nl_program_data(struct lower *L);
bool nl_workspace_fn(struct lower *L);

#endif
