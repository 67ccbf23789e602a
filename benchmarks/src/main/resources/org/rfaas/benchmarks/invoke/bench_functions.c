/*
 * Native functions of the rFaaS benchmarks and demo, in the original rFaaS ABI:
 *   uint32_t name(void* in, uint32_t in_size, void* out)
 * Built on the fly with gcc -O2 -shared -fPIC.
 */
#include <stdint.h>
#include <string.h>

/* Returns its input: the function every latency benchmark invokes. */
uint32_t echo(void* in, uint32_t in_size, void* out) {
    memcpy(out, in, in_size);
    return in_size;
}

/* Returns nothing: the smallest possible invocation. */
uint32_t noop(void* in, uint32_t in_size, void* out) {
    (void) in; (void) in_size; (void) out;
    return 0;
}
