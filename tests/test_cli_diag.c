/* test_cli_diag.c - the CLI's diagnostic text, compared byte for byte. */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_diag.h"
#include "doormat/alloc.h"

/* Print `d` into a string (caller frees with free()). */
static char *
render(const dm_diag *d, int colour)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    dm_cli_diag_print(f, d, colour);
    fclose(f);
    return buf;
}

static const char uk[] =
    "{\n"
    "  \"events\": [\n"
    "    {\"at\": 3, \"do\": \"steal\", \"key\": \"escrw\"}\n"
    "  ]\n"
    "}\n";

START_TEST(test_error_with_caret)
{
    dm_diag d;
    size_t off = (size_t)(strstr(uk, "\"escrw\"") - uk);
    char *out;

    dm_diag_init(&d, "uk.json", uk, sizeof uk - 1);
    ck_assert_int_eq(dm_diag_add(&d, DM_SEV_ERROR, off, "events[0].key",
                                 "unknown key \"escrw\" (did you mean \"escrow\"?)"),
                     DM_OK);
    out = render(&d, 0);
    ck_assert_str_eq(out,
        "doormat: uk.json:3:37: error: events[0].key: unknown key \"escrw\" (did you mean \"escrow\"?)\n"
        "    3 |     {\"at\": 3, \"do\": \"steal\", \"key\": \"escrw\"}\n"
        "      |                                     ^\n");
    free(out);
    dm_diag_clear(&d);
}
END_TEST

START_TEST(test_colour)
{
    dm_diag d;
    char *out;

    dm_diag_init(&d, "a.json", "xy", 2);
    dm_diag_add(&d, DM_SEV_WARNING, 1, "p", "m");
    out = render(&d, 1);
    ck_assert_str_eq(out,
        "doormat: \033[1ma.json:1:2:\033[0m \033[1;35mwarning:\033[0m p: m\n"
        "    1 | xy\n"
        "      |  \033[1;32m^\033[0m\n");
    free(out);
    dm_diag_clear(&d);
}
END_TEST

START_TEST(test_no_position_no_path_no_file)
{
    dm_diag d;
    char *out;

    dm_diag_init(&d, "f.json", "abc", 3);
    dm_diag_add(&d, DM_SEV_ERROR, SIZE_MAX, "", "no users");
    dm_diag_add(&d, DM_SEV_NOTE, SIZE_MAX, "users[1]", "declared here");
    out = render(&d, 0);
    ck_assert_str_eq(out,
        "doormat: f.json: error: no users\n"
        "doormat: f.json: note: users[1]: declared here\n");
    free(out);
    dm_diag_clear(&d);

    dm_diag_init(&d, NULL, NULL, 0);
    dm_diag_add(&d, DM_SEV_ERROR, 4, NULL, "m");
    out = render(&d, 0);
    ck_assert_str_eq(out, "doormat: error: m\n");
    free(out);
    dm_diag_clear(&d);
}
END_TEST

START_TEST(test_dropped)
{
    dm_diag d;
    char *out, *tail;
    size_t i;

    dm_diag_init(&d, "f", NULL, 0);
    for (i = 0; i < DM_DIAG_MAX_ERRORS + 3; i++)
        dm_diag_add(&d, DM_SEV_ERROR, SIZE_MAX, NULL, "e%zu", i);
    out = render(&d, 0);
    tail = strstr(out, "doormat: f: error: e49\n");
    ck_assert_ptr_nonnull(tail);
    ck_assert_str_eq(tail, "doormat: f: error: e49\n"
                           "doormat: 3 more errors not shown\n");
    free(out);
    dm_diag_clear(&d);

    dm_diag_init(&d, "f", NULL, 0);
    for (i = 0; i < DM_DIAG_MAX_ERRORS + 1; i++)
        dm_diag_add(&d, DM_SEV_ERROR, SIZE_MAX, NULL, "e");
    out = render(&d, 0);
    ck_assert_ptr_nonnull(strstr(out, "e\ndoormat: 1 more error not shown\n"));
    free(out);
    dm_diag_clear(&d);
}
END_TEST

