#define _GNU_SOURCE
#include "guest_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define KH_STACK_SIZE (1024 * 1024)

/* The cloned child runs on this stack; clone(2) wants its top. */
static char child_stack[KH_STACK_SIZE] __attribute__((aligned(16)));

static const char* program_name = "guest";

static void print_usage(FILE* out, const char* description) {
  fprintf(out,
          "usage: %s [--root DIR]\n"
          "%s\n"
          "  --root DIR  treat DIR as the image root (default /); run it as root in a\n"
          "              private mount namespace, e.g. `unshare -m --propagation private`\n",
          program_name, description);
}

void kh_parse_options(int argc, char** argv, const char* description, struct kh_options* options) {
  const char* root = "/";
  const char* slash = strrchr(argv[0], '/');
  program_name = slash != NULL ? slash + 1 : argv[0];
  /* Line-buffered even on a pipe: KH-RESULT lines must not sit in a buffer that a fork copies. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      print_usage(stdout, description);
      exit(KH_EXIT_OK);
    } else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
      root = argv[++i];
    } else if (strncmp(argv[i], "--root=", 7) == 0) {
      root = argv[i] + 7;
    } else {
      fprintf(stderr, "%s: unexpected argument '%s'\n", program_name, argv[i]);
      print_usage(stderr, description);
      exit(KH_EXIT_USAGE);
    }
  }
  /* Absolute and canonical: mount points in mountinfo are compared with these paths. */
  if (realpath(root, options->root) == NULL) {
    fprintf(stderr, "KH-FAIL --root %s: %s\n", root, strerror(errno));
    exit(KH_EXIT_FAILED);
  }
  if (strlen(options->root) > PATH_MAX / 2) {
    fprintf(stderr, "KH-FAIL --root %s: longer than %d characters\n", root, PATH_MAX / 2);
    exit(KH_EXIT_USAGE);
  }
}

void kh_result(const char* name, const char* format, ...) {
  va_list args;
  va_start(args, format);
  printf("KH-RESULT %s=", name);
  vprintf(format, args);
  printf("\n");
  va_end(args);
}

int kh_fail_errno(const char* format, ...) {
  int saved = errno;
  va_list args;
  va_start(args, format);
  fflush(stdout);
  fprintf(stderr, "KH-FAIL ");
  vfprintf(stderr, format, args);
  fprintf(stderr, ": %s\n", strerror(saved));
  va_end(args);
  errno = saved;
  return KH_EXIT_FAILED;
}

int kh_fail(const char* format, ...) {
  va_list args;
  va_start(args, format);
  fflush(stdout);
  fprintf(stderr, "KH-FAIL ");
  vfprintf(stderr, format, args);
  fprintf(stderr, "\n");
  va_end(args);
  return KH_EXIT_FAILED;
}

int kh_expect(const char* name, const char* actual, const char* expected) {
  kh_result(name, "%s", actual);
  if (strcmp(actual, expected) != 0) {
    return kh_fail("%s is '%s', expected '%s'", name, actual, expected);
  }
  return KH_EXIT_OK;
}

/* Writes a formatted path into out (PATH_MAX bytes); exits when it does not fit. */
static const char* format_path(char* out, const char* format, const char* a, const char* b) {
  int n = snprintf(out, PATH_MAX, format, a, b);
  if (n < 0 || n >= PATH_MAX) {
    fprintf(stderr, "KH-FAIL path too long: %s/%s\n", a, b);
    exit(KH_EXIT_FAILED);
  }
  return out;
}

const char* kh_path(char* out, const struct kh_options* options, const char* image_path) {
  if (strcmp(options->root, "/") == 0) {
    return format_path(out, "%s%s", "", image_path);
  }
  return format_path(out, "%s%s", options->root, image_path);
}

const char* kh_join(char* out, const char* dir, const char* name) {
  return format_path(out, "%s/%s", dir, name);
}

int kh_mkdirs(const char* path, mode_t mode) {
  char partial[PATH_MAX];
  size_t length = strlen(path);
  if (length >= sizeof(partial)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(partial, path, length + 1);
  for (size_t i = 1; i <= length; ++i) {
    if (partial[i] == '/' || partial[i] == '\0') {
      char saved = partial[i];
      partial[i] = '\0';
      if (mkdir(partial, mode) != 0 && errno != EEXIST) {
        return -1;
      }
      partial[i] = saved;
    }
  }
  return 0;
}

int kh_write_file(const char* path, const char* content) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return -1;
  }
  size_t length = strlen(content);
  ssize_t written = write(fd, content, length);
  int saved = errno;
  close(fd);
  if (written != (ssize_t)length) {
    errno = written < 0 ? saved : EIO;
    return -1;
  }
  return 0;
}

