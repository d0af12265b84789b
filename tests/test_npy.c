/* test_npy.c -- the .npy / .npz reader (zoo/npy.h) on files written by
 * Debian's numpy: every dtype in both byte orders, C and Fortran order,
 * float16 (exact values worked out by hand), malformed headers, truncated
 * data, and .npz archives stored (np.savez) and deflated (savez_compressed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"
#include "zoo/npy.h"

static char dir[256];

/* the files: the values are functions of the position, checked below by the
 * same formula written in C; the broken files are edited copies */
static const char *const GEN =
    "import numpy as np, sys, os\n"
    "os.chdir(sys.argv[1])\n"
    "k = np.arange(12).reshape(3, 4)\n"
    "signed = np.where(k % 2 == 1, -(k + 1), k + 1)\n"
    "for t in ['f2','f4','f8','i1','i2','i4','i8','u1','u2','u4','u8']:\n"
    "    v = signed if t[0] in 'fi' else k + 1\n"
    "    for e in '<>':\n"
    "        np.save('m_%s%s.npy' % ('le' if e == '<' else 'be', t), v.astype(e + t))\n"
    "np.save('fortran.npy', np.asfortranarray(signed.astype('>f8')))\n"
    "assert np.load('fortran.npy').flags.f_contiguous\n"
    "np.save('vec.npy', np.array([3, 1, 4, 1, 5], dtype='<i8'))\n"
    "np.save('bool.npy', np.array([[True, False], [False, True], [True, True]]))\n"
    "np.save('scalar.npy', np.float64(2.5))\n"
    "np.save('extremes_i.npy', np.array([-128, 127], dtype='i1'))\n"
    "np.save('extremes_i8.npy', np.array([-2**62, 2**53], dtype='>i8'))\n"
    "np.save('extremes_u.npy', np.array([2**32 - 1, 0], dtype='<u4'))\n"
    "np.save('extremes_u8.npy', np.array([2**63, 1], dtype='>u8'))\n"
    "h = np.array([0.0, 1.0, -2.0, 0.5, 65504.0, 2.0**-24, 2.0**-14, 1/3, np.inf, -np.inf], '<f2')\n"
    "np.save('half.npy', h)\n"
    "np.save('half_be.npy', h.astype('>f2'))\n"
    "np.save('nan16.npy', np.array([np.nan], '<f2'))\n"
    "np.save('c16.npy', np.zeros(3, dtype=complex))\n"
    "np.save('obj.npy', np.array([1, 'a'], dtype=object), allow_pickle=True)\n"
    "np.save('cube.npy', np.zeros((2, 2, 2)))\n"
    "np.save('rec.npy', np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))\n"
    "np.save('str.npy', np.array(['ab', 'c']))\n"
    "b = open('m_lef8.npy', 'rb').read()\n"
    "open('trunc.npy', 'wb').write(b[:-5])\n"
    "open('trailing.npy', 'wb').write(b + b'\\0' * 8)\n"
    "open('magic.npy', 'wb').write(b'\\x93NUMPX' + b[6:])\n"
    "open('version.npy', 'wb').write(b[:6] + b'\\x04\\x00' + b[8:])\n"
    "open('hlen.npy', 'wb').write(b[:8] + b'\\xff\\xff' + b[10:60])\n"
    "open('short.npy', 'wb').write(b[:7])\n"
    "def hdr(text):\n"
    "    text = text + ' ' * (118 - len(text)) + '\\n'\n"
    "    return b'\\x93NUMPY\\x01\\x00' + bytes([len(text), 0]) + text.encode() + b'\\0' * 16\n"
    "open('nokey.npy', 'wb').write(hdr(\"{'descr': '<f8', 'shape': (2,), }\"))\n"
    "open('badorder.npy', 'wb').write(hdr(\"{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,), }\"))\n"
    "open('notdict.npy', 'wb').write(hdr(\"['descr', '<f8']\"))\n"
    "open('badshape.npy', 'wb').write(hdr(\"{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }\"))\n"
    "open('reordered.npy', 'wb').write(hdr(\"{'shape': (2,), 'fortran_order': False, 'descr': '<f8'}\"))\n"
    "np.savez('st.npz', a=signed.astype('<f4'), y=np.array([0, 1, 2], 'u1'))\n"
    "np.savez_compressed('df.npz', a=signed.astype('>f8'), y=np.array([0, 1, 2], 'i2'))\n"
    "np.savez_compressed('one.npz', only=np.arange(3.0))\n"
    "d = bytearray(open('df.npz', 'rb').read())\n"
    "d[60] ^= 0xff\n"
    "open('corrupt.npz', 'wb').write(bytes(d))\n"
    "z = open('st.npz', 'rb').read()\n"
    "open('cut.npz', 'wb').write(z[:len(z) // 2])\n";

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", ckr_test_tmpdir());
    char path[512], cmd[1024];
    snprintf(path, sizeof path, "%s/gen.py", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(GEN, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, CKR_PY " %s %s", path, dir);
    return ckr_test_sh(cmd) == 0 ? 0 : -1;
}

