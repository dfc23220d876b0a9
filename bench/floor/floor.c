// The floor: the bench's small-file and random-read work done in C with liburing, called once per
// pass from the bench's child process, so that every ratio can stand beside what the same kernel
// interface gives with nothing between JS and the kernel but this one call. It checks what it
// reads as the JS methods do (the tags of bench/lib/workset.js) and reports failures as errors.
// A bench tool only: it is not part of the package.
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAG_BLOCK 4096
#define MAX_DEPTH 1024

typedef struct {
  struct io_uring ring;
  int ready;
} Floor;

static napi_value fail(napi_env env, const char* what, int err) {
  char message[160];
  snprintf(message, sizeof message, "floor: %s: %s", what, strerror(err < 0 ? -err : err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static void finalize(napi_env env, void* data, void* hint) {
  Floor* floor = data;
  if (floor->ready) io_uring_queue_exit(&floor->ring);
  free(floor);
}

static Floor* floor_of(napi_env env) {
  Floor* floor = NULL;
  napi_get_instance_data(env, (void**)&floor);
  if (floor->ready) return floor;
  if (io_uring_queue_init(MAX_DEPTH, &floor->ring, 0) < 0) return NULL;
  floor->ready = 1;
  return floor;
}

// Submit what is queued and reap `count` completions into `res` (by user_data); 0 or -errno.
static int submit_and_reap(struct io_uring* ring, unsigned count, int32_t* res) {
  int r = io_uring_submit_and_wait(ring, count);
  if (r < 0) return r;
  for (unsigned seen = 0; seen < count;) {
    struct io_uring_cqe* cqe;
    r = io_uring_wait_cqe(ring, &cqe);
    if (r < 0) return r;
    unsigned head, n = 0;
    io_uring_for_each_cqe(ring, head, cqe) {
      res[cqe->user_data] = cqe->res;
      n++;
    }
    io_uring_cq_advance(ring, n);
    seen += n;
  }
  return 0;
}

// randomReads(fd, size, offsets: Float64Array, lanes: Buffer[]) → bytes read.
// lanes.length reads of `size` bytes at a time, each into its lane: the buffers the JS methods of
// the scenario read into (the same memory, so the same copies: the kernel's copy is slower into a
// destination that is not 64-byte aligned).
static napi_value random_reads(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, size;
  uint32_t depth = 0;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_int32(env, argv[1], &size);
  napi_get_array_length(env, argv[3], &depth);
  napi_typedarray_type type;
  size_t count;
  double* offsets;
  napi_get_typedarray_info(env, argv[2], &type, &count, (void**)&offsets, NULL, NULL);
  if (type != napi_float64_array || depth < 1 || depth > MAX_DEPTH || size < 4 || size > (1 << 20)) {
    napi_throw_range_error(env, NULL, "floor: randomReads(fd, size <= 1 MiB, Float64Array, 1 to 1024 lanes)");
    return NULL;
  }
  uint8_t* lane[MAX_DEPTH];
  for (uint32_t i = 0; i < depth; i++) {
    napi_value b;
    size_t len = 0;
    napi_get_element(env, argv[3], i, &b);
    if (napi_get_buffer_info(env, b, (void**)&lane[i], &len) != napi_ok || len < (size_t)size) {
      napi_throw_range_error(env, NULL, "floor: randomReads: every lane a Buffer of at least `size` bytes");
      return NULL;
    }
  }
  Floor* floor = floor_of(env);
  if (floor == NULL) return fail(env, "io_uring_queue_init", errno);
  int32_t res[MAX_DEPTH];
  double bytes = 0;
  for (size_t start = 0; start < count; start += depth) {
    unsigned n = count - start < (size_t)depth ? (unsigned)(count - start) : (unsigned)depth;
    for (unsigned i = 0; i < n; i++) {
      struct io_uring_sqe* sqe = io_uring_get_sqe(&floor->ring);
      io_uring_prep_read(sqe, fd, lane[i], size, (uint64_t)offsets[start + i]);
      sqe->user_data = i;
    }
    int r = submit_and_reap(&floor->ring, n, res);
    if (r < 0) return fail(env, "io_uring_enter", r);
    for (unsigned i = 0; i < n; i++) {
      uint64_t offset = (uint64_t)offsets[start + i];
      if (res[i] != size) return fail(env, "short or failed read", res[i] < 0 ? res[i] : EIO);
      uint32_t tag;
      memcpy(&tag, lane[i], 4);
      if (offset % TAG_BLOCK == 0 && tag != offset / TAG_BLOCK) return fail(env, "verification failed: wrong block", EIO);
      bytes += res[i];
    }
  }
  napi_value out;
  napi_create_double(env, bytes, &out);
  return out;
}

// readFiles(paths: Buffer of NUL-terminated paths, count, size, room: Buffer, depth) → bytes read.
// `depth` files at a time: their opens in one submit, then each read (into a room of
// room.length / depth bytes, continued only if it fills) linked to its close in the next.
// File i must hold `size` bytes tagged with i at both ends.
static napi_value read_files(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char* paths;
  size_t paths_len;
  napi_get_buffer_info(env, argv[0], (void**)&paths, &paths_len);
  int32_t count, size, depth;
  napi_get_value_int32(env, argv[1], &count);
  napi_get_value_int32(env, argv[2], &size);
  napi_get_value_int32(env, argv[4], &depth);
  uint8_t* room;
  size_t room_len;
  napi_get_buffer_info(env, argv[3], (void**)&room, &room_len);
  if (depth < 1 || depth * 2 > MAX_DEPTH || room_len / depth < (size_t)size + 1) {
    napi_throw_range_error(env, NULL, "floor: readFiles(paths, count, size, room of depth * (size + 1) bytes, depth <= 512)");
    return NULL;
  }
  size_t lane = room_len / depth;
  Floor* floor = floor_of(env);
  if (floor == NULL) return fail(env, "io_uring_queue_init", errno);
  int32_t res[MAX_DEPTH];
  int32_t fds[MAX_DEPTH];
  const char* path = paths;
  double bytes = 0;
  for (int32_t start = 0; start < count; start += depth) {
    int32_t n = count - start < depth ? count - start : depth;
    for (int32_t i = 0; i < n; i++) {
      struct io_uring_sqe* sqe = io_uring_get_sqe(&floor->ring);
      io_uring_prep_openat(sqe, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
      sqe->user_data = i;
      path += strlen(path) + 1;
    }
    int r = submit_and_reap(&floor->ring, n, res);
    if (r < 0) return fail(env, "io_uring_enter", r);
    for (int32_t i = 0; i < n; i++) {
      if (res[i] < 0) {
        for (int32_t j = 0; j < n; j++) if (res[j] >= 0) close(res[j]);
        return fail(env, "open", res[i]);
      }
    }
    for (int32_t i = 0; i < n; i++) {
      fds[i] = res[i];
      struct io_uring_sqe* sqe = io_uring_get_sqe(&floor->ring);
      io_uring_prep_read(sqe, fds[i], room + i * lane, lane, 0);
      sqe->user_data = 2 * i;
      // The close runs whatever the read did (a hard link), as a whole-file read must.
      sqe->flags |= IOSQE_IO_HARDLINK;
      sqe = io_uring_get_sqe(&floor->ring);
      io_uring_prep_close(sqe, fds[i]);
      sqe->user_data = 2 * i + 1;
    }
    r = submit_and_reap(&floor->ring, 2 * n, res);
    if (r < 0) return fail(env, "io_uring_enter", r);
    for (int32_t i = 0; i < n; i++) {
      int32_t got = res[2 * i];
      // A room that filled would be continued; these files fit, so that is a verification failure.
      if (got != size) return fail(env, "verification failed: file size", got < 0 ? got : EIO);
      uint32_t head, tail;
      memcpy(&head, room + i * lane, 4);
      memcpy(&tail, room + i * lane + size - 4, 4);
      if (head != (uint32_t)(start + i) || tail != (uint32_t)(start + i)) return fail(env, "verification failed: file tags", EIO);
      bytes += got;
    }
  }
  napi_value out;
  napi_create_double(env, bytes, &out);
  return out;
}

NAPI_MODULE_INIT() {
  Floor* floor = calloc(1, sizeof(Floor));
  napi_set_instance_data(env, floor, finalize, NULL);
  napi_property_descriptor props[] = {
    {"randomReads", NULL, random_reads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"readFiles", NULL, read_files, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}
