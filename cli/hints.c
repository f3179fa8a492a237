/*
 * hints.c — refusals that name what the person typed: an error the library
 * placed at an entry's JSON path ("$.entry.pool") or nowhere is placed at the
 * option or argument that gave the value (--pool, --period), so a finance
 * lead who never saw the entry's JSON knows which word to change.
 */
#include "cli.h"

#include <string.h>

void
cli_name_option(pb_error *err, const char *pool_where)
{
    static const char entry_prefix[] = "$.entry.";
    if (strncmp(err->where, entry_prefix, sizeof(entry_prefix) - 1) == 0) {
        err->where[0] = '\0';
    }
    if (err->where[0] != '\0') {
        return;
    }
    const char *option = NULL;
    switch (err->code) {
    case PB_EPOOL:
        option = pool_where;
        break;
    case PB_EPARTNER:
        option = "--partner";
        break;
    case PB_EPERIOD:
        option = "--period";
        break;
    default:
        break;
    }
    if (option != NULL) {
        snprintf(err->where, sizeof(err->where), "%s", option);
    }
}
