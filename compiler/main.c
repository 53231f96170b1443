/* main.c - the netc command line: check, summary, graph, build, emit-llvm,
 * run (JIT) and repl.  This is the only
 * place that decides the exit status: 0 fine, 1 errors in the input, 2 a
 * usage error. */
#include "config.h"

#include <getopt.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "diag.h"
#include "graph.h"
#include "sema.h"
#include "train/tprog.h"
#include "passes/passes.h"
#include "passes/progpasses.h"
#include "backend/backend.h"
#include "program.h"
#ifndef NETC_NO_BACKEND
#include "jit/jit.h"
#include "repl/repl.h"
#endif

/* Two programs are built from this file: netc, the front end, and
 * netc-cg, which also links the LLVM backend.  netc hands code generation
 * (build, emit-llvm) to netc-cg, so that checking a file never loads
 * libLLVM (fast start-up, and cheap under valgrind). */
#ifndef NETC_CG_DIR
#define NETC_CG_DIR "/usr/local/libexec/netc"
#endif

#ifndef NETC_STDLIB_DIR
#define NETC_STDLIB_DIR "/usr/local/share/netc/stdlib"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1"
#endif

enum { EXIT_INPUT = 1, EXIT_USAGE = 2 };

struct cmd {
	const char *name;
	const char *args;
	const char *help;
};

static const struct cmd cmds[] = {
	{ "check", "FILE", "parse, resolve and shape-check FILE; print diagnostics" },
	{ "summary", "FILE [NAME]", "print a table of layers, output shapes, parameters and MACs" },
	{ "graph", "FILE [NAME] -o OUT", "write the network as Graphviz (.dot, or .svg/.png/.pdf through dot)" },
	{ "build", "FILE [TRAIN]", "compile a train section into an executable (-o OUT) or dump its program (--dump-after)" },
	{ "emit-llvm", "FILE [TRAIN]", "print the LLVM IR of a train section's training program" },
	{ "run", "FILE [TRAIN] [-- FLAGS]", "JIT-compile a train section and run it in process, as its built program with FLAGS" },
	{ "repl", "[FILE...]", "an interactive session: define, inspect, evaluate and train networks (JIT)" },
};

static void usage(FILE *out)
{
	fputs("usage: netc COMMAND [options] FILE\n\ncommands:\n", out);
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		fprintf(out, "  %-9s %-23s %s\n", cmds[i].name, cmds[i].args, cmds[i].help);
	fputs("\noptions:\n"
	      "  -I DIR             add DIR to the import search path (before NETC_PATH and the stdlib)\n"
	      "  -o FILE            output file (graph)\n"
	      "  --error-limit N    stop after N errors (default 20; 0 = no limit)\n"
	      "  --dump-ast         print the syntax tree (check)\n"
	      "  --dump-graph       print the graph IR as text (check, summary)\n"
	      "  --dump-after=PASS  build: print the graph after PASS (fold, cse, dce) or the\n"
	      "                     training program after PASS (autodiff, bnfold, fuse, layout)\n"
	      "  --no-opt           build: no graph or program passes, no memory planning\n"
	      "  --world N          the number of ranks `world` evaluates to (default 1)\n"
	      "  --cluster slurm    build: also write OUT.slurm, a batch script for --world N ranks\n"
	      "                     (--tasks-per-node T, default 1)\n"
	      "  -h, --help         this help; `netc COMMAND --help` for one command\n"
	      "  --version          print the version\n"
	      "\nenvironment: NETC_PATH (colon-separated import folders), NETC_STDLIB (the stdlib folder)\n",
	      out);
}

