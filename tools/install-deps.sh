#!/usr/bin/env bash
# Installs the missing Debian packages of the given groups of tools/debian-packages.txt.
#
#   tools/install-deps.sh [--optional GROUP]... GROUP...
#
# A no-op (one line) when every package is present; uses sudo when not root. A package that no
# configured apt suite offers is named together with the suite Debian has it in and what needs it:
# in a required GROUP that fails the run (status 1, after installing the others), in an --optional
# group it is only said. KH_DEPS_LIST names another package list (for tests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list=${KH_DEPS_LIST:-$here/debian-packages.txt}

usage() {
  echo "usage: $0 [--optional GROUP]... GROUP..." >&2
  exit 2
}

required_groups=()
optional_groups=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --optional) [[ $# -ge 2 ]] || usage; optional_groups+=("$2"); shift 2 ;;
    -*) usage ;;
    *) required_groups+=("$1"); shift ;;
  esac
done
[[ ${#required_groups[@]} -gt 0 || ${#optional_groups[@]} -gt 0 ]] || usage

in_list() {  # in_list WORD LIST...
  local word=$1
  shift
  local item
  for item in "$@"; do
    [[ $item == "$word" ]] && return 0
  done
  return 1
}

declare -A group_of suite_of why_of
known_groups=()
wanted=()  # in the order of the list
while read -r group pkg suite why; do
  [[ -z $group || $group == \#* ]] && continue
  in_list "$group" "${known_groups[@]}" || known_groups+=("$group")
  if in_list "$group" "${required_groups[@]}" "${optional_groups[@]}"; then
    wanted+=("$pkg")
    group_of[$pkg]=$group
    suite_of[$pkg]=$suite
    why_of[$pkg]=$why
  fi
done <"$list"
for group in "${required_groups[@]}" "${optional_groups[@]}"; do
  in_list "$group" "${known_groups[@]}" || {
    echo "deps: unknown package group '$group' (groups: ${known_groups[*]})" >&2
    exit 2
  }
done

is_required() { in_list "${group_of[$1]}" "${required_groups[@]}"; }

# One dpkg-query for every package: it prints the known ones (and fails on unknown ones).
declare -A installed
while read -r pkg want ok state; do
  [[ "$want $ok $state" == "install ok installed" ]] && installed[$pkg]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${wanted[@]}" 2>/dev/null || true)
missing=()
for pkg in "${wanted[@]}"; do
  [[ -n ${installed[$pkg]:-} ]] || missing+=("$pkg")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "deps: all ${#wanted[@]} packages present"
  exit 0
fi

missing_required=()
for pkg in "${missing[@]}"; do
  if is_required "$pkg"; then missing_required+=("$pkg"); fi
done
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    if [[ ${#missing_required[@]} -gt 0 ]]; then
      echo "deps: need root or sudo to install: ${missing[*]}" >&2
      exit 1
    fi
    echo "deps: not installed (no root or sudo to install them): ${missing[*]}" >&2
    exit 0
  fi
  sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -q
# A package the configured suites do not offer would fail the whole apt-get install: find those
# first (a simulation needs no root).
available=()
unavailable=()
for pkg in "${missing[@]}"; do
  if apt-get install -s -q --no-install-recommends "$pkg" >/dev/null 2>&1; then
    available+=("$pkg")
  else
    unavailable+=("$pkg")
  fi
done
if [[ ${#available[@]} -gt 0 ]]; then
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${available[@]}"
fi

status=0
for pkg in "${unavailable[@]}"; do
  echo "deps: cannot install $pkg: no configured apt suite offers it; Debian has it in ${suite_of[$pkg]}" \
       "(add that suite to the apt sources, e.g. a file in /etc/apt/sources.list.d/, and run this again)" >&2
  if is_required "$pkg"; then
    echo "deps: $pkg is needed here; without it: ${why_of[$pkg]}" >&2
    status=1
  else
    echo "deps: going on without $pkg; without it: ${why_of[$pkg]}" >&2
  fi
done
exit $status
