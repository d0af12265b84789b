/* svg.c -- the small SVG writer (see svg.h). */
#include "report/svg.h"

#include <math.h>
#include <string.h>

/* ---- text ------------------------------------------------------------------- */

static int cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

int ckr_utf8_decode(const char *s, unsigned *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0];
    *cp = 0xFFFD;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        if (!cont(u[1]))
            return 1;
        *cp = ((c & 0x1Fu) << 6) | (u[1] & 0x3Fu);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(u[1]) || !cont(u[2]) || (c == 0xE0 && u[1] < 0xA0) || (c == 0xED && u[1] > 0x9F))
            return 1; /* truncated, overlong or a surrogate */
        *cp = ((c & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(u[1]) || !cont(u[2]) || !cont(u[3]) || (c == 0xF0 && u[1] < 0x90) ||
            (c == 0xF4 && u[1] > 0x8F))
            return 1;
        *cp = ((c & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12) | ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
        return 4;
    }
    return 1;
}

size_t ckr_utf8_len(const char *s)
{
    size_t n = 0;
    unsigned cp;
    while (*s) {
        s += ckr_utf8_decode(s, &cp);
        n++;
    }
    return n;
}

/* XML 1.0 Char production (surrogates never come out of the decoder). */
static int xml_char(unsigned cp)
{
    if (cp < 0x20)
        return cp == 0x9 || cp == 0xA || cp == 0xD;
    return cp != 0xFFFE && cp != 0xFFFF;
}

/* One code point of s, escaped; returns the bytes consumed. */
static int put_one(FILE *f, const char *s)
{
    unsigned cp;
    int len = ckr_utf8_decode(s, &cp);
    if (cp == 0xFFFD || !xml_char(cp)) {
        fputs("\xEF\xBF\xBD", f);
        return len;
    }
    switch (cp) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default: fwrite(s, 1, (size_t)len, f); break;
    }
    return len;
}

void ckr_xml_puts(FILE *f, const char *s)
{
    while (*s)
        s += put_one(f, s);
}

void ckr_xml_puts_max(FILE *f, const char *s, size_t max)
{
    if (max == 0 || ckr_utf8_len(s) <= max) {
        ckr_xml_puts(f, s);
        return;
    }
    for (size_t i = 0; i + 1 < max && *s; i++)
        s += put_one(f, s);
    fputs("\xE2\x80\xA6", f); /* U+2026 */
}

/* ---- numbers as text ---------------------------------------------------------- */

void ckr_fmt_fixed(char *buf, size_t len, double x, int prec)
{
    if (isfinite(x))
        snprintf(buf, len, "%.*f", prec, x);
    else
        snprintf(buf, len, CKR_TEXT_DASH);
}

void ckr_fmt_g(char *buf, size_t len, double x)
{
    if (isfinite(x))
        snprintf(buf, len, "%.3g", x);
    else
        snprintf(buf, len, CKR_TEXT_DASH);
}

/* ---- axes ------------------------------------------------------------------- */

/* 1, 2 or 5 x 10^k, the nearest to x > 0. */
static double nice_step(double x)
{
    double e = floor(log10(x)), p = pow(10.0, e), f = x / p;
    double nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    return nf * p;
}

size_t ckr_axis_fit(ckr_axis *a, const double *v, size_t n, int log, double p0, double p1)
{
    double lo = INFINITY, hi = -INFINITY;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]) || (log && v[i] <= 0))
            continue;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
        used++;
    }
    a->log = log;
    a->p0 = p0;
    a->p1 = p1;
    a->step = 0;
    if (log) {
        if (!used) {
            lo = 1;
            hi = 10;
        }
        double dlo = floor(log10(lo)), dhi = ceil(log10(hi));
        if (dhi <= dlo) {
            dlo -= 1;
            dhi += 1;
        }
        a->lo = pow(10.0, dlo);
        a->hi = pow(10.0, dhi);
        return used;
    }
    if (!used) {
        lo = 0;
        hi = 1;
    } else if (hi == lo) {
        double d = fabs(lo) * 0.1;
        if (!(d > 1e-300))
            d = 0.5;
        lo -= d;
        hi += d;
    } else {
        double pad = 0.05 * (hi - lo);
        lo -= pad;
        hi += pad;
    }
    double span = hi - lo;
    if (isfinite(span) && span > 0) {
        double step = nice_step(span / 5.0);
        double l = floor(lo / step) * step, h = ceil(hi / step) * step;
        if (isfinite(l) && isfinite(h) && h > l) {
            lo = l;
            hi = h;
            a->step = step;
        }
    }
    a->lo = lo;
    a->hi = hi;
    return used;
}

void ckr_axis_limit(ckr_axis *a, double lo, double hi)
{
    if (a->log || !(lo < hi))
        return;
    double l = a->lo < lo ? lo : a->lo, h = a->hi > hi ? hi : a->hi;
    if (l < h) {
        a->lo = l;
        a->hi = h;
    }
}

