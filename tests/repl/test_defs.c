/* test_defs.c - the REPL's definition store (compiler/repl/defs.c):
 * splitting text into definitions (kinds, names, positions, comments and
 * strings with braces in them), bad input with its position, replacing by
 * kind and name in place, the made file and its line map, and the
 * bracket balance that decides whether an entry goes on. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "repl/defs.h"

static void test_split(void)
{
	struct defs S = { 0 };
	char err[256] = "";
	const char *t = "# a comment { not a brace\n"
			"import \"lenet\"\n"
			"block b(c)(x) { @chain x => conv(c, 3) }  network n {\n"
			"    input x : f32[1, 4, 4]   # }\n"
			"    @chain x => flatten => dense(2)\n"
			"}\n"
			"/* a block comment } */ data d { classes = [\"{\"] }\n"
			"train t { network = n }\n";
	ASSERT_EQ_INT(0, defs_split(t, "f.net", 1, &S, err, sizeof err));
	if (!ASSERT_EQ_INT(5, S.n))
		return;
	ASSERT_EQ_INT(DEF_IMPORT, S.v[0].kind);
	ASSERT_STR_EQ("lenet", S.v[0].name);
	ASSERT_STR_EQ("import \"lenet\"", S.v[0].text);
	ASSERT_EQ_INT(DEF_BLOCK, S.v[1].kind);
	ASSERT_STR_EQ("b", S.v[1].name);
	ASSERT_EQ_INT(3, S.v[1].line);
	ASSERT_EQ_INT(DEF_NETWORK, S.v[2].kind);
	ASSERT_STR_EQ("n", S.v[2].name);
	ASSERT_EQ_INT(3, S.v[2].line);
	ASSERT_EQ_INT(43, S.v[2].col);
	ASSERT(strstr(S.v[2].text, "dense(2)\n}") != NULL);
	ASSERT_EQ_INT(DEF_DATA, S.v[3].kind);
	ASSERT_STR_EQ("data d { classes = [\"{\"] }", S.v[3].text);
	ASSERT_EQ_INT(DEF_TRAIN, S.v[4].kind);
	ASSERT_STR_EQ("f.net", S.v[4].origin);
	ASSERT_EQ_INT(8, S.v[4].line);
	defs_free(&S);
}

static void test_errors(void)
{
	struct defs S = { 0 };
	char err[256];
	ASSERT_EQ_INT(-1, defs_split("network a { }\n  let x = 1\n", "<input>", 10, &S, err, sizeof err));
	ASSERT(strstr(err, "<input>:11:3: error: expected a definition") == err);
	ASSERT_EQ_INT(0, S.n);   /* nothing of a bad entry is taken */
	ASSERT_EQ_INT(-1, defs_split("network a {\n  input x : f32[2]\n", "<input>", 1, &S, err, sizeof err));
	ASSERT(strstr(err, "<input>:1:1: error: the network 'a' does not end") == err);
	ASSERT_EQ_INT(-1, defs_split("import lenet", "<input>", 1, &S, err, sizeof err));
	ASSERT(strstr(err, "<input>:1:8: error: expected the module name in quotes") == err);
	ASSERT_EQ_INT(-1, defs_split("block 3x {}", "<input>", 1, &S, err, sizeof err));
	ASSERT(strstr(err, "expected the name of the block") != NULL);
	ASSERT_EQ_INT(-1, defs_split("/* open", "<input>", 1, &S, err, sizeof err));
	ASSERT(strstr(err, "unterminated comment") != NULL);
	ASSERT_EQ_INT(0, defs_split("  \n# only a comment\n", "<input>", 1, &S, err, sizeof err));
	ASSERT_EQ_INT(0, S.n);
}

static void test_put_and_text(void)
{
	struct defs S = { 0 }, C = { 0 };
	struct diag_seg *segs;
	char err[256], *text;
	int nsegs;

	ASSERT_EQ_INT(0, defs_split("network a { }\nnetwork b {\n}\n", "f.net", 1, &S, err, sizeof err));
	if (!ASSERT_EQ_INT(0, defs_split("    network a {\n x }", "<input>", 20, &C, err, sizeof err)))
		return;
	ASSERT(defs_put(&S, C.v[0]));          /* replaced in place */
	free(C.v);
	ASSERT_EQ_INT(2, S.n);
	ASSERT_STR_EQ("<input>", S.v[0].origin);
	ASSERT(defs_find(&S, DEF_NETWORK, "b") != NULL);
	ASSERT(defs_find(&S, DEF_BLOCK, "b") == NULL);
	C = defs_copy(&S);
	ASSERT_EQ_INT(2, C.n);
	text = defs_text(&C, &segs, &nsegs);
	/* the redefinition at its column, then b */
	ASSERT_STR_EQ("    network a {\n x }\nnetwork b {\n}\n", text);
	if (ASSERT_EQ_INT(2, nsegs)) {
		ASSERT_EQ_INT(1, segs[0].line);
		ASSERT_EQ_INT(20, segs[0].first_line);
		ASSERT_STR_EQ("<input>", segs[0].path);
		ASSERT_EQ_INT(3, segs[1].line);
		ASSERT_EQ_INT(2, segs[1].first_line);
	}
	free(text);
	free(segs);
	defs_free(&C);
	defs_free(&S);
}

static void test_open(void)
{
	ASSERT(defs_open("network a {"));
	ASSERT(defs_open("block b(c,"));
	ASSERT(!defs_open("network a { }"));
	ASSERT(!defs_open("network a { \"}\" # {\n}"));
	ASSERT(defs_open("/* a comment"));
	ASSERT(!defs_open("import \"x\""));
}

int main(void)
{
	test_split();
	test_errors();
	test_put_and_text();
	test_open();
	return check_summary();
}
