/* pump_status.c - names of status codes and small shared helpers. */
#include "pump/pump_status.h"

#include "pump_internal.h"

const char *pump_status_str(pump_status st)
{
    switch (st) {
    case PUMP_OK:
        return "ok";
    case PUMP_ERR_INVAL:
        return "invalid argument";
    case PUMP_ERR_RANGE:
        return "number out of range for exact arithmetic";
    case PUMP_ERR_FULL:
        return "storage full";
    case PUMP_ERR_DUPLICATE:
        return "duplicate id";
    case PUMP_ERR_NOT_FOUND:
        return "not found";
    case PUMP_ERR_DIV_ZERO:
        return "division by zero";
    case PUMP_ERR_INTERNAL:
        return "internal error";
    case PUMP_ERR_REFUSED:
        return "not allowed in this state";
    case PUMP_ERR_BLOCKED:
        return "blocked by a hard limit or an invalid program";
    case PUMP_ERR_NEED_REASON:
        return "soft alert needs a confirmation with a reason";
    case PUMP_ERR_DENIED:
        return "denied";
    case PUMP_ERR_TIME:
        return "time went backwards";
    case PUMP_ERR_NOT_READY:
        return "precondition not met yet";
    default:
        return "unknown status";
    }
}

int pump__bytes_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    /* memcmp is one of the four imports the freestanding core may have (style.md 4.6). */
    return (alen == blen) && ((alen == 0U) || (__builtin_memcmp(a, b, alen) == 0));
}