static int load(const char *name, const char *key, ckr_npy *a, ckr_err *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return ckr_npy_load(path, key, a, err);
}

/* (-1)^k (k + 1) for signed types, k + 1 for unsigned, k = 4 i + j */
static void check_matrix(const ckr_npy *a, int is_signed)
{
    assert_int_equal(a->ndim, 2);
    assert_int_equal(a->rows, 3);
    assert_int_equal(a->cols, 4);
    for (int k = 0; k < 12; k++) {
        double want = is_signed && k % 2 ? -(k + 1) : k + 1;
        assert_true(a->data[k] == want);
    }
}

static void test_every_dtype_both_orders(void **state)
{
    (void)state;
    const char *types[] = {"f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        for (int be = 0; be < 2; be++) {
            char name[64];
            snprintf(name, sizeof name, "m_%s%s.npy", be ? "be" : "le", types[t]);
            ckr_npy a;
            ckr_err err = {0, ""};
            assert_int_equal(load(name, NULL, &a, &err), 0);
            assert_int_equal(a.kind, types[t][0]);
            assert_int_equal(a.itemsize, types[t][1] - '0');
            check_matrix(&a, types[t][0] != 'u');
            ckr_npy_free(&a);
        }
}

static void test_fortran_vector_bool_scalar(void **state)
{
    (void)state;
    ckr_npy a;
    ckr_err err = {0, ""};
    assert_int_equal(load("fortran.npy", NULL, &a, &err), 0);
    check_matrix(&a, 1);
    ckr_npy_free(&a);
    assert_int_equal(load("vec.npy", NULL, &a, &err), 0);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(a.rows, 5);
    assert_int_equal(a.cols, 1);
    const double v[5] = {3, 1, 4, 1, 5};
    for (int i = 0; i < 5; i++)
        assert_true(a.data[i] == v[i]);
    ckr_npy_free(&a);
    assert_int_equal(load("bool.npy", NULL, &a, &err), 0);
    assert_int_equal(a.kind, 'b');
    const double b[6] = {1, 0, 0, 1, 1, 1};
    for (int i = 0; i < 6; i++)
        assert_true(a.data[i] == b[i]);
    ckr_npy_free(&a);
    assert_int_equal(load("scalar.npy", NULL, &a, &err), 0);
    assert_int_equal(a.ndim, 0);
    assert_true(a.rows == 1 && a.cols == 1 && a.data[0] == 2.5);
    ckr_npy_free(&a);
}

static void test_integer_extremes(void **state)
{
    (void)state;
    struct { const char *f; double v0, v1; } c[] = {
        {"extremes_i.npy", -128, 127},
        {"extremes_i8.npy", -4611686018427387904.0, 9007199254740992.0},
        {"extremes_u.npy", 4294967295.0, 0},
        {"extremes_u8.npy", 9223372036854775808.0, 1},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        ckr_npy a;
        ckr_err err = {0, ""};
        assert_int_equal(load(c[i].f, NULL, &a, &err), 0);
        assert_true(a.data[0] == c[i].v0);
        assert_true(a.data[1] == c[i].v1);
        ckr_npy_free(&a);
    }
}

/* float16: 1/3 rounds to 0x3555 = (1024 + 341) / 4096 = 0.333251953125 */
static void test_float16(void **state)
{
    (void)state;
    const double want[10] = {0, 1, -2, 0.5, 65504, 5.9604644775390625e-08, 6.103515625e-05,
                             0.333251953125, INFINITY, -INFINITY};
    const char *files[2] = {"half.npy", "half_be.npy"};
    for (int f = 0; f < 2; f++) {
        ckr_npy a;
        ckr_err err = {0, ""};
        assert_int_equal(load(files[f], NULL, &a, &err), 0);
        assert_int_equal(a.rows, 10);
        for (int i = 0; i < 10; i++)
            assert_true(a.data[i] == want[i]);
        ckr_npy_free(&a);
    }
    ckr_npy a;
    ckr_err err = {0, ""};
    assert_int_equal(load("nan16.npy", NULL, &a, &err), 0);
    assert_true(isnan(a.data[0]));
    ckr_npy_free(&a);
    assert_true(ckr_half_to_double(0x8000) == 0 && signbit(ckr_half_to_double(0x8000)));
    assert_true(ckr_half_to_double(0x7bff) == 65504);
    assert_true(ckr_half_to_double(0x03ff) == 1023.0 / 16777216.0); /* largest subnormal */
}

