/* Lab: a bind mount in a mount namespace of your own.
 *
 * Read README.md first. kharness compiles this file (cc -static -g) and runs it as the only
 * program of a small Linux VM, with /lab/source/hello.txt and an empty /lab/target in it. The
 * teacher's scenario (lab.xml) stops the kernel where it builds mount namespaces and mount trees,
 * and checks what your program made it do.
 *
 * Run it:   kharness run labs/bind-mount/lab.xml
 * Explore:  kharness shell labs/bind-mount/lab.xml   (gdb stops at every breakpoint: try `bt`)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

static int fail(const char *what) {
  printf("KH-FAIL %s: %s\n", what, strerror(errno));
  return 1;
}

int main(void) {
  /* Step 1 (given): a mount namespace of our own. The kernel copies the whole mount tree for it
   * (copy_mnt_ns). */
  if (unshare(CLONE_NEWNS) != 0) {
    return fail("unshare(CLONE_NEWNS)");
  }
  /* Step 2 (given): mounts made from now on stay in this namespace (no propagation back). */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    return fail("mount --make-rprivate /");
  }

  /* ===================== YOUR PART =====================
   * Step 3: make the directory /lab/source visible at /lab/target as well: a bind mount
   *         (mount(2) with MS_BIND; see `man 2 mount`). Report a failure with fail("...").
   * Step 4: open /lab/target/hello.txt, read its first line and print it as
   *         "KH-RESULT hello=<the line>".
   * ===================================================== */

  return 0;
}
