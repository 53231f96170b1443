/* scalars.c - the ordered table of named per-epoch values (struct
 * nrt_scalars) that metrics fill and schedules, early stopping, keep-best
 * and the logs read; and the clock. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <string.h>
#include <time.h>

#include "train_rt.h"

void nrt_scalars_clear(struct nrt_scalars *s)
{
	s->n = 0;
}

int nrt_scalars_set(struct nrt_scalars *s, const char *name, double value)
{
	size_t len = strlen(name);
	if (len == 0 || len >= NRT_SCALAR_NAME)
		return ENAMETOOLONG;
	for (int i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].name, name) == 0) {
			s->v[i].value = value;
			return 0;
		}
	}
	if (s->n >= NRT_SCALARS_MAX)
		return ENOSPC;
	memcpy(s->v[s->n].name, name, len + 1);
	s->v[s->n].value = value;
	s->n++;
	return 0;
}

const double *nrt_scalars_get(const struct nrt_scalars *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i].value;
	return NULL;
}

int nrt_metric_higher_is_better(const char *name)
{
	size_t n = strlen(name);
	if (n >= 4 && strcmp(name + n - 4, "loss") == 0 && (n == 4 || name[n - 5] == '.'))
		return 0;
	return 1;
}

double nrt_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
