/* ckpt_kill.c - checkpoints survive kill -9 (run by tests/train_rt/kill.sh).
 *
 *   ckpt_kill DIR [KILLS [SEED]]
 *
 * A child process writes checkpoints of a 4 MB program in a loop through
 * the policy (PREFIX-epochN, then PREFIX-last as a hard link renamed into
 * place), version after version, each filled from its version number and
 * carrying it in the metadata, and reports each finished save on a pipe.
 * The parent kills it with SIGKILL after a random delay (seeded; spread
 * over a few save times, so many kills land inside a write), then checks
 * that PREFIX-last loads (header, shapes, checksum), holds exactly the data
 * of the version its metadata names, and that this version is the last
 * one reported finished or the one being written after it (never older:
 * a finished save is durable).  The next child goes on in the same
 * folder, as a restarted training run would.  Exit 0 on success. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "fake_prog.h"
#include "train_rt.h"

enum { OPT_EXTRA = 1 << 20 };  /* + ~500 floats: a file of 4 MB */

static char errbuf[1024];

/* The child: save versions first, first + 1, ... until killed. */
static void writer(const char *dir, int64_t first, int fd)
{
	struct netrt_program p = fake_program(OPT_EXTRA);
	struct fake_regions f;
	struct nrt_ckpt_meta m;
	char cfgtext[1024];
	snprintf(cfgtext, sizeof cfgtext, "{\"kind\":\"every\",\"epochs\":1,\"to\":\"%s/k\","
		 "\"keep_best\":\"none\",\"keep_last\":2}", dir);
	cJSON *cfg = cJSON_Parse(cfgtext);
	struct nrt_ckpt_policy *pol = nrt_ckpt_policy_new(cfg, NULL, "k", errbuf, sizeof errbuf);
	if (!pol || fake_alloc(&p, &f)) {
		fprintf(stderr, "writer: %s\n", errbuf);
		_exit(2);
	}
	for (int64_t v = first;; v++) {
		fake_fill(&p, &f, (uint64_t)v);
		nrt_ckpt_meta_init(&m);
		m.epoch = v;
		m.program_hash = 0xc0ffee;
		nrt_ckpt_meta_set(&m, "version", "%lld", (long long)v);
		int rc = nrt_ckpt_policy_epoch_end(pol, &p, f.r, &m, NULL, 0, NULL, errbuf,
						   sizeof errbuf);
		if (rc) {
			fprintf(stderr, "writer: %s\n", errbuf);
			_exit(3);
		}
		if (write(fd, &v, sizeof v) != (ssize_t)sizeof v)
			_exit(4);
	}
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
	return fake_mix(&rng_state);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Is there a temporary file (a write the kill interrupted)? */
static int has_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)))
		n += strstr(e->d_name, ".tmp.") != NULL;
	if (d)
		closedir(d);
	return n > 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [KILLS [SEED]]\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	int kills = argc > 2 ? atoi(argv[2]) : 100;
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 20240601;
	struct netrt_program p = fake_program(OPT_EXTRA);
	struct fake_regions f, want;
	struct nrt_ckpt_meta m;
	char last[600];
	snprintf(last, sizeof last, "%s/k-last.safetensors", dir);
	if (fake_alloc(&p, &f) || fake_alloc(&p, &want))
		return 2;

	/* How long one save takes here, to spread the kill moments over it. */
	double t0 = now();
	for (int i = 0; i < 3; i++) {
		char path[600];
		snprintf(path, sizeof path, "%s/calibrate.safetensors", dir);
		nrt_ckpt_meta_init(&m);
		if (nrt_ckpt_save(path, &p, f.r, &m, errbuf, sizeof errbuf)) {
			fprintf(stderr, "%s\n", errbuf);
			return 1;
		}
		unlink(path);
	}
	double save_s = (now() - t0) / 3;
	long span_us = (long)(save_s * 4e6) + 2000;
	printf("ckpt_kill: %d kills, one save of %.1f MB takes %.1f ms here, delays in [0, %.1f] ms\n",
	       kills, (double)(4 * (p.region_size[NETRT_PARAM] + p.region_size[NETRT_STATE] +
				   p.region_size[NETRT_OPT])) / 1e6, save_s * 1e3, span_us / 1e3);

	int64_t floor_v = 0, next_first = 1;
	int failures = 0, with_tmp = 0, none_yet = 0;
	long long saves = 0;
	for (int k = 0; k < kills; k++) {
		int pfd[2];
		if (pipe(pfd))
			return 2;
		int64_t first = next_first;
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0) {
			close(pfd[0]);
			writer(dir, first, pfd[1]);
		}
		close(pfd[1]);
		/* Kill at a random moment: the first kills early (before any save
		 * finished), then anywhere over about four save times. */
		long us = k < 3 ? (long)(rnd() % 2000) : (long)(rnd() % (uint64_t)span_us);
		usleep((useconds_t)us);
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		if (!WIFSIGNALED(status)) {
			fprintf(stderr, "kill %d: the writer exited by itself (status %d)\n", k, status);
			failures++;
		}
		int64_t v, done = 0;
		while (read(pfd[0], &v, sizeof v) == (ssize_t)sizeof v)
			done = v;
		close(pfd[0]);
		saves += done ? done - first + 1 : 0;
		with_tmp += has_tmp(dir);

		int rc = nrt_ckpt_load(last, &p, f.r, 0xc0ffee, &m, errbuf, sizeof errbuf);
		if (rc == ENOENT && floor_v == 0 && done == 0) {
			none_yet++;
			next_first = first + 1;
			continue;
		}
		if (rc) {
			fprintf(stderr, "kill %d: %s\n", k, errbuf);
			failures++;
			continue;
		}
		const char *vs = nrt_ckpt_meta_get(&m, "version");
		int64_t got = vs ? atoll(vs) : -1;
		fake_fill(&p, &want, (uint64_t)got);
		int lo_ok = got >= (done ? done : floor_v);
		int hi_ok = got == floor_v || (got >= first && got <= (done ? done + 1 : first));
		if (!fake_equal(&p, &f, &want) || !lo_ok || !hi_ok || m.epoch != got) {
			fprintf(stderr, "kill %d: -last holds version %lld (data %s), expected one of "
				"%lld (before) or %lld..%lld (this writer; %lld finished)\n", k,
				(long long)got, fake_equal(&p, &f, &want) ? "match" : "DIFFER",
				(long long)floor_v, (long long)first,
				(long long)(done ? done + 1 : first), (long long)done);
			failures++;
		}
		floor_v = got;
		next_first = (done > got ? done : got) + 2;
	}
	printf("ckpt_kill: %lld saves finished, %d kills left a temporary file (inside a write), "
	       "%d before any checkpoint, %d failures\n", saves, with_tmp, none_yet, failures);
	fake_free(&f);
	fake_free(&want);
	return failures ? 1 : 0;
}
