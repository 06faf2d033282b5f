/*
 * Internal seam, not exported from libkalkishim.so: lets the C tests attach a scripted transport
 * (e.g. a "hypervisor" that echoes but never signs) to exercise the uxmhf code paths on any host.
 */
#ifndef KS_INTERNAL_H
#define KS_INTERNAL_H

#include "kalkishim.h"
#include "ks_transport.h"

/*
 * Opens a handle over `transport`, reported as `backend` (EMULATED or UXMHF). Runs the same echo
 * self-test as ks_open; on failure the transport is released and *out stays NULL.
 */
int ks_open_with_transport(const ks_transport_t *transport, int backend, ks_handle_t **out);

/* Known-answer tests of the software SHA-1 / SHA-256 / HMAC (part of ks_selftest). */
int ks_crypto_selftest(void);

#endif /* KS_INTERNAL_H */
