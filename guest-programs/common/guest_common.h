/* What every guest program shares: options, result lines, file and mountinfo helpers.
 *
 * Conventions of every guest program:
 *   - `--root DIR` (default "/") is the directory the experiment treats as the image root, so the
 *     same logic runs in the VM (root "/") and on the host inside a temporary directory.
 *   - Results are machine-readable lines on stdout: "KH-RESULT name=value" (the value runs to the
 *     end of the line). A step that fails prints "KH-FAIL step: reason" on stderr.
 *   - Exit status 0: the experiment behaved as Linux documents; 1: it did not, or a step failed;
 *     2: bad usage.
 */
#ifndef KH_GUEST_COMMON_H
#define KH_GUEST_COMMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define KH_EXIT_OK 0
#define KH_EXIT_FAILED 1
#define KH_EXIT_USAGE 2

struct kh_options {
  char root[PATH_MAX]; /* absolute, no trailing slash except for "/" itself */
};

/* Parses `--root DIR` and `--help`. Prints usage and exits with KH_EXIT_USAGE on bad input, or
 * with KH_EXIT_FAILED when DIR does not exist. Makes stdout line-buffered so that result lines
 * and child output interleave in order. */
void kh_parse_options(int argc, char** argv, const char* description, struct kh_options* options);

/* Prints "KH-RESULT name=value". */
void kh_result(const char* name, const char* format, ...) __attribute__((format(printf, 2, 3)));

/* Reports a failed step with errno's text: "KH-FAIL step: strerror(errno)". Returns
 * KH_EXIT_FAILED so callers can `return kh_fail_errno(...)`. */
int kh_fail_errno(const char* format, ...) __attribute__((format(printf, 1, 2)));

/* Reports an expectation that did not hold: "KH-FAIL message". Returns KH_EXIT_FAILED. */
int kh_fail(const char* format, ...) __attribute__((format(printf, 1, 2)));

/* Prints "KH-RESULT name=actual" and returns 0 when actual equals expected; otherwise also
 * reports the mismatch and returns KH_EXIT_FAILED. */
int kh_expect(const char* name, const char* actual, const char* expected);

/* Writes root + image_path ("/myproc") into out (PATH_MAX bytes) and returns out. With root "/"
 * the result is image_path itself, which keeps the kernel's view of the paths identical to a run
 * without --root. */
const char* kh_path(char* out, const struct kh_options* options, const char* image_path);

/* Writes "dir/name" into out (PATH_MAX bytes) and returns out. Paths here are short (--root is
 * limited to PATH_MAX/2), so a path that does not fit is a bug: reported, and the program exits. */
const char* kh_join(char* out, const char* dir, const char* name);

/* mkdir -p with the given mode. Returns 0, or -1 with errno set. */
int kh_mkdirs(const char* path, mode_t mode);
/* Creates or truncates a file with this content. Returns 0, or -1 with errno set. */
int kh_write_file(const char* path, const char* content);
/* Reads up to size-1 bytes and NUL-terminates. Returns the length, or -1 with errno set. */
ssize_t kh_read_file(const char* path, char* buf, size_t size);
/* True when the path exists (lstat succeeds). */
bool kh_exists(const char* path);
/* The entries of a directory except "." and "..", sorted, comma-separated. Returns the number of
 * entries, or -1 with errno set. */
int kh_list_dir(const char* path, char* out, size_t size);

/* The inode number of /proc/self/ns/<kind>: two processes share the namespace iff they match.
 * Returns 0 with errno set on failure. */
ino_t kh_namespace_id(const char* kind);

/* One line of /proc/<pid>/mountinfo (see proc(5)). */
struct kh_mount_entry {
  int id;
  int parent_id;
  char root[PATH_MAX];        /* the directory of the file system mounted here */
  char mount_point[PATH_MAX]; /* relative to the reader's root */
  char optional[256];         /* the optional fields ("shared:1 master:2"), "" when none */
  char fstype[64];
  char line[2 * PATH_MAX + 512]; /* the whole line, without the newline */
};

/* Finds the topmost mount on mount_point in a mountinfo file (e.g. "/proc/self/mountinfo").
 * Returns 1 when found, 0 when nothing is mounted there, -1 with errno set on a read error. */
int kh_find_mount(const char* mountinfo_path, const char* mount_point, struct kh_mount_entry* entry);
/* Counts the lines of a mountinfo file read from an open descriptor (from its start). Returns -1
 * with errno set on a read error. */
int kh_count_mounts_fd(int fd);
/* True when any mount of the caller's namespace is shared (has a "shared:N" optional field). */
bool kh_any_shared_mount(void);
/* The propagation type that the optional fields show: "shared", "master" (a slave) or "private". */
const char* kh_propagation_tag(const char* optional);
/* The peer group number after "shared:" or "master:" in the optional fields, or -1. */
int kh_peer_group(const char* optional, const char* tag);

/* clone(2) on a static 1 MiB stack: one cloned child at a time per program. Returns the child's
 * pid, or -1 with errno set. */
pid_t kh_clone(int (*child_main)(void*), void* arg, int flags);
/* Waits for a child and reports how it ended. Returns 0 when it exited with status 0, otherwise
 * reports the failure and returns KH_EXIT_FAILED. */
int kh_wait_child(pid_t pid, const char* what);

/* A pair of pipes that lets a parent and one child take turns (no sleeps). After fork/clone each
 * side closes the other's ends, so a side that dies is seen as end-of-file, never as a hang. */
struct kh_handshake {
  int to_parent[2];
  int to_child[2];
};
/* Returns 0, or -1 with errno set. */
int kh_handshake_open(struct kh_handshake* handshake);
/* Keeps the ends this side uses and closes the others. */
void kh_handshake_child_side(struct kh_handshake* handshake);
void kh_handshake_parent_side(struct kh_handshake* handshake);
/* Sends one byte to the other side. Returns 0, or -1 with errno set. */
int kh_handshake_tell_parent(const struct kh_handshake* handshake);
int kh_handshake_tell_child(const struct kh_handshake* handshake);
/* Waits for the other side's byte. Returns 0, or -1 when the other side went away first (errno is
 * then EPIPE) or the read failed. */
int kh_handshake_wait_child(const struct kh_handshake* handshake);
int kh_handshake_wait_parent(const struct kh_handshake* handshake);

#endif
