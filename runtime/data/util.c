/* util.c - error messages, whole-file reads and the shuffle of the data
 * pipeline (see util.h). */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int nrt_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

char *nrt_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	struct stat st;

	if (!f) {
		nrt_errf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0) {
		nrt_errf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		nrt_errf(err, errlen, "%s: is a folder, not a file", path);
		goto fail;
	}
	/* a regular file's size is the first guess; the loop still reads to EOF */
	if (S_ISREG(st.st_mode) && st.st_size >= 0 && (uint64_t)st.st_size < SIZE_MAX / 2) {
		cap = (size_t)st.st_size + 2;
		if (!(buf = malloc(cap))) {
			nrt_errf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
	}
	for (;;) {
		if (cap - n < 2) {
			size_t ncap = cap ? 2 * cap : 65536 + 1;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				nrt_errf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				nrt_errf(err, errlen, "%s: read error: %s", path, strerror(errno));
				goto fail;
			}
			break;
		}
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

char *nrt_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

void nrt_shuffle_i64(int64_t *v, int64_t n, uint64_t seed)
{
	uint64_t s = seed;
	for (int64_t i = n - 1; i > 0; i--) {
		int64_t j = (int64_t)nrt_splitmix_below(&s, (uint64_t)i + 1);
		int64_t t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}