static void cmd_usage(FILE *out, const struct cmd *c)
{
	fprintf(out, "usage: netc %s [options] %s\n\n%s.\n", c->name, c->args, c->help);
	if (strcmp(c->name, "summary") == 0 || strcmp(c->name, "graph") == 0)
		fputs("\nNAME is a network or a train section of FILE (its network).  Without NAME:\n"
		      "the network of the first train section, else the last network of FILE.\n", out);
	if (strcmp(c->name, "graph") == 0)
		fputs("\nOUT ending in .svg, .png or .pdf is rendered with Graphviz `dot`; any other\n"
		      "name gets the .dot text.  -o - writes the .dot text to standard output.\n", out);
	if (strcmp(c->name, "run") == 0) {
		fputs("\nTRAIN is a train section of FILE (default: the first).  Its training program is\n"
		      "compiled as by netc build (the same passes, optimisation level, target cpu and\n"
		      "features), JIT-compiled by LLVM ORC into this process and run by the driver of\n"
		      "a built program: FLAGS after -- are that program's (--steps N, --seed S,\n"
		      "--threads N, --resume, ...; `netc run FILE -- --help` lists them), and so are\n"
		      "its output, checkpoints and exit status.\n"
		      "\noptions: -I DIR, --error-limit N, --batch N, --no-opt, --target-cpu CPU,\n"
		      "  --target-features +F,-G, --world N, --time (print the JIT compile times to\n"
		      "  standard error)\n", out);
		return;
	}
	if (strcmp(c->name, "repl") == 0) {
		fputs("\nFILEs are loaded first (as :load FILE).  :help in the session lists the\n"
		      "commands; docs/repl.md walks through one.  History: $NETC_HISTORY, else\n"
		      "~/.netc_history.  Standard input that is not a terminal is read line by line\n"
		      "with no prompt (scripted sessions).\n"
		      "\noptions: -I DIR, --error-limit N, --batch N, --target-cpu CPU,\n"
		      "  --target-features +F,-G, --world N\n", out);
		return;
	}
	if (strcmp(c->name, "build") == 0 || strcmp(c->name, "emit-llvm") == 0) {
		fputs("\nTRAIN is a train section of FILE (default: the first).  The training program\n"
		      "(autodiff, losses, optimizer, blobs; docs/training.md) is built and compiled\n"
		      "by the LLVM backend: build links it with the runtime into the executable OUT\n"
		      "(docs/runtime-abi.md), emit-llvm prints the optimised IR.  --dump-after prints\n"
		      "the program instead.  Before the program is built, the graph passes simplify\n"
		      "the network (fold: identity ops and reshape chains; cse: common\n"
		      "subexpressions; dce: dead nodes), and after it the program passes rewrite it\n"
		      "(bnfold: batchnorm folded into the conv or dense before it in the inference\n"
		      "lists; fuse: conv/dense + activation, elementwise chains as one loop):\n"
		      "  --dump-after=fold       the graph IR after algebraic simplification\n"
		      "  --dump-after=cse        the graph IR after common-subexpression elimination\n"
		      "  --dump-after=dce        the graph IR after dead-node elimination\n"
		      "  --dump-after=autodiff   the program with the ACT arena not yet laid out\n"
		      "  --dump-after=bnfold     the program after batchnorm folding (inference lists)\n"
		      "  --dump-after=fuse       the program after operator fusion\n"
		      "  --dump-after=layout     the program with every buffer's offset\n", out);
		fputs("\noptions: -I DIR, --error-limit N, -o OUT, --batch N, --target-cpu CPU,\n"
		      "  --target-features +F,-G (default: the host's), --dump-after=PASS,\n"
		      "  --no-opt (no graph passes, no bnfold or fuse; every activation buffer its own\n"
		      "  range: no memory planning), --world N (what `world` is; default 1),\n"
		      "  --cluster slurm (also write OUT.slurm for N ranks; --tasks-per-node T)\n", out);
		return;
	}
	fputs("\noptions: -I DIR, --error-limit N, --dump-graph, -o FILE (graph)\n", out);
}

