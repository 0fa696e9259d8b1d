/* mnt_ns_clone: the experiment of seeds 000 and 003. A child made with
 * clone(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC|SIGCHLD) gets its own hostname, mounts
 * proc for its new pid namespace, bind-mounts /myproc onto /mount_dir_test and reads the source's
 * file there; the parent, once the child has exited, does not see it.
 *
 * The kernel path this makes traceable (the trace filters on the task name "mnt_ns_clone"; the
 * child keeps it, as clone copies the comm):
 *   copy_mnt_ns <- create_new_namespaces <- copy_namespaces <- copy_process <- (_do_fork |
 *   kernel_clone) <- __do_sys_clone, then for the bind mount
 *   attach_recursive_mnt <- graft_tree <- do_loopback <- (do_mount | path_mount) ...
 * The proc mount comes first and also reaches attach_recursive_mnt (through do_new_mount); the
 * bind is the second hit of the child.
 *
 * Why /myproc is a plain directory of the image and not a mount point: for a bind mount,
 * do_loopback() clones the mount that holds the source with clone_mnt(old, old_path.dentry), and
 * clone_mnt() sets the clone's mnt_mountpoint to its own root dentry, the source directory. So at
 * attach_recursive_mnt, source_mnt->mnt_mountpoint->d_name.name is "myproc" and
 * dest_mp->m_dentry->d_name.name is "mount_dir_test", as in seed 000's gdb session. Were something
 * mounted on /myproc, the lookup would cross into that mount and the name would be "/". */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/guest_common.h"

static const char kChildHostname[] = "container";
static const char kSourceFile[] = "mount_test.txt";
static const char kSourceContent[] = "written into /myproc, read through /mount_dir_test\n";

struct experiment {
  struct kh_options options;
  char source[PATH_MAX]; /* /myproc */
  char target[PATH_MAX]; /* /mount_dir_test */
  char proc[PATH_MAX];   /* /proc */
  char source_file[PATH_MAX];
  char target_file[PATH_MAX];
};

static int child_main(void* arg) {
  const struct experiment* ex = arg;
  int failed = 0;
  char text[256];

  /* A new pid namespace: the child is its init. */
  snprintf(text, sizeof(text), "%d", (int)getpid());
  failed |= kh_expect("child.pid", text, "1");

  if (sethostname(kChildHostname, strlen(kChildHostname)) != 0) {
    return kh_fail_errno("sethostname(%s)", kChildHostname);
  }
  struct utsname uts;
  if (uname(&uts) != 0) {
    return kh_fail_errno("uname");
  }
  failed |= kh_expect("child.hostname", uts.nodename, kChildHostname);

  /* A copy of a shared mount stays in its peer group, and the bind would show up in the parent's
   * namespace. mount_namespaces(7): make the copies private first. Only needed when something is
   * shared (a systemd host); the initramfs root is private, so the VM trace stays as in seed 000. */
  if (kh_any_shared_mount() && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    return kh_fail_errno("mount(/, MS_REC|MS_PRIVATE)");
  }

  /* proc of the new pid namespace: /proc/self is then pid 1. */
  if (mount("proc", ex->proc, "proc", 0, NULL) != 0) {
    return kh_fail_errno("mount(proc, %s)", ex->proc);
  }
  char self_link[PATH_MAX];
  char self_target[64];
  kh_join(self_link, ex->proc, "self");
  ssize_t length = readlink(self_link, self_target, sizeof(self_target) - 1);
  if (length < 0) {
    return kh_fail_errno("readlink(%s)", self_link);
  }
  self_target[length] = '\0';
  failed |= kh_expect("child.proc_self", self_target, "1");

  if (mount(ex->source, ex->target, NULL, MS_BIND, NULL) != 0) {
    return kh_fail_errno("mount(%s, %s, MS_BIND)", ex->source, ex->target);
  }
  char content[256];
  if (kh_read_file(ex->target_file, content, sizeof(content)) < 0) {
    return kh_fail_errno("read %s in the child", ex->target_file);
  }
  failed |= kh_expect("child.sees_bind", strcmp(content, kSourceContent) == 0 ? "yes" : "no", "yes");

  struct kh_mount_entry entry;
  int found = kh_find_mount("/proc/self/mountinfo", ex->target, &entry);
  if (found < 0) {
    return kh_fail_errno("read /proc/self/mountinfo");
  }
  failed |= kh_expect("child.target_is_mount_point", found ? "yes" : "no", "yes");
  return failed ? KH_EXIT_FAILED : KH_EXIT_OK;
}

int main(int argc, char** argv) {
  struct experiment ex;
  kh_parse_options(argc, argv,
                   "clone(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC); the child bind-mounts\n"
                   "/myproc onto /mount_dir_test (seeds 000 and 003).",
                   &ex.options);
  kh_path(ex.source, &ex.options, "/myproc");
  kh_path(ex.target, &ex.options, "/mount_dir_test");
  kh_path(ex.proc, &ex.options, "/proc");
  kh_join(ex.source_file, ex.source, kSourceFile);
  kh_join(ex.target_file, ex.target, kSourceFile);

  if (kh_mkdirs(ex.source, 0755) != 0 || kh_mkdirs(ex.target, 0755) != 0 || kh_mkdirs(ex.proc, 0555) != 0) {
    return kh_fail_errno("create the experiment's directories under %s", ex.options.root);
  }
  if (kh_write_file(ex.source_file, kSourceContent) != 0) {
    return kh_fail_errno("write %s", ex.source_file);
  }
  if (kh_exists(ex.target_file)) {
    return kh_fail("%s exists before the bind mount: the experiment would prove nothing", ex.target_file);
  }

  char parent_hostname[HOST_NAME_MAX + 1];
  if (gethostname(parent_hostname, sizeof(parent_hostname)) != 0) {
    return kh_fail_errno("gethostname");
  }

  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
  pid_t child = kh_clone(child_main, &ex, flags);
  if (child < 0) {
    return kh_fail_errno("clone(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC)");
  }
  kh_result("clone", "ok");
  int failed = kh_wait_child(child, "the cloned child");
  kh_result("child.exit", "%s", failed ? "failed" : "ok");

  /* The child's namespace died with it; this one never had the bind. */
  failed |= kh_expect("parent.sees_bind", kh_exists(ex.target_file) ? "yes" : "no", "no");
  char hostname_now[HOST_NAME_MAX + 1];
  if (gethostname(hostname_now, sizeof(hostname_now)) != 0) {
    return kh_fail_errno("gethostname");
  }
  failed |= kh_expect("parent.hostname_unchanged", strcmp(hostname_now, parent_hostname) == 0 ? "yes" : "no",
                      "yes");
  return failed ? KH_EXIT_FAILED : KH_EXIT_OK;
}
