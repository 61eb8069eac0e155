/* Compressor speed and size on one file: ISA-L igzip levels 0-3 (one stream, as Winnow's default
 * writer) and libdeflate levels 1-6 (1 MiB members, as Winnow's writer with compression_level),
 * best of 3 runs each, plus gzip decompression by libdeflate and ISA-L. Built and run by
 * bench/gzip_levels.sh; the figures back docs/decisions/0001-gzip-level.md. */
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: gzip_levels FILE\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *in = malloc(n), *out = malloc(n + (1 << 20)), *back = malloc(n + 16);
    if (!in || !out || !back || fread(in, 1, n, f) != (size_t)n) { fprintf(stderr, "read failed\n"); return 1; }
    fclose(f);
    printf("input: %s, %.1f MB\n", argv[1], n / 1e6);
    const unsigned bufsize[4] = {0, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};
    size_t isal2 = 0;
    for (int level = 0; level <= 3; level++) {
        double best = 1e9;
        size_t size = 0;
        for (int r = 0; r < 3; r++) {
            struct isal_zstream s;
            isal_deflate_init(&s);
            s.gzip_flag = IGZIP_GZIP;
            s.level = level;
            unsigned char *lb = level ? malloc(bufsize[level]) : NULL;
            s.level_buf = lb;
            s.level_buf_size = level ? bufsize[level] : 0;
            s.end_of_stream = 1;
            s.next_in = in; s.avail_in = n; s.next_out = out; s.avail_out = n + (1 << 20);
            double t = now();
            if (isal_deflate(&s) != COMP_OK) { fprintf(stderr, "isal_deflate failed\n"); return 1; }
            t = now() - t;
            if (t < best) best = t;
            size = s.total_out;
            free(lb);
        }
        if (level == 2) isal2 = size;
        printf("ISA-L level %d:       %6.3f s  %6.1f MB/s  %10zu bytes  (%.3f of input)\n", level, best, n / best / 1e6, size, (double)size / n);
    }
    for (int level = 1; level <= 6; level++) {
        struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
        double best = 1e9;
        size_t size = 0;
        for (int r = 0; r < 3; r++) {
            double t = now();
            size_t total = 0;
            for (long o = 0; o < n; o += 1 << 20) {
                long k = n - o < (1 << 20) ? n - o : (1 << 20);
                total += libdeflate_gzip_compress(c, in + o, k, out, n + (1 << 20));
            }
            t = now() - t;
            if (t < best) best = t;
            size = total;
        }
        libdeflate_free_compressor(c);
        printf("libdeflate level %d:  %6.3f s  %6.1f MB/s  %10zu bytes  (%.3f of input)\n", level, best, n / best / 1e6, size, (double)size / n);
    }
    /* decompression of the ISA-L level-2 stream */
    struct isal_zstream s;
    isal_deflate_init(&s);
    unsigned char *lb = malloc(ISAL_DEF_LVL2_DEFAULT);
    s.gzip_flag = IGZIP_GZIP; s.level = 2; s.level_buf = lb; s.level_buf_size = ISAL_DEF_LVL2_DEFAULT; s.end_of_stream = 1;
    s.next_in = in; s.avail_in = n; s.next_out = out; s.avail_out = n + (1 << 20);
    isal_deflate(&s);
    free(lb);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
        size_t got = 0;
        double t = now();
        if (libdeflate_gzip_decompress(d, out, isal2, back, n + 16, &got) != LIBDEFLATE_SUCCESS || got != (size_t)n) { fprintf(stderr, "libdeflate decompress failed\n"); return 1; }
        t = now() - t;
        if (t < best) best = t;
    }
    printf("decompress libdeflate: %5.3f s  %6.1f MB/s of output\n", best, n / best / 1e6);
    best = 1e9;
    for (int r = 0; r < 3; r++) {
        struct inflate_state st;
        isal_inflate_init(&st);
        st.crc_flag = ISAL_GZIP;
        st.next_in = out; st.avail_in = isal2; st.next_out = back; st.avail_out = n + 16;
        double t = now();
        if (isal_inflate(&st) != ISAL_DECOMP_OK || st.total_out != (unsigned)n) { fprintf(stderr, "isal_inflate failed\n"); return 1; }
        t = now() - t;
        if (t < best) best = t;
    }
    printf("decompress ISA-L:      %5.3f s  %6.1f MB/s of output\n", best, n / best / 1e6);
    libdeflate_free_decompressor(d);
    return 0;
}
