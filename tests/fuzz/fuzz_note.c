/*
 * fuzz_note.c — checkpoint notes and cosignatures (ledger/log/checkpoint.c).
 * Invariants: a note that parses has a body that pb_note_body rebuilds byte
 * for byte from its origin, size and root (one spelling of each), signature
 * lines that each begin with "— <name> " and end in a newline, and no more
 * than PB_NOTE_LINES_MAX of them; a signature line is never accepted for a
 * key that did not make it (a fixed key made at start).
 */
#include "fuzz.h"

#include "log/log.h"

#include <sodium.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    pb_note note;
    if (pb_note_parse(text, &note, NULL) == PB_OK) {
        char body[512];
        pb_note_body(note.origin, note.tree_size, note.root, body, sizeof(body));
        FUZZ_CHECK(strncmp(text, body, strlen(body)) == 0);
        FUZZ_CHECK(note.line_count >= 1 && note.line_count <= PB_NOTE_LINES_MAX);
        pb_pubkey key;
        memset(&key, 0x5A, sizeof(key)); /* no one holds its secret half */
        for (size_t i = 0; i < note.line_count; i++) {
            size_t len = strlen(note.lines[i]);
            FUZZ_CHECK(len > 0 && note.lines[i][len - 1] == '\n');
            FUZZ_CHECK(strncmp(note.lines[i], "\xe2\x80\x94 ", 4) == 0);
            FUZZ_CHECK(pb_note_check_line(body, note.lines[i], note.names[i], &key, NULL) != PB_OK);
        }
    }
    pb_note_free(&note);
    free(text);
    return 0;
}
