/* loader.c - batches of a split for one epoch, decoded ahead by worker
 * threads.
 *
 * Workers decode samples, not batches: sample k of this rank's order goes
 * to slot k % nslots of a ring three batches long, and the caller takes
 * samples from the ring in order, skipping the bad ones.  A sample is a
 * pure function of (seed, epoch, its position), so which thread decoded
 * it and when does not matter: any worker count gives the batches of
 * workers = 0, where the caller decodes each sample itself. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

enum {
	AHEAD = 2,                     /* batches decoded ahead of the one being taken */
	MAX_MSGS = 8,                  /* bad-sample messages kept */
	MSG_LEN = 512,
};

enum slot_state { SLOT_FREE, SLOT_BUSY, SLOT_OK, SLOT_BAD };

struct slot {
	enum slot_state state;
	int64_t k;                     /* the sample in it */
	float *x;
	char msg[MSG_LEN];
};

struct nrt_loader {
	struct nrt_data *d;
	struct nrt_loader_args a;
	int64_t *order;                /* this rank's listing indices */
	int64_t n;                     /* their count */
	int64_t *pos;                  /* batch_stride > 1: sample k's index in the full order */
	int64_t cur;                   /* the next sample the caller takes */
	size_t per;                    /* floats per sample */
	int64_t bad_limit;             /* more skipped samples than this fail */
	int64_t skipped;
	char msgs[MAX_MSGS][MSG_LEN];
	int nmsgs;
	bool failed;

	/* workers = 0: the caller's scratch */
	struct nrt_img ia, ib;

	/* workers */
	int nworkers;
	pthread_t *th;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	bool stop;
	int64_t claim;                 /* the next sample a worker takes */
	int64_t nslots;
	struct slot *slots;
	float *slot_mem;
};

/* The global position of this rank's sample k (the augmentation stream). */
static int64_t position(const struct nrt_loader *l, int64_t k)
{
	int64_t full = l->pos ? l->pos[k] : k;
	return (int64_t)l->d->opts.rank + full * l->d->opts.world;
}

static int load(struct nrt_loader *l, int64_t k, struct nrt_img *a, struct nrt_img *b, float *x,
		char *msg, size_t n)
{
	return nrt_sample_load(l->d, l->order[k], l->a.seed, l->a.epoch, position(l, k), l->a.train,
			       a, b, x, msg, n);
}

static void *worker(void *arg)
{
	struct nrt_loader *l = arg;
	struct nrt_img a = { 0 }, b = { 0 };

	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!l->stop && !(l->claim < l->n && l->claim < l->cur + l->nslots))
			pthread_cond_wait(&l->work, &l->mu);
		if (l->stop)
			break;
		int64_t k = l->claim++;
		struct slot *s = &l->slots[k % l->nslots];
		s->state = SLOT_BUSY;
		s->k = k;
		pthread_mutex_unlock(&l->mu);
		int rc = load(l, k, &a, &b, s->x, s->msg, sizeof s->msg);
		pthread_mutex_lock(&l->mu);
		s->state = rc ? SLOT_BAD : SLOT_OK;
		pthread_cond_broadcast(&l->done);
	}
	pthread_mutex_unlock(&l->mu);
	nrt_img_free(&a);
	nrt_img_free(&b);
	return NULL;
}

static void stop_workers(struct nrt_loader *l)
{
	if (!l->th)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_cond_broadcast(&l->work);
	pthread_mutex_unlock(&l->mu);
	for (int i = 0; i < l->nworkers; i++)
		pthread_join(l->th[i], NULL);
	free(l->th);
	l->th = NULL;
	pthread_cond_destroy(&l->work);
	pthread_cond_destroy(&l->done);
	pthread_mutex_destroy(&l->mu);
}

