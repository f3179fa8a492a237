/*
 * options.c — the option table parser behind every subcommand, and --help
 * printed from the same table so the two cannot drift (git's parse-options).
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The left column of an option's help line: "-k, --key-file SECKEY". */
static void
option_left(const struct cli_option *o, char *left, size_t size)
{
    const char *space = o->kind == CLI_STRING ? " " : "";
    const char *arg = o->kind == CLI_STRING ? o->arg_name : "";
    if (o->short_name != 0) {
        snprintf(left, size, "-%c, --%s%s%s", o->short_name, o->long_name, space, arg);
    } else {
        snprintf(left, size, "    --%s%s%s", o->long_name, space, arg);
    }
}

/* cli_usage in roff, for the manual page (manual.c): the usage lines as
 * written, then each option as a tagged paragraph. */
static void
usage_roff(FILE *f, const char *const *usage, const struct cli_option *options)
{
    fprintf(f, ".nf\n");
    for (size_t i = 0; usage[i] != NULL; i++) {
        fputs(i == 0 ? "poolbook " : "", f);
        cli_roff_text(f, usage[i]);
        fputc('\n', f);
    }
    fprintf(f, ".fi\n");
    for (size_t i = 0; options != NULL && options[i].kind != CLI_END; i++) {
        char left[64];
        option_left(&options[i], left, sizeof(left));
        fprintf(f, ".TP\n.B ");
        cli_roff_text(f, left[0] == ' ' ? left + 4 : left);
        fputc('\n', f);
        cli_roff_text(f, options[i].help);
        fputc('\n', f);
    }
}

void
cli_usage(FILE *f, const char *const *usage, const struct cli_option *options)
{
    if (cli_help_roff) {
        usage_roff(f, usage, options);
        return;
    }
    for (size_t i = 0; usage[i] != NULL; i++) {
        fprintf(f, "%s%s\n", i == 0 ? "usage: poolbook " : "", usage[i]);
    }
    fprintf(f, "\noptions:\n");
    for (size_t i = 0; options != NULL && options[i].kind != CLI_END; i++) {
        char left[64];
        option_left(&options[i], left, sizeof(left));
        fprintf(f, "  %-28s %s\n", left, options[i].help);
    }
    fprintf(f, "  %-28s %s\n", "-h, --help", "show this help");
}

_Noreturn void
cli_usage_error(const char *const *usage, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cli_error_line("%s (usage: poolbook %s)", msg, usage[0]);
    exit(2);
}

static const struct cli_option *
find_long(const struct cli_option *options, const char *name, size_t len)
{
    for (size_t i = 0; options != NULL && options[i].kind != CLI_END; i++) {
        if (strlen(options[i].long_name) == len && strncmp(options[i].long_name, name, len) == 0) {
            return &options[i];
        }
    }
    return NULL;
}

static const struct cli_option *
find_short(const struct cli_option *options, char c)
{
    for (size_t i = 0; options != NULL && options[i].kind != CLI_END; i++) {
        if (options[i].short_name == c) {
            return &options[i];
        }
    }
    return NULL;
}

/* Apply one option; takes its value from inline (after '=') or argv[*argi+1]. */
static void
apply_option(const struct cli_option *o, const char *inline_value, int argc, char **argv, int *argi,
             const char *const *usage)
{
    if (o->kind == CLI_FLAG) {
        if (inline_value != NULL) {
            cli_usage_error(usage, "option --%s takes no value", o->long_name);
        }
        *(int *)o->value = 1;
        return;
    }
    if (inline_value == NULL) {
        if (*argi + 1 >= argc) {
            cli_usage_error(usage, "option --%s needs %s", o->long_name, o->arg_name);
        }
        *argi += 1;
        inline_value = argv[*argi];
    }
    *(const char **)o->value = inline_value;
}

int
cli_parse(int argc, char **argv, const char *const *usage, const struct cli_option *options)
{
    int argi = 1;
    /* Options and positionals may be mixed; positionals are moved to the end
     * in order, so `poolbook proof inclusion 3 --size 10` works. */
    int positional_count = 0;
    char **positionals = calloc((size_t)argc + 1, sizeof(char *));
    if (positionals == NULL) {
        cli_die_env("out of memory");
    }
    for (; argi < argc; argi++) {
        const char *a = argv[argi];
        if (strcmp(a, "--") == 0) {
            for (argi++; argi < argc; argi++) {
                positionals[positional_count++] = argv[argi];
            }
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_usage(stdout, usage, options);
            free(positionals);
            exit(cli_finish_stdout());
        }
        if (a[0] == '-' && a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq != NULL ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            const struct cli_option *o = find_long(options, a + 2, len);
            if (o == NULL) {
                cli_usage_error(usage, "unknown option %s", a);
            }
            apply_option(o, eq != NULL ? eq + 1 : NULL, argc, argv, &argi, usage);
        } else if (a[0] == '-' && a[1] != '\0' && a[2] == '\0') {
            const struct cli_option *o = find_short(options, a[1]);
            if (o == NULL) {
                cli_usage_error(usage, "unknown option %s", a);
            }
            apply_option(o, NULL, argc, argv, &argi, usage);
        } else {
            positionals[positional_count++] = argv[argi];
        }
    }
    int first = argc - positional_count;
    for (int i = 0; i < positional_count; i++) {
        argv[first + i] = positionals[i];
    }
    free(positionals);
    return first;
}

void
cli_collect_repeated(int argc, char **argv, const char *name, const char *const *usage,
                     const char **out, size_t *count, size_t max)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++) {
        const char *value = NULL;
        if (strcmp(argv[i], name) == 0 && i + 1 < argc) {
            value = argv[i + 1];
        } else if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') {
            value = argv[i] + n + 1;
        }
        if (value == NULL) {
            continue;
        }
        if (*count >= max) {
            cli_usage_error(usage, "too many %s options", name);
        }
        out[(*count)++] = value;
    }
}

uint64_t
cli_parse_number(const char *const *usage, const char *what, const char *text, uint64_t min,
                 uint64_t max)
{
    /* Digits only: no sign, space, hex or octal prefix that strtoull would take. */
    size_t digits = strspn(text, "0123456789");
    char *end = NULL;
    errno = 0;
    unsigned long long v = digits > 0 ? strtoull(text, &end, 10) : 0;
    if (digits == 0 || text[digits] != '\0' || end != text + digits) {
        cli_usage_error(usage, "%s must be a whole number, not '%.40s'", what, text);
    }
    if (errno == ERANGE || v < min || v > max) {
        cli_usage_error(usage, "%s must be from %llu to %llu, not '%.40s'", what,
                        (unsigned long long)min, (unsigned long long)max, text);
    }
    return (uint64_t)v;
}
