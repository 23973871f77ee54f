/* test_engine.c - exact outcomes of the engine: reaches, classes, exposure. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "closure_int.h"
#include "doormat/alloc.h"
#include "doormat/engine.h"
#include "doormat/scenario.h"
#include "fixture.h"

static void fx_load(fx *f, const char *json, int has_at, int64_t at)
{
    dm_run_opts o = {0};
    o.has_at = has_at;
    o.at = at;
    o.steps = 1;
    fx_run_opts(f, "test.json", json, &o);
}

static size_t n_reach(const dm_run *r, const char *actor)
{
    const dm_actor_result *a = dm_run_actor(r, party_of(r, actor));
    return a ? a->n_reaches : 0;
}

/* Via of a reach as "a,b,c". */
static const char *via(const dm_run *r, const char *actor, const char *item, char *buf, size_t len)
{
    const dm_actor_result *a = dm_run_actor(r, party_of(r, actor));
    size_t i, j, o = 0;
    buf[0] = 0;
    for (i = 0; a && i < a->n_reaches; i++) {
        const dm_reach *x = &a->reaches[i];
        if (strcmp(r->w->items[x->item].name, item) != 0)
            continue;
        for (j = 0; j < x->via_len; j++) {
            uint32_t v = a->via[x->via_off + j];
            char kb[256];
            const char *name = (v & DM_VIA_EVENT) ? r->sc->events[v & ~DM_VIA_EVENT].id
                                                  : dm_world_key_name(r->w, v, kb, sizeof kb);
            o += (size_t)snprintf(buf + o, len - o, "%s%s", j ? "," : "", name);
        }
    }
    return buf;
}

static uint64_t region_users(const dm_run *r, const dm_exposure *x, const char *region, int beyond)
{
    size_t i;
    for (i = 0; i < r->sc->n_regions; i++)
        if (strcmp(r->sc->regions[i], region) == 0)
            return beyond ? x->by_region[i].beyond_law : x->by_region[i].users;
    ck_abort_msg("no region %s", region);
    return 0;
}

#define HEAD "{\"doormat\":1,\"title\":\"t\",\"regions\":[\"UK\",\"US\",\"FR\"],"
#define CLOUD "\"providers\":[{\"id\":\"cloud\",\"regions\":[\"UK\",\"US\",\"FR\"]}],"

START_TEST(e2ee_order_yields_ciphertext)
{
    fx f;
    fx_load(&f,
            HEAD CLOUD
            "\"users\":[{\"id\":\"alice\",\"region\":\"UK\",\"provider\":\"cloud\",\"protection\":\"e2ee\","
            "\"devices\":2,\"items\":[\"photos\"]}],"
            "\"actors\":[{\"id\":\"uk-gov\",\"kind\":\"government\",\"region\":\"UK\"}],"
            "\"events\":[{\"at\":1,\"do\":\"order\",\"by\":\"uk-gov\",\"provider\":\"cloud\"}]}",
            0, 0);
    ck_assert_str_eq(cls(f.r, "uk-gov", "alice/photos"), "none");
    ck_assert_str_eq(cls(f.r, "cloud", "alice/photos"), "none");
    ck_assert_uint_eq(f.r->with.users, 0);
    ck_assert_uint_eq(f.r->owner_only_users, 1);
    /* The order delivered the ciphertext into uk-gov's store. */
    ck_assert_uint_eq(f.r->w->stores[party_of(f.r, "uk-gov")].n, 1);
    fx_free(&f);
}
END_TEST

START_TEST(provider_order_lawful)
{
    fx f;
    char b[512];
    fx_load(&f,
            HEAD CLOUD
            "\"users\":[{\"id\":\"alice\",\"region\":\"UK\",\"provider\":\"cloud\",\"protection\":\"provider\","
            "\"items\":[\"photos\"]},"
            "{\"id\":\"bob\",\"region\":\"US\",\"provider\":\"cloud\",\"protection\":\"provider\",\"count\":5,"
            "\"items\":[\"notes\"]}],"
            "\"actors\":[{\"id\":\"uk-gov\",\"kind\":\"government\",\"region\":\"UK\"}],"
            "\"events\":[{\"at\":1,\"do\":\"order\",\"by\":\"uk-gov\",\"provider\":\"cloud\"}]}",
            0, 0);
    ck_assert_str_eq(cls(f.r, "cloud", "alice/photos"), "custodian");
    ck_assert_str_eq(cls(f.r, "cloud", "bob/notes"), "custodian");
    ck_assert_str_eq(via(f.r, "cloud", "alice/photos", b, sizeof b), "cloud.hsm,alice.dk");
    ck_assert_str_eq(cls(f.r, "uk-gov", "alice/photos"), "lawful");
    ck_assert_str_eq(via(f.r, "uk-gov", "alice/photos", b, sizeof b), "order@1");
    ck_assert_str_eq(cls(f.r, "uk-gov", "bob/notes"), "none");
    ck_assert_uint_eq(f.r->with.users, 6);
    ck_assert_uint_eq(f.r->with.beyond_law, 0);
    ck_assert_uint_eq(f.r->without.users, 6);
    ck_assert_uint_eq(region_users(f.r, &f.r->with, "US", 0), 5);
    fx_free(&f);
}
END_TEST

