/* bind_mount: seed 002's data/binding experiment. A child in a new mount namespace makes / a
 * recursive slave (so nothing it mounts reaches other namespaces, `mount --make-rslave /`) and
 * bind-mounts data/binding/source onto data/binding/target. While it waits, the parent, a process
 * whose namespace did not change, looks at the same paths: the child sees the source's file "a" in
 * the target and has a mountinfo line for it; the parent sees an empty target and no such line. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/guest_common.h"

struct experiment {
  struct kh_options options;
  char source[PATH_MAX];
  char target[PATH_MAX];
  ino_t parent_mnt_ns;
  struct kh_handshake handshake;
};

/* The suffix that the root field of the bind's mountinfo line must end with: the bind mounts the
 * source directory of the file system, not its root. */
static bool ends_with(const char* text, const char* suffix) {
  size_t text_length = strlen(text);
  size_t suffix_length = strlen(suffix);
  return text_length >= suffix_length && strcmp(text + text_length - suffix_length, suffix) == 0;
}

static int child_main(void* arg) {
  struct experiment* ex = arg;
  kh_handshake_child_side(&ex->handshake);
  int failed = 0;
  ino_t own_ns = kh_namespace_id("mnt");
  failed |=
      kh_expect("new_ns.mnt_ns_differs", own_ns != 0 && own_ns != ex->parent_mnt_ns ? "yes" : "no", "yes");
  if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) != 0) {
    return kh_fail_errno("mount(/, MS_SLAVE|MS_REC)");
  }
  if (mount(ex->source, ex->target, NULL, MS_BIND, NULL) != 0) {
    return kh_fail_errno("mount(%s, %s, MS_BIND)", ex->source, ex->target);
  }
  char listing[1024];
  if (kh_list_dir(ex->target, listing, sizeof(listing)) < 0) {
    return kh_fail_errno("list %s", ex->target);
  }
  failed |= kh_expect("new_ns.target", listing, "a");
  struct kh_mount_entry entry;
  int found = kh_find_mount("/proc/self/mountinfo", ex->target, &entry);
  if (found < 0) {
    return kh_fail_errno("read /proc/self/mountinfo");
  }
  if (!found) {
    failed |= kh_fail("no mountinfo line for %s in the new namespace", ex->target);
  } else {
    kh_result("new_ns.mountinfo", "%s", entry.line);
    failed |= kh_expect("new_ns.mountinfo_root_is_source",
                        ends_with(entry.root, "/data/binding/source") ? "yes" : "no", "yes");
  }
  if (kh_handshake_tell_parent(&ex->handshake) != 0 || kh_handshake_wait_parent(&ex->handshake) != 0) {
    return kh_fail_errno("handshake with the parent");
  }
  return failed ? KH_EXIT_FAILED : KH_EXIT_OK;
}

int main(int argc, char** argv) {
  struct experiment ex;
  kh_parse_options(argc, argv,
                   "Bind data/binding/source onto data/binding/target in a new mount namespace and\n"
                   "compare with an unchanged process (seed 002).",
                   &ex.options);
  kh_path(ex.source, &ex.options, "/data/binding/source");
  kh_path(ex.target, &ex.options, "/data/binding/target");
  char file[PATH_MAX];
  kh_join(file, ex.source, "a");
  if (kh_mkdirs(ex.source, 0755) != 0 || kh_mkdirs(ex.target, 0755) != 0) {
    return kh_fail_errno("create data/binding under %s", ex.options.root);
  }
  if (kh_write_file(file, "a\n") != 0) {
    return kh_fail_errno("write %s", file);
  }
  char listing[1024];
  if (kh_list_dir(ex.target, listing, sizeof(listing)) != 0) {
    return kh_fail("%s must be an empty directory before the experiment", ex.target);
  }
  ex.parent_mnt_ns = kh_namespace_id("mnt");
  if (kh_handshake_open(&ex.handshake) != 0) {
    return kh_fail_errno("pipe");
  }
  pid_t child = kh_clone(child_main, &ex, CLONE_NEWNS | SIGCHLD);
  if (child < 0) {
    return kh_fail_errno("clone(CLONE_NEWNS)");
  }
  kh_handshake_parent_side(&ex.handshake);
  if (kh_handshake_wait_child(&ex.handshake) != 0) {
    kh_fail_errno("wait for the child's bind mount");
    return kh_wait_child(child, "the child in the new namespace") | KH_EXIT_FAILED;
  }

  /* The unchanged process, while the bind exists in the other namespace. */
  int failed = 0;
  if (kh_list_dir(ex.target, listing, sizeof(listing)) < 0) {
    failed = kh_fail_errno("list %s", ex.target);
  } else {
    failed |= kh_expect("old_ns.target", listing, "");
  }
  struct kh_mount_entry entry;
  int found = kh_find_mount("/proc/self/mountinfo", ex.target, &entry);
  if (found < 0) {
    failed = kh_fail_errno("read /proc/self/mountinfo");
  } else {
    failed |= kh_expect("old_ns.mountinfo", found ? entry.line : "none", "none");
  }
  if (kh_handshake_tell_child(&ex.handshake) != 0) {
    failed = kh_fail_errno("tell the child to finish");
  }
  failed |= kh_wait_child(child, "the child in the new namespace");
  return failed ? KH_EXIT_FAILED : KH_EXIT_OK;
}
