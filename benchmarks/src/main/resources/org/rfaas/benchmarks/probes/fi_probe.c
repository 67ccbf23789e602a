/*
 * fi_probe: the rFaaS C reference ping-pong over libfabric, the yardstick for the fabric:*
 * rows of `rfaas bench transport`.
 *
 *   fi_probe <provider> <msg|rma> <payload_bytes> <iters> <cpu_ping> <cpu_pong>
 *
 * prints one line
 *   RESULT fi_probe:<provider>:<mode> payload=<bytes> n=<iters> rtt_ns min=.. median=.. mean=.. p99=.. max=..
 * or "SKIP <reason>" (exit 0) when the provider/mode cannot run here. cpu -1 = unpinned.
 *
 * It takes the same path as the Java fabric transport, so the ratio compares like with like:
 * FI_EP_RDM endpoints (tcp and verbs through ofi_rxm), FI_PROGRESS_MANUAL when offered, both
 * sides busy-polling fi_cq_read. rma: fi_inject_writedata (fi_writedata above the inject size)
 * into the peer's registered buffer, the peer spins for the FI_REMOTE_CQ_DATA completion and
 * echoes the payload back the same way. msg: fi_senddata/fi_inject into a posted fi_recv.
 * Ping copies each echo out of its receive buffer into private memory before the round trip ends,
 * exactly as the Java ping (PingSide) does with its receive slot and as shm_probe and tcp_probe
 * do: every ping-pong of `rfaas bench transport` moves the same bytes (pong echoes from where
 * the message landed, ping consumes the echo).
 * The two processes (fork) exchange endpoint names, buffer addresses and keys over a socketpair.
 *
 * Build: gcc -O2 -o fi_probe fi_probe.c -lfabric
 */
#define _GNU_SOURCE
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NAME_MAX_LEN 256

struct peer_info { /* what each side tells the other over the socketpair */
  char name[NAME_MAX_LEN];
  size_t name_len;
  uint64_t addr; /* remote address of the receive buffer (0 without FI_MR_VIRT_ADDR) */
  uint64_t key;
};

static struct {
  const char *prov, *label_prov;
  int rma;
  size_t payload, inject;
  struct fi_info *info;
  struct fid_fabric *fabric;
  struct fid_domain *domain;
  struct fid_av *av;
  struct fid_cq *cq;
  struct fid_ep *ep;
  struct fid_mr *mr;
  char *tx, *rx; /* registered: tx buffer, rx buffer */
  char *copy;     /* private memory the ping copies each echo into */
  void *desc;
  fi_addr_t peer;
  struct peer_info remote;
  struct fi_context2 tx_ctx, rx_ctx;
} P;

static int is_pong;

static void skip(const char *what, int ret) {
  if (is_pong) exit(0); /* ping reports it */
  printf("SKIP fi_probe:%s:%s %s: %s (%d)\n", P.label_prov, P.rma ? "rma" : "msg", what, fi_strerror(-ret), ret);
  exit(0);
}

static void die(const char *what, long ret) {
  fprintf(stderr, "fi_probe: %s failed: %s (%ld)\n", what, fi_strerror((int)-ret), ret);
  exit(2);
}

#define CHECK(call)                                 \
  do {                                              \
    long _r = (call);                               \
    if (_r) die(#call, _r);                         \
  } while (0)

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set)) perror("sched_setaffinity");
}

static struct fi_info *hints_for(int progress) {
  struct fi_info *h = fi_allocinfo();
  h->caps = P.rma ? (FI_RMA | FI_WRITE | FI_REMOTE_WRITE) : FI_MSG;
  h->mode = FI_CONTEXT | FI_CONTEXT2;
  h->ep_attr->type = FI_EP_RDM;
  h->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY;
  h->domain_attr->threading = FI_THREAD_DOMAIN;
  h->domain_attr->data_progress = progress;
  h->fabric_attr->prov_name = strdup(P.prov);
  return h;
}

