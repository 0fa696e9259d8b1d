/* pivot_root: seed 002's root switch. A child in a new mount namespace makes / a recursive slave,
 * bind-mounts the new root (data/busybox/rootfs) onto itself so that it is a mount point,
 * pivot_root()s into it with the old root put on /.oldrootfs, detaches the old root
 * (umount2 MNT_DETACH) and lists /: only the new root's own files are left.
 *
 * One step more than the seed: pivot_root(2) refuses to move a root that is not attached to a
 * parent mount, and the initramfs root (rootfs) is such a root ("The rootfs (initial ramfs) cannot
 * be pivot_root()ed", pivot_root(2) NOTES). So the child first binds data/busybox onto itself and
 * chroots into it; that bind mount has a parent, and it is the root that pivot_root moves away.
 * The same steps run on the host, so the host run checks what the VM runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/guest_common.h"

struct experiment {
  struct kh_options options;
  char jail[PATH_MAX]; /* data/busybox: the attached root that pivot_root moves away */
};

static int child_main(void* arg) {
  const struct experiment* ex = arg;
  int failed = 0;
  char listing[1024];

  if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) != 0) {
    return kh_fail_errno("mount(/, MS_SLAVE|MS_REC)");
  }
  /* /proc stays reachable through this descriptor after the root has moved. */
  int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0) {
    return kh_fail_errno("open /proc");
  }
  if (mount(ex->jail, ex->jail, NULL, MS_BIND, NULL) != 0) {
    return kh_fail_errno("mount(%s, %s, MS_BIND)", ex->jail, ex->jail);
  }
  if (chdir(ex->jail) != 0 || chroot(".") != 0) {
    return kh_fail_errno("chroot into %s", ex->jail);
  }
  /* pivot_root wants the new root to be a mount point. */
  if (mount("/rootfs", "/rootfs", NULL, MS_BIND, NULL) != 0) {
    return kh_fail_errno("mount(/rootfs, /rootfs, MS_BIND)");
  }
  if (syscall(SYS_pivot_root, "/rootfs", "/rootfs/.oldrootfs") != 0) {
    return kh_fail_errno("pivot_root(/rootfs, /rootfs/.oldrootfs)");
  }
  kh_result("pivot_root", "ok");
  if (chdir("/") != 0) {
    return kh_fail_errno("chdir /");
  }
  if (kh_list_dir("/.oldrootfs", listing, sizeof(listing)) < 0) {
    return kh_fail_errno("list /.oldrootfs");
  }
  failed |= kh_expect("old_root", listing, "rootfs");
  if (umount2("/.oldrootfs", MNT_DETACH) != 0) {
    return kh_fail_errno("umount2(/.oldrootfs, MNT_DETACH)");
  }
  if (kh_list_dir("/", listing, sizeof(listing)) < 0) {
    return kh_fail_errno("list /");
  }
  failed |= kh_expect("root", listing, ".oldrootfs,README");
  if (kh_list_dir("/.oldrootfs", listing, sizeof(listing)) < 0) {
    return kh_fail_errno("list /.oldrootfs");
  }
  /* What is left under /.oldrootfs is the new root's own placeholder file. */
  failed |= kh_expect("old_root_detached", strcmp(listing, "README") == 0 ? "yes" : "no", "yes");

  /* Opened after the switch, mountinfo is read relative to the new root: one mount is left. */
  int mountinfo_fd = openat(proc_fd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (mountinfo_fd < 0) {
    return kh_fail_errno("open /proc/self/mountinfo");
  }
  int mounts = kh_count_mounts_fd(mountinfo_fd);
  if (mounts < 0) {
    return kh_fail_errno("read /proc/self/mountinfo");
  }
  char count[16];
  snprintf(count, sizeof(count), "%d", mounts);
  failed |= kh_expect("visible_mounts", count, "1");
  close(mountinfo_fd);
  close(proc_fd);
  return failed ? KH_EXIT_FAILED : KH_EXIT_OK;
}

int main(int argc, char** argv) {
  struct experiment ex;
  kh_parse_options(argc, argv,
                   "New mount namespace, / made rslave, new root bound onto itself, pivot_root, old\n"
                   "root detached, / listed (seed 002).",
                   &ex.options);
  kh_path(ex.jail, &ex.options, "/data/busybox");
  char path[PATH_MAX];
  kh_join(path, ex.jail, "rootfs/.oldrootfs");
  if (kh_mkdirs(path, 0755) != 0) {
    return kh_fail_errno("mkdir %s", path);
  }
  kh_join(path, ex.jail, "rootfs/README");
  if (kh_write_file(path, "the new root of the pivot_root experiment\n") != 0) {
    return kh_fail_errno("write %s", path);
  }
  kh_join(path, ex.jail, "rootfs/.oldrootfs/README");
  if (kh_write_file(path, "the old root is mounted over this directory until it is detached\n") != 0) {
    return kh_fail_errno("write %s", path);
  }
  char listing[1024];
  kh_join(path, ex.jail, "rootfs");
  if (kh_list_dir(path, listing, sizeof(listing)) < 0 || strcmp(listing, ".oldrootfs,README") != 0) {
    return kh_fail("%s must hold only .oldrootfs and README before the experiment", path);
  }
  pid_t child = kh_clone(child_main, &ex, CLONE_NEWNS | SIGCHLD);
  if (child < 0) {
    return kh_fail_errno("clone(CLONE_NEWNS)");
  }
  return kh_wait_child(child, "the pivoting child");
}
