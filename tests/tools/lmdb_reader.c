/*
 * lmdb_reader.c — test tool: an LMDB reader of a ledger file that dies
 * holding its reader slot, as a reader killed with -9 does (issue 13 item 4).
 * tests/cli/ledger_file.sh keeps one `hold` alive (so the lock file's reader
 * table is not reset by a fresh opener) and runs `die` more times than LMDB
 * has slots; poolbook must still open the ledger (mdb_reader_check).
 *
 * usage: lmdb_reader LEDGER hold SECONDS   open the environment, sleep, exit
 *        lmdb_reader LEDGER die            begin a read transaction, SIGKILL itself
 * Exit 0 done (hold), 3 LMDB failed; `die` does not return.
 */
#include <lmdb.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: lmdb_reader LEDGER hold SECONDS | die\n");
        return 2;
    }
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&env);
    if (rc == 0) {
        rc = mdb_env_set_maxdbs(env, 8);
    }
    if (rc == 0) {
        rc = mdb_env_open(env, argv[1], MDB_NOSUBDIR | MDB_RDONLY, 0600);
    }
    if (rc != 0) {
        fprintf(stderr, "lmdb_reader: %s\n", mdb_strerror(rc));
        return 3;
    }
    if (strcmp(argv[2], "hold") == 0 && argc == 4) {
        sleep((unsigned)strtoul(argv[3], NULL, 10));
        mdb_env_close(env);
        return 0;
    }
    rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        fprintf(stderr, "lmdb_reader: %s\n", mdb_strerror(rc));
        return 3;
    }
    raise(SIGKILL);
    return 3;
}
