/*
 * fuzz_bundle.c — audit bundles (ledger/interchange/bundle.c), as
 * `verify --bundle` reads them. Invariants: a bundle that verifies reports a
 * tree size equal to its records and a root; whatever fails names a line of
 * the input no later than the last one read, with a code and a text.
 */
#include "fixture.h"
#include "fuzz.h"
#include "log/log.h"

#include <stdlib.h>

static void
keep_off(void)
{
    pb_scratch_keep(0);
}

/* The scratch ledger each bundle is loaded into, and the state verify
 * replays it into, live in $TMPDIR (store.c): the fixture's folder puts them
 * on a tmpfs where there is one. They are kept, emptied, from one input to
 * the next (pb_scratch_keep): opening two LMDB environments per input was
 * most of the time (their dirty-page lists, zeroed and faulted in). */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    FUZZ_CHECK(setenv("TMPDIR", fuzz_scratch_dir(), 1) == 0);
    pb_scratch_keep(1);
    FUZZ_CHECK(atexit(keep_off) == 0);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *in = fmemopen((void *)data, size, "rb");
    if (in == NULL) {
        return 0; /* fmemopen refuses size 0 on some libcs */
    }
    pb_verify_report report;
    pb_error err;
    pb_error_init(&err);
    json_t *findings = NULL;
    int rc = pb_bundle_verify(in, "fuzz", 1, NULL, &report, &findings, &err);
    fclose(in);
    if (rc == PB_OK) {
        FUZZ_CHECK(report.records > 0 && json_is_array(findings));
        json_decref(findings);
    } else {
        FUZZ_CHECK(err.code == rc && err.text[0] != '\0');
        size_t lines = 1;
        for (size_t i = 0; i < size; i++) {
            lines += data[i] == '\n';
        }
        FUZZ_CHECK(err.line >= 0 && (size_t)err.line <= lines + 1);
    }
    return 0;
}