START_TEST(test_oom_note)
{
    dm_diag d;
    char *out;

    dm_diag_init(&d, "f", NULL, 0);
    dm_alloc_fail_at(1, 0);
    ck_assert_int_eq(dm_diag_add(&d, DM_SEV_ERROR, 0, NULL, "lost"), DM_ERR_NOMEM);
    out = render(&d, 0);
    ck_assert_str_eq(out, "doormat: some diagnostics were lost (out of memory)\n");
    free(out);
    dm_diag_clear(&d);
}
END_TEST

/* Tabs are copied into the caret line, UTF-8 continuation bytes skipped,
 * CRLF's \r not shown. */
START_TEST(test_tabs_utf8_crlf)
{
    static const char src[] = "x\r\n\t\"caf\xc3\xa9\": bad\r\n";
    dm_diag d;
    size_t off = (size_t)(strstr(src, "bad") - src);
    char *out;

    dm_diag_init(&d, "t.json", src, sizeof src - 1);
    dm_diag_add(&d, DM_SEV_ERROR, off, NULL, "m");
    out = render(&d, 0);
    ck_assert_str_eq(out,
        "doormat: t.json:2:11: error: m\n"
        "    2 | \t\"caf\xc3\xa9\": bad\n"
        "      | \t        ^\n");
    free(out);
    dm_diag_clear(&d);
}
END_TEST

/* A scenario cannot put escape sequences on the user's terminal. */
START_TEST(test_control_bytes)
{
    static const char src[] = "a\033[31mb";
    dm_diag d;
    char *out;

    dm_diag_init(&d, "c\033.json", src, sizeof src - 1);
    dm_diag_add(&d, DM_SEV_ERROR, 0, "k\x07", "bad \"%s\"", "\033[2J");
    out = render(&d, 0);
    ck_assert_str_eq(out,
        "doormat: c?.json:1:1: error: k?: bad \"?[2J\"\n"
        "    1 | a?[31mb\n"
        "      | ^\n");
    free(out);
    dm_diag_clear(&d);
}
END_TEST

/* Offset at the end of the text: the caret sits after the last byte. */
START_TEST(test_caret_at_end)
{
    dm_diag d;
    char *out;

    dm_diag_init(&d, "e.json", "{\"a\": ", 6);
    dm_diag_add(&d, DM_SEV_ERROR, 6, NULL, "unexpected end of input");
    out = render(&d, 0);
    ck_assert_str_eq(out,
        "doormat: e.json:1:7: error: unexpected end of input\n"
        "    1 | {\"a\": \n"
        "      |       ^\n");
    free(out);
    dm_diag_clear(&d);
}
END_TEST

/* One huge line is shown as a 120-byte window, 60 bytes before the caret. */
START_TEST(test_long_line_window)
{
    char src[1001], want[512], *out;
    dm_diag d;

    memset(src, 'a', 1000);
    src[1000] = '\0';
    src[500] = 'X';
    dm_diag_init(&d, "m.json", src, 1000);
    dm_diag_add(&d, DM_SEV_ERROR, 500, NULL, "m");
    out = render(&d, 0);
    snprintf(want, sizeof want,
             "doormat: m.json:1:501: error: m\n"
             "    1 | ...%.60sX%.59s...\n"
             "      |    %60s^\n", src, src, "");
    ck_assert_str_eq(out, want);
    free(out);
    dm_diag_clear(&d);
}
END_TEST

/* Entries filled in by hand with only line/col still show their line. */
START_TEST(test_line_without_offset)
{
    static const char src[] = "one\ntwo\nthree";
    dm_diag d;
    char *out;

    dm_diag_init(&d, "h.json", src, sizeof src - 1);
    dm_diag_add(&d, DM_SEV_ERROR, SIZE_MAX, NULL, "m");
    d.entries[0].line = 3;
    d.entries[0].col = 2;
    out = render(&d, 0);
    ck_assert_str_eq(out,
        "doormat: h.json:3:2: error: m\n"
        "    3 | three\n"
        "      |  ^\n");
    free(out);
    /* a line past the end prints the head only */
    d.entries[0].line = 9;
    out = render(&d, 0);
    ck_assert_str_eq(out, "doormat: h.json:9:2: error: m\n");
    free(out);
    dm_diag_clear(&d);
}
END_TEST

