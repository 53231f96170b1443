/* test_csv.c - the CSV reader on a table of tricky inputs (quotes, CRLF,
 * BOM, empty lines, ragged rows) and the label-file listing (columns by
 * name, multi-label cells, "No Finding", unknown labels, groups). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "csv.h"
#include "fixtures.h"

/* One parse case: the text, then the cells (header first) joined with '|'
 * and records with ';', or the error text expected in the message. */
struct parse_case {
	const char *text;
	const char *cells;             /* NULL when an error is expected */
	const char *error;
};

static const struct parse_case parse_cases[] = {
	{ "a,b\n1,2\n", "a|b;1|2", NULL },
	{ "a,b\r\n1,2\r\n3,4", "a|b;1|2;3|4", NULL },                  /* CRLF, no final newline */
	{ "\xEF\xBB\xBF" "a,b\n1,2\n", "a|b;1|2", NULL },                /* BOM */
	{ "a,b\n\n1,2\n\r\n\n3,4\n\n", "a|b;1|2;3|4", NULL },           /* empty lines */
	{ "a,b\n\"x,y\",2\n", "a|b;x,y|2", NULL },                      /* separator in quotes */
	{ "a,b\n\"say \"\"hi\"\"\",2\n", "a|b;say \"hi\"|2", NULL },    /* "" escapes */
	{ "a,b\n\"two\nlines\",2\n", "a|b;two\nlines|2", NULL },        /* newline in quotes */
	{ "a,b\n\"two\r\nlines\",2\r\n", "a|b;two\r\nlines|2", NULL },
	{ "a,b\n,\n", "a|b;|", NULL },                                  /* empty cells */
	{ "a,b\n\"\",x\n", "a|b;|x", NULL },
	{ "\"Image Index\",\"Finding Labels\"\nx.png,A|B\n", "Image Index|Finding Labels;x.png|A|B",
	  NULL },
	{ "a,b\n1,2,3\n", NULL, "t.csv:2: expected 2 fields (as in the header), got 3" },
	{ "a,b\n1\n", NULL, "t.csv:2: expected 2 fields (as in the header), got 1" },
	{ "a,b\n1,2\n\n\"x\ny,2\n", NULL, "t.csv:4: unterminated quoted field" },
	{ "a,b\n\"x\"y,2\n", NULL, "t.csv:2: expected ',' or the end of the line after a closing quote" },
	{ "a,b\nx\"y,2\n", NULL, "t.csv:2: a quote inside an unquoted field" },
	{ "", NULL, "t.csv:1: empty file" },
	{ "\n\n", NULL, "t.csv:1: empty file" },
	{ "a,b\n\"multi\nline\",2\n3\n", NULL, "t.csv:4: expected 2 fields" },  /* line counting */
};

/* The table as "h|h;c|c;...". */
static void flatten(const struct nrt_csv *t, char *out, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (int64_t r = -1; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = r < 0 ? t->header[c] : nrt_csv_cell(t, r, c);
			o += (size_t)snprintf(out + o, n - o, "%s%s", c ? "|" : (r >= 0 ? ";" : ""), s);
			if (o >= n)
				return;
		}
	}
}

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++) {
		const struct parse_case *pc = &parse_cases[i];
		struct nrt_csv t;
		char err[256] = "", flat[512];
		int rc = nrt_csv_parse(pc->text, strlen(pc->text), "t.csv", ',', &t, err, sizeof err);
		if (pc->cells) {
			if (!ASSERT_EQ_INT(0, rc)) {
				fprintf(stderr, "    case %zu: %s\n", i, err);
				continue;
			}
			flatten(&t, flat, sizeof flat);
			ASSERT_STR_EQ(pc->cells, flat);
			nrt_csv_free(&t);
		} else {
			ASSERT_EQ_INT(-1, rc);
			if (!ASSERT(strstr(err, pc->error) != NULL))
				fprintf(stderr, "    case %zu: expected '%s' in '%s'\n", i, pc->error, err);
		}
	}
}

