/* summary.c - the Keras-style table of `netc summary`: one row a node
 * (name, op, output shape, parameters, MACs), then the totals.  Plain
 * ASCII rules keep the golden files simple. */
#include "graph.h"

#include <inttypes.h>
#include <string.h>

enum {
	COUNT_BUF = 32,         /* fmt_count: "-9,223,372,036,854,775,808" fits */
	SHAPE_BUF = 160,        /* shape_str of any shape */
	NAME_MAX_W = 48,        /* widest Layer column; longer names are cut */
	GAP = 2,                /* spaces between columns */
};

/* v with thousands separators ("11,689,512") into buf (COUNT_BUF bytes). */
static char *fmt_count(int64_t v, char *buf)
{
	char tmp[COUNT_BUF];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	int n = 0, k = 0;

	do {
		if (n > 0 && n % 3 == 0)
			tmp[k++] = ',';
		tmp[k++] = (char)('0' + u % 10);
		u /= 10;
		n++;
	} while (u);
	if (v < 0)
		tmp[k++] = '-';
	for (int i = 0; i < k; i++)
		buf[i] = tmp[k - 1 - i];
	buf[k] = 0;
	return buf;
}

/* A count of the table: sums saturate at INT64_MAX (graph_stats), which is
 * shown as such rather than as a meaningless number. */
static char *fmt_total(int64_t v, char *buf)
{
	if (v == INT64_MAX) {
		strcpy(buf, "overflow");
		return buf;
	}
	return fmt_count(v, buf);
}

/* " (1.81 G)" for MAC counts (decimal units); "" below a thousand. */
static char *fmt_si(int64_t v, char *buf, size_t n)
{
	static const struct { double scale; const char *unit; } u[] = {
		{ 1e12, "T" }, { 1e9, "G" }, { 1e6, "M" }, { 1e3, "K" },
	};
	buf[0] = 0;
	if (v == INT64_MAX)
		return buf;
	for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
		if ((double)v >= u[i].scale) {
			snprintf(buf, n, " (%.2f %s)", (double)v / u[i].scale, u[i].unit);
			break;
		}
	return buf;
}

/* " (44.9 MiB)" for byte counts (binary units); "" below a KiB. */
static char *fmt_bytes(int64_t v, char *buf, size_t n)
{
	static const struct { double scale; const char *unit; } u[] = {
		{ 1099511627776.0, "TiB" }, { 1073741824.0, "GiB" },
		{ 1048576.0, "MiB" }, { 1024.0, "KiB" },
	};
	buf[0] = 0;
	if (v == INT64_MAX)
		return buf;
	for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
		if ((double)v >= u[i].scale) {
			snprintf(buf, n, " (%.1f %s)", (double)v / u[i].scale, u[i].unit);
			break;
		}
	return buf;
}

/* Sum of the node's parameter and state elements, saturating. */
static int64_t node_params(const struct node *n)
{
	int64_t t = 0, k;
	int np = n->nparams < OP_MAX_PARAMS ? n->nparams : OP_MAX_PARAMS;
	for (int j = 0; j < np; j++) {
		if (!shape_numel(&n->params[j].shape, &k))
			return INT64_MAX;
		if (k > 0 && __builtin_add_overflow(t, k, &t))
			return INT64_MAX;
	}
	return t;
}

static const char *node_op(const struct node *n)
{
	return (unsigned)n->op < OP_COUNT ? op_table[n->op].name : "?";
}

/* The Layer cell: the name, or "...tail" when it is wider than w.  Never
 * starts inside a UTF-8 sequence. */
static void put_name(FILE *out, const char *name, int w)
{
	size_t len = strlen(name);
	if ((int)len <= w) {
		fprintf(out, "%-*s", w, name);
		return;
	}
	const char *p = name + len - (size_t)(w - 3);
	while (*p && ((unsigned char)*p & 0xC0) == 0x80)
		p++;
	fprintf(out, "...%-*s", w - 3, p);
}

static void rule(FILE *out, char c, int w)
{
	for (int i = 0; i < w; i++)
		fputc(c, out);
	fputc('\n', out);
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

void graph_summary(FILE *out, const struct graph *g)
{
	char b[SHAPE_BUF], c1[COUNT_BUF], c2[COUNT_BUF], idbuf[16];
	int wl = 20, wo = 14, ws = 16, wp = 10, wm = 13;
	struct graph_stats st;

	/* Column widths: at least the defaults, wide enough for every cell. */
	for (int i = 0; i < g->n; i++) {
		const struct node *n = g->nodes[i];
		int nl = n->name ? (int)strlen(n->name) : snprintf(idbuf, sizeof idbuf, "%%%d", n->id);
		wl = max_int(wl, nl < NAME_MAX_W ? nl : NAME_MAX_W);
		wo = max_int(wo, (int)strlen(node_op(n)) + (n->frozen ? 9 : 0));
		ws = max_int(ws, (int)strlen(shape_str(&n->shape, b, sizeof b)));
		wp = max_int(wp, (int)strlen(fmt_total(node_params(n), c1)));
		wm = max_int(wm, (int)strlen(fmt_total(n->macs, c2)));
	}
	int width = wl + GAP + wo + GAP + ws + GAP + wp + GAP + wm;

	fprintf(out, "Network: %s\n", g->name ? g->name : "(unnamed)");
	rule(out, '-', width);
	fprintf(out, "%-*s%*s%-*s%*s%-*s%*s%*s%*s%*s\n",
		wl, "Layer", GAP, "", wo, "Op", GAP, "", ws, "Output shape", GAP, "",
		wp, "Params", GAP, "", wm, "MACs");
	rule(out, '=', width);
	for (int i = 0; i < g->n; i++) {
		const struct node *n = g->nodes[i];
		char op[64];
		if (n->name)
			put_name(out, n->name, wl);
		else {
			snprintf(idbuf, sizeof idbuf, "%%%d", n->id);
			put_name(out, idbuf, wl);
		}
		snprintf(op, sizeof op, "%s%s", node_op(n), n->frozen ? " (frozen)" : "");
		fprintf(out, "%*s%-*s%*s%-*s%*s%*s%*s%*s\n",
			GAP, "", wo, op, GAP, "", ws, shape_str(&n->shape, b, sizeof b), GAP, "",
			wp, fmt_total(node_params(n), c1), GAP, "", wm, fmt_total(n->macs, c2));
	}
	rule(out, '-', width);

	graph_stats(g, &st);
	int64_t total = st.trainable;
	if (__builtin_add_overflow(total, st.non_trainable, &total))
		total = INT64_MAX;
	char t[5][COUNT_BUF], si[48], mem[48];
	fmt_total(st.trainable, t[0]);
	fmt_total(st.non_trainable, t[1]);
	fmt_total(total, t[2]);
	fmt_total(st.macs, t[3]);
	fmt_total(st.act_bytes, t[4]);
	int nw = 0;
	for (int i = 0; i < 5; i++)
		nw = max_int(nw, (int)strlen(t[i]));
	fprintf(out, "%-21s %*s\n", "Trainable params:", nw, t[0]);
	fprintf(out, "%-21s %*s\n", "Non-trainable params:", nw, t[1]);
	fprintf(out, "%-21s %*s\n", "Total params:", nw, t[2]);
	fprintf(out, "%-21s %*s%s per sample\n", "Forward MACs:", nw, t[3],
		fmt_si(st.macs, si, sizeof si));
	fprintf(out, "%-21s %*s bytes%s per sample (f32)\n", "Activation memory:", nw, t[4],
		fmt_bytes(st.act_bytes, mem, sizeof mem));
}
