// See glibc_compat.h. `new T[n]` with a run-time n calls this when n is too large; libstdc++ has
// it only since GCC 11 (GLIBCXX_3.4.29). Exceptions are off in the addon, so it ends the process,
// as a throw would have.
#include <cstdlib>

namespace std {
[[noreturn]] void __throw_bad_array_new_length() { abort(); }
}  // namespace std