START_TEST(extraterritorial_order_collateral)
{
    fx f;
    fx_load(&f,
            HEAD CLOUD
            "\"users\":[{\"id\":\"alice\",\"region\":\"UK\",\"provider\":\"cloud\",\"protection\":\"provider\","
            "\"items\":[\"photos\"]},"
            "{\"id\":\"bob\",\"region\":\"US\",\"provider\":\"cloud\",\"protection\":\"provider\","
            "\"items\":[\"notes\"]}],"
            "\"actors\":[{\"id\":\"uk-gov\",\"kind\":\"government\",\"region\":\"UK\"}],"
            "\"events\":[{\"at\":1,\"do\":\"order\",\"by\":\"uk-gov\",\"provider\":\"cloud\",\"scope\":\"all\"}]}",
            0, 0);
    ck_assert_str_eq(cls(f.r, "uk-gov", "alice/photos"), "lawful");
    ck_assert_str_eq(cls(f.r, "uk-gov", "bob/notes"), "collateral");
    ck_assert_uint_eq(f.r->with.beyond_law, 1);
    ck_assert_uint_eq(region_users(f.r, &f.r->with, "US", 1), 1);
    ck_assert_uint_eq(region_users(f.r, &f.r->with, "UK", 1), 0);
    fx_free(&f);
}
END_TEST

/* The demo's story in small: a UK-only escrow, a cross-border chat, a
 * traveller, an order, a theft and a breach. */
#define TCN                                                                                        \
    HEAD CLOUD                                                                                     \
    "\"users\":["                                                                                  \
    "{\"id\":\"alice\",\"region\":\"UK\",\"provider\":\"cloud\",\"protection\":\"e2ee\",\"items\":[\"photos\"]}," \
    "{\"id\":\"bob\",\"region\":\"US\",\"provider\":\"cloud\",\"protection\":\"e2ee\",\"items\":[\"notes\"]}," \
    "{\"id\":\"dave\",\"region\":\"US\",\"provider\":\"cloud\",\"protection\":\"e2ee\",\"items\":[\"mail\"]}," \
    "{\"id\":\"uk-public\",\"region\":\"UK\",\"provider\":\"cloud\",\"protection\":\"e2ee\",\"count\":1000,\"items\":[\"backup\"]}," \
    "{\"id\":\"fr-public\",\"region\":\"FR\",\"provider\":\"cloud\",\"protection\":\"e2ee\",\"count\":700,\"items\":[\"backup\"]}]," \
    "\"groups\":[{\"id\":\"chat\",\"members\":[\"alice\",\"bob\"],\"provider\":\"cloud\",\"items\":[\"messages\"]}]," \
    "\"actors\":[{\"id\":\"uk-gov\",\"kind\":\"government\",\"region\":\"UK\"},"                   \
    "{\"id\":\"mallory\",\"kind\":\"attacker\"},{\"id\":\"eve\",\"kind\":\"attacker\"}],"           \
    "\"keys\":[{\"id\":\"escrow\",\"type\":\"keypair\",\"holders\":[\"cloud\"]}],"                  \
    "\"events\":["                                                                                 \
    "{\"at\":1,\"do\":\"backdoor\",\"provider\":\"cloud\",\"key\":\"escrow\",\"scope\":{\"regions\":[\"UK\"]}}," \
    "{\"at\":2,\"do\":\"travel\",\"user\":\"dave\",\"region\":\"UK\"},"                            \
    "{\"at\":3,\"do\":\"order\",\"by\":\"uk-gov\",\"provider\":\"cloud\",\"scope\":{\"regions\":[\"UK\"]}}," \
    "{\"at\":4,\"do\":\"steal\",\"by\":\"mallory\",\"key\":\"escrow\",\"p\":0.02},"                \
    "{\"at\":5,\"do\":\"travel\",\"user\":\"dave\",\"region\":\"US\"},"                            \
    "{\"at\":6,\"do\":\"breach\",\"by\":\"mallory\",\"store\":\"cloud\"},"                          \
    "{\"at\":6,\"do\":\"breach\",\"by\":\"eve\",\"store\":\"cloud\"}]}"

