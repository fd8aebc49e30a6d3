/*
 * pump_internal.h - private declarations of the safety core. Include it last in every core file:
 * it ends with the poison pragma, so heap, stdio and process-ending calls cannot appear below.
 */
#ifndef PUMP_INTERNAL_H
#define PUMP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* The compiler's 128-bit integer: only for exact cross products (multiplication and comparison
 * inline; never division, which would import a libgcc helper and fail the link gate). */
__extension__ typedef __int128 pump__i128;

/* Length of a NUL-free byte run compared for equality (ids). */
int pump__bytes_equal(const char *a, size_t alen, const char *b, size_t blen);

#pragma GCC poison malloc calloc realloc free printf fprintf sprintf snprintf puts fopen abort exit
#pragma GCC poison rand strtod atof

#endif
