/*
 * rfaas_probe.h - helpers shared by the rFaaS C reference probes.
 *
 * Every probe measures a ping-pong round trip between two processes: the parent
 * ("ping") and a forked child ("pong"), optionally pinned to two CPUs.  It prints
 * exactly one machine-readable line on stdout:
 *
 *   RESULT <label> payload=<bytes> n=<iters> rtt_ns min=<n> median=<n> mean=<n> p99=<n> max=<n>
 *
 * or "SKIP <reason>" when the combination cannot run here (exit status 0 in both
 * cases).  Errors go to stderr with a non-zero exit status.  The Java side
 * (org.rfaas.benchmarks.common.ProbeOutput) parses these lines.
 *
 * Timestamps come from clock_gettime(CLOCK_MONOTONIC), the clock behind Java's
 * System.nanoTime(), so C and Java round trips carry the same timer overhead.
 * Percentiles use the nearest-rank definition (as HdrHistogram does).
 */
#ifndef RFAAS_PROBE_H
#define RFAAS_PROBE_H
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CACHE_LINE 64
/* A spinning side gives up when its peer has not answered for this long (peer died). */
#define GIVE_UP_NS 10000000000ull

static inline uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

static inline void die(const char *what) {
  perror(what);
  exit(1);
}

static inline void skip(const char *reason) {
  printf("SKIP %s\n", reason);
  fflush(stdout);
  exit(0);
}

/* Pins the calling process to one CPU; cpu < 0 leaves it unpinned. A failure is a
 * warning, not an error: the measurement is still valid, just unpinned. */
static inline void pin_to(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) fprintf(stderr, "warning: cannot pin to cpu %d: %s\n", cpu, strerror(errno));
}

/* Spinning on one CPU against a peer on the same CPU measures the scheduler, not the
 * path: refuse it, and refuse a machine with a single CPU. */
static inline void require_two_cpus_for_spinning(int cpu_ping, int cpu_pong) {
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) skip("busy-polling needs 2 online CPUs");
  if (cpu_ping >= 0 && cpu_ping == cpu_pong) skip("busy-polling needs two different CPUs");
}

/* Memory shared by the parent and the child forked after this call. */
static inline void *shared_map(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  memset(p, 0, bytes);
  return p;
}

/* fork() whose child dies with its parent, so a killed benchmark leaves no spinner behind. */
static inline pid_t fork_pong(void) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
  }
  return pid;
}

static inline void wait_pong(pid_t pid) {
  int st = 0;
  if (waitpid(pid, &st, 0) < 0) die("waitpid");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "pong process failed (status 0x%x)\n", st);
    exit(1);
  }
}

static inline size_t arg_size(const char *s, const char *name) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || end == s) {
    fprintf(stderr, "bad %s '%s'\n", name, s);
    exit(2);
  }
  return (size_t)v;
}

static inline int arg_cpu(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || end == s || v < -1 || v > 4095) {
    fprintf(stderr, "bad cpu '%s' (a CPU number, or -1 for unpinned)\n", s);
    exit(2);
  }
  return (int)v;
}

static inline int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* nearest rank: the smallest sample with at least p of all samples at or below it */
static inline uint64_t rank(const uint64_t *sorted, size_t n, double p) {
  size_t r = (size_t)(p * (double)n + 0.999999);
  if (r < 1) r = 1;
  if (r > n) r = n;
  return sorted[r - 1];
}

/* Sorts the samples (ns) and prints the RESULT line; n is the number of round trips. */
static inline void report(const char *label, size_t payload, size_t n, uint64_t *s, size_t count) {
  qsort(s, count, sizeof *s, cmp_u64);
  double sum = 0;
  for (size_t i = 0; i < count; i++) sum += (double)s[i];
  printf("RESULT %s payload=%zu n=%zu rtt_ns min=%llu median=%llu mean=%.0f p99=%llu max=%llu\n", label, payload, n,
         (unsigned long long)s[0], (unsigned long long)rank(s, count, 0.5), sum / (double)count,
         (unsigned long long)rank(s, count, 0.99), (unsigned long long)s[count - 1]);
  fflush(stdout);
}

/* Busy-waits until *word == want; gives up (exit 3) when the peer is silent for GIVE_UP_NS. */
static inline void spin_until(_Atomic uint32_t *word, uint32_t want) {
  uint64_t spins = 0, since = 0;
  while (atomic_load_explicit(word, memory_order_acquire) != want) {
    cpu_relax();
    if ((++spins & 0xfffff) == 0) {
      uint64_t now = mono_ns();
      if (!since) since = now;
      else if (now - since > GIVE_UP_NS) {
        fprintf(stderr, "peer silent for %llu s, giving up\n", GIVE_UP_NS / 1000000000ull);
        exit(3);
      }
    }
  }
}
#endif
