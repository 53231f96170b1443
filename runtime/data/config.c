/* config.c - nrt_data_open: the "data" object of the embedded
 * configuration (docs/sections.md; every constructor an object with "kind"
 * and its arguments by name) into an opened data section: the listing of
 * the source, the decode and augment steps, balance, splits. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

/* Split the listing (dataset.c). */
int nrt_data_split(struct nrt_data *d, const char *kind, const double frac[3], uint64_t seed,
		   char *err, size_t errlen);
void nrt_data_finish(struct nrt_data *d);

void nrt_data_opts_init(struct nrt_data_opts *o)
{
	memset(o, 0, sizeof *o);
	o->base_dir = NULL;
	o->max_bad_fraction = 0.01;
	o->rank = 0;
	o->world = 1;
	o->workers_override = -1;
	o->cache_bytes = (size_t)4 << 30;
}

/* ------------------------------------------------------------------ fields */

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int want_str(const cJSON *o, const char *where, const char *k, const char *def,
		    const char **out, char *err, size_t errlen)
{
	const cJSON *v = get(o, k);
	if (!v) {
		if (!def)
			return nrt_errf(err, errlen, "%s.%s: missing", where, k);
		*out = def;
		return 0;
	}
	if (!cJSON_IsString(v) || !v->valuestring)
		return nrt_errf(err, errlen, "%s.%s: expected a string", where, k);
	*out = v->valuestring;
	return 0;
}

static int want_num(const cJSON *o, const char *where, const char *k, const double *def,
		    double *out, char *err, size_t errlen)
{
	const cJSON *v = get(o, k);
	if (!v) {
		if (!def)
			return nrt_errf(err, errlen, "%s.%s: missing", where, k);
		*out = *def;
		return 0;
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return nrt_errf(err, errlen, "%s.%s: expected a number", where, k);
	*out = v->valuedouble;
	return 0;
}

static int want_int(const cJSON *o, const char *where, const char *k, double def, double lo,
		    double hi, int *out, char *err, size_t errlen)
{
	double x;
	if (want_num(o, where, k, &def, &x, err, errlen))
		return -1;
	if (x != floor(x) || x < lo || x > hi)
		return nrt_errf(err, errlen, "%s.%s: expected an integer in [%g, %g], got %g",
				where, k, lo, hi, x);
	*out = (int)x;
	return 0;
}

static int want_bool(const cJSON *o, const char *where, const char *k, bool def, bool *out,
		     char *err, size_t errlen)
{
	const cJSON *v = get(o, k);
	if (!v) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsBool(v))
		return nrt_errf(err, errlen, "%s.%s: expected true or false", where, k);
	*out = cJSON_IsTrue(v);
	return 0;
}

static int want_kind(const cJSON *o, const char *where, const char **kind, char *err,
		     size_t errlen)
{
	if (!cJSON_IsObject(o))
		return nrt_errf(err, errlen, "%s: expected an object with a \"kind\"", where);
	return want_str(o, where, "kind", NULL, kind, err, errlen);
}

/* base joined with p (p itself when absolute). */
static int join(const char *base, const char *p, char *out, size_t n, char *err, size_t errlen)
{
	int w;
	if (p[0] == '/' || !base || !base[0])
		w = snprintf(out, n, "%s", p[0] ? p : ".");
	else
		w = snprintf(out, n, "%s/%s", base, p);
	if (w < 0 || (size_t)w >= n)
		return nrt_errf(err, errlen, "%s: path too long", p);
	return 0;
}

/* ------------------------------------------------------------------ augment */

static int channel_values(const cJSON *v, const char *where, const char *k, float *out, int *n,
			  char *err, size_t errlen)
{
	if (cJSON_IsNumber(v)) {
		out[0] = (float)v->valuedouble;
		*n = 1;
		return 0;
	}
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) > 3)
		return nrt_errf(err, errlen, "%s.%s: expected a number or 1 to 3 numbers", where,
				k);
	*n = 0;
	for (const cJSON *e = v->child; e; e = e->next) {
		if (!cJSON_IsNumber(e))
			return nrt_errf(err, errlen, "%s.%s: expected numbers", where, k);
		out[(*n)++] = (float)e->valuedouble;
	}
	return 0;
}

