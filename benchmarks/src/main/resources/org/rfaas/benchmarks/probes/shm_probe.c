/*
 * shm_probe.c - C reference for the rFaaS shm transport: a ping-pong round trip
 * between two processes through a shared mapping.
 *
 *   spin  : both sides busy-poll a sequence word (the reference for "hot").
 *   futex : both sides sleep in FUTEX_WAIT on the sequence word and the writer
 *           always calls FUTEX_WAKE (the reference for "warm"; no spinning first).
 *
 * Each direction has one slot { u32 seq; u32 len; data[] } on its own cache lines
 * (plus a spare line against adjacent-line prefetch).  Per round trip the data
 * moves exactly as in the Java benchmark: ping copies its private buffer into the
 * request slot, pong copies the request slot into the reply slot (echo in place),
 * ping copies the reply slot out into its private buffer.
 *
 * usage: shm_probe <spin|futex> <payload> <iters> <warmup> <cpu_ping> <cpu_pong>
 */
#include "rfaas_probe.h"
#include <linux/futex.h>
#include <sys/syscall.h>

typedef struct {
  _Alignas(CACHE_LINE) _Atomic uint32_t seq; /* 32 bits: it is also the futex word */
  uint32_t len;
  char data[];
} slot_t;

static int use_futex;

static size_t slot_bytes(size_t payload) {
  size_t b = sizeof(slot_t) + payload;
  return (b + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE + CACHE_LINE;
}

static void futex_wait_for(_Atomic uint32_t *w, uint32_t want) {
  uint32_t cur;
  /* FUTEX_WAIT sleeps only while *w == cur, so a wake between the load and the call is not lost */
  while ((cur = atomic_load_explicit(w, memory_order_acquire)) != want) {
    if (syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT, cur, NULL, NULL, 0) != 0 && errno != EAGAIN && errno != EINTR)
      die("futex(FUTEX_WAIT)");
  }
}

static void wait_for(slot_t *s, uint32_t want) {
  if (use_futex) futex_wait_for(&s->seq, want);
  else spin_until(&s->seq, want);
}

static void publish(slot_t *s, uint32_t seq) {
  atomic_store_explicit(&s->seq, seq, memory_order_release);
  /* shared (not private) futex: the two processes only share the page */
  if (use_futex && syscall(SYS_futex, (uint32_t *)&s->seq, FUTEX_WAKE, 1, NULL, NULL, 0) < 0) die("futex(FUTEX_WAKE)");
}

int main(int argc, char **argv) {
  if (argc != 7 || (strcmp(argv[1], "spin") && strcmp(argv[1], "futex"))) {
    fprintf(stderr, "usage: %s spin|futex payload iters warmup cpu_ping cpu_pong\n", argv[0]);
    return 2;
  }
  use_futex = strcmp(argv[1], "futex") == 0;
  size_t payload = arg_size(argv[2], "payload"), iters = arg_size(argv[3], "iters"), warmup = arg_size(argv[4], "warmup");
  int cpu_ping = arg_cpu(argv[5]), cpu_pong = arg_cpu(argv[6]);
  if (iters == 0 || warmup + iters >= UINT32_MAX) { fprintf(stderr, "iters must be 1..2^32-warmup\n"); return 2; }
  if (!use_futex) require_two_cpus_for_spinning(cpu_ping, cpu_pong);

  size_t sb = slot_bytes(payload);
  char *base = shared_map(2 * sb);
  slot_t *req = (slot_t *)base, *rep = (slot_t *)(base + sb);
  uint32_t total = (uint32_t)(warmup + iters);

  pid_t pid = fork_pong();
  if (pid == 0) {
    pin_to(cpu_pong);
    for (uint32_t i = 1; i <= total; i++) {
      wait_for(req, i);
      uint32_t len = req->len;
      memcpy(rep->data, req->data, len);
      rep->len = len;
      publish(rep, i);
    }
    _exit(0);
  }
  pin_to(cpu_ping);
  char *local = malloc(payload ? payload : 1);
  uint64_t *samples = malloc(iters * sizeof *samples);
  if (!local || !samples) die("malloc");
  memset(local, 0x5a, payload);
  for (uint32_t i = 1; i <= total; i++) {
    uint64_t t0 = mono_ns();
    memcpy(req->data, local, payload);
    req->len = (uint32_t)payload;
    publish(req, i);
    wait_for(rep, i);
    memcpy(local, rep->data, rep->len);
    uint64_t t1 = mono_ns();
    if (i > warmup) samples[i - warmup - 1] = t1 - t0;
  }
  wait_pong(pid);
  char label[64];
  snprintf(label, sizeof label, "shm_%s", use_futex ? "futex" : "busypoll");
  report(label, payload, iters, samples, iters);
  return 0;
}
