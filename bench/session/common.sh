# Shared set-up of bench/session/run.sh and loop.sh (sourced, not run):
# N and RUNS from the arguments, a scratch folder $work removed at exit,
# lywatch and mksession built into it, and the ms and median helpers.
n=${1:-10000}
runs=${2:-7}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/lywatch" ./cmd/lywatch
go build -o "$work/mksession" ./bench/session/mksession

# ms T0 T1 prints the milliseconds between two `date +%s%N` stamps.
ms() { echo $(( ($2 - $1) / 1000000 )).$(( ($2 - $1) / 100000 % 10 )); }
# median prints the median of the numbers on its input, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
