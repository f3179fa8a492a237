/*
 * poolbook.h — the public C API of poolbook, a signed append-only ledger for
 * pooled health and social care budgets (section 75 pools, the Better Care Fund).
 *
 * This header is the manual (as lmdb.h is LMDB's). Every function returns 0
 * (PB_OK) or a negative PB_E... code, takes its outputs last and a pb_error *
 * at the end (NULL allowed), and says who owns what it returns. The library
 * never prints and never exits. Formats are described in docs/formats.md.
 *
 * libsodium: the library calls sodium_init() itself (it is idempotent and
 * thread-safe) in every function that is a way in to its cryptography:
 * pb_store_open, pb_store_open_scratch, pb_pubkey_parse, pb_pubkey_load,
 * pb_seckey_load, pb_keygen_write, pb_minisign_sign, pb_bundle_verify and
 * pb_file_write. A caller need not call it first; doing so is harmless. Each
 * of those may return PB_ENOMEM if libsodium cannot start.
 */
#ifndef POOLBOOK_H
#define POOLBOOK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Limits. Each is checked where input enters and tested at the limit and one
 * past it.
 * ------------------------------------------------------------------------- */

/* One stored record in canonical form: C2SP tlog-tiles entry bundles prefix
 * each record with a big-endian uint16 length (DESIGN 9), so a record is at
 * most 65,535 bytes. Checked at append; anything larger could never be served
 * as a tile. */
#define PB_RECORD_BYTES_MAX 65535
/* Signatures on one record; each signature object is 123 bytes canonical. */
#define PB_SIGS_MAX 64
/* One entry's canonical JSON: what a record holds less room for PB_SIGS_MAX
 * signatures, so an entry within this limit always fits as a record however
 * many partners co-sign it (57,343 bytes; a section 75 agreement with its
 * schemes and policy fits in a few kilobytes). */
#define PB_ENTRY_BYTES_MAX (PB_RECORD_BYTES_MAX - PB_SIGS_MAX * 128)
/* One input file or stdin stream read by the CLI (a batch of JSON lines). */
#define PB_INPUT_BYTES_MAX ((size_t)1 << 30)
/* Records in one append batch: one LMDB write transaction must stay in memory. */
#define PB_BATCH_RECORDS_MAX 1000000
/* Nesting of JSON containers in an entry: the deepest real entry (a policy with
 * bands inside by_scheme) is about 8 deep. */
#define PB_JSON_DEPTH_MAX 16
/* Entry ids: 1–64 of [A-Za-z0-9._:-] (DESIGN 3). */
#define PB_ID_BYTES_MAX 64
/* Partners in a ledger and keys declared in one genesis entry. */
#define PB_PARTNERS_MAX 64
#define PB_KEYS_MAX 256
/* Any free-text string (a title, a name, a memo), in bytes. */
#define PB_TEXT_BYTES_MAX 1024
/* A stream's dated contribution instalments: one a week is plenty. */
#define PB_SCHEDULE_INSTALMENTS_MAX 53
/* Money magnitude: £10 trillion in pence. Larger amounts are refused as
 * overflow, leaving headroom so that sums of many amounts stay in int64_t. */
#define PB_MONEY_PENCE_MAX INT64_C(1000000000000000)
/* Text buffers. */
#define PB_MONEY_TEXT_MAX 32 /* "-10000000000000.00" with separators and NUL */
#define PB_DATE_TEXT_MAX 11  /* "YYYY-MM-DD" and NUL */
#define PB_KEYID_TEXT_MAX 17 /* 16 hex digits and NUL */
/* Merkle proofs: the tree cannot be deeper than 64 levels. */
#define PB_PROOF_HASHES_MAX 128

_Static_assert(PB_MONEY_PENCE_MAX < INT64_MAX / 1000, "money headroom");
_Static_assert(PB_RECORD_BYTES_MAX > PB_ENTRY_BYTES_MAX, "record holds an entry");
_Static_assert(PB_RECORD_BYTES_MAX <= 0xffff, "a record's length fits a tile bundle's uint16");

/* ---------------------------------------------------------------------------
 * Errors.
 * ------------------------------------------------------------------------- */

/* Every code the library returns. Refusals are specific and stable: one bad
 * input always gets the same code. pb_strerror() names each; pb_exit_code()
 * gives the command line's exit status for it (DESIGN 8). */
enum pb_code {
    PB_OK = 0,
    /* Environment: exit 3. */
    PB_ENOMEM = -1,      /* out of memory */
    PB_EIO = -2,         /* a file could not be read or written */
    PB_ESTORE = -3,      /* LMDB failed (raw code in pb_error.sys) */
    PB_ENOLEDGER = -4,   /* no ledger at that path, or not a poolbook ledger */
    PB_EEXIST = -5,      /* the file to create exists already */
    PB_EKEYFILE = -6,    /* a key file is malformed */
    PB_EPASSPHRASE = -7, /* wrong or missing passphrase */
    PB_ENET = -8,        /* a witness or server was not reached, or answered outside the protocol */
    /* Input form: exit 1. */
    PB_EJSON = -20, /* malformed or truncated JSON */
    PB_EJSON_DUPKEY = -21,
    PB_EJSON_FLOAT = -22,   /* a floating-point number */
    PB_EJSON_INT = -23,     /* an integer outside ±2^53 */
    PB_EJSON_KEY = -24,     /* an object key that is not ASCII */
    PB_EJSON_CONTROL = -25, /* a control character in a string */
    PB_EJSON_UTF8 = -26,    /* invalid UTF-8 */
    PB_EJSON_DEPTH = -27,   /* nested deeper than PB_JSON_DEPTH_MAX */
    PB_ETOOBIG = -28,       /* over a PB_..._MAX limit */
    PB_EEMPTY = -29,        /* empty input */
    PB_EMONEY = -30,        /* not a money amount */
    PB_EOVERFLOW = -31,     /* an amount or sum beyond the money range */
    PB_EDATE = -32,         /* not a valid date or timestamp */
    PB_EPERIOD = -33,       /* not a valid period label */
    /* Entries and records: exit 1. */
    PB_EFIELD = -40,               /* a field missing, of the wrong type, or unknown */
    PB_ETYPE = -41,                /* an unknown entry type */
    PB_EORIGIN = -42,              /* the entry's `ledger` is not this ledger's origin */
    PB_EID = -43,                  /* an id outside 1–64 of [A-Za-z0-9._:-] */
    PB_EID_EXISTS_DIFFERENT = -44, /* the id is used by a different record */
    PB_ESIG_FORMAT = -45,          /* a signature object is malformed or duplicated */
    PB_ESIG_INVALID = -46,         /* a signature does not verify */
    PB_ESIG_MISSING = -47,         /* a required signature is absent */
    PB_EKEY_UNKNOWN = -48,         /* a signing key is not bound in the ledger */
    PB_EKEY_WRONG_PARTNER = -49,
    PB_EKEY_WRONG_ROLE = -50,
    PB_EKEY_REVOKED = -51,
    PB_EKEY_EXISTS = -52, /* a key id is already bound */
    PB_EGENESIS = -53,    /* genesis missing, repeated or not first */
    PB_EPARTNER = -54,    /* an unknown or repeated partner */
    PB_EPERIOD_CLOSED = -55,
    PB_EAMOUNT_ZERO = -56,
    PB_EDOCUMENT = -57,   /* a document's hash or size does not match */
    PB_EPOOL = -58,       /* an unknown or repeated pool, scheme or stream */
    PB_EUNBALANCED = -59, /* planned contributions differ from scheme budgets */
    PB_EREVERSAL = -60,   /* a reversal of a reversal, or of an entry already reversed */
    PB_EAMOUNT = -61,     /* an amount of the wrong sign */
    PB_EPOLICY = -62,     /* a risk-share policy is malformed (DESIGN 6) */
    PB_ESETTLEMENT = -63, /* a settlement's figures differ from the ledger's, or it is too early */
    PB_EREF_USED = -64,   /* a payment's reference used by another entry of its pool and party */
    /* The log: exit 1. */
    PB_ENOTFOUND = -70, /* no such index, id, size or checkpoint */
    PB_ERANGE = -71,    /* an index or tree size out of range */
    PB_EPROOF = -72,    /* a Merkle proof does not check */
    PB_ENOTE = -73,     /* a checkpoint note is malformed or its signature bad */
    PB_EVERIFY = -74,   /* the ledger failed verification */
    PB_ECONFLICT = -75, /* a witness holds another size or root of that log (a fork, a rollback) */
    /* Programmer error in arguments: exit 2. */
    PB_EUSAGE = -90,
};

#define PB_ERROR_WHERE_MAX 160
#define PB_ERROR_TEXT_MAX 400

/* Where and why a call failed, like jansson's json_error_t. Fixed size, lives
 * on the caller's stack; every function accepts NULL. The first error set
 * wins: later failures while unwinding do not overwrite it. */
typedef struct pb_error {
    int code;                       /* a PB_E... code, or PB_OK */
    int sys;                        /* the raw LMDB or errno value behind it, or 0 */
    int64_t index;                  /* the record index concerned, or -1 */
    int64_t line;                   /* 1-based input line, or 0 */
    int64_t column;                 /* 1-based column, or 0 */
    char where[PB_ERROR_WHERE_MAX]; /* file, JSON path ($.sigs[1].key), ... */
    char text[PB_ERROR_TEXT_MAX];   /* one line: what, with the evidence */
} pb_error;

/* Reset an error to "no error" (code PB_OK, index -1). */
void pb_error_init(pb_error *err);
/* The name of a code, e.g. "PB_EKEY_REVOKED: key revoked". Static storage. */
const char *pb_strerror(int code);
/* The command line exit status for a code: 0 ok, 1 refused, 2 usage, 3 environment. */
int pb_exit_code(int code);

/* Copy text into out (size bytes, NUL-terminated) made safe to print on a
 * terminal: C0 control bytes (ESC, BEL, ...), DEL and bytes that are not
 * UTF-8 become "\xHH", C1 controls (U+0080..U+009F) become "\u00HH"; the copy
 * is cut before an escape or character that would not fit. Every message of
 * pb_error_set and of the command goes through it. Returns the length. */
size_t pb_text_escape(const char *text, char *out, size_t size);

/* The words for an errno value in a message: "no space left on the device"
 * for ENOSPC (not "Input/output error"), plain words for EDQUOT and EROFS,
 * strerror's text otherwise. Static storage. */
const char *pb_errno_text(int errnum);

/* Decode standard base64 (with padding) of exactly bin_len bytes, accepting
 * only the one canonical spelling: the text is refused unless encoding the
 * decoded bytes gives back exactly text[0..text_len). Returns 0, or -1 (bin
 * then holds nothing of the input). Every base64 field goes through it
 * (ledger/base/base64.c), the server's too. */
int pb_base64_decode_strict(const char *text, size_t text_len, uint8_t *bin, size_t bin_len);
/* The same for bytes of a length the text tells (at most bin_max): *bin_len
 * is set from text_len and its padding. Returns 0, or -1. */
int pb_base64_decode_strict_any(const char *text, size_t text_len, uint8_t *bin, size_t bin_max,
                                size_t *bin_len);

/* ---------------------------------------------------------------------------
 * Output files (ledger/base/file.c): every file the library or the command
 * writes goes through pb_file_write.
 * ------------------------------------------------------------------------- */

/* Fills the open temporary file f (tmp_path is its name, for a writer that can
 * only write by name, such as libxlsxwriter; it must write that same file).
 * Returns 0, or non-zero on failure (with errno set, or err of its own set). */
