/*
 * placement_probe.c - how far apart are two CPUs right now?
 *
 * On a VM the host may place two vCPUs on "near" cores (an 8-byte cache-line
 * round trip of ~100 ns) or "far" ones (~450 ns) and move them at any time; that
 * scales every cross-core measurement.  This probe bounces one cache line between
 * two processes pinned to the two CPUs: ping writes a sequence number into its
 * line, pong copies it into another line, ping waits to see it.  Samples are
 * averages over batches of BATCH round trips, so clock overhead is negligible.
 *
 * usage: placement_probe <round_trips> <cpu_ping> <cpu_pong>
 * prints: RESULT placement payload=8 n=<round_trips> rtt_ns min=.. median=.. ...
 */
#include "rfaas_probe.h"

#define BATCH 100

typedef struct {
  _Alignas(CACHE_LINE) _Atomic uint32_t ping; /* written by ping only */
  _Alignas(CACHE_LINE) char spare[CACHE_LINE]; /* keeps the adjacent-line prefetcher out */
  _Alignas(CACHE_LINE) _Atomic uint32_t pong; /* written by pong only */
} lines_t;

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s round_trips cpu_ping cpu_pong\n", argv[0]);
    return 2;
  }
  size_t n = arg_size(argv[1], "round_trips");
  int cpu_ping = arg_cpu(argv[2]), cpu_pong = arg_cpu(argv[3]);
  if (cpu_ping < 0 || cpu_pong < 0) skip("the placement probe needs two pinned CPUs");
  require_two_cpus_for_spinning(cpu_ping, cpu_pong);
  size_t batches = n / BATCH;
  if (batches == 0 || n >= UINT32_MAX) { fprintf(stderr, "round_trips must be %d..2^32\n", BATCH); return 2; }
  n = batches * BATCH;

  lines_t *l = shared_map(sizeof *l);
  pid_t pid = fork_pong();
  if (pid == 0) {
    pin_to(cpu_pong);
    for (uint32_t i = 1; i <= n; i++) {
      spin_until(&l->ping, i);
      atomic_store_explicit(&l->pong, i, memory_order_release);
    }
    _exit(0);
  }
  pin_to(cpu_ping);
  uint64_t *samples = malloc(batches * sizeof *samples);
  if (!samples) die("malloc");
  uint32_t seq = 0;
  for (size_t b = 0; b < batches; b++) {
    uint64_t t0 = mono_ns();
    for (int k = 0; k < BATCH; k++) {
      ++seq;
      atomic_store_explicit(&l->ping, seq, memory_order_release);
      spin_until(&l->pong, seq);
    }
    samples[b] = (mono_ns() - t0) / BATCH;
  }
  wait_pong(pid);
  report("placement", 8, n, samples, batches);
  return 0;
}
