/* image.h - decoding PNG and JPEG images to float planes, resizing, and
 * the safe paths of image files under a data root. */
#ifndef NRT_IMAGE_H
#define NRT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* A float image, planar: p[(c * h + y) * w + x], values in [0, 1] after decoding. */
struct nrt_img {
	float *p;
	int c, h, w;
	size_t cap;                    /* floats allocated at p */
};

/* Make room for c x h x w floats in im (keeps the old buffer when large
 * enough).  0, or -1 when out of memory (im unchanged). */
int nrt_img_reserve(struct nrt_img *im, int c, int h, int w);
void nrt_img_free(struct nrt_img *im);

enum nrt_img_format { NRT_IMG_UNKNOWN, NRT_IMG_PNG, NRT_IMG_JPEG };

/* The format of a file's bytes, by their magic numbers. */
enum nrt_img_format nrt_img_sniff(const unsigned char *b, size_t n);

/* Decode the bytes of an image (PNG or JPEG, whatever the name says) to
 * channels (1 gray, 3 RGB) at its own size: palette, 1/2/4/16-bit, gray
 * and RGB are converted, alpha is dropped (gray from RGB: ITU-R 601,
 * L = 0.299 R + 0.587 G + 0.114 B, as PIL).  name is for messages.  0, or
 * -1 with "name: what is wrong" in err; libpng and libjpeg never print
 * or exit. */
int nrt_img_decode(const unsigned char *b, size_t n, const char *name, int channels,
		   struct nrt_img *out, char *err, size_t errlen);

/* Resize src to h x w into dst (dst != src): bilinear (triangle filter),
 * widened by the scale factor when shrinking so that every source pixel
 * contributes (antialiasing, as PIL's resize with BILINEAR).  Equal
 * sizes copy.  0, or -1 when out of memory. */
int nrt_img_resize(const struct nrt_img *src, int h, int w, struct nrt_img *dst);

/* Read the file path and decode it, resized to h x w (0: its own size). */
int nrt_img_load(const char *path, int channels, int h, int w, struct nrt_img *out,
		 struct nrt_img *tmp, char *err, size_t errlen);

/* Join root and rel (an image path from a label file) into out, refusing
 * paths that leave the root: absolute paths and ".." components that go
 * above it.  Lexical only; 0, or -1 with a message. */
int nrt_path_join(const char *root, const char *rel, char *out, size_t outlen, char *err,
		  size_t errlen);

/* realpath(path) must lie under real_root (itself a realpath): the check
 * against symbolic links leading out.  The resolved path goes to out.
 * 0, or -1 with "path: ..." in err. */
int nrt_path_check(const char *real_root, const char *path, char *out, size_t outlen,
		   char *err, size_t errlen);

#endif