static int parse_aug(const cJSON *o, const char *where, struct nrt_aug *a, char *err,
		     size_t errlen)
{
	const char *k;
	double half = 0.5, one = 1.0;

	memset(a, 0, sizeof *a);
	if (want_kind(o, where, &k, err, errlen))
		return -1;
	if (!strcmp(k, "crop") || !strcmp(k, "center_crop") || !strcmp(k, "random_crop")) {
		a->kind = !strcmp(k, "crop") ? NRT_AUG_CROP : !strcmp(k, "center_crop") ?
			  NRT_AUG_CENTER_CROP : NRT_AUG_RANDOM_CROP;
		if (want_int(o, where, "height", -1, 1, 1 << 20, &a->h, err, errlen))
			return -1;
		if (want_int(o, where, "width", a->h, 1, 1 << 20, &a->w, err, errlen))
			return -1;
		if (a->kind == NRT_AUG_RANDOM_CROP &&
		    want_int(o, where, "pad", 0, 0, 1 << 16, &a->pad, err, errlen))
			return -1;
		if (!get(o, "height"))
			return nrt_errf(err, errlen, "%s.height: missing", where);
		return 0;
	}
	if (!strcmp(k, "random_flip")) {
		a->kind = NRT_AUG_FLIP;
		if (want_bool(o, where, "horizontal", true, &a->horizontal, err, errlen) ||
		    want_bool(o, where, "vertical", false, &a->vertical, err, errlen) ||
		    want_num(o, where, "p", &half, &a->p, err, errlen))
			return -1;
		return 0;
	}
	if (!strcmp(k, "rotate180")) {
		a->kind = NRT_AUG_ROTATE180;
		return want_num(o, where, "p", &half, &a->p, err, errlen);
	}
	if (!strcmp(k, "random_rotation")) {
		a->kind = NRT_AUG_ROTATION;
		return want_num(o, where, "degrees", NULL, &a->degrees, err, errlen);
	}
	if (!strcmp(k, "brightness")) {
		a->kind = NRT_AUG_BRIGHTNESS;
		return want_num(o, where, "delta", NULL, &a->delta, err, errlen);
	}
	if (!strcmp(k, "contrast")) {
		a->kind = NRT_AUG_CONTRAST;
		return want_num(o, where, "factor", NULL, &a->factor, err, errlen);
	}
	if (!strcmp(k, "gaussian_noise")) {
		a->kind = NRT_AUG_NOISE;
		if (want_num(o, where, "std", NULL, &a->std, err, errlen) ||
		    want_num(o, where, "p", &one, &a->p, err, errlen))
			return -1;
		return 0;
	}
	if (!strcmp(k, "normalize")) {
		int nm, ns;
		a->kind = NRT_AUG_NORMALIZE;
		if (!get(o, "mean") || !get(o, "std"))
			return nrt_errf(err, errlen, "%s: normalize needs mean and std", where);
		if (channel_values(get(o, "mean"), where, "mean", a->mean, &nm, err, errlen) ||
		    channel_values(get(o, "std"), where, "std", a->sd, &ns, err, errlen))
			return -1;
		if (nm != ns) {
			if (nm == 1)
				for (int i = 1; i < ns; i++)
					a->mean[i] = a->mean[0];
			else if (ns == 1)
				for (int i = 1; i < nm; i++)
					a->sd[i] = a->sd[0];
			else
				return nrt_errf(err, errlen, "%s: %d means but %d stds", where, nm,
						ns);
		}
		a->nmean = nm > ns ? nm : ns;
		for (int i = 0; i < a->nmean; i++)
			if (!(a->sd[i] > 0))
				return nrt_errf(err, errlen, "%s.std: must be above 0", where);
		return 0;
	}
	return nrt_errf(err, errlen, "%s: unknown augmentation '%s'", where, k);
}

