/* check.h - a tiny header-only test kit.
 *
 *   ASSERT(expr)                     expr is true
 *   ASSERT_EQ_INT(expected, actual)  integers are equal
 *   ASSERT_STR_EQ(expected, actual)  strings are equal (NULL only equals NULL)
 *
 * Each is an expression giving true when the check passed, so a test can
 * stop early: if (!ASSERT(p != NULL)) return;  A failure prints
 * file:line, the expression text, the expected and the actual value to
 * stderr, and the run goes on.  main() ends with return check_summary(); */
#ifndef NETC_CHECK_H
#define NETC_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct check_state {
	long checks, failed;
};

/* The counters of this test program. */
static inline struct check_state *check_state(void)
{
	static struct check_state s;
	return &s;
}

static inline bool check_true(bool ok, const char *file, int line, const char *expr)
{
	struct check_state *s = check_state();
	s->checks++;
	if (!ok) {
		s->failed++;
		fprintf(stderr, "%s:%d: ASSERT(%s) failed\n", file, line, expr);
	}
	return ok;
}

static inline bool check_eq_int(long long expected, long long actual, const char *file,
				int line, const char *e_text, const char *a_text)
{
	struct check_state *s = check_state();
	s->checks++;
	if (expected != actual) {
		s->failed++;
		fprintf(stderr, "%s:%d: ASSERT_EQ_INT(%s, %s) failed\n"
			"    expected: %lld\n      actual: %lld\n",
			file, line, e_text, a_text, expected, actual);
		return false;
	}
	return true;
}

static inline bool check_str_eq(const char *expected, const char *actual, const char *file,
				int line, const char *e_text, const char *a_text)
{
	struct check_state *s = check_state();
	bool ok = (expected && actual) ? strcmp(expected, actual) == 0 : expected == actual;
	s->checks++;
	if (!ok) {
		s->failed++;
		fprintf(stderr, "%s:%d: ASSERT_STR_EQ(%s, %s) failed\n"
			"    expected: %s%s%s\n      actual: %s%s%s\n",
			file, line, e_text, a_text,
			expected ? "\"" : "", expected ? expected : "NULL", expected ? "\"" : "",
			actual ? "\"" : "", actual ? actual : "NULL", actual ? "\"" : "");
	}
	return ok;
}

#define ASSERT(expr) check_true(!!(expr), __FILE__, __LINE__, #expr)
#define ASSERT_EQ_INT(expected, actual) \
	check_eq_int((long long)(expected), (long long)(actual), __FILE__, __LINE__, \
		     #expected, #actual)
#define ASSERT_STR_EQ(expected, actual) \
	check_str_eq((expected), (actual), __FILE__, __LINE__, #expected, #actual)

/* Print "N checks, M failed"; the exit status for main (nonzero on failure). */
static inline int check_summary(void)
{
	struct check_state *s = check_state();
	printf("%ld checks, %ld failed\n", s->checks, s->failed);
	return s->failed ? 1 : 0;
}

#endif
