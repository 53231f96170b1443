/* train_int.h - what the files of runtime/train/ share and the driver
 * does not see. */
#ifndef NRT_TRAIN_INT_H
#define NRT_TRAIN_INT_H

#include <stddef.h>

struct cJSON;

/* fsync the folder that holds path (0, or an errno value). */
int nrt_sync_dir_of(const char *path);

/* cfg[key] as an integer >= lo: 0, 1 when absent (dflt stored), EINVAL (message). */
int nrt_cfg_int(const struct cJSON *cfg, const char *what, const char *key, long long lo,
		long long dflt, long long *out, char *err, size_t errn);
/* cfg[key] as a number: 0, 1 when absent (dflt stored), EINVAL (message). */
int nrt_cfg_num(const struct cJSON *cfg, const char *what, const char *key, double dflt,
		double *out, char *err, size_t errn);
/* cfg[key] as a string: the string, dflt when absent, NULL (message) when not a string. */
const char *nrt_cfg_str(const struct cJSON *cfg, const char *what, const char *key,
			const char *dflt, char *err, size_t errn);
/* A metric reference "train.NAME" / "val.NAME": 0 or EINVAL (message). */
int nrt_cfg_metric_ref(const char *ref, const char *what, char *err, size_t errn);

/* snprintf into err when errn > 0; returns EINVAL. */
int nrt_train_errf(char *err, size_t errn, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
