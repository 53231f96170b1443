/* backend_llvm.c - the LLVM CPU backend behind backend.h: the module of
 * target.c written as IR text or as an object file.  Every LLVM failure
 * becomes one diagnostic with the failing call and LLVM's message. */
#include "llvm_backend.h"

#include <stdio.h>
#include <string.h>

#include "lower.h"

static bool llvm_supports_step(enum tp_step_kind k)
{
	return k >= 0 && k < TS_COUNT;   /* every kind: a loop, a fast kernel or a reference kernel */
}

static int write_ir(LLVMModuleRef M, const char *path, struct lstatus *st)
{
	char *msg = NULL, *text;
	if (path && strcmp(path, "-") != 0)
		return LCHECK_BOOL(st, LLVMPrintModuleToFile(M, path, &msg), msg) ? -1 : 0;
	text = LLVMPrintModuleToString(M);
	fputs(text, stdout);
	LLVMDisposeMessage(text);
	return fflush(stdout) == 0 ? 0 : (lfail(st, "writing the IR", "standard output"), -1);
}

static int llvm_emit_program(const struct tprog *P, const struct backend_opts *o,
			     struct diag_ctx *D)
{
	struct lstatus st = { 0 };
	LLVMContextRef C = LLVMContextCreate();
	LLVMTargetMachineRef TM = nl_target_machine(o, &st);
	LLVMModuleRef M = TM ? nl_module(P, C, TM, o, &st) : NULL;
	char *msg = NULL;
	int rc = -1;

	if (M && o->output == BO_IR)
		rc = write_ir(M, o->out_path, &st);
	else if (M)
		rc = LCHECK_BOOL(&st, LLVMTargetMachineEmitToFile(TM, M, (char *)o->out_path,
								  LLVMObjectFile, &msg), msg) ? -1 : 0;
	if (rc != 0)
		diag_error(D, loc_none(), "LLVM backend: %s", st.failed ? st.text : "failed");
	if (M)
		LLVMDisposeModule(M);
	if (TM)
		LLVMDisposeTargetMachine(TM);
	LLVMContextDispose(C);
	return rc;
}

const struct backend backend_llvm = {
	.name = "llvm",
	.supports_step = llvm_supports_step,
	.emit_program = llvm_emit_program,
};
