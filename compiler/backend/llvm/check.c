/* check.c - the checkers of check.h.  Only the first failure is kept:
 * later ones are usually consequences of it. */
#include "check.h"

#include <stdio.h>

#include <llvm-c/Core.h>

static void record(struct lstatus *st, const char *call, const char *msg)
{
	if (st->failed)
		return;
	st->failed = true;
	snprintf(st->text, sizeof st->text, "%s: %s", call, msg && *msg ? msg : "failed");
}

bool lcheck_bool(struct lstatus *st, LLVMBool failed, char *msg, const char *call)
{
	if (failed)
		record(st, call, msg);
	if (msg)
		LLVMDisposeMessage(msg);
	return failed;
}

bool lcheck_err(struct lstatus *st, LLVMErrorRef e, const char *call)
{
	char *msg;
	if (!e)
		return false;
	msg = LLVMGetErrorMessage(e);
	record(st, call, msg);
	LLVMDisposeErrorMessage(msg);
	return true;
}

bool lfail(struct lstatus *st, const char *call, const char *why)
{
	record(st, call, why);
	return true;
}