static int parse_augment(const cJSON *v, struct nrt_data *d, char *err, size_t errlen)
{
	int n;
	char where[64];

	if (!v)
		return 0;
	if (cJSON_IsObject(v)) {
		d->aug = calloc(1, sizeof *d->aug);
		if (!d->aug)
			return nrt_errf(err, errlen, "data: out of memory");
		d->naug = 1;
		return parse_aug(v, "data.augment", d->aug, err, errlen);
	}
	if (!cJSON_IsArray(v))
		return nrt_errf(err, errlen, "data.augment: expected a list of augmentations");
	n = cJSON_GetArraySize(v);
	d->aug = calloc((size_t)n + 1, sizeof *d->aug);
	if (!d->aug)
		return nrt_errf(err, errlen, "data: out of memory");
	d->naug = 0;
	for (const cJSON *e = v->child; e; e = e->next) {
		snprintf(where, sizeof where, "data.augment[%d]", d->naug);
		if (parse_aug(e, where, &d->aug[d->naug], err, errlen))
			return -1;
		d->naug++;
	}
	return 0;
}

/* ------------------------------------------------------------------ open */

/* The class list of the section: names (borrowed from cfg), a count, or none. */
static int parse_classes(const cJSON *v, const char ***names, int *n, char *err, size_t errlen)
{
	*names = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (cJSON_IsNumber(v)) {
		if (v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
		    v->valuedouble > 1 << 20)
			return nrt_errf(err, errlen, "data.classes: expected a positive count");
		*n = (int)v->valuedouble;
		return 0;
	}
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1)
		return nrt_errf(err, errlen, "data.classes: expected a list of names or a count");
	*n = cJSON_GetArraySize(v);
	*names = calloc((size_t)*n, sizeof **names);
	if (!*names)
		return nrt_errf(err, errlen, "data: out of memory");
	int i = 0;
	for (const cJSON *e = v->child; e; e = e->next, i++) {
		if (!cJSON_IsString(e))
			return nrt_errf(err, errlen, "data.classes[%d]: expected a string", i);
		(*names)[i] = e->valuestring;
		for (int j = 0; j < i; j++)
			if (!strcmp((*names)[j], e->valuestring))
				return nrt_errf(err, errlen, "data.classes: '%s' twice",
						e->valuestring);
	}
	return 0;
}

static int open_source(const cJSON *src, struct nrt_data *d, const char *base,
		       const char *group_col, const char **names, int ncl, char *err,
		       size_t errlen)
{
	const char *kind, *root;
	char path[PATH_MAX];

	if (want_kind(src, "data.source", &kind, err, errlen))
		return -1;
	if (!strcmp(kind, "folder")) {
		const char *ext = "png";
		if (want_str(src, "data.source", "root", NULL, &root, err, errlen) ||
		    want_str(src, "data.source", "ext", "png", &ext, err, errlen) ||
		    join(base, root, d->root, sizeof d->root, err, errlen))
			return -1;
		if (d->multi_label)
			return nrt_errf(err, errlen, "data: multi_label needs a csv source");
		if (group_col)
			return nrt_errf(err, errlen, "data.split: by_patient needs a csv source");
		if (!realpath(d->root, d->real_root))
			return nrt_errf(err, errlen, "%s: %s", d->root, strerror(errno));
		return nrt_folder_list(d->root, ext, ncl, names, &d->list, err, errlen);
	}
	if (strcmp(kind, "csv"))
		return nrt_errf(err, errlen, "data.source: unknown kind '%s' (csv or folder)", kind);

	struct nrt_label_opts lo = { 0 };
	struct nrt_csv t;
	const char *file = NULL, *patient = "", *sep = "";
	int rc;
	if (want_str(src, "data.source", "file", NULL, &file, err, errlen) ||
	    want_str(src, "data.source", "image", "Image Index", &lo.image, err, errlen) ||
	    want_str(src, "data.source", "labels", "Finding Labels", &lo.labels, err, errlen) ||
	    want_str(src, "data.source", "sep", "|", &sep, err, errlen) ||
	    want_str(src, "data.source", "root", "", &root, err, errlen) ||
	    want_str(src, "data.source", "patient", "", &patient, err, errlen) ||
	    want_str(src, "data.source", "no_finding", "No Finding", &lo.no_finding, err,
		     errlen) ||
	    join(base, root, d->root, sizeof d->root, err, errlen) ||
	    join(base, file, path, sizeof path, err, errlen))
		return -1;
	if (d->multi_label && !sep[0])
		return nrt_errf(err, errlen, "data: multi_label needs a label separator (csv sep)");
	lo.sep = sep;
	lo.group = group_col ? group_col : patient;
	lo.multi_label = d->multi_label;
	lo.nclasses = ncl;
	lo.classes = names;
	if (nrt_csv_read(path, ',', &t, err, errlen))
		return -1;
	rc = nrt_labels_from_csv(&t, path, &lo, &d->list, err, errlen);
	nrt_csv_free(&t);
	if (rc)
		return -1;
	if (!realpath(d->root, d->real_root))
		return nrt_errf(err, errlen, "%s: %s (the image root)", d->root, strerror(errno));
	/* every image path stays under the root */
	for (int64_t i = 0; i < d->list.n; i++) {
		char msg[PATH_MAX + 128];
		if (nrt_path_join(d->root, d->list.path[i], path, sizeof path, msg, sizeof msg))
			return nrt_errf(err, errlen, "%s:%lld: %s", file, (long long)d->list.line[i],
					msg);
	}
	return 0;
}

