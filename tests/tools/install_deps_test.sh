#!/usr/bin/env bash
# tools/install-deps.sh with a fake dpkg-query, apt-get and sudo first on PATH: which packages it
# asks for, when it stays a no-op, and what it says when a suite lacks a package.
#   install_deps_test.sh TOOLS_DIR
set -uo pipefail
tools=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/kh-deps-test-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"

# The fake system: $work/installed lists the installed packages, $work/available those the apt
# suites offer; $work/apt.log records every apt-get call.
cat >"$work/bin/dpkg-query" <<'FAKE'
#!/usr/bin/env bash
status=0
for arg in "$@"; do
  case $arg in -W | -f=*) continue ;; esac
  if grep -qx -- "$arg" "$FAKE_DIR/installed"; then
    echo "$arg install ok installed"
  elif grep -qx -- "$arg" "$FAKE_DIR/available"; then
    echo "$arg unknown ok not-installed"
  else
    echo "dpkg-query: no packages found matching $arg" >&2
    status=1
  fi
done
exit $status
FAKE
cat >"$work/bin/apt-get" <<'FAKE'
#!/usr/bin/env bash
echo "apt-get $*" >>"$FAKE_DIR/apt.log"
[[ $1 == update ]] && exit 0
simulate=0
packages=()
for arg in "$@"; do
  case $arg in
    -s) simulate=1 ;;
    install | -y | -q | --no-install-recommends) ;;
    *) packages+=("$arg") ;;
  esac
done
for pkg in "${packages[@]}"; do
  grep -qx -- "$pkg" "$FAKE_DIR/available" || { echo "E: Unable to locate package $pkg" >&2; exit 100; }
done
[[ $simulate -eq 1 ]] || printf '%s\n' "${packages[@]}" >>"$FAKE_DIR/installed"
FAKE
printf '#!/bin/sh\nexec "$@"\n' >"$work/bin/sudo"
chmod +x "$work/bin/"*
export FAKE_DIR=$work PATH="$work/bin:$PATH"

failures=0
fail() {
  echo "FAIL: $case_name: $*" >&2
  echo "  output: $(cat "$work/out")" >&2
  failures=$((failures + 1))
}
# given INSTALLED AVAILABLE: the fake system's state (space-separated package names).
given() {
  printf '%s\n' $1 >"$work/installed"
  printf '%s\n' $1 $2 >"$work/available"
  : >"$work/apt.log"
}
# run ARGS...: the script with its output (both streams) in $work/out and its status in $status.
run() {
  "$tools/install-deps.sh" "$@" >"$work/out" 2>&1
  status=$?
}
expect_status() { [[ $status -eq $1 ]] || fail "status $status, expected $1"; }
expect_said() { grep -qF -- "$1" "$work/out" || fail "did not say '$1'"; }
expect_installed() { grep -qx -- "$1" "$work/installed" || fail "$1 not installed"; }
expect_not_installed() { ! grep -qx -- "$1" "$work/installed" || fail "$1 installed"; }
expect_no_apt() { [[ ! -s $work/apt.log ]] || fail "apt-get was called: $(cat "$work/apt.log")"; }

# A small list for the logic; the real one for what each make target needs.
cat >"$work/packages.txt" <<'LIST'
# group   package      suite              what needs it
build     gcc-fake     bookworm           compiling
build     cmake-fake   bookworm           configuring
extra     newer-kernel bookworm-security  --kernel-package newer-kernel
LIST
export KH_DEPS_LIST=$work/packages.txt

case_name="everything present: one line, no apt"
given "gcc-fake cmake-fake newer-kernel" ""
run build --optional extra
expect_status 0
expect_said "deps: all 3 packages present"
[[ $(wc -l <"$work/out") -eq 1 ]] || fail "more than one line"
expect_no_apt

case_name="a missing package is installed"
given "gcc-fake" "cmake-fake"
run build
expect_status 0
expect_installed cmake-fake
grep -q "^apt-get update" "$work/apt.log" || fail "no apt-get update"

case_name="only the asked groups count"
given "gcc-fake cmake-fake" ""
run build
expect_status 0
expect_no_apt

case_name="an optional package no suite offers is said, the run goes on"
given "gcc-fake" "cmake-fake"
run build --optional extra
expect_status 0
expect_installed cmake-fake
expect_not_installed newer-kernel
expect_said "cannot install newer-kernel"
expect_said "Debian has it in bookworm-security"
expect_said "without it: --kernel-package newer-kernel"

case_name="a required package no suite offers fails the run after the others are in"
given "" "gcc-fake"
run build extra
expect_status 1
expect_installed gcc-fake
expect_not_installed cmake-fake
expect_said "cannot install cmake-fake"
expect_said "cmake-fake is needed here; without it: configuring"
expect_said "cannot install newer-kernel"

case_name="an unknown group is refused"
given "gcc-fake cmake-fake newer-kernel" ""
run build nonsense
expect_status 2
expect_said "unknown package group 'nonsense'"
run
expect_status 2

# The real list: a Debian whose apt sources lack bookworm-security (a debootstrapped root).
unset KH_DEPS_LIST
all_packages=$(awk '!/^#/ && NF { print $2 }' "$tools/debian-packages.txt")
in_group() { awk -v g="$1" '!/^#/ && $1 == g { print $2 }' "$tools/debian-packages.txt"; }
without_612=$(grep -vx linux-source-6.12 <<<"$all_packages")

case_name="real list: make trace-mount needs no bookworm-security"
given "$without_612" ""
run build run kernel
expect_status 0
expect_no_apt
in_group kernel | grep -qx linux-source-6.1 || fail "linux-source-6.1 is not in group kernel"
in_group kernels-extra | grep -qx linux-source-6.12 || fail "linux-source-6.12 is not in group kernels-extra"

case_name="real list: make deps without bookworm-security installs the rest and says what 6.12 is for"
given "$(grep -vx -e linux-source-6.12 -e gdb <<<"$all_packages")" "gdb"
run build run kernel test --optional kernels-extra
expect_status 0
expect_installed gdb
expect_said "cannot install linux-source-6.12"
expect_said "Debian has it in bookworm-security"
expect_said "--kernel-package linux-source-6.12"

case_name="real list: make deps-extra without bookworm-security fails, saying why"
run kernels-extra
expect_status 1
expect_said "linux-source-6.12 is needed here"

# What the tests run must be in the groups make test installs.
case_name="real list: make test installs the tools the tests call"
test_packages=$(for g in build run kernel test; do in_group "$g"; done)
for pkg in libxml2-utils python3-junitparser busybox-static cpio git gdb qemu-system-x86 linux-source-6.1 clang; do
  grep -qx "$pkg" <<<"$test_packages" || fail "$pkg is not in the groups of make test"
done

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "install-deps.sh: all cases passed"
