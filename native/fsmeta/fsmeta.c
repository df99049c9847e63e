// What Node's fs module cannot do for restore: set times to the exact nanosecond (libuv rounds
// to microseconds) and create FIFOs and device nodes (mknod). Each call is one system call.
// And for backup: lstat a directory's entries in one call, into numbers (Node's lstat with
// bigint builds an object of some thirty BigInts per entry, most of a walk's cost).

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <node_api.h>

#define PATH_MAX_BYTES 4096

/** Throws an Error carrying the negative errno, as Node's fs errors do (nativeFs.ts adds `code`). */
static napi_value throw_errno(napi_env env, const char *call) {
  int code = errno;
  char message[160];
  snprintf(message, sizeof message, "%s: %s", call, strerror(code));
  napi_value error, msg, errno_value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_int32(env, -code, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

/** Copies a path given as a string or as a Buffer of bytes (names need not be UTF-8). */
static int read_path(napi_env env, napi_value value, char *path) {
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  size_t length = 0;
  if (is_buffer) {
    void *data;
    napi_get_buffer_info(env, value, &data, &length);
    if (length >= PATH_MAX_BYTES || memchr(data, 0, length)) return 0;
    memcpy(path, data, length);
    path[length] = 0;
    return 1;
  }
  return napi_get_value_string_utf8(env, value, path, PATH_MAX_BYTES, &length) == napi_ok && length < PATH_MAX_BYTES - 1;
}

/** Reads the arguments shared by every call: a path or descriptor, then `count` numbers. */
static int read_args(napi_env env, napi_callback_info info, size_t count, char *path, int32_t *fd, double *numbers) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < count + 1) {
    napi_throw_type_error(env, NULL, "fsmeta: missing arguments");
    return 0;
  }
  if (path) {
    if (!read_path(env, argv[0], path)) {
      napi_throw_type_error(env, NULL, "fsmeta: the path must be a string or Buffer under 4,095 bytes");
      return 0;
    }
  } else if (napi_get_value_int32(env, argv[0], fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "fsmeta: the descriptor must be a number");
    return 0;
  }
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_double(env, argv[i + 1], &numbers[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "fsmeta: arguments must be numbers");
      return 0;
    }
  }
  return 1;
}

static void fill_times(struct timespec times[2], const double *numbers) {
  times[0].tv_sec = times[1].tv_sec = (time_t)numbers[0];
  times[0].tv_nsec = times[1].tv_nsec = (long)numbers[1];
}

/** setTimes(path, seconds, nanoseconds, followLinks): access and modification time of a path. */
static napi_value set_times(napi_env env, napi_callback_info info) {
  char path[PATH_MAX_BYTES];
  double numbers[3];
  if (!read_args(env, info, 3, path, NULL, numbers)) return NULL;
  struct timespec times[2];
  fill_times(times, numbers);
  if (utimensat(AT_FDCWD, path, times, numbers[2] != 0 ? 0 : AT_SYMLINK_NOFOLLOW) != 0) return throw_errno(env, "utimensat");
  return NULL;
}

/** setTimesFd(fd, seconds, nanoseconds): the same through an open descriptor. */
static napi_value set_times_fd(napi_env env, napi_callback_info info) {
  int32_t fd;
  double numbers[2];
  if (!read_args(env, info, 2, NULL, &fd, numbers)) return NULL;
  struct timespec times[2];
  fill_times(times, numbers);
  if (futimens(fd, times) != 0) return throw_errno(env, "futimens");
  return NULL;
}

/** makeNode(path, mode, rdev): mknod; mode includes the file type (S_IFIFO, S_IFCHR, S_IFBLK). */
static napi_value make_node(napi_env env, napi_callback_info info) {
  char path[PATH_MAX_BYTES];
  double numbers[2];
  if (!read_args(env, info, 2, path, NULL, numbers)) return NULL;
  if (mknod(path, (mode_t)numbers[0], (dev_t)numbers[1]) != 0) return throw_errno(env, "mknod");
  return NULL;
}

/** Numbers per entry written by lstatEntries; core/entryStats.ts reads them in this order. */
#define STAT_FIELDS 16

static void put_u64(double *out, uint64_t value) {
  out[0] = (double)(value >> 32);
  out[1] = (double)(value & 0xffffffffu);
}

/**
 * lstatEntries(directory, names, out): the lstat of each name in the directory (a string or a
 * Buffer each), STAT_FIELDS numbers per name into the Float64Array `out`: errno (0 when the call
 * succeeded, else the rest is zero), mode, uid, gid, nlink, size, then inode, device and rdev as
 * high and low 32 bits, then mtime and ctime as seconds and nanoseconds. Device numbers are
 * composed as libuv composes them, so they equal Node's. Throws only when the directory cannot be
 * opened or the arguments are wrong.
 */
static napi_value lstat_entries(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char dir[PATH_MAX_BYTES], name[PATH_MAX_BYTES];
  uint32_t count = 0;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (argc < 3 || !read_path(env, argv[0], dir) || napi_get_array_length(env, argv[1], &count) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float64_array ||
      length < (size_t)count * STAT_FIELDS) {
    napi_throw_type_error(env, NULL, "fsmeta: lstatEntries(directory, names, Float64Array of 16 per name)");
    return NULL;
  }
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return throw_errno(env, "open");
  double *out = data;
  for (uint32_t i = 0; i < count; i++, out += STAT_FIELDS) {
    memset(out, 0, STAT_FIELDS * sizeof(double));
    napi_value element;
    struct stat st;
    if (napi_get_element(env, argv[1], i, &element) != napi_ok || !read_path(env, element, name)) {
      out[0] = ENAMETOOLONG;
      continue;
    }
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      out[0] = errno;
      continue;
    }
    out[1] = st.st_mode;
    out[2] = st.st_uid;
    out[3] = st.st_gid;
    out[4] = (double)st.st_nlink;
    out[5] = (double)st.st_size;
    put_u64(out + 6, (uint64_t)st.st_ino);
    put_u64(out + 8, (uint64_t)makedev(major(st.st_dev), minor(st.st_dev)));
    put_u64(out + 10, (uint64_t)makedev(major(st.st_rdev), minor(st.st_rdev)));
    out[12] = (double)st.st_mtim.tv_sec;
    out[13] = (double)st.st_mtim.tv_nsec;
    out[14] = (double)st.st_ctim.tv_sec;
    out[15] = (double)st.st_ctim.tv_nsec;
  }
  close(dirfd);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
    {"setTimes", NULL, set_times, NULL, NULL, NULL, napi_default, NULL},
    {"setTimesFd", NULL, set_times_fd, NULL, NULL, NULL, napi_default, NULL},
    {"makeNode", NULL, make_node, NULL, NULL, NULL, napi_default, NULL},
    {"lstatEntries", NULL, lstat_entries, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 4, functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
