/*
 * Example native rFaaS functions, original rFaaS ABI:
 *     uint32_t name(void* in, uint32_t in_size, void* out)
 * The return value is the number of bytes written to out.
 *
 * Build:  gcc -O2 -shared -fPIC -o libfunctions.so functions.c
 */
#include <stdint.h>
#include <string.h>

/* echo: copies the input to the output. */
uint32_t echo(void* in, uint32_t in_size, void* out) {
    memcpy(out, in, in_size);
    return in_size;
}

/* noop: nothing in, nothing out. */
uint32_t noop(void* in, uint32_t in_size, void* out) {
    (void) in; (void) in_size; (void) out;
    return 0;
}

/* sum_squares: little-endian int64 inputs -> their (wrapping) sum of squares, 8 bytes. */
uint32_t sum_squares(void* in, uint32_t in_size, void* out) {
    uint64_t sum = 0;
    const unsigned char* p = (const unsigned char*) in;
    for (uint32_t i = 0; i + 8 <= in_size; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        sum += v * v;
    }
    memcpy(out, &sum, 8);
    return 8;
}

/* reverse: the input bytes in reverse order. */
uint32_t reverse(void* in, uint32_t in_size, void* out) {
    const unsigned char* src = (const unsigned char*) in;
    unsigned char* dst = (unsigned char*) out;
    for (uint32_t i = 0; i < in_size; i++) {
        dst[i] = src[in_size - 1 - i];
    }
    return in_size;
}
