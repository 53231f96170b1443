/* data.h - the data pipeline of a built training program: a data section
 * (the "data" object of the configuration netc embeds, docs/sections.md)
 * opened into a listing of samples with their splits, and loaders that
 * decode, augment and batch a split on worker threads.
 *
 *   struct nrt_data_opts o;
 *   nrt_data_opts_init(&o);
 *   o.base_dir = "/abs/folder/of/the/net/file";     (or --data-root)
 *   struct nrt_data *d = nrt_data_open(cJSON_GetObjectItem(cfg, "data"), &o, err, sizeof err);
 *   for each epoch:
 *     struct nrt_loader *l = nrt_loader_start(d, NRT_TRAIN, batch, seed, epoch, true, err, n);
 *     while ((rc = nrt_loader_next(l, x, target, &valid, err, n)) == 0)
 *         train on x[0 .. batch*C*H*W), target;
 *     rc < 0: err says why;  nrt_loader_free(l);
 *   nrt_data_free(d);
 *
 * Determinism: the split, the epoch order (shuffle and balancing draws,
 * seeded by (seed, epoch)) and every augmented sample (seeded by (seed,
 * epoch, position in the epoch)) are the same on every machine and for any
 * worker count; workers = 0 and workers = N give bitwise equal batches.
 * Library code: nothing is printed, nothing exits. */
#ifndef NRT_DATA_H
#define NRT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

enum nrt_split { NRT_TRAIN, NRT_VAL, NRT_TEST, NRT_NSPLITS };

/* The name of a split: "train", "val", "test". */
const char *nrt_split_name(enum nrt_split s);

/* How a data section is opened (start from nrt_data_opts_init). */
struct nrt_data_opts {
	const char *base_dir;          /* data paths are relative to it (NULL: ".") */
	bool strict;                   /* a bad sample fails the loader (default: skip and count) */
	double max_bad_fraction;       /* more skipped samples than this part of a split fail it
					* (default 0.01) */
	int rank, world;               /* this rank of world (default 0 of 1) */
	int workers_override;          /* >= 0 replaces the section's workers (default -1) */
	size_t cache_bytes;            /* cache = true keeps decoded samples up to this many bytes
					* (default 4 GiB); 0 turns the cache off */
};

void nrt_data_opts_init(struct nrt_data_opts *o);

struct nrt_data;

/* Open the "data" object cfg: read the label file or the folder, check
 * every image path, split.  NULL with a message (naming the file and the
 * line of a label file) in err on failure. */
struct nrt_data *nrt_data_open(const cJSON *cfg, const struct nrt_data_opts *o, char *err,
			       size_t errlen);
void nrt_data_free(struct nrt_data *d);

/* Samples in split s (of every rank). */
int64_t nrt_data_count(const struct nrt_data *d, enum nrt_split s);
/* The classes: their count and names. */
int nrt_data_classes(const struct nrt_data *d);
const char *nrt_data_class_name(const struct nrt_data *d, int c);
bool nrt_data_multi_label(const struct nrt_data *d);
/* The shape of one sample as the loader gives it: channels, height, width
 * after the decode size and the crops of the augment pipeline. */
void nrt_data_shape(const struct nrt_data *d, int *c, int *h, int *w);
/* Samples of each class in split s (counts[classes]); multi-label: samples
 * having the class. */
void nrt_data_class_counts(const struct nrt_data *d, enum nrt_split s, int64_t *counts);
/* Class weights from the counts of split s: w_c = N / (C * n_c) (0 for a
 * class without samples), N the samples, C the classes. */
void nrt_data_class_weights(const struct nrt_data *d, enum nrt_split s, float *w);
/* A 64-bit hash of the listing (classes, every sample's path, labels and
 * split), to check that every rank reads the same data. */
uint64_t nrt_data_hash(const struct nrt_data *d);

/* Take the part of rank `rank` of `world` in the loaders started from now
 * on (the driver evaluates the whole val split on every rank: 0 of 1). */
void nrt_data_set_shard(struct nrt_data *d, int rank, int world);

