/* tjit.c - tjit.h over jit_compile: the default backend options at O2
 * (the host's cpu and features, as netc build), the diagnostic caught in
 * a memory stream. */
#include "tjit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

int tjit_load(struct tjit *j, const struct tprog *P)
{
	struct backend_opts o = { .opt_level = 2, .output = BO_OBJECT };
	struct diag_ctx D;
	struct nrt_entry e;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	int rc;

	memset(j, 0, sizeof *j);
	diag_init(&D, f ? f : stderr);
	rc = jit_compile(P, &o, &D, &j->J, &e, NULL);
	diag_free(&D);
	if (f)
		fclose(f);
	if (rc) {
		snprintf(j->err, sizeof j->err, "%s", buf && n ? buf : "jit_compile failed");
		j->err[strcspn(j->err, "\n")] = 0;
	} else {
		j->init = e.init;
		j->forward = e.forward;
		j->train_step = e.train_step;
		j->eval_step = e.eval_step;
		j->workspace_size = e.workspace_size;
		j->program = e.program;
	}
	free(buf);
	return rc ? -1 : 0;
}

void tjit_free(struct tjit *j)
{
	jit_free(j->J);
	j->J = NULL;
}
