#!/bin/bash
# The fuzz targets' smoke run (make check): each libFuzzer target in
# build/fuzz/ runs every input of its committed corpus
# (tests/fuzz/corpus/NAME/: the seeds and every input that once crashed
# it) and then mutates for FUZZ_SMOKE_SECS (default 2) seconds.  A crash,
# a leak, a sanitizer report or a timeout fails the target's check, and
# the input is kept in build/fuzz/smoke-crashes/NAME/ to add to the
# corpus once fixed.  A target that was not built fails (make check
# builds them all); one without a corpus fails too.  A negative control
# first shows that a crash, a leak and an overflow each fail the run.  New inputs go to a
# scratch directory, never to the committed corpus.  scripts/fuzz.sh is
# the long run.
. "$(dirname "$0")/../lib.sh"

: "${FUZZ_SMOKE_SECS:=2}"
top=$RAMPART_TOP
fuzz_dir=${BUILD:-$top/build}/fuzz
case $fuzz_dir in /*) ;; *) fuzz_dir=$top/$fuzz_dir ;; esac
# Inside lib.sh's scratch directory, which its exit trap removes.
scratch=$NS_TMP/fuzz

# run_fuzz BIN CORPUS ARTIFACTS SCRATCH SECS: sets out (libFuzzer's
# output) and rc (its status).
run_fuzz() {
	out=$("$1" -max_total_time="$5" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$3/" -print_final_stats=1 "$4" "$2" 2>&1)
	rc=$?
}

# The negative control: a target that fails on purpose (tests/fuzz/
# control/control.c) on an input in its corpus, once per way of failing.
# Each must fail the run and leave its input as an artifact, or a target
# that crashes would pass here unseen.
control=$fuzz_dir/control
if [ ! -x "$control" ]; then
	not_ok "control: built" "$control is missing: make fuzz"
else
	declare -A says=([abort]='deadly signal' [leak]='ERROR: LeakSanitizer' [overflow]='ERROR: AddressSanitizer: heap-buffer-overflow')
	for kind in abort leak overflow; do
		mkdir -p "$scratch/control-$kind/in" "$scratch/control-$kind/work" "$scratch/control-$kind/art"
		printf '%s' "$kind" >"$scratch/control-$kind/in/trigger"
		run_fuzz "$control" "$scratch/control-$kind/in" "$scratch/control-$kind/art" \
			"$scratch/control-$kind/work" 1
		if [ "$rc" -ne 0 ] && [ -n "$(ls -A "$scratch/control-$kind/art")" ] &&
			grep -q "${says[$kind]}" <<<"$out"; then
			ok "control: a target that fails by $kind fails the smoke run (status $rc, \"${says[$kind]}\", its input kept)"
		else
			not_ok "control: a target that fails by $kind fails the smoke run" \
				"status $rc, artifacts: $(ls -A "$scratch/control-$kind/art" | head -n 3)"
		fi
	done
fi

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
	run_fuzz "$bin" "$corpus" "$fuzz_dir/smoke-crashes/$name" "$scratch/$name" "$FUZZ_SMOKE_SECS"
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