/* Sample i of split s (in listing order). */
struct nrt_sample_info {
	const char *path;              /* as in the label file (relative to the root) */
	int32_t label;                 /* the class (single-label), -1 for multi-label */
	const uint8_t *hot;            /* [classes] 1 where the sample has the class */
	const char *group;             /* the group cell (by_patient), or NULL */
	int64_t index;                 /* in the listing (the row of the label file, from 0) */
	int64_t line;                  /* the line in the label file (0 for a folder) */
};
int nrt_data_sample(const struct nrt_data *d, enum nrt_split s, int64_t i,
		    struct nrt_sample_info *out);

/* The epoch's order of split s as listing indices (what a loader with
 * train = true visits: balanced, shuffled when the section says so, this
 * rank's part): *n entries in a fresh array the caller frees.  NULL when
 * out of memory. */
int64_t *nrt_data_epoch_order(const struct nrt_data *d, enum nrt_split s, uint64_t seed,
			      int64_t epoch, bool train, int64_t *n);

/* Decode and augment listing sample index into x (C*H*W floats).  0, or -1
 * with a message naming the file. */
int nrt_data_load_sample(struct nrt_data *d, int64_t index, uint64_t seed, int64_t epoch,
			 int64_t position, bool train, float *x, char *err, size_t errlen);

/* ---------------------------------------------------------------- loaders */

enum nrt_tail {
	NRT_TAIL_DEFAULT,              /* drop for train = true, pad for train = false */
	NRT_TAIL_DROP,                 /* the last incomplete batch is not returned */
	NRT_TAIL_PAD,                  /* it is returned zero-padded, *valid < batch */
};

enum nrt_target {
	NRT_TARGET_AUTO,               /* INDEX for single-label, MULTIHOT for multi-label */
	NRT_TARGET_INDEX,              /* int32 [batch]: the class */
	NRT_TARGET_INDEX_FLOAT,        /* float [batch]: the class as a number (BCE on 2 classes) */
	NRT_TARGET_MULTIHOT,           /* float [batch, classes]: 0 / 1 (one-hot if single-label) */
};

/* Everything a loader is started with (nrt_loader_start fills the defaults). */
struct nrt_loader_args {
	enum nrt_split split;
	int64_t batch;                 /* samples per batch (> 0) */
	uint64_t seed;                 /* shuffle, balance and augmentation streams */
	int64_t epoch;                 /* from 0 or 1, as the driver counts */
	bool train;                    /* augment, shuffle, balance; drop the tail by default */
	enum nrt_tail tail;
	enum nrt_target target;
	int64_t start_batch;           /* resume: begin at this batch of the epoch, skipping the
					* samples before it without decoding them */
	int64_t batch_stride;          /* > 1: only the batches b of the epoch with b % stride ==
					* batch_offset (the others' samples are left out, not
					* decoded); 0 or 1: every batch */
	int64_t batch_offset;          /* 0 <= batch_offset < batch_stride */
};

struct nrt_loader;

/* Start the epoch's loader of split s (workers begin decoding at once).
 * NULL with a message on failure. */
struct nrt_loader *nrt_loader_start(struct nrt_data *d, enum nrt_split s, int64_t batch,
				    uint64_t seed, int64_t epoch, bool train, char *err,
				    size_t errlen);
struct nrt_loader *nrt_loader_start_args(struct nrt_data *d, const struct nrt_loader_args *a,
					 char *err, size_t errlen);

/* Batches of the epoch when no sample is bad (skipped samples can make
 * the epoch end earlier). */
int64_t nrt_loader_batches(const struct nrt_loader *l);

/* Fill x [batch * C * H * W] and target (see enum nrt_target) with the next
 * batch; *valid = the samples filled (< batch only for a padded tail; the
 * rest is zero).  0 for a batch, 1 at the end of the epoch, -1 with a
 * message (a strict failure, too many bad samples, out of memory). */
int nrt_loader_next(struct nrt_loader *l, float *x, void *target, int64_t *valid, char *err,
		    size_t errlen);

/* Bad samples skipped so far, and the first few messages about them
 * (i from 0; NULL past the last kept). */
int64_t nrt_loader_skipped(const struct nrt_loader *l);
const char *nrt_loader_skip_message(const struct nrt_loader *l, int i);

/* Stop the workers and free the loader. */
void nrt_loader_free(struct nrt_loader *l);

#endif
