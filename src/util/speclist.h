/* speclist.h -- method-spec lists as text: split a list, expand sweeps.
 *
 * A method spec is `name` or `name:key=value,key=value`; a method list joins
 * specs with commas, e.g. "nleep:pca=0.9,ratio=3,leep".  The list is cut at
 * every comma into pieces; a piece with a '=' that no ':' precedes (a bare
 * `key=value`) continues the spec before it, any other piece starts a new
 * spec.  Leading blanks of a piece are dropped; an empty piece ends the
 * current spec and is otherwise ignored.
 *
 * A value may be a sweep `a|b|c`.  The grid points of a spec are the specs
 * with one value of each sweep, in the user's key order: the first swept key
 * varies slowest ("k=1|2,j=a|b" gives k=1,j=a  k=1,j=b  k=2,j=a  k=2,j=b).
 * A spec without '|' is its own single grid point.
 *
 * Text only: nothing here knows the methods (their names or parameter
 * tables).  methods/spec.c resolves the texts against the method registry;
 * report/merge.c needs only the texts. */
#ifndef CKR_SPECLIST_H
#define CKR_SPECLIST_H

#include <stddef.h>

#include "util/err.h"

/* Bytes of one spec text, its terminating NUL included. */
#define CKR_SPEC_TEXT_MAX 256

/* One grid point of a method list. */
typedef struct ckr_spec_point {
    char text[CKR_SPEC_TEXT_MAX];   /* the grid point, a spec without sweeps */
    char sweep[CKR_SPEC_TEXT_MAX];  /* the user's spec it comes from when that is
                                       a sweep, "" otherwise */
} ckr_spec_point;

/* Copy the next spec of the list at *cursor into spec (CKR_SPEC_TEXT_MAX
 * bytes; its pieces joined by ',' again, leading blanks dropped) and advance
 * *cursor past it; spec is "" when the list has no spec left.  Returns 0, or
 * CKR_EARG when a `key=value` piece has no spec before it or the spec does not
 * fit in CKR_SPEC_TEXT_MAX bytes. */
int ckr_speclist_next(const char **cursor, char *spec, ckr_err *err);

/* Call visit(point, sweep, arg) for each grid point of spec in order, where
 * sweep is spec when spec has a sweep and "" otherwise.  Stops at the first
 * non-zero return of visit and returns it.  Returns CKR_EARG for an empty
 * value in a sweep ("a||b") or a grid point longer than CKR_SPEC_TEXT_MAX - 1. */
int ckr_speclist_grid(const char *spec, int (*visit)(const char *point, const char *sweep,
                                                     void *arg),
                      void *arg, ckr_err *err);

/* CKR_EARG "method '<text>' listed twice" when two points share a text,
 * "no method given" when n is 0; else 0. */
int ckr_speclist_check_unique(const ckr_spec_point *points, size_t n, ckr_err *err);

/* The grid points of every spec of list, in list order, in a newly allocated
 * array (*out, *n; free with free()), checked by ckr_speclist_check_unique.
 * Returns 0, CKR_EARG (as above) or CKR_ENOMEM; nothing is allocated on
 * failure. */
int ckr_speclist_expand(const char *list, ckr_spec_point **out, size_t *n, ckr_err *err);

#endif
