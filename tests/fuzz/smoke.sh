#!/bin/bash
# The fuzz targets' smoke run (make check): each libFuzzer target in
# build/fuzz/ runs every input of its committed corpus
# (tests/fuzz/corpus/NAME/: the seeds and every input that once crashed
# it) and then mutates for FUZZ_SMOKE_SECS (default 3) seconds.  A crash,
# a leak, a sanitizer report or a timeout fails the target's check, and
# the input is kept in build/fuzz/smoke-crashes/NAME/ to add to the
# corpus once fixed.  A target that was not built fails (make check
# builds them all); one without a corpus fails too.  New inputs go to a
# scratch directory, never to the committed corpus.  scripts/fuzz.sh is
# the long run.
. "$(dirname "$0")/../lib.sh"

: "${FUZZ_SMOKE_SECS:=3}"
top=$RAMPART_TOP
fuzz_dir=${BUILD:-$top/build}/fuzz
case $fuzz_dir in /*) ;; *) fuzz_dir=$top/$fuzz_dir ;; esac
# Inside lib.sh's scratch directory, which its exit trap removes.
scratch=$NS_TMP/fuzz

n=0
for src in "$top"/tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c); name=${name#fuzz_}
	bin=$fuzz_dir/fuzz_$name corpus=$top/tests/fuzz/corpus/$name
	n=$((n + 1))
	if [ ! -x "$bin" ]; then
		not_ok "$name: built" "$bin is missing: make fuzz"
		continue
	fi
	if [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
		not_ok "$name: has a corpus" "$corpus is empty or missing"
		continue
	fi
	mkdir -p "$scratch/$name" "$fuzz_dir/smoke-crashes/$name"
	out=$("$bin" -max_total_time="$FUZZ_SMOKE_SECS" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$fuzz_dir/smoke-crashes/$name/" -print_final_stats=1 \
		"$scratch/$name" "$corpus" 2>&1)
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' <<<"$out")
	cov=$(grep -o 'cov: [0-9]*' <<<"$out" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		ok "$name: $(ls "$corpus" | wc -l) corpus inputs and ${FUZZ_SMOKE_SECS} s of mutation, nothing found ($runs runs, $cov)"
	else
		not_ok "$name: $(ls "$corpus" | wc -l) corpus inputs and ${FUZZ_SMOKE_SECS} s of mutation (status $rc)" \
			"$(grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' <<<"$out" | head -n 12)"
	fi
done
[ "$n" -gt 0 ] || not_ok "fuzz targets exist" "no tests/fuzz/fuzz_*.c"
finish
