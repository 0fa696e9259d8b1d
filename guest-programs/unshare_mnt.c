/* unshare_mnt: what `unshare -m` does (seed 003, from its strace): unshare(CLONE_NEWNS), then
 * mount("none", "/", NULL, MS_REC|MS_PRIVATE, NULL), then a tmpfs mount on /mnt that the parent
 * namespace cannot see.
 *
 * A forked child does the unshare, so that a process of the old namespace (the parent) is there to
 * look: while the child waits, the parent checks that neither /mnt nor its own mountinfo shows the
 * tmpfs, while the child's /proc/PID/mountinfo does. Kernel path: copy_mnt_ns <-
 * create_new_namespaces <- unshare_nsproxy_namespaces <- ksys_unshare <- __x64_sys_unshare. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/guest_common.h"

static const char kMarkerName[] = "unshare_mnt.txt";

struct experiment {
  struct kh_options options;
  char mnt[PATH_MAX];
  char marker[PATH_MAX];
  struct kh_handshake handshake;
};

/* The `unshare -m` side. Returns the exit status of the child. */
static int run_child(struct experiment* ex) {
  kh_handshake_child_side(&ex->handshake);
  ino_t before = kh_namespace_id("mnt");
  if (unshare(CLONE_NEWNS) != 0) {
    return kh_fail_errno("unshare(CLONE_NEWNS)");
  }
  kh_result("child.unshare", "ok");
  ino_t after = kh_namespace_id("mnt");
  int failed =
      kh_expect("child.mnt_ns_changed", before != 0 && after != 0 && before != after ? "yes" : "no", "yes");
  /* What unshare(1) does next with its default --propagation private. */
  if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    return kh_fail_errno("mount(none, /, MS_REC|MS_PRIVATE)");
  }
  if (mount("tmpfs", ex->mnt, "tmpfs", 0, "size=64k") != 0) {
    return kh_fail_errno("mount(tmpfs, %s)", ex->mnt);
  }
  if (kh_write_file(ex->marker, "only in the unshared mount namespace\n") != 0) {
    return kh_fail_errno("write %s", ex->marker);
  }
  struct kh_mount_entry entry;
  int found = kh_find_mount("/proc/self/mountinfo", ex->mnt, &entry);
  if (found < 0) {
    return kh_fail_errno("read /proc/self/mountinfo");
  }
  failed |= kh_expect("child.mnt_fstype", found ? entry.fstype : "none", "tmpfs");
  if (kh_handshake_tell_parent(&ex->handshake) != 0 || kh_handshake_wait_parent(&ex->handshake) != 0) {
    return kh_fail_errno("handshake with the parent");
  }
  return failed ? KH_EXIT_FAILED : KH_EXIT_OK;
}

int main(int argc, char** argv) {
  struct experiment ex;
  kh_parse_options(argc, argv, "unshare(CLONE_NEWNS), make / private, mount a tmpfs on /mnt (seed 003).",
                   &ex.options);
  kh_path(ex.mnt, &ex.options, "/mnt");
  kh_join(ex.marker, ex.mnt, kMarkerName);
  if (kh_mkdirs(ex.mnt, 0755) != 0) {
    return kh_fail_errno("mkdir %s", ex.mnt);
  }
  if (kh_exists(ex.marker)) {
    return kh_fail("%s exists before the experiment", ex.marker);
  }
  if (kh_handshake_open(&ex.handshake) != 0) {
    return kh_fail_errno("pipe");
  }
  fflush(NULL);
  pid_t child = fork();
  if (child < 0) {
    return kh_fail_errno("fork");
  }
  if (child == 0) {
    _exit(run_child(&ex));
  }
  kh_handshake_parent_side(&ex.handshake);
  int failed = 0;
  if (kh_handshake_wait_child(&ex.handshake) != 0) {
    kh_fail_errno("wait for the child's tmpfs mount");
    return kh_wait_child(child, "the unsharing child") | KH_EXIT_FAILED;
  }

  /* The parent is still in the old namespace: no tmpfs, no marker. */
  struct kh_mount_entry entry;
  int found = kh_find_mount("/proc/self/mountinfo", ex.mnt, &entry);
  if (found < 0) {
    failed = kh_fail_errno("read /proc/self/mountinfo");
  } else {
    failed |=
        kh_expect("parent.sees_tmpfs", found && strcmp(entry.fstype, "tmpfs") == 0 ? "yes" : "no", "no");
  }
  failed |= kh_expect("parent.sees_marker", kh_exists(ex.marker) ? "yes" : "no", "no");
  char child_mountinfo[64];
  snprintf(child_mountinfo, sizeof(child_mountinfo), "/proc/%d/mountinfo", (int)child);
  found = kh_find_mount(child_mountinfo, ex.mnt, &entry);
  if (found < 0) {
    failed = kh_fail_errno("read %s", child_mountinfo);
  } else {
    failed |= kh_expect("parent.child_mountinfo_has_tmpfs",
                        found && strcmp(entry.fstype, "tmpfs") == 0 ? "yes" : "no", "yes");
  }
  if (kh_handshake_tell_child(&ex.handshake) != 0) {
    failed = kh_fail_errno("tell the child to finish");
  }
  failed |= kh_wait_child(child, "the unsharing child");
  return failed ? KH_EXIT_FAILED : KH_EXIT_OK;
}
