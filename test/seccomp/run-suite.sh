#!/bin/sh
# npm run test:seccomp: the whole suite with io_uring blocked by seccomp
# (EPERM, as Docker's default profile does), URINGFS_BACKEND=auto.
set -e
mkdir -p build
cc -O2 -Wall -o build/seccomp-launcher test/seccomp/launcher.c
tsc -p tsconfig.build.json
URINGFS_TEST_SECCOMP=1 exec build/seccomp-launcher EPERM vitest run "$@"
