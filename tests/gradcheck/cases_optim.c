/* cases_optim.c - optimizer steps against values computed by
 * torch.optim (PyTorch 1.13.1, float64) for three steps from
 *   param = [1, -0.5, 0.25],  grad at step t = [0.1 t, -0.2, 0.3 / t].
 * A check by hand of the first Adam step without weight decay: m = 0.1 g,
 * v = 0.001 g^2, so m / (1 - 0.9) = g and v / (1 - 0.999) = g^2, and
 * param -= lr g / (|g| + eps): 1 - 0.1 * 0.1 / (0.1 + 1e-8) = 0.90000001. */
#include "gc.h"

#include <math.h>
#include <string.h>

#include "ref.h"

enum { NP = 3, NSTEP = 3 };

enum opt { SGD, ADAM, ADADELTA, RMSPROP };

struct opt_case {
	const char *name;
	enum opt o;
	struct nrt_sgd_desc sgd;
	struct nrt_adam_desc adam;
	struct nrt_adadelta_desc adadelta;
	struct nrt_rmsprop_desc rmsprop;
	double want[NSTEP][NP];   /* param after each step */
};

static const struct opt_case cases[] = {
	{ "sgd lr 0.1 wd 0.01", SGD, .sgd = { 0.1, 0, 0, 0.01, 0 }, .want = {
		{ 0.98899999999999999, -0.47949999999999998, 0.21975 },
		{ 0.96801099999999995, -0.4590205, 0.20453025 },
		{ 0.93704298899999994, -0.43856147950000002, 0.19432571974999999 } } },
	{ "sgd momentum 0.9 wd 0.01", SGD, .sgd = { 0.1, 0.9, 0, 0.01, 0 }, .want = {
		{ 0.98899999999999999, -0.47949999999999998, 0.21975 },
		{ 0.95811099999999993, -0.44057049999999998, 0.17730525 },
		{ 0.89935278899999993, -0.38509337949999994, 0.12892766975 } } },
	{ "sgd momentum 0.9 dampening 0.1", SGD, .sgd = { 0.1, 0.9, 0.1, 0, 0 }, .want = {
		{ 0.98999999999999999, -0.47999999999999998, 0.22 },
		{ 0.96299999999999997, -0.44399999999999995, 0.17949999999999999 },
		{ 0.91169999999999995, -0.39359999999999995, 0.13405 } } },
	{ "sgd nesterov 0.9 wd 0.01", SGD, .sgd = { 0.1, 0.9, 0, 0.01, 1 }, .want = {
		{ 0.97909999999999997, -0.46105000000000002, 0.192525 },
		{ 0.93032970999999998, -0.40556900500000004, 0.13915670250000001 },
		{ 0.84655001255099993, -0.33528047339050004, 0.085534109515249993 } } },
	{ "adam lr 0.01 wd 0.01", ADAM, .adam = { 0.01, 0.9, 0.999, 1e-8, 0.01 }, .want = {
		{ 0.99000000090909079, -0.49000000048780484, 0.2400000003305785 },
		{ 0.98029911010876469, -0.48000012845391737, 0.23066713791546187 },
		{ 0.97066980636839284, -0.47000046864883982, 0.22191289812129047 } } },
	{ "adam lr 0.1", ADAM, .adam = { 0.1, 0.9, 0.999, 1e-8, 0 }, .want = {
		{ 0.90000000999999896, -0.40000000499999977, 0.15000000333333322 },
		{ 0.80348181352125303, -0.30000001000000021, 0.056782043383197256 },
		{ 0.70768169554484261, -0.20000001499999998, -0.030533805128354172 } } },
	{ "adadelta lr 1 rho 0.9 wd 0.01", ADADELTA, .adadelta = { 1.0, 0.9, 1e-6, 0.01 }, .want = {
		{ 0.99683902825674053, -0.4968380985103748, 0.24683789511592605 },
		{ 0.99283543162466781, -0.49359430325920101, 0.24473979693675438 },
		{ 0.98802781671494311, -0.49029447341385451, 0.24321435910552741 } } },
	{ "rmsprop lr 0.01 wd 0.01", RMSPROP, .rmsprop = { 0.01, 0.99, 1e-8, 0, 0.01 }, .want = {
		{ 0.90000009090900834, -0.40000004878046408, 0.15000003305784038 },
		{ 0.81141217159263945, -0.32928461582411517, 0.10503949648609753 },
		{ 0.73186746675974768, -0.27148724034199623, 0.076181998253487995 } } },
	{ "rmsprop alpha 0.9 momentum 0.9", RMSPROP, .rmsprop = { 0.01, 0.9, 1e-8, 0.9, 0 }, .want = {
		{ 0.96837723339831305, -0.46837722839831541, 0.21837722673164919 },
		{ 0.91134531896699833, -0.41697516320132172, 0.17517253662391896 },
		{ 0.83411021020840936, -0.35150383760916321, 0.126442190615558 } } },
};

/* Run one case in float64 and float32: the worst errors relative to
 * max(1, |want|) into *w64 and *w32; returns 1 when float64 is within
 * 1e-12 and float32 within 1e-5 of PyTorch at every step. */
static int run(const struct opt_case *c, double *w64, double *w32)
{
	double p64[NP] = { 1, -0.5, 0.25 }, g64[NP], s1[NP] = { 0 }, s2[NP] = { 0 };
	float p32[NP] = { 1, -0.5f, 0.25f }, g32[NP], t1[NP] = { 0 }, t2[NP] = { 0 };
	int ok = 1;

	*w64 = *w32 = 0;
	for (int t = 1; t <= NSTEP; t++) {
		g64[0] = 0.1 * t;
		g64[1] = -0.2;
		g64[2] = 0.3 / t;
		for (int i = 0; i < NP; i++)
			g32[i] = (float)g64[i];
		switch (c->o) {
		case SGD:
			nrt_ref_sgd_step_f64(&c->sgd, t, NP, p64, g64, s1);
			nrt_ref_sgd_step_f32(&c->sgd, t, NP, p32, g32, t1);
			break;
		case ADAM:
			nrt_ref_adam_step_f64(&c->adam, t, NP, p64, g64, s1, s2);
			nrt_ref_adam_step_f32(&c->adam, t, NP, p32, g32, t1, t2);
			break;
		case ADADELTA:
			nrt_ref_adadelta_step_f64(&c->adadelta, NP, p64, g64, s1, s2);
			nrt_ref_adadelta_step_f32(&c->adadelta, NP, p32, g32, t1, t2);
			break;
		case RMSPROP:
			nrt_ref_rmsprop_step_f64(&c->rmsprop, NP, p64, g64, s1, s2);
			nrt_ref_rmsprop_step_f32(&c->rmsprop, NP, p32, g32, t1, t2);
			break;
		}
		for (int i = 0; i < NP; i++) {
			double want = c->want[t - 1][i], den = fmax(1, fabs(want));
			double e64 = fabs(p64[i] - want) / den;
			double e32 = fabs((double)p32[i] - want) / den;
			if (!(e64 <= 1e-12) || !(e32 <= 1e-5)) {
				ok = 0;
				printf("FAIL optim: %s: step %d param[%d]: float64 %.17g, float32 %.9g, "
				       "PyTorch %.17g\n", c->name, t, i, p64[i], (double)p32[i], want);
			}
			*w64 = fmax(*w64, e64);
			*w32 = fmax(*w32, e32);
		}
	}
	return ok;
}

void gc_optim_cases(struct gc_report *rep)
{
	for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
		double e64, e32;
		int ok = run(&cases[i], &e64, &e32);
		gc_count(rep, "optim", ok, e64, e32);
	}
}
