/* test_image.c - PNG and JPEG decoding (pixels written at test time and
 * the real MNIST files against an independent decode with libpng's
 * simplified API), channel conversions, bad files, resizing, and the
 * paths that may not leave the data root. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fixtures.h"
#include "image.h"

static const char *tmp;

static float at(const struct nrt_img *im, int c, int y, int x)
{
	return im->p[((size_t)c * (size_t)im->h + (size_t)y) * (size_t)im->w + (size_t)x];
}

static int load(const char *name, int channels, struct nrt_img *im, char *err, size_t n)
{
	char path[PATH_MAX];
	struct nrt_img t = { 0 };
	int rc;
	snprintf(path, sizeof path, "%s/%s", tmp, name);
	rc = nrt_img_load(path, channels, 0, 0, im, &t, err, n);
	nrt_img_free(&t);
	return rc;
}

static void test_png_gray(void)
{
	unsigned char px[3 * 4];
	struct nrt_img im = { 0 };
	char path[PATH_MAX], err[256] = "";
	int bad = 0;

	for (int i = 0; i < 12; i++)
		px[i] = (unsigned char)(i * 23);
	snprintf(path, sizeof path, "%s/g.png", tmp);
	ASSERT_EQ_INT(0, fx_png(path, 4, 3, PNG_COLOR_TYPE_GRAY, 8, px, NULL, 0));
	if (!ASSERT_EQ_INT(0, load("g.png", 1, &im, err, sizeof err)))
		fprintf(stderr, "    %s\n", err);
	ASSERT_EQ_INT(1, im.c);
	ASSERT_EQ_INT(3, im.h);
	ASSERT_EQ_INT(4, im.w);
	for (int i = 0; i < 12; i++)
		bad += im.p[i] != (float)px[i] / 255.0f;
	ASSERT_EQ_INT(0, bad);
	/* gray -> rgb: three equal planes */
	ASSERT_EQ_INT(0, load("g.png", 3, &im, err, sizeof err));
	ASSERT_EQ_INT(3, im.c);
	bad = 0;
	for (int y = 0; y < 3; y++)
		for (int x = 0; x < 4; x++)
			for (int c = 0; c < 3; c++)
				bad += at(&im, c, y, x) != (float)px[y * 4 + x] / 255.0f;
	ASSERT_EQ_INT(0, bad);
	nrt_img_free(&im);
}

static void test_png_kinds(void)
{
	struct nrt_img im = { 0 };
	char path[PATH_MAX], err[256] = "";
	unsigned char rgb[2 * 3] = { 255, 0, 0, 10, 20, 30 };
	unsigned char rgba[2 * 4] = { 255, 0, 0, 7, 10, 20, 30, 255 };
	unsigned char ga[2 * 2] = { 100, 0, 200, 255 };
	uint16_t g16[2] = { 65535, 257 * 3 + 1 };
	png_color pal[2] = { { 0, 0, 255 }, { 0, 128, 0 } };
	unsigned char idx[2] = { 1, 0 };

	/* RGB, red to gray: 0.299 (ITU-R 601) */
	snprintf(path, sizeof path, "%s/rgb.png", tmp);
	fx_png(path, 2, 1, PNG_COLOR_TYPE_RGB, 8, rgb, NULL, 0);
	ASSERT_EQ_INT(0, load("rgb.png", 3, &im, err, sizeof err));
	ASSERT(at(&im, 0, 0, 0) == 1.0f && at(&im, 1, 0, 0) == 0.0f);
	ASSERT(at(&im, 2, 0, 1) == 30.0f / 255.0f);
	ASSERT_EQ_INT(0, load("rgb.png", 1, &im, err, sizeof err));
	ASSERT(fabsf(at(&im, 0, 0, 0) - 0.299f) < 1e-6f);
	ASSERT(fabsf(at(&im, 0, 0, 1) - (0.299f * 10 + 0.587f * 20 + 0.114f * 30) / 255) < 1e-6f);
	/* alpha dropped */
	snprintf(path, sizeof path, "%s/rgba.png", tmp);
	fx_png(path, 2, 1, PNG_COLOR_TYPE_RGBA, 8, rgba, NULL, 0);
	ASSERT_EQ_INT(0, load("rgba.png", 3, &im, err, sizeof err));
	ASSERT(at(&im, 0, 0, 0) == 1.0f && at(&im, 2, 0, 0) == 0.0f);
	ASSERT(at(&im, 1, 0, 1) == 20.0f / 255.0f);
	snprintf(path, sizeof path, "%s/ga.png", tmp);
	fx_png(path, 2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, ga, NULL, 0);
	ASSERT_EQ_INT(0, load("ga.png", 1, &im, err, sizeof err));
	ASSERT(at(&im, 0, 0, 0) == 100.0f / 255.0f && at(&im, 0, 0, 1) == 200.0f / 255.0f);
	/* 16-bit: v / 65535 */
	snprintf(path, sizeof path, "%s/g16.png", tmp);
	fx_png(path, 2, 1, PNG_COLOR_TYPE_GRAY, 16, g16, NULL, 0);
	ASSERT_EQ_INT(0, load("g16.png", 1, &im, err, sizeof err));
	ASSERT(at(&im, 0, 0, 0) == 1.0f);
	ASSERT(at(&im, 0, 0, 1) == 772.0f / 65535.0f);
	/* palette */
	snprintf(path, sizeof path, "%s/pal.png", tmp);
	fx_png(path, 2, 1, PNG_COLOR_TYPE_PALETTE, 8, idx, pal, 2);
	ASSERT_EQ_INT(0, load("pal.png", 3, &im, err, sizeof err));
	ASSERT(at(&im, 1, 0, 0) == 128.0f / 255.0f && at(&im, 2, 0, 0) == 0.0f);
	ASSERT(at(&im, 2, 0, 1) == 1.0f && at(&im, 0, 0, 1) == 0.0f);
	nrt_img_free(&im);
}

