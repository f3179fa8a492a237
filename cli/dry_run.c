/*
 * dry_run.c — `--dry-run` of post, append and import: the library checks
 * the records as an append would and aborts (pb_append_preview); this prints
 * what would have been appended and the lines of each pool's figures that
 * would change. Nothing is written.
 */
#include "cli.h"

#include <stdlib.h>

/* A canonical amount for people: "1,234.00", "+1,234.00" with sign. */
static void
dry_run_money(const json_t *amount, int sign, char *buf, size_t size)
{
    char text[PB_MONEY_TEXT_MAX];
    int64_t pence = 0;
    if (pb_money_parse(json_string_value(amount), &pence, NULL) != PB_OK ||
        pb_money_format_display(pence, text, sizeof(text)) != PB_OK) {
        snprintf(text, sizeof(text), "?");
    }
    snprintf(buf, size, "%s%s", sign && pence > 0 ? "+" : "", text);
}

static void
dry_run_print(const json_t *preview)
{
    long long first = json_integer_value(json_object_get(preview, "first_index"));
    long long appended = json_integer_value(json_object_get(preview, "appended"));
    long long present = json_integer_value(json_object_get(preview, "present"));
    printf("dry run: nothing was written; %lld record%s would be appended", appended,
           appended == 1 ? "" : "s");
    if (appended == 1) {
        printf(" at index %lld", first);
    } else if (appended > 1) {
        printf(" at index %lld..%lld", first, first + appended - 1);
    }
    printf(present > 0 ? " (%lld already present)\n" : "\n", present);
    /* "records" may list only the first CLI_DRY_RUN_RECORDS_SHOWN (a streamed
     * preview keeps no more); there are appended + present in all. */
    const json_t *records = json_object_get(preview, "records");
    size_t i;
    for (i = 0; i < json_array_size(records) && i < CLI_DRY_RUN_RECORDS_SHOWN; i++) {
        const json_t *r = json_array_get(records, i);
        printf("  %s %s\n", json_string_value(json_object_get(r, "type")),
               json_string_value(json_object_get(r, "id")));
    }
    if ((uint64_t)(appended + present) > i) {
        printf("  ... and %llu more (--json lists every one)\n",
               (unsigned long long)(appended + present) - i);
    }
    const json_t *pool;
    json_array_foreach(json_object_get(preview, "pools"), i, pool)
    {
        const json_t *changes = json_object_get(pool, "changes");
        printf("pool %s %s: %s\n", json_string_value(json_object_get(pool, "pool")),
               json_string_value(json_object_get(pool, "period")),
               json_array_size(changes) > 0 ? "figures that would change" : "no figure changes");
        size_t j;
        const json_t *c;
        json_array_foreach(changes, j, c)
        {
            char before[PB_MONEY_TEXT_MAX + 2], after[PB_MONEY_TEXT_MAX + 2];
            char change[PB_MONEY_TEXT_MAX + 2];
            dry_run_money(json_object_get(c, "before"), 0, before, sizeof(before));
            dry_run_money(json_object_get(c, "after"), 0, after, sizeof(after));
            dry_run_money(json_object_get(c, "change"), 1, change, sizeof(change));
            printf("  %-32s %16s -> %16s  (%s)\n", json_string_value(json_object_get(c, "line")),
                   before, after, change);
        }
    }
}

void
cli_dry_run_print(json_t *preview, int json)
{
    if (json) {
        char *text = json_dumps(preview, JSON_COMPACT);
        if (text == NULL) {
            cli_die_env("out of memory");
        }
        printf("%s\n", text);
        free(text);
    } else {
        dry_run_print(preview);
    }
    json_decref(preview);
}

int
cli_dry_run(pb_store *store, json_t *const *records, size_t count, int json, pb_error *err)
{
    json_t *preview = NULL;
    int rc = pb_append_preview(store, records, count, &preview, err);
    if (rc == PB_OK) {
        cli_dry_run_print(preview, json);
    }
    return rc;
}
