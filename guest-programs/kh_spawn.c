/* kh-spawn [--wait-go FD NAME] PROGRAM [ARG...]: marks the calling task as the guest and execs PROGRAM.
 *
 * The init (initramfs/rootfs/etc/init.d/rcS) starts every guest through this helper. The mark is
 * the personality(2) flag WHOLE_SECONDS: it has no effect on Linux, fork copies it and execve keeps
 * it (only the set-id bits of PER_CLEAR_ON_SETID and READ_IMPLIES_EXEC are cleared), so every task
 * the guest forks or execs carries it, and nothing else in the VM does. The trace engine's guest
 * condition reads it with one memory access: (current_task->personality & WHOLE_SECONDS) != 0.
 *
 * With --wait-go (kh.wait=1 on the kernel command line), it first prints KH-WAIT, waits for one
 * line on FD (the control port, ttyS1, opened by rcS before the marker: the UART drops what
 * arrives while nobody has it open), then prints KH-START NAME. The engine saves the machine at
 * KH-WAIT, so a restored run resumes right before the guest's exec: the shell's work and the fork
 * and exec of this helper are done once, at the snapshot's boot (under TCG a restored machine runs
 * every code path untranslated the first time: 18 ms of each run). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

/* Reads up to and including a newline (or to end of file: the guest starts either way, as it did
 * when rcS read the line itself). */
static void wait_for_line(int fd) {
  char c;
  for (;;) {
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0 || c == '\n') {
      return;
    }
  }
}

static int usage(void) {
  fprintf(stderr, "usage: kh-spawn [--wait-go FD NAME] PROGRAM [ARG...]\n");
  return 2;
}

int main(int argc, char **argv) {
  int program = 1;
  if (argc > 1 && strcmp(argv[1], "--wait-go") == 0) {
    if (argc < 5) {
      return usage();
    }
    char *end = NULL;
    long fd = strtol(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0' || fd < 0 || fd > 1024) {
      fprintf(stderr, "kh-spawn: --wait-go: '%s' is not a file descriptor\n", argv[2]);
      return 2;
    }
    /* Straight to the console (no stdio buffer): the engine waits for these lines. */
    dprintf(STDOUT_FILENO, "\nKH-WAIT\n");
    wait_for_line((int)fd);
    close((int)fd);
    dprintf(STDOUT_FILENO, "KH-START %s\n", argv[3]);
    program = 4;
  }
  if (argc <= program) {
    return usage();
  }
  int current = personality(0xffffffff);
  if (current == -1 || personality((unsigned long)current | WHOLE_SECONDS) == -1) {
    fprintf(stderr, "kh-spawn: personality: %s\n", strerror(errno));
    return 126;
  }
  execvp(argv[program], argv + program);
  fprintf(stderr, "kh-spawn: cannot run %s: %s\n", argv[program], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
