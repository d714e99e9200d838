// SQLite from Debian's libsqlite3-dev: the key server's embedded store.
#ifndef SEALFRAME_CSQLITE_SHIM_H
#define SEALFRAME_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
