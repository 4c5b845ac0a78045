#!/usr/bin/env bash
# Side-by-side benchmark of lywatch check's hash prefilter.
#
#   bench/check/run.sh [RUNS]
#
# On a >= 150 MB layout (bench/out/gds_big.gds, made with KLayout by
# bench/gds/make_layout.py, about two minutes) and a copy of it with one
# leaf cell changed (modify.py), it times, RUNS times (default 3), one after
# the other in each round:
#   - `lywatch check` on a project whose build copies the changed layout
#     into place and whose reference is the original: the build, the hashes
#     of both layouts, and KLayout's XOR of the cells whose hashes differ;
#   - `lywatch gds diff --xor` of the two files: the same comparison, no build;
#   - KLayout's full per-layer XOR of the two whole layouts (full_xor.py,
#     every top cell flattened): what a check without the prefilter does.
# Each is a whole process, timed from outside; the table gives min, median
# and max. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
out=bench/out
mkdir -p "$out"
a=$out/gds_big.gds
b=$out/gds_big_mod.gds
if [ ! -s "$a" ]; then
  echo "making $a with KLayout ..."
  klayout -b -r bench/gds/make_layout.py -rd out="$a"
fi
if [ ! -s "$b" ] || [ "$b" -ot "$a" ]; then
  klayout -b -r bench/check/modify.py -rd a="$a" -rd b="$b"
fi
go build -o "$out/lywatch" ./cmd/lywatch
lw=$PWD/$out/lywatch

# The project: its build copies the changed layout into place; the
# reference is the original (hard links: both lie inside the project).
proj=$out/checkproj
rm -rf "$proj"
mkdir -p "$proj/ref" "$proj/build"
ln "$a" "$proj/ref/big.gds"
ln "$b" "$proj/changed.gds"
cat > "$proj/lywatch.toml" <<'EOF'
command = ["cp", "changed.gds", "build/big.gds"]
output = "build/big.gds"
reference = "ref/big.gds"
no_session = true
EOF
size=$(stat -c %s "$a")
echo "layout: $a, $size bytes ($((size / 1000000)) MB), one leaf changed in $b; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

now() { date +%s.%N; }
check_t=(); diff_t=(); full_t=()
for i in $(seq "$runs"); do
  t0=$(now)
  (cd "$proj" && "$lw" check --no-color > ../check.txt 2> ../check.err) && { echo "check found no difference" >&2; exit 1; } || [ $? -eq 1 ]
  t1=$(now)
  "$lw" gds diff --xor --no-color "$a" "$b" > "$out/diff.txt" || [ $? -eq 1 ]
  t2=$(now)
  klayout -b -r bench/check/full_xor.py -rd a="$a" -rd b="$b" > "$out/full.txt"
  t3=$(now)
  check_t+=("$(echo "$t1 - $t0" | bc)"); diff_t+=("$(echo "$t2 - $t1" | bc)"); full_t+=("$(echo "$t3 - $t2" | bc)")
  echo "round $i: check ${check_t[-1]} s, gds diff --xor ${diff_t[-1]} s, full XOR ${full_t[-1]} s"
done
echo "lywatch check says:"; sed 's/^/  /' "$out/check.txt"
echo "full XOR says: $(cat "$out/full.txt")"

stats() { tr ' ' '\n' <<<"$*" | grep . | sort -g | awk '{v[NR]=$1} END {printf "%.2f / %.2f / %.2f", v[1], v[int((NR+1)/2)], v[NR]}'; }
cm=$(tr ' ' '\n' <<<"${check_t[*]}" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
fm=$(tr ' ' '\n' <<<"${full_t[*]}" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
printf "\n%-34s %s\n" "seconds, min / median / max" "($runs runs)"
printf "%-34s %s\n" "lywatch check (build + compare)" "$(stats "${check_t[*]}")"
printf "%-34s %s\n" "lywatch gds diff --xor" "$(stats "${diff_t[*]}")"
printf "%-34s %s\n" "KLayout full per-layer XOR" "$(stats "${full_t[*]}")"
awk -v c="$cm" -v f="$fm" 'BEGIN { printf "median speed-up of check over the full XOR: %.0fx\n", f / c }'