typedef int (*pb_file_writer)(FILE *f, const char *tmp_path, void *ctx);

/* Whether path may be written as an output: refused if it exists and is not a
 * regular file (a device, a FIFO, a folder, a symbolic link), or if it is the
 * same file (same device and inode, whatever the spelling) as one of keep[],
 * a NULL-terminated list of paths never to replace (the ledger and its lock
 * file; keep may be NULL). Returns PB_OK, PB_EUSAGE (refused; where names
 * path) or PB_EIO (path cannot be checked). */
int pb_file_check_output(const char *path, const char *const *keep, pb_error *err);

/* Write path whole or not at all: write fills a new temporary file created
 * with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, under an unpredictable name
 * (".NAME.<16 random hex>.tmp") in path's folder; it is then given the mode
 * of a new file (0666 less the umask), synced and renamed over path.
 * pb_file_check_output is applied before and again just before the rename.
 * Calls sodium_init() itself. On failure the temporary file is removed and
 * path is unchanged. Returns PB_OK; any code of pb_file_check_output; PB_EIO
 * (creating, writing, syncing or renaming failed; the text says why, e.g.
 * "no space left on the device"; where names path); PB_ENOMEM; or the code
 * write set in err. */
int pb_file_write(const char *path, const char *const *keep, pb_file_writer write, void *ctx,
                  pb_error *err);

/* pb_file_write of the len bytes at bytes. */
int pb_file_write_bytes(const char *path, const char *const *keep, const void *bytes, size_t len,
                        pb_error *err);

/* ---------------------------------------------------------------------------
 * Money: GBP as int64_t pence (DESIGN 2). ledger/money.c.
 * ------------------------------------------------------------------------- */

/* Parse the canonical text form -?[0-9]+\.[0-9]{2} ("1250000.00"). No sign on
 * zero ("-0.00" refused), no leading zeros ("01.00" refused), |amount| at most
 * PB_MONEY_PENCE_MAX. Returns PB_OK, PB_EMONEY or PB_EOVERFLOW. */
int pb_money_parse(const char *text, int64_t *pence_out, pb_error *err);

/* Parse friendly input as typed by a person: optional sign or parentheses for a
 * negative, optional "£", thousands separators "," in groups of three, and zero,
 * one or two decimals ("1,250,000", "£1,250,000.5", "(300.00)", "-12.5").
 * Returns PB_OK, PB_EMONEY or PB_EOVERFLOW. */
int pb_money_parse_friendly(const char *text, int64_t *pence_out, pb_error *err);

/* Parse an amount in thousands of pounds (£000), as finance systems and
 * budget reports print them: the friendly form of pb_money_parse_friendly
 * (sign or parentheses, "£", "," groups) with up to five decimals, so that
 * the smallest step is one penny ("1,250.5" is 125050000 pence; "0.00001" is
 * one penny). Scaled in integers as the text is read, never through a
 * fraction. Returns PB_OK, PB_EMONEY (six or more decimals: finer than a
 * penny; any malformed text) or PB_EOVERFLOW (beyond PB_MONEY_PENCE_MAX). */
int pb_money_parse_thousands(const char *text, int64_t *pence_out, pb_error *err);

/* Write the canonical form into buf (size at least PB_MONEY_TEXT_MAX).
 * Returns PB_OK, or PB_EOVERFLOW if |pence| > PB_MONEY_PENCE_MAX. */
int pb_money_format(int64_t pence, char *buf, size_t size);

/* Write the display form with thousands separators ("-1,250,000.00") into buf
 * (size at least PB_MONEY_TEXT_MAX). Returns PB_OK or PB_EOVERFLOW. */
int pb_money_format_display(int64_t pence, char *buf, size_t size);

/* Checked arithmetic: the result must stay within ±PB_MONEY_PENCE_MAX.
 * Returns PB_OK or PB_EOVERFLOW (and *out is untouched). */
int pb_money_add(int64_t a, int64_t b, int64_t *out, pb_error *err);
int pb_money_sub(int64_t a, int64_t b, int64_t *out, pb_error *err);
int pb_money_mul(int64_t pence, int64_t factor, int64_t *out, pb_error *err);

/* ---------------------------------------------------------------------------
 * Dates and periods (DESIGN 2). ledger/date.c.
 * Dates are days since 1970-01-01 (proleptic Gregorian), years 1900..9999.
 * ------------------------------------------------------------------------- */

/* Parse "YYYY-MM-DD" exactly (a real calendar date). PB_OK or PB_EDATE. */
int pb_date_parse(const char *text, int32_t *day_out, pb_error *err);
/* Date layouts of finance-system extracts (pb_date_parse_format). */
enum pb_date_format {
    PB_DATE_ISO = 1,           /* "2024-04-05": exactly YYYY-MM-DD, as pb_date_parse */
    PB_DATE_UK = 2,            /* "05/04/2024" or "5/4/2024": day/month/4-digit year */
    PB_DATE_UK_MONTH_NAME = 3, /* "05-Apr-2024", "5-APR-2024" (Oracle style), English */
};
/* Parse a date in one of the layouts of enum pb_date_format into days since
 * 1970-01-01: a real calendar date in years 1900..9999. Two-digit years are
 * refused (a ledger cannot guess the century). Returns PB_OK or PB_EDATE
 * (err->text: `date "31/02/2024" has day 31, but 2024-02 has 29 days`, or
 * `date "2024-04-05" is not dd/mm/yyyy`). Asserts on an unknown format. */
int pb_date_parse_format(const char *text, int format, int32_t *day_out, pb_error *err);
/* Write "YYYY-MM-DD" into buf (size at least PB_DATE_TEXT_MAX). */
void pb_date_format(int32_t day, char *buf, size_t size);
/* Parse a UTC timestamp "YYYY-MM-DDTHH:MM:SSZ". PB_OK or PB_EDATE. */
int pb_timestamp_parse(const char *text, int64_t *seconds_out, pb_error *err);
/* Write "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL) into buf. */
void pb_timestamp_format(int64_t seconds, char *buf, size_t size);

enum pb_period_kind { PB_PERIOD_YEAR = 1, PB_PERIOD_QUARTER = 2, PB_PERIOD_MONTH = 3 };

/* A financial period: the year 2024/25 runs 2024-04-01..2025-03-31;
 * "2024/25-Q1" is April–June 2024; "2024/25-M06" is September 2024. */
typedef struct pb_period {
    int kind;           /* enum pb_period_kind */
    int32_t year_start; /* calendar year in which the financial year starts: 2024 */
    int32_t number;     /* quarter 1..4 or month 1..12; 0 for a year */
    int32_t first_day;  /* inclusive */
    int32_t last_day;   /* inclusive */
    char label[16];     /* canonical label, e.g. "2024/25-Q2" */
} pb_period;

/* Parse "2024/25", "2024/25-Q1".."Q4", "2024/25-M01".."M12". The second year
 * must follow the first ("2024/26" refused). PB_OK or PB_EPERIOD. */
int pb_period_parse(const char *text, pb_period *out, pb_error *err);
/* The period of the given kind that contains day. PB_OK or PB_EDATE. */
int pb_period_of_day(int32_t day, int kind, pb_period *out, pb_error *err);

/* ---------------------------------------------------------------------------
 * Canonical JSON (DESIGN 3). ledger/canon.c.
 * The subset: object keys ASCII, no duplicate keys, no reals, integers within
 * ±2^53, strings UTF-8 without control characters (U+0000–U+001F, U+007F,
 * U+0080–U+009F), nesting at most PB_JSON_DEPTH_MAX. Its canonical form equals
 * Python's json.dumps(v, sort_keys=True, separators=(",",":"), ensure_ascii=False).
 * ------------------------------------------------------------------------- */

/* Parse len bytes (not NUL-terminated) as one JSON value in the subset.
 * *value_out is a new reference the caller releases with json_decref().
 * Errors name the field as a JSON path in err->where ("$.sigs[1].key") and the
 * line and column for syntax errors. Returns PB_OK, PB_EEMPTY, PB_EJSON,
 * PB_EJSON_DUPKEY, PB_EJSON_FLOAT, PB_EJSON_INT, PB_EJSON_KEY,
 * PB_EJSON_CONTROL, PB_EJSON_UTF8, PB_EJSON_DEPTH, PB_ETOOBIG (over max_bytes)
 * or PB_ENOMEM. */
int pb_json_parse(const char *buf, size_t len, size_t max_bytes, json_t **value_out, pb_error *err);

/* Check that a value built in memory lies in the subset. Same codes as
 * pb_json_parse, less the syntax ones. */
int pb_json_check(const json_t *value, pb_error *err);

/* Serialise value canonically into a new malloc'd buffer (NUL-terminated; the
 * NUL is not counted in *len_out). The caller frees it with free(). Checks the
 * subset first. Returns PB_OK, a pb_json_check code, or PB_ENOMEM. */
int pb_json_canonical(const json_t *value, char **buf_out, size_t *len_out, pb_error *err);

/* ---------------------------------------------------------------------------
 * Keys in minisign's formats (DESIGN 3). ledger/keys.c.
 * ------------------------------------------------------------------------- */

/* A public key: the 8-byte key number as stored in minisign files (little
 * endian; its KEYID text is the 16 uppercase hex digits minisign prints) and
 * the Ed25519 public key. */
typedef struct pb_pubkey {
    uint8_t key_id[8];
    uint8_t key[32];
} pb_pubkey;

/* A secret key, held in sodium_malloc'd memory and wiped on free. Opaque. */
typedef struct pb_seckey pb_seckey;

/* scrypt parameters written into encrypted key files: chosen so that unlocking
 * takes well under a second (docs/keys.md gives the measurement). libsodium
 * turns them into N = 2^15, r = 8, p = 1: 32 MiB and about 0.17 s in a fresh
 * process on a 2-core machine. minisign reads them from the file. */
#define PB_KDF_OPSLIMIT 1048576ULL
#define PB_KDF_MEMLIMIT 33554432ULL
/* The "untrusted comment:" text of a key file: minisign reads the comment line
 * into 1024 bytes (prefix and newline included), so a longer one breaks it. */
#define PB_KEY_COMMENT_BYTES_MAX 1000
/* A passphrase: minisign reads one line of at most 1024 bytes with its newline
 * and NUL, so a longer passphrase could not be typed to minisign. */
#define PB_PASSPHRASE_BYTES_MAX 1022

/* Generate a key pair and write a minisign public key file and secret key file.
 * Both files are created with O_CREAT|O_EXCL, the secret one with mode 0600 and
 * the public one with 0644 (less the umask). The secret key is encrypted with
 * passphrase (scrypt with PB_KDF_OPSLIMIT and PB_KDF_MEMLIMIT, as minisign) or
 * unencrypted when passphrase is NULL (minisign -W). comment goes into the
 * "untrusted comment:" lines (NULL for a default naming the KEYID). pub_out
 * may be NULL. Returns PB_OK, PB_EEXIST (either file exists), PB_EIO,
 * PB_ENOMEM, or PB_EUSAGE (comment with a line break or over
 * PB_KEY_COMMENT_BYTES_MAX, passphrase empty or over PB_PASSPHRASE_BYTES_MAX,
 * or both paths the same); err->where is the file concerned. On error neither
 * file is left behind. */
int pb_keygen_write(const char *pub_path, const char *sec_path, const char *passphrase,
                    const char *comment, pb_pubkey *pub_out, pb_error *err);

