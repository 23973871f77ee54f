/* alloc.c - the one allocation hook: plain heap memory with failure injection. */
#include "doormat/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Counters are atomics (relaxed) so a threaded caller cannot corrupt them;
 * failure injection itself is meant for single-threaded tests. */
static size_t total_count;  /* allocation attempts ever */
static size_t since_count;  /* attempts since the last dm_alloc_fail_at() */
static size_t fail_n;       /* 0: off; else the since_count that fails */
static int fail_sticky;     /* fail every attempt after fail_n too */

/* Count one attempt; return nonzero when the test hook says it must fail. */
static int
attempt_fails(void)
{
    size_t k;

    __atomic_add_fetch(&total_count, 1, __ATOMIC_RELAXED);
    k = __atomic_add_fetch(&since_count, 1, __ATOMIC_RELAXED);
    if (fail_n == 0)
        return 0;
    return k == fail_n || (fail_sticky && k > fail_n);
}

/* Why n == 0 becomes 1: malloc(0) and realloc(p, 0) may return NULL on
 * success (realloc even frees p), so a NULL here could not mean "failed". */
void *
dm_malloc(size_t n)
{
    if (attempt_fails())
        return NULL;
    return malloc(n ? n : 1);
}

void *
dm_calloc(size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size)
        return NULL;
    if (attempt_fails())
        return NULL;
    if (nmemb == 0 || size == 0)
        return calloc(1, 1);
    return calloc(nmemb, size);
}

void *
dm_realloc(void *p, size_t n)
{
    if (attempt_fails())
        return NULL;
    return realloc(p, n ? n : 1);
}

/* On overflow or failure returns NULL and leaves p allocated, as realloc. */
void *
dm_reallocarray(void *p, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size)
        return NULL;
    return dm_realloc(p, nmemb * size);
}

char *
dm_strdup(const char *s)
{
    return dm_strndup(s, strlen(s));
}

/* Copies at most n bytes of s and always terminates the copy. */
char *
dm_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d;

    if (len == SIZE_MAX)
        return NULL;
    d = dm_malloc(len + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void
dm_free(void *p)
{
    free(p);
}

size_t
dm_alloc_fail_at(size_t n, int sticky)
{
    size_t made = __atomic_exchange_n(&since_count, 0, __ATOMIC_RELAXED);

    fail_n = n;
    fail_sticky = n != 0 && sticky;
    return made;
}

size_t
dm_alloc_count(void)
{
    return __atomic_load_n(&total_count, __ATOMIC_RELAXED);
}