/* Manual progress where offered (the spinning thread drives it), else the provider's choice.
 * Socket-address providers are bound to 127.0.0.1 so the probe never leaves loopback. */
static void choose_info(void) {
  int progs[2] = {FI_PROGRESS_MANUAL, FI_PROGRESS_UNSPEC}, ret = -FI_ENODATA;
  for (int i = 0; i < 2 && !P.info; i++) {
    struct fi_info *h = hints_for(progs[i]), *fi = NULL;
    ret = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, h, &fi);
    if (!ret && (fi->addr_format == FI_SOCKADDR_IN || fi->addr_format == FI_SOCKADDR)) {
      fi_freeinfo(fi);
      fi = NULL;
      h->addr_format = FI_SOCKADDR_IN;
      ret = fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", NULL, FI_SOURCE, h, &fi);
    }
    fi_freeinfo(h);
    if (!ret) P.info = fi;
  }
  if (!P.info) skip("fi_getinfo", ret);
  if (P.rma && P.info->domain_attr->cq_data_size < 4) skip("remote CQ data", -FI_EOPNOTSUPP);
}

/* Closes what open_endpoint opened, newest first. Registered with atexit() so that every way out
 * (normal end, skip, die) closes the endpoint: libfabric's shm provider unlinks its 16 MiB region
 * in /dev/shm only when the endpoint is closed, and leaves it behind on a bare exit. */
static void close_endpoint(void) {
  if (P.ep) fi_close(&P.ep->fid);
  if (P.mr) fi_close(&P.mr->fid);
  if (P.cq) fi_close(&P.cq->fid);
  if (P.av) fi_close(&P.av->fid);
  if (P.domain) fi_close(&P.domain->fid);
  if (P.fabric) fi_close(&P.fabric->fid);
  P.ep = NULL, P.mr = NULL, P.cq = NULL, P.av = NULL, P.domain = NULL, P.fabric = NULL;
}

static void open_endpoint(void) {
  atexit(close_endpoint);
  CHECK(fi_fabric(P.info->fabric_attr, &P.fabric, NULL));
  CHECK(fi_domain(P.fabric, P.info, &P.domain, NULL));
  struct fi_av_attr ava = {.type = FI_AV_TABLE};
  CHECK(fi_av_open(P.domain, &ava, &P.av, NULL));
  struct fi_cq_attr cqa = {.format = FI_CQ_FORMAT_DATA, .wait_obj = FI_WAIT_NONE, .size = 128};
  CHECK(fi_cq_open(P.domain, &cqa, &P.cq, NULL));
  CHECK(fi_endpoint(P.domain, P.info, &P.ep, NULL));
  CHECK(fi_ep_bind(P.ep, &P.av->fid, 0));
  CHECK(fi_ep_bind(P.ep, &P.cq->fid, FI_TRANSMIT | FI_RECV));
  CHECK(fi_enable(P.ep));
  size_t len = P.payload ? P.payload : 1, page = 4096, total = 2 * ((len + page - 1) / page * page);
  char *mem;
  if (posix_memalign((void **)&mem, page, total)) die("posix_memalign", -FI_ENOMEM);
  memset(mem, 0x5a, total);
  P.tx = mem;
  P.rx = mem + total / 2;
  uint64_t access = FI_SEND | FI_RECV | FI_WRITE | FI_REMOTE_WRITE;
  CHECK(fi_mr_reg(P.domain, mem, total, access, 0, 1, 0, &P.mr, NULL));
  P.desc = fi_mr_desc(P.mr);
  if (posix_memalign((void **)&P.copy, 64, len)) die("posix_memalign", -FI_ENOMEM);
  memset(P.copy, 0, len);
  P.inject = P.info->tx_attr->inject_size;
}

