/*
 * fields.c — small checks of JSON fields shared by records and entry types,
 * each naming the field by its JSON path so a finance lead can find it.
 */
#include "base/base.h"

#include <string.h>

int
pb_field_string(const json_t *obj, const char *name, const char *path, size_t max_bytes,
                const char **out, pb_error *err)
{
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "%s.%s", path, name);
    const json_t *v = json_object_get(obj, name);
    if (v == NULL) {
        return pb_error_set(err, PB_EFIELD, where, "field %s is missing", name);
    }
    if (!json_is_string(v)) {
        return pb_error_set(err, PB_EFIELD, where, "field %s must be a string", name);
    }
    size_t len = json_string_length(v);
    if (len == 0) {
        return pb_error_set(err, PB_EFIELD, where, "field %s is empty", name);
    }
    if (len > max_bytes) {
        return pb_error_set(err, PB_ETOOBIG, where, "field %s is %zu bytes, over the limit of %zu",
                            name, len, max_bytes);
    }
    if (strlen(json_string_value(v)) != len) {
        return pb_error_set(err, PB_EJSON_CONTROL, where, "field %s contains a NUL character",
                            name);
    }
    *out = json_string_value(v);
    return PB_OK;
}

int
pb_field_allowed(const json_t *obj, const char *const *allowed, const char *path, pb_error *err)
{
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        (void)value;
        int found = 0;
        for (size_t i = 0; allowed[i] != NULL; i++) {
            if (strcmp(allowed[i], key) == 0) {
                found = 1;
                break;
            }
        }
        if (!found) {
            char where[PB_ERROR_WHERE_MAX];
            snprintf(where, sizeof(where), "%s.%s", path, key);
            return pb_error_set(err, PB_EFIELD, where, "unknown field \"%s\"", key);
        }
    }
    return PB_OK;
}

/* DESIGN 3: an id is 1–64 of [A-Za-z0-9._:-]. */
int
pb_field_check_id(const char *id, const char *path, pb_error *err)
{
    size_t len = strlen(id);
    if (len == 0 || len > PB_ID_BYTES_MAX) {
        return pb_error_set(err, PB_EID, path, "id must be 1 to %d characters, not %zu",
                            PB_ID_BYTES_MAX, len);
    }
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok) {
            return pb_error_set(err, PB_EID, path,
                                "id \"%s\" has '%c' at position %zu: only A-Z a-z 0-9 . _ : - "
                                "are allowed",
                                id, c, i + 1);
        }
    }
    return PB_OK;
}

int
pb_field_date(const json_t *obj, const char *name, const char *path, int32_t *day_out,
              pb_error *err)
{
    const char *text = NULL;
    int rc = pb_field_string(obj, name, path, PB_DATE_TEXT_MAX, &text, err);
    if (rc == PB_OK) {
        rc = pb_date_parse(text, day_out, err);
        if (rc != PB_OK && err != NULL && err->where[0] == '\0') {
            snprintf(err->where, sizeof(err->where), "%s.%s", path, name);
        }
    }
    return rc;
}
