/* check.h - recording the first failing LLVM C API call: its text and
 * LLVM's message, for an internal-error or external-failure diagnostic.
 * LLVM reports failure three ways (an LLVMBool with a char ** message, an
 * LLVMErrorRef, a NULL result); each has its checker here.  Nothing here
 * aborts: callers test the return value and unwind. */
#ifndef NETC_LLVM_CHECK_H
#define NETC_LLVM_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <llvm-c/Error.h>
#include <llvm-c/Types.h>

struct lstatus {
	bool failed;
	char text[2048];             /* "LLVMVerifyModule(...): message" of the first failure */
};

/* failed: the LLVMBool result; msg: the message LLVM returned (disposed
 * here, may be NULL).  Returns failed. */
bool lcheck_bool(struct lstatus *st, LLVMBool failed, char *msg, const char *call);
/* An LLVMErrorRef (consumed).  Returns true when it was an error. */
bool lcheck_err(struct lstatus *st, LLVMErrorRef e, const char *call);
/* A failure of our own (a NULL result, an unsupported step). Returns true. */
bool lfail(struct lstatus *st, const char *call, const char *why);

/* Call with its text: LCHECK_BOOL(st, LLVMVerifyModule(M, LLVMReturnStatusAction, &msg), msg). */
#define LCHECK_BOOL(st, call, msg) lcheck_bool((st), (call), (msg), #call)
#define LCHECK_ERR(st, call) lcheck_err((st), (call), #call)

#endif
