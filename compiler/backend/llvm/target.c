/* target.c - the target machine (host CPU and features unless the
 * options say otherwise, like -march=native) and the module pipeline:
 * lower, verify, optimise with the new pass manager. */
#include "llvm_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

LLVMTargetMachineRef nl_target_machine(const struct backend_opts *o, struct lstatus *st)
{
	char *triple, *msg = NULL, *host_cpu = NULL, *host_feat = NULL;
	LLVMTargetRef T;
	LLVMTargetMachineRef TM = NULL;
	LLVMCodeGenOptLevel lvl = o->opt_level <= 0 ? LLVMCodeGenLevelNone
				  : o->opt_level == 1 ? LLVMCodeGenLevelLess
				  : o->opt_level == 2 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive;

	if (LLVMInitializeNativeTarget() || LLVMInitializeNativeAsmPrinter()) {
		lfail(st, "LLVMInitializeNativeTarget()", "this LLVM has no native target");
		return NULL;
	}
	triple = LLVMGetDefaultTargetTriple();
	if (!LCHECK_BOOL(st, LLVMGetTargetFromTriple(triple, &T, &msg), msg)) {
		if (!o->target_cpu)
			host_cpu = LLVMGetHostCPUName();
		if (!o->target_features)
			host_feat = LLVMGetHostCPUFeatures();
		TM = LLVMCreateTargetMachine(T, triple, o->target_cpu ? o->target_cpu : host_cpu,
					     o->target_features ? o->target_features : host_feat, lvl,
					     LLVMRelocPIC, LLVMCodeModelDefault);
		if (!TM)
			lfail(st, "LLVMCreateTargetMachine()", "no target machine for this cpu and features");
		LLVMDisposeMessage(host_cpu);
		LLVMDisposeMessage(host_feat);
	}
	LLVMDisposeMessage(triple);
	return TM;
}

LLVMModuleRef nl_module(const struct tprog *P, LLVMContextRef C, LLVMTargetMachineRef TM,
			const struct backend_opts *o, struct lstatus *st)
{
	LLVMModuleRef M = nl_lower(P, C, st);
	LLVMTargetDataRef DL;
	char *msg = NULL, *triple, pipeline[32];
	LLVMPassBuilderOptionsRef po;
	bool bad;

	if (!M)
		return NULL;
	triple = LLVMGetTargetMachineTriple(TM);
	LLVMSetTarget(M, triple);
	LLVMDisposeMessage(triple);
	DL = LLVMCreateTargetDataLayout(TM);
	LLVMSetModuleDataLayout(M, DL);
	LLVMDisposeTargetData(DL);
	/* A module that fails verification is a bug of the lowering: report it, never run it. */
	if (LCHECK_BOOL(st, LLVMVerifyModule(M, LLVMReturnStatusAction, &msg), msg)) {
		LLVMDisposeModule(M);
		return NULL;
	}
	if (o->opt_level <= 0)
		return M;
	snprintf(pipeline, sizeof pipeline, "default<O%d>", o->opt_level > 3 ? 3 : o->opt_level);
	po = LLVMCreatePassBuilderOptions();
	LLVMPassBuilderOptionsSetLoopVectorization(po, 1);
	LLVMPassBuilderOptionsSetSLPVectorization(po, 1);
	bad = LCHECK_ERR(st, LLVMRunPasses(M, pipeline, TM, po));
	LLVMDisposePassBuilderOptions(po);
	if (bad) {
		LLVMDisposeModule(M);
		return NULL;
	}
	return M;
}
