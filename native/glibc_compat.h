// Included first in every C++ source (binding.gyp: -include). It keeps the addon loadable on
// glibc 2.28 and the libstdc++ of GCC 8 (RHEL 8, Debian 10, Ubuntu 20.04) although it is built
// with a newer toolchain: each symbol whose default version is newer than those is bound to the
// older version that every glibc/libstdc++ since then still exports with the same behaviour.
// test/package-consumer.test.ts checks the result (readelf --dyn-syms).
#pragma once
#include <bits/c++config.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// libstdc++'s condition_variable::wait_for would call pthread_cond_clockwait (glibc 2.30); without
// it, the header falls back to pthread_cond_timedwait.
#undef _GLIBCXX_USE_PTHREAD_COND_CLOCKWAIT

#if defined(__x86_64__)
#define URINGFS_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define URINGFS_GLIBC_BASE "GLIBC_2.17"
#else
#error "uringfs builds for x86_64 and aarch64"
#endif

// glibc 2.34 moved the pthread functions from libpthread into libc under new versions; the old
// ones stay exported (from libpthread before 2.34, from libc since).
__asm__(".symver pthread_create,pthread_create@" URINGFS_GLIBC_BASE);
__asm__(".symver pthread_join,pthread_join@" URINGFS_GLIBC_BASE);
__asm__(".symver pthread_kill,pthread_kill@" URINGFS_GLIBC_BASE);
__asm__(".symver pthread_attr_setstacksize,pthread_attr_setstacksize@" URINGFS_GLIBC_BASE);
__asm__(".symver pthread_sigmask,pthread_sigmask@" URINGFS_GLIBC_BASE);
// GCC 12's libstdc++ gave condition_variable::wait a new version; the GLIBCXX_3.4.11 one is the same.
__asm__(".symver _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE,"
        "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");

// fstat is a function of glibc only since 2.33 (before, an inline wrapper of __fxstat64). On
// x86_64 and aarch64 glibc's struct stat is the kernel's, so the system call fills it directly.
static inline int uringfs_fstat(int fd, struct stat* st) {
  return static_cast<int>(syscall(SYS_fstat, fd, st));
}
#define fstat uringfs_fstat
