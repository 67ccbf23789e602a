/*
 * tcp_probe.c - C reference for the rFaaS tcp transport: a TCP loopback echo
 * round trip between two processes, TCP_NODELAY on both ends.
 *
 *   spin  : non-blocking sockets, recv/send retried in a busy loop (reference for "hot").
 *   block : blocking recv/send, the thread sleeps in the kernel (reference for "warm").
 *
 * The listener binds 127.0.0.1 port 0 (a free port), so concurrent runs never collide.
 * Ping sends <payload> bytes, pong receives all of them into its buffer and sends
 * them back, ping receives all of them.
 *
 * usage: tcp_probe <spin|block> <payload> <iters> <warmup> <cpu_ping> <cpu_pong>
 */
#include "rfaas_probe.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static int spin;

static void send_all(int fd, const char *b, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t r = send(fd, b + off, n - off, MSG_NOSIGNAL);
    if (r > 0) off += (size_t)r;
    else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) cpu_relax();
    else die("send");
  }
}

static void recv_all(int fd, char *b, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t r = recv(fd, b + off, n - off, 0);
    if (r > 0) off += (size_t)r;
    else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) cpu_relax();
    else if (r == 0) { fprintf(stderr, "peer closed the connection\n"); exit(1); }
    else die("recv");
  }
}

static void tune(int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one)) die("setsockopt(TCP_NODELAY)");
  if (spin && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) die("fcntl(O_NONBLOCK)");
}

int main(int argc, char **argv) {
  if (argc != 7 || (strcmp(argv[1], "spin") && strcmp(argv[1], "block"))) {
    fprintf(stderr, "usage: %s spin|block payload iters warmup cpu_ping cpu_pong\n", argv[0]);
    return 2;
  }
  spin = strcmp(argv[1], "spin") == 0;
  size_t payload = arg_size(argv[2], "payload"), iters = arg_size(argv[3], "iters"), warmup = arg_size(argv[4], "warmup");
  int cpu_ping = arg_cpu(argv[5]), cpu_pong = arg_cpu(argv[6]);
  if (iters == 0) { fprintf(stderr, "iters must be >= 1\n"); return 2; }
  if (spin) require_two_cpus_for_spinning(cpu_ping, cpu_pong);

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) die("socket");
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr)) die("bind 127.0.0.1:0");
  socklen_t alen = sizeof addr;
  if (getsockname(lfd, (struct sockaddr *)&addr, &alen)) die("getsockname");
  if (listen(lfd, 1)) die("listen");

  size_t total = warmup + iters;
  pid_t pid = fork_pong();
  if (pid == 0) {
    close(lfd);
    pin_to(cpu_pong);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr)) die("connect");
    tune(fd);
    char *buf = malloc(payload ? payload : 1);
    if (!buf) die("malloc");
    for (size_t i = 0; i < total; i++) {
      recv_all(fd, buf, payload);
      send_all(fd, buf, payload);
    }
    close(fd);
    _exit(0);
  }
  pin_to(cpu_ping);
  int fd = accept(lfd, NULL, NULL);
  if (fd < 0) die("accept");
  close(lfd);
  tune(fd);
  char *buf = malloc(payload ? payload : 1);
  uint64_t *samples = malloc(iters * sizeof *samples);
  if (!buf || !samples) die("malloc");
  memset(buf, 0x5a, payload);
  for (size_t i = 0; i < total; i++) {
    uint64_t t0 = mono_ns();
    send_all(fd, buf, payload);
    recv_all(fd, buf, payload);
    uint64_t t1 = mono_ns();
    if (i >= warmup) samples[i - warmup] = t1 - t0;
  }
  close(fd);
  wait_pong(pid);
  report(spin ? "tcp_busypoll" : "tcp_blocking", payload, iters, samples, iters);
  return 0;
}
