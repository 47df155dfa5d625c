#!/usr/bin/env bash
# Times the test suite of two commits, interleaved, on clean clones with the installed
# packages (no install in the timing): the "no slower than before" check of a refactor.
# Usage: bash benchmarks/suite_ab.sh OLD_REV NEW_REV ROUNDS > results.tsv
# Prints: round, rev, tests passed, pytest seconds. Compare medians of the two revs.
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for rev in "$old" "$new"; do
  git clone -q "$root" "$tmp/$rev" && git -C "$tmp/$rev" checkout -q "$rev"
done
printf 'round\trev\tpassed\tseconds\n'
for round in $(seq 1 "$rounds"); do
  for rev in "$old" "$new"; do
    log="$tmp/$rev.log"
    (cd "$tmp/$rev" && PYTHONPATH="$tmp/$rev" python -m pytest -q -n 2 -p no:cacheprovider \
      > "$log" 2>&1) || true
    summary=$(grep -E '[0-9]+ passed' "$log" | tail -1)
    passed=$(grep -oE '[0-9]+ passed' <<<"$summary" | cut -d' ' -f1)
    seconds=$(sed -E 's/.* in ([0-9.]+)s.*/\1/' <<<"$summary")
    printf '%s\t%s\t%s\t%s\n' "$round" "$rev" "$passed" "$seconds"
  done
done
