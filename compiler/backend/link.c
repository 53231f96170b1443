/* link.c - netc build's last steps: the backend's object in a temporary
 * file, then `cc OBJ DIR/driver/main.o DIR/libnetrt.a LIBS
 * -o OUT`.  DIR, the runtime, is $NETC_RUNTIME_DIR, else the build tree's
 * runtime/ (netc run from its build), else the installed one.  The
 * compiler is $CC or the one netc was configured with. */
#include "backend.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#ifndef NETC_BUILD_RUNTIME_DIR
#define NETC_BUILD_RUNTIME_DIR ""
#endif
#ifndef NETC_RUNTIME_LIBDIR
#define NETC_RUNTIME_LIBDIR "/usr/local/lib/netc"
#endif
#ifndef NETC_LINK_CC
#define NETC_LINK_CC "cc"
#endif
#ifndef NETC_LINK_LIBS
#define NETC_LINK_LIBS "-lopenblas"
#endif

static bool has_runtime(const char *dir, char *lib, char *drv, size_t n)
{
	snprintf(lib, n, "%s/libnetrt.a", dir);
	snprintf(drv, n, "%s/driver/main.o", dir);
	return access(lib, R_OK) == 0 && access(drv, R_OK) == 0;
}

/* The runtime's library and driver object; false after a diagnostic. */
static bool find_runtime(char *lib, char *drv, size_t n, struct diag_ctx *D)
{
	const char *env = getenv("NETC_RUNTIME_DIR");
	if (env && *env) {
		if (has_runtime(env, lib, drv, n))
			return true;
		diag_error(D, loc_none(), "NETC_RUNTIME_DIR=%s has no libnetrt.a and driver/main.o", env);
		return false;
	}
	if (*NETC_BUILD_RUNTIME_DIR && has_runtime(NETC_BUILD_RUNTIME_DIR, lib, drv, n))
		return true;
	if (has_runtime(NETC_RUNTIME_LIBDIR, lib, drv, n))
		return true;
	diag_error(D, loc_none(), "the netc runtime (libnetrt.a, driver/main.o) is not in %s%s%s; "
		   "set NETC_RUNTIME_DIR", *NETC_BUILD_RUNTIME_DIR ? NETC_BUILD_RUNTIME_DIR : "",
		   *NETC_BUILD_RUNTIME_DIR ? " nor in " : "", NETC_RUNTIME_LIBDIR);
	return false;
}

/* Split s on blanks into v (at most max - 1 words); the words point into s. */
static int split(char *s, char **v, int max)
{
	int n = 0;
	for (char *t = strtok(s, " \t"); t && n < max - 1; t = strtok(NULL, " \t"))
		v[n++] = t;
	return n;
}

static int run_linker(char **argv, struct diag_ctx *D)
{
	pid_t pid;
	int status, e = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (e) {
		diag_error(D, loc_none(), "cannot run the linker '%s': %s", argv[0], strerror(e));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			diag_error(D, loc_none(), "waiting for the linker: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		diag_error(D, loc_none(), "the linker '%s' failed (exit status %d)", argv[0],
			   WEXITSTATUS(status));
	else
		diag_error(D, loc_none(), "the linker '%s' was killed by signal %d", argv[0],
			   WTERMSIG(status));
	return -1;
}

int backend_build_executable(const struct backend *B, const struct tprog *P,
			     const struct backend_opts *o, const char *out, struct diag_ctx *D)
{
	char lib[4096], drv[4096], obj[4096], cc[1024], libs[2048], *argv[64];
	const char *tmp = getenv("TMPDIR");
	struct backend_opts oo = *o;
	int fd, n = 0, rc;

	if (!find_runtime(lib, drv, sizeof lib, D))
		return -1;
	snprintf(obj, sizeof obj, "%s/netc-XXXXXX.o", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemps(obj, 2);
	if (fd < 0) {
		diag_error(D, loc_none(), "cannot create a temporary object file %s: %s", obj,
			   strerror(errno));
		return -1;
	}
	close(fd);
	oo.output = BO_OBJECT;
	oo.out_path = obj;
	rc = B->emit_program(P, &oo, D);
	if (rc == 0) {
		snprintf(cc, sizeof cc, "%s", getenv("CC") && *getenv("CC") ? getenv("CC") : NETC_LINK_CC);
		snprintf(libs, sizeof libs, "%s", NETC_LINK_LIBS);
		n = split(cc, argv, 8);
		argv[n++] = obj;
		argv[n++] = drv;
		argv[n++] = lib;
		n += split(libs, argv + n, 40);
		argv[n++] = "-o";
		argv[n++] = (char *)out;
		argv[n] = NULL;
		rc = run_linker(argv, D);
	}
	unlink(obj);
	return rc;
}
