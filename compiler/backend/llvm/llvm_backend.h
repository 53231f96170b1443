/* llvm_backend.h - the LLVM backend's entry points below the backend
 * interface (backend.h): making a target machine and a verified,
 * optimised module.  netc uses them through backend_llvm; the JIT tests
 * (tests/build/) call them directly to run the module in process. */
#ifndef NETC_LLVM_BACKEND_H
#define NETC_LLVM_BACKEND_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "backend.h"
#include "check.h"

/* A target machine for o's cpu and features (NULL: the host's), PIC.
 * NULL after recording the failure in st. */
LLVMTargetMachineRef nl_target_machine(const struct backend_opts *o, struct lstatus *st);
/* P lowered into a new module of C for TM, verified, then run through
 * the default<O{o->opt_level}> pipeline.  NULL after recording in st. */
LLVMModuleRef nl_module(const struct tprog *P, LLVMContextRef C, LLVMTargetMachineRef TM,
			const struct backend_opts *o, struct lstatus *st);
/* Just the lowering (lower.c): unverified, unoptimised. */
LLVMModuleRef nl_lower(const struct tprog *P, LLVMContextRef C, struct lstatus *st);

#endif