START_TEST(tcn_uk_only)
{
    fx f;
    char b[512];
    fx_load(&f, TCN, 0, 0);
    /* The provider holds the escrow key: custodian of every escrowed item. */
    ck_assert_str_eq(cls(f.r, "cloud", "alice/photos"), "custodian");
    ck_assert_str_eq(cls(f.r, "cloud", "chat/messages"), "custodian");
    ck_assert_str_eq(cls(f.r, "cloud", "dave/mail"), "custodian");
    ck_assert_str_eq(cls(f.r, "cloud", "bob/notes"), "none");
    ck_assert_str_eq(cls(f.r, "cloud", "fr-public/backup"), "none");
    ck_assert_uint_eq(n_reach(f.r, "cloud"), 4);
    /* The order: UK owners lawful; the chat with a US member, collateral. */
    ck_assert_str_eq(cls(f.r, "uk-gov", "alice/photos"), "lawful");
    ck_assert_str_eq(cls(f.r, "uk-gov", "uk-public/backup"), "lawful");
    ck_assert_str_eq(cls(f.r, "uk-gov", "dave/mail"), "lawful"); /* dave was in the UK at t=3 */
    ck_assert_str_eq(cls(f.r, "uk-gov", "chat/messages"), "collateral");
    ck_assert_str_eq(cls(f.r, "uk-gov", "bob/notes"), "none");
    /* The thief: every escrowed item, in every region, unlawfully. */
    ck_assert_str_eq(cls(f.r, "mallory", "alice/photos"), "unlawful");
    ck_assert_str_eq(cls(f.r, "mallory", "chat/messages"), "unlawful");
    ck_assert_str_eq(cls(f.r, "mallory", "dave/mail"), "unlawful");
    ck_assert_str_eq(cls(f.r, "mallory", "bob/notes"), "none");
    ck_assert_str_eq(via(f.r, "mallory", "alice/photos", b, sizeof b), "steal@4,escrow,backdoor@1,breach@6,alice.dk");
    /* A breach alone yields nothing. */
    ck_assert_uint_eq(n_reach(f.r, "eve"), 0);
    /* The same, by lookup on the sorted reaches. */
    {
        const dm_actor_result *a = dm_run_actor(f.r, party_of(f.r, "mallory"));
        uint32_t i, photos = UINT32_MAX, notes = UINT32_MAX;
        for (i = 0; i < f.r->w->n_items; i++) {
            if (strcmp(f.r->w->items[i].name, "alice/photos") == 0)
                photos = i;
            if (strcmp(f.r->w->items[i].name, "bob/notes") == 0)
                notes = i;
        }
        ck_assert_ptr_nonnull(dm_run_reach(a, photos));
        ck_assert_int_eq(dm_run_reach(a, photos)->cls, DM_CLASS_UNLAWFUL);
        ck_assert_ptr_null(dm_run_reach(a, notes));
        ck_assert_ptr_null(dm_run_reach(NULL, photos));
    }
    /* Exposure: alice, bob (chat), dave, uk-public with; nobody without. */
    ck_assert_uint_eq(f.r->with.users, 1003);
    ck_assert_uint_eq(f.r->with.beyond_law, 1003);
    ck_assert_uint_eq(region_users(f.r, &f.r->with, "US", 0), 2);
    ck_assert_uint_eq(region_users(f.r, &f.r->with, "UK", 0), 1001);
    ck_assert_uint_eq(region_users(f.r, &f.r->with, "FR", 0), 0);
    ck_assert_uint_eq(f.r->without.users, 0);
    ck_assert_uint_eq(f.r->worst_case, 1);
    fx_free(&f);
}
END_TEST

START_TEST(tcn_at_time)
{
    fx f;
    fx_load(&f, TCN, 1, 3);
    ck_assert_uint_eq(f.r->bound, 3);
    ck_assert_str_eq(cls(f.r, "uk-gov", "chat/messages"), "collateral");
    ck_assert_uint_eq(n_reach(f.r, "mallory"), 0);
    ck_assert_uint_eq(f.r->with.users, 1003);
    /* Before the theft only the order goes beyond the law: bob, via the chat. */
    ck_assert_uint_eq(f.r->with.beyond_law, 1);
    ck_assert_uint_eq(f.r->n_steps, 3);
    ck_assert_uint_eq(f.r->steps[0].exposed, 1002); /* t=1: cloud custodian of alice, bob (chat), uk-public */
    ck_assert_uint_eq(f.r->steps[1].exposed, 1003); /* t=2: dave escrowed while in the UK */
    fx_free(&f);
}
END_TEST

