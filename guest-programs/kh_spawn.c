/* kh-spawn PROGRAM [ARG...]: marks the calling task as the guest and execs PROGRAM.
 *
 * The init (initramfs/rootfs/etc/init.d/rcS) starts every guest through this helper. The mark is
 * the personality(2) flag WHOLE_SECONDS: it has no effect on Linux, fork copies it and execve keeps
 * it (only the set-id bits of PER_CLEAR_ON_SETID and READ_IMPLIES_EXEC are cleared), so every task
 * the guest forks or execs carries it, and nothing else in the VM does. The trace engine's guest
 * condition reads it with one memory access: (current_task->personality & WHOLE_SECONDS) != 0. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: kh-spawn PROGRAM [ARG...]\n");
    return 2;
  }
  int current = personality(0xffffffff);
  if (current == -1 || personality((unsigned long)current | WHOLE_SECONDS) == -1) {
    fprintf(stderr, "kh-spawn: personality: %s\n", strerror(errno));
    return 126;
  }
  execvp(argv[1], argv + 1);
  fprintf(stderr, "kh-spawn: cannot run %s: %s\n", argv[1], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
