/* Which era a message belongs to, and the per-request envelope of the stateless (2026-07-28) revision.
 *
 * The legacy era (2024-11-05 .. 2025-11-25) negotiates a revision once with initialize and keeps it in a session;
 * the modern era carries the revision, client capabilities and identity in every request's
 * params._meta["io.modelcontextprotocol/..."]. A dual-era server decides per message, before any session lookup
 * (spec: basic/versioning "Backward Compatibility"; the suite's probes: shared/guides/conformance-0.2.md §2.4):
 *   1. responses and batches are legacy;
 *   2. an initialize without a modern envelope is the legacy handshake (but a modern version header on it is a
 *      header mismatch);
 *   3. a request whose _meta claims a protocol version is modern, whatever the value: the envelope is validated
 *      (-32602), the version header must equal the claim (-32020), then the version must be served (-32022);
 *   4. no claim but a modern version header: a malformed modern request (-32602);
 *   5. everything else is legacy.
 * Thread-safe (pure functions). */
#ifndef BW_PROTOCOL_ERA_H
#define BW_PROTOCOL_ERA_H

#include <jansson.h>
#include <stddef.h>

#include "protocol/revision.h"

#define BW_META_PROTOCOL_VERSION "io.modelcontextprotocol/protocolVersion"
#define BW_META_CLIENT_INFO "io.modelcontextprotocol/clientInfo"
#define BW_META_CLIENT_CAPS "io.modelcontextprotocol/clientCapabilities"
#define BW_META_LOG_LEVEL "io.modelcontextprotocol/logLevel"
#define BW_META_SERVER_INFO "io.modelcontextprotocol/serverInfo"
#define BW_META_SUBSCRIPTION_ID "io.modelcontextprotocol/subscriptionId"

/* A modern request's envelope; every pointer is borrowed from the message. */
typedef struct bw_envelope {
    bw_revision rev;            /* BW_REV_UNKNOWN: the message is legacy-era */
    const json_t *caps;         /* clientCapabilities (an object) */
    const json_t *client_info;  /* clientInfo or NULL */
    int log_level;              /* bw_log_level from logLevel, or -1 when the request asked for no logs */
} bw_envelope;

/* Classifies one decoded message (an object or an array). header_version is the MCP-Protocol-Version header, or
 * NULL when the transport has none (stdio). Returns 0 and fills *env (rev UNKNOWN for legacy), or a JSON-RPC error
 * code with a message in why and, for -32022, *data = {supported, requested} (a new reference; else NULL). */
int bw_era_classify(const json_t *msg, const char *header_version, bw_envelope *env, char *why, size_t whylen,
                    json_t **data);

#endif