START_TEST(ghost_participant)
{
    fx f;
    char b[512];
    fx_load(&f,
            HEAD CLOUD
            "\"users\":[{\"id\":\"alice\",\"region\":\"UK\",\"provider\":\"cloud\",\"protection\":\"e2ee\"},"
            "{\"id\":\"bob\",\"region\":\"US\",\"provider\":\"cloud\",\"protection\":\"e2ee\"}],"
            "\"groups\":[{\"id\":\"chat\",\"members\":[\"alice\",\"bob\"],\"provider\":\"cloud\",\"items\":[\"messages\"]}],"
            "\"actors\":[{\"id\":\"uk-gov\",\"kind\":\"government\",\"region\":\"UK\"}],"
            "\"events\":[{\"at\":1,\"do\":\"ghost\",\"by\":\"uk-gov\",\"group\":\"chat\"}]}",
            0, 0);
    ck_assert_str_eq(cls(f.r, "uk-gov", "chat/messages"), "collateral");
    ck_assert_str_eq(via(f.r, "uk-gov", "chat/messages", b, sizeof b), "ghost@1,uk-gov.ghost,chat.gk");
    ck_assert_uint_eq(f.r->with.users, 2);
    ck_assert_uint_eq(f.r->with.beyond_law, 1); /* bob (US) beyond the law, alice (UK) not */
    ck_assert_uint_eq(region_users(f.r, &f.r->with, "US", 1), 1);
    ck_assert_uint_eq(f.r->without.users, 0);
    ck_assert_str_eq(cls(f.r, "cloud", "chat/messages"), "none");
    fx_free(&f);
}
END_TEST

START_TEST(downgrade_exposes_chat_partner)
{
    fx f;
    fx_load(&f,
            HEAD CLOUD
            "\"users\":[{\"id\":\"alice\",\"region\":\"UK\",\"provider\":\"cloud\",\"protection\":\"e2ee\",\"items\":[\"photos\"]},"
            "{\"id\":\"bob\",\"region\":\"US\",\"provider\":\"cloud\",\"protection\":\"e2ee\",\"items\":[\"notes\"]}],"
            "\"groups\":[{\"id\":\"chat\",\"members\":[\"alice\",\"bob\"],\"provider\":\"cloud\",\"items\":[\"messages\"]}],"
            "\"actors\":[{\"id\":\"uk-gov\",\"kind\":\"government\",\"region\":\"UK\"}],"
            "\"events\":[{\"at\":1,\"do\":\"downgrade\",\"provider\":\"cloud\",\"region\":\"UK\"},"
            "{\"at\":2,\"do\":\"order\",\"by\":\"uk-gov\",\"provider\":\"cloud\"}]}",
            0, 0);
    ck_assert_str_eq(cls(f.r, "cloud", "alice/photos"), "custodian");
    ck_assert_str_eq(cls(f.r, "cloud", "chat/messages"), "custodian");
    ck_assert_str_eq(cls(f.r, "cloud", "bob/notes"), "none");
    ck_assert_str_eq(cls(f.r, "uk-gov", "alice/photos"), "lawful");
    ck_assert_str_eq(cls(f.r, "uk-gov", "chat/messages"), "collateral");
    ck_assert_uint_eq(f.r->with.users, 2);
    ck_assert_uint_eq(f.r->with.beyond_law, 1);
    /* Downgrades are not backdoors: the counterfactual keeps them. */
    ck_assert_uint_eq(f.r->without.users, 2);
    fx_free(&f);
}
END_TEST

/* Clipper-like: the unit key is split 2-of-2 between two agents; mallory
 * steals share 1 at 1 and compromises a2 (share 2) at 2. */
#define CLIPPER                                                                                    \
    HEAD \
    "\"users\":[{\"id\":\"alice\",\"region\":\"US\"}]," \
    "\"actors\":[{\"id\":\"a1\",\"kind\":\"agent\"},{\"id\":\"a2\",\"kind\":\"agent\"}," \
    "{\"id\":\"fbi\",\"kind\":\"government\",\"region\":\"US\"},{\"id\":\"mallory\",\"kind\":\"attacker\"}]," \
    "\"keys\":[{\"id\":\"unit\",\"type\":\"symmetric\",\"shares\":{\"k\":2,\"holders\":[\"a1\",\"a2\"]}}," \
    "{\"id\":\"session\",\"type\":\"symmetric\",\"holders\":[\"alice\"]}]," \
    "\"wraps\":[{\"key\":\"session\",\"under\":\"unit\",\"at\":[\"fbi\",\"mallory\"]}]," \
    "\"items\":[{\"id\":\"call\",\"owners\":[\"alice\"],\"under\":\"session\",\"at\":[\"fbi\",\"mallory\"]}]," \
    "\"events\":[{\"at\":1,\"do\":\"steal\",\"by\":\"mallory\",\"key\":\"unit\",\"share\":1}," \
    "{\"at\":2,\"do\":\"compromise\",\"by\":\"mallory\",\"actor\":\"a2\"}]}"