static void exchange(int sock) {
  struct peer_info mine = {0};
  mine.name_len = sizeof mine.name;
  CHECK(fi_getname(&P.ep->fid, mine.name, &mine.name_len));
  int virt = (P.info->domain_attr->mr_mode & FI_MR_VIRT_ADDR) != 0;
  mine.addr = virt ? (uint64_t)(uintptr_t)P.rx : (uint64_t)(P.rx - P.tx);
  mine.key = fi_mr_key(P.mr);
  if (write(sock, &mine, sizeof mine) != (ssize_t)sizeof mine) die("write(socketpair)", -FI_EIO);
  if (read(sock, &P.remote, sizeof P.remote) != (ssize_t)sizeof P.remote) die("read(socketpair)", -FI_EIO);
  if (fi_av_insert(P.av, P.remote.name, 1, &P.peer, 0, NULL) != 1) die("fi_av_insert", -FI_EINVAL);
}

/* Spin until one completion of the wanted kind (receive side: a remote write or a receive).
 * Completions of the other kind that arrive meanwhile are counted, not lost. */
static long pending[2];
static void wait_cq(int want_rx) {
  struct fi_cq_data_entry e;
  if (pending[want_rx]) {
    pending[want_rx]--;
    return;
  }
  for (;;) {
    ssize_t n = fi_cq_read(P.cq, &e, 1);
    if (n == 1) {
      int rx = (e.flags & (FI_REMOTE_CQ_DATA | FI_RECV)) != 0;
      if (rx == want_rx) return;
      pending[rx]++;
      continue;
    }
    if (n == -FI_EAGAIN) continue;
    if (n == -FI_EAVAIL) {
      struct fi_cq_err_entry err = {0};
      fi_cq_readerr(P.cq, &err, 0);
      die("completion", -err.err);
    }
    die("fi_cq_read", n);
  }
}

static void post_recv(void) {
  ssize_t r;
  while ((r = fi_recv(P.ep, P.rx, P.payload, P.desc, FI_ADDR_UNSPEC, &P.rx_ctx)) == -FI_EAGAIN) fi_cq_read(P.cq, NULL, 0);
  if (r) die("fi_recv", r);
}

/* Send `len` bytes at `src` (registered) to the peer; returns once `src` is reusable. */
static void send_payload(const char *src) {
  ssize_t r;
  int injected = P.payload <= P.inject;
  for (;;) {
    if (P.rma)
      r = injected ? fi_inject_writedata(P.ep, src, P.payload, 7, P.peer, P.remote.addr, P.remote.key)
                   : fi_writedata(P.ep, src, P.payload, P.desc, 7, P.peer, P.remote.addr, P.remote.key, &P.tx_ctx);
    else
      r = injected ? fi_inject(P.ep, src, P.payload, P.peer)
                   : fi_send(P.ep, src, P.payload, P.desc, P.peer, &P.tx_ctx);
    if (r != -FI_EAGAIN) break;
    fi_cq_read(P.cq, NULL, 0); /* drive progress */
  }
  if (r) die(P.rma ? "fi_writedata" : "fi_send", r);
  if (!injected) wait_cq(0);
}

