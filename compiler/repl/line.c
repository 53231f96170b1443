/* line.c - line.h on GNU readline (or libedit's readline interface) when
 * the input is a terminal, on getline otherwise (scripted sessions: no
 * prompts, nothing echoed).  Completion: the language's keywords, the
 * REPL's commands, the layer names of the op table, and the names the
 * session gives (its definitions and what they import). */
#include "config.h"

#include "repl/line.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined HAVE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#define HAVE_RL 1
#elif defined HAVE_LIBEDIT
#include <editline/readline.h>
#define HAVE_RL 1
#endif

#include "defs.h"
#include "ops.h"

struct line_in {
	FILE *in;
	bool tty;
	const char *history;
	line_names_fn *names;
	void *arg;
	int line;                    /* lines read so far */
};

static const char *const keywords[] = {
	"import", "block", "network", "data", "train", "input", "let", "return", "if", "else",
	"true", "false", "and", "or", "not", "@chain", NULL
};
static const char *const commands[] = {
	":help", ":load", ":list", ":summary", ":graph", ":shape", ":eval", ":train", ":save",
	":restore", ":set", ":time", ":emit", ":quit", NULL
};

#ifdef HAVE_RL
static struct line_in *cur;   /* readline's completion callback has no argument */

struct cands {
	char **v;
	int n, cap;
};

static void add_cand(void *acc, const char *name)
{
	struct cands *c = acc;
	if (c->n == c->cap) {
		int nc = c->cap ? 2 * c->cap : 64;
		char **v = realloc(c->v, (size_t)nc * sizeof *v);
		if (!v)
			return;
		c->v = v;
		c->cap = nc;
	}
	c->v[c->n] = strdup(name);
	if (c->v[c->n])
		c->n++;
}

static struct cands cands;
static int cand_next;

static void collect(bool command)
{
	for (int i = 0; i < cands.n; i++)
		free(cands.v[i]);
	cands.n = 0;
	if (command) {
		for (int i = 0; commands[i]; i++)
			add_cand(&cands, commands[i]);
		return;
	}
	for (int i = 0; keywords[i]; i++)
		add_cand(&cands, keywords[i]);
	for (int i = 0; i < OP_COUNT; i++)
		if (op_table[i].name && op_lookup(op_table[i].name, NULL))
			add_cand(&cands, op_table[i].name);
	if (cur && cur->names)
		cur->names(cur->arg, add_cand, &cands);
}

static char *generate(const char *text, int state)
{
	size_t n = strlen(text);
	if (state == 0)
		cand_next = 0;
	while (cand_next < cands.n) {
		const char *c = cands.v[cand_next++];
		if (strncmp(c, text, n) == 0)
			return strdup(c);
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1;   /* no file names */
	collect(start == 0 && text[0] == ':');
	return rl_completion_matches(text, generate);
}

/* Ctrl-C at the prompt drops the line being typed (not the session). */
static void on_prompt_sigint(int sig)
{
	(void)sig;
	if (write(1, "\n", 1) < 0)
		return;
	rl_on_new_line();
	rl_replace_line("", 0);
	rl_redisplay();
}
#endif

struct line_in *line_open(FILE *in, bool tty, const char *history_path, line_names_fn *names,
			  void *arg)
{
	struct line_in *L = calloc(1, sizeof *L);
	if (!L)
		return NULL;
	L->in = in;
	L->names = names;
	L->arg = arg;
#ifdef HAVE_RL
	L->tty = tty;
	if (tty) {
		struct sigaction sa;
		cur = L;
		L->history = history_path;
		rl_readline_name = "netc";
		rl_instream = in;
		rl_attempted_completion_function = complete;
		rl_basic_word_break_characters = " \t\n\"(){}[],=+-*/<>;";   /* not : (commands) */
		using_history();
		stifle_history(2000);
		if (history_path)
			if (read_history(history_path) != 0)
				write_history(history_path);   /* create it: append_history needs it */
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_prompt_sigint;
		sigaction(SIGINT, &sa, NULL);
	}
#else
	(void)tty;
	(void)history_path;
#endif
	return L;
}

/* One line (malloc'ed, no newline), or NULL at the end. */
static char *read_one(struct line_in *L, const char *prompt)
{
#ifdef HAVE_RL
	if (L->tty) {
		char *s = readline(prompt);
		if (s)
			L->line++;
		return s;
	}
#else
	(void)prompt;
#endif
	char *s = NULL;
	size_t cap = 0;
	ssize_t n = getline(&s, &cap, L->in);
	if (n < 0) {
		free(s);
		return NULL;
	}
	if (n > 0 && s[n - 1] == '\n')
		s[--n] = 0;
	L->line++;
	return s;
}

static bool blank(const char *s)
{
	s += strspn(s, " \t\r");
	return !*s || *s == '#';
}

char *line_read(struct line_in *L, int *first_line)
{
	char *e;
	size_t len;

	do {
		e = read_one(L, "netc> ");
		if (!e)
			return NULL;
		if (!blank(e))
			break;
		free(e);
	} while (1);
	*first_line = L->line;
	len = strlen(e);
	/* a :command is one line; definitions go on until their brackets close */
	while (e[strspn(e, " \t")] != ':' && defs_open(e)) {
		char *more = read_one(L, "  ...> ");
		if (!more)
			break;
		size_t m = strlen(more);
		char *n = realloc(e, len + m + 2);
		if (!n) {
			free(more);
			break;
		}
		e = n;
		e[len++] = '\n';
		memcpy(e + len, more, m + 1);
		len += m;
		free(more);
	}
#ifdef HAVE_RL
	if (L->tty) {
		add_history(e);
		if (L->history)
			append_history(1, L->history);
	}
#endif
	return e;
}

void line_close(struct line_in *L)
{
	if (!L)
		return;
#ifdef HAVE_RL
	if (L->tty) {
		for (int i = 0; i < cands.n; i++)
			free(cands.v[i]);
		free(cands.v);
		cands.v = NULL;
		cands.n = cands.cap = 0;
		cur = NULL;
	}
#endif
	free(L);
}
