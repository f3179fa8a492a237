/*
 * render.c — what the statement renderers share: format names, money as
 * people read it, workings lines, and writing a rendered statement to a file
 * whole or not at all (pb_file_write, through cli_write_file).
 */
#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    int format;
    const char *name;
    const char *extension;
} formats[] = {
    {RENDER_TEXT, "text", "txt"},  {RENDER_JSON, "json", "json"}, {RENDER_CSV, "csv", "csv"},
    {RENDER_HTML, "html", "html"}, {RENDER_XLSX, "xlsx", "xlsx"},
    {RENDER_BCF_XLSX, "bcf-xlsx", "bcf.xlsx"},
};

int
render_format_of(const char *name)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (strcmp(formats[i].name, name) == 0) {
            return formats[i].format;
        }
    }
    return 0;
}

int
render_formats_of(const char *list)
{
    if (strcmp(list, "all") == 0) {
        return RENDER_ALL;
    }
    int set = 0;
    char name[16];
    for (const char *p = list;; p++) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len >= sizeof(name)) {
            return 0;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        int one = render_format_of(name);
        if (one == 0) {
            return 0;
        }
        set |= one;
        if (comma == NULL) {
            return set;
        }
        p = comma;
    }
}

const char *
render_extension(int format)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (formats[i].format == format) {
            return formats[i].extension;
        }
    }
    return "";
}

/* Set once by the command before anything is rendered. */
static int brackets;

void
render_set_brackets(int on)
{
    brackets = on;
}

int
render_brackets_on(void)
{
    return brackets;
}

void
render_negatives_option(const char *const *usage, const char *value)
{
    if (strcmp(value, "minus") != 0 && strcmp(value, "brackets") != 0) {
        cli_usage_error(usage, "--negatives is minus or brackets, not '%s'", value);
    }
    render_set_brackets(strcmp(value, "brackets") == 0);
}

const char *
render_money(const json_t *amount, char *buf, size_t size)
{
    int64_t pence = 0;
    char digits[PB_MONEY_TEXT_MAX];
    if (pb_money_parse(json_string_value(amount), &pence, NULL) != PB_OK ||
        pb_money_format_display(pence < 0 && brackets ? -pence : pence, digits, sizeof(digits)) !=
            PB_OK) {
        snprintf(buf, size, "?");
    } else if (pence < 0 && brackets) {
        snprintf(buf, size, "(%s)", digits);
    } else {
        snprintf(buf, size, "%s", digits);
    }
    return buf;
}

int64_t
render_pence(const json_t *amount)
{
    int64_t pence = 0;
    if (pb_money_parse(json_string_value(amount), &pence, NULL) != PB_OK) {
        pence = 0;
    }
    return pence;
}

const char *
render_pounds(const json_t *amount, char *buf, size_t size)
{
    char digits[PB_MONEY_TEXT_MAX];
    render_money(amount, digits, sizeof(digits));
    int negative = digits[0] == '-' || digits[0] == '(';
    if (digits[0] == '(') {
        snprintf(buf, size, "(\xC2\xA3%s", digits + 1);
    } else {
        snprintf(buf, size, "%s\xC2\xA3%s", negative ? "-" : "", digits + negative);
    }
    return buf;
}

char *
render_step(const json_t *step)
{
    char *text = pb_policy_step_text(step);
    if (text == NULL) {
        cli_die_env("out of memory writing the workings");
    }
    return text;
}

const char *
render_bp(const json_t *bp, char *buf, size_t size)
{
    if (!json_is_integer(bp)) {
        snprintf(buf, size, "n/a");
        return buf;
    }
    json_int_t v = json_integer_value(bp);
    json_int_t m = v < 0 ? -v : v;
    snprintf(buf, size, "%s%" JSON_INTEGER_FORMAT ".%02" JSON_INTEGER_FORMAT "%%", v < 0 ? "-" : "",
             m / 100, m % 100);
    return buf;
}

