/* fake_prog.h - a struct netrt_program made by hand (what netc build would
 * emit for a small conv / batchnorm / dense network), its regions, and a
 * seeded fill, for the checkpoint tests without the compiler. */
#ifndef FAKE_PROG_H
#define FAKE_PROG_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netrt.h"

static const struct netrt_param fake_params[] = {
	{ "conv_1.weight", NETRT_PARAM, 4, { 4, 3, 3, 3 }, 0, 108, 1 },
	{ "conv_1.bias", NETRT_PARAM, 1, { 4 }, 108, 4, 1 },
	{ "bn_1.running_mean", NETRT_STATE, 1, { 4 }, 0, 4, 0 },
	{ "bn_1.running_var", NETRT_STATE, 1, { 4 }, 4, 4, 0 },
	{ "dense_1.weight", NETRT_PARAM, 2, { 10, 4 }, 112, 40, 1 },
	{ "dense_1.bias", NETRT_PARAM, 1, { 10 }, 152, 10, 1 },
};

/* The program with every region size scaled by `scale` floats of extra
 * OPT (so a test can make files of a few MB). */
static inline struct netrt_program fake_program(int64_t opt_extra)
{
	struct netrt_program p;
	memset(&p, 0, sizeof p);
	p.abi_version = NETRT_ABI_VERSION;
	p.target_kind = NETRT_TARGET_CLASS;
	p.batch = 2;
	p.classes = 10;
	p.region_size[NETRT_PARAM] = 162;
	p.region_size[NETRT_STATE] = 8;
	p.region_size[NETRT_OPT] = 2 * 162 + opt_extra;
	p.nparams = (int32_t)(sizeof fake_params / sizeof fake_params[0]);
	p.params = fake_params;
	p.name = "fake_net";
	return p;
}

struct fake_regions {
	void *r[NETRT_NREGIONS];
};

static inline uint64_t fake_mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Regions of p, the checkpointed ones filled from seed (NULL on ENOMEM). */
static inline int fake_alloc(const struct netrt_program *p, struct fake_regions *f)
{
	for (int r = 0; r < NETRT_NREGIONS; r++) {
		f->r[r] = calloc((size_t)(p->region_size[r] > 0 ? p->region_size[r] : 1), 4);
		if (!f->r[r])
			return -1;
	}
	return 0;
}

static inline void fake_fill(const struct netrt_program *p, struct fake_regions *f, uint64_t seed)
{
	static const int rs[] = { NETRT_PARAM, NETRT_STATE, NETRT_OPT };
	uint64_t s = seed;
	for (int k = 0; k < 3; k++) {
		float *x = f->r[rs[k]];
		for (int64_t i = 0; i < p->region_size[rs[k]]; i++)
			x[i] = (float)((int64_t)(fake_mix(&s) >> 40) - (1 << 23)) * 0x1p-20f;
	}
}

static inline void fake_free(struct fake_regions *f)
{
	for (int r = 0; r < NETRT_NREGIONS; r++)
		free(f->r[r]);
}

/* The checkpointed regions of a and b are bitwise equal. */
static inline int fake_equal(const struct netrt_program *p, const struct fake_regions *a,
			     const struct fake_regions *b)
{
	static const int rs[] = { NETRT_PARAM, NETRT_STATE, NETRT_OPT };
	for (int k = 0; k < 3; k++)
		if (memcmp(a->r[rs[k]], b->r[rs[k]], (size_t)p->region_size[rs[k]] * 4) != 0)
			return 0;
	return 1;
}

#endif