static void test_jpeg(void)
{
	unsigned char g[16 * 16], rgb[16 * 16 * 3];
	struct nrt_img im = { 0 };
	char path[PATH_MAX], err[256] = "";
	double maxd = 0;

	for (int i = 0; i < 256; i++) {
		g[i] = (unsigned char)(64 + (i % 16) * 4);       /* a smooth ramp */
		rgb[3 * i] = 200;
		rgb[3 * i + 1] = 100;
		rgb[3 * i + 2] = 50;
	}
	snprintf(path, sizeof path, "%s/g.jpg", tmp);
	fx_jpeg(path, 16, 16, 1, g, 100);
	if (!ASSERT_EQ_INT(0, load("g.jpg", 1, &im, err, sizeof err)))
		fprintf(stderr, "    %s\n", err);
	ASSERT_EQ_INT(16, im.w);
	for (int i = 0; i < 256; i++)
		maxd = fmax(maxd, fabs(im.p[i] - g[i] / 255.0));
	ASSERT(maxd < 3.0 / 255);
	snprintf(path, sizeof path, "%s/c.jpeg", tmp);
	fx_jpeg(path, 16, 16, 3, rgb, 100);
	ASSERT_EQ_INT(0, load("c.jpeg", 3, &im, err, sizeof err));
	ASSERT(fabs(at(&im, 0, 5, 5) - 200 / 255.0) < 3.0 / 255);
	ASSERT(fabs(at(&im, 1, 5, 5) - 100 / 255.0) < 3.0 / 255);
	ASSERT(fabs(at(&im, 2, 5, 5) - 50 / 255.0) < 3.0 / 255);
	/* rgb jpeg to gray: the luma */
	ASSERT_EQ_INT(0, load("c.jpeg", 1, &im, err, sizeof err));
	ASSERT(fabs(at(&im, 0, 5, 5) - (0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255) < 3.0 / 255);
	/* wrong extension: content decides, no error */
	snprintf(path, sizeof path, "%s/really-a-jpeg.png", tmp);
	fx_jpeg(path, 16, 16, 1, g, 90);
	ASSERT_EQ_INT(0, load("really-a-jpeg.png", 1, &im, err, sizeof err));
	nrt_img_free(&im);
}

/* Bad files: every one an error naming the file, none a crash. */
static void test_bad(void)
{
	struct nrt_img im = { 0 };
	char path[PATH_MAX], src[PATH_MAX], err[512];
	unsigned char g[64 * 64];
	size_t n;
	char *bytes;

	for (int i = 0; i < 64 * 64; i++)
		g[i] = (unsigned char)((i * 7919) % 251);
	snprintf(path, sizeof path, "%s/empty.png", tmp);
	fx_write(path, "", 0);
	ASSERT_EQ_INT(-1, load("empty.png", 1, &im, err, sizeof err));
	ASSERT(strstr(err, "empty.png: empty file (0 bytes)") != NULL);

	snprintf(path, sizeof path, "%s/text.png", tmp);
	fx_write_str(path, "this is not an image at all\n");
	ASSERT_EQ_INT(-1, load("text.png", 1, &im, err, sizeof err));
	ASSERT(strstr(err, "text.png: not a PNG or JPEG file (starts with 74 68 69 73)") != NULL);

	snprintf(path, sizeof path, "%s/tiny.png", tmp);
	fx_write_str(path, "\x89PN");
	ASSERT_EQ_INT(-1, load("tiny.png", 1, &im, err, sizeof err));
	ASSERT(strstr(err, "tiny.png: not a PNG or JPEG file (3 bytes)") != NULL);

	/* truncated PNG and JPEG, at several lengths */
	snprintf(src, sizeof src, "%s/full.png", tmp);
	fx_png(src, 64, 64, PNG_COLOR_TYPE_GRAY, 8, g, NULL, 0);
	bytes = nrt_read_file_for_test(src, &n);
	for (size_t cut = 8; bytes && cut < n; cut += n / 7 + 1) {
		snprintf(path, sizeof path, "%s/cut.png", tmp);
		fx_write(path, bytes, cut);
		err[0] = '\0';
		ASSERT_EQ_INT(-1, load("cut.png", 1, &im, err, sizeof err));
		if (!ASSERT(strstr(err, "cut.png: corrupt PNG: ") != NULL))
			fprintf(stderr, "    cut %zu: %s\n", cut, err);
	}
	/* a flipped byte in the image data: CRC error */
	if (bytes) {
		bytes[n / 2] ^= 0x55;
		fx_write(path, bytes, n);
		ASSERT_EQ_INT(-1, load("cut.png", 1, &im, err, sizeof err));
		ASSERT(strstr(err, "cut.png: corrupt PNG") != NULL);
	}
	free(bytes);

	snprintf(src, sizeof src, "%s/full.jpg", tmp);
	fx_jpeg(src, 64, 64, 1, g, 90);
	bytes = nrt_read_file_for_test(src, &n);
	for (size_t cut = 3; bytes && cut < n - 2; cut += n / 9 + 1) {
		snprintf(path, sizeof path, "%s/cut.jpg", tmp);
		fx_write(path, bytes, cut);
		err[0] = '\0';
		ASSERT_EQ_INT(-1, load("cut.jpg", 1, &im, err, sizeof err));
		if (!ASSERT(strstr(err, "cut.jpg: ") != NULL && strstr(err, "JPEG") != NULL))
			fprintf(stderr, "    cut %zu: %s\n", cut, err);
	}
	free(bytes);

	snprintf(path, sizeof path, "%s/nothere.png", tmp);
	ASSERT_EQ_INT(-1, load("nothere.png", 1, &im, err, sizeof err));
	ASSERT(strstr(err, "nothere.png: No such file or directory") != NULL);
	nrt_img_free(&im);
}

/* The MNIST files against libpng's simplified API (another decoder path). */
static void test_mnist(void)
{
	const char *m = fx_mnist();
	const char *names[] = { "00000.png", "00001.png", "04567.png", "09999.png" };
	if (!m) {
		printf("SKIP: MNIST folder not found (set NETC_MNIST)\n");
		return;
	}
	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		char path[PATH_MAX + 32], err[256];
		struct nrt_img im = { 0 }, t = { 0 };
		png_image pi;
		unsigned char buf[28 * 28];
		int bad = 0, nonzero = 0;

		snprintf(path, sizeof path, "%s/images/%s", m, names[k]);
		memset(&pi, 0, sizeof pi);
		pi.version = PNG_IMAGE_VERSION;
		if (!ASSERT(png_image_begin_read_from_file(&pi, path)))
			continue;
		pi.format = PNG_FORMAT_GRAY;
		ASSERT_EQ_INT(28, pi.width);
		ASSERT(png_image_finish_read(&pi, NULL, buf, 28, NULL));
		ASSERT_EQ_INT(0, nrt_img_load(path, 1, 28, 28, &im, &t, err, sizeof err));
		for (int i = 0; i < 28 * 28; i++) {
			bad += im.p[i] != buf[i] / 255.0f;
			nonzero += buf[i] != 0;
		}
		ASSERT_EQ_INT(0, bad);
		ASSERT(nonzero > 20);
		nrt_img_free(&im);
		nrt_img_free(&t);
	}
}

