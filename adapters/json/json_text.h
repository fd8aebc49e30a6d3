/*
 * json_text.h - private to the JSON adapter: text fit to quote in a problem message.
 */
#ifndef OI_JSON_TEXT_H
#define OI_JSON_TEXT_H

#include <stddef.h>

#include <jansson.h>

/*
 * oi__printable - text from outside (a key, a unit, a file name, jansson's "near" text) made fit
 * to quote in a message: messages travel as JSON and line by line, so they must be valid UTF-8
 * without line breaks. Control characters and broken bytes become '?'; the text is cut on a
 * character boundary at max bytes, with "..." when cut. out receives at most cap - 1 bytes.
 * Returns out.
 */
const char *oi__printable(const char *s, size_t n, size_t max, char *out, size_t cap);

#endif
