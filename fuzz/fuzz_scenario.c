/* fuzz_scenario.c - libFuzzer target: load, run, report, instantiate and verify a scenario. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "doormat/alloc.h"
#include "doormat/crypto.h"
#include "doormat/engine.h"
#include "doormat/explain.h"
#include "doormat/report.h"
#include "doormat/scenario.h"

/* Real cryptography costs tens of microseconds per key and ciphertext; above
 * this many of them an input only runs the symbolic pipeline, so the fuzzer
 * keeps its pace. */
#define CRYPTO_MAX_OBJECTS 400u

/* Abort with a message: libFuzzer records the input as a crash. */
static void die(const char *what, dm_err e)
{
    fprintf(stderr, "fuzz_scenario: %s (%s)\n", what, dm_err_str(e));
    abort();
}

/* Checks that must hold for every diagnostic list: errors counted, every
 * entry located inside the text, a message present. */
static void check_diag(const dm_diag *d, size_t len)
{
    size_t i, errors = 0;

    for (i = 0; i < d->n; i++) {
        const dm_diag_entry *e = &d->entries[i];
        if (e->message == NULL || e->message[0] == '\0')
            die("diagnostic without a message", DM_OK);
        if (e->offset != SIZE_MAX && e->offset > len)
            die("diagnostic offset past the end of the text", DM_OK);
        if (e->severity == DM_SEV_ERROR)
            errors++;
    }
    if (errors > d->n_errors)
        die("more error entries than n_errors", DM_OK);
}

/* Write a report into memory and check it is one JSON value; also the text
 * report and one explanation to a sink. */
static void reports(const dm_run *r, const dm_verification *v, int owners, FILE *sink)
{
    dm_report_opts popts;
    char *buf = NULL;
    size_t blen = 0;
    FILE *mem;
    cJSON *tree;
    dm_err e;

    memset(&popts, 0, sizeof popts);
    popts.seed = 7;
    popts.owners = owners;
    mem = open_memstream(&buf, &blen);
    if (mem == NULL)
        return;
    e = dm_report_json(r, v, &popts, mem);
    if (fclose(mem) != 0 || e != DM_OK) {
        free(buf);
        if (e == DM_ERR_NOMEM)
            return;
        die("dm_report_json failed", e);
    }
    tree = cJSON_ParseWithLength(buf, blen);
    if (tree == NULL) {
        fprintf(stderr, "%.*s\n", (int)(blen > 4000 ? 4000 : blen), buf);
        free(buf);
        die("the JSON report is not JSON", DM_OK);
    }
    cJSON_Delete(tree);
    free(buf);

    e = dm_report_text(r, v, &popts, sink);
    if (e != DM_OK && e != DM_ERR_NOMEM)
        die("dm_report_text failed", e);
    if (r->w->n_items > 0 && r->w->n_parties > 0) {
        e = dm_explain(r, (uint32_t)(r->w->n_parties - 1), (uint32_t)(r->w->n_items - 1), sink);
        if (e != DM_OK && e != DM_ERR_NOMEM)
            die("dm_explain failed", e);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    dm_scenario *sc = NULL;
    dm_run *run = NULL;
    dm_crypto *crypto = NULL;
    dm_verification *verif = NULL;
    dm_run_opts ropts;
    dm_diag d;
    dm_err e;
    const char *text = (const char *)data;

    if (sink == NULL) {
        sink = fopen("/dev/null", "w");
        if (sink == NULL)
            abort();
    }
    dm_diag_init(&d, "fuzz.json", text, size);
    e = dm_scenario_load(text, size, "fuzz.json", &sc, &d);
    check_diag(&d, size);
    if (e != DM_OK) {
        if (sc != NULL)
            die("*out set on failure", e);
        if (e != DM_ERR_SCENARIO && e != DM_ERR_LIMIT && e != DM_ERR_NOMEM)
            die("unexpected load error", e);
        if ((e == DM_ERR_SCENARIO || e == DM_ERR_LIMIT) && d.n_errors == 0)
            die("load failed without an error diagnostic", e);
        goto out;
    }
    if (d.n_errors != 0)
        die("load succeeded with errors", e);

    /* Vary the options with the input so each path is exercised. */
    memset(&ropts, 0, sizeof ropts);
    ropts.owners = (size & 1) != 0;
    ropts.steps = (size & 2) != 0;
    if ((size & 4) != 0 && sc->n_events > 0) {
        ropts.has_at = 1;
        ropts.at = sc->events[sc->n_events / 2].at;
    }
    e = dm_run_scenario(sc, &ropts, &run, &d);
    if (e != DM_OK) {
        if (run != NULL)
            die("*out set on failure", e);
        if (e != DM_ERR_NOMEM && e != DM_ERR_LIMIT)
            die("dm_run_scenario failed on a valid scenario", e);
        goto out;
    }
    if (run->without.users > run->with.users)
        die("the counterfactual exposes more users than the run", DM_OK);

    if (run->w->n_keys + run->w->n_cts <= CRYPTO_MAX_OBJECTS) {
        e = dm_crypto_instantiate(run->w, 42, 1, &crypto);
        if (e == DM_OK) {
            e = dm_crypto_verify(crypto, run, DM_VERIFY_ALL, 1, &verif);
            if (e == DM_ERR_MISMATCH)
                die("verification mismatch: real decryption disagrees with the closure", e);
            if (e != DM_OK)
                die("dm_crypto_verify failed", e);
        } else if (e != DM_ERR_LIMIT && e != DM_ERR_NOMEM) {
            die("dm_crypto_instantiate failed", e);
        }
    }
    reports(run, verif, ropts.owners, sink);
out:
    dm_verification_free(verif);
    dm_crypto_free(crypto);
    dm_run_free(run);
    dm_scenario_free(sc);
    dm_diag_clear(&d);
    return 0;
}
