# μmbox image manifest (attestation: the signed list of allowed image measurements). Included from the top-level Makefile:
#     -include tools/manifest.mk
#
#   make sign-manifest     measure every image in umboxes/images, write umboxes/manifest/manifest.json,
#                          sign it (manifest.sig) and write the signing key's public half (signing-key.pub.pem,
#                          embedded in the firmware at build time: rebuild after it changes)
#   make verify-manifest   check the signature and that every current image is listed
#   make measure-images    print each image's measurement
#
# The private key: MANIFEST_KEY=path, else $KALKI_EDGE_SIGNING_KEY, else a developer key created on first use at
# ~/.config/kalki-edge/dev-signing-key.pem (mode 0600). It is never committed. Production builders sign with
# their own key (MANIFEST_KEY=...), which replaces the committed development public key.

MANIFEST_TOOL := $(DOTNET) run --project tools/KalkiEdge.ManifestTool -c $(CONFIG) --
MANIFEST_KEY  ?=

.PHONY: sign-manifest verify-manifest measure-images

sign-manifest:
	$(MANIFEST_TOOL) sign --umboxes umboxes $(if $(MANIFEST_KEY),--key $(MANIFEST_KEY))

verify-manifest:
	$(MANIFEST_TOOL) verify --umboxes umboxes

measure-images:
	$(MANIFEST_TOOL) measure --umboxes umboxes
