// Runs a command with io_uring blocked, the way Docker's default seccomp
// profile (or kernel.io_uring_disabled) blocks it: io_uring_setup,
// io_uring_enter and io_uring_register fail with the given errno.
//
//   launcher EPERM|ENOSYS command [args...]
//
// An unprivileged process may install a seccomp filter once it has set
// PR_SET_NO_NEW_PRIVS; the filter survives execve, so the command and all
// its children (and threads) run under it. Built by the tests with `cc`.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define NATIVE_ARCH AUDIT_ARCH_I386
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define NATIVE_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define NATIVE_ARCH AUDIT_ARCH_S390X
#else
#error "launcher.c: add this architecture's AUDIT_ARCH_* value"
#endif

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#define __NR_io_uring_enter 426
#define __NR_io_uring_register 427
#endif

// The x32 ABI shares x86_64's audit arch and marks its syscall numbers with
// this bit; masking it off blocks the x32 spellings of the calls too.
#define X32_SYSCALL_BIT 0x40000000u

static int parse_errno(const char* s) {
  if (strcmp(s, "EPERM") == 0) return EPERM;
  if (strcmp(s, "ENOSYS") == 0) return ENOSYS;
  if (strcmp(s, "EACCES") == 0) return EACCES;
  if (strcmp(s, "ENOMEM") == 0) return ENOMEM;
  return -1;
}

int main(int argc, char** argv) {
  if (argc < 3 || parse_errno(argv[1]) < 0) {
    fprintf(stderr, "usage: %s EPERM|ENOSYS|EACCES|ENOMEM command [args...]\n", argv[0]);
    return 2;
  }
  unsigned deny = SECCOMP_RET_ERRNO | ((unsigned)parse_errno(argv[1]) & SECCOMP_RET_DATA);
  struct sock_filter filter[] = {
    // A syscall made through another ABI (e.g. i386 on x86_64) has other
    // numbers: leave it alone rather than misread it.
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_RET | BPF_K, deny),
  };
  struct sock_fprog prog = { .len = sizeof filter / sizeof filter[0], .filter = filter };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    perror("launcher: prctl(PR_SET_NO_NEW_PRIVS)");
    return 1;
  }
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    perror("launcher: prctl(PR_SET_SECCOMP)");
    return 1;
  }
  execvp(argv[2], argv + 2);
  perror("launcher: execvp");
  return 127;
}
