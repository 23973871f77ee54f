/* idmap.c - open addressing with linear probing over FNV-1a hashes. */
#include "idmap.h"

#include <string.h>
#include <sys/mman.h>

#include "doormat/alloc.h"

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    /* FNV's low bits cluster on ids like "user0000017": mix them. */
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

void dm_idmap_init(dm_idmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
}

void dm_idmap_free(dm_idmap *m)
{
    if (m == NULL)
        return;
    dm_free(m->slots);
    dm_idmap_init(m);
}

static void insert_slot(dm_idmap_slot *slots, size_t cap, const dm_idmap_slot *e)
{
    size_t i = e->hash & (cap - 1);
    while (slots[i].key != NULL)
        i = (i + 1) & (cap - 1);
    slots[i] = *e;
}

/* A table of millions of ids is probed at random: with 4 KiB pages nearly
 * every probe also misses the TLB, and the page walk (in a VM, a nested
 * one) cost more than the rest of the insertion.  Ask for huge pages over
 * the 2 MiB-aligned inside of a big table; a refusal changes nothing. */
static void advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t e = ((uintptr_t)p + n) & ~(huge - 1);

    if (n >= 4 * huge && e > a)
        (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

/* Keep the load factor at most 1/2 so probes stay short. */
dm_err dm_idmap_reserve(dm_idmap *m, size_t n)
{
    size_t cap = 16;
    dm_idmap_slot *slots;
    size_t i;

    while (cap / 2 < n) {
        if (cap > SIZE_MAX / 4)
            return DM_ERR_NOMEM;
        cap *= 2;
    }
    if (cap <= m->cap)
        return DM_OK;
    slots = dm_calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return DM_ERR_NOMEM;
    advise_huge(slots, cap * sizeof(*slots));
    for (i = 0; i < m->cap; i++)
        if (m->slots[i].key != NULL)
            insert_slot(slots, cap, &m->slots[i]);
    dm_free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return DM_OK;
}

dm_err dm_idmap_put(dm_idmap *m, const char *key, uint32_t val, int *found,
                    uint32_t *old)
{
    uint32_t h = hash_str(key);
    size_t i;
    dm_idmap_slot e;
    dm_err err;

    *found = 0;
    if (m->cap > 0) {
        for (i = h & (m->cap - 1); m->slots[i].key != NULL; i = (i + 1) & (m->cap - 1)) {
            if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0) {
                *found = 1;
                if (old != NULL)
                    *old = m->slots[i].val;
                return DM_OK;
            }
        }
    }
    /* reserve() is a no-op while the load stays at most 1/2: skip its loop. */
    if ((m->cap == 0 || m->n + 1 > m->cap / 2) &&
        (err = dm_idmap_reserve(m, m->n + 1)) != DM_OK)
        return err;
    e.key = key;
    e.hash = h;
    e.val = val;
    insert_slot(m->slots, m->cap, &e);
    m->n++;
    return DM_OK;
}

int dm_idmap_get(const dm_idmap *m, const char *key, uint32_t *val)
{
    uint32_t h;
    size_t i;

    if (m->cap == 0)
        return 0;
    h = hash_str(key);
    for (i = h & (m->cap - 1); m->slots[i].key != NULL; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0) {
            *val = m->slots[i].val;
            return 1;
        }
    }
    return 0;
}

void dm_idmap_prefetch(const dm_idmap *m, const char *key)
{
    if (m->cap > 0)
        __builtin_prefetch(&m->slots[hash_str(key) & (m->cap - 1)]);
}