static void refused(const char *file, const char *key, int code, const char *words)
{
    ckr_npy a;
    ckr_err err = {0, ""};
    int rc = load(file, key, &a, &err);
    if (rc != code || !strstr(err.msg, words) || !strstr(err.msg, file)) {
        print_error("%s: rc %d (want %d), message '%s' (want '%s')\n", file, rc, code, err.msg,
                    words);
        fail();
    }
    assert_null(a.data);
}

static void test_malformed(void **state)
{
    (void)state;
    refused("trunc.npy", NULL, CKR_EFORMAT, "truncated");
    refused("trailing.npy", NULL, CKR_EFORMAT, "trailing bytes");
    refused("magic.npy", NULL, CKR_EFORMAT, "not a .npy file");
    refused("short.npy", NULL, CKR_EFORMAT, "not a .npy file");
    refused("version.npy", NULL, CKR_EFORMAT, "format version 4");
    refused("hlen.npy", NULL, CKR_EFORMAT, "truncated");
    refused("nokey.npy", NULL, CKR_EFORMAT, "lacks 'descr', 'fortran_order' or 'shape'");
    refused("badorder.npy", NULL, CKR_EFORMAT, "fortran_order");
    refused("notdict.npy", NULL, CKR_EFORMAT, "not a dict");
    refused("badshape.npy", NULL, CKR_EFORMAT, "shape");
    refused("c16.npy", NULL, CKR_EFORMAT, "dtype '<c16' is not supported");
    refused("obj.npy", NULL, CKR_EFORMAT, "dtype '|O' is not supported");
    refused("str.npy", NULL, CKR_EFORMAT, "is not supported");
    refused("rec.npy", NULL, CKR_EFORMAT, "structured dtypes");
    refused("cube.npy", NULL, CKR_EFORMAT, "more than 2 dimensions");
    refused("nothere.npy", NULL, CKR_EIO, "cannot open");
    refused("vec.npy", "a", CKR_EARG, "not an .npz archive");
    /* a default key names the member of an .npz and is ignored by a .npy */
    char path[512];
    ckr_npy v;
    ckr_err verr = {0, ""};
    snprintf(path, sizeof path, "%s/vec.npy", dir);
    assert_int_equal(ckr_npy_load_key(path, NULL, "a", &v, &verr), 0);
    assert_true(v.rows == 5 && v.data[2] == 4);
    ckr_npy_free(&v);
    snprintf(path, sizeof path, "%s/st.npz", dir);
    assert_int_equal(ckr_npy_load_key(path, NULL, "y", &v, &verr), 0);
    assert_true(v.rows == 3 && v.data[2] == 2);
    ckr_npy_free(&v);
    /* the keys in another order and no trailing comma are fine; the data is
     * 16 zero bytes: two zeros */
    ckr_npy a;
    ckr_err err = {0, ""};
    assert_int_equal(load("reordered.npy", NULL, &a, &err), 0);
    assert_true(a.rows == 2 && a.data[0] == 0 && a.data[1] == 0);
    ckr_npy_free(&a);
}

static void test_npz(void **state)
{
    (void)state;
    const char *arch[2] = {"st.npz", "df.npz"}; /* stored, deflated */
    for (int i = 0; i < 2; i++) {
        ckr_npy a;
        ckr_err err = {0, ""};
        assert_int_equal(load(arch[i], "a", &a, &err), 0);
        check_matrix(&a, 1);
        ckr_npy_free(&a);
        assert_int_equal(load(arch[i], "y.npy", &a, &err), 0);
        assert_true(a.rows == 3 && a.data[0] == 0 && a.data[1] == 1 && a.data[2] == 2);
        ckr_npy_free(&a);
        refused(arch[i], "z", CKR_EFORMAT, "no array 'z' in the archive (it has: a, y)");
        refused(arch[i], NULL, CKR_EARG, "name one with --key");
    }
    ckr_npy a;
    ckr_err err = {0, ""};
    assert_int_equal(load("one.npz", NULL, &a, &err), 0);
    assert_true(a.rows == 3 && a.data[2] == 2);
    ckr_npy_free(&a);
    refused("corrupt.npz", "a", CKR_EFORMAT, "a.npy");
    refused("cut.npz", "a", CKR_EFORMAT, "cut.npz");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_dtype_both_orders),
        cmocka_unit_test(test_fortran_vector_bool_scalar),
        cmocka_unit_test(test_integer_extremes),
        cmocka_unit_test(test_float16),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_npz),
    };
    return cmocka_run_group_tests(tests, setup, ckr_test_remove_tmpdir);
}