static void test_lines(void)
{
	struct nrt_csv t;
	char err[256];
	const char *text = "a,b\n1,2\n\n\"x\ny\",3\r\n4,5\n";
	ASSERT_EQ_INT(0, nrt_csv_parse(text, strlen(text), "t.csv", ',', &t, err, sizeof err));
	ASSERT_EQ_INT(3, t.nrows);
	ASSERT_EQ_INT(2, t.line[0]);
	ASSERT_EQ_INT(4, t.line[1]);
	ASSERT_EQ_INT(6, t.line[2]);
	ASSERT_EQ_INT(1, nrt_csv_column(&t, "b"));
	ASSERT_EQ_INT(-1, nrt_csv_column(&t, "c"));
	nrt_csv_free(&t);
}

static const char *const xray_classes[] = { "Atelectasis", "Effusion", "Infiltration" };

/* Parse text and list it with o; 0 or -1 with err. */
static int listing(const char *text, const struct nrt_label_opts *o, struct nrt_listing *l,
		   char *err, size_t n)
{
	struct nrt_csv t;
	int rc;
	if (nrt_csv_parse(text, strlen(text), "x.csv", ',', &t, err, n))
		return -1;
	rc = nrt_labels_from_csv(&t, "x.csv", o, l, err, n);
	nrt_csv_free(&t);
	return rc;
}