static bool is_dir(const char *p)
{
	struct stat st;
	return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The stdlib: NETC_STDLIB; next to a netc run from its build tree
 * (compiler/netc -> ../stdlib); the installed one; the source tree's. */
static const char *stdlib_dir(void)
{
	const char *e = getenv("NETC_STDLIB");
	if (e && *e)
		return e;
	static char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 16);
	if (n > 0) {
		buf[n] = 0;
		char *slash = strrchr(buf, '/');
		if (slash && (size_t)(slash - buf) + 12 < sizeof buf) {
			strcpy(slash, "/../stdlib");
			if (is_dir(buf))
				return buf;
		}
	}
	if (is_dir(NETC_STDLIB_DIR))
		return NETC_STDLIB_DIR;
#ifdef NETC_SOURCE_STDLIB_DIR
	if (is_dir(NETC_SOURCE_STDLIB_DIR))
		return NETC_SOURCE_STDLIB_DIR;
#endif
	return NETC_STDLIB_DIR;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Write the .dot text to `out`, rendering through Graphviz when the name
 * asks for an image. */
static int write_graph(const struct graph *g, const char *out)
{
	const char *fmt = ends_with(out, ".svg") ? "svg" : ends_with(out, ".png") ? "png"
			: ends_with(out, ".pdf") ? "pdf" : NULL;
	if (strcmp(out, "-") == 0) {
		graph_dot(stdout, g);
		return 0;
	}
	if (!fmt) {
		FILE *f = fopen(out, "w");
		if (!f) {
			fprintf(stderr, "netc: cannot write '%s': %m\n", out);
			return EXIT_INPUT;
		}
		graph_dot(f, g);
		if (fclose(f) != 0) {
			fprintf(stderr, "netc: cannot write '%s': %m\n", out);
			return EXIT_INPUT;
		}
		return 0;
	}
	int fd[2];
	if (pipe(fd) != 0) {
		fprintf(stderr, "netc: pipe: %m\n");
		return EXIT_INPUT;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "netc: fork: %m\n");
		return EXIT_INPUT;
	}
	if (pid == 0) {
		dup2(fd[0], 0);
		close(fd[0]);
		close(fd[1]);
		char t[16];
		snprintf(t, sizeof t, "-T%s", fmt);
		execlp("dot", "dot", t, "-o", out, (char *)NULL);
		fprintf(stderr, "netc: cannot run Graphviz 'dot' to make '%s': %m; write a .dot file instead\n", out);
		_exit(127);
	}
	close(fd[0]);
	FILE *w = fdopen(fd[1], "w");
	if (w) {
		graph_dot(w, g);
		fclose(w);
	} else {
		close(fd[1]);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 127))
			fprintf(stderr, "netc: Graphviz 'dot' failed to write '%s'\n", out);
		return EXIT_INPUT;
	}
	return 0;
}

/* netc build: the training program of train section `name`, printed
 * after `dump_after`; code generation comes with the LLVM backend. */
static int build(struct arena *A, struct diag_ctx *D, struct sema *S, const char *name,
		 const char *dump_after, int64_t batch, const char *out, struct backend_opts *bo,
		 bool no_opt)
{
	struct tprog *P;
	int rc = netc_build_program(A, D, S, name, dump_after, batch, no_opt, stdout, &P);

	if (rc || !P)
		return rc;
#ifdef NETC_NO_BACKEND
	(void)bo;
	(void)out;
	fprintf(stderr, "netc: internal error: code generation reached the front-end program\n");
	return EXIT_USAGE;
#else
	if (bo->output == BO_IR && out)
		bo->out_path = out;
	if (bo->output == BO_IR)
		return backend_llvm.emit_program(P, bo, D) ? EXIT_INPUT : 0;
	if (!out) {
		fprintf(stderr, "netc build: -o OUT is required (or --dump-after=PASS)\n");
		return EXIT_USAGE;
	}
	return backend_build_executable(&backend_llvm, P, bo, out, D) ? EXIT_INPUT : 0;
#endif
}

#ifndef NETC_NO_BACKEND
/* netc run: the program of netc build, JIT-compiled into this process and
 * run by the built program's driver with its flags fargv[1, fargc). */
static int run_jit(struct arena *A, struct diag_ctx *D, struct sema *S, const char *name,
		   int64_t batch, const struct backend_opts *bo, bool no_opt, bool times,
		   int fargc, char **fargv)
{
	struct tprog *P;
	struct jit *j;
	struct nrt_entry e;
	struct jit_times t;
	int rc = netc_build_program(A, D, S, name, NULL, batch, no_opt, stdout, &P);

	if (rc || !P)
		return rc ? rc : EXIT_INPUT;
	if (jit_compile(P, bo, D, &j, &e, &t))
		return EXIT_INPUT;
	if (times)
		fprintf(stderr, "netc run: JIT compile %.3f s (module %.3f s, machine code %.3f s)\n",
			t.module + t.codegen, t.module, t.codegen);
	fflush(stderr);
	rc = nrt_driver_main_entry(&e, fargc, fargv);
	fflush(stdout);
	jit_free(j);
	return rc;
}
#endif

/* netc build --cluster slurm: OUT.slurm beside the executable, a batch
 * script that starts `world` ranks (tasks_per_node per node) with srun. */
