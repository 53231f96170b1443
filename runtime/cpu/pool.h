/* pool.h - the thread pool that generated training programs run their
 * heavy kernels on.
 *
 * The pool is made once at start-up with a fixed number of threads (the
 * caller counts as one: threads - 1 workers are created once and reused
 * by every call; they sleep on a condition variable in between).
 * nrt_parallel_for splits [0, n) STATICALLY into one contiguous chunk per
 * thread, chunk t of T being
 *   [t * q + min(t, r), (t + 1) * q + min(t + 1, r)),  q = n / T, r = n % T
 * (the caller runs chunk 0), so which thread handles an index depends on
 * n and T only, never on timing: a body whose iterations write disjoint
 * outputs is bitwise reproducible.  (The kernels of conv.h and dense.h go
 * further and give the same bits for every thread count.)
 *
 * A body that calls nrt_parallel_for again, on any pool, has that range
 * run inline on its own thread, and so does a call on a pool that another
 * thread is using at that moment: nesting never deadlocks.  Nothing here
 * exits or aborts; the only failure, at creation, is returned. */
#ifndef NRT_POOL_H
#define NRT_POOL_H

#include <stdint.h>

struct nrt_pool;

/* A loop body: handle indices [begin, end); ctx is the caller's pointer. */
typedef void nrt_body_fn(void *ctx, int64_t begin, int64_t end);

/* A pool of `threads` threads (<= 1: none, calls run inline); NULL, errno set, on failure. */
struct nrt_pool *nrt_pool_new(int threads);
/* Stop and join the workers, free the pool (NULL: nothing); never from inside a body. */
void nrt_pool_free(struct nrt_pool *p);
/* The number of chunks nrt_parallel_for splits into, the caller included (NULL: 1). */
int nrt_pool_threads(const struct nrt_pool *p);
/* Run body over [0, n) in static chunks, one per thread, and wait for all (n <= 0: none). */
void nrt_parallel_for(struct nrt_pool *p, int64_t n, nrt_body_fn *body, void *ctx);
/* Chunk `part` of [0, n) cut into `parts` pieces, exactly as nrt_parallel_for cuts. */
void nrt_split(int64_t n, int64_t parts, int64_t part, int64_t *begin, int64_t *end);

#endif