START_TEST(shares_and_compromise)
{
    fx f;
    fx_load(&f, CLIPPER, 1, 1); /* at 1 */
    ck_assert_uint_eq(n_reach(f.r, "mallory"), 0); /* one share is not enough */
    fx_free(&f);
    fx_load(&f, CLIPPER, 0, 0); /* after the compromise: both shares */
    ck_assert_str_eq(cls(f.r, "mallory", "call"), "unlawful");
    ck_assert_str_eq(cls(f.r, "fbi", "call"), "none");
    ck_assert_str_eq(cls(f.r, "alice", "call"), "none"); /* owner-only: not listed */
    ck_assert_uint_eq(f.r->owner_only_users, 1);
    ck_assert_uint_eq(f.r->with.users, 1);
    ck_assert_uint_eq(f.r->with.beyond_law, 1);
    fx_free(&f);
}
END_TEST

START_TEST(keys_order_lavabit)
{
    fx f;
    fx_load(&f,
            HEAD
            "\"providers\":[{\"id\":\"lavabit\",\"regions\":[\"US\"]}],"
            "\"users\":[{\"id\":\"ed\",\"region\":\"US\"},{\"id\":\"ann\",\"region\":\"FR\"}],"
            "\"actors\":[{\"id\":\"fbi\",\"kind\":\"government\",\"region\":\"US\"}],"
            "\"keys\":[{\"id\":\"tls\",\"type\":\"keypair\",\"holders\":[\"lavabit\"]}],"
            "\"items\":[{\"id\":\"ed-mail\",\"owners\":[\"ed\"],\"under\":\"tls\",\"at\":[\"fbi\"]},"
            "{\"id\":\"ann-mail\",\"owners\":[\"ann\"],\"under\":\"tls\",\"at\":[\"fbi\"]}],"
            "\"events\":[{\"at\":1,\"do\":\"order\",\"by\":\"fbi\",\"provider\":\"lavabit\","
            "\"scope\":{\"users\":[\"ed\"]},\"demand\":\"keys\"}]}",
            0, 0);
    ck_assert_str_eq(cls(f.r, "fbi", "ed-mail"), "lawful");
    ck_assert_str_eq(cls(f.r, "fbi", "ann-mail"), "collateral");
    ck_assert_str_eq(cls(f.r, "lavabit", "ed-mail"), "none"); /* it never read the store */
    ck_assert_uint_eq(f.r->with.beyond_law, 1);
    fx_free(&f);
}
END_TEST

START_TEST(cycles_terminate)
{
    fx f;
    fx_load(&f,
            HEAD
            "\"users\":[{\"id\":\"u\",\"region\":\"UK\"}],"
            "\"actors\":[{\"id\":\"x\",\"kind\":\"attacker\"}],"
            "\"keys\":[{\"id\":\"k1\",\"type\":\"symmetric\"},{\"id\":\"k2\",\"type\":\"symmetric\"},"
            "{\"id\":\"k3\",\"type\":\"symmetric\",\"holders\":[\"x\"]}],"
            "\"wraps\":[{\"key\":\"k1\",\"under\":\"k2\",\"at\":[\"x\"]},{\"key\":\"k2\",\"under\":\"k1\",\"at\":[\"x\"]},"
            "{\"key\":\"k1\",\"under\":\"k1\",\"at\":[\"x\"]},{\"key\":\"k2\",\"under\":\"k3\",\"at\":[\"x\"]}],"
            "\"items\":[{\"id\":\"i\",\"owners\":[\"u\"],\"under\":\"k1\",\"at\":[\"x\"]}]}",
            0, 0);
    ck_assert_str_eq(cls(f.r, "x", "i"), "unlawful");
    fx_free(&f);
}
END_TEST