static int start_workers(struct nrt_loader *l, int n)
{
	l->nslots = l->a.batch * (AHEAD + 1);
	if (l->nslots > l->n && l->n > 0)
		l->nslots = l->n;
	if (l->nslots < 1)
		l->nslots = 1;
	l->slots = calloc((size_t)l->nslots, sizeof *l->slots);
	l->slot_mem = malloc((size_t)l->nslots * l->per * sizeof *l->slot_mem + 1);
	l->th = calloc((size_t)n, sizeof *l->th);
	if (!l->slots || !l->slot_mem || !l->th) {
		free(l->th);
		l->th = NULL;
		return -1;
	}
	for (int64_t i = 0; i < l->nslots; i++)
		l->slots[i].x = l->slot_mem + (size_t)i * l->per;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->work, NULL);
	pthread_cond_init(&l->done, NULL);
	l->claim = l->cur;
	for (l->nworkers = 0; l->nworkers < n; l->nworkers++)
		if (pthread_create(&l->th[l->nworkers], NULL, worker, l))
			break;
	if (l->nworkers == 0) {                 /* no thread at all: decode in the caller */
		free(l->th);
		l->th = NULL;
		pthread_cond_destroy(&l->work);
		pthread_cond_destroy(&l->done);
		pthread_mutex_destroy(&l->mu);
	}
	return 0;
}

/* batch_stride > 1: keep the samples of batches b % stride == offset of the
 * full order, in order, with their positions in it (the augmentation
 * stream stays that of the full order). */
static int keep_strided(struct nrt_loader *l)
{
	int64_t B = l->a.batch, S = l->a.batch_stride, m = 0;
	l->pos = malloc(((size_t)l->n + 1) * sizeof *l->pos);
	if (!l->pos)
		return -1;
	for (int64_t k = 0; k < l->n; k++) {
		if ((k / B) % S != l->a.batch_offset)
			continue;
		l->order[m] = l->order[k];
		l->pos[m++] = k;
	}
	l->n = m;
	return 0;
}

struct nrt_loader *nrt_loader_start_args(struct nrt_data *d, const struct nrt_loader_args *a,
					 char *err, size_t errlen)
{
	struct nrt_loader *l;

	if ((unsigned)a->split >= NRT_NSPLITS || a->batch < 1 || a->start_batch < 0 ||
	    a->batch_stride < 0 || a->batch_offset < 0 ||
	    (a->batch_stride > 1 ? a->batch_offset >= a->batch_stride : a->batch_offset != 0)) {
		nrt_errf(err, errlen, "loader: bad arguments (split %d, batch %lld, start %lld, "
			 "batch stride %lld, offset %lld)", (int)a->split, (long long)a->batch,
			 (long long)a->start_batch, (long long)a->batch_stride,
			 (long long)a->batch_offset);
		return NULL;
	}
	l = calloc(1, sizeof *l);
	if (!l) {
		nrt_errf(err, errlen, "loader: out of memory");
		return NULL;
	}
	l->d = d;
	l->a = *a;
	if (l->a.tail == NRT_TAIL_DEFAULT)
		l->a.tail = a->train ? NRT_TAIL_DROP : NRT_TAIL_PAD;
	if (l->a.target == NRT_TARGET_AUTO)
		l->a.target = d->multi_label ? NRT_TARGET_MULTIHOT : NRT_TARGET_INDEX;
	if (d->multi_label && l->a.target != NRT_TARGET_MULTIHOT) {
		nrt_errf(err, errlen, "loader: multi-label data give multi-hot targets only");
		free(l);
		return NULL;
	}
	l->per = (size_t)d->out_c * (size_t)d->out_h * (size_t)d->out_w;
	l->order = nrt_data_epoch_order(d, a->split, a->seed, a->epoch, a->train, &l->n);
	if (!l->order) {
		nrt_errf(err, errlen, "loader: out of memory");
		free(l);
		return NULL;
	}
	if (a->batch_stride > 1 && keep_strided(l)) {
		nrt_errf(err, errlen, "loader: out of memory");
		nrt_loader_free(l);
		return NULL;
	}
	l->bad_limit = (int64_t)(d->opts.max_bad_fraction * (double)l->n);
	l->cur = a->start_batch * a->batch;
	if (l->cur > l->n)
		l->cur = l->n;
	if (d->workers > 0 && l->cur < l->n && start_workers(l, d->workers)) {
		nrt_errf(err, errlen, "loader: out of memory");
		nrt_loader_free(l);
		return NULL;
	}
	return l;
}

struct nrt_loader *nrt_loader_start(struct nrt_data *d, enum nrt_split s, int64_t batch,
				    uint64_t seed, int64_t epoch, bool train, char *err,
				    size_t errlen)
{
	struct nrt_loader_args a = { .split = s, .batch = batch, .seed = seed, .epoch = epoch,
				     .train = train };
	return nrt_loader_start_args(d, &a, err, errlen);
}

