#!/usr/bin/env bash
# Fuzzes kh::mi::parse_line() for N seconds (first argument, default 30): configures build-fuzz
# with clang and -DKH_FUZZ=ON, builds mi_parser_fuzz, seeds it with every line of the gdb-mi
# fixtures and runs it. Exits non-zero on a crash, a sanitizer report, a violated property or a
# slow input; the input that failed is left in build-fuzz/mi_parser_fuzz-artifacts/.
set -euo pipefail

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: $0 [seconds > 0]" >&2
  exit 2
fi

source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="$source_dir/build-fuzz"

CC=clang CXX=clang++ cmake -S "$source_dir" -B "$build_dir" -DKH_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if ! grep -q '^CMAKE_CXX_COMPILER:.*clang' "$build_dir/CMakeCache.txt"; then
  echo "$build_dir was configured with another compiler; remove it and run again" >&2
  exit 2
fi
cmake --build "$build_dir" --target mi_parser_fuzz -j2

fixtures_dir="$source_dir/tests/fixtures/gdb-mi"
seeds_dir="$build_dir/mi_parser_seeds"
corpus_dir="$build_dir/mi_parser_corpus"
artifacts_dir="$build_dir/mi_parser_fuzz-artifacts"
rm -rf "$seeds_dir"
mkdir -p "$seeds_dir" "$corpus_dir" "$artifacts_dir"

# One seed file per fixture line, without its newline (parse_line never sees one).
for transcript in "$fixtures_dir"/*.mi; do
  awk -v dir="$seeds_dir" -v name="$(basename "$transcript" .mi)" \
    '{ file = sprintf("%s/%s-%04d", dir, name, NR); printf "%s", $0 > file; close(file) }' "$transcript"
done
if [ -z "$(ls -A "$seeds_dir")" ]; then
  echo "no fixture transcripts found in '$fixtures_dir'" >&2
  exit 2
fi

# -timeout: a single line must never take seconds (the parser is linear).
"$build_dir/tests/fuzz/mi_parser_fuzz" \
  -max_total_time="$seconds" -timeout=10 -max_len=16384 \
  -dict="$source_dir/tests/fuzz/mi_parser.dict" \
  -artifact_prefix="$artifacts_dir/" \
  "$corpus_dir" "$seeds_dir"
