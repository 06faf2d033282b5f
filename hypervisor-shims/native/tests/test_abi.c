/* The uberXMHF ABI gate: allowlist, page containment, sentinels and status texts. */
#include <stdlib.h>
#include <string.h>

#include "ks_abi.h"
#include "ks_test.h"

static void allowlist_admits_only_echo_and_sign(void)
{
    CHECK(ks_uh_function_allowed(KS_UH_FN_UHCALLTEST));
    CHECK(ks_uh_function_allowed(KS_UH_FN_UHSIGN));
    for (unsigned long fn = KS_UH_FN_UTPM_FIRST; fn <= KS_UH_FN_UTPM_LAST; fn++)
        CHECK(!ks_uh_function_allowed(fn));
    CHECK(!ks_uh_function_allowed(0));
    CHECK(!ks_uh_function_allowed(0x68));
    CHECK(!ks_uh_function_allowed(~0ul));
}

static void call_check_refuses_unknown_ids_before_anything_else(void)
{
    static uint8_t block[64];
    CHECK_RC(ks_uh_check_call(0x12, block, sizeof block), KS_ERR_UNKNOWN_FUNCTION);
    CHECK_RC(ks_uh_check_call(0x69 + 1, NULL, 0), KS_ERR_UNKNOWN_FUNCTION);
}

static void call_check_requires_exact_block_size(void)
{
    uint8_t *page = aligned_alloc(KS_UH_PAGE_SIZE, KS_UH_PAGE_SIZE);
    CHECK(page != NULL);
    CHECK_RC(ks_uh_check_call(KS_UH_FN_UHCALLTEST, page, sizeof(ks_uhcalltest_param_t)), KS_OK);
    CHECK_RC(ks_uh_check_call(KS_UH_FN_UHCALLTEST, page, 31), KS_ERR_BAD_BUFFER);
    CHECK_RC(ks_uh_check_call(KS_UH_FN_UHSIGN, page, sizeof(ks_uhsign_param_t)), KS_OK);
    CHECK_RC(ks_uh_check_call(KS_UH_FN_UHSIGN, page, 1600), KS_ERR_BAD_BUFFER);
    CHECK_RC(ks_uh_check_call(KS_UH_FN_UHSIGN, NULL, sizeof(ks_uhsign_param_t)), KS_ERR_BAD_BUFFER);
    free(page);
}

static void call_check_refuses_blocks_crossing_a_page(void)
{
    const unsigned long len = sizeof(ks_uhsign_param_t);
    uint8_t *pages = aligned_alloc(KS_UH_PAGE_SIZE, 2 * KS_UH_PAGE_SIZE);
    CHECK(pages != NULL);
    CHECK_RC(ks_uh_check_call(KS_UH_FN_UHSIGN, pages + KS_UH_PAGE_SIZE - len, len), KS_OK);
    CHECK_RC(ks_uh_check_call(KS_UH_FN_UHSIGN, pages + KS_UH_PAGE_SIZE - len + 1, len), KS_ERR_BAD_BUFFER);
    CHECK_RC(ks_uh_check_call(KS_UH_FN_UHCALLTEST, pages + KS_UH_PAGE_SIZE - 16, 32), KS_ERR_BAD_BUFFER);
    free(pages);
}

static void layouts_match_the_published_abi(void)
{
    /* Also pinned by _Static_assert; repeated so a test report shows the ABI was checked. */
    CHECK(sizeof(ks_uhcall_request_t) == 3 * sizeof(unsigned long));
    CHECK(sizeof(ks_uhcalltest_param_t) == 32);
    CHECK(sizeof(ks_uhsign_param_t) == 1640);
    CHECK(offsetof(ks_uhsign_param_t, pkt_size) == 1600);
    CHECK(offsetof(ks_uhsign_param_t, digest) == 1604);
    CHECK(offsetof(ks_uhsign_param_t, vaddr) == 1636);
}

static void sentinel_detection(void)
{
    uint8_t field[32];
    ks_fill_sentinel(field, sizeof field);
    CHECK(ks_is_sentinel(field, sizeof field));
    field[31] ^= 1;
    CHECK(!ks_is_sentinel(field, sizeof field));
    memset(field, 0, sizeof field);
    CHECK(!ks_is_sentinel(field, sizeof field));
}

static void every_status_has_its_own_message(void)
{
    const char *unknown = ks_strerror(12345);
    for (int a = KS_ERR_NOT_UHCALL_DEVICE; a <= KS_OK; a++) {
        CHECK(strcmp(ks_strerror(a), unknown) != 0);
        for (int b = a + 1; b <= KS_OK; b++)
            CHECK(strcmp(ks_strerror(a), ks_strerror(b)) != 0);
    }
    CHECK(strcmp(ks_backend_name(KS_BACKEND_EMULATED), "emulated") == 0);
    CHECK(strcmp(ks_backend_name(KS_BACKEND_UXMHF), "uxmhf") == 0);
    CHECK(strcmp(ks_backend_name(7), "unknown") == 0);
}

static const ks_test_case_t cases[] = {
    {"allowlist_admits_only_echo_and_sign", allowlist_admits_only_echo_and_sign},
    {"call_check_refuses_unknown_ids_before_anything_else", call_check_refuses_unknown_ids_before_anything_else},
    {"call_check_requires_exact_block_size", call_check_requires_exact_block_size},
    {"call_check_refuses_blocks_crossing_a_page", call_check_refuses_blocks_crossing_a_page},
    {"layouts_match_the_published_abi", layouts_match_the_published_abi},
    {"sentinel_detection", sentinel_detection},
    {"every_status_has_its_own_message", every_status_has_its_own_message},
};

KS_TEST_MAIN(cases)
