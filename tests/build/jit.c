/* jit.c - jit.h on LLVM's C API: a thread-safe context, the backend's
 * module in it, LLJIT with the process's symbols (the test links the
 * runtime and exports it with -rdynamic), the entry points looked up. */
#include "jit.h"

#include <string.h>

#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>

#include "llvm_backend.h"

static void *lookup(struct jit *j, const char *name)
{
	LLVMOrcExecutorAddress a = 0;
	if (LCHECK_ERR(&j->st, LLVMOrcLLJITLookup(j->J, &a, name)))
		return NULL;
	return (void *)(uintptr_t)a;
}

int jit_load(struct jit *j, const struct tprog *P)
{
	struct backend_opts o = { .opt_level = 2, .output = BO_OBJECT };
	LLVMOrcThreadSafeContextRef tsc;
	LLVMOrcDefinitionGeneratorRef gen;
	LLVMOrcLLJITRef J;
	LLVMTargetMachineRef TM;
	LLVMModuleRef M;

	memset(j, 0, sizeof *j);
	TM = nl_target_machine(&o, &j->st);
	if (!TM)
		return -1;
	tsc = LLVMOrcCreateNewThreadSafeContext();
	M = nl_module(P, LLVMOrcThreadSafeContextGetContext(tsc), TM, &o, &j->st);
	LLVMDisposeTargetMachine(TM);
	if (!M || LCHECK_ERR(&j->st, LLVMOrcCreateLLJIT(&J, NULL))) {
		if (M)
			LLVMDisposeModule(M);
		LLVMOrcDisposeThreadSafeContext(tsc);
		return -1;
	}
	j->J = J;
	if (LCHECK_ERR(&j->st, LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
				       &gen, LLVMOrcLLJITGetGlobalPrefix(J), NULL, NULL))) {
		LLVMDisposeModule(M);
		LLVMOrcDisposeThreadSafeContext(tsc);
		return -1;
	}
	LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(J), gen);
	if (LCHECK_ERR(&j->st, LLVMOrcLLJITAddLLVMIRModule(J, LLVMOrcLLJITGetMainJITDylib(J),
							    LLVMOrcCreateNewThreadSafeModule(M, tsc)))) {
		LLVMOrcDisposeThreadSafeContext(tsc);
		return -1;
	}
	LLVMOrcDisposeThreadSafeContext(tsc);
	j->init = (netc_entry_fn *)lookup(j, "netc_init");
	j->forward = (netc_entry_fn *)lookup(j, "netc_forward");
	j->train_step = (netc_entry_fn *)lookup(j, "netc_train_step");
	j->eval_step = (netc_entry_fn *)lookup(j, "netc_eval_step");
	j->workspace_size = (int64_t (*)(int))lookup(j, "netc_workspace_size");
	j->program = lookup(j, "netc_program");
	return j->st.failed ? -1 : 0;
}

void jit_free(struct jit *j)
{
	if (j->J)
		LLVMOrcDisposeLLJIT(j->J);
	j->J = NULL;
}