/* Read a minisign public key file, or the bare base64 line. PB_OK, PB_EIO or
 * PB_EKEYFILE (empty, not base64, wrong length, not "Ed", text after the key);
 * err->where is the path and err->line the line at fault. */
int pb_pubkey_load(const char *path, pb_pubkey *out, pb_error *err);
/* Parse the base64 line "RWQ..." (56 characters) of a minisign public key.
 * PB_OK or PB_EKEYFILE. */
int pb_pubkey_parse(const char *base64, pb_pubkey *out, pb_error *err);
/* Write the base64 line (NUL-terminated) into buf of at least 57 bytes. */
void pb_pubkey_encode(const pb_pubkey *key, char *buf, size_t size);
/* Write the KEYID (16 uppercase hex digits) into buf of PB_KEYID_TEXT_MAX bytes. */
void pb_keyid_format(const uint8_t key_id[8], char *buf, size_t size);
/* Parse a KEYID text: exactly 16 uppercase hex digits, so that one key has one
 * spelling. PB_OK or PB_EKEYFILE. */
int pb_keyid_parse(const char *text, uint8_t key_id_out[8], pb_error *err);

/* Whether a secret key file is passphrase-encrypted (*encrypted_out 1) or not (0).
 * PB_OK, PB_EIO or PB_EKEYFILE. */
int pb_seckey_file_encrypted(const char *path, int *encrypted_out, pb_error *err);
/* Load a minisign secret key file; passphrase may be NULL for an unencrypted
 * key (and is ignored for one). The BLAKE2b checksum and the key's public half
 * are checked. The caller frees *key_out with pb_seckey_free(). Returns PB_OK,
 * PB_EIO, PB_EKEYFILE (malformed as for pb_pubkey_load, an unknown algorithm,
 * scrypt parameters above minisign's own defaults, a damaged unencrypted key),
 * PB_EPASSPHRASE (wrong, or needed and NULL) or PB_ENOMEM; err->where is the
 * path. */
int pb_seckey_load(const char *path, const char *passphrase, pb_seckey **key_out, pb_error *err);
/* Wipe and free a secret key; NULL is allowed. */
void pb_seckey_free(pb_seckey *key);
/* The public half of a secret key. */
void pb_seckey_public(const pb_seckey *key, pb_pubkey *out);
/* Ed25519-sign len bytes of msg into sig. Returns PB_OK. */
int pb_seckey_sign(const pb_seckey *key, const uint8_t *msg, size_t len, uint8_t sig[64],
                   pb_error *err);

/* A minisign signature file (the text of FILE.minisig) over len bytes of msg,
 * that stock `minisign -Vm FILE -p KEY.pub` verifies: the prehashed "ED"
 * algorithm (Ed25519 over BLAKE2b-512 of the message, minisign's default),
 * the key's number, and the global signature over the signature and the
 * trusted comment. Ed25519 is deterministic, so the same key, message and
 * comments give the same bytes.
 * @param[in] untrusted the "untrusted comment:" text; @param[in] trusted the
 *   "trusted comment:" text (signed). Each one line of at most
 *   PB_KEY_COMMENT_BYTES_MAX bytes.
 * @param[out] sig_out a new malloc'd NUL-terminated text the caller frees.
 * Returns PB_OK, PB_EUSAGE (a comment with a line break or too long) or PB_ENOMEM. */
int pb_minisign_sign(const pb_seckey *key, const uint8_t *msg, size_t len, const char *untrusted,
                     const char *trusted, char **sig_out, pb_error *err);

/* ---------------------------------------------------------------------------
 * Records and entries (DESIGN 3, 5). ledger/record.c, ledger/entry.c.
 * A record is {"entry":{...},"sigs":[{"key":KEYID,"sig":BASE64},...]}; a draft
 * is a record whose sigs may be incomplete.
 * ------------------------------------------------------------------------- */

/* Check a record's form without ledger state: the subset, the common entry
 * fields, the id, the type known, each signature well formed and unique, and
 * the canonical size within limits. Sorts sigs by key in place. Returns PB_OK,
 * a pb_json_check code, PB_EFIELD, PB_ETYPE, PB_EID, PB_ESIG_FORMAT or PB_ETOOBIG. */
int pb_record_check_form(json_t *record, pb_error *err);

/* Add (or replace) the signature of key over the record's entry. Returns PB_OK
 * or a pb_record_check_form code. */
int pb_record_sign(json_t *record, const pb_seckey *key, pb_error *err);

/* The signed message of an entry: "poolbook-entry-v1\n" || canonical entry,
 * in a new malloc'd buffer the caller frees. */
int pb_entry_message(const json_t *entry, uint8_t **msg_out, size_t *len_out, pb_error *err);

/* Build a new unsigned genesis draft record. partners is an array of
 * {"id","name","kind"}; keys an array of {"partner","role","pubkey"} where
 * pubkey is the base64 minisign line (key ids are derived from it). The caller
 * releases *record_out. Returns PB_OK or a form code. */
int pb_draft_genesis(const char *origin, const char *id, const char *created, json_t *partners,
                     json_t *keys, json_t **record_out, pb_error *err);

/* Build an unsigned document draft for a file: its SHA-256, size and title.
 * Returns PB_OK, PB_EIO or a form code. */
int pb_draft_document(const char *origin, const char *id, const char *created, const char *path,
                      const char *title, json_t **record_out, pb_error *err);

/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ" (or $POOLBOOK_NOW when set, so
 * scripted runs are reproducible). */
void pb_now(char *buf, size_t size);

/* ---------------------------------------------------------------------------
 * Drafts of pool and money entries (docs/entries.md). ledger/draft.c.
 * A caller collects a type's own fields in a JSON object, converting what a
 * person typed with the pb_fields_set_* functions, then builds the unsigned
 * draft with pb_draft_entry. Errors name the field as "$.entry.<name>".
 * ------------------------------------------------------------------------- */

/* Write the default id of entry into buf, which holds at least
 * PB_ID_BYTES_MAX + 1 bytes:
 *   "<short>-<pool>-<YYYYMMDD>-<hex>"
 * short: con, exp, fc, vir, rev, close, agree, vary, key, revoke, admit or
 * settle for contribution, expenditure, forecast, virement, reversal,
 * period.close, pool.agree, pool.vary, key.add, key.revoke, partner.admit and
 * settlement;
 * pool: the entry's "pool" (pool.agree: "pool"."id"), cut short so that the id
 * stays within PB_ID_BYTES_MAX; date: the entry's "date" without dashes;
 * hex: the first 4 bytes of SHA-256 of the canonical entry without its "id",
 * in 8 lowercase hex digits. The pool and date parts are left out, with their
 * dash, when the entry has no such string field ("rev-20240701-<hex>",
 * "agree-BCF24-<hex>"). Two entries that differ only in id get the same
 * default id; any other difference (including "created") changes the hex.
 * Two older rules are kept here so that every default id has one home: a
 * document's id is "doc-" and the first 16 hex digits of its "sha256", and a
 * genesis entry's is "genesis".
 * @param[in] entry  an entry object; borrowed, not changed. Its "id", if any, is ignored.
 * @param[out] buf   receives the NUL-terminated id (untouched on error).
 * Returns PB_OK; PB_EFIELD ("type" missing, a document's "sha256" not hex);
 * PB_ETYPE (a type with no default rule: an unknown type);
 * PB_EID (the pool id is not an id, where "$.entry.pool"); PB_EDATE ("date"
 * is not YYYY-MM-DD, where "$.entry.date"); a pb_json_check code (the entry
 * lies outside the canonical subset); PB_ENOMEM. Asserts on a NULL argument
 * or a buf of fewer than PB_ID_BYTES_MAX + 1 bytes. */
int pb_entry_default_id(const json_t *entry, char *buf, size_t size, pb_error *err);

/* Build an unsigned draft record {"entry":{...},"sigs":[]} of any entry type:
 * the common fields v, type, ledger (origin), created and id, plus a copy of
 * fields; then the record's form is checked with pb_record_check_form (which
 * also runs the type's own field checks).
 * @param[in] origin   the ledger's origin (pb_store_origin).
 * @param[in] type     the entry type, e.g. "contribution".
 * @param[in] id       the entry id, or NULL for pb_entry_default_id's.
 * @param[in] created  "YYYY-MM-DDTHH:MM:SSZ" (pb_now).
 * @param[in] fields   an object of the type's own fields, or NULL for none;
 *                     borrowed: deep-copied, never changed or kept.
 * @param[out] record_out  a new reference the caller releases with
 *                     json_decref(); untouched on error.
 * Returns PB_OK; PB_EFIELD (fields not an object, or holding a common field
 * v, type, id, ledger or created); any pb_entry_default_id code; any
 * pb_record_check_form code (PB_ETYPE for a type the library does not know,
 * PB_EFIELD for a missing or unknown field, PB_EID for a bad id, ...);
 * PB_ENOMEM. Asserts on NULL origin, type, created or record_out. */
int pb_draft_entry(const char *origin, const char *type, const char *id, const char *created,
                   json_t *fields, json_t **record_out, pb_error *err);

/* Set fields[name] from what a person typed, converted to the entry form.
 * Each does nothing and returns PB_OK when text is NULL (an option not
 * given), so optional fields need no test at the call site. On error fields is
 * unchanged and err->where is "$.entry.<name>" (a caller may name its own
 * input instead, e.g. the option "--amount").
 *   pb_fields_set_amount: friendly money (pb_money_parse_friendly: "1,250,000",
 *     "£1,250,000.5", "(300)") to its canonical string ("1250000.00",
 *     "1250000.50", "-300.00"). The sign is kept: whether an amount may be
 *     negative or zero is the entry type's rule, checked when the draft is
 *     built. PB_OK, PB_EMONEY, PB_EOVERFLOW or PB_ENOMEM.
 *   pb_fields_set_date: a date "YYYY-MM-DD" (pb_date_parse), checked and
 *     stored as given. PB_OK, PB_EDATE or PB_ENOMEM.
 *   pb_fields_set_period: a period label (pb_period_parse), stored in its
 *     canonical spelling ("2024/25-Q1"). PB_OK, PB_EPERIOD or PB_ENOMEM.
 *   pb_fields_set_text: a string as given. PB_OK, PB_EJSON_UTF8 (not UTF-8),
 *     PB_EJSON_CONTROL (a control character) or PB_ENOMEM; its length is the
 *     entry type's rule, checked when the draft is built.
 * fields is an object the caller owns; name is borrowed and copied. Asserts
 * on a NULL fields or name. */
int pb_fields_set_amount(json_t *fields, const char *name, const char *text, pb_error *err);
int pb_fields_set_date(json_t *fields, const char *name, const char *text, pb_error *err);
int pb_fields_set_period(json_t *fields, const char *name, const char *text, pb_error *err);
int pb_fields_set_text(json_t *fields, const char *name, const char *text, pb_error *err);

/* ---------------------------------------------------------------------------
 * The store: one LMDB file (DESIGN 4). ledger/store.c.
 * ------------------------------------------------------------------------- */

typedef struct pb_store pb_store;

enum pb_store_flags {
    PB_STORE_CREATE = 1, /* create a new empty ledger; PB_EEXIST if present */
    PB_STORE_RDONLY = 2, /* open for reading only */
};

