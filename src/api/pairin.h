/* pairin.h -- a ckr_pair built from the caller's arrays of a ckptrank_pair
 * (include/ckptrank/score.h), for ckptrank_score (internal to src/api).
 *
 * Every array is copied to double (labels to int / uint8) and checked as
 * `ckptrank import` checks the arrays it writes (zoo/import.h:
 * ckr_import_check_arrays): shapes, finite features and logits, labels in
 * range or 0/1, split dependencies, at least two training classes; the
 * top layer (top_weights [D, H] with top_bias [H], finite) and num_params
 * (0 or a finite number > 0) are checked here. Val labels without val
 * features are dropped, as the zoo reader drops them. */
#ifndef CKR_API_PAIRIN_H
#define CKR_API_PAIRIN_H

#include "ckptrank/score.h"
#include "core/pair.h"
#include "util/err.h"

/* Fill *out (owning its buffers: free with ckr_pair_free) from in, with
 * out->ckpt / out->task set to ckpt / task (borrowed). Returns 0, or
 * CKR_EARG (a bad dtype, a missing required array, a bad name),
 * CKR_EFORMAT / CKR_EDATA (shapes, values) or CKR_ENOMEM with err set and
 * *out zeroed. */
int ckr_api_pair_from(const ckptrank_pair *in, const char *ckpt, const char *task, ckr_pair *out,
                      ckr_err *err);

#endif
