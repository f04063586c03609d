#!/usr/bin/env bash
# fuzz-all.sh: run go fuzz targets for a fixed time each, a few at once, at the lowest priority.
#
#   scripts/fuzz-all.sh [-t 10m] [-j 7] [-o OUTDIR] [TARGET...]
#
# TARGET is PKGDIR:FuzzName (for example ./internal/estate:FuzzParseDeviceID) or PKGDIR alone (all of its
# targets). With no TARGET every `func Fuzz...` under ./internal and ./cmd is run.
# Each package's test binary is built once (instrumented, as `go test -fuzz` builds it) and every target of
# that package runs from that binary, niced, with one fuzz worker (-test.parallel 1). Each target's log goes
# to OUTDIR/logs/<pkg>.<FuzzName>.log; OUTDIR/summary.tsv gets one line per target with its result, the
# time it ran and the final execution count. The new interesting inputs go where `go test -fuzz` puts them:
# $(go env GOCACHE)/fuzz/<import path>/<FuzzName>/ (see scripts/fuzz-keep-corpus.sh); a failing input goes
# to the package's testdata/fuzz/<FuzzName>/, as with `go test -fuzz`.
# Builds run at nice $BUILD_NICE (default 19 too); on a loaded shared machine a niced link can starve for
# many minutes while the fuzz slots sit idle, so BUILD_NICE=0 trades a short burst for the run's length.
set -euo pipefail

fuzztime=10m
jobs=7
out=fuzz-out
while getopts "t:j:o:h" opt; do
	case $opt in
	t) fuzztime=$OPTARG ;;
	j) jobs=$OPTARG ;;
	o) out=$OPTARG ;;
	h) sed -n '2,15p' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

cd "$(dirname "$0")/.."
root=$PWD
mkdir -p "$out/logs" "$out/bin"
out=$(cd "$out" && pwd)
module=$(go list -m)
cache=$(go env GOCACHE)/fuzz

# list_targets prints "pkgdir FuzzName" lines for the arguments (or for everything).
list_targets() {
	local dirs=() t
	if [ $# -eq 0 ]; then
		dirs=(./internal ./cmd)
	fi
	for t in "$@"; do
		case $t in
		*:*) echo "${t%%:*} ${t#*:}" ;;
		*) dirs+=("$t") ;;
		esac
	done
	if [ ${#dirs[@]} -gt 0 ]; then
		grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' "${dirs[@]}" |
			sed -E 's|^(.*)/[^/]*_test\.go:func (Fuzz.*)$|\1 \2|' | sort -u
	fi
}

run_target() { # pkgdir name bin
	local dir=$1 name=$2 bin=$3 slug log start end rc execs
	slug=$(echo "${dir#./}" | tr '/' '.')
	log=$out/logs/$slug.$name.log
	start=$(date +%s)
	rc=0
	(cd "$dir" && nice -n 19 "$bin" -test.run '^$' -test.fuzz "^$name\$" -test.fuzztime "$fuzztime" \
		-test.parallel 1 -test.fuzzcachedir "$cache/$module/${dir#./}") >"$log" 2>&1 || rc=$?
	end=$(date +%s)
	# The last progress line reads "fuzz: elapsed: 10m0s, execs: 1234567 (2057/sec), new interesting: ...".
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
	local interesting
	interesting=$(grep -o 'new interesting: [0-9]* (total: [0-9]*)' "$log" | tail -1 || true)
	local status=PASS
	[ $rc -eq 0 ] || status=FAIL
	printf '%s\t%s\t%s\t%ss\t%s\t%s\n' "$dir" "$name" "$status" "$((end - start))" "${execs:-0}" "$interesting" >>"$out/summary.tsv"
	echo "$(date -u +%H:%M:%S) done $dir $name $status execs=${execs:-0} ($((end - start))s)"
}

mapfile -t targets < <(list_targets "$@")
echo "$(date -u +%H:%M:%S) ${#targets[@]} targets, $fuzztime each, $jobs at once, logs in $out"
running=0
built=""
for line in "${targets[@]}"; do
	dir=${line% *}
	name=${line#* }
	slug=$(echo "${dir#./}" | tr '/' '.')
	bin=$out/bin/$slug.test
	case " $built " in
	*" $dir "*) ;;
	*)
		echo "$(date -u +%H:%M:%S) build $dir"
		nice -n "${BUILD_NICE:-19}" go test -c -fuzz . -o "$bin" "$dir"
		built="$built $dir"
		;;
	esac
	while [ "$running" -ge "$jobs" ]; do
		wait -n || true
		running=$((running - 1))
	done
	echo "$(date -u +%H:%M:%S) start $dir $name"
	run_target "$dir" "$name" "$bin" &
	running=$((running + 1))
done
wait
echo "$(date -u +%H:%M:%S) all done; summary in $out/summary.tsv"
