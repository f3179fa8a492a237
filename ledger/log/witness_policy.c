/*
 * witness_policy.c — when a checkpoint is final: a C2SP tlog-policy text
 * (c2sp.org/tlog-policy) naming the log, the partners' witnesses (cosigner
 * verifier keys, optional URLs), groups of them with a threshold (all, any,
 * or k of n) and the quorum, parsed here and evaluated over the witnesses
 * whose cosignature/v1 lines a checkpoint carries. Groups may only name what
 * is defined above them, so one pass in definition order evaluates the
 * quorum: no recursion. The books keep the text in a witness.policy entry,
 * as an array of its lines (canonical JSON strings hold no line breaks).
 */
#include "log/log.h"

#include <string.h>

#define POLICY_LINE_MAX 1024
#define POLICY_WORDS_MAX (PB_WPOLICY_NAMES_MAX + 3)

/* Split a line into words separated by spaces and tabs (in place). */
static size_t
split_words(char *line, char **words, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        p += strspn(p, " \t");
        if (*p == '\0') {
            break;
        }
        words[n++] = p;
        p += strcspn(p, " \t");
        if (*p != '\0') {
            *p++ = '\0';
        }
    }
    return n;
}

/* The index of a defined name (witness or group), or -1. */
static int
name_index(const pb_wpolicy *pol, const char *name)
{
    for (size_t i = 0; i < pol->name_count; i++) {
        if (strcmp(pol->names[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int
define_name(pb_wpolicy *pol, const char *name, size_t line, pb_wpolicy_name **out, pb_error *err)
{
    if (strcmp(name, "none") == 0 || name_index(pol, name) >= 0) {
        return pb_error_set(err, PB_EPOLICY, NULL, "policy line %zu: the name %s is %s", line, name,
                            strcmp(name, "none") == 0 ? "reserved" : "defined twice");
    }
    if (pol->name_count == PB_WPOLICY_NAMES_MAX || strlen(name) >= sizeof(pol->names[0].name)) {
        return pb_error_set(err, PB_ETOOBIG, NULL,
                            "policy line %zu: over %d witnesses and groups, or a name over 255 "
                            "bytes",
                            line, PB_WPOLICY_NAMES_MAX);
    }
    pb_wpolicy_name *n = &pol->names[pol->name_count++];
    memset(n, 0, sizeof(*n));
    snprintf(n->name, sizeof(n->name), "%s", name);
    *out = n;
    return PB_OK;
}

static int
parse_witness(pb_wpolicy *pol, char **w, size_t n, size_t line, pb_error *err)
{
    pb_wpolicy_name *def = NULL;
    int alg = 0;
    int rc = n == 3 || n == 4
                 ? define_name(pol, w[1], line, &def, err)
                 : pb_error_set(err, PB_EPOLICY, NULL,
                                "policy line %zu: witness <name> <vkey> [<url>]", line);
    if (rc == PB_OK) {
        rc = pb_vkey_parse(w[2], def->key_name, sizeof(def->key_name), &alg, &def->key, err);
    }
    if (rc == PB_OK && alg != 0x04) {
        rc = pb_error_set(err, PB_EPOLICY, NULL,
                          "policy line %zu: witness %s's key is not a cosignature/v1 key (0x04)",
                          line, w[1]);
    }
    for (size_t i = 0; rc == PB_OK && i + 1 < pol->name_count; i++) {
        if (pol->names[i].is_group == 0 && memcmp(pol->names[i].key.key, def->key.key, 32) == 0) {
            rc = pb_error_set(err, PB_EPOLICY, NULL,
                              "policy line %zu: witness %s has the key of witness %s", line, w[1],
                              pol->names[i].name);
        }
    }
    if (rc == PB_OK && n == 4) {
        snprintf(def->url, sizeof(def->url), "%s", w[3]);
    }
    return rc;
}

static int
parse_group(pb_wpolicy *pol, char **w, size_t n, size_t line, pb_error *err)
{
    pb_wpolicy_name *def = NULL;
    if (n < 4) {
        return pb_error_set(err, PB_EPOLICY, NULL,
                            "policy line %zu: group <name> all|any|<k> <name>...", line);
    }
    size_t members = n - 3;
    unsigned long k = 0;
    char *end = NULL;
    if (strcmp(w[2], "all") == 0) {
        k = members;
    } else if (strcmp(w[2], "any") == 0) {
        k = 1;
    } else {
        k = strtoul(w[2], &end, 10);
        if (w[2][0] < '1' || w[2][0] > '9' || *end != '\0' || k > members) {
            return pb_error_set(err, PB_EPOLICY, NULL,
                                "policy line %zu: threshold %s is not all, any or 1..%zu", line,
                                w[2], members);
        }
    }
    int rc = define_name(pol, w[1], line, &def, err);
    if (rc == PB_OK) {
        def->is_group = 1;
        def->threshold = (unsigned)k;
    }
    for (size_t i = 0; rc == PB_OK && i < members; i++) {
        int m = name_index(pol, w[3 + i]);
        for (size_t j = 0; m >= 0 && j < def->member_count; j++) {
            if (def->members[j] == (unsigned)m) {
                m = -2;
            }
        }
        if (m < 0 || (unsigned)m + 1 == pol->name_count) {
            rc = pb_error_set(err, PB_EPOLICY, NULL, "policy line %zu: group %s names %s, %s", line,
                              w[1], w[3 + i], m == -2 ? "twice" : "not defined on a line above");
        } else {
            def->members[def->member_count++] = (unsigned)m;
        }
    }
    return rc;
}

static int
parse_line(pb_wpolicy *pol, char *text, size_t line, pb_error *err)
{
    char *w[POLICY_WORDS_MAX];
    size_t n = split_words(text, w, POLICY_WORDS_MAX);
    if (n == 0 || w[0][0] == '#') {
        return PB_OK;
    }
    if (n == POLICY_WORDS_MAX) {
        return pb_error_set(err, PB_ETOOBIG, NULL, "policy line %zu has too many words", line);
    }
    if (strcmp(w[0], "log") == 0) {
        int alg = 0;
        if (n != 2 && n != 3) {
            return pb_error_set(err, PB_EPOLICY, NULL, "policy line %zu: log <vkey> [<url>]", line);
        }
        if (pol->log_count == PB_WPOLICY_LOGS_MAX) {
            return pb_error_set(err, PB_ETOOBIG, NULL, "over %d logs", PB_WPOLICY_LOGS_MAX);
        }
        char *name = pol->logs[pol->log_count].name;
        int rc = pb_vkey_parse(w[1], name, sizeof(pol->logs[0].name), &alg,
                               &pol->logs[pol->log_count].key, err);
        pol->log_count += rc == PB_OK;
        return rc;
    }
    if (strcmp(w[0], "witness") == 0) {
        return parse_witness(pol, w, n, line, err);
    }
    if (strcmp(w[0], "group") == 0) {
        return parse_group(pol, w, n, line, err);
    }
    if (strcmp(w[0], "quorum") == 0) {
        int q = n == 2 ? name_index(pol, w[1]) : -1;
        if (pol->has_quorum || n != 2 || (q < 0 && strcmp(w[1], "none") != 0)) {
            return pb_error_set(err, PB_EPOLICY, NULL,
                                "policy line %zu: one quorum line naming a witness or group "
                                "defined above, or none",
                                line);
        }
        pol->has_quorum = 1;
        pol->quorum = q;
        return PB_OK;
    }
    return pb_error_set(err, PB_EPOLICY, NULL,
                        "policy line %zu: \"%.40s\" is not log, witness, group or quorum", line,
                        w[0]);
}

int
pb_wpolicy_parse(const char *text, pb_wpolicy *out, pb_error *err)
{
    PB_ASSERT(text != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    out->quorum = -1;
    int rc = PB_OK;
    size_t line = 0;
    for (const char *p = text; rc == PB_OK && *p != '\0';) {
        size_t len = strcspn(p, "\n");
        char buf[POLICY_LINE_MAX];
        line++;
        if (len >= sizeof(buf)) {
            return pb_error_set(err, PB_ETOOBIG, NULL, "policy line %zu is over %d bytes", line,
                                POLICY_LINE_MAX - 1);
        }
        memcpy(buf, p, len);
        buf[len] = '\0';
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)buf[i];
            if (c < 0x20 && c != '\t') {
                return pb_error_set(err, PB_EPOLICY, NULL, "policy line %zu holds a control byte",
                                    line);
            }
        }
        rc = parse_line(out, buf, line, err);
        p += len + (p[len] == '\n');
    }
    if (rc == PB_OK && !out->has_quorum) {
        rc = pb_error_set(err, PB_EPOLICY, NULL, "the policy has no quorum line");
    }
    return rc;
}

int
pb_wpolicy_met(const pb_wpolicy *policy, const pb_wpolicy_cosigner *cosigners, size_t count)
{
    PB_ASSERT(policy != NULL);
    if (policy->quorum < 0) {
        return 1; /* quorum none */
    }
    uint8_t met[PB_WPOLICY_NAMES_MAX];
    for (size_t i = 0; i < policy->name_count; i++) {
        const pb_wpolicy_name *n = &policy->names[i];
        met[i] = 0;
        if (!n->is_group) {
            for (size_t c = 0; c < count; c++) {
                met[i] |= strcmp(cosigners[c].name, n->key_name) == 0 &&
                          memcmp(cosigners[c].key.key, n->key.key, 32) == 0;
            }
            continue;
        }
        unsigned have = 0;
        for (size_t m = 0; m < n->member_count; m++) {
            PB_ASSERT(n->members[m] < i); /* defined above: evaluated already */
            have += met[n->members[m]];
        }
        met[i] = have >= n->threshold;
    }
    return met[policy->quorum];
}

int
pb_wpolicy_parse_lines(const json_t *lines, pb_wpolicy *out, pb_error *err)
{
    if (!json_is_array(lines) || json_array_size(lines) == 0 ||
        json_array_size(lines) > PB_WPOLICY_LINES_MAX) {
        return pb_error_set(err, PB_EPOLICY, NULL,
                            "a witness policy is an array of 1 to %d lines of text",
                            PB_WPOLICY_LINES_MAX);
    }
    size_t total = 1;
    for (size_t i = 0; i < json_array_size(lines); i++) {
        const char *l = json_string_value(json_array_get(lines, i));
        if (l == NULL || strchr(l, '\n') != NULL) {
            return pb_error_set(err, PB_EPOLICY, NULL, "policy line %zu is not one line of text",
                                i + 1);
        }
        total += strlen(l) + 1;
    }
    char *text = malloc(total);
    if (text == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    size_t used = 0;
    for (size_t i = 0; i < json_array_size(lines); i++) {
        used += (size_t)snprintf(text + used, total - used, "%s\n",
                                 json_string_value(json_array_get(lines, i)));
    }
    int rc = pb_wpolicy_parse(text, out, err);
    free(text);
    return rc;
}
