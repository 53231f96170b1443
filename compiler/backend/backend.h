/* backend.h - the interface between the training program
 * (compiler/train/tprog.h) and a code generator.  A backend lowers the
 * four step lists of a laid-out tprog to code with the entry points of
 * runtime/include/netrt.h.  The LLVM CPU backend (llvm/) is the one there
 * is; a CUDA backend (CUDA C through NVRTC) would be a second const
 * struct backend with the same three members.  Nothing here includes LLVM:
 * compiler/main.c and the tests see this header only. */
#ifndef NETC_BACKEND_H
#define NETC_BACKEND_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "train/tprog.h"

enum backend_output {
	BO_IR,       /* text of the module (emit-llvm) */
	BO_OBJECT,   /* a relocatable object file */
};

struct backend_opts {
	const char *target_cpu;      /* NULL: the host's */
	const char *target_features; /* NULL: the host's */
	int opt_level;               /* 0..3 (default 2) */
	enum backend_output output;
	const char *out_path;        /* object file, or the IR's file ("-": stdout) */
};

struct backend {
	const char *name;                            /* "llvm" */
	/* Whether the backend generates code for steps of this kind. */
	bool (*supports_step)(enum tp_step_kind k);
	/* Lower P (laid out) and write o->output to o->out_path.  0, or -1
	 * after reporting the reason to D (external failures included). */
	int (*emit_program)(const struct tprog *P, const struct backend_opts *o,
			    struct diag_ctx *D);
};

extern const struct backend backend_llvm;

/* netc build's code path: P's object through backend B to a temporary
 * file, linked with the runtime into the executable `out`.  0 or -1 after
 * diagnostics. */
int backend_build_executable(const struct backend *B, const struct tprog *P,
			     const struct backend_opts *o, const char *out, struct diag_ctx *D);

#endif