START_TEST(refused_order)
{
    fx f;
    fx_load(&f,
            HEAD
            "\"providers\":[{\"id\":\"cloud\",\"regions\":[\"US\"]}],"
            "\"users\":[{\"id\":\"alice\",\"region\":\"UK\",\"provider\":\"cloud\",\"protection\":\"provider\",\"items\":[\"photos\"]}],"
            "\"actors\":[{\"id\":\"uk-gov\",\"kind\":\"government\",\"region\":\"UK\"}],"
            "\"events\":[{\"at\":1,\"do\":\"order\",\"by\":\"uk-gov\",\"provider\":\"cloud\"}]}",
            0, 0);
    ck_assert_int_eq(f.r->refused[0], 1);
    ck_assert_str_eq(cls(f.r, "uk-gov", "alice/photos"), "none");
    fx_free(&f);
}
END_TEST

START_TEST(cohort_costs_one)
{
    fx f;
    fx_load(&f,
            HEAD CLOUD
            "\"users\":[{\"id\":\"many\",\"region\":\"UK\",\"provider\":\"cloud\",\"protection\":\"provider\","
            "\"count\":1000000000000,\"items\":[\"b\"]},"
            "{\"id\":\"more\",\"region\":\"US\",\"provider\":\"cloud\",\"protection\":\"provider\","
            "\"count\":1000000000000,\"items\":[\"b\"]}]}",
            0, 0);
    ck_assert_uint_eq(f.r->w->n_items, 2);
    ck_assert_uint_eq(f.r->with.users, 2000000000000ULL);
    ck_assert_uint_eq(region_users(f.r, &f.r->with, "US", 0), 1000000000000ULL);
    fx_free(&f);
}
END_TEST


START_TEST(closure_lists_learned_facts)
{
    fx f;
    dm_closure *c;
    const uint32_t *ids;
    size_t n, i;
    int escrow = 0, photos = 0;
    char kb[64];
    fx_load(&f, TCN, 0, 0);
    ck_assert_int_eq(dm_closure_new(f.r->w, &c), DM_OK);
    ck_assert_int_eq(dm_closure_compute(c, party_of(f.r, "mallory"), f.r->bound), DM_OK);
    n = dm_closure_keys(c, &ids);
    for (i = 0; i < n; i++) {
        ck_assert(dm_closure_knows(c, DM_FACT_KEY, ids[i]));
        escrow |= strcmp(dm_world_key_name(f.r->w, ids[i], kb, sizeof kb), "escrow") == 0;
    }
    ck_assert(escrow);
    ck_assert_uint_eq(n, 5); /* escrow, alice.dk, chat.gk, uk-public.dk, dave.dk */
    n = dm_closure_items(c, &ids);
    ck_assert_uint_eq(n, 4);
    for (i = 0; i < n; i++)
        photos |= strcmp(f.r->w->items[ids[i]].name, "alice/photos") == 0;
    ck_assert(photos);
    /* Every ciphertext of cloud's store at the breach, once each. */
    n = dm_closure_cts(c, &ids);
    ck_assert_uint_eq(n, f.r->w->stores[party_of(f.r, "cloud")].n);
    dm_closure_free(c);
    fx_free(&f);
}
END_TEST


/* The deposit of store `st` that holds ciphertext `ct`, or UINT32_MAX. */
static uint32_t deposit_of(const dm_world *w, uint32_t st, uint32_t ct)
{
    uint32_t i;
    for (i = 0; i < w->stores[st].n; i++)
        if (w->deposits[w->stores[st].deposits[i]].fact_id == ct)
            return w->stores[st].deposits[i];
    return UINT32_MAX;
}

static uint32_t item_of(const dm_world *w, const char *name)
{
    uint32_t i;
    for (i = 0; i < w->n_items; i++)
        if (strcmp(w->items[i].name, name) == 0)
            return i;
    ck_abort_msg("no item %s", name);
    return 0;
}

/* A ciphertext read in several stores has the first store read as its
 * witness, with the deposit there and the breach it came through; one
 * read in a single store has that store, searched or not. */