/* Open (or create) the ledger at path. The caller closes it with
 * pb_store_close(). The handle may be used for the process's lifetime while
 * other processes read and append. Returns PB_OK, PB_ENOLEDGER, PB_EEXIST,
 * PB_ESTORE or PB_ENOMEM. */
int pb_store_open(const char *path, int flags, pb_store **store_out, pb_error *err);
/* Close a store; NULL is allowed. */
void pb_store_close(pb_store *store);

/* Validate one record against the ledger state and append it in one write
 * transaction. If an identical record is already present, *present_out is set
 * to 1, *index_out to its index, and nothing changes. On any error nothing
 * changes. Returns PB_OK or any form, entry or signature code; PB_ESTORE. */
int pb_store_append(pb_store *store, json_t *record, uint64_t *index_out, int *present_out,
                    pb_error *err);

/* Admit record exactly as pb_store_append would, in a write transaction that
 * is then aborted: nothing is written. PB_OK means an append now would
 * succeed (*present_out 1: it is already present; may be NULL); otherwise
 * the code and err are those pb_store_append would give (PB_ESIG_MISSING:
 * a draft still waiting for a signature). Used for drafts held for
 * co-signing (`poolbook serve`). */
int pb_store_check(pb_store *store, json_t *record, int *present_out, pb_error *err);

/* Append count records in one write transaction: all or none. Records already
 * present (identical) are skipped and counted in *present_out. err->index is
 * the 0-based position of the failing record in the batch. */
int pb_store_append_batch(pb_store *store, json_t *const *records, size_t count,
                          uint64_t *appended_out, uint64_t *present_out, pb_error *err);

/* A batch streamed into one write transaction (import, `append` of JSON
 * lines): the caller gives records one at a time, however many (up to
 * PB_BATCH_RECORDS_MAX), and commits at the end: all are appended or none.
 * Memory does not grow with the batch: records are taken in chunks of a few
 * thousand; the stateless checks of a chunk (parse, signing, form, canonical
 * bytes) run on a worker thread while the writer admits the chunk before it
 * in order, and a chunk's records are freed once admitted. Use one batch from
 * one thread. The failure a batch names (err->index: its 0-based position)
 * does not depend on chunks or threads: a fault of the batch itself (index
 * -1); else the first record that does not parse or cannot be signed; else
 * the first that fails the form checks; else the first refused by admission
 * or whose signature does not verify, as pb_store_append_batch names it.
 * After a failure records may still be given (a later one may come first in
 * that order): they are checked, never admitted. */
typedef struct pb_batch pb_batch;

/* Start a batch on store. The write transaction begins when the first chunk
 * is admitted (other writers then wait for the commit or close). Returns
 * PB_OK, PB_EUSAGE (read-only, or opened without entry rules) or PB_ENOMEM;
 * *batch_out is freed by pb_batch_commit or pb_batch_close. */
int pb_batch_open(pb_store *store, pb_batch **batch_out, pb_error *err);
/* How many records will be given, for progress (pb_store_set_progress);
 * call before the first. 0 (the default): not known, no progress. */
void pb_batch_expect(pb_batch *batch, uint64_t total);
/* Sign every record given with key (borrowed: it must outlive the batch),
 * on the worker, before its form check; call before the first record. */
void pb_batch_sign_with(pb_batch *batch, const pb_seckey *key);
/* Give one record; the batch takes the reference (freed once admitted).
 * Returns PB_OK, or PB_ETOOBIG (more than PB_BATCH_RECORDS_MAX records):
 * record faults are named at the commit. */
int pb_batch_add(pb_batch *batch, json_t *record, pb_error *err);
/* Give one record as text (len bytes, copied): parsed on the worker with
 * pb_json_parse under PB_RECORD_BYTES_MAX. Returns as pb_batch_add, or
 * PB_ENOMEM. */
int pb_batch_add_text(pb_batch *batch, const char *text, size_t len, pb_error *err);
/* Parse and sign every record given so far and return the first failure of
 * the input itself among them (a text that does not parse, a record that
 * cannot be signed, a fault of the batch), or PB_OK: for a caller that finds
 * a fault of its own later in the input (a line over its limit) and must name
 * an earlier record's first, as a whole-input read would. The batch goes on. */
int pb_batch_check_input(pb_batch *batch, pb_error *err);
/* Admit what is left and commit: every record appended (already present ones
 * skipped and counted), or nothing at all. Frees the batch in every case.
 * Returns PB_OK or the failure named as above: any code of
 * pb_store_append_batch or pb_json_parse; PB_ESTORE; PB_ENOMEM. */
int pb_batch_commit(pb_batch *batch, uint64_t *appended_out, uint64_t *present_out, pb_error *err);
/* Abandon a batch: nothing is written. NULL is allowed. */
void pb_batch_close(pb_batch *batch);

/* A dry run of pb_store_append_batch (post, append and import --dry-run):
 * every check the append would make, in a write transaction that is then
 * aborted, so the ledger's records, root and derived state are untouched.
 * On success *preview_out (a new reference) says what would happen:
 *   {"first_index": N, "appended": A, "present": P,
 *    "records": [{"id", "type"}, ...],               every record given
 *    "pools": [{"pool", "period", "changes": [{"line", "before", "after",
 *               "change"}, ...]}, ...]}
 * where "pools" are the pools the records name (a money entry's pool, an
 * agreed pool, the pool of a reversal's target already in the ledger), each
 * with the lines of its whole-year figures (pb_pool_report: "scheme S01
 * actual", "stream NHSMIN received", "total variance", ...) that would change,
 * as canonical money strings. Returns PB_OK or the codes of
 * pb_store_append_batch (err as there), PB_EPERIOD, PB_EOVERFLOW. */
int pb_append_preview(pb_store *store, json_t *const *records, size_t count, json_t **preview_out,
                      pb_error *err);

/* The dry run of a batch (import --dry-run), streamed: the preview of
 * pb_append_preview for the records given to batch, which keeps none of
 * them, only the pools they name and the first listed_max records to list.
 * Call pb_preview_new(store, batch, ...) after pb_batch_open and before the
 * first record; give the records; then pb_preview_finish (instead of
 * pb_batch_commit) admits them in one write transaction, takes the figures
 * before (the transaction's base: a read snapshot opened while it holds the
 * writer lock) and after, and aborts it. The object is pb_append_preview's,
 * byte for byte, except that "records" lists only the first listed_max
 * (SIZE_MAX: all; there are always "appended" + "present" records). */
typedef struct pb_preview pb_preview;
/* Watch batch (borrowed; store is the one it was opened on). Returns PB_OK
 * or PB_ENOMEM; *preview_out is freed with pb_preview_free. */
int pb_preview_new(pb_store *store, pb_batch *batch, size_t listed_max, pb_preview **preview_out,
                   pb_error *err);
/* End batch as a dry run (freed in every case) and put the preview object
 * (a new reference) in *preview_out. Call it with no snapshot of store open
 * on this thread (it opens one: LMDB allows a thread one reader). Returns PB_OK or the codes of
 * pb_batch_commit (err as there) and of pb_append_preview. */
int pb_preview_finish(pb_preview *preview, pb_batch *batch, json_t **preview_out, pb_error *err);
/* Free a preview; NULL is allowed. */
void pb_preview_free(pb_preview *preview);

/* Progress of a long operation on a store: what names it ("verifying",
 * "appending", "reindexing", "exporting"), done of total records. The library
 * never prints; a command shows it (on a terminal only). */
typedef void (*pb_progress_fn)(void *ctx, const char *what, uint64_t done, uint64_t total);
/* Report progress on store's long operations to fn (NULL: none): pb_verify,
 * pb_store_append_batch of more than one record, pb_store_reindex and the
 * exports (pb_bundle_export, pb_export_csv, pb_export_journal). fn is called
 * on the calling thread every PB_PROGRESS_STEP records and once at the end
 * (done == total), never after an error. ctx is borrowed. */
void pb_store_set_progress(pb_store *store, pb_progress_fn fn, void *ctx);
#define PB_PROGRESS_STEP 256

/* The number of records (the tree size). */
int pb_store_size(pb_store *store, uint64_t *size_out, pb_error *err);
/* The ledger's origin, from its genesis entry (PB_EGENESIS when empty). */
int pb_store_origin(pb_store *store, char *buf, size_t size, pb_error *err);
/* A copy of the stored canonical record bytes at index; the caller frees
 * *buf_out. PB_OK, PB_ENOTFOUND or PB_ESTORE. */
int pb_store_record(pb_store *store, uint64_t index, char **buf_out, size_t *len_out,
                    pb_error *err);
/* The index of the record with entry id. PB_OK or PB_ENOTFOUND. */
int pb_store_find(pb_store *store, const char *id, uint64_t *index_out, pb_error *err);
/* The Merkle root at tree_size (1..size). PB_OK, PB_ERANGE or PB_ESTORE. */
int pb_store_root(pb_store *store, uint64_t tree_size, uint8_t root_out[32], pb_error *err);
/* The state record of a bound key: its partner, role and public key, in a new
 * JSON reference. PB_OK or PB_EKEY_UNKNOWN. */
int pb_store_key(pb_store *store, const char *keyid, json_t **key_out, pb_error *err);

/* ---------------------------------------------------------------------------
 * Import of finance-system extracts (docs/import.md). ledger/import.c.
 * A CSV file (read with libcsv) and a map (JSON) that names its columns give
 * unsigned drafts of contribution, expenditure and forecast entries, built
 * with pb_fields_set_* and pb_draft_entry as `poolbook post` builds them.
 * ------------------------------------------------------------------------- */

/* Columns of one CSV row: ledger extracts have tens. */
#define PB_IMPORT_COLUMNS_MAX 256
/* Bytes of one CSV cell: a free-text field (PB_TEXT_BYTES_MAX) with room for
 * what a map then refuses as too long, by its column. */
#define PB_IMPORT_CELL_BYTES_MAX (4 * PB_TEXT_BYTES_MAX)

typedef struct pb_import pb_import;

/* Read an extract: csv (len bytes, a UTF-8 BOM and CR LF line ends allowed;
 * header row first) under map ({"source", "date_format", "amount_unit",
 * "fields"}: docs/import.md) into unsigned drafts for the ledger of store,
 * one per data row that the map does not skip. Each draft's id is
 * "imp-<pool>-<YYYYMMDD>-<16 hex>", the hex from the map's source, the name
 * and cell of every column the map reads, and how many earlier rows of the
 * file had the same cells; its created time is created, or, when the ledger
 * holds that id already, the stored entry's, so that the same row imported
 * again is the identical record (pb_store_append_batch: already present).
 * @param[in] store     the ledger (read in one snapshot; not written).
 * @param[in] map       the map; borrowed (a reference is kept until free).
 * @param[in] map_name, csv_name  names for messages (the files as given); borrowed,
 *                      must outlive *import_out.
 * @param[in] created   "YYYY-MM-DDTHH:MM:SSZ" (pb_now); borrowed, as above.
 * @param[out] import_out  a new import the caller frees with pb_import_free;
 *                      NULL on error.
 * @param[out] err      where is "<map_name>, $.fields.<name>" for a map fault,
 *                      "<csv_name>, row N, column \"C\"" for a cell (row 1 is
 *                      the header; wholly empty lines are not counted),
 *                      "<csv_name>, row N" for a row.
 * Returns PB_OK; PB_EFIELD (a malformed map, a map column missing from the
 * header, a row with more or fewer cells than the header, a cell not in the
 * map's values, an empty cell a type needs, malformed CSV); PB_ETYPE (a type
 * that is not contribution, expenditure or forecast); PB_EMONEY or
 * PB_EOVERFLOW (an amount); PB_EAMOUNT (negative: a credit note is refused)
 * or PB_EAMOUNT_ZERO; PB_EDATE; PB_EID (a pool that is not an id); PB_EEMPTY
 * (no header, or no row to import); PB_ETOOBIG (over PB_IMPORT_COLUMNS_MAX,
 * PB_IMPORT_CELL_BYTES_MAX or PB_BATCH_RECORDS_MAX); any pb_draft_entry code;
 * PB_EGENESIS (an empty ledger); PB_ESTORE; PB_ENOMEM. Whether a pool,
 * scheme, stream or partner exists is the store's check at append. */