struct nrt_data *nrt_data_open(const cJSON *cfg, const struct nrt_data_opts *o, char *err,
			       size_t errlen)
{
	struct nrt_data *d = calloc(1, sizeof *d);
	const char *base, *kind, **names = NULL, *group_col = NULL;
	const cJSON *split, *dec, *bal;
	double frac[3] = { 1, 0, 0 }, one = 1.0, seed = 1;
	int ncl, workers;
	bool cache = false;

	if (!d) {
		nrt_errf(err, errlen, "data: out of memory");
		return NULL;
	}
	if (o)
		d->opts = *o;
	else
		nrt_data_opts_init(&d->opts);
	if (d->opts.world < 1 || d->opts.rank < 0 || d->opts.rank >= d->opts.world) {
		nrt_errf(err, errlen, "data: rank %d of world %d", d->opts.rank, d->opts.world);
		goto fail;
	}
	base = d->opts.base_dir ? d->opts.base_dir : ".";
	if (!cJSON_IsObject(cfg)) {
		nrt_errf(err, errlen, "data: expected the data section as an object");
		goto fail;
	}
	if (want_bool(cfg, "data", "multi_label", false, &d->multi_label, err, errlen) ||
	    want_bool(cfg, "data", "shuffle", true, &d->shuffle, err, errlen) ||
	    want_bool(cfg, "data", "cache", false, &cache, err, errlen) ||
	    want_int(cfg, "data", "workers", 0, 0, 1024, &workers, err, errlen) ||
	    parse_classes(get(cfg, "classes"), &names, &ncl, err, errlen))
		goto fail;
	d->workers = d->opts.workers_override >= 0 ? d->opts.workers_override : workers;

	/* split: its kind and group column come before the source is read */
	split = get(cfg, "split");
	kind = "ratio";
	if (split) {
		if (want_kind(split, "data.split", &kind, err, errlen) ||
		    want_num(split, "data.split", "train", NULL, &frac[0], err, errlen) ||
		    want_num(split, "data.split", "val", NULL, &frac[1], err, errlen) ||
		    want_num(split, "data.split", "test", NULL, &frac[2], err, errlen) ||
		    want_num(split, "data.split", "seed", &one, &seed, err, errlen))
			goto fail;
		if (!strcmp(kind, "by_patient")) {
			if (want_str(split, "data.split", "column", "Patient ID", &group_col, err,
				     errlen))
				goto fail;
		} else if (strcmp(kind, "ratio")) {
			nrt_errf(err, errlen, "data.split: unknown kind '%s' (ratio or by_patient)",
				 kind);
			goto fail;
		}
		for (int i = 0; i < 3; i++)
			if (frac[i] < 0 || frac[i] > 1) {
				nrt_errf(err, errlen, "data.split: fractions must be in [0, 1]");
				goto fail;
			}
		if (fabs(frac[0] + frac[1] + frac[2] - 1.0) > 1e-6) {
			nrt_errf(err, errlen, "data.split: fractions sum to %g, not 1",
				 frac[0] + frac[1] + frac[2]);
			goto fail;
		}
	}

	if (!get(cfg, "source")) {
		nrt_errf(err, errlen, "data.source: missing");
		goto fail;
	}
	if (open_source(get(cfg, "source"), d, base, group_col, names, ncl, err, errlen))
		goto fail;

	/* decode and augment */
	dec = get(cfg, "decode");
	if (!dec) {
		nrt_errf(err, errlen, "data.decode: missing (gray(height, width) or "
			 "rgb(height, width))");
		goto fail;
	}
	if (want_kind(dec, "data.decode", &kind, err, errlen) ||
	    want_int(dec, "data.decode", "height", -1, 1, 1 << 15, &d->dec_h, err, errlen) ||
	    want_int(dec, "data.decode", "width", -1, 1, 1 << 15, &d->dec_w, err, errlen))
		goto fail;
	if (!strcmp(kind, "gray"))
		d->channels = 1;
	else if (!strcmp(kind, "rgb"))
		d->channels = 3;
	else {
		nrt_errf(err, errlen, "data.decode: unknown kind '%s' (gray or rgb)", kind);
		goto fail;
	}
	if (parse_augment(get(cfg, "augment"), d, err, errlen))
		goto fail;
	d->out_c = d->channels;
	d->out_h = d->dec_h;
	d->out_w = d->dec_w;
	if (nrt_aug_out_shape(d->aug, d->naug, d->channels, &d->out_h, &d->out_w, err, errlen))
		goto fail;

	/* balance */
	bal = get(cfg, "balance");
	d->balance = NRT_BAL_NONE;
	d->balance_seed = 1;
	if (bal) {
		double bs;
		if (want_kind(bal, "data.balance", &kind, err, errlen) ||
		    want_num(bal, "data.balance", "seed", &one, &bs, err, errlen))
			goto fail;
		d->balance_seed = (uint64_t)bs;
		if (!strcmp(kind, "none"))
			d->balance = NRT_BAL_NONE;
		else if (!strcmp(kind, "resample_majority"))
			d->balance = NRT_BAL_RESAMPLE_MAJORITY;
		else if (!strcmp(kind, "oversample"))
			d->balance = NRT_BAL_OVERSAMPLE;
		else if (!strcmp(kind, "class_weights"))
			d->balance = NRT_BAL_CLASS_WEIGHTS;
		else {
			nrt_errf(err, errlen, "data.balance: unknown kind '%s'", kind);
			goto fail;
		}
		if (d->multi_label && (d->balance == NRT_BAL_RESAMPLE_MAJORITY ||
				       d->balance == NRT_BAL_OVERSAMPLE)) {
			nrt_errf(err, errlen, "data.balance: %s needs single-label data", kind);
			goto fail;
		}
	}

	if (nrt_data_split(d, split ? (group_col ? "by_patient" : "ratio") : "none", frac,
			   (uint64_t)seed, err, errlen))
		goto fail;

	/* the cache of decoded samples, when it fits */
	if (cache && d->opts.cache_bytes > 0) {
		size_t per = (size_t)d->channels * (size_t)d->dec_h * (size_t)d->dec_w;
		size_t n = (size_t)d->list.n;
		if (per && n <= d->opts.cache_bytes / sizeof(float) / per) {
			d->cache = calloc(n * per, sizeof(float));
			d->cache_state = calloc(n, sizeof *d->cache_state);
			if (!d->cache || !d->cache_state) {
				free(d->cache);
				free(d->cache_state);
				d->cache = NULL;
				d->cache_state = NULL;
			}
		}
	}
	nrt_data_finish(d);
	free(names);
	return d;
fail:
	free(names);
	nrt_data_free(d);
	return NULL;
}

void nrt_data_set_shard(struct nrt_data *d, int rank, int world)
{
	if (world >= 1 && rank >= 0 && rank < world) {
		d->opts.rank = rank;
		d->opts.world = world;
	}
}
