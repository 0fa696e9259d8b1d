/* hit_loop: makes one cheap system call a given number of times, or waits forever.
 *
 * It is the guest of kharness's own measurements and failure tests, not a seed experiment:
 *   hit_loop --count N   calls umask(2) N times (a breakpoint on __x64_sys_umask is hit N times),
 *                        prints "KH-RESULT calls=N" and exits 0;
 *   hit_loop --forever   never exits (the TIMEOUT test: a guest that hangs).
 * umask(2) is used because nothing else in the guest calls it in a loop and it has no side effect
 * that matters: the mask only affects files this process would create, and it creates none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/guest_common.h"

static int usage(void) {
  fprintf(stderr, "usage: hit_loop --count N | --forever\n");
  return KH_EXIT_USAGE;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 2 && strcmp(argv[1], "--forever") == 0) {
    kh_result("waiting", "forever");
    for (;;) {
      pause();
    }
  }
  if (argc != 3 || strcmp(argv[1], "--count") != 0) {
    return usage();
  }
  char* end = NULL;
  long count = strtol(argv[2], &end, 10);
  if (end == argv[2] || *end != '\0' || count < 0 || count > 100000000) {
    return usage();
  }
  for (long i = 0; i < count; ++i) {
    umask(022);
  }
  kh_result("calls", "%ld", count);
  return KH_EXIT_OK;
}