int pb_import_csv(pb_store *store, const json_t *map, const char *map_name, const char *csv,
                  size_t len, const char *csv_name, const char *created, pb_import **import_out,
                  pb_error *err);
/* pb_import_csv streamed into batch (pb_batch_open): each draft is given to
 * the batch (pb_batch_add) as its row is read and none is kept, so memory
 * does not grow with the rows' drafts (what does, in compact tables: a row's
 * digest and occurrence count, about 60 bytes, and with check_refs a
 * reference's digest and first draft, about 60 more, for the checks across
 * rows; 8 bytes for each draft's row number). With
 * check_refs, pb_import_check_refs's check is made as rows are read. Errors
 * are named as pb_import_csv then pb_import_check_refs name them: a malformed
 * row anywhere before a reference refused; after either the batch must be
 * closed (pb_batch_close), else committed, and pb_import_name_error names a
 * batch failure's row. pb_import_records is then NULL. Returns the codes of
 * both, and of pb_batch_add. */
int pb_import_csv_into(pb_store *store, const json_t *map, const char *map_name, const char *csv,
                       size_t len, const char *csv_name, const char *created, int check_refs,
                       pb_batch *batch, pb_import **import_out, pb_error *err);
/* pb_import_csv_into reading the CSV from csv, a seekable file (a regular
 * file: it is read twice from its start, a megabyte at a time: once to count
 * the rows against PB_BATCH_RECORDS_MAX, once to import them), so that the
 * text is never held whole either. Returns the codes of pb_import_csv_into,
 * and PB_ETOOBIG "input is larger than <max_bytes> bytes" (where: csv_name)
 * when more than max_bytes are read, PB_EIO when the file cannot be read.
 * The caller keeps csv open until this returns, and closes it. With batch
 * NULL (and check_refs 0) the drafts are kept instead, as pb_import_csv
 * keeps them: the same import of the same bytes. */
int pb_import_file_into(pb_store *store, const json_t *map, const char *map_name, FILE *csv,
                        size_t max_bytes, const char *csv_name, const char *created, int check_refs,
                        pb_batch *batch, pb_import **import_out, pb_error *err);
/* The drafts, in row order (borrowed: owned by the import), and their count. */
json_t *const *pb_import_records(const pb_import *imp);
size_t pb_import_count(const pb_import *imp);
/* What `post` checks of a reference (docs/import.md): refuse a contribution
 * (expenditure) whose "ref" the ledger's first entry with that ref for the
 * same pool and partner (scheme) has, or an earlier row of the file has; a
 * draft whose id the ledger holds (a row imported again) is not checked. Reads store in
 * one snapshot. Returns PB_OK, PB_EREF_USED (the text names the first entry,
 * and its row if in the file; err->where the row's ref column), PB_ESTORE
 * or PB_ENOMEM. */
int pb_import_check_refs(pb_store *store, const pb_import *imp, pb_error *err);
/* Rows the map skipped (a type mapped to null). */
size_t pb_import_skipped(const pb_import *imp);
/* Rename the place of an error about draft err->index (pb_store_append_batch's
 * position) as its row and, for "$.entry.<field>", the field's column. */
void pb_import_name_error(const pb_import *imp, pb_error *err);
/* Free an import and its drafts; NULL is allowed. */
void pb_import_free(pb_import *imp);

/* ---------------------------------------------------------------------------
 * Pool reports (DESIGN 5, 7). ledger/report.c.
 * ------------------------------------------------------------------------- */

/* The figures of pool_id at the end of period ("2024/25-Q2", "2024/25-M06",
 * "2024/25"; NULL: the pool's whole year): per scheme the budget after
 * virements, actual to the period end, the latest forecast at the period end
 * (a scheme without one counts at budget and is flagged), the outturn and
 * the variance (outturn - budget); per stream and per partner planned and
 * received; totals; the policy in force at the period end. The outturn is the
 * forecast ("basis": "forecast"), except for the year of a settled pool, where
 * it is the actual spending ("basis": "actual") and "settlement" holds the
 * settlement's figures with the pool's "closing_reserve" (the underspend
 * carried forward, as a positive amount). Also "origin" (the ledger's),
 * "active_months" (months of the period holding money entries of the pool)
 * and each partner's "name". Amounts are canonical money strings; docs/reports.md
 * gives the keys. Reads the pool's state and at most twelve monthly aggregates, whatever else the
 * ledger holds. *report_out is a new reference. Returns PB_OK, PB_EPOOL, PB_EPERIOD (malformed, or
 * not in the pool's year), PB_EOVERFLOW or PB_ESTORE. */
int pb_pool_report(pb_store *store, const char *pool_id, const char *period, json_t **report_out,
                   pb_error *err);

/* pool_id's year period by period (kind PB_PERIOD_QUARTER or PB_PERIOD_MONTH),
 * every figure one pb_pool_report of that period read from one snapshot:
 * {"pool", "year", "by": "quarter"|"month", "periods": [{"period", "period_end",
 * "status", "active_months", "budget" (full year, after virements), "budget_ytd"
 * (budget x months / 12, rounded down), "actual" (spent in the period),
 * "actual_ytd", "ytd_variance" (actual_ytd - budget_ytd), "outturn" (the
 * full-year forecast at the period end), "variance" (outturn - budget),
 * "received_ytd", "due_to_date", "schemes": [{"id", "actual", "actual_ytd",
 * "outturn", "variance"}]}]} (docs/reports.md). *series_out is a new reference.
 * Returns PB_OK, PB_EPOOL, PB_EUSAGE (kind neither), PB_EOVERFLOW, PB_ESTORE or
 * PB_ENOMEM. */
int pb_pool_report_series(pb_store *store, const char *pool_id, int kind, json_t **series_out,
                          pb_error *err);

/* Every pool of the ledger in order of agreement, as a JSON array of
 * {"id", "name", "kind", "year", "host", "partners", "budget" (the current
 * version's scheme budgets summed), "status": "open"|"settled"}. *list_out is
 * a new reference (an empty array for a ledger without pools). Returns PB_OK,
 * PB_EOVERFLOW, PB_ESTORE or PB_ENOMEM. */
int pb_pool_list(pb_store *store, json_t **list_out, pb_error *err);

/* Rebuild all derived state (partners, keys, pools, aggregates) from the
 * records alone, in one write transaction, replacing what is stored.
 * Returns PB_OK, PB_EVERIFY (a record no longer admits: the ledger was
 * tampered with; nothing changes), PB_ESTORE or PB_ENOMEM. */
int pb_store_reindex(pb_store *store, pb_error *err);

/* The derived state as text, one "key<TAB>canonical value" line per entry in
 * key order, in a new malloc'd string (for comparing a reindex). */
int pb_store_state_dump(pb_store *store, char **text_out, pb_error *err);

/* ---------------------------------------------------------------------------
 * The ledger as an accounting journal (docs/journal.md). ledger/journal.c.
 * ------------------------------------------------------------------------- */

/* Write the ledger, as one snapshot, to out as a plain-text journal that
 * hledger and ledger-cli read: each contribution and expenditure is a
 * transaction (date, "*", a description) tagged "; id:", "; index:",
 * "; type:" and "; ref:", with two postings in £: a contribution debits
 * assets:pool:<POOL> and credits income:contributions:<POOL>:<PARTNER>:<STREAM>;
 * an expenditure debits expenses:<POOL>:<SCHEME> and credits the pool; a
 * reversal posts its target's postings the other way on its own date.
 * Forecasts, virements, period closes and the reversal of a virement move no
 * money and are comment lines; other entries are left out. A ':' in an id
 * becomes '_' in an account name. out is the caller's; not closed.
 * Returns PB_OK, PB_EIO (a write to out failed), PB_EVERIFY (a stored record
 * is not JSON; err->index names it), PB_ENOTFOUND (a reversal's target is
 * missing), PB_ESTORE or PB_ENOMEM. */
int pb_journal_write(pb_store *store, FILE *out, pb_error *err);

/* ---------------------------------------------------------------------------
 * Risk-share policies (DESIGN 6). ledger/policy.c.
 *
 * A policy says who bears a pool's overspend and who receives its underspend.
 * pb_policy_check validates its JSON; pb_policy_apply evaluates it exactly on
 * plain figures (no ledger needed), with the workings of every step.
 * ------------------------------------------------------------------------- */

/* Rules nest through bands: a band's rule may itself have bands. Four levels
 * cover every agreement seen (a tranche, then a split); deeper is refused, so
 * evaluation never recurses deeper than this whatever the input. */
#define PB_POLICY_DEPTH_MAX 4
/* Bands in one rule: real agreements have two or three tranches. */
#define PB_POLICY_BANDS_MAX 16
/* Schemes in one evaluation: a BCF plan has tens of schemes. */
#define PB_POLICY_SCHEMES_MAX 1024

/* One pool partner as the policy sees it. */
typedef struct pb_policy_partner {
    const char *id;         /* partner id; unique in the input */
    int64_t planned_pence;  /* planned contribution for the year, >= 0 */
    int64_t received_pence; /* contributions received in the year to the period end, >= 0 */
} pb_policy_partner;

/* One scheme of the pool. */
typedef struct pb_policy_scheme {
    const char *id;           /* scheme id; unique in the input */
    const char *lead;         /* lead commissioner: one of the partners */
    const char *scheme_class; /* "revenue" or "capital" */
    int64_t budget_pence;     /* budget after virements, >= 0 */
    int64_t variance_pence;   /* forecast (or actual) outturn minus budget, signed */
} pb_policy_scheme;

/* The figures a policy is applied to. Borrowed by pb_policy_apply. */
typedef struct pb_policy_input {
    const char *host; /* the host partner: one of the partners */
    const pb_policy_partner *partners;
    size_t partner_count; /* 1..PB_PARTNERS_MAX */
    const pb_policy_scheme *schemes;
    size_t scheme_count; /* 0..PB_POLICY_SCHEMES_MAX */
} pb_policy_input;

typedef struct pb_policy_share {
    char partner[PB_ID_BYTES_MAX + 1];
    int64_t amount_pence; /* overspend positive (pays more), underspend negative */
} pb_policy_share;

/* What a policy gives. Always shares + unallocated + carried_forward == variance. */
typedef struct pb_policy_result {
    int64_t variance_pence;        /* the pool's net variance, every scheme */
    int64_t unallocated_pence;     /* risk no rule placed (caps without residual, classes) */
    int64_t carried_forward_pence; /* underspend kept in the pool: negative or zero */
    size_t share_count;            /* every partner, in partner id order */
    pb_policy_share shares[PB_PARTNERS_MAX];
    json_t *workings; /* array of step objects, in order; owned by the result */
} pb_policy_result;

