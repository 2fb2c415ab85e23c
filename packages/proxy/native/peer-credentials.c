// SO_PEERCRED for Node: the uid, gid and pid of the process at the other end of a connected
// unix-domain socket, as the kernel recorded them at connect(). Node has no API for it.
// One function, peerCredentials(fd) -> { uid, gid, pid }; it throws on any failure.
// https://man7.org/linux/man-pages/man7/unix.7.html (SO_PEERCRED)
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static napi_value set_number(napi_env env, napi_value object, const char *name, double value) {
  napi_value v;
  if (napi_create_double(env, value, &v) != napi_ok) return NULL;
  if (napi_set_named_property(env, object, name, v) != napi_ok) return NULL;
  return object;
}

static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "peerCredentials(fd) needs a file descriptor");
    return NULL;
  }
#ifdef SO_PEERCRED
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
  napi_value result;
  if (napi_create_object(env, &result) != napi_ok) return NULL;
  if (set_number(env, result, "uid", cred.uid) == NULL) return NULL;
  if (set_number(env, result, "gid", cred.gid) == NULL) return NULL;
  if (set_number(env, result, "pid", cred.pid) == NULL) return NULL;
  return result;
#else
  return throw_errno(env, "SO_PEERCRED", ENOSYS);
#endif
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "peerCredentials", NAPI_AUTO_LENGTH, peer_credentials, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "peerCredentials", fn) != napi_ok) return NULL;
  return exports;
}