static int write_slurm(const char *out, long long world, long long per_node, bool world_used)
{
	char path[4096];
	const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
	long long nodes = (world + per_node - 1) / per_node;
	FILE *f;

	snprintf(path, sizeof path, "%s.slurm", out);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "netc build: cannot write %s: %m\n", path);
		return EXIT_INPUT;
	}
	fprintf(f,
		"#!/bin/bash\n"
		"# %s.slurm - written by netc build --cluster slurm: %lld rank%s, %lld per node.\n"
		"# sbatch %s.slurm [program flags]; each rank gets SLURM_CPUS_PER_TASK threads.\n"
		"%s"
		"#SBATCH --job-name=%s\n"
		"#SBATCH --nodes=%lld\n"
		"#SBATCH --ntasks=%lld\n"
		"#SBATCH --ntasks-per-node=%lld\n"
		"#SBATCH --cpus-per-task=1\n"
		"#SBATCH --output=%s-%%j.out\n"
		"set -e\n"
		"cd \"${SLURM_SUBMIT_DIR:-.}\"\n"
		"# srun starts the ranks through PMIx; with Open MPI's launcher instead:\n"
		"#   mpirun -np \"$SLURM_NTASKS\" ./%s --threads \"${SLURM_CPUS_PER_TASK:-1}\" \"$@\"\n"
		"srun --mpi=pmix ./%s --threads \"${SLURM_CPUS_PER_TASK:-1}\" \"$@\"\n",
		base, world, world == 1 ? "" : "s", per_node, base,
		world_used ? "# The .net file reads `world`: run exactly this many ranks.\n" : "",
		base, nodes, world, per_node < world ? per_node : world, base, base, base);
	if (fclose(f) != 0) {
		fprintf(stderr, "netc build: cannot write %s: %m\n", path);
		return EXIT_INPUT;
	}
	chmod(path, 0755);
	return 0;
}

#ifdef NETC_NO_BACKEND
/* Run netc-cg with our arguments: next to this program (the build tree),
 * else where it is installed.  Returns only on failure. */
