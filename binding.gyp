{
  "targets": [
    {
      "target_name": "uringfs",
      "sources": [
        "native/addon.cc",
        "native/crc32c.cc",
        "native/completion_port.cc",
        "native/ring.cc",
        "native/file_group.cc",
        "native/large_memory.cc",
        "native/sync.cc",
        "native/threads.cc",
        "native/thread_ops.cc",
        "native/probe.cc",
        "native/epoll.cc",
        "native/held_fds.cc",
        "native/dirs.cc",
        "native/glibc_compat.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "_GNU_SOURCE"
      ],
      "cflags": [ "-fvisibility=hidden", "<!@(sh scripts/check-liburing.sh cflags)" ],
      "cflags_cc": [ "-std=c++17", "-include", "<(module_root_dir)/native/glibc_compat.h", "-fvisibility=hidden", "-fno-exceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers" ],
      "cflags_cc!": [ "-fno-rtti", "-std=gnu++17", "-std=gnu++14" ],
      "libraries": [ "<!(sh scripts/check-liburing.sh libfile)", "-Wl,--no-as-needed", "-l:libpthread.so.0", "-Wl,--as-needed" ]
    }
  ]
}
