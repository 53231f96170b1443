/* path.c - image paths under a data root: a lexical check when the
 * listing is made (no absolute paths, no ".." above the root) and a
 * realpath check when a file is opened (no symbolic link out of it). */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "util.h"

int nrt_path_join(const char *root, const char *rel, char *out, size_t outlen, char *err,
		  size_t errlen)
{
	const char *p = rel;
	long depth = 0;
	size_t rl = strlen(root);
	int w;

	if (rel[0] == '/')
		return nrt_errf(err, errlen, "'%s': absolute image paths are not allowed "
				"(paths are relative to the data root)", rel);
	while (*p) {
		const char *q = strchr(p, '/');
		size_t n = q ? (size_t)(q - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return nrt_errf(err, errlen, "'%s': the path leaves the data root "
						"(too many '..')", rel);
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p = q ? q + 1 : p + n;
	}
	w = snprintf(out, outlen, "%s%s%s", root, rl && root[rl - 1] == '/' ? "" : "/", rel);
	if (w < 0 || (size_t)w >= outlen)
		return nrt_errf(err, errlen, "'%s': path too long", rel);
	return 0;
}

int nrt_path_check(const char *real_root, const char *path, char *out, size_t outlen,
		   char *err, size_t errlen)
{
	char *r = realpath(path, NULL);
	size_t n = strlen(real_root);

	if (!r)
		return nrt_errf(err, errlen, "%s: %s", path, strerror(errno));
	while (n > 1 && real_root[n - 1] == '/')
		n--;
	if (!(n == 1 && real_root[0] == '/') &&
	    (strncmp(r, real_root, n) != 0 || (r[n] != '/' && r[n] != '\0'))) {
		nrt_errf(err, errlen, "%s: resolves to '%s', outside the data root '%s'", path, r,
			 real_root);
		free(r);
		return -1;
	}
	if (strlen(r) >= outlen) {
		free(r);
		return nrt_errf(err, errlen, "%s: path too long", path);
	}
	strcpy(out, r);
	free(r);
	return 0;
}