static int exec_codegen(char **argv)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 16);
	if (n > 0) {
		path[n] = 0;
		char *slash = strrchr(path, '/');
		if (slash && (size_t)(slash - path) + 10 < sizeof path) {
			strcpy(slash, "/netc-cg");
			if (access(path, X_OK) == 0)
				execv(path, argv);
		}
	}
	snprintf(path, sizeof path, "%s/netc-cg", NETC_CG_DIR);
	execv(path, argv);
	fprintf(stderr, "netc: cannot run the code generator '%s': %m\n", path);
	return EXIT_USAGE;
}
#endif

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("netc %s\n", PACKAGE_VERSION);
		return 0;
	}
	const struct cmd *cmd = NULL;
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			cmd = &cmds[i];
	if (!cmd) {
		fprintf(stderr, "netc: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}

	enum { OPT_LIMIT = 256, OPT_DUMP_AST, OPT_DUMP_GRAPH, OPT_VERSION, OPT_DUMP_AFTER,
	       OPT_BATCH, OPT_TARGET_CPU, OPT_TARGET_FEATURES, OPT_NO_OPT, OPT_WORLD, OPT_CLUSTER,
	       OPT_TASKS_PER_NODE, OPT_TIME };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "error-limit", required_argument, NULL, OPT_LIMIT },
		{ "dump-ast", no_argument, NULL, OPT_DUMP_AST },
		{ "dump-graph", no_argument, NULL, OPT_DUMP_GRAPH },
		{ "dump-after", required_argument, NULL, OPT_DUMP_AFTER },
		{ "output", required_argument, NULL, 'o' },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "no-opt", no_argument, NULL, OPT_NO_OPT },
		{ "target-cpu", required_argument, NULL, OPT_TARGET_CPU },
		{ "target-features", required_argument, NULL, OPT_TARGET_FEATURES },
		{ "world", required_argument, NULL, OPT_WORLD },
		{ "cluster", required_argument, NULL, OPT_CLUSTER },
		{ "tasks-per-node", required_argument, NULL, OPT_TASKS_PER_NODE },
		{ "time", no_argument, NULL, OPT_TIME },
		{ 0 },
	};
	const char **dirs = calloc((size_t)argc, sizeof *dirs);
	int ndirs = 0, limit = 20;
	bool dump_ast = false, dump_graph = false, no_opt = false, times = false;
	const char *out = NULL, *dump_after = NULL;
	struct backend_opts bo = { .opt_level = 2, .output = BO_OBJECT, .out_path = "-" };
	long long batch = 0, world = 1, tasks_per_node = 1;
	const char *cluster = NULL;
	int c, nopt = argc, fargc = 0;
	char **fargv = NULL;
	/* netc run FILE ... -- FLAGS: FLAGS are the program's, not ours */
	if (strcmp(cmd->name, "run") == 0)
		for (int i = 2; i < argc; i++)
			if (strcmp(argv[i], "--") == 0) {
				nopt = i;
				break;
			}
	optind = 2;
	while ((c = getopt_long(nopt, argv, "hI:o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			cmd_usage(stdout, cmd);
			free(dirs);
			return 0;
		case OPT_VERSION:
			printf("netc %s\n", PACKAGE_VERSION);
			free(dirs);
			return 0;
		case 'I':
			dirs[ndirs++] = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_LIMIT: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > 1000000) {
				fprintf(stderr, "netc: --error-limit expects a number from 0 to 1000000, got '%s'\n", optarg);
				free(dirs);
				return EXIT_USAGE;
			}
			limit = (int)v;
			break;
		}
		case OPT_DUMP_AST:
			dump_ast = true;
			break;
		case OPT_DUMP_GRAPH:
			dump_graph = true;
			break;
		case OPT_DUMP_AFTER:
			dump_after = optarg;
			break;
		case OPT_NO_OPT:
			no_opt = true;
			break;
		case OPT_BATCH: {
			char *end;
			batch = strtoll(optarg, &end, 10);
			if (*end || batch < 1 || batch > 1000000) {
				fprintf(stderr, "netc: --batch expects a number from 1 to 1000000, got '%s'\n", optarg);
				free(dirs);
				return EXIT_USAGE;
			}
			break;
		}
		case OPT_WORLD:
		case OPT_TASKS_PER_NODE: {
			char *end;
			long long v = strtoll(optarg, &end, 10);
			if (*end || v < 1 || v > 1000000) {
				fprintf(stderr, "netc: --%s expects a number from 1 to 1000000, got '%s'\n",
					c == OPT_WORLD ? "world" : "tasks-per-node", optarg);
				free(dirs);
				return EXIT_USAGE;
			}
			*(c == OPT_WORLD ? &world : &tasks_per_node) = v;
			break;
		}
		case OPT_CLUSTER:
			if (strcmp(optarg, "slurm") != 0) {
				fprintf(stderr, "netc: --cluster expects slurm, got '%s'\n", optarg);
				free(dirs);
				return EXIT_USAGE;
			}
			cluster = optarg;
			break;
		case OPT_TARGET_CPU:
			bo.target_cpu = optarg;
			break;
		case OPT_TIME:
			times = true;
			break;
		case OPT_TARGET_FEATURES:
			bo.target_features = optarg;
			break;
		default:
			cmd_usage(stderr, cmd);
			free(dirs);
			return EXIT_USAGE;
		}
	}
	int nargs = nopt - optind;
	bool is_check = strcmp(cmd->name, "check") == 0, is_graph = strcmp(cmd->name, "graph") == 0;
	bool is_build = strcmp(cmd->name, "build") == 0 || strcmp(cmd->name, "emit-llvm") == 0;
	bool is_run = strcmp(cmd->name, "run") == 0, is_repl = strcmp(cmd->name, "repl") == 0;
	if (strcmp(cmd->name, "emit-llvm") == 0)
		bo.output = BO_IR;
#ifdef NETC_NO_BACKEND
	if ((is_build && !dump_after) || is_run || is_repl) {
		free(dirs);
		return exec_codegen(argv);
	}
#else
	if (is_repl) {
		struct repl_opts ro = { .dirs = dirs, .ndirs = ndirs, .stdlib_dir = stdlib_dir(),
					.error_limit = limit, .batch = batch, .world = world, .bo = bo };
		int rrc = repl_main(&ro, argc - optind, argv + optind);
		free(dirs);
		return rrc;
	}
