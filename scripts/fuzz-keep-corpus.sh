#!/usr/bin/env bash
# fuzz-keep-corpus.sh: copy the interesting inputs a fuzz run found from the Go fuzz cache into the
# package's testdata/fuzz/<FuzzName>/, so they run with every `go test` and seed the next run.
#
#   scripts/fuzz-keep-corpus.sh [-n 200] [TARGET...]
#
# TARGET is PKGDIR:FuzzName or PKGDIR, as for fuzz-all.sh; none means every target. At most -n files per
# target are kept, the smallest first (a cached input already in testdata counts); files already there
# are never removed. Prints one line per target: kept, in cache, in testdata.
set -euo pipefail
max=200
while getopts "n:h" opt; do
	case $opt in
	n) max=$OPTARG ;;
	h) sed -n '2,9p' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
cd "$(dirname "$0")/.."
module=$(go list -m)
cache=$(go env GOCACHE)/fuzz
source <(sed -n '/^list_targets() {/,/^}/p' scripts/fuzz-all.sh)
list_targets "$@" | while read -r dir name; do
	src=$cache/$module/${dir#./}/$name
	dst=$dir/testdata/fuzz/$name
	have=0
	[ -d "$dst" ] && have=$(find "$dst" -type f | wc -l)
	incache=0
	added=0
	if [ -d "$src" ]; then
		incache=$(find "$src" -type f | wc -l)
		mkdir -p "$dst"
		while read -r f; do
			[ "$have" -lt "$max" ] || break
			[ -e "$dst/$(basename "$f")" ] && continue
			cp "$f" "$dst/"
			have=$((have + 1))
			added=$((added + 1))
		done < <(find "$src" -type f -printf '%s %p\n' | sort -n | cut -d' ' -f2-)
	fi
	printf '%s\t%s\tadded %d\tin cache %d\tin testdata %d\n' "$dir" "$name" "$added" "$incache" "$have"
done