static void test_labels(void)
{
	const char *text =
		"Image Index,Finding Labels,Follow-up #,Patient ID\n"
		"a.png,Effusion|Infiltration,0,7\n"
		"b.png,No Finding,1,7\n"
		"c.png,Atelectasis,0,9\n";
	struct nrt_label_opts o = { .image = "Image Index", .labels = "Finding Labels",
				    .sep = "|", .group = "Patient ID", .multi_label = true,
				    .nclasses = 3, .classes = xray_classes };
	struct nrt_listing l;
	char err[256] = "";

	if (!ASSERT_EQ_INT(0, listing(text, &o, &l, err, sizeof err))) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	ASSERT_EQ_INT(3, l.n);
	ASSERT_STR_EQ("b.png", l.path[1]);
	ASSERT_EQ_INT(0, l.hot[0 * 3 + 0]);
	ASSERT_EQ_INT(1, l.hot[0 * 3 + 1]);
	ASSERT_EQ_INT(1, l.hot[0 * 3 + 2]);
	ASSERT_EQ_INT(0, l.hot[1 * 3 + 0] + l.hot[1 * 3 + 1] + l.hot[1 * 3 + 2]);   /* No Finding */
	ASSERT_EQ_INT(1, l.hot[2 * 3 + 0]);
	ASSERT_STR_EQ("7", l.group[1]);
	ASSERT_EQ_INT(4, l.line[2]);
	nrt_listing_free(&l);

	/* an unknown label names file:line */
	const char *bad = "Image Index,Finding Labels\na.png,Effusion\nb.png,Effusion|Hernia\n";
	o.group = NULL;
	ASSERT_EQ_INT(-1, listing(bad, &o, &l, err, sizeof err));
	ASSERT_STR_EQ("x.csv:3: unknown label 'Hernia' (not in classes)", err);

	/* a missing column */
	o.labels = "Labels";
	ASSERT_EQ_INT(-1, listing(bad, &o, &l, err, sizeof err));
	ASSERT(strstr(err, "x.csv:1: no column 'Labels'") != NULL);
	o.labels = "Finding Labels";
	o.group = "Patient ID";
	ASSERT_EQ_INT(-1, listing(bad, &o, &l, err, sizeof err));
	ASSERT(strstr(err, "no column 'Patient ID' (the group column)") != NULL);
	o.group = NULL;

	/* a different no-finding value */
	o.no_finding = "none";
	ASSERT_EQ_INT(-1, listing("Image Index,Finding Labels\na.png,No Finding\n", &o, &l, err,
				  sizeof err));
	ASSERT(strstr(err, "unknown label 'No Finding'") != NULL);
	ASSERT_EQ_INT(0, listing("Image Index,Finding Labels\na.png,none\n", &o, &l, err,
				 sizeof err));
	ASSERT_EQ_INT(0, l.hot[0] + l.hot[1] + l.hot[2]);
	nrt_listing_free(&l);
	o.no_finding = NULL;

	/* single-label: one label a row, "No Finding" is an ordinary label */
	static const char *const digits[] = { "0", "1", "2" };
	struct nrt_label_opts s = { .image = "Image Index", .labels = "Finding Labels", .sep = "",
				    .nclasses = 3, .classes = digits };
	ASSERT_EQ_INT(0, listing("Image Index,Finding Labels\n00000.png,1\n00001.png,2\n", &s, &l,
				 err, sizeof err));
	ASSERT_EQ_INT(1, l.label[0]);
	ASSERT_EQ_INT(2, l.label[1]);
	ASSERT_EQ_INT(1, l.hot[1 * 3 + 2]);
	nrt_listing_free(&l);
	ASSERT_EQ_INT(-1, listing("Image Index,Finding Labels\n00000.png,\n", &s, &l, err,
				  sizeof err));
	ASSERT_STR_EQ("x.csv:2: empty label cell (column 'Finding Labels')", err);
	ASSERT_EQ_INT(-1, listing("Image Index,Finding Labels\n,1\n", &s, &l, err, sizeof err));
	ASSERT(strstr(err, "x.csv:2: empty image cell") != NULL);
	s.sep = "|";
	ASSERT_EQ_INT(-1, listing("Image Index,Finding Labels\na,1|2\n", &s, &l, err, sizeof err));
	ASSERT_STR_EQ("x.csv:2: unknown label '1|2' (not in classes)", err);

	/* classes as a count: labels are 0..n-1 */
	struct nrt_label_opts c = { .image = "image", .labels = "level", .sep = "",
				    .nclasses = 5 };
	ASSERT_EQ_INT(0, listing("image,level\nx,4\ny,0\n", &c, &l, err, sizeof err));
	ASSERT_EQ_INT(4, l.label[0]);
	ASSERT_STR_EQ("4", l.class_name[4]);
	nrt_listing_free(&l);
	ASSERT_EQ_INT(-1, listing("image,level\nx,5\n", &c, &l, err, sizeof err));
	ASSERT(strstr(err, "x.csv:2: unknown label '5' (classes is a count, 5") != NULL);

	/* no classes: the distinct labels, sorted */
	struct nrt_label_opts n = { .image = "i", .labels = "l", .sep = "|", .multi_label = true };
	ASSERT_EQ_INT(0, listing("i,l\na,Mass|Edema\nb,No Finding\nc,Edema\n", &n, &l, err,
				 sizeof err));
	ASSERT_EQ_INT(2, l.nclasses);
	ASSERT_STR_EQ("Edema", l.class_name[0]);
	ASSERT_STR_EQ("Mass", l.class_name[1]);
	ASSERT_EQ_INT(1, l.hot[0 * 2 + 1]);
	nrt_listing_free(&l);
}

/* A file on disk: BOM, CRLF, quoted header, read through nrt_csv_read. */
static void test_file(void)
{
	const char *dir = fx_tmpdir();
	char path[PATH_MAX], err[256];
	struct nrt_csv t;
	if (!ASSERT(dir != NULL))
		return;
	snprintf(path, sizeof path, "%s/l.csv", dir);
	fx_write_str(path, "\xEF\xBB\xBF\"Image Index\",Finding Labels\r\nx.png,\"A|B\"\r\n");
	ASSERT_EQ_INT(0, nrt_csv_read(path, ',', &t, err, sizeof err));
	ASSERT_STR_EQ("Image Index", t.header[0]);
	ASSERT_STR_EQ("A|B", nrt_csv_cell(&t, 0, 1));
	nrt_csv_free(&t);
	snprintf(path, sizeof path, "%s/missing.csv", dir);
	ASSERT_EQ_INT(-1, nrt_csv_read(path, ',', &t, err, sizeof err));
	ASSERT(strstr(err, "missing.csv: No such file") != NULL);
	fx_rmtree(dir);
}

int main(void)
{
	test_parse();
	test_lines();
	test_labels();
	test_file();
	return check_summary();
}
