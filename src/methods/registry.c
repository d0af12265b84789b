/* registry.c -- the table of methods. Adding a score = one line here. */
#include <string.h>

#include "methods/method.h"

extern const ckr_method ckr_method_leep;
extern const ckr_method ckr_method_nleep;
extern const ckr_method ckr_method_logme;
extern const ckr_method ckr_method_hscore;
extern const ckr_method ckr_method_hscore_shrink;
extern const ckr_method ckr_method_nce;
extern const ckr_method ckr_method_transrate;
extern const ckr_method ckr_method_gbc;
extern const ckr_method ckr_method_sfda;
extern const ckr_method ckr_method_parc;
extern const ckr_method ckr_method_ncti;
extern const ckr_method ckr_method_etran;
extern const ckr_method ckr_method_linear;
extern const ckr_method ckr_method_finetune;
extern const ckr_method ckr_method_mi;
extern const ckr_method ckr_method_size;
extern const ckr_method ckr_method_dummy;

static const ckr_method *const registry[] = {
    &ckr_method_nleep,
    &ckr_method_leep,
    &ckr_method_logme,
    &ckr_method_hscore,
    &ckr_method_hscore_shrink,
    &ckr_method_nce,
    &ckr_method_transrate,
    &ckr_method_gbc,
    &ckr_method_sfda,
    &ckr_method_parc,
    &ckr_method_ncti,
    &ckr_method_etran,
    &ckr_method_linear,
    &ckr_method_finetune,
    &ckr_method_mi,
    &ckr_method_size,
    &ckr_method_dummy,
};

size_t ckr_method_count(void) { return sizeof registry / sizeof registry[0]; }

const ckr_method *ckr_method_at(size_t i)
{
    return i < ckr_method_count() ? registry[i] : NULL;
}

const ckr_method *ckr_method_find(const char *name)
{
    for (size_t i = 0; i < ckr_method_count(); i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}
