{
  "targets": [
    {
      "target_name": "floor",
      "sources": [ "floor.c" ],
      "cflags": [ "-O2", "<!@(sh ../../scripts/check-liburing.sh cflags)" ],
      "defines": [ "NAPI_VERSION=8" ],
      "libraries": [ "<!(sh ../../scripts/check-liburing.sh libfile)" ]
    }
  ]
}
