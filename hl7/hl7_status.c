/*
 * hl7_status.c - status names.
 *
 * Contract: see include/hl7/hl7.h.
 */
#include "hl7_internal.h"

const char *hl7_status_str(hl7_status st)
{
    switch (st) {
    case HL7_OK:
        return "ok";
    case HL7_ERR_INVAL:
        return "invalid argument";
    case HL7_ERR_EMPTY:
        return "empty message";
    case HL7_ERR_NO_MSH:
        return "no MSH segment first";
    case HL7_ERR_ENCODING:
        return "bad encoding characters";
    case HL7_ERR_SEGMENT_ID:
        return "bad segment id";
    case HL7_ERR_SECOND_MSH:
        return "second MSH segment";
    case HL7_ERR_TOO_LARGE:
        return "message too large";
    case HL7_ERR_TOO_MANY_SEGMENTS:
        return "too many segments";
    case HL7_ERR_TOO_MANY_FIELDS:
        return "too many fields";
    case HL7_ERR_TOO_MANY_REPETITIONS:
        return "too many repetitions";
    case HL7_ERR_ESCAPE:
        return "bad escape sequence";
    case HL7_ERR_FULL:
        return "output buffer too small";
    case HL7_ERR_DTM:
        return "bad time stamp";
    case HL7_ERR_NOT_FOUND:
        return "not found";
    case HL7_ERR_ACK_CODE:
        return "unknown acknowledgment code";
    case HL7_ERR_PATH:
        return "bad location path";
    case HL7_ERR_FRAMING:
        return "framing byte in message";
    default:
        return "unknown status";
    }
}
