/*
 * ders_fixture.h - the DERS fixture library, loaded once per cmocka group by the DERS tests
 * (tests/data/druglib/ders-fixture.json). Include after <cmocka.h>, "oi_json.h".
 */
#ifndef OI_TEST_DERS_FIXTURE_H
#define OI_TEST_DERS_FIXTURE_H

#define FIXTURE OI_SOURCE_DIR "/tests/data/druglib/ders-fixture.json"

static struct oi_druglib fx;

/* Group setup: the fixture must load cleanly, its problems are printed if it does not. */
static int load_fixture(void **state)
{
    (void)state;
    struct oi_diag diag = {0};
    oi_load_status st = oi_druglib_load_file(FIXTURE, &fx, &diag);
    for (size_t i = 0; i < diag.n; i++) {
        print_error("%s: %s: %s\n", FIXTURE, diag.items[i].path, diag.items[i].message);
    }
    oi_diag_free(&diag);
    return st == OI_LOAD_OK ? 0 : -1;
}

static int free_fixture(void **state)
{
    (void)state;
    oi_druglib_free(&fx);
    return 0;
}

#endif
