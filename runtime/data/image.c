/* image.c - PNG (libpng) and JPEG (libjpeg-turbo) bytes to float planes
 * (see image.h).  Both libraries report errors through callbacks that
 * longjmp back here with the library's message; warnings are kept quiet
 * (a truncated JPEG's "premature end" warning is an error). */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE                 /* realpath, PATH_MAX, strcasecmp under -std=c11 */
#endif
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "image.h"
#include "util.h"

enum {
	MAX_SIDE = 1 << 15,            /* widest or tallest image accepted */
};
#define MAX_PIXELS ((size_t)1 << 28)   /* 256 Mpixels */

int nrt_img_reserve(struct nrt_img *im, int c, int h, int w)
{
	size_t n = (size_t)c * (size_t)h * (size_t)w;
	if (n > im->cap) {
		float *p = realloc(im->p, (n ? n : 1) * sizeof *p);
		if (!p)
			return -1;
		im->p = p;
		im->cap = n;
	}
	im->c = c;
	im->h = h;
	im->w = w;
	return 0;
}

void nrt_img_free(struct nrt_img *im)
{
	if (!im)
		return;
	free(im->p);
	memset(im, 0, sizeof *im);
}

enum nrt_img_format nrt_img_sniff(const unsigned char *b, size_t n)
{
	static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	if (n >= 8 && memcmp(b, png_sig, 8) == 0)
		return NRT_IMG_PNG;
	if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
		return NRT_IMG_JPEG;
	return NRT_IMG_UNKNOWN;
}

/* Interleaved samples (bytes or big-endian 16-bit words, src_ch channels
 * of 1 or 3) of row y into the planes of out (channels 1 or 3). */
static void row_to_float(const unsigned char *row, int width, int src_ch, int depth16, int y,
			 struct nrt_img *out)
{
	const float scale = depth16 ? 65535.0f : 255.0f;      /* v / 255 exactly, as ToTensor */
	size_t plane = (size_t)out->h * (size_t)out->w;
	float *o = out->p + (size_t)y * (size_t)out->w;

	for (int x = 0; x < width; x++) {
		float v[3];
		for (int k = 0; k < src_ch; k++) {
			size_t i = (size_t)x * (size_t)src_ch + (size_t)k;
			unsigned s = depth16 ? (unsigned)row[2 * i] << 8 | row[2 * i + 1] : row[i];
			v[k] = (float)s / scale;
		}
		if (out->c == 1 && src_ch == 3)
			o[x] = 0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2];
		else if (out->c == 1)
			o[x] = v[0];
		else
			for (int k = 0; k < 3; k++)
				o[(size_t)k * plane + (size_t)x] = v[src_ch == 3 ? k : 0];
	}
}

/* ------------------------------------------------------------------ PNG */

struct png_ctx {
	jmp_buf jb;
	char msg[200];
	const unsigned char *b;
	size_t n, pos;
};

