#!/usr/bin/env bash
# CI stage for the SD image: build the image (zstd, the fast compressor) and boot it under QEMU,
# recording the outcome as one JUnit test case so the CI summary counts it with the other tests.
set -uo pipefail
results=${1:-out/test-results}
mkdir -p "$results"
log="$results/image-test.log"
start=$(date +%s)
make image IMAGE_COMPRESS=zstd > "$log" 2>&1 && make image-test >> "$log" 2>&1
status=$?
elapsed=$(( $(date +%s) - start ))
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo "<testsuite name=\"image\" tests=\"1\" failures=\"$([ $status -eq 0 ] && echo 0 || echo 1)\" time=\"$elapsed\">"
  echo "  <testcase classname=\"image\" name=\"sd_image_builds_and_boots_under_qemu_with_health_answering\" time=\"$elapsed\">"
  if [ $status -ne 0 ]; then
    echo "    <failure message=\"make image / make image-test failed (exit $status); see $log\"/>"
  fi
  echo "  </testcase>"
  echo "</testsuite>"
} > "$results/image.junit.xml"
tail -n 5 "$log"
exit $status