/* Check policy against the language of DESIGN 6: netting "pool" or "scheme";
 * overspend and underspend rules (split contributions | planned | fixed with
 * percentage shares summing to 100 | lead (netting scheme) | host | partner;
 * bands with cumulative upto amounts or {"percent_of_budget"}, the last band
 * without upto; carry_forward in underspend rules only; caps per partner as an
 * amount or {"percent_of_contribution"}; residual); by_scheme (netting scheme
 * only); classes. Rules nest at most PB_POLICY_DEPTH_MAX deep.
 * @param[in] policy the policy object (borrowed).
 * @param[out] err on failure: where is the JSON path ("$.overspend.bands[1].rule.shares")
 *   and text starts with the path without "$." ("overspend.bands[1].rule.shares: must
 *   sum to 100, not 90").
 * Returns PB_OK or PB_EPOLICY. Partner ids are not checked here (the policy
 * does not know the pool): pb_policy_apply checks them. */
int pb_policy_check(const json_t *policy, pb_error *err);

/* Apply policy to in, exactly (DESIGN 6): shares as rationals with 128-bit
 * intermediates, caps on the exact shares, largest-remainder rounding (ties:
 * larger weight, then partner id ascending). Checks the policy first.
 * Schemes whose class the policy's "classes" leaves out are not shared: their
 * variance is reported as unallocated. The result does not depend on the order
 * of partners or schemes in the input.
 * @param[in] policy the policy (borrowed).
 * @param[in] in the figures (borrowed; not kept).
 * @param[out] out on success a new result; caller frees with pb_policy_result_free().
 *   On error *out is NULL.
 * Returns PB_OK, PB_EPOLICY (bad policy), PB_EPARTNER (an unknown or repeated
 * partner in the input or the policy), PB_EPOOL (a repeated scheme, or an
 * unknown class), PB_ETOOBIG (over PB_PARTNERS_MAX or PB_POLICY_SCHEMES_MAX),
 * PB_EAMOUNT (a negative contribution or budget), PB_EOVERFLOW (an amount
 * beyond the money range, or totals that would be) or PB_ENOMEM. */
int pb_policy_apply(const json_t *policy, const pb_policy_input *in, pb_policy_result **out,
                    pb_error *err);

/* Free a result and its workings. NULL is allowed. */
void pb_policy_result_free(pb_policy_result *result);

/* Apportion pool_id's variance at the end of period (as pb_pool_report: NULL
 * for the whole year) under the policy in force at the period end (a
 * pool.vary may change it). The variance is forecast outturn minus budget,
 * except for the year of a settled pool: actual outturn minus budget.
 * @param[out] explain_out a new reference to {"pool", "period", "period_end",
 *   "variance", "shares": {partner: amount}, "unallocated", "carried_forward",
 *   "workings": [...]} (amounts canonical strings; docs/policies.md).
 * Returns PB_OK, any code of pb_pool_report, any code of pb_policy_apply
 * (PB_EPOLICY: the pool's agreed policy is malformed) or PB_ENOMEM. */
int pb_policy_explain(pb_store *store, const char *pool_id, const char *period,
                      json_t **explain_out, pb_error *err);

/* The apportionment a settlement of pool_id must record (DESIGN 5, 6): as
 * pb_policy_explain for the pool's year, but with each scheme's actual
 * spending as its outturn, whether or not the year is settled yet. The
 * settlement entry's "year", "variance", "shares", "unallocated" and
 * "carried_forward" are the explain object's "period" and the same keys.
 * Returns as pb_policy_explain. */
int pb_policy_explain_actual(pb_store *store, const char *pool_id, json_t **explain_out,
                             pb_error *err);

/* One step of the workings (a pb_policy_result's or an explain object's
 * "workings" element) as one line of English for people, without a newline:
 * "ICB gets a rounding penny (£0.01): its remainder 1980559998/1999999998 is
 * among the largest". Amounts print as £1,250,000.00. A step this version does
 * not know prints as its compact JSON. Returns a malloc'd string the caller
 * frees, or NULL when out of memory. */
char *pb_policy_step_text(const json_t *step);

/* ---------------------------------------------------------------------------
 * Statements (DESIGN 7). ledger/statement.c; docs/statements.md.
 * ------------------------------------------------------------------------- */

/* The statement of partner_id in pool_id for period ("2024/25-Q2", or a year;
 * NULL: the pool's whole year), or with partner_id NULL the pool summary: one
 * JSON object that is also the statement's json format (docs/statements.md).
 * Every figure is pb_pool_report's and pb_policy_explain's, read from one
 * snapshot: the header (origin, pool, host, partner, period and its end), the
 * partner's streams planned and received (the summary: every stream), each
 * scheme's budget, actual, forecast and variance, the pool's totals, the
 * policy with its workings and every share, the position of the partner (the
 * summary: of every partner): planned + share - paid = due, positive when
 * the partner owes the pool, with its words ("DCC owes the pool £97,200.00"),
 * and the integrity footer: the tree size read, the latest checkpoint when it
 * covers that size (else null), and the result of pb_verify on the whole
 * ledger (pb_verify_kept with the ledger's own state: only the records added
 * since the last verification are replayed). "basis" is "forecast" (the
 * settlement's outturn once settlements exist). No wall-clock time is
 * included: the same ledger gives the same object. Cost: O(records added
 * since the last verification + checkpoints x log(records)).
 * @param[out] statement_out a new reference; NULL on error.
 * Returns PB_OK; any code of pb_pool_report (PB_EPOOL unknown pool, PB_EPERIOD
 * a malformed period or one outside the pool's year); PB_EPARTNER (partner_id
 * is not a partner of the pool; the text lists its partners); PB_ENOTFOUND (no
 * money entry of the pool is dated in the period: nothing to state); any code
 * of pb_policy_explain; PB_EVERIFY (the ledger fails verification: no
 * statement is made from it); PB_ESTORE; PB_ENOMEM. */
int pb_statement(pb_store *store, const char *pool_id, const char *partner_id, const char *period,
                 json_t **statement_out, pb_error *err);

/* The manifest of a statement run and its signature (ledger/manifest.c). */
#define PB_MANIFEST_NAME "MANIFEST.sha256"

/* Write dir/MANIFEST.sha256, the SHA-256 of each file names[0..count) of dir
 * in `sha256sum` format ("<64 lowercase hex>  <name>\n", in the order given),
 * and dir/MANIFEST.sha256.minisig, its minisign signature by key
 * (pb_minisign_sign, with trusted_comment) that `minisign -Vm MANIFEST.sha256
 * -p KEY.pub` verifies. Each file is written by pb_file_write, which refuses
 * to replace a file of keep[] (NULL-terminated, or NULL: the ledger and its
 * lock file) or anything that is not a regular file.
 * Returns PB_OK, PB_EIO (a file unreadable or not written; where names it),
 * PB_EUSAGE (a name holding '/' or a line break, a comment too long) or
 * PB_ENOMEM. */
int pb_manifest_write(const char *dir, const char *const *names, size_t count, const pb_seckey *key,
                      const char *trusted_comment, const char *const *keep, pb_error *err);

/* ---------------------------------------------------------------------------
 * Merkle tree and proofs, RFC 6962 / RFC 9162 (DESIGN 4). ledger/merkle.c.
 * ------------------------------------------------------------------------- */

/* SHA-256(0x00 || data). */
void pb_merkle_leaf_hash(const void *data, size_t len, uint8_t out[32]);
/* SHA-256(0x01 || left || right). */
void pb_merkle_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]);

typedef struct pb_proof {
    uint64_t index_or_old_size; /* the leaf index, or the old tree size */
    uint64_t tree_size;         /* the (new) tree size */
    uint8_t leaf_or_old_root[32];
    uint8_t root[32];
    size_t count;
    uint8_t hashes[PB_PROOF_HASHES_MAX][32];
} pb_proof;

/* The inclusion proof (audit path) of leaf index in the tree of tree_size.
 * O(log n) reads. PB_OK, PB_ERANGE or PB_ESTORE. */
int pb_proof_inclusion(pb_store *store, uint64_t index, uint64_t tree_size, pb_proof *out,
                       pb_error *err);
/* The consistency proof between tree sizes old_size <= new_size.
 * PB_OK, PB_ERANGE or PB_ESTORE. */
int pb_proof_consistency(pb_store *store, uint64_t old_size, uint64_t new_size, pb_proof *out,
                         pb_error *err);
/* Check an inclusion proof with nothing but its own contents. PB_OK or PB_EPROOF. */
int pb_proof_check_inclusion(const pb_proof *proof, pb_error *err);
/* Check a consistency proof with nothing but its own contents. PB_OK or PB_EPROOF. */
int pb_proof_check_consistency(const pb_proof *proof, pb_error *err);
/* The proof as the JSON of DESIGN 4, in a new reference. kind is "inclusion"
 * or "consistency". */
json_t *pb_proof_to_json(const pb_proof *proof, int consistency);

/* ---------------------------------------------------------------------------
 * Checkpoints: C2SP tlog-checkpoint signed notes (DESIGN 4). ledger/checkpoint.c.
 * ------------------------------------------------------------------------- */

/* Sign a checkpoint of the current tree with an operator key bound in the
 * ledger, store it, and return the note text in a new malloc'd string.
 * PB_OK, PB_EKEY_UNKNOWN, PB_EKEY_WRONG_ROLE, PB_EKEY_REVOKED, PB_EGENESIS, PB_ESTORE. */
int pb_checkpoint_create(pb_store *store, const pb_seckey *key, char **note_out, pb_error *err);
/* Add an auditor's cosignature line to the stored checkpoint of tree_size
 * (0: the latest). Returns the whole note. Codes as pb_checkpoint_create, and PB_ENOTFOUND. */
int pb_checkpoint_cosign(pb_store *store, uint64_t tree_size, const pb_seckey *key, char **note_out,
                         pb_error *err);
/* The stored checkpoint note of tree_size (0: the latest), a new malloc'd string.
 * PB_OK or PB_ENOTFOUND. */
int pb_checkpoint_get(pb_store *store, uint64_t tree_size, char **note_out, pb_error *err);
/* Check a checkpoint note received from elsewhere (a server's /checkpoint)
 * against this ledger and store it: its origin is the ledger's, its root is
 * the records' root at its tree size, and every signature line verifies
 * under an operator or auditor key the ledger binds (at least one operator
 * line). *tree_size_out (may be NULL) receives its size. Nothing is stored
 * unless every line checks. Returns PB_OK, PB_ENOTE (what is wrong in
 * err->text), PB_ERANGE (a tree size beyond the records), PB_EGENESIS,
 * PB_ESTORE or PB_ENOMEM. */
int pb_checkpoint_import(pb_store *store, const char *note_text, uint64_t *tree_size_out,
                         pb_error *err);
/* The note verifier key of a public key under a name:
 * "<name>+<8 hex>+<base64(0x01 || key)>", into a new malloc'd string. */
int pb_note_verifier(const char *name, const pb_pubkey *key, char **out, pb_error *err);
/* The note signer name poolbook uses for a key: the origin for the operator,
 * "<origin>/<partner>/<KEYID>" for others. Into buf. */
void pb_note_name(const char *origin, const char *partner, const char *role, const char *keyid,
                  char *buf, size_t size);

/* ---------------------------------------------------------------------------
 * Witnesses: C2SP tlog-witness and tlog-cosignature (DESIGN 9, docs/witness.md).
 * ledger/log/witness.c (the witness), witness_client.c (the host's side).
 * ------------------------------------------------------------------------- */

