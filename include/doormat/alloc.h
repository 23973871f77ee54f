/* alloc.h - the one allocation hook every module (and cJSON) goes through. */
#ifndef DOORMAT_ALLOC_H
#define DOORMAT_ALLOC_H

#include <stddef.h>

/* Plain heap allocation for non-secret data.  Failure returns NULL (never
 * aborts); dm_free accepts NULL.  Secrets never use these: see crypto.h. */
void *dm_malloc(size_t n);
void *dm_calloc(size_t nmemb, size_t size);   /* overflow-checked */
void *dm_realloc(void *p, size_t n);
void *dm_reallocarray(void *p, size_t nmemb, size_t size); /* overflow-checked */
char *dm_strdup(const char *s);
char *dm_strndup(const char *s, size_t n);
void dm_free(void *p);
/* dm_malloc and dm_free have the shapes cJSON_InitHooks takes, so the JSON
 * module routes cJSON through this hook too:
 *   cJSON_Hooks h = {dm_malloc, dm_free}; cJSON_InitHooks(&h);
 * (with custom hooks cJSON never calls realloc). */

/* Test hook: make the N-th allocation from now fail (1 = the next one), and
 * every later one while `sticky` is set.  0 disables.  Returns the number of
 * allocations made since the last call, so a test can loop N = 1..count. */
size_t dm_alloc_fail_at(size_t n, int sticky);
/* Number of allocations made so far (for the failure loop). */
size_t dm_alloc_count(void);

#endif