START_TEST(witness_first_store_read)
{
    fx f;
    dm_closure *c;
    const dm_world *w;
    uint32_t sx, sy, both, onlyx, onlyy;
    dm_why y;
    char b[256];
    fx_load(&f,
            HEAD
            "\"users\":[{\"id\":\"u\",\"region\":\"UK\"}],"
            "\"actors\":[{\"id\":\"x\",\"kind\":\"agent\"},{\"id\":\"y\",\"kind\":\"agent\"},"
            "{\"id\":\"mallory\",\"kind\":\"attacker\"}],"
            "\"keys\":[{\"id\":\"k\",\"type\":\"symmetric\"}],"
            "\"items\":[{\"id\":\"both\",\"owners\":[\"u\"],\"under\":\"k\",\"at\":[\"x\",\"y\"]},"
            "{\"id\":\"onlyx\",\"owners\":[\"u\"],\"under\":\"k\",\"at\":[\"x\"]},"
            "{\"id\":\"onlyy\",\"owners\":[\"u\"],\"under\":\"k\",\"at\":[\"y\"]}],"
            "\"events\":[{\"at\":1,\"id\":\"take-k\",\"do\":\"steal\",\"by\":\"mallory\",\"key\":\"k\"},"
            "{\"at\":2,\"id\":\"hit-y\",\"do\":\"breach\",\"by\":\"mallory\",\"store\":\"y\"},"
            "{\"at\":3,\"id\":\"hit-x\",\"do\":\"breach\",\"by\":\"mallory\",\"store\":\"x\"}]}",
            0, 0);
    w = f.r->w;
    sx = dm_world_party_store(w, party_of(f.r, "x"));
    sy = dm_world_party_store(w, party_of(f.r, "y"));
    both = item_of(w, "both"); /* an item's ciphertext has the item's id */
    onlyx = item_of(w, "onlyx");
    onlyy = item_of(w, "onlyy");
    ck_assert_int_eq(dm_closure_new(w, &c), DM_OK);
    ck_assert_int_eq(dm_closure_compute(c, party_of(f.r, "mallory"), f.r->bound), DM_OK);
    y = dm_closure_why(c, DM_FACT_CT, both); /* in y (read first) and x */
    ck_assert_int_eq(y.kind, DM_WHY_STORE);
    ck_assert_uint_eq(y.a, sy);
    ck_assert_uint_eq(y.b, deposit_of(w, sy, both));
    ck_assert_str_eq(f.r->sc->events[y.via_event].id, "hit-y");
    ck_assert_int_eq(y.tag, DM_TAG_UNLAWFUL);
    y = dm_closure_why(c, DM_FACT_CT, onlyx); /* the last store read: not searched */
    ck_assert_uint_eq(y.a, sx);
    ck_assert_uint_eq(y.b, deposit_of(w, sx, onlyx));
    ck_assert_str_eq(f.r->sc->events[y.via_event].id, "hit-x");
    y = dm_closure_why(c, DM_FACT_CT, onlyy);
    ck_assert_uint_eq(y.a, sy);
    ck_assert_uint_eq(y.b, deposit_of(w, sy, onlyy));
    y = dm_closure_why(c, DM_FACT_ITEM, both); /* opened, with k */
    ck_assert_int_eq(y.kind, DM_WHY_OPENED);
    ck_assert_uint_eq(y.a, both);
    dm_closure_free(c);
    /* The reports' via lists name the same breach. */
    ck_assert_str_eq(via(f.r, "mallory", "both", b, sizeof b), "take-k,k,hit-y");
    ck_assert_str_eq(via(f.r, "mallory", "onlyx", b, sizeof b), "take-k,k,hit-x");
    fx_free(&f);
}
END_TEST


/* Mallory's closure in c (the counts of a fresh one given) and nothing of
 * cloud's: not its hsm. */
static void same_as_fresh(dm_closure *c, const fx *f, size_t n_keys, size_t n_items, size_t n_cts)
{
    const uint32_t *ids;
    ck_assert_int_eq(dm_closure_compute(c, party_of(f->r, "mallory"), f->r->bound), DM_OK);
    ck_assert_uint_eq(dm_closure_keys(c, &ids), n_keys);
    ck_assert_uint_eq(dm_closure_items(c, &ids), n_items);
    ck_assert_uint_eq(dm_closure_cts(c, &ids), n_cts);
    ck_assert(!dm_closure_knows(c, DM_FACT_KEY, f->r->w->provider_hsm[0]));
}

/* When the workspace's epochs run out it clears its marks once and starts
 * again: the closures either side of that are the same as a fresh one's,
 * and nothing an earlier epoch of the same number marked shows through. */
START_TEST(epochs_run_out)
{
    fx f;
    dm_closure *c;
    const uint32_t *ids;
    uint32_t cloud;
    size_t n_keys, n_items, n_cts;
    fx_load(&f, TCN, 0, 0);
    cloud = party_of(f.r, "cloud");
    ck_assert_int_eq(dm_closure_new(f.r->w, &c), DM_OK);
    ck_assert_int_eq(dm_closure_compute(c, party_of(f.r, "mallory"), f.r->bound), DM_OK);
    n_keys = dm_closure_keys(c, &ids);
    n_items = dm_closure_items(c, &ids);
    n_cts = dm_closure_cts(c, &ids);
    ck_assert_uint_gt(n_cts, 0);
    /* The last epoch: its marks still fit beside the flags. */
    c->ep = DM_EPOCH_MAX - 2;
    same_as_fresh(c, &f, n_keys, n_items, n_cts);
    ck_assert_uint_eq(c->ep, DM_EPOCH_MAX - 1);
    dm_closure_free(c);
    /* Epoch 1 marks what cloud knows; the run after the last epoch is
     * epoch 1 again, and must not see those marks. */
    ck_assert_int_eq(dm_closure_new(f.r->w, &c), DM_OK);
    ck_assert_int_eq(dm_closure_compute(c, cloud, f.r->bound), DM_OK);
    ck_assert_uint_eq(c->ep, 1);
    ck_assert(dm_closure_knows(c, DM_FACT_KEY, f.r->w->provider_hsm[0]));
    c->ep = DM_EPOCH_MAX - 1;
    same_as_fresh(c, &f, n_keys, n_items, n_cts);
    ck_assert_uint_eq(c->ep, 1);
    dm_closure_free(c);
    fx_free(&f);
}
END_TEST


