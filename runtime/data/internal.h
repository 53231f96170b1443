/* internal.h - the opened data section, shared by the files of the data
 * pipeline (dataset.c opens it, sampling.c orders epochs, sample.c loads
 * one sample, loader.c batches). */
#ifndef NRT_DATA_INTERNAL_H
#define NRT_DATA_INTERNAL_H

#include <limits.h>
#include <stdatomic.h>

#include "augment.h"
#include "csv.h"
#include "data.h"
#include "image.h"

enum nrt_balance { NRT_BAL_NONE, NRT_BAL_RESAMPLE_MAJORITY, NRT_BAL_OVERSAMPLE,
		   NRT_BAL_CLASS_WEIGHTS };

/* A cache entry: empty, being written by one thread, holding the sample. */
enum { CACHE_EMPTY, CACHE_FILLING, CACHE_READY };

struct nrt_data {
	struct nrt_listing list;       /* every sample, in label-file (or folder) order */
	bool multi_label;
	char root[PATH_MAX];           /* base_dir joined with the source root */
	char real_root[PATH_MAX];      /* its realpath */
	int channels, dec_h, dec_w;    /* the decode step */
	int out_c, out_h, out_w;       /* a sample after the augment pipeline */
	struct nrt_aug *aug;
	int naug;
	enum nrt_balance balance;
	uint64_t balance_seed;
	bool shuffle;
	int workers;
	struct nrt_data_opts opts;
	int64_t *split[NRT_NSPLITS];   /* listing indices, ascending */
	int64_t nsplit[NRT_NSPLITS];
	uint64_t hash;
	float *cache;                  /* [n * channels * dec_h * dec_w] decoded samples, or NULL */
	atomic_uchar *cache_state;     /* [n] CACHE_* */
};

/* The global order of an epoch (before the split of ranks): *n listing
 * indices in a fresh array, NULL when out of memory.  sampling.c. */
int64_t *nrt_epoch_global(const struct nrt_data *d, enum nrt_split s, uint64_t seed,
			  int64_t epoch, bool train, int64_t *n);

/* Load listing sample index with the scratch images a and b into x.
 * sample.c. */
int nrt_sample_load(struct nrt_data *d, int64_t index, uint64_t seed, int64_t epoch,
		    int64_t position, bool train, struct nrt_img *a, struct nrt_img *b, float *x,
		    char *err, size_t errlen);

/* The listing of an image folder: root/<class>/<file>.ext.  folder.c. */
int nrt_folder_list(const char *root, const char *ext, int nclasses,
		    const char *const *classes, struct nrt_listing *l, char *err, size_t errlen);

#endif