int64_t nrt_loader_batches(const struct nrt_loader *l)
{
	int64_t b = l->a.batch;
	return l->a.tail == NRT_TAIL_PAD ? (l->n + b - 1) / b : l->n / b;
}

int64_t nrt_loader_skipped(const struct nrt_loader *l)
{
	return l->skipped;
}

const char *nrt_loader_skip_message(const struct nrt_loader *l, int i)
{
	return i >= 0 && i < l->nmsgs ? l->msgs[i] : NULL;
}

static void write_target(const struct nrt_loader *l, void *target, int64_t i, int64_t index)
{
	const struct nrt_data *d = l->d;
	int nc = d->list.nclasses;
	switch (l->a.target) {
	case NRT_TARGET_INDEX:
		((int32_t *)target)[i] = index < 0 ? 0 : d->list.label[index];
		break;
	case NRT_TARGET_INDEX_FLOAT:
		((float *)target)[i] = index < 0 ? 0.0f : (float)d->list.label[index];
		break;
	default:
		for (int c = 0; c < nc; c++)
			((float *)target)[i * nc + c] =
				index < 0 ? 0.0f : (float)d->list.hot[(size_t)index * (size_t)nc + c];
		break;
	}
}

/* A bad sample k with message msg: count it, keep the message, decide. */
static int bad_sample(struct nrt_loader *l, const char *msg, char *err, size_t errlen)
{
	l->skipped++;
	if (l->nmsgs < MAX_MSGS)
		snprintf(l->msgs[l->nmsgs++], MSG_LEN, "%s", msg);
	if (l->d->opts.strict) {
		l->failed = true;
		return nrt_errf(err, errlen, "%s", msg);
	}
	if (l->skipped > l->bad_limit) {
		l->failed = true;
		return nrt_errf(err, errlen, "%lld bad samples of %lld in the %s split (more than "
				"%g%%); the first: %s", (long long)l->skipped, (long long)l->n,
				nrt_split_name(l->a.split), 100.0 * l->d->opts.max_bad_fraction,
				l->msgs[0]);
	}
	return 0;
}

int nrt_loader_next(struct nrt_loader *l, float *x, void *target, int64_t *valid, char *err,
		    size_t errlen)
{
	int64_t B = l->a.batch, filled = 0;
	char msg[MSG_LEN];

	*valid = 0;
	if (l->failed)
		return nrt_errf(err, errlen, "loader: a previous batch failed");
	while (filled < B && l->cur < l->n) {
		int64_t k = l->cur;
		float *dst = x + (size_t)filled * l->per;
		int rc;

		if (l->th) {
			struct slot *s = &l->slots[k % l->nslots];
			pthread_mutex_lock(&l->mu);
			while (!(s->k == k && (s->state == SLOT_OK || s->state == SLOT_BAD)))
				pthread_cond_wait(&l->done, &l->mu);
			pthread_mutex_unlock(&l->mu);
			rc = s->state == SLOT_BAD;
			if (rc)
				snprintf(msg, sizeof msg, "%s", s->msg);
			else
				memcpy(dst, s->x, l->per * sizeof *dst);
			pthread_mutex_lock(&l->mu);
			s->state = SLOT_FREE;
			l->cur = k + 1;
			pthread_cond_broadcast(&l->work);
			pthread_mutex_unlock(&l->mu);
		} else {
			rc = load(l, k, &l->ia, &l->ib, dst, msg, sizeof msg);
			l->cur = k + 1;
		}
		if (rc) {
			if (bad_sample(l, msg, err, errlen))
				return -1;
			continue;
		}
		write_target(l, target, filled, l->order[k]);
		filled++;
	}
	if (filled == 0 || (filled < B && l->a.tail == NRT_TAIL_DROP))
		return 1;
	for (int64_t i = filled; i < B; i++) {                /* the padded tail */
		memset(x + (size_t)i * l->per, 0, l->per * sizeof *x);
		write_target(l, target, i, -1);
	}
	*valid = filled;
	return 0;
}

void nrt_loader_free(struct nrt_loader *l)
{
	if (!l)
		return;
	stop_workers(l);
	free(l->slots);
	free(l->slot_mem);
	free(l->th);
	free(l->order);
	free(l->pos);
	nrt_img_free(&l->ia);
	nrt_img_free(&l->ib);
	free(l);
}