/* A provider that never completes must not hang the benchmark run. */
static pid_t pong_pid;
static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "SKIP fi_probe: no completion within 120 s (provider hangs here)\n";
  if (write(1, msg, sizeof msg - 1) < 0) _exit(3);
  if (pong_pid > 0) kill(pong_pid, SIGKILL);
  _exit(0);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s <provider> <msg|rma> <payload_bytes> <iters> <cpu_ping> <cpu_pong>\n", argv[0]);
    return 1;
  }
  P.label_prov = argv[1];
  P.prov = !strcmp(argv[1], "tcp") ? "tcp;ofi_rxm" : !strcmp(argv[1], "verbs") ? "verbs;ofi_rxm" : argv[1];
  if (strcmp(argv[2], "msg") && strcmp(argv[2], "rma")) {
    fprintf(stderr, "mode must be msg or rma\n");
    return 1;
  }
  P.rma = !strcmp(argv[2], "rma");
  P.payload = strtoull(argv[3], NULL, 10);
  long iters = strtol(argv[4], NULL, 10);
  int cpu_ping = atoi(argv[5]), cpu_pong = atoi(argv[6]);
  if (iters < 1) {
    fprintf(stderr, "iters must be >= 1\n");
    return 1;
  }
  long warmup = iters / 10 < 100 ? 100 : iters / 10;

  /* fork before the first libfabric call: providers such as shm keep per-process state */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) die("socketpair", -FI_EIO);
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) die("fork", -FI_EIO);
  is_pong = child == 0;
  if (is_pong) {
    /* A ping killed mid-round (e.g. by the benchmark's timeout) must not leave the pong spinning
     * on its CQ forever; the Java transport sweeps the shm region a killed pong leaves behind. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1) _exit(0);
  } else {
    pong_pid = child;
    signal(SIGALRM, on_alarm);
    alarm(120);
  }
  pin(is_pong ? cpu_pong : cpu_ping);
  choose_info();
  open_endpoint();
  exchange(is_pong ? sv[1] : sv[0]);

  /* The ping's payload differs from everything the pong holds, so the check after the loop
   * proves the pong echoed what it received. */
  if (!is_pong)
    for (size_t i = 0; i < P.payload; i++) P.tx[i] = (char)(0xa5 ^ (i * 7));
  uint64_t *rtt = calloc((size_t)iters, sizeof *rtt);
  if (!P.rma) post_recv();
  char go = 1;
  /* both endpoints exist before the first message: ping waits for pong's "ready" byte */
  if (is_pong) {
    if (write(sv[1], &go, 1) != 1) die("write(ready)", -FI_EIO);
  } else if (read(sv[0], &go, 1) != 1) {
    die("read(ready)", -FI_EIO);
  }
  for (long i = 0; i < warmup + iters; i++) {
    if (is_pong) {
      /* Echo the bytes that arrived, from where they landed (as the Java pong echoes its receive
       * slot), then re-post the receive: sending a separate, never-written tx buffer instead moves
       * fewer cache lines between the CPUs and made this reference up to 3x faster at 64 KiB over
       * shm than the echo it stands for (docs/rdma.md). */
      wait_cq(1);
      send_payload(P.rx);
      if (!P.rma) post_recv();
    } else {
      uint64_t t0 = now_ns();
      send_payload(P.tx);
      wait_cq(1);
      memcpy(P.copy, P.rx, P.payload); /* consume the echo, as the Java ping does */
      if (!P.rma) post_recv();
      if (i >= warmup) rtt[i - warmup] = now_ns() - t0;
    }
  }
  if (is_pong) {
    /* Stay, driving progress, until ping has its last echo: with manual progress an injected
     * write may still sit in the provider until we call into it again (sockets does this). */
    while (recv(sv[1], &go, 1, MSG_DONTWAIT) < 0) {
      struct fi_cq_data_entry e;
      fi_cq_read(P.cq, &e, 1);
    }
    exit(0); /* not _exit: close_endpoint must run */
  }
  if (write(sv[0], &go, 1) != 1) perror("write(done)");
  int status = 0;
  waitpid(child, &status, 0); /* the pong closes its endpoint (and shm region) before we judge */
  if (memcmp(P.copy, P.tx, P.payload) != 0) {
    fprintf(stderr, "fi_probe: the echo differs from the payload sent (the pong must echo what it received)\n");
    exit(2);
  }
  qsort(rtt, (size_t)iters, sizeof *rtt, cmp_u64);
  double sum = 0;
  for (long i = 0; i < iters; i++) sum += (double)rtt[i];
  long p99 = (long)(iters * 99 / 100);
  if (p99 >= iters) p99 = iters - 1;
  printf("RESULT fi_probe:%s:%s payload=%zu n=%ld rtt_ns min=%llu median=%llu mean=%.0f p99=%llu max=%llu\n",
         P.label_prov, P.rma ? "rma" : "msg", P.payload, iters, (unsigned long long)rtt[0],
         (unsigned long long)rtt[iters / 2], sum / (double)iters, (unsigned long long)rtt[p99],
         (unsigned long long)rtt[iters - 1]);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 2;
}