ssize_t kh_read_file(const char* path, char* buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return -1;
  }
  size_t total = 0;
  while (total + 1 < size) {
    ssize_t n = read(fd, buf + total, size - 1 - total);
    if (n < 0) {
      int saved = errno;
      close(fd);
      errno = saved;
      return -1;
    }
    if (n == 0) {
      break;
    }
    total += (size_t)n;
  }
  buf[total] = '\0';
  close(fd);
  return (ssize_t)total;
}

bool kh_exists(const char* path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

static int compare_names(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

int kh_list_dir(const char* path, char* out, size_t size) {
  DIR* dir = opendir(path);
  if (dir == NULL) {
    return -1;
  }
  char* names[256];
  int count = 0;
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL && count < 256) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
      continue;
    }
    names[count] = strdup(entry->d_name);
    if (names[count] == NULL) {
      break;
    }
    ++count;
  }
  closedir(dir);
  qsort(names, (size_t)count, sizeof(names[0]), compare_names);
  out[0] = '\0';
  size_t used = 0;
  for (int i = 0; i < count; ++i) {
    int n = snprintf(out + used, size - used, "%s%s", i > 0 ? "," : "", names[i]);
    if (n > 0 && (size_t)n < size - used) {
      used += (size_t)n;
    }
    free(names[i]);
  }
  return count;
}

ino_t kh_namespace_id(const char* kind) {
  char path[64];
  struct stat st;
  snprintf(path, sizeof(path), "/proc/self/ns/%s", kind);
  if (stat(path, &st) != 0) {
    return 0;
  }
  return st.st_ino;
}

/* Undoes the octal escapes (\040 for a space) of mountinfo path fields, in place. */
static void unescape_octal(char* text) {
  char* out = text;
  for (const char* in = text; *in != '\0';) {
    if (in[0] == '\\' && in[1] >= '0' && in[1] <= '7' && in[2] >= '0' && in[2] <= '7' && in[3] >= '0' &&
        in[3] <= '7') {
      *out++ = (char)(((in[1] - '0') << 6) | ((in[2] - '0') << 3) | (in[3] - '0'));
      in += 4;
    } else {
      *out++ = *in++;
    }
  }
  *out = '\0';
}

/* Splits one mountinfo line (proc(5)): "36 35 98:0 /root /mount_point opts [optional...] - type
 * source superopts". Returns 0, or -1 when the line does not have that shape. */
static int parse_mountinfo_line(const char* line, struct kh_mount_entry* entry) {
  char copy[sizeof(entry->line)];
  snprintf(entry->line, sizeof(entry->line), "%s", line);
  snprintf(copy, sizeof(copy), "%s", line);
  char* save = NULL;
  char* fields[6];
  for (int i = 0; i < 6; ++i) {
    fields[i] = strtok_r(i == 0 ? copy : NULL, " ", &save);
    if (fields[i] == NULL) {
      return -1;
    }
  }
  entry->id = atoi(fields[0]);
  entry->parent_id = atoi(fields[1]);
  snprintf(entry->root, sizeof(entry->root), "%s", fields[3]);
  unescape_octal(entry->root);
  snprintf(entry->mount_point, sizeof(entry->mount_point), "%s", fields[4]);
  unescape_octal(entry->mount_point);
  entry->optional[0] = '\0';
  char* field;
  while ((field = strtok_r(NULL, " ", &save)) != NULL && strcmp(field, "-") != 0) {
    size_t used = strlen(entry->optional);
    snprintf(entry->optional + used, sizeof(entry->optional) - used, "%s%s", used > 0 ? " " : "", field);
  }
  if (field == NULL) {
    return -1;
  }
  char* fstype = strtok_r(NULL, " ", &save);
  if (fstype == NULL) {
    return -1;
  }
  snprintf(entry->fstype, sizeof(entry->fstype), "%s", fstype);
  return 0;
}

int kh_find_mount(const char* mountinfo_path, const char* mount_point, struct kh_mount_entry* entry) {
  FILE* file = fopen(mountinfo_path, "re");
  if (file == NULL) {
    return -1;
  }
  /* Later lines are mounted later: the last match is the one on top. */
  struct kh_mount_entry* current = malloc(sizeof(*current));
  if (current == NULL) {
    fclose(file);
    errno = ENOMEM;
    return -1;
  }
  int found = 0;
  char* line = NULL;
  size_t capacity = 0;
  ssize_t length;
  while ((length = getline(&line, &capacity, file)) > 0) {
    if (line[length - 1] == '\n') {
      line[length - 1] = '\0';
    }
    if (parse_mountinfo_line(line, current) == 0 && strcmp(current->mount_point, mount_point) == 0) {
      *entry = *current;
      found = 1;
    }
  }
  free(line);
  free(current);
  fclose(file);
  return found;
}

