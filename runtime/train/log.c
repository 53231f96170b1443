/* log.c - the per-epoch logs: a CSV file whose header is written once
 * (a file that exists, as when a run resumes, keeps its header and its
 * column order) and a JSON-lines file, one object per epoch. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_rt.h"
#include "train_int.h"

struct nrt_log {
	FILE *csv, *jsonl;
	char *csv_path, *jsonl_path;
	int ncol;                       /* 0: no header yet */
	char (*col)[NRT_SCALAR_NAME];
};

/* Does the file end without a newline (a torn last line)? */
static int torn(FILE *f)
{
	if (fseek(f, 0, SEEK_END) || ftell(f) <= 0)
		return 0;
	if (fseek(f, -1, SEEK_END))
		return 0;
	int c = fgetc(f);
	fseek(f, 0, SEEK_END);
	return c != '\n';
}

/* Split the CSV header line into columns ("quoted" fields allowed). */
static int read_header(struct nrt_log *log, char *err, size_t errn)
{
	char line[65536];
	rewind(log->csv);
	if (!fgets(line, sizeof line, log->csv))
		return 0;
	size_t n = strcspn(line, "\r\n");
	line[n] = 0;
	if (n == 0)
		return 0;
	int cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += line[i] == ',';
	log->col = calloc((size_t)cap, sizeof *log->col);
	if (!log->col) {
		nrt_train_errf(err, errn, "%s: out of memory", log->csv_path);
		return ENOMEM;
	}
	const char *p = line;
	for (;;) {
		char *dst = log->col[log->ncol];
		size_t k = 0;
		if (*p == '"') {
			for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;
				if (k < NRT_SCALAR_NAME - 1)
					dst[k++] = *p;
			}
			if (*p == '"')
				p++;
		}
		for (; *p && *p != ','; p++)
			if (k < NRT_SCALAR_NAME - 1)
				dst[k++] = *p;
		dst[k] = 0;
		log->ncol++;
		if (*p != ',' || log->ncol >= cap)
			break;
		p++;
	}
	return 0;
}

struct nrt_log *nrt_log_open(const char *csv_path, const char *jsonl_path, char *err,
			     size_t errn)
{
	struct nrt_log *log = calloc(1, sizeof *log);
	if (!log) {
		nrt_train_errf(err, errn, "log: out of memory");
		return NULL;
	}
	if (csv_path) {
		log->csv_path = strdup(csv_path);
		log->csv = fopen(csv_path, "a+");
		if (!log->csv || !log->csv_path) {
			nrt_train_errf(err, errn, "%s: cannot open the log: %s", csv_path, strerror(errno));
			goto fail;
		}
		if (read_header(log, err, errn))
			goto fail;
		if (torn(log->csv))
			fputc('\n', log->csv);
	}
	if (jsonl_path) {
		log->jsonl_path = strdup(jsonl_path);
		log->jsonl = fopen(jsonl_path, "a+");
		if (!log->jsonl || !log->jsonl_path) {
			nrt_train_errf(err, errn, "%s: cannot open the log: %s", jsonl_path, strerror(errno));
			goto fail;
		}
		if (torn(log->jsonl))
			fputc('\n', log->jsonl);
	}
	return log;
fail:
	nrt_log_close(log, NULL, 0);
	return NULL;
}

/* A number as the logs write it: integers exactly, others to 9 digits. */
static void fmt_value(double v, char *buf, size_t n)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.9g", v);
}

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int flushed(FILE *f, const char *path, char *err, size_t errn)
{
	if (fflush(f) || ferror(f)) {
		int rc = errno ? errno : EIO;
		nrt_train_errf(err, errn, "%s: writing the log failed: %s", path, strerror(rc));
		clearerr(f);
		return rc;
	}
	return 0;
}

int nrt_log_epoch(struct nrt_log *log, const struct nrt_scalars *s, char *err, size_t errn)
{
	char v[64];
	int rc = 0;
	if (log->csv) {
		if (!log->ncol) {
			log->col = calloc((size_t)(s->n ? s->n : 1), sizeof *log->col);
			if (!log->col) {
				nrt_train_errf(err, errn, "%s: out of memory", log->csv_path);
				return ENOMEM;
			}
			for (int i = 0; i < s->n; i++) {
				memcpy(log->col[i], s->v[i].name, NRT_SCALAR_NAME);
				if (i)
					fputc(',', log->csv);
				csv_field(log->csv, s->v[i].name);
			}
			log->ncol = s->n;
			fputc('\n', log->csv);
		}
		for (int c = 0; c < log->ncol; c++) {
			const double *x = nrt_scalars_get(s, log->col[c]);
			if (c)
				fputc(',', log->csv);
			if (x && isfinite(*x)) {
				fmt_value(*x, v, sizeof v);
				fputs(v, log->csv);
			} else if (x && isinf(*x)) {
				fputs(*x > 0 ? "inf" : "-inf", log->csv);
			}
		}
		fputc('\n', log->csv);
		rc = flushed(log->csv, log->csv_path, err, errn);
	}
	if (log->jsonl) {
		fputc('{', log->jsonl);
		for (int i = 0; i < s->n; i++) {
			if (i)
				fputs(", ", log->jsonl);
			json_str(log->jsonl, s->v[i].name);
			fputs(": ", log->jsonl);
			if (isfinite(s->v[i].value)) {
				fmt_value(s->v[i].value, v, sizeof v);
				fputs(v, log->jsonl);
			} else {
				fputs("null", log->jsonl);
			}
		}
		fputs("}\n", log->jsonl);
		int r2 = flushed(log->jsonl, log->jsonl_path, err, errn);
		rc = rc ? rc : r2;
	}
	return rc;
}

int nrt_log_close(struct nrt_log *log, char *err, size_t errn)
{
	int rc = 0;
	if (!log)
		return 0;
	if (log->csv && fclose(log->csv) && !rc) {
		rc = errno;
		nrt_train_errf(err, errn, "%s: closing the log: %s", log->csv_path, strerror(rc));
	}
	if (log->jsonl && fclose(log->jsonl) && !rc) {
		rc = errno;
		nrt_train_errf(err, errn, "%s: closing the log: %s", log->jsonl_path, strerror(rc));
	}
	free(log->csv_path);
	free(log->jsonl_path);
	free(log->col);
	free(log);
	return rc;
}