double ckr_axis_px(const ckr_axis *a, double v)
{
    double t;
    if (a->log) {
        if (!(v > 0))
            return a->p0;
        t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    } else {
        t = (v - a->lo) / (a->hi - a->lo);
    }
    if (!(t >= 0))  /* NaN too */
        t = 0;
    if (t > 1)
        t = 1;
    return a->p0 + t * (a->p1 - a->p0);
}

int ckr_axis_ticks(const ckr_axis *a, double *t, int max)
{
    int n = 0;
    if (max <= 0)
        return 0;
    if (a->log) {
        int d0 = (int)lround(log10(a->lo)), d1 = (int)lround(log10(a->hi));
        int minor = d1 - d0 <= 2;
        for (int d = d0; d <= d1 && n < max; d++) {
            double p = pow(10.0, d);
            t[n++] = p;
            if (minor && d < d1) {
                if (n < max)
                    t[n++] = 2 * p;
                if (n < max)
                    t[n++] = 5 * p;
            }
        }
        return n;
    }
    if (!(a->step > 0)) {
        t[n++] = a->lo;
        if (n < max)
            t[n++] = a->hi;
        return n;
    }
    double i0 = round(a->lo / a->step), i1 = round(a->hi / a->step);
    for (double i = i0; i <= i1 && n < max; i++)
        t[n++] = i * a->step;
    return n;
}

void ckr_axis_label(const ckr_axis *a, double v, char *buf, size_t len)
{
    if (a->log) {
        snprintf(buf, len, "%g", v);
        return;
    }
    double mag = fabs(v);
    int dec = a->step > 0 ? (int)ceil(-log10(a->step) - 1e-9) : 3;
    if (dec < 0)
        dec = 0;
    if (mag >= 1e6 || dec > 6 || (a->step > 0 && a->step < 1e-6))
        snprintf(buf, len, "%.3g", v);
    else
        snprintf(buf, len, "%.*f", dec, v);
    /* "-0", "-0.00" -> drop the sign */
    if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
        memmove(buf, buf + 1, strlen(buf));
}

/* ---- elements ------------------------------------------------------------------ */

void ckr_svg_begin(FILE *f, double w, double h, const char *cls, const char *label)
{
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\"", w, h, w, h);
    if (cls) {
        fputs(" class=\"", f);
        ckr_xml_puts(f, cls);
        fputc('"', f);
    }
    fputs(">", f);
    if (label) {
        fputs("<title>", f);
        ckr_xml_puts(f, label);
        fputs("</title>", f);
    }
    fputc('\n', f);
}

void ckr_svg_end(FILE *f)
{
    fputs("</svg>\n", f);
}

void ckr_svg_text(FILE *f, double x, double y, const char *anchor, const char *cls,
                  const char *text, size_t max)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"", x, y, anchor ? anchor : "start");
    if (cls) {
        fputs(" class=\"", f);
        ckr_xml_puts(f, cls);
        fputc('"', f);
    }
    fputc('>', f);
    ckr_xml_puts_max(f, text, max);
    fputs("</text>\n", f);
}

#define MAX_TICKS 32

void ckr_svg_axes(FILE *f, const ckr_axis *x, const ckr_axis *y, const char *xtitle,
                  const char *ytitle)
{
    double left = x->p0 < x->p1 ? x->p0 : x->p1, right = x->p0 < x->p1 ? x->p1 : x->p0;
    double top = y->p0 < y->p1 ? y->p0 : y->p1, bottom = y->p0 < y->p1 ? y->p1 : y->p0;
    double t[MAX_TICKS];
    char lab[64];
    fputs("<g class=\"axes\" font-size=\"10\" fill=\"#555\">\n", f);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fcfcfd\" "
               "stroke=\"#b8bcc4\"/>\n", left, top, right - left, bottom - top);
    int nx = ckr_axis_ticks(x, t, MAX_TICKS);
    double last_right = -1e300;
    for (int i = 0; i < nx; i++) {
        double px = ckr_axis_px(x, t[i]);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e8ec\"/>\n",
                px, top, px, bottom);
        ckr_axis_label(x, t[i], lab, sizeof lab);
        /* about 6 px per character at font-size 10: skip a label that would touch the
         * last one or stick out far past the plot's right edge */
        double half = 3.0 * (double)strlen(lab);
        if (px - half < last_right + 4 || px + half > right + 14)
            continue;
        last_right = px + half;
        ckr_svg_text(f, px, bottom + 13, "middle", "tick", lab, 0);
    }
    int ny = ckr_axis_ticks(y, t, MAX_TICKS);
    for (int i = 0; i < ny; i++) {
        double py = ckr_axis_px(y, t[i]);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e8ec\"/>\n",
                left, py, right, py);
        ckr_axis_label(y, t[i], lab, sizeof lab);
        ckr_svg_text(f, left - 4, py + 3.5, "end", "tick", lab, 0);
    }
    if (xtitle)
        ckr_svg_text(f, (left + right) / 2, bottom + 26, "middle", "axis-title", xtitle, 0);
    if (ytitle) {
        double ty = (top + bottom) / 2, tx = left - 36;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"axis-title\" "
                   "transform=\"rotate(-90 %.1f %.1f)\">", tx, ty, tx, ty);
        ckr_xml_puts(f, ytitle);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
}
