/* svg.h -- a small SVG writer for the HTML report: XML escaping, plot axes
 * (linear or log10) with "nice" ticks, text.
 *
 * Everything is written with stdio to a FILE the caller owns; the caller
 * checks ferror()/fclose() once at the end, so these functions return
 * nothing. Output is well-formed XML (every element closed, every text and
 * attribute value escaped) and valid inside HTML5 as inline SVG. Numbers are
 * printed with printf in the C locale (the program never calls setlocale).
 *
 * Escaping (ckr_xml_puts): & < > " ' become entities, so the same function
 * serves text and attribute values. Invalid UTF-8 and the characters XML 1.0
 * forbids (C0 controls other than tab, newline and carriage return, and the
 * non-characters U+FFFE/U+FFFF) are written as U+FFFD, so any byte string
 * gives well-formed output.
 *
 * Numbers are written as text by ckr_fmt_fixed and ckr_fmt_g, with a dash
 * for a missing value.
 *
 * Axes: an axis maps a data interval [lo, hi] to a pixel interval [p0, p1]
 * (p1 < p0 for a y axis, whose pixels grow downwards). ckr_axis_fit picks
 * the interval from data: linear axes pad the data range by 5% and round it
 * outwards to a multiple of the tick step (1, 2 or 5 x 10^k, about 5 ticks);
 * log10 axes use the positive values only and round to whole decades. Values
 * outside the interval (and, on a log axis, values <= 0) are clamped to its
 * ends by ckr_axis_px. */
#ifndef CKR_SVG_H
#define CKR_SVG_H

#include <stddef.h>
#include <stdio.h>

/* Decode one UTF-8 code point at s (s[0] != 0). Returns the bytes used
 * (1..4); *cp is U+FFFD for an invalid or overlong sequence (1 byte used). */
int ckr_utf8_decode(const char *s, unsigned *cp);

/* Write s escaped for XML text or a quoted attribute value. */
void ckr_xml_puts(FILE *f, const char *s);
/* The same, cut to at most max code points ("..." as U+2026 when cut). */
void ckr_xml_puts_max(FILE *f, const char *s, size_t max);
/* Number of code points of s (invalid bytes count one each). */
size_t ckr_utf8_len(const char *s);

typedef struct ckr_axis {
    double lo, hi;   /* data interval shown; log axes: 0 < lo < hi, whole decades */
    double step;     /* linear: tick step */
    int log;         /* 1: log10 scale */
    double p0, p1;   /* pixels of lo and hi */
} ckr_axis;

/* Fit the axis to the finite values of v[0..n) (log: the finite values > 0).
 * Returns the number of values used; with none, the axis is [0, 1] (log:
 * [1, 10]). */
size_t ckr_axis_fit(ckr_axis *a, const double *v, size_t n, int log, double p0, double p1);
/* Narrow a fitted linear axis to at most [lo, hi] (e.g. [-1, 1] for a
 * correlation, so rounding out does not show impossible values). */
void ckr_axis_limit(ckr_axis *a, double lo, double hi);
/* Pixel of value v (clamped to the axis). */
double ckr_axis_px(const ckr_axis *a, double v);
/* Tick values in [lo, hi], ascending; returns how many (at most max). */
int ckr_axis_ticks(const ckr_axis *a, double *t, int max);
/* Tick label of v on axis a into buf ("0.25", "1e-05", "100"). */
void ckr_axis_label(const ckr_axis *a, double v, char *buf, size_t len);

/* Text of values on the report page: an en dash (U+2013) stands for a
 * missing value, a middle dot (U+00B7) separates items. */
#define CKR_TEXT_DASH "\xE2\x80\x93"
#define CKR_TEXT_MIDDOT "\xC2\xB7"
/* x with prec decimals ("%.*f") into buf, or CKR_TEXT_DASH if x is not finite. */
void ckr_fmt_fixed(char *buf, size_t len, double x, int prec);
/* x with 3 significant digits ("%.3g") into buf, or CKR_TEXT_DASH if x is not
 * finite. */
void ckr_fmt_g(char *buf, size_t len, double x);

/* <svg> root: xmlns, width, height, viewBox, class (may be NULL), and a
 * <title> child with label (may be NULL). */
void ckr_svg_begin(FILE *f, double w, double h, const char *cls, const char *label);
void ckr_svg_end(FILE *f);

/* Frame, grid lines, tick labels and axis titles (may be NULL) of the plot
 * area spanned by x (horizontal) and y (vertical). Every tick gets a grid
 * line; an x tick label that would overlap the previous one, or end more
 * than 14 px right of the plot area, is left out. Leave about 50 px left of
 * the area (y labels and title) and 30 px below it (x labels and title). */
void ckr_svg_axes(FILE *f, const ckr_axis *x, const ckr_axis *y, const char *xtitle,
                  const char *ytitle);

/* <text> at (x, y); anchor "start", "middle" or "end"; cls may be NULL; the
 * text is escaped and cut to max code points (0 = no limit). */
void ckr_svg_text(FILE *f, double x, double y, const char *anchor, const char *cls,
                  const char *text, size_t max);

#endif
