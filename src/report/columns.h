/* columns.h -- the columns of the results tables, declared once for every
 * file format: results.h5 (results_h5.c), the CSV files (results_csv.c) and
 * the JSON document (json.c).
 *
 * A table (ckr_table_desc) is an array of rows of one C struct: the score
 * rows, the ground-truth rows, the metrics rows, and the provenance (one
 * ckr_results_meta, written as attributes of the file's root). Each column
 * (ckr_column) names a field of the row by offset and type and says in which
 * formats it appears. The writers and readers walk the table in its order, so
 * adding a field to a row struct and one line to its table puts the field in
 * every format that the line's flags name.
 *
 * What each type is in each format:
 *
 *   type        C field              HDF5                     CSV        JSON
 *   STR         char[size], NUL-end  fixed-length string      RFC 4180   string (RFC 8259)
 *   F64         double               float64 (IEEE LE)        %.17g      %.17g
 *   I32         int                  int32 (LE)               %d         %d
 *   U64         unsigned long long   native ullong            %llu       %llu
 *   BOOL        int (0 or 1)         int32 (LE)               %d         false / true
 *   F64_K       double[CKR_MAX_K]    float64 [rows, nk]       one column per cut-off k,
 *                                    (1-D when nk == 1)       named NAME@K
 *
 * A missing number (NaN) is an empty CSV field; JSON has null for NaN and
 * the infinities. In CSV and JSON, the per-cut-off columns of a table are
 * interleaved by cut-off (recall@1, rel@1, recall@3, rel@3, ...); see
 * ckr_table_cells. The provenance table uses the HDF5 native types for its
 * attributes (hdf5-schemas/results-v1.md). */
#ifndef CKR_COLUMNS_H
#define CKR_COLUMNS_H

#include <stddef.h>

typedef enum ckr_col_type {
    CKR_COL_STR,
    CKR_COL_F64,
    CKR_COL_I32,
    CKR_COL_U64,
    CKR_COL_BOOL,
    CKR_COL_F64_K
} ckr_col_type;

/* Where a column appears and how (ckr_column.flags). */
enum {
    CKR_COL_H5 = 1u << 0,         /* a dataset of the table's group (an attribute for the provenance) */
    CKR_COL_JSON = 1u << 1,       /* a key of the table's JSON objects */
    CKR_COL_CSV = 1u << 2,        /* a column of the table's CSV file, written and read */
    CKR_COL_CSV_NEEDED = 1u << 3, /* reading CSV: the header must have this column */
    CKR_COL_OK_ONLY = 1u << 4,    /* missing (empty CSV field, JSON null) unless the row's
                                     status is "ok"; at most one per table */
    CKR_COL_RUN_ONLY = 1u << 5,   /* known only from a run: JSON null when the rows came
                                     from CSV files (CKR_JSON_FROM_CSV) */
    CKR_COL_FIT = 1u << 6,        /* free text (a message): a value read from a file that is
                                     longer than the field is shortened by ckr_msg_fit
                                     (util/msg.h); a longer value of any other string
                                     column is refused */
    CKR_COL_H5_OPTIONAL = 1u << 7 /* reading HDF5: a file without the dataset (written by an
                                     older ckptrank) leaves the field empty */
};

typedef struct ckr_column {
    const char *name;      /* HDF5 dataset or attribute, CSV header and JSON key */
    ckr_col_type type;
    size_t offset, size;   /* of the field in the row struct */
    unsigned flags;
} ckr_column;

typedef struct ckr_table_desc {
    const char *h5_group;      /* the table's group in results.h5; NULL: root attributes */
    const ckr_column *col;
    size_t n_col;
    size_t row_size;           /* sizeof the row struct */
    long status_offset;        /* of the row's status string (for CKR_COL_OK_ONLY), or -1 */
} ckr_table_desc;

/* The tables, in the order their columns are written (HDF5 datasets are
 * created in this order; JSON keys and CSV columns follow it):
 *   ckr_score_table   ckr_score_row     /scores        checkpoint task method score status
 *                                                      message info seconds gflops heldout
 *                                                      sweep best terms
 *   ckr_gt_table      ckr_gt_row        /ground_truth  checkpoint task accuracy
 *   ckr_metric_table  ckr_metric_row    /metrics       task method n_checkpoints n_excluded
 *                                                      recall rel pearson kendall
 *                                                      weighted_kendall mean_seconds mean_gflops
 *   ckr_meta_table    ckr_results_meta  / (attrs)      command_line version zoo methods seed
 *                                                      n_ranks start_time end_time seconds */
extern const ckr_table_desc ckr_score_table;
extern const ckr_table_desc ckr_gt_table;
extern const ckr_table_desc ckr_metric_table;
extern const ckr_table_desc ckr_meta_table;

/* The field of column c in the row at row (a pointer to the table's struct). */
const char *ckr_col_str(const ckr_column *c, const void *row);
double ckr_col_f64(const ckr_column *c, const void *row);
/* F64_K: the value for cut-off index j (0 <= j < CKR_MAX_K). */
double ckr_col_f64_k(const ckr_column *c, const void *row, int j);
/* I32 and BOOL: the int. */
int ckr_col_int(const ckr_column *c, const void *row);
unsigned long long ckr_col_u64(const ckr_column *c, const void *row);
/* Writable pointer to the field of column c in row. */
void *ckr_col_field(const ckr_column *c, void *row);

/* The status column of t (the string column at t->status_offset), or NULL
 * when t->status_offset is -1. */
const ckr_column *ckr_table_status(const ckr_table_desc *t);

/* 1 if row's value of column c is known: 0 only for a CKR_COL_OK_ONLY column
 * of a row whose status is not "ok". */
int ckr_col_known(const ckr_table_desc *t, const ckr_column *c, const void *row);

/* One cell of a CSV row or JSON object: a column and, for an F64_K column,
 * the cut-off index j (-1 otherwise). */
typedef struct ckr_cell {
    const ckr_column *col;
    int j;
} ckr_cell;

/* Upper bound of the cells of any table (for a caller's array). */
#define CKR_MAX_CELLS 64

/* The cells, in output order, of the columns of t that have every flag of
 * `format` (e.g. CKR_COL_CSV), for nk cut-offs (clamped to [0, CKR_MAX_K]):
 * the columns in table order, except that a run of consecutive F64_K columns
 * becomes nk groups, one per cut-off, each holding those columns in order.
 * Writes at most CKR_MAX_CELLS cells to out; returns how many. */
size_t ckr_table_cells(const ckr_table_desc *t, unsigned format, int nk, ckr_cell *out);

/* Name of cell c into buf: the column name, or NAME@K (K = k[c->j]) for an
 * F64_K column. */
void ckr_cell_name(const ckr_cell *c, const int *k, char *buf, size_t len);

#endif
