/* pool.c - the static-partition thread pool of pool.h, on pthreads.
 *
 * One job at a time: the caller publishes (n, body, ctx) under the mutex,
 * bumps the generation counter and wakes the workers; worker w runs chunk
 * w, the caller chunk 0, and the caller sleeps until the count of workers
 * still running drops to zero.  Workers remember the last generation they
 * ran, so a broadcast that arrives early or twice is harmless.  A
 * condition variable rather than spinning: the kernels run for
 * milliseconds, so the few microseconds of a wake-up do not matter, and
 * idle workers must not eat the CPU that the rest of the program wants. */
#define _POSIX_C_SOURCE 200809L

#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

struct nrt_pool {
	int threads;                   /* chunks per job, the caller included */
	int started;                   /* workers actually created */
	pthread_t *tid;                /* threads - 1 workers */
	pthread_mutex_t mu;            /* guards everything below */
	pthread_cond_t go;             /* a new job or quit, for the workers */
	pthread_cond_t done;           /* running dropped to zero, for the caller */
	pthread_mutex_t busy;          /* held by the caller of the job in flight */
	uint64_t gen;                  /* job number, bumped per job */
	int running;                   /* workers not yet done with job gen */
	int quit;
	int64_t n;                     /* the job */
	nrt_body_fn *body;
	void *ctx;
};

struct worker_arg {
	struct nrt_pool *p;
	int id;                        /* its chunk, 1 .. threads - 1 */
};

/* Set while this thread runs a body: a nested call must not wait for
 * workers that may be the ones waiting for it. */
static _Thread_local int in_body;

void nrt_split(int64_t n, int64_t parts, int64_t part, int64_t *begin, int64_t *end)
{
	/* q and r rather than n * part / parts: no overflow for any n */
	int64_t q = n / parts, r = n % parts;
	*begin = part * q + (part < r ? part : r);
	*end = *begin + q + (part < r);
}

static void run_chunk(int64_t n, int parts, int part, nrt_body_fn *body, void *ctx)
{
	int64_t b, e;
	nrt_split(n, parts, part, &b, &e);
	if (b < e)
		body(ctx, b, e);
}

static void *worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct nrt_pool *p = wa->p;
	int id = wa->id;
	uint64_t seen = 0;

	free(wa);
	in_body = 1;    /* whatever a worker runs is inside a body */
	pthread_mutex_lock(&p->mu);
	for (;;) {
		int64_t n;
		nrt_body_fn *body;
		void *ctx;

		while (p->gen == seen && !p->quit)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit)
			break;
		seen = p->gen;
		n = p->n;
		body = p->body;
		ctx = p->ctx;
		pthread_mutex_unlock(&p->mu);
		run_chunk(n, p->threads, id, body, ctx);
		pthread_mutex_lock(&p->mu);
		if (--p->running == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Join the workers started so far and free everything. */
static void pool_destroy(struct nrt_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->started; i++)
		pthread_join(p->tid[i], NULL);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->busy);
	free(p->tid);
	free(p);
}

struct nrt_pool *nrt_pool_new(int threads)
{
	struct nrt_pool *p = calloc(1, sizeof *p);
	sigset_t all, old;
	int err = 0;

	if (!p)
		return NULL;
	p->threads = threads > 1 ? threads : 1;
	if (p->threads > 1) {
		p->tid = calloc((size_t)p->threads - 1, sizeof *p->tid);
		if (!p->tid) {
			free(p);
			errno = ENOMEM;
			return NULL;
		}
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->busy, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	/* Workers inherit the signal mask: block everything while creating
	 * them so that signals (SIGINT to stop training) reach the program's
	 * own threads, not a worker in the middle of a kernel. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 1; i < p->threads; i++) {
		struct worker_arg *wa = malloc(sizeof *wa);
		if (!wa) {
			err = ENOMEM;
			break;
		}
		wa->p = p;
		wa->id = i;
		err = pthread_create(&p->tid[i - 1], NULL, worker, wa);
		if (err) {
			free(wa);
			break;
		}
		p->started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pool_destroy(p);
		errno = err;
		return NULL;
	}
	return p;
}

void nrt_pool_free(struct nrt_pool *p)
{
	if (p)
		pool_destroy(p);
}

int nrt_pool_threads(const struct nrt_pool *p)
{
	return p ? p->threads : 1;
}

void nrt_parallel_for(struct nrt_pool *p, int64_t n, nrt_body_fn *body, void *ctx)
{
	if (n <= 0)
		return;
	/* Inline: no workers, a nested call, or another thread's job in
	 * flight (waiting for it could deadlock if that thread waits on us).
	 * One call over the whole range, which a body must accept anyway. */
	if (!p || p->threads == 1 || n == 1 || in_body || pthread_mutex_trylock(&p->busy)) {
		int outer = in_body;
		in_body = 1;
		body(ctx, 0, n);
		in_body = outer;
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->n = n;
	p->body = body;
	p->ctx = ctx;
	p->running = p->threads - 1;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);

	in_body = 1;
	run_chunk(n, p->threads, 0, body, ctx);
	in_body = 0;

	pthread_mutex_lock(&p->mu);
	while (p->running > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	pthread_mutex_unlock(&p->busy);
}
