/* report_util.h - helpers shared by the report, explain and CLI modules (private). */
#ifndef DOORMAT_REPORT_UTIL_H
#define DOORMAT_REPORT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "doormat/engine.h"
#include "doormat/scenario.h"

/* Terminal colours of the text outputs (used only when colour is on). */
#define DM_C_BOLD "\033[1m"
#define DM_C_DIM "\033[2m"
#define DM_C_RED "\033[1;31m"
#define DM_C_GREEN "\033[32m"
#define DM_C_YELLOW "\033[33m"
#define DM_C_CYAN "\033[36m"
#define DM_C_RESET "\033[0m"

/* The colour of a class where the text outputs mark it: lawful green,
 * collateral yellow, unlawful red; NULL for the others. */
const char *dm_report_class_colour(int cls);

/* A section title: a blank line, then the title (bold with colour). */
void dm_report_heading(FILE *out, int color, const char *title);

/* Append s to buf (of len bytes) at *pos, truncating safely; buf stays
 * NUL-terminated. */
void dm_report_cat(char *buf, size_t len, size_t *pos, const char *s);

/* A reach's via list in words, "key → event → ...", into buf (empty for
 * an empty list). */
void dm_report_via_text(const dm_run *r, const dm_actor_result *a, const dm_reach *re,
                        char *buf, size_t len);

/* The region of one user after the first `bound` events. */
dm_id dm_report_region_of(const dm_scenario *sc, uint32_t user, uint32_t bound);

/* Whether scope `sc_` of event `ev` held `user` whose region is `region`.
 * A ghost's scope is its authority's region. */
int dm_report_scope_holds(const dm_scenario *sc, const dm_event *ev, uint32_t user,
                          dm_id region);

/* Columns a UTF-8 string takes on a terminal (one per code point). */
size_t dm_report_width(const char *s);

/* Write s then spaces up to width columns (left-aligned) or spaces then s
 * (right-aligned). */
void dm_report_pad(FILE *out, const char *s, size_t width, int right);

/* Write s with control bytes (and DEL) shown as '?': scenario text must not
 * drive the reader's terminal. */
void dm_report_put_safe(FILE *out, const char *s);

/* Name of a via entry (a key name or an event id) into buf; returns buf. */
const char *dm_report_via_name(const dm_run *r, uint32_t via, char *buf, size_t len);

/* The same name in two pieces, the returned base ("alice", "escrow", an
 * event id) then sfx ("", ".dk", ".dev2", ...: ASCII), with no formatting:
 * a JSON report of 10^6 users names some 10^7 of them. */
#define DM_REPORT_SFX DM_WORLD_KEY_SFX
const char *dm_report_via_parts(const dm_run *r, uint32_t via, char sfx[DM_REPORT_SFX]);

struct dm_verification;
struct dm_mismatch;

/* The verification mode as reports name it: "all", "sample" (asked for, or
 * `all` that fell back to a sample) or "off" (also when v is NULL). */
const char *dm_report_verify_mode(const struct dm_verification *v);

/* A mismatch's problem in words ("reach-fails: ciphertext of alice/photos
 * under alice.dk") into buf; returns buf. */
const char *dm_report_mismatch_text(const dm_run *r, const struct dm_mismatch *m,
                                    char *buf, size_t len);

#endif
