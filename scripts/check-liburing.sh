#!/bin/sh
# Used by binding.gyp: prints where liburing's static library is, or stops the
# build with one message that names the package to install.
# Usage: check-liburing.sh cflags | libfile
fail() {
  cat >&2 <<'MSG'

uringfs: liburing (headers and static library) was not found; it is needed to build from source.
  Debian/Ubuntu:  sudo apt-get install liburing-dev
  Fedora/RHEL:    sudo dnf install liburing-devel
  Alpine:         sudo apk add liburing-dev
Then run the install again.

MSG
  exit 1
}
if pkg-config --exists liburing 2>/dev/null; then
  libdir=$(pkg-config --variable=libdir liburing)
  cflags=$(pkg-config --cflags liburing)
  incdir=$(pkg-config --variable=includedir liburing)
else
  # No pkg-config (or no .pc file): look in the usual places.
  for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib; do
    if [ -f "$d/liburing.a" ]; then libdir=$d; break; fi
  done
  incdir=/usr/include
  [ -f /usr/local/include/liburing.h ] && incdir=/usr/local/include
  cflags=""
fi
[ -n "$libdir" ] && [ -f "$libdir/liburing.a" ] && [ -f "${incdir:-/usr/include}/liburing.h" ] || fail
case "$1" in
  cflags) echo "$cflags" ;;
  libfile) echo "$libdir/liburing.a" ;;
  *) echo "usage: $0 cflags|libfile" >&2; exit 2 ;;
esac
