#include <zlib.h>
/* inflateInit2/deflateInit2 are function-like macros that Swift cannot call. */
static inline int czlib_inflateInit2(z_streamp s, int wbits) { return inflateInit2(s, wbits); }
static inline int czlib_deflateInit2(z_streamp s, int level, int wbits) {
    return deflateInit2(s, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
}
