#!/usr/bin/env bash
# Times the test suite of two commits, interleaved, on clean clones with the installed
# packages (no install in the timing): the "no slower than before" check of a refactor.
# Usage: bash benchmarks/suite_ab.sh OLD_REV NEW_REV ROUNDS [common|common_only] > results.tsv
# With "common", each round also runs NEW_REV's tests whose name (function and parameter
# id, file ignored: a refactor moves tests) exists at OLD_REV, as the variant NEW_REV:common,
# so the old tests' time is separated from the time of tests the change added. With
# "common_only", NEW_REV:common replaces NEW_REV (two variants a round: the quicker check).
# Prints: round, rev, tests passed, pytest seconds. Compare medians of the revs.
set -euo pipefail
old=$1 new=$2 rounds=${3:-3} mode=${4:-}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for rev in "$old" "$new"; do
  git clone -q "$root" "$tmp/$rev" && git -C "$tmp/$rev" checkout -q "$rev"
done
variants=("$old" "$new")
if [[ -n "$mode" && "$mode" != "common" && "$mode" != "common_only" ]]; then
  echo "suite_ab.sh: 4th argument must be 'common' or 'common_only', got '$mode'" >&2
  exit 2
fi
if [[ "$mode" == common* ]]; then
  for rev in "$old" "$new"; do
    (cd "$tmp/$rev" && PYTHONPATH="$tmp/$rev" python -m pytest -q --collect-only \
      -p no:cacheprovider 2>/dev/null | grep '::' > "$tmp/$rev.ids") || true
  done
  python - "$tmp/$old.ids" "$tmp/$new.ids" "$tmp/common.args" <<'PY'
import sys
def name(node_id):  # "tests/a/test_x.py::Class::test_f[p]" -> "Class::test_f[p]"
    return node_id.split("::", 1)[1]
old_names = {name(line.strip()) for line in open(sys.argv[1]) if "::" in line}
kept = [line.strip() for line in open(sys.argv[2]) if "::" in line
        and name(line.strip()) in old_names]
open(sys.argv[3], "w").write("\n".join(kept) + "\n")
print(f"common: {len(kept)} of the new tree's tests have a name at the old one",
      file=sys.stderr)
PY
  variants+=("$new:common")
  [[ "$mode" == "common_only" ]] && variants=("$old" "$new:common")
fi
printf 'round\trev\tpassed\tseconds\n'
for round in $(seq 1 "$rounds"); do
  for variant in "${variants[@]}"; do
    rev=${variant%%:*}
    args=()
    [[ "$variant" == *:common ]] && args=("@$tmp/common.args")
    log="$tmp/${variant//:/_}.log"
    (cd "$tmp/$rev" && PYTHONPATH="$tmp/$rev" python -m pytest -q -n 2 -p no:cacheprovider \
      "${args[@]}" > "$log" 2>&1) || true
    summary=$(grep -E '[0-9]+ passed' "$log" | tail -1)
    passed=$(grep -oE '[0-9]+ passed' <<<"$summary" | cut -d' ' -f1)
    seconds=$(sed -E 's/.* in ([0-9.]+)s.*/\1/' <<<"$summary")
    printf '%s\t%s\t%s\t%s\n' "$round" "$variant" "$passed" "$seconds"
  done
done