START_TEST(test_wide_line_numbers)
{
    char *src, *out;
    dm_diag d;
    size_t i;

    src = malloc(200001);
    ck_assert_ptr_nonnull(src);
    for (i = 0; i < 100000; i++) {
        src[2 * i] = 'q';
        src[2 * i + 1] = '\n';
    }
    src[200000] = '\0';
    dm_diag_init(&d, "w.json", src, 200000);
    dm_diag_add(&d, DM_SEV_ERROR, 2 * 99999, NULL, "m");
    out = render(&d, 0);
    ck_assert_str_eq(out,
        "doormat: w.json:100000:1: error: m\n"
        " 100000 | q\n"
        "        | ^\n");
    free(out);
    free(src);
    dm_diag_clear(&d);
}
END_TEST

START_TEST(test_printf)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    dm_cli_diag_printf(f, 0, DM_SEV_ERROR, "x.json", "cannot open: %s", "No such file");
    dm_cli_diag_printf(f, 0, DM_SEV_WARNING, NULL, "seed %d", 7);
    dm_cli_diag_printf(f, 1, DM_SEV_ERROR, NULL, "c");
    fclose(f);
    ck_assert_str_eq(buf,
        "doormat: x.json: error: cannot open: No such file\n"
        "doormat: warning: seed 7\n"
        "doormat: \033[1;31merror:\033[0m c\n");
    free(buf);
}
END_TEST

/* Colour only on a terminal, and never with a non-empty NO_COLOR. */
START_TEST(test_colour_decision)
{
    int master, slave;
    FILE *tty, *notty;

    master = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(master, 0);
    ck_assert_int_eq(grantpt(master), 0);
    ck_assert_int_eq(unlockpt(master), 0);
    slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(slave, 0);
    tty = fdopen(slave, "w");
    ck_assert_ptr_nonnull(tty);
    notty = tmpfile();
    ck_assert_ptr_nonnull(notty);

    unsetenv("NO_COLOR");
    ck_assert_int_eq(dm_cli_diag_colour(tty), 1);
    ck_assert_int_eq(dm_cli_diag_colour(notty), 0);
    setenv("NO_COLOR", "", 1);
    ck_assert_int_eq(dm_cli_diag_colour(tty), 1);
    setenv("NO_COLOR", "1", 1);
    ck_assert_int_eq(dm_cli_diag_colour(tty), 0);
    ck_assert_int_eq(dm_cli_diag_colour(notty), 0);
    unsetenv("NO_COLOR");

    fclose(tty);
    fclose(notty);
    close(master);
}
END_TEST

static void
reset(void)
{
    dm_alloc_fail_at(0, 0);
}

Suite *
cli_diag_suite(void)
{
    Suite *s = suite_create("cli_diag");
    TCase *tc;

    tc = tcase_create("format");
    tcase_add_checked_fixture(tc, reset, reset);
    tcase_add_test(tc, test_error_with_caret);
    tcase_add_test(tc, test_no_position_no_path_no_file);
    tcase_add_test(tc, test_dropped);
    tcase_add_test(tc, test_oom_note);
    tcase_add_test(tc, test_printf);
    suite_add_tcase(s, tc);

    tc = tcase_create("source_line");
    tcase_add_test(tc, test_tabs_utf8_crlf);
    tcase_add_test(tc, test_control_bytes);
    tcase_add_test(tc, test_caret_at_end);
    tcase_add_test(tc, test_long_line_window);
    tcase_add_test(tc, test_line_without_offset);
    tcase_add_test(tc, test_wide_line_numbers);
    suite_add_tcase(s, tc);

    tc = tcase_create("colour");
    tcase_add_test(tc, test_colour);
    tcase_add_test(tc, test_colour_decision);
    suite_add_tcase(s, tc);
    return s;
}