/* A witness serves a partnership's few ledgers: tlog-policy asks
 * implementations to support at least 32 logs. */
#define PB_WITNESS_LOGS_MAX 32
/* An add-checkpoint request: old size, at most 63 proof lines and a note with
 * at most 100 signature lines fit well within it. */
#define PB_WITNESS_REQUEST_BYTES_MAX (64 * 1024)
/* Cosignature lines kept from one witness's answer. */
#define PB_WITNESS_LINES_MAX 8

/* A witness: its state file, its key and name, the logs it witnesses. Opaque. */
typedef struct pb_witness pb_witness;

/* Open (creating if absent) the witness state file at state_path, an LMDB file
 * of one row per origin (size, root, the note cosigned), mode 0600. key signs
 * the cosignatures (borrowed: it must outlive the handle); name is the
 * witness's key name (1-255 bytes, no space, '+' or line break; C2SP suggests
 * a schema-less URL). Close with pb_witness_close. Returns PB_OK, PB_ESTORE
 * (where names the file), PB_ENOLEDGER (another kind of file), PB_EUSAGE (bad
 * name) or PB_ENOMEM. */
int pb_witness_open(const char *state_path, const pb_seckey *key, const char *name,
                    pb_witness **witness_out, pb_error *err);
void pb_witness_close(pb_witness *witness);
/* Witness the log of origin, whose checkpoints are signed by the note
 * verifier key vkey ("<name>+<hex>+<base64 of 0x01 || key>", as `poolbook
 * checkpoint --verifier` prints). PB_OK, PB_EKEYFILE (not such a key),
 * PB_EUSAGE (origin empty, on two lines or configured twice), PB_ETOOBIG (over
 * PB_WITNESS_LOGS_MAX). */
int pb_witness_add_log(pb_witness *witness, const char *origin, const char *vkey, pb_error *err);
/* The witness's cosigner verifier key "<name>+<hex>+<base64 of 0x04 || key>"
 * (tlog-cosignature), in a new malloc'd string. PB_OK or PB_ENOMEM. */
int pb_witness_verifier(const pb_witness *witness, char **vkey_out, pb_error *err);
/* tlog-witness add-checkpoint: request is the body of len bytes (request[len]
 * must be NUL), now_s the POSIX time to cosign at. Checks, in the spec's order:
 * the request's form, the origin is witnessed, a log signature verifies, old
 * size <= checkpoint size, old size equals the size held (0 if none), equal
 * sizes have equal roots, the consistency proof; then, in the same LMDB write
 * transaction as the check of the held size, signs and moves the held record
 * to the checkpoint, and returns the cosignature/v1 line ("— <name>
 * <base64>\n") in *cosig_out (caller frees) only after the commit. Returns
 * PB_OK, PB_ENOTE or PB_ETOOBIG (malformed request: HTTP 400), PB_ENOTFOUND
 * (unknown origin: 404), PB_ESIG_INVALID (no log signature verifies: 403),
 * PB_ERANGE (old size above the checkpoint's: 400), PB_ECONFLICT (another old
 * size, or the same size with another root: 409, *held_size_out the size
 * held), PB_EPROOF (the proof does not check: 422), PB_ESTORE, PB_ENOMEM.
 * On any error the held record is unchanged. */
int pb_witness_add_checkpoint(pb_witness *witness, const char *request, size_t len, uint64_t now_s,
                              char **cosig_out, uint64_t *held_size_out, pb_error *err);
/* The note the witness last cosigned for origin (body, the log's signature
 * lines, its cosignature), in a new malloc'd string. PB_OK, PB_ENOTFOUND,
 * PB_ESTORE, PB_ENOMEM. */
int pb_witness_latest(pb_witness *witness, const char *origin, char **note_out, pb_error *err);

/* What one witness did with a checkpoint (pb_checkpoint_witness). */
typedef struct pb_witness_outcome {
    uint64_t tree_size;            /* the checkpoint sent */
    uint64_t old_size;             /* the size the proof ran from (what the witness held) */
    int requests;                  /* 1, or 2 after a 409 */
    char name[256];                /* the witness's key name */
    char keyid[PB_KEYID_TEXT_MAX]; /* the auditor key it cosigned with */
} pb_witness_outcome;

/* Send the stored checkpoint of tree_size (0: the latest) to the witness at
 * url (http://HOST:PORT[/PREFIX]; POST PREFIX/add-checkpoint), first from old
 * size 0 and, after a 409, once more with the consistency proof from the size
 * the witness holds. Each returned cosignature/v1 line that verifies with an
 * `auditor` key bound in the ledger is stored beside the checkpoint (lines by
 * other keys are ignored, as tlog-witness asks). Returns PB_OK, PB_ENET
 * (unreachable, or an answer outside the protocol), PB_ENOTFOUND (no such
 * checkpoint, or the witness does not witness this origin), PB_ESIG_INVALID
 * (the witness does not trust the operator key), PB_ECONFLICT (the witness
 * holds another root at that size, or a larger size than this ledger: a fork
 * or a rollback), PB_EPROOF (not consistent with what the witness cosigned),
 * PB_ENOTE, PB_EKEY_UNKNOWN (no returned line verifies with a bound auditor
 * key), PB_ESTORE, PB_ENOMEM, PB_EUSAGE (not an http:// URL); err->where is
 * the URL. */
int pb_checkpoint_witness(pb_store *store, uint64_t tree_size, const char *url,
                          pb_witness_outcome *out, pb_error *err);
/* Whether the stored checkpoint of tree_size (0: the latest) is final under
 * the ledger's witness policy (the latest witness.policy entry, C2SP
 * tlog-policy): *final_out 1 when the witnesses whose cosignature/v1 lines it
 * carries (each verified against its bound auditor key) meet the quorum, else
 * 0; *cosigned_out how many such lines. PB_OK, PB_ENOTFOUND (no such
 * checkpoint, or no witness policy: err says which), PB_ESTORE, PB_ENOMEM. */
int pb_checkpoint_final(pb_store *store, uint64_t tree_size, int *final_out, size_t *cosigned_out,
                        pb_error *err);
/* The URLs of the witnesses named in the ledger's witness policy (those
 * given one), in policy order, into urls (max of them). PB_OK, PB_ENOTFOUND
 * (no policy, or no URL in it), PB_ETOOBIG (over max), PB_ESTORE, PB_ENOMEM. */
#define PB_WITNESS_URL_MAX 256
int pb_witness_policy_urls(pb_store *store, char (*urls)[PB_WITNESS_URL_MAX], size_t max,
                           size_t *count_out, pb_error *err);
/* The cosigner verifier key of a public key under name:
 * "<name>+<8 hex>+<base64(0x04 || key)>" (tlog-cosignature), a new malloc'd string. */
int pb_cosig_verifier(const char *name, const pb_pubkey *key, char **out, pb_error *err);

/* ---------------------------------------------------------------------------
 * The HTTP/1.1 client (ledger/log/http.c): the witness protocol's requests and
 * the command line's --remote, one request per connection, http:// only.
 * ------------------------------------------------------------------------- */

/* HTTP client limits (http.c). A witness's answers are a few lines; a
 * caller expecting more (--remote reads entry bundles) gives its own limit. */
#define PB_HTTP_RESPONSE_BYTES_DEFAULT ((size_t)64 * 1024)
#define PB_HTTP_TIMEOUT_S_DEFAULT 10
/* The caller's extra request headers, all lines together. */
#define PB_HTTP_HEADERS_BYTES_MAX 3072

typedef struct pb_http_response {
    int status;
    char content_type[64]; /* without parameters */
    char *body;            /* malloc'd, NUL-terminated */
    size_t body_len;
} pb_http_response;

/* A URL "http://HOST[:PORT][/PATH]" split; path is "" or starts with '/'. */
typedef struct pb_http_url {
    char host[256];
    char port[16];
    char path[1024];
} pb_http_url;

/* What a caller may set beyond the method, URL and body. */
typedef struct pb_http_options {
    const char *content_type;  /* the request's Content-Type; NULL: no such header */
    const char *headers;       /* extra lines, each "Name: value\r\n"; NULL: none */
    size_t response_bytes_max; /* the whole response, headers included; 0: default */
    int timeout_s;             /* each connect, send and receive; 0: default */
} pb_http_options;

/* Split url into out. PB_OK, or PB_EUSAGE (not http://, or a part too long). */
int pb_http_url_split(const char *url, pb_http_url *out, pb_error *err);
/* One HTTP/1.1 request to url (http:// only) plus path_suffix, with body of
 * body_len bytes (NULL: none), with opts (NULL: Content-Type text/plain, the
 * default limit and timeout). Free out with pb_http_response_free (also after
 * an error). PB_OK (any status), PB_EUSAGE (not such a URL, or the request
 * line and headers too long), PB_ENET (cannot resolve, connect, send or
 * read; the response over its limit, not HTTP/1.x, chunked or shorter than
 * its Content-Length), PB_ENOMEM. */
int pb_http_request_with(const char *method, const char *url, const char *path_suffix,
                         const void *body, size_t body_len, const pb_http_options *opts,
                         pb_http_response *out, pb_error *err);
/* pb_http_request_with with opts NULL. */
int pb_http_request(const char *method, const char *url, const char *path_suffix, const char *body,
                    size_t body_len, pb_http_response *out, pb_error *err);
void pb_http_response_free(pb_http_response *response);

/* ---------------------------------------------------------------------------
 * Tiles: C2SP tlog-tiles (DESIGN 9). ledger/log/tiles.c; docs/server.md.
 * A hash tile holds up to 256 stored hashes of tree level 8L (32 bytes each);
 * an entry bundle up to 256 records, each prefixed by its length as a
 * big-endian uint16 (so PB_RECORD_BYTES_MAX is 65,535).
 * ------------------------------------------------------------------------- */

#define PB_TILE_WIDTH 256
/* The level of entry bundles ("tile/entries/..."). */
#define PB_TILE_ENTRIES (-1)
/* Bytes of a tile path with its NUL: "tile/entries/x018/.../615.p/255". */
#define PB_TILE_PATH_MAX 64

typedef struct pb_tile {
    int level;      /* 0..7, or PB_TILE_ENTRIES */
    uint64_t n;     /* the tile's number within its level */
    unsigned width; /* 1..256; 256 is a full tile */
} pb_tile;

/* Write tile's path ("tile/0/x001/234", "tile/1/000.p/7",
 * "tile/entries/005") into buf of at least PB_TILE_PATH_MAX bytes. Asserts on
 * a level, width or buffer out of range. Returns PB_OK. */
int pb_tile_path(const pb_tile *tile, char *buf, size_t size);

/* Parse a tile path in its one canonical spelling (as pb_tile_path writes it;
 * "tile/0/x000/001" and "tile/0/1" are refused). Returns PB_OK or
 * PB_ENOTFOUND (not a tile path; err->text says what a path looks like). */
int pb_tile_parse(const char *path, pb_tile *out, pb_error *err);

/* The bytes of tile from one read snapshot of the ledger: width * 32 bytes
 * of a hash tile, or the entry bundle. A tile exists once the ledger holds
 * every hash (every record) it covers; its bytes never change after that.
 * @param[out] buf_out a new malloc'd buffer the caller frees.
 * Returns PB_OK, PB_ENOTFOUND (the ledger does not hold the whole tile yet),
 * PB_ETOOBIG (a stored record over PB_RECORD_BYTES_MAX: written by an older
 * poolbook), PB_ESTORE or PB_ENOMEM. */
