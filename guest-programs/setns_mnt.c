/* setns_mnt: join another process's mount namespace through /proc/PID/ns/mnt (seed 000's setns
 * description) and see its mounts. A forked child unshares its mount namespace and mounts a tmpfs
 * on data/setns with a file in it; the parent checks that it cannot see that file, opens
 * /proc/CHILD/ns/mnt, calls setns(fd, CLONE_NEWNS), and then sees the tmpfs and the file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/guest_common.h"

static const char kMarkerContent[] = "mounted in the other mount namespace\n";

struct experiment {
  struct kh_options options;
  char dir[PATH_MAX];
  char marker[PATH_MAX];
  struct kh_handshake handshake;
};

/* The process whose namespace the parent joins. Returns its exit status. */
static int run_holder(struct experiment* ex) {
  kh_handshake_child_side(&ex->handshake);
  if (unshare(CLONE_NEWNS) != 0) {
    return kh_fail_errno("unshare(CLONE_NEWNS)");
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    return kh_fail_errno("mount(/, MS_REC|MS_PRIVATE)");
  }
  if (mount("setns", ex->dir, "tmpfs", 0, "size=64k") != 0) {
    return kh_fail_errno("mount(tmpfs, %s)", ex->dir);
  }
  if (kh_write_file(ex->marker, kMarkerContent) != 0) {
    return kh_fail_errno("write %s", ex->marker);
  }
  if (kh_handshake_tell_parent(&ex->handshake) != 0 || kh_handshake_wait_parent(&ex->handshake) != 0) {
    return kh_fail_errno("handshake with the parent");
  }
  return KH_EXIT_OK;
}

/* The parent's side, between the holder's mount and its exit. */
static int join_and_look(const struct experiment* ex, pid_t holder) {
  int failed = 0;
  failed |= kh_expect("before.sees_mount", kh_exists(ex->marker) ? "yes" : "no", "no");

  char ns_path[64];
  snprintf(ns_path, sizeof(ns_path), "/proc/%d/ns/mnt", (int)holder);
  struct stat holder_ns;
  if (stat(ns_path, &holder_ns) != 0) {
    return kh_fail_errno("stat %s", ns_path);
  }
  int fd = open(ns_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return kh_fail_errno("open %s", ns_path);
  }
  if (setns(fd, CLONE_NEWNS) != 0) {
    int status = kh_fail_errno("setns(%s, CLONE_NEWNS)", ns_path);
    close(fd);
    return status;
  }
  close(fd);
  kh_result("setns", "ok");
  failed |= kh_expect("after.same_mnt_ns", kh_namespace_id("mnt") == holder_ns.st_ino ? "yes" : "no", "yes");

  char content[256];
  if (kh_read_file(ex->marker, content, sizeof(content)) < 0) {
    failed |= kh_fail_errno("read %s after setns", ex->marker);
  } else {
    failed |= kh_expect("after.sees_mount", strcmp(content, kMarkerContent) == 0 ? "yes" : "no", "yes");
  }
  struct kh_mount_entry entry;
  int found = kh_find_mount("/proc/self/mountinfo", ex->dir, &entry);
  if (found < 0) {
    return kh_fail_errno("read /proc/self/mountinfo");
  }
  failed |= kh_expect("after.fstype", found ? entry.fstype : "none", "tmpfs");
  return failed;
}

int main(int argc, char** argv) {
  struct experiment ex;
  kh_parse_options(argc, argv,
                   "Join another process's mount namespace with setns(2) through /proc/PID/ns/mnt\n"
                   "and see its tmpfs on data/setns.",
                   &ex.options);
  kh_path(ex.dir, &ex.options, "/data/setns");
  kh_join(ex.marker, ex.dir, "setns_mnt.txt");
  if (kh_mkdirs(ex.dir, 0755) != 0) {
    return kh_fail_errno("mkdir %s", ex.dir);
  }
  if (kh_exists(ex.marker)) {
    return kh_fail("%s exists before the experiment", ex.marker);
  }
  if (kh_handshake_open(&ex.handshake) != 0) {
    return kh_fail_errno("pipe");
  }
  fflush(NULL);
  pid_t holder = fork();
  if (holder < 0) {
    return kh_fail_errno("fork");
  }
  if (holder == 0) {
    _exit(run_holder(&ex));
  }
  kh_handshake_parent_side(&ex.handshake);
  int failed = 0;
  if (kh_handshake_wait_child(&ex.handshake) != 0) {
    failed = kh_fail_errno("wait for the other namespace's mount");
  } else {
    failed |= join_and_look(&ex, holder);
    if (kh_handshake_tell_child(&ex.handshake) != 0) {
      failed = kh_fail_errno("tell the holder to finish");
    }
  }
  failed |= kh_wait_child(holder, "the namespace holder");
  return failed ? KH_EXIT_FAILED : KH_EXIT_OK;
}
