/* A zstd round trip through files, with zstd's streaming API (zstd-sys's bundled library;
 * the crate does not ship the zstd CLI).
 *
 * usage: zstd_roundtrip LEVEL INPUT
 *   compresses INPUT into INPUT.zst (streaming, checksummed, size pledged), decompresses
 *   that into INPUT.out, compares, then checks that a damaged copy (INPUT.bad.zst) is
 *   refused. Exit status 0 when all went as expected. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static void die(const char *what, const char *detail) {
    fprintf(stderr, "zstd_roundtrip: %s: %s\n", what, detail);
    exit(1);
}

static FILE *open_or_die(const char *path, const char *mode) {
    FILE *f = fopen(path, mode);
    if (!f) {
        perror(path);
        exit(1);
    }
    return f;
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static long file_size(FILE *f) {
    if (fseek(f, 0, SEEK_END) != 0) die("fseek", "end");
    long size = ftell(f);
    if (fseek(f, 0, SEEK_SET) != 0) die("fseek", "start");
    return size;
}

static size_t compress_file(const char *in_path, const char *out_path, int level) {
    FILE *in = open_or_die(in_path, "rb");
    FILE *out = open_or_die(out_path, "wb");
    long size = file_size(in);
    size_t in_cap = ZSTD_CStreamInSize(), out_cap = ZSTD_CStreamOutSize();
    void *ibuf = malloc(in_cap), *obuf = malloc(out_cap);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    if (!cctx || !ibuf || !obuf) die("compress", "out of memory");
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setPledgedSrcSize(cctx, (unsigned long long)size);
    size_t written = 0, chunks = 0;
    for (;;) {
        size_t got = fread(ibuf, 1, in_cap, in);
        int last = got < in_cap;
        ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer input = {ibuf, got, 0};
        int finished;
        do {
            ZSTD_outBuffer output = {obuf, out_cap, 0};
            size_t remaining = ZSTD_compressStream2(cctx, &output, &input, mode);
            if (ZSTD_isError(remaining)) die("compress", ZSTD_getErrorName(remaining));
            fwrite(obuf, 1, output.pos, out);
            written += output.pos;
            finished = last ? (remaining == 0) : (input.pos == input.size);
        } while (!finished);
        chunks++;
        if (last) break;
    }
    if (ferror(in) || ferror(out)) die("compress", "I/O error");
    ZSTD_freeCCtx(cctx);
    free(ibuf);
    free(obuf);
    fclose(in);
    if (fclose(out) != 0) die("compress", "close");
    printf("compressed %s: %ld -> %zu bytes in %zu chunks (level %d)\n", in_path, size, written,
           chunks, level);
    return written;
}

/* Returns 0 on success, else prints zstd's error and returns 1. */
static int decompress_file(const char *in_path, const char *out_path, uint64_t *hash,
                           size_t *total) {
    FILE *in = open_or_die(in_path, "rb");
    FILE *out = open_or_die(out_path, "wb");
    size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
    void *ibuf = malloc(in_cap), *obuf = malloc(out_cap);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx || !ibuf || !obuf) die("decompress", "out of memory");
    size_t got, last_ret = 0;
    int failed = 0;
    *hash = 0xcbf29ce484222325ULL;
    *total = 0;
    while (!failed && (got = fread(ibuf, 1, in_cap, in)) > 0) {
        ZSTD_inBuffer input = {ibuf, got, 0};
        while (input.pos < input.size) {
            ZSTD_outBuffer output = {obuf, out_cap, 0};
            size_t ret = ZSTD_decompressStream(dctx, &output, &input);
            if (ZSTD_isError(ret)) {
                printf("decompress %s: error: %s\n", in_path, ZSTD_getErrorName(ret));
                failed = 1;
                break;
            }
            fwrite(obuf, 1, output.pos, out);
            *hash = fnv1a(*hash, obuf, output.pos);
            *total += output.pos;
            last_ret = ret;
        }
    }
    if (!failed && last_ret != 0) {
        printf("decompress %s: error: truncated frame\n", in_path);
        failed = 1;
    }
    ZSTD_freeDCtx(dctx);
    free(ibuf);
    free(obuf);
    fclose(in);
    fclose(out);
    return failed;
}

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = open_or_die(path, "rb");
    long size = file_size(f);
    unsigned char *buf = malloc(size ? (size_t)size : 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) die("read", path);
    fclose(f);
    *len = (size_t)size;
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s LEVEL INPUT\n", argv[0]);
        return 2;
    }
    int level = atoi(argv[1]);
    const char *input = argv[2];
    char zst[512], back[512], bad[512], bad_out[512];
    snprintf(zst, sizeof zst, "%s.zst", input);
    snprintf(back, sizeof back, "%s.out", input);
    snprintf(bad, sizeof bad, "%s.bad.zst", input);
    snprintf(bad_out, sizeof bad_out, "%s.bad.out", input);
    printf("zstd %s\n", ZSTD_versionString());

    compress_file(input, zst, level);

    size_t zlen;
    unsigned char *z = slurp(zst, &zlen);
    unsigned long long content = ZSTD_getFrameContentSize(z, zlen);
    printf("frame: content size %llu, frame size %zu\n", content, ZSTD_findFrameCompressedSize(z, zlen));

    uint64_t hash;
    size_t total;
    if (decompress_file(zst, back, &hash, &total)) return 1;
    size_t orig_len, back_len;
    unsigned char *orig = slurp(input, &orig_len);
    unsigned char *round = slurp(back, &back_len);
    int same = orig_len == back_len && memcmp(orig, round, orig_len) == 0;
    printf("decompressed %zu bytes, fnv1a %016llx, %s\n", total, (unsigned long long)hash,
           same ? "identical to the input" : "DIFFERENT from the input");

    /* A damaged copy: flip bits in the middle of the compressed data. */
    for (size_t i = zlen / 2; i < zlen / 2 + 16 && i < zlen; i++) z[i] ^= 0x5a;
    FILE *f = open_or_die(bad, "wb");
    fwrite(z, 1, zlen, f);
    fclose(f);
    int refused = decompress_file(bad, bad_out, &hash, &total);
    remove(bad_out);
    printf("damaged copy %s\n", refused ? "refused" : "ACCEPTED");
    free(z);
    free(orig);
    free(round);
    return same && refused ? 0 : 1;
}