#endif
	if (times && !is_run) {
		fprintf(stderr, "netc %s: --time is an option of netc run\n", cmd->name);
		free(dirs);
		return EXIT_USAGE;
	}
	if (is_run && (out || dump_after || cluster)) {
		fprintf(stderr, "netc run: %s is an option of netc build\n",
			out ? "-o" : dump_after ? "--dump-after" : "--cluster");
		free(dirs);
		return EXIT_USAGE;
	}
	if (is_run) {   /* the program's argv: its name, then the flags after -- */
		fargc = 1 + (nopt < argc ? argc - nopt - 1 : 0);
		fargv = calloc((size_t)fargc + 1, sizeof *fargv);
		fargv[0] = (char *)"netc run";
		for (int i = 1; i < fargc; i++)
			fargv[i] = argv[nopt + i];
	}
	if (nargs < 1 || nargs > (is_check ? 1 : 2)) {
		fprintf(stderr, "netc %s: expected %s\n", cmd->name, cmd->args);
		free(dirs);
		return EXIT_USAGE;
	}
	if (dump_after && (!is_build || (strcmp(dump_after, "autodiff") != 0 &&
					  strcmp(dump_after, "layout") != 0 &&
					  !passes_is_pass(dump_after) && !progpasses_is_pass(dump_after)))) {
		fprintf(stderr, is_build ? "netc build: --dump-after expects fold, cse, dce, autodiff, bnfold, fuse or layout, got '%s'\n"
				: "netc %s: --dump-after is an option of netc build\n",
			is_build ? dump_after : cmd->name);
		free(dirs);
		return EXIT_USAGE;
	}
	if (is_graph && !out) {
		fprintf(stderr, "netc graph: -o OUT is required (OUT.dot, OUT.svg, OUT.png, OUT.pdf, or - for stdout)\n");
		free(dirs);
		return EXIT_USAGE;
	}
	const char *file = argv[optind];
	const char *name = nargs > 1 ? argv[optind + 1] : NULL;

	struct diag_ctx D;
	struct arena A;
	struct sema S;
	jmp_buf oom;
	int rc = 0;
	diag_init(&D, stderr);
	D.error_limit = limit;
	arena_init(&A);
	if (setjmp(oom)) {
		fprintf(stderr, "netc: out of memory\n");
		rc = EXIT_INPUT;
		goto done;
	}
	A.oom = &oom;
	sema_init(&S, &A, &D, dirs, ndirs, stdlib_dir());
	S.world = world;
	if (!sema_load(&S, file)) {
		rc = EXIT_INPUT;
		goto done;
	}
	if (dump_ast) {
		ast_dump(stdout, S.main->ast, 0);
		putchar('\n');
	}
	if (is_check) {
		sema_check(&S);
		if (dump_graph && D.nerrors == 0)
			for (int i = 0; i < S.graphs.cap; i++)
				if (S.graphs.keys[i])
					graph_dump(stdout, S.graphs.vals[i]);
	} else if (is_run) {
#ifndef NETC_NO_BACKEND
		rc = run_jit(&A, &D, &S, name, batch, &bo, no_opt, times, fargc, fargv);
#endif
	} else if (is_build) {
		rc = build(&A, &D, &S, name, dump_after, batch, out, &bo, no_opt);
		if (rc == 0 && cluster && out && !dump_after && bo.output != BO_IR)
			rc = write_slurm(out, world, tasks_per_node, S.world_used);
	} else if (D.nerrors == 0) {
		struct graph *g = sema_select(&S, name);
		if (g && D.nerrors == 0) {
			if (dump_graph)
				graph_dump(stdout, g);
			if (is_graph)
				rc = write_graph(g, out);
			else
				graph_summary(stdout, g);
		}
	}
	if (D.nerrors)
		rc = EXIT_INPUT;
	if (D.stopped)
		; /* the fatal line said why we stopped */
	else if (diag_shown_errors(&D) > 1 || D.nwarnings)
		fprintf(stderr, "%d error%s%s", diag_shown_errors(&D), diag_shown_errors(&D) == 1 ? "" : "s",
			D.nwarnings ? "" : " generated.\n");
	if (!D.stopped && D.nwarnings)
		fprintf(stderr, " and %d warning%s generated.\n", D.nwarnings, D.nwarnings == 1 ? "" : "s");
done:
	fflush(stdout);
	if (ferror(stdout)) {
		fprintf(stderr, "netc: error writing standard output\n");
		rc = EXIT_INPUT;
	}
	arena_free(&A);
	diag_free(&D);
	free(dirs);
	free(fargv);
	return rc;
}
