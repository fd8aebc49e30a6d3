/*
 * doc.h - auto-documentation: the EHR-bound messages that pump events cause, queued in the
 * durable outbox inside the transaction that stores the event (DESIGN.md "Storage"):
 *   PCD-10 (ORU^R42) delivery start / stop / complete, rate change, bolus -> destination "doc";
 *   PCD-01 (ORU^R01) on every change of a channel's delivery and every --pcd01-period-s while
 *   infusing -> "doc";
 *   PCD-04 (ORU^R40) alarm raised / updated (silenced, acknowledged) / cleared -> "alarm:1".."alarm:N".
 * Nothing is queued for a destination that is not configured.
 */
#ifndef SRV_DOC_H
#define SRV_DOC_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct srv;
struct model_pump;

/*
 * doc_event - called inside the group transaction for every NEWLY stored event record ev of pump
 * p (docs/scenario-format.md "Events" + wall_ms), after the model was updated with it (p->state
 * is the latest snapshot, which may be older or newer than ev). Queues the messages with
 * store_outbox_add. Returns false on a store failure (the caller fails the whole group).
 */
bool doc_event(struct srv *s, struct model_pump *p, const json_t *ev, int64_t now_ms);

/* Starts / stops the periodic PCD-01 timer. */
bool doc_start(struct srv *s);
void doc_stop(struct srv *s);

#endif
