#!/bin/sh
# Builds the small kernel history the bisect tests run on, once: Debian's linux-source-6.1 as one
# commit, then six commits touching fs/namespace.c. Prints the repository's path.
#
#   base  the tree as Debian ships it                  (the good end)
#   c1    a comment                                    good
#   c2    a comment                                    good
#   c3    a syntax error: the kernel does not build    skipped
#   c4    the error fixed                              good
#   c5    do_loopback renamed do_loopback_bisect       the first bad commit
#   c6    a comment                                    bad (the bad end)
#
# Usage: make_history.sh CACHE_DIR [TARBALL]; the history lives in CACHE_DIR/repo. A complete
# history (tag kh-bisect-complete) is reused; otherwise the commits after the base are made again
# (the base commit, the expensive part, is kept once it exists).
set -eu
cache=$1
tarball=${2:-/usr/src/linux-source-6.1.tar.xz}
repo=$cache/repo
mkdir -p "$cache"
if git -C "$repo" rev-parse -q --verify refs/tags/kh-bisect-complete >/dev/null 2>&1; then
  echo "$repo"
  exit 0
fi
if ! git -C "$repo" rev-parse -q --verify refs/tags/kh-bisect-base >/dev/null 2>&1; then
  if [ ! -f "$tarball" ]; then
    echo "make_history.sh: $tarball is missing (apt-get install linux-source-6.1)" >&2
    exit 1
  fi
  rm -rf "$repo" "$repo.tmp"
  mkdir -p "$repo.tmp"
  tar -xf "$tarball" -C "$repo.tmp" --strip-components=1
  # Debian's packaging leaves a top-level .gitignore that ignores everything (`/*`).
  rm -f "$repo.tmp/.gitignore"
  git -C "$repo.tmp" init -q
  git -C "$repo.tmp" config gc.auto 0
  git -C "$repo.tmp" add -f .
  GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z" \
    git -C "$repo.tmp" -c user.name="Bisect Test" -c user.email=bisect@example.invalid \
    commit -q -m "base: Debian linux-source-6.1"
  git -C "$repo.tmp" tag kh-bisect-base
  mv "$repo.tmp" "$repo"
fi
cd "$repo"
git config user.name "Bisect Test"
git config user.email "bisect@example.invalid"
git checkout -q -f --detach kh-bisect-base
for tag in kh-bisect-c1 kh-bisect-c2 kh-bisect-c3 kh-bisect-c4 kh-bisect-c5 kh-bisect-c6; do
  git tag -d "$tag" >/dev/null 2>&1 || true
done

commit() {
  GIT_AUTHOR_DATE="2024-01-0$1T00:00:00Z" GIT_COMMITTER_DATE="2024-01-0$1T00:00:00Z" \
    git commit -q -a -m "$2"
  git tag "$3"
}
printf '\n/* bisect test: a harmless comment */\n' >> fs/namespace.c
commit 2 "namespace: a harmless comment" kh-bisect-c1
printf '\n/* bisect test: a second harmless comment */\n' >> fs/namespace.c
commit 3 "namespace: a second harmless comment" kh-bisect-c2
printf '\nint kh_bisect_broken = ;\n' >> fs/namespace.c
commit 4 "namespace: a commit that does not build" kh-bisect-c3
sed -i 's/^int kh_bisect_broken = ;$/\/* the syntax error is gone *\//' fs/namespace.c
commit 5 "namespace: fix the build" kh-bisect-c4
sed -i 's/\bdo_loopback\b/do_loopback_bisect/g' fs/namespace.c
commit 6 "namespace: rename do_loopback" kh-bisect-c5
printf '\n/* bisect test: another comment */\n' >> fs/namespace.c
commit 7 "namespace: another comment" kh-bisect-c6
git tag kh-bisect-complete
echo "$repo"