static void png_on_error(png_structp png, png_const_charp msg)
{
	struct png_ctx *c = png_get_error_ptr(png);
	snprintf(c->msg, sizeof c->msg, "%s", msg);
	longjmp(c->jb, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void png_read_mem(png_structp png, png_bytep out, size_t len)
{
	struct png_ctx *c = png_get_io_ptr(png);
	if (len > c->n - c->pos)
		png_error(png, "unexpected end of data (truncated file)");
	memcpy(out, c->b + c->pos, len);
	c->pos += len;
}

static int decode_png(const unsigned char *b, size_t n, const char *name, int channels,
		      struct nrt_img *out, char *err, size_t errlen)
{
	struct png_ctx ctx = { .b = b, .n = n };
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_on_error,
						 png_on_warning);
	png_infop info = NULL;
	unsigned char *volatile pix = NULL;
	png_bytep *volatile rows = NULL;
	png_uint_32 w, h;
	int depth, ctype, src_ch;
	size_t rowbytes;

	if (!png)
		return nrt_errf(err, errlen, "%s: out of memory", name);
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_read_struct(&png, NULL, NULL);
		return nrt_errf(err, errlen, "%s: out of memory", name);
	}
	if (setjmp(ctx.jb)) {
		png_destroy_read_struct(&png, &info, NULL);
		free(pix);
		free(rows);
		return nrt_errf(err, errlen, "%s: corrupt PNG: %s", name, ctx.msg);
	}
	png_set_read_fn(png, &ctx, png_read_mem);
	png_set_user_limits(png, MAX_SIDE, MAX_SIDE);
	png_read_info(png, info);
	png_set_expand(png);                   /* palette -> RGB, gray < 8 bits -> 8, tRNS -> alpha */
	png_set_strip_alpha(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	w = png_get_image_width(png, info);
	h = png_get_image_height(png, info);
	depth = png_get_bit_depth(png, info);
	ctype = png_get_color_type(png, info);
	src_ch = png_get_channels(png, info);
	rowbytes = png_get_rowbytes(png, info);
	if (w == 0 || h == 0 || (size_t)w * h > MAX_PIXELS)
		png_error(png, "image too large");
	if ((src_ch != 1 && src_ch != 3) || (depth != 8 && depth != 16) ||
	    rowbytes < (size_t)w * (size_t)src_ch * (size_t)(depth / 8)) {
		snprintf(ctx.msg, sizeof ctx.msg, "unsupported layout (color type %d, %d bits)",
			 ctype, depth);
		longjmp(ctx.jb, 1);
	}
	pix = malloc(rowbytes * h);
	rows = malloc(h * sizeof *rows);
	if (!pix || !rows || nrt_img_reserve(out, channels, (int)h, (int)w))
		png_error(png, "out of memory");
	for (png_uint_32 y = 0; y < h; y++)
		rows[y] = pix + (size_t)y * rowbytes;
	png_read_image(png, rows);
	png_read_end(png, NULL);
	for (png_uint_32 y = 0; y < h; y++)
		row_to_float(rows[y], (int)w, src_ch, depth == 16, (int)y, out);
	png_destroy_read_struct(&png, &info, NULL);
	free(pix);
	free(rows);
	return 0;
}

/* ------------------------------------------------------------------ JPEG */

struct jpeg_ctx {
	struct jpeg_error_mgr pub;     /* first: libjpeg sees a jpeg_error_mgr */
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
	int truncated;
};

static void jpeg_on_error(j_common_ptr cinfo)
{
	struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->err;
	(*cinfo->err->format_message)(cinfo, c->msg);
	longjmp(c->jb, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level)
{
	struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->err;
	if (level < 0) {
		if (cinfo->err->msg_code == JWRN_JPEG_EOF && !c->truncated) {
			c->truncated = 1;
			(*cinfo->err->format_message)(cinfo, c->msg);
		}
		cinfo->err->num_warnings++;
	}
}

static void jpeg_on_output(j_common_ptr cinfo)
{
	(void)cinfo;
}

static int decode_jpeg(const unsigned char *b, size_t n, const char *name, int channels,
		       struct nrt_img *out, char *err, size_t errlen)
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_ctx ctx;
	unsigned char *volatile row = NULL;

	memset(&ctx, 0, sizeof ctx);
	memset(&cinfo, 0, sizeof cinfo);
	cinfo.err = jpeg_std_error(&ctx.pub);
	ctx.pub.error_exit = jpeg_on_error;
	ctx.pub.emit_message = jpeg_on_message;
	ctx.pub.output_message = jpeg_on_output;
	if (setjmp(ctx.jb)) {
		jpeg_destroy_decompress(&cinfo);
		free(row);
		return nrt_errf(err, errlen, "%s: corrupt JPEG: %s", name, ctx.msg);
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, (unsigned char *)b, (unsigned long)n);
	jpeg_read_header(&cinfo, TRUE);
	if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
		snprintf(ctx.msg, sizeof ctx.msg, "CMYK images are not supported");
		longjmp(ctx.jb, 1);
	}
	cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_start_decompress(&cinfo);
	if (cinfo.output_width == 0 || cinfo.output_height == 0 ||
	    cinfo.output_width > MAX_SIDE || cinfo.output_height > MAX_SIDE ||
	    (size_t)cinfo.output_width * cinfo.output_height > MAX_PIXELS ||
	    cinfo.output_components != channels) {
		snprintf(ctx.msg, sizeof ctx.msg, "unsupported size or layout (%ux%u, %d channels)",
			 cinfo.output_width, cinfo.output_height, cinfo.output_components);
		longjmp(ctx.jb, 1);
	}
	row = malloc((size_t)cinfo.output_width * (size_t)channels);
	if (!row || nrt_img_reserve(out, channels, (int)cinfo.output_height,
				    (int)cinfo.output_width)) {
		snprintf(ctx.msg, sizeof ctx.msg, "out of memory");
		longjmp(ctx.jb, 1);
	}
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW r = row;
		int y = (int)cinfo.output_scanline;
		if (jpeg_read_scanlines(&cinfo, &r, 1) != 1) {
			snprintf(ctx.msg, sizeof ctx.msg, "no data at row %d", y);
			longjmp(ctx.jb, 1);
		}
		row_to_float(row, (int)cinfo.output_width, channels, 0, y, out);
		if (ctx.truncated)
			break;
	}
	if (!ctx.truncated)
		jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	free(row);
	if (ctx.truncated)
		return nrt_errf(err, errlen, "%s: truncated JPEG: %s", name, ctx.msg);
	return 0;
}

int nrt_img_decode(const unsigned char *b, size_t n, const char *name, int channels,
		   struct nrt_img *out, char *err, size_t errlen)
{
	if (channels != 1 && channels != 3)
		return nrt_errf(err, errlen, "%s: %d channels asked (1 or 3)", name, channels);
	if (n == 0)
		return nrt_errf(err, errlen, "%s: empty file (0 bytes), not an image", name);
	switch (nrt_img_sniff(b, n)) {
	case NRT_IMG_PNG:
		return decode_png(b, n, name, channels, out, err, errlen);
	case NRT_IMG_JPEG:
		return decode_jpeg(b, n, name, channels, out, err, errlen);
	default:
		break;
	}
	if (n < 8)
		return nrt_errf(err, errlen, "%s: not a PNG or JPEG file (%zu bytes)", name, n);
	return nrt_errf(err, errlen, "%s: not a PNG or JPEG file (starts with %02x %02x %02x %02x)",
			name, b[0], b[1], b[2], b[3]);
}

int nrt_img_load(const char *path, int channels, int h, int w, struct nrt_img *out,
		 struct nrt_img *tmp, char *err, size_t errlen)
{
	size_t n;
	unsigned char *b = (unsigned char *)nrt_read_file(path, &n, err, errlen);
	int r;

	if (!b)
		return -1;
	r = nrt_img_decode(b, n, path, channels, tmp, err, errlen);
	free(b);
	if (r)
		return r;
	if (h <= 0 || w <= 0 || (tmp->h == h && tmp->w == w)) {
		struct nrt_img t = *out;
		*out = *tmp;
		*tmp = t;
		return 0;
	}
	if (nrt_img_resize(tmp, h, w, out))
		return nrt_errf(err, errlen, "%s: out of memory resizing to %dx%d", path, h, w);
	return 0;
}