static void test_resize(void)
{
	struct nrt_img a = { 0 }, b = { 0 };
	int bad = 0;

	/* a constant stays constant, shrinking and enlarging */
	nrt_img_reserve(&a, 2, 10, 14);
	for (size_t i = 0; i < 2 * 10 * 14; i++)
		a.p[i] = 0.375f;
	int sizes[][2] = { { 5, 7 }, { 3, 4 }, { 23, 31 }, { 10, 3 }, { 1, 1 } };
	for (size_t s = 0; s < 5; s++) {
		ASSERT_EQ_INT(0, nrt_img_resize(&a, sizes[s][0], sizes[s][1], &b));
		for (size_t i = 0; i < (size_t)2 * b.h * b.w; i++)
			bad += fabsf(b.p[i] - 0.375f) > 1e-6f;
	}
	ASSERT_EQ_INT(0, bad);

	/* a checkerboard halved: the mean inside (antialiasing), not aliasing */
	nrt_img_reserve(&a, 1, 16, 16);
	for (int y = 0; y < 16; y++)
		for (int x = 0; x < 16; x++)
			a.p[y * 16 + x] = (float)((x + y) & 1);
	ASSERT_EQ_INT(0, nrt_img_resize(&a, 8, 8, &b));
	bad = 0;
	for (int y = 1; y < 7; y++)
		for (int x = 1; x < 7; x++)
			bad += fabsf(b.p[y * 8 + x] - 0.5f) > 1e-6f;
	ASSERT_EQ_INT(0, bad);
	for (int i = 0; i < 64; i++)
		bad += fabsf(b.p[i] - 0.5f) > 0.1f;           /* the border, close */
	ASSERT_EQ_INT(0, bad);
	/* shrinking by 4: the mean everywhere inside */
	ASSERT_EQ_INT(0, nrt_img_resize(&a, 4, 4, &b));
	ASSERT(fabsf(b.p[1 * 4 + 1] - 0.5f) < 1e-6f && fabsf(b.p[2 * 4 + 2] - 0.5f) < 1e-6f);

	/* a ramp doubled: still a ramp (step halved) between the border pixels */
	nrt_img_reserve(&a, 1, 1, 8);
	for (int x = 0; x < 8; x++)
		a.p[x] = (float)x;
	ASSERT_EQ_INT(0, nrt_img_resize(&a, 1, 16, &b));
	bad = 0;
	for (int x = 1; x < 15; x++)
		bad += fabsf(b.p[x] - (x - 0.5f) / 2.0f) > 1e-5f;
	ASSERT_EQ_INT(0, bad);
	ASSERT(b.p[0] == 0.0f && b.p[15] == 7.0f);            /* clamped at the borders */
	/* equal sizes: a copy */
	ASSERT_EQ_INT(0, nrt_img_resize(&a, 1, 8, &b));
	ASSERT(memcmp(a.p, b.p, 8 * sizeof(float)) == 0);
	nrt_img_free(&a);
	nrt_img_free(&b);
}

