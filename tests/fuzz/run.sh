#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser with AFL++ (Debian's afl++) and SharpFuzz: the harness is built, the
# appliance's assemblies are instrumented with branch coverage, and each target runs FUZZ_SECONDS under afl-fuzz,
# starting from its seeds, its kept regressions and the committed corpus (tests/fuzz/corpus/TARGET). Any crash or
# hang fails the run and is left in out/fuzz/TARGET/findings/default/{crashes,hangs}: fix it, then keep the input in
# tests/KalkiEdge.UnitTests/Fuzz/regressions/TARGET/ so the in-process fuzzer of make test replays it forever.
#   FUZZ_SECONDS  per target (default 120)     FUZZ_TARGETS  space-separated subset (default: all)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/out/fuzz
bin=$out/bin
seconds=${FUZZ_SECONDS:-120}
dotnet=${DOTNET:-dotnet}

rm -rf "$bin"
"$dotnet" build "$root/tests/fuzz/KalkiEdge.Fuzz" -c Release -o "$bin" -nologo -v quiet | grep -E ": error " >&2 || true
test -f "$bin/KalkiEdge.Fuzz.dll" || { echo "the fuzzing harness did not build" >&2; exit 1; }
harness=("$dotnet" "$bin/KalkiEdge.Fuzz.dll")
targets=${FUZZ_TARGETS:-$("${harness[@]}" list)}
# Seeds first: instrumented code runs only under afl-fuzz (it writes to AFL's shared coverage map).
for t in $targets; do
  rm -rf "${out:?}/$t" && mkdir -p "$out/$t/in"
  "${harness[@]}" seeds "$t" "$out/$t/in"
  if [ -d "$root/tests/fuzz/corpus/$t" ]; then cp "$root/tests/fuzz/corpus/$t"/* "$out/$t/in/"; fi
done
"${harness[@]}" instrument "$bin"

# dotnet is not an AFL-instrumented binary (SharpFuzz reports coverage from inside the runtime); the machine is shared,
# so no CPU pinning or frequency checks; the runtime takes seconds to start, so the fork server gets a minute.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_FORKSRV_INIT_TMOUT=60000 AFL_FAST_CAL=1 AFL_SHUFFLE_QUEUE=0

failed=0
printf '%-16s %8s %8s %8s %6s %6s\n' target seconds execs paths crashes hangs
for t in $targets; do
  dir=$out/$t
  afl-fuzz -i "$dir/in" -o "$dir/findings" -t 5000 -m none -V "$seconds" -- "${harness[@]}" run "$t" >"$dir/afl.log" 2>&1 || {
    echo "afl-fuzz failed on $t (see $dir/afl.log):" >&2; tail -20 "$dir/afl.log" >&2; failed=1; continue; }
  stats=$dir/findings/default/fuzzer_stats
  stat() { sed -n "s/^$1 *: *//p" "$stats"; }
  crashes=$(find "$dir/findings/default/crashes" -type f -name 'id:*' | wc -l)
  hangs=$(find "$dir/findings/default/hangs" -type f -name 'id:*' | wc -l)
  printf '%-16s %8s %8s %8s %6s %6s\n' "$t" "$seconds" "$(stat execs_done)" "$(stat corpus_count)" "$crashes" "$hangs"
  if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
    echo "$t: crashes or hangs in $dir/findings/default/: copy them to tests/KalkiEdge.UnitTests/Fuzz/regressions/$t/ and run dotnet test --filter ParserFuzzTests to reproduce" >&2
    failed=1
  fi
done
exit $failed
