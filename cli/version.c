/*
 * version.c — `poolbook --version`: poolbook's version, then each library it
 * runs on with the version it reports at run time where the library can say
 * (LMDB, libsodium, jansson, libxlsxwriter), else the version it was built
 * against (libcsv has no run-time call), so a bug report names them all.
 */
#include "cli.h"

#include <csv.h>
#include <jansson.h>
#include <lmdb.h>
#include <sodium.h>
#include <xlsxwriter.h>

#define VERSION_STR2(x) #x
#define VERSION_STR(x) VERSION_STR2(x)

void
cli_print_version(FILE *f)
{
    fprintf(f, "poolbook %s\n", PB_VERSION_TEXT);
    int major = 0, minor = 0, patch = 0;
    mdb_version(&major, &minor, &patch);
    fprintf(f, "  lmdb %d.%d.%d\n", major, minor, patch);
    fprintf(f, "  libsodium %s\n", sodium_version_string());
    fprintf(f, "  jansson %s\n", jansson_version_str());
    fprintf(f, "  libxlsxwriter %s\n", lxw_version());
    fprintf(f, "  libcsv %s.%s.%s (built with)\n", VERSION_STR(CSV_MAJOR), VERSION_STR(CSV_MINOR),
            VERSION_STR(CSV_RELEASE));
}