/* What a provider hands over from stolen knowledge is unlawful, and its via
 * still names the order that handed it over. */
START_TEST(stolen_handover_names_the_order)
{
    fx f;
    char b[512];
    fx_load(&f,
            HEAD CLOUD
            "\"users\":[{\"id\":\"bob\",\"region\":\"US\",\"provider\":\"cloud\",\"protection\":\"e2ee\","
            "\"items\":[\"notes\"]}],"
            "\"actors\":[{\"id\":\"uk-gov\",\"kind\":\"government\",\"region\":\"UK\"}],"
            "\"events\":[{\"at\":1,\"do\":\"steal\",\"id\":\"s\",\"by\":\"cloud\",\"key\":\"bob.dev1\"},"
            "{\"at\":2,\"do\":\"order\",\"id\":\"o\",\"by\":\"uk-gov\",\"provider\":\"cloud\",\"scope\":\"all\"}]}",
            0, 0);
    ck_assert_str_eq(cls(f.r, "cloud", "bob/notes"), "unlawful");
    ck_assert_str_eq(cls(f.r, "uk-gov", "bob/notes"), "unlawful");
    ck_assert_str_eq(via(f.r, "uk-gov", "bob/notes", b, sizeof b), "o");
    ck_assert_uint_eq(f.r->with.beyond_law, 1);
    fx_free(&f);
}
END_TEST


typedef struct seen_progress {
    int calls, monotone;
    double last;
    char stage[32];
} seen_progress;

static void on_progress(void *ctx, const char *stage, double done)
{
    seen_progress *p = ctx;
    if (done < p->last)
        p->monotone = 0;
    p->last = done;
    p->calls++;
    snprintf(p->stage, sizeof p->stage, "%s", stage);
}

/* The run reports its progress, never backwards, ending at 1 ("done"). */
START_TEST(progress_reported)
{
    dm_scenario *s = NULL;
    dm_run *r = NULL;
    dm_run_opts o = {0};
    dm_diag d;
    seen_progress p = {0, 1, 0, ""};
    const char *json = TCN;
    dm_diag_init(&d, "t.json", json, strlen(json));
    ck_assert_int_eq(dm_scenario_load(json, strlen(json), "t.json", &s, &d), DM_OK);
    o.steps = 1;
    o.progress = on_progress;
    o.progress_ctx = &p;
    ck_assert_int_eq(dm_run_scenario(s, &o, &r, &d), DM_OK);
    ck_assert_int_ge(p.calls, 6);
    ck_assert(p.monotone);
    ck_assert(p.last == 1.0);
    ck_assert_str_eq(p.stage, "done");
    dm_run_free(r);
    dm_scenario_free(s);
    dm_diag_clear(&d);
}
END_TEST

Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *t = tcase_create("outcomes");
    tcase_add_test(t, e2ee_order_yields_ciphertext);
    tcase_add_test(t, provider_order_lawful);
    tcase_add_test(t, extraterritorial_order_collateral);
    tcase_add_test(t, tcn_uk_only);
    tcase_add_test(t, tcn_at_time);
    tcase_add_test(t, ghost_participant);
    tcase_add_test(t, downgrade_exposes_chat_partner);
    tcase_add_test(t, shares_and_compromise);
    tcase_add_test(t, keys_order_lavabit);
    tcase_add_test(t, cycles_terminate);
    tcase_add_test(t, refused_order);
    tcase_add_test(t, cohort_costs_one);
    tcase_add_test(t, closure_lists_learned_facts);
    tcase_add_test(t, witness_first_store_read);
    tcase_add_test(t, epochs_run_out);
    tcase_add_test(t, stolen_handover_names_the_order);
    tcase_add_test(t, progress_reported);
    suite_add_tcase(s, t);
    return s;
}
