/*
 * A transport delivers one uApp call (function id + parameter block) to a backend. The shim core
 * builds the same parameter blocks for every transport, so both backends share layouts,
 * validation and result checks; only delivery differs.
 */
#ifndef KS_TRANSPORT_H
#define KS_TRANSPORT_H

#include <stdint.h>

typedef struct ks_transport {
    /*
     * Delivers the call. KS_OK means "delivered", not "done": like uberXMHF, a transport reports
     * results only inside the buffer, and the core checks them there.
     */
    int (*issue)(void *ctx, unsigned long function, void *buffer, unsigned long len);
    void (*release)(void *ctx); /* frees ctx; may be NULL */
    void *ctx;
    uint32_t capabilities; /* KS_CAP_* that hold when this transport is in use */
} ks_transport_t;

/* Software uApps keyed from the key file at key_path (created on first use). */
int ks_emulated_transport_open(const char *key_path, ks_transport_t *out);

/*
 * /dev/uhcallkmod. Opening issues no call, and refuses anything at device_path that is not the character
 * device of the uhcallkmod driver (its major as listed in the devices table, /proc/devices).
 */
int ks_uxmhf_transport_open(const char *device_path, ks_transport_t *out);

/* Test seam: read driver majors from `path` instead of /proc/devices (NULL restores it). */
void ks_uxmhf_set_devices_table(const char *path);

#endif /* KS_TRANSPORT_H */
