#!/usr/bin/env bash
# Checks the Spin model of the control loop and data-plane handoff (kalki.pml): every LTL property must hold
# (exhaustive search, weak fairness for the liveness one), and each mutant that removes a mechanism must make
# the property that mechanism protects fail. Needs Debian's spin and gcc. Prints "model: N of M checks as expected"; exits non-zero on any other outcome.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kalki-model-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0

# verify NAME EXPECT [MUTANT]: EXPECT is "holds" or "fails".
verify() {
  local name=$1 expect=$2 mutant=${3:-} dir="$work/${3:-model}"
  mkdir -p "$dir" && cd "$dir" || return 1
  # One verifier per variant (the model or a mutant); each property is a run of it.
  if [[ ! -x pan ]] && { ! spin ${mutant:+-D$mutant} -a "$here/kalki.pml" >spin.log 2>&1 || ! gcc -O2 -DNFAIR=3 -o pan pan.c >gcc.log 2>&1; }; then
    echo "model: $name${mutant:+ ($mutant)}: cannot build the verifier"; cat spin.log gcc.log; failed=$((failed + 1)); return
  fi
  timeout 120 ./pan -a -f -m100000 -N "$name" >pan.log 2>&1
  local errors; errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log | head -1)
  local states; states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' pan.log | head -1)
  if [[ -z "$errors" ]]; then
    echo "model: $name${mutant:+ ($mutant)}: verifier did not finish"; tail -5 pan.log; failed=$((failed + 1))
  elif [[ $expect == holds && $errors == 0 ]] || [[ $expect == fails && $errors != 0 ]]; then
    echo "model: $name${mutant:+ with $mutant}: $( [[ $expect == holds ]] && echo "holds" || echo "fails as it must") ($states states)"; passed=$((passed + 1))
  else
    echo "model: $name${mutant:+ with $mutant}: expected it to $expect, pan found $errors error(s)"; tail -20 pan.log; failed=$((failed + 1))
  fi
}

for p in defended handoff attested once eventually; do verify "$p" holds; done
verify handoff fails NOGATE
verify attested fails SWAP_FIRST
verify once fails NO_ACTED_SET
verify eventually fails DROP_WHEN_FULL
echo "model: $passed of $((passed + failed)) checks as expected"
[[ $failed == 0 ]]
