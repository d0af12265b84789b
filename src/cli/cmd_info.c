/* cmd_info.c -- `ckptrank info ZOO`: tasks, checkpoints and pairs of a zoo. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cmdutil.h"
#include "zoo/zoo.h"

static void print_info(const char *file, const ckr_zoo *zoo)
{
    size_t nt = ckr_zoo_num_tasks(zoo), nc = ckr_zoo_num_ckpts(zoo), np = ckr_zoo_num_pairs(zoo);
    printf("%s: %zu tasks, %zu checkpoints, %zu pairs\n\ntasks:\n", file, nt, nc, np);
    printf("  %-20s %-10s %7s %8s %8s\n", "name", "kind", "classes", "n_train", "n_val");
    for (size_t i = 0; i < nt; i++) {
        const ckr_task_info *t = ckr_zoo_task(zoo, i);
        printf("  %-20s %-10s %7d %8zu %8zu%s%s\n", t->name,
               t->kind == CKR_MULTILABEL ? "multilabel" : "multiclass", t->num_classes, t->n_train,
               t->n_val, t->problem[0] ? "  PROBLEM: " : "", t->problem);
    }
    printf("\ncheckpoints:\n");
    for (size_t i = 0; i < nc; i++) {
        const ckr_ckpt_info *c = ckr_zoo_ckpt(zoo, i);
        printf("  %-24s arch=%s source=%s\n", c->name, c->arch[0] ? c->arch : "-",
               c->source[0] ? c->source : "-");
    }
    printf("\npairs:\n  %-24s %-20s %7s %6s %6s %6s %s\n", "checkpoint", "task", "N", "D",
           "logits", "val", "finetune_accuracy");
    for (size_t i = 0; i < np; i++) {
        const ckr_pair_info *p = ckr_zoo_pair(zoo, i);
        char z[16], gt[32];
        snprintf(z, sizeof z, "%zu", p->shape.z);
        snprintf(gt, sizeof gt, "%.4f", p->finetune_accuracy);
        printf("  %-24s %-20s %7zu %6zu %6s %6zu %s\n", ckr_zoo_ckpt(zoo, p->ckpt)->name,
               ckr_zoo_task(zoo, p->task)->name, p->shape.n, p->shape.d, p->shape.z ? z : "-",
               p->shape.n_val, p->has_gt ? gt : "-");
    }
}

int ckr_cmd_info(int argc, char **argv, MPI_Comm comm)
{
    cli_cmd c;
    cli_cmd_init(&c, argc, argv, comm);
    char *file = NULL;
    int prc = cli_parse_one_file(&c, "ckptrank info ZOO",
                                 "Summarise ZOO: its tasks, checkpoints and pairs with their shapes, and\n"
                                 "which pairs have source logits, a validation split and ground truth.",
                                 &file);
    if (prc != CLI_OK)
        return cli_parse_status(prc);
    if (c.rank != 0)
        return CKR_EXIT_OK; /* rank 0's work; its status is everyone's */
    ckr_zoo *zoo = NULL;
    ckr_err err = { 0, "" };
    int status = CKR_EXIT_OK;
    if (ckr_zoo_open(file, MPI_COMM_SELF, &zoo, &err) != 0 || ckr_zoo_scan(zoo, &err) != 0) {
        cli_error(&c, "%s", err.msg);
        status = CKR_EXIT_ERROR;
    } else {
        print_info(file, zoo);
    }
    ckr_zoo_close(zoo);
    return status;
}