const char *
render_partnership(const json_t *statement, char *buf, size_t size)
{
    const json_t *names = json_object_get(statement, "partnership");
    size_t n = json_array_size(names), used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        const char *sep = i == 0 ? "" : (i + 1 == n ? " and " : ", ");
        int w = snprintf(buf + used, size - used, "%s%s", sep,
                         json_string_value(json_array_get(names, i)));
        used += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

const char *
render_status(const json_t *statement)
{
    return strcmp(render_str(statement, "status"), "final") == 0
               ? "FINAL: the period is closed"
               : "DRAFT: the period is open and these figures may change";
}

const char *
render_due_label(const json_t *statement)
{
    return json_is_object(json_object_get(statement, "settlement")) ? "amount due on settlement"
                                                                   : "forecast amount due";
}

const char *
render_commentary(const json_t *statement, const char *scheme_id)
{
    const json_t *c = json_object_get(json_object_get(statement, "commentary"), scheme_id);
    return render_str(c, "memo");
}

const char *
render_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL ? s : "";
}

const char *
render_title(const json_t *statement, char *buf, size_t size)
{
    const json_t *partner = json_object_get(statement, "partner");
    if (json_is_object(partner)) {
        snprintf(buf, size, "Partner statement: %s (%s)", render_str(partner, "name"),
                 render_str(partner, "id"));
    } else {
        snprintf(buf, size, "Pool summary");
    }
    return buf;
}

void
render_where(pb_error *err)
{
    const char *option = NULL;
    switch (err->code) {
    case PB_EPOOL:
        option = "--pool";
        break;
    case PB_EPARTNER:
        option = "--partner";
        break;
    case PB_EPERIOD:
    case PB_ENOTFOUND:
        option = "--period";
        break;
    default:
        break;
    }
    if (option != NULL && err->where[0] == '\0') {
        snprintf(err->where, sizeof(err->where), "%s", option);
    }
}

int
render_json(FILE *f, const json_t *statement)
{
    /* Keys sorted and indented: the same statement gives the same bytes. */
    if (json_dumpf(statement, f, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
        return -1;
    }
    return fputc('\n', f) == EOF ? -1 : 0;
}

static int
render_stream(int format, FILE *f, const json_t *statement)
{
    switch (format) {
    case RENDER_TEXT:
        return render_text(f, statement);
    case RENDER_JSON:
        return render_json(f, statement);
    case RENDER_CSV:
        return render_csv(f, statement);
    case RENDER_HTML:
        return render_html(f, statement);
    default:
        return -1;
    }
}

struct render_job {
    int format;
    const json_t *statement;
    pb_error *err;
};

static int
render_to(FILE *f, const char *tmp_path, void *ctx)
{
    const struct render_job *job = ctx;
    if (job->format != RENDER_XLSX && job->format != RENDER_BCF_XLSX) {
        return render_stream(job->format, f, job->statement);
    }
    /* libxlsxwriter writes by name: the temporary file pb_file_write made. */
    char why[256] = "";
    int rc = job->format == RENDER_XLSX ? render_xlsx(tmp_path, job->statement, why, sizeof(why))
                                        : render_bcf_xlsx(tmp_path, job->statement, why, sizeof(why));
    if (rc != 0) {
        job->err->code = PB_EIO;
        snprintf(job->err->text, sizeof(job->err->text), "could not write the statement: %s", why);
        return -1;
    }
    return 0;
}

void
render_write(int format, const json_t *statement, const char *path)
{
    if (strcmp(path, "-") == 0) {
        if (format == RENDER_XLSX || format == RENDER_BCF_XLSX) {
            cli_die_env("xlsx is written to a file: give -o FILE (stdout)");
        }
        if (render_stream(format, stdout, statement) != 0) {
            cli_die_env("could not write the statement: %s (stdout)", pb_errno_text(errno));
        }
        return;
    }
    pb_error err;
    pb_error_init(&err);
    struct render_job job = {format, statement, &err};
    if (cli_write_file(path, render_to, &job, &err) != PB_OK) {
        cli_fail(&err);
    }
}
