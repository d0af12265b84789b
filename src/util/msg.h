/* msg.h -- fitting a message or name into a fixed-size field without losing
 * its meaning or breaking its UTF-8.
 *
 * Messages in ckptrank read "FILE: /object: problem" or "problem (FILE)":
 * a long file name must not push the problem out of a 256-byte field, and a
 * cut must never split a UTF-8 character. ckr_msg_fit shortens the longest
 * ": "-separated part (normally the path) by replacing its middle with
 * "..." so that every other part, and the start and end of that part, stay;
 * when that is not enough it keeps the head and tail of the whole message
 * around one "...". Every cut falls on a UTF-8 character boundary. */
#ifndef CKR_MSG_H
#define CKR_MSG_H

#include <stdarg.h>
#include <stddef.h>

/* The longest prefix of s[0..n) that ends on a UTF-8 character boundary (a
 * byte that is not a continuation byte 10xxxxxx follows it, or it is all of
 * s): n itself when s[n] starts a character or n == strlen(s). */
size_t ckr_utf8_cut(const char *s, size_t n);

/* Copy src into dst[0..cap) (cap >= 1), NUL-terminated. A src shorter than
 * cap is copied unchanged; else it is shortened as described above to at
 * most cap - 1 bytes. Returns 1 if src was shortened, 0 if not. dst and src
 * must not overlap. */
int ckr_msg_fit(char *dst, size_t cap, const char *src);

/* printf into dst[0..cap) through ckr_msg_fit (the text is formatted in
 * full first, up to 8 KiB). Returns as ckr_msg_fit. */
int ckr_msg_fitf(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int ckr_msg_vfitf(char *dst, size_t cap, const char *fmt, va_list ap);

#endif