static void test_paths(void)
{
	char out[PATH_MAX], real[PATH_MAX], root[PATH_MAX], err[PATH_MAX + 256];
	char outside[PATH_MAX], link[PATH_MAX];

	ASSERT_EQ_INT(0, nrt_path_join("/data/imgs", "a/b.png", out, sizeof out, err, sizeof err));
	ASSERT_STR_EQ("/data/imgs/a/b.png", out);
	ASSERT_EQ_INT(0, nrt_path_join("/data/imgs/", "a/../b.png", out, sizeof out, err,
				       sizeof err));
	ASSERT_STR_EQ("/data/imgs/a/../b.png", out);
	ASSERT_EQ_INT(-1, nrt_path_join("/data", "../etc/passwd", out, sizeof out, err, sizeof err));
	ASSERT(strstr(err, "leaves the data root") != NULL);
	ASSERT_EQ_INT(-1, nrt_path_join("/data", "a/../../b", out, sizeof out, err, sizeof err));
	ASSERT_EQ_INT(-1, nrt_path_join("/data", "/etc/passwd", out, sizeof out, err, sizeof err));
	ASSERT(strstr(err, "absolute image paths are not allowed") != NULL);

	/* a symbolic link out of the root */
	snprintf(root, sizeof root, "%s/root", tmp);
	fx_mkdir(root);
	snprintf(outside, sizeof outside, "%s/secret.png", tmp);
	fx_write_str(outside, "x");
	snprintf(link, sizeof link, "%s/root/link.png", tmp);
	ASSERT_EQ_INT(0, symlink(outside, link));
	snprintf(out, sizeof out, "%s/root/in.png", tmp);
	fx_write_str(out, "x");
	ASSERT(realpath(root, real) != NULL);
	ASSERT_EQ_INT(0, nrt_path_check(real, out, out, sizeof out, err, sizeof err));
	ASSERT_EQ_INT(-1, nrt_path_check(real, link, out, sizeof out, err, sizeof err));
	ASSERT(strstr(err, "outside the data root") != NULL);
	/* a root that is a prefix of a sibling folder's name */
	snprintf(out, sizeof out, "%s/rootx", tmp);
	fx_mkdir(out);
	snprintf(out, sizeof out, "%s/rootx/f.png", tmp);
	fx_write_str(out, "x");
	ASSERT_EQ_INT(-1, nrt_path_check(real, out, out, sizeof out, err, sizeof err));
}

int main(void)
{
	tmp = fx_tmpdir();
	if (!ASSERT(tmp != NULL))
		return check_summary();
	test_png_gray();
	test_png_kinds();
	test_jpeg();
	test_bad();
	test_mnist();
	test_resize();
	test_paths();
	fx_rmtree(tmp);
	return check_summary();
}