int kh_count_mounts_fd(int fd) {
  char buf[4096];
  int lines = 0;
  ssize_t n;
  if (lseek(fd, 0, SEEK_SET) < 0) {
    return -1;
  }
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    for (ssize_t i = 0; i < n; ++i) {
      lines += buf[i] == '\n';
    }
  }
  return n < 0 ? -1 : lines;
}

bool kh_any_shared_mount(void) {
  FILE* file = fopen("/proc/self/mountinfo", "re");
  if (file == NULL) {
    return false;
  }
  bool shared = false;
  char* line = NULL;
  size_t capacity = 0;
  while (!shared && getline(&line, &capacity, file) > 0) {
    char* separator = strstr(line, " - ");
    char* tag = strstr(line, " shared:");
    shared = tag != NULL && separator != NULL && tag < separator;
  }
  free(line);
  fclose(file);
  return shared;
}

/* The optional field that starts with "tag:", or NULL. */
static const char* find_tag(const char* optional, const char* tag) {
  size_t length = strlen(tag);
  for (const char* p = optional; p != NULL && *p != '\0';) {
    if (strncmp(p, tag, length) == 0 && p[length] == ':') {
      return p + length + 1;
    }
    p = strchr(p, ' ');
    p = p != NULL ? p + 1 : NULL;
  }
  return NULL;
}

const char* kh_propagation_tag(const char* optional) {
  if (find_tag(optional, "shared") != NULL) {
    return "shared";
  }
  if (find_tag(optional, "master") != NULL) {
    return "master";
  }
  return "private";
}

int kh_peer_group(const char* optional, const char* tag) {
  const char* value = find_tag(optional, tag);
  return value != NULL ? atoi(value) : -1;
}

pid_t kh_clone(int (*child_main)(void*), void* arg, int flags) {
  fflush(NULL);
  return clone(child_main, child_stack + sizeof(child_stack), flags, arg);
}

int kh_wait_child(pid_t pid, const char* what) {
  int status = 0;
  pid_t waited;
  do {
    waited = waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  if (waited < 0) {
    return kh_fail_errno("waitpid(%s)", what);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return KH_EXIT_OK;
  }
  if (WIFEXITED(status)) {
    return kh_fail("%s exited with status %d", what, WEXITSTATUS(status));
  }
  return kh_fail("%s was killed by signal %d (%s)", what, WTERMSIG(status), strsignal(WTERMSIG(status)));
}

int kh_handshake_open(struct kh_handshake* handshake) {
  if (pipe2(handshake->to_parent, O_CLOEXEC) != 0) {
    return -1;
  }
  if (pipe2(handshake->to_child, O_CLOEXEC) != 0) {
    int saved = errno;
    close(handshake->to_parent[0]);
    close(handshake->to_parent[1]);
    errno = saved;
    return -1;
  }
  return 0;
}

void kh_handshake_child_side(struct kh_handshake* handshake) {
  close(handshake->to_parent[0]);
  close(handshake->to_child[1]);
  handshake->to_parent[0] = handshake->to_child[1] = -1;
}

void kh_handshake_parent_side(struct kh_handshake* handshake) {
  close(handshake->to_parent[1]);
  close(handshake->to_child[0]);
  handshake->to_parent[1] = handshake->to_child[0] = -1;
}

static int send_byte(int fd) {
  char byte = 'k';
  ssize_t n;
  do {
    n = write(fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1 ? 0 : -1;
}

static int receive_byte(int fd) {
  char byte;
  ssize_t n;
  do {
    n = read(fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n == 0) {
    errno = EPIPE;
  }
  return n == 1 ? 0 : -1;
}

int kh_handshake_tell_parent(const struct kh_handshake* handshake) {
  return send_byte(handshake->to_parent[1]);
}

int kh_handshake_tell_child(const struct kh_handshake* handshake) {
  return send_byte(handshake->to_child[1]);
}

int kh_handshake_wait_child(const struct kh_handshake* handshake) {
  return receive_byte(handshake->to_parent[0]);
}

int kh_handshake_wait_parent(const struct kh_handshake* handshake) {
  return receive_byte(handshake->to_child[0]);
}
