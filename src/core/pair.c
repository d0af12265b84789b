/* pair.c -- the data model's free function (contract in core/pair.h). */
#include <stdlib.h>
#include <string.h>

#include "core/pair.h"

void ckr_pair_free(ckr_pair *pair)
{
    if (!pair)
        return;
    free(pair->train.y);
    free(pair->train.Y);
    free(pair->val.y);
    free(pair->val.Y);
    free(pair->test.y);
    free(pair->test.Y);
    free(pair->train_features.data);
    free(pair->val_features.data);
    free(pair->test_features.data);
    free(pair->train_logits.data);
    free(pair->val_logits.data);
    free(pair->top_weights.data);
    free(pair->top_bias);
    memset(pair, 0, sizeof *pair); /* ckpt/task belong to the zoo */
}
