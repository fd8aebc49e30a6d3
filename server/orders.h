/*
 * orders.h - auto-programming from the EHR (IHE PCD-03, standards.md §3.2): an RGV^O15 is
 * committed, then answered on its connection with ACK^O15 (CA, or CE/CR with ERR); then checked
 * (pump known and online, patient, drug -> entry of the pump's care area, DERS on the server's
 * library; ORC-9 age; a repeated MSH-10 is never applied twice) and either sent to the pump as a
 * `program` command or refused. When the clinician confirms or declines at the pump, or the pump
 * or the checks refuse, RRG^O16 (AA/AE/AR + PIV code) goes to the ordering system through the
 * outbox (destination "iop").
 */
#ifndef SRV_ORDERS_H
#define SRV_ORDERS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct srv;
struct mllp_conn;
struct model_pump;

bool orders_init(struct srv *s);   /* reloads the commands still waiting for an answer */
void orders_free(struct srv *s);
/* One MLLP frame from connection c. */
void orders_on_frame(struct srv *s, struct mllp_conn *c, const char *msg, size_t len);
/* A reply on the pump's reply topic (docs/pump-protocol.md). */
void orders_on_reply(struct srv *s, struct model_pump *p, const json_t *msg);
/* The pump came online: resend its commands that were not answered yet (it de-duplicates). */
void orders_on_online(struct srv *s, struct model_pump *p);

#endif
