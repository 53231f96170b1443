/* fixtures.h - what the data-pipeline tests write at test time: a
 * temporary folder, PNG and JPEG files from known pixels (libpng,
 * libjpeg), plain files; and where the MNIST sample folder is. */
#ifndef NETC_DATA_FIXTURES_H
#define NETC_DATA_FIXTURES_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

/* A fresh temporary folder (static buffer); NULL on failure. */
static inline const char *fx_tmpdir(void)
{
	static char dir[PATH_MAX];
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/netc-data-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(dir);
}

/* rm -rf dir (only folders this test made). */
static inline void fx_rmtree(const char *dir)
{
	char cmd[PATH_MAX + 32];
	if (!dir || strncmp(dir, "/", 1) || strstr(dir, "netc-data-") == NULL)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static inline int fx_write(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, n, f);
	return fclose(f) == 0 && w == n ? 0 : -1;
}

static inline int fx_write_str(const char *path, const char *s)
{
	return fx_write(path, s, strlen(s));
}

/* The bytes of a file (malloc'd), NULL on failure. */
static inline char *nrt_read_file_for_test(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long len;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)len + 1)) && fread(b, 1, (size_t)len, f) == (size_t)len) {
		*n = (size_t)len;
	} else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

/* mkdir -p of one level. */
static inline void fx_mkdir(const char *path)
{
	mkdir(path, 0755);
}

/* A PNG of color type ctype (PNG_COLOR_TYPE_*), bit depth depth, from
 * interleaved samples (bytes, or native uint16 for 16-bit).  palette and
 * npal for PNG_COLOR_TYPE_PALETTE.  0 on success. */
static inline int fx_png(const char *path, int w, int h, int ctype, int depth,
			 const void *pixels, const png_color *palette, int npal)
{
	FILE *f = fopen(path, "wb");
	png_structp png;
	png_infop info;
	int ch = ctype == PNG_COLOR_TYPE_GRAY ? 1 : ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 :
		 ctype == PNG_COLOR_TYPE_RGB ? 3 : ctype == PNG_COLOR_TYPE_RGBA ? 4 : 1;
	size_t bps = depth == 16 ? 2 : 1;

	if (!f)
		return -1;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png_create_info_struct(png);
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		fclose(f);
		return -1;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ctype, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_PLTE(png, info, palette, npal);
	png_write_info(png, info);
	if (depth == 16)
		png_set_swap(png);             /* native little-endian words in */
	for (int y = 0; y < h; y++)
		png_write_row(png, (png_const_bytep)pixels + (size_t)y * (size_t)w * ch * bps);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return fclose(f) == 0 ? 0 : -1;
}

/* A JPEG (quality q) of 1 or 3 interleaved 8-bit channels. */
static inline int fx_jpeg(const char *path, int w, int h, int ch, const unsigned char *pixels,
			  int q)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = ch;
	c.in_color_space = ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, q, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = (JSAMPROW)(pixels + (size_t)c.next_scanline * (size_t)w * ch);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return fclose(f) == 0 ? 0 : -1;
}

/* The MNIST sample folder (images/, labels.csv): $NETC_MNIST, else
 * ../shared/data/mnist beside the source tree, else /work/shared/data/mnist;
 * NULL when none has labels.csv. */
static inline const char *fx_mnist(void)
{
	static char dir[PATH_MAX];
	const char *cands[3] = { getenv("NETC_MNIST"), NULL, "/work/shared/data/mnist" };
	char alt[PATH_MAX];
	const char *top = getenv("abs_top_srcdir");
	if (top) {
		snprintf(alt, sizeof alt, "%s/../shared/data/mnist", top);
		cands[1] = alt;
	}
	for (int i = 0; i < 3; i++) {
		char p[PATH_MAX];
		if (!cands[i] || !cands[i][0])
			continue;
		snprintf(p, sizeof p, "%s/labels.csv", cands[i]);
		if (access(p, R_OK) == 0 && realpath(cands[i], dir))
			return dir;
	}
	return NULL;
}

#endif