int pb_tile_read(pb_store *store, const pb_tile *tile, uint8_t **buf_out, size_t *len_out,
                 pb_error *err);

/* The C2SP tlog-proof (c2sp.org/tlog-proof@v1) of record index against the
 * latest stored checkpoint, from one snapshot: the header line, "index <N>",
 * the RFC 6962 inclusion proof (one base64 hash a line), a blank line and the
 * checkpoint note with every signature stored for it (cosignatures too).
 * @param[out] text_out a new malloc'd string the caller frees.
 * Returns PB_OK; PB_ENOTFOUND (no checkpoint, or the latest does not cover
 * index yet: sign one with pb_checkpoint_create); PB_ESTORE; PB_ENOMEM. */
int pb_tlog_proof(pb_store *store, uint64_t index, char **text_out, pb_error *err);

typedef struct pb_tiles_report {
    uint64_t tree_size;     /* the size of the checkpoint published */
    uint64_t tiles_written; /* files written */
    uint64_t tiles_kept;    /* full tiles found already present and identical */
} pb_tiles_report;

/* Write the C2SP tiles of the tree of the latest stored checkpoint under dir
 * (dir/tile/<L>/..., dir/tile/entries/...) and then dir/checkpoint, its note
 * with every cosignature, from one read snapshot, so that any static web
 * server serves the log. Each file is written to a temporary name and
 * renamed; the checkpoint goes last, so a reader never finds a checkpoint
 * whose tiles are missing. A full tile already in dir is compared, not
 * rewritten. Missing folders are created.
 * Returns PB_OK; PB_ENOTFOUND (no checkpoint stored); PB_EIO (a file not
 * written, or a full tile in dir that differs: dir holds another log; where
 * names the file); PB_EUSAGE (dir too long); PB_ETOOBIG; PB_ESTORE; PB_ENOMEM. */
int pb_tiles_write(pb_store *store, const char *dir, pb_tiles_report *report_out, pb_error *err);

/* ---------------------------------------------------------------------------
 * Verification (DESIGN 4, 9). ledger/verify.c.
 * ------------------------------------------------------------------------- */

typedef struct pb_verify_report {
    uint64_t records;      /* records checked */
    uint64_t signatures;   /* signatures checked */
    uint64_t checkpoints;  /* checkpoint notes checked */
    uint64_t cosignatures; /* auditor signature lines checked (witnesses' included) */
    uint64_t witnessed;    /* of which witnesses' cosignature/v1 lines */
    uint8_t root[32];      /* the root recomputed from the records */
    uint64_t from;         /* records verified before, continued from (0: all replayed) */
} pb_verify_report;

/* Verify the whole ledger from its records alone: every record canonical and
 * its entry valid against the state replayed from the records before it, every
 * signature and its key's partner and role, the stored tree hashes and id
 * index, every stored checkpoint's root and signatures, and consistency between
 * successive checkpoints. threads is how many threads check signatures (0: one
 * per core). On failure err->index names the first bad record. Returns PB_OK,
 * PB_EVERIFY (the cause in err->text), PB_ESTORE or PB_ENOMEM. */
int pb_verify(pb_store *store, unsigned threads, pb_verify_report *report_out, pb_error *err);

/* Findings for review, not failures (DESIGN 5, docs/auditor.md), a new
 * array in record order of objects with "kind":
 * "revoked-key": a signature on a record appended before the record that
 *   revoked its key (so it counts) and dated on or after the date the key was
 *   revoked from: {"index","id","type","date","key","partner","revoked_from",
 *   "revoked_by"[,"pool"]};
 * "reopen": a period.reopen: {"index","id","type","pool","period","reason",
 *   "closed_by","close_id"} (the close it undid).
 * PB_OK, PB_ESTORE or PB_ENOMEM. */
int pb_review_findings(pb_store *store, json_t **findings_out, pb_error *err);

/* Check a draft (possibly partly signed) against the ledger's state before
 * anyone else signs it (docs/entries.md "Drafts"): its form, every check its
 * type makes against the state (pool, scheme, stream, partner exist; a
 * variation balanced), and that the signing rule accepts each signature so
 * far; a refused key's message names whose key it is and ends with the keys
 * the entry needs. Nothing is written; signature bytes and completeness are
 * left to append. PB_OK or the append's refusal code. */
int pb_draft_check(pb_store *store, json_t *record, pb_error *err);

/* Whether two entries record the same thing: equal but for "created" (and
 * so, with default ids, the same id): re-posting one is "already present". */
int pb_entry_same_business(const json_t *a, const json_t *b);

/* The id of the first contribution (expenditure) with the same "ref" for the
 * same pool and partner (scheme) as record's entry, in id_out. PB_OK,
 * PB_ENOTFOUND (none, or the entry has no ref), PB_ESTORE. */
int pb_money_ref_first(pb_store *store, const json_t *record, char *id_out, size_t size,
                       pb_error *err);

/* Anchor a verified ledger to keys the auditor holds (docs/auditor.md): each
 * trusted key must be bound by the genesis record (the ledger's record 0, or a
 * bundle's), with the same public key, and a trusted signatory key must have
 * signed it. Call after pb_verify (which checked those signatures).
 * PB_OK or PB_EVERIFY naming the first key that fails. */
int pb_genesis_anchor(const json_t *genesis_record, const pb_pubkey *trusted, size_t count,
                      pb_error *err);
/* pb_verify that is not repeated (docs/verify.md): the replayed state and the
 * size and root verified through are kept in the verifier's own file,
 * state_path (an auditor's), or with state_path NULL the ledger's own,
 * "<ledger file>-verified" (the host's). The next call checks that the stored
 * tree still has the remembered root at that size, replays only the records
 * after it, and checks a consistency proof from the remembered root to the
 * new one; every checkpoint is checked each time. full replays everything
 * from the first record and replaces what the file held. The report's counts
 * are the whole ledger's; report->from is where this call began. Codes as
 * pb_verify, and PB_EIO when the state file cannot be opened or made. */
int pb_verify_kept(pb_store *store, const char *state_path, int full, unsigned threads,
                   pb_verify_report *report_out, pb_error *err);

/* ---------------------------------------------------------------------------
 * Interchange: the audit bundle and the spreadsheet export (DESIGN 8).
 * ledger/bundle.c, ledger/export_csv.c. Formats: docs/bundle.md, docs/csv.md.
 * ------------------------------------------------------------------------- */

/* The format named in a bundle's header line. */
#define PB_BUNDLE_FORMAT "poolbook-bundle-v1"
/* One line of a bundle: a record line is the record and 40 bytes of framing;
 * a checkpoint line holds a note of at most 100 signature lines (C2SP). */
#define PB_BUNDLE_LINE_BYTES_MAX (PB_RECORD_BYTES_MAX + 1024)

/* Write the audit bundle of the whole ledger to out, from one read
 * transaction (appends running meanwhile are not in it): a header line
 * {origin, size, root, counts}, every record as its stored canonical bytes,
 * one line per checkpoint (the note and the key id of each signature line),
 * one line per bound key. docs/bundle.md gives the lines.
 * @param[in] out  an open stream (borrowed); flushed, not closed.
 * Returns PB_OK, PB_EGENESIS (an empty ledger), PB_EIO (writing out failed),
 * PB_ESTORE or PB_ENOMEM. On error out may hold part of the bundle. */
int pb_bundle_export(pb_store *store, FILE *out, pb_error *err);

/* Verify a bundle with no ledger file: load it into a scratch ledger in
 * $TMPDIR (removed at once) and run pb_verify on it (every record's form and
 * admission under replayed state, every signature, every checkpoint's root
 * and signatures, consistency between checkpoints), then check what the
 * bundle itself states: the header's origin, size and root, each note's body,
 * and that the key lines are exactly the keys the records bind.
 * @param[in] in       the bundle (borrowed; read to its end or the first fault).
 * @param[in] name     the bundle's name for err->where ("audit.jsonl").
 * @param[in] threads  as pb_verify (0: one per core).
 * @param[in] trusted  NULL, or a public key the auditor holds: it must be bound
 *                     in the bundle and have signed its latest checkpoint.
 * @param[out] report_out  what was checked; root is the records' root.
 * @param[out] findings_out  NULL, or on PB_OK a new array of the bundle's
 *                     findings for review, as pb_review_findings lists them
 *                     for a ledger of the same records (caller json_decref()s
 *                     it); left NULL on error.
 * On failure err->line is the bundle line at fault, err->index the record
 * index (or -1), err->where "<name> line L[, record I]". Returns PB_OK;
 * PB_EVERIFY (a record, signature, root, checkpoint or key listing does not
 * verify; or records out of order, missing, or extra lines); PB_EEMPTY,
 * PB_EJSON (a line not JSON, not canonical, or the file truncated mid-line),
 * PB_EFIELD (a line of the wrong shape), PB_ENOTE (a malformed note),
 * PB_ETOOBIG (a line over PB_BUNDLE_LINE_BYTES_MAX) or a pb_json_parse code;
 * PB_EID_EXISTS_DIFFERENT (an entry id repeated); PB_EIO, PB_ESTORE, PB_ENOMEM. */
int pb_bundle_verify(FILE *in, const char *name, unsigned threads, const pb_pubkey *trusted,
                     pb_verify_report *report_out, json_t **findings_out, pb_error *err);

/* Write every record as one CSV row for a spreadsheet (docs/csv.md): a
 * header row, then index, id, type, created, date, pool, partner, stream or
 * scheme, amount (plain pounds "1250000.00"; a reversal's is the negated
 * amount of the entry it cancels), target, payee, reference, memo/title/
 * reason, signers ("PARTNER:ROLE:KEYID" joined by ";"). RFC 4180: CRLF row
 * ends, fields with a comma, quote, CR or LF quoted (libcsv). One read
 * transaction. Returns PB_OK, PB_EIO, PB_ESTORE or PB_ENOMEM. */
int pb_export_csv(pb_store *store, FILE *out, pb_error *err);

/* Which records `poolbook log` lists: NULL (or 0) fields match everything.
 * pool, partner and ref match the CSV columns of the same name; scheme a
 * row's scheme or a virement's either scheme; type a row's type or, for a
 * reversal, its target's type (so `--type expenditure` also lists the
 * reversals of expenditure); from_date and to_date ("YYYY-MM-DD", inclusive)
 * an entry's date, or the date part of its created time if it has none. */
typedef struct pb_log_filter {
    const char *pool, *scheme, *partner, *type, *ref, *from_date, *to_date;
    uint64_t start; /* the first index looked at */
    uint64_t limit; /* at most this many records are visited */
} pb_log_filter;

/* Called once per matching record: line is the record's CSV row as a JSON
 * object (docs/csv.md: "index" a number, every other column a string or
 * null), record the stored record's canonical bytes (len of them, not
 * NUL-terminated); both borrowed for the call. Return PB_OK to go on,
 * anything else to stop with that code. */
typedef int (*pb_log_visit)(void *ctx, uint64_t index, const json_t *line, const char *record,
                            size_t len);

/* Visit, in index order from filter->start, each record that filter matches,
 * all read from one snapshot. Returns PB_OK, a code visit returned,
 * PB_ESTORE, PB_ENOMEM, or a parse code for a corrupt record (its index in err). */
int pb_log_select(pb_store *store, const pb_log_filter *filter, pb_log_visit visit, void *ctx,
                  pb_error *err);

#ifdef __cplusplus
}
#endif
#endif /* POOLBOOK_H */
