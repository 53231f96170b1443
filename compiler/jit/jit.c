/* jit.c - jit.h on LLVM's C API: the backend's module in a thread-safe
 * context, LLJIT built from the same target machine settings as `netc
 * build` (a JITTargetMachineBuilder made from nl_target_machine), the
 * runtime's functions checked to be in this process, then resolved from
 * it (netc-cg links libnetrt.a whole and exports its symbols). */
#include "jit/jit.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>

#include "llvm/llvm_backend.h"

struct jit {
	LLVMOrcLLJITRef J;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Every function the module declares but does not define (a kernel, a
 * helper of rt.c, libm) must be in this process: name the first missing
 * one instead of failing deep in the JIT linker. */
static bool check_symbols(LLVMModuleRef M, struct lstatus *st)
{
	for (LLVMValueRef f = LLVMGetFirstFunction(M); f; f = LLVMGetNextFunction(f)) {
		size_t n;
		const char *name = LLVMGetValueName2(f, &n);
		if (!LLVMIsDeclaration(f) || LLVMGetIntrinsicID(f) || strncmp(name, "llvm.", 5) == 0)
			continue;
		if (!dlsym(RTLD_DEFAULT, name)) {
			char why[512];
			snprintf(why, sizeof why, "the runtime function '%s' that the program calls is "
				 "not in this netc (rebuild netc-cg: it links libnetrt.a whole)", name);
			return lfail(st, "dlsym()", why), false;
		}
	}
	for (LLVMValueRef g = LLVMGetFirstGlobal(M); g; g = LLVMGetNextGlobal(g)) {
		size_t n;
		const char *name = LLVMGetValueName2(g, &n);
		if (LLVMIsDeclaration(g) && !dlsym(RTLD_DEFAULT, name))
			return lfail(st, "dlsym()", name), false;
	}
	return true;
}

static void *lookup(struct jit *j, const char *name, struct lstatus *st)
{
	LLVMOrcExecutorAddress a = 0;
	if (st->failed || LCHECK_ERR(st, LLVMOrcLLJITLookup(j->J, &a, name)))
		return NULL;
	return (void *)(uintptr_t)a;
}

/* LLJIT for o's target machine, resolving from the process.  NULL after st. */
static LLVMOrcLLJITRef make_lljit(const struct backend_opts *o, struct lstatus *st)
{
	LLVMTargetMachineRef TM = nl_target_machine(o, st);
	LLVMOrcLLJITBuilderRef b;
	LLVMOrcDefinitionGeneratorRef gen;
	LLVMOrcLLJITRef J;

	if (!TM)
		return NULL;
	b = LLVMOrcCreateLLJITBuilder();
	/* takes TM: the JIT's code generator gets its cpu, features and opt level */
	LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(
		b, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(TM));
	if (LCHECK_ERR(st, LLVMOrcCreateLLJIT(&J, b)))   /* takes b */
		return NULL;
	if (LCHECK_ERR(st, LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
				   &gen, LLVMOrcLLJITGetGlobalPrefix(J), NULL, NULL))) {
		LLVMOrcDisposeLLJIT(J);
		return NULL;
	}
	LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(J), gen);
	return J;
}

int jit_compile(const struct tprog *P, const struct backend_opts *o, struct diag_ctx *D,
		struct jit **out, struct nrt_entry *e, struct jit_times *t)
{
	struct lstatus st = { 0 };
	struct jit *j = calloc(1, sizeof *j);
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMTargetMachineRef TM;
	LLVMModuleRef M = NULL;
	double t0 = now(), t1;

	*out = NULL;
	memset(e, 0, sizeof *e);
	if (!j) {
		lfail(&st, "calloc()", "out of memory");
		goto fail;
	}
	TM = nl_target_machine(o, &st);
	if (TM) {
		M = nl_module(P, LLVMOrcThreadSafeContextGetContext(tsc), TM, o, &st);
		LLVMDisposeTargetMachine(TM);
	}
	if (!M || !check_symbols(M, &st))
		goto fail;
	t1 = now();
	j->J = make_lljit(o, &st);
	if (!j->J)
		goto fail;
	if (LCHECK_ERR(&st, LLVMOrcLLJITAddLLVMIRModule(j->J, LLVMOrcLLJITGetMainJITDylib(j->J),
							 LLVMOrcCreateNewThreadSafeModule(M, tsc)))) {
		M = NULL;   /* the thread-safe module owned it */
		goto fail;
	}
	M = NULL;
	e->init = (int (*)(struct netrt_ctx *))lookup(j, "netc_init", &st);
	e->forward = (int (*)(struct netrt_ctx *))lookup(j, "netc_forward", &st);
	e->train_step = (int (*)(struct netrt_ctx *))lookup(j, "netc_train_step", &st);
	e->eval_step = (int (*)(struct netrt_ctx *))lookup(j, "netc_eval_step", &st);
	e->update = (int (*)(struct netrt_ctx *))lookup(j, "netc_update", &st);
	e->workspace_size = (int64_t (*)(int))lookup(j, "netc_workspace_size", &st);
	e->program = lookup(j, "netc_program", &st);
	if (st.failed)
		goto fail;
	LLVMOrcDisposeThreadSafeContext(tsc);
	if (t) {
		t->module = t1 - t0;
		t->codegen = now() - t1;
	}
	*out = j;
	return 0;
fail:
	diag_error(D, loc_none(), "LLVM JIT: %s", st.failed ? st.text : "failed");
	if (M)
		LLVMDisposeModule(M);
	LLVMOrcDisposeThreadSafeContext(tsc);
	jit_free(j);
	memset(e, 0, sizeof *e);
	return -1;
}

void jit_free(struct jit *j)
{
	if (!j)
		return;
	if (j->J)
		LLVMOrcDisposeLLJIT(j->J);
	free(j);
}
