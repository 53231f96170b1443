/* csv.h - CSV tables (RFC 4180 with the usual extensions) and the label
 * files of the data pipeline (ChestX-ray14's Data_Entry_2017.csv layout).
 *
 * A table is a header row and records of the same field count.  Fields
 * may be quoted ("" is a quote inside quotes; separators and newlines may
 * appear inside quotes); records end with LF or CRLF; a UTF-8 byte-order
 * mark is skipped; empty lines are skipped.  Errors name file:line. */
#ifndef NRT_CSV_H
#define NRT_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A parsed table: every cell a NUL-terminated string in one buffer. */
struct nrt_csv {
	int ncols;                     /* fields of the header (and of every record) */
	int64_t nrows;                 /* records after the header */
	char **header;                 /* [ncols] */
	char **cell;                   /* [nrows * ncols], row major */
	int64_t *line;                 /* [nrows] the line where each record starts (from 1) */
	char *buf;                     /* storage of all strings */
};

/* Parse text[0..len) as a table named name (for messages), fields
 * separated by sep.  0, or -1 with "name:line: message" in err. */
int nrt_csv_parse(const char *text, size_t len, const char *name, char sep, struct nrt_csv *t,
		  char *err, size_t errlen);

/* Read and parse the file at path (named path in messages). */
int nrt_csv_read(const char *path, char sep, struct nrt_csv *t, char *err, size_t errlen);

/* The index of the header field called name, or -1. */
int nrt_csv_column(const struct nrt_csv *t, const char *name);

/* Cell (row, col). */
static inline const char *nrt_csv_cell(const struct nrt_csv *t, int64_t row, int col)
{
	return t->cell[row * t->ncols + col];
}

void nrt_csv_free(struct nrt_csv *t);

/* How a label file is read into a listing. */
struct nrt_label_opts {
	const char *image;             /* header of the image column ("Image Index") */
	const char *labels;            /* header of the label column ("Finding Labels") */
	const char *sep;               /* label separator in a cell ("|"); "" one label per row */
	const char *group;             /* header of a grouping column ("Patient ID"), NULL/"": none */
	const char *no_finding;        /* multi-label cell meaning no label; default "No Finding" */
	bool multi_label;              /* a cell may hold several labels */
	int nclasses;                  /* classes, in order (index = class id); 0: collect them */
	const char *const *classes;    /* their names; NULL with nclasses > 0: labels are 0..n-1;
					* NULL with nclasses 0: the distinct labels, sorted */
};

/* The samples of a label file.  Label sets are multi-hot rows of bytes
 * (every source fills hot; single-label sources fill label as well). */
struct nrt_listing {
	int64_t n;                     /* samples */
	int nclasses;
	char **class_name;             /* [nclasses] the class names (owned copies) */
	char **path;                   /* [n] image paths as written (relative to the root) */
	int32_t *label;                /* [n] the class (single-label), -1 for multi-label */
	uint8_t *hot;                  /* [n * nclasses] 1 where the sample has the class */
	char **group;                  /* [n] the grouping cell, or NULL without a group column */
	int64_t *line;                 /* [n] the line in the label file (0 for folders) */
	char *buf;                     /* storage of the strings */
};

/* Turn table t (read from name) into a listing.  Errors: a missing column
 * ("name:1: no column 'X' in the header"), an unknown label
 * ("name:LINE: unknown label 'X' (not in classes)"), an empty image or label cell, several
 * labels in a single-label file. */
int nrt_labels_from_csv(const struct nrt_csv *t, const char *name,
			const struct nrt_label_opts *o, struct nrt_listing *l, char *err, size_t errlen);

void nrt_listing_free(struct nrt_listing *l);

#endif
