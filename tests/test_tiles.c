/*
 * test_tiles.c — tile paths of ledger/log/tiles.c (C2SP tlog-tiles): known
 * answers in the spelling of Go's tlog.Tile.Path (three digits a group, "x"
 * before every group but the last, ".p/<W>" for a partial tile), the round
 * trip, and every non-canonical or out-of-range spelling refused. The tiles'
 * bytes are checked against Go in tests/cli/tiles_go.sh.
 */
#include "poolbook.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void
assert_path(int level, uint64_t n, unsigned width, const char *want)
{
    pb_tile tile = {level, n, width};
    char buf[PB_TILE_PATH_MAX];
    assert_int_equal(pb_tile_path(&tile, buf, sizeof(buf)), PB_OK);
    assert_string_equal(buf, want);
    pb_tile back;
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_tile_parse(want, &back, &err), PB_OK);
    assert_int_equal(back.level, level);
    assert_true(back.n == n);
    assert_int_equal(back.width, width);
}

static void
test_path_known_answers(void **state)
{
    (void)state;
    assert_path(0, 0, 256, "tile/0/000");
    assert_path(0, 1, 44, "tile/0/001.p/44");
    assert_path(1, 0, 1, "tile/1/000.p/1");
    assert_path(0, 999, 256, "tile/0/999");
    assert_path(0, 1000, 256, "tile/0/x001/000");
    assert_path(0, 1234067, 256, "tile/0/x001/x234/067"); /* C2SP's own example */
    assert_path(2, 123456789, 255, "tile/2/x123/x456/789.p/255");
    assert_path(PB_TILE_ENTRIES, 5, 256, "tile/entries/005");
    assert_path(PB_TILE_ENTRIES, 1000, 3, "tile/entries/x001/000.p/3");
    assert_path(7, UINT64_MAX / 256, 256, "tile/7/x072/x057/x594/x037/x927/935");
}

static void
assert_refused(const char *path)
{
    pb_tile tile;
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_tile_parse(path, &tile, &err), PB_ENOTFOUND);
    assert_non_null(strstr(err.text, "is not a tile path"));
}

static void
test_parse_refuses_other_spellings(void **state)
{
    (void)state;
    assert_refused("");
    assert_refused("tile/0/1"); /* three digits a group */
    assert_refused("tile/0/0001");
    assert_refused("tile/0/x000/001"); /* a leading zero group */
    assert_refused("tile/00/000");     /* level spelled twice */
    assert_refused("tile/8/000");      /* tree levels end at 63: tile level 7 */
    assert_refused("tile/0/000.p/0");  /* widths 1..255 */
    assert_refused("tile/0/000.p/256");
    assert_refused("tile/0/000.p/07");
    assert_refused("tile/0/000.p/");
    assert_refused("tile/0/000/");
    assert_refused("tile/0/x001"); /* a last group without x */
    assert_refused("tile/0/001x");
    assert_refused("tile/data/000"); /* Go's name, not C2SP's */
    assert_refused("tile/8/0/000");  /* Go's height element */
    assert_refused("/tile/0/000");
    assert_refused("tile/entries/x999/x999/x999/x999/x999/x999/999"); /* beyond 2^64 */
    assert_refused("tile/0/000?x=1");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_known_answers),
        cmocka_unit_test(test_parse_refuses_other_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
