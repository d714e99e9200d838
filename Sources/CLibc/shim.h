// The C library calls the device programs make directly (files, clocks, socket options). Imported as a
// module of its own so Embedded Swift builds, which have no Glibc overlay, can use them too.
#ifndef SEALFRAME_CLIBC_SHIM_H
#define SEALFRAME_CLIBC_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <poll.h>
#include <errno.h>
#include <unistd.h>
#endif
