/* cfg.c - reading the fields of the train section's JSON (the contract of
 * docs/training.md: every constructor an object with "kind" and all its
 * arguments) with a message naming the field on a bad value. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "train_int.h"

int nrt_train_errf(char *err, size_t errn, const char *fmt, ...)
{
	if (errn) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errn, fmt, ap);
		va_end(ap);
	}
	return EINVAL;
}

int nrt_cfg_num(const struct cJSON *cfg, const char *what, const char *key, double dflt,
		double *out, char *err, size_t errn)
{
	const cJSON *j = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, key) : NULL;
	if (!j) {
		*out = dflt;
		return 1;
	}
	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble))
		return nrt_train_errf(err, errn, "%s: \"%s\" must be a number", what, key);
	*out = j->valuedouble;
	return 0;
}

int nrt_cfg_int(const struct cJSON *cfg, const char *what, const char *key, long long lo,
		long long dflt, long long *out, char *err, size_t errn)
{
	double d;
	int rc = nrt_cfg_num(cfg, what, key, (double)dflt, &d, err, errn);
	if (rc == 1) {
		*out = dflt;
		return 1;
	}
	if (rc || d != floor(d) || d < (double)lo || d > 9007199254740992.0)
		return nrt_train_errf(err, errn, "%s: \"%s\" must be an integer >= %lld", what, key, lo);
	*out = (long long)d;
	return 0;
}

const char *nrt_cfg_str(const struct cJSON *cfg, const char *what, const char *key,
			const char *dflt, char *err, size_t errn)
{
	const cJSON *j = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, key) : NULL;
	if (!j)
		return dflt;
	if (!cJSON_IsString(j) || !j->valuestring) {
		nrt_train_errf(err, errn, "%s: \"%s\" must be a string", what, key);
		return NULL;
	}
	return j->valuestring;
}

int nrt_cfg_metric_ref(const char *ref, const char *what, char *err, size_t errn)
{
	size_t n = strlen(ref);
	if (n >= 64 || !((strncmp(ref, "train.", 6) == 0 && n > 6) ||
			 (strncmp(ref, "val.", 4) == 0 && n > 4)))
		return nrt_train_errf(err, errn, "%s: metric '%s' must be train.NAME or val.NAME "
				"(at most 63 bytes)", what, ref);
	return 0;
}
