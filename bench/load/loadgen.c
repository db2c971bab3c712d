/*
 * The load benchmark's load generator: one thread, one epoll set, N TCP connections, each
 * doing ping-pong (write `size` bytes, read `size` bytes back, again) for a duration.
 * Written in C so that it is not the bottleneck (bench/load/load-generator.ts measures it
 * against a C echo server and reports its own CPU time).
 *
 *   loadgen run <host> <port> <connections> <duration_ms> [size] [window] [timeout_ms]
 *     Phase 1: opens the connections, at most `window` at a time not yet served (opened and
 *     not yet echoed their first ping), so that a burst never overflows the server's listen
 *     backlog and what is measured is how fast the server accepts and serves. Phase 2: every
 *     connection pings at once for `duration_ms`. Prints one JSON object on stdout.
 *   loadgen echo <port>
 *     A C epoll echo server (the yardstick the generator is measured against). Prints
 *     "listening on 127.0.0.1:<port>" and echoes until killed.
 *
 * Exit codes: 0 done (see "errors" in the JSON), 2 usage, 3 the descriptor limit is too low
 * (RLIMIT_NOFILE's hard limit, which only root can raise), 4 phase 1 timed out.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNECTING, FIRST_PING, IDLE, PINGING, DONE };

struct conn {
  int fd;
  int state;
  int sent;     /* bytes of the current ping written */
  int got;      /* bytes of the current pong read */
  uint64_t round_trips;
  double opened_ms, served_ms;
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int raise_nofile(long need) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  if ((long)rl.rlim_cur >= need) return 0;
  if (rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max < need) {
    fprintf(stderr, "loadgen: %ld connections need %ld descriptors, and the hard limit (ulimit -Hn) is %ld\n", need - 16, need,
            (long)rl.rlim_max);
    return -1;
  }
  rl.rlim_cur = need;
  return setrlimit(RLIMIT_NOFILE, &rl);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int echo_server(int port) {
  struct rlimit rl;
  /* As many connections as the hard limit allows. */
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 4096)) {
    perror("loadgen echo");
    return 1;
  }
  socklen_t len = sizeof a;
  getsockname(lfd, (struct sockaddr *)&a, &len);
  printf("listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
  fflush(stdout);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  struct epoll_event evs[512];
  char buf[65536];
  for (;;) {
    int n = epoll_wait(ep, evs, 512, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        int c;
        while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        close(fd);
        continue;
      }
      /* A pong is at most a few hundred bytes: the send buffer takes it whole. */
      if (write(fd, buf, r) < 0 && errno != EAGAIN) close(fd);
    }
  }
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "echo") == 0) return echo_server(atoi(argv[2]));
  if (argc < 6 || strcmp(argv[1], "run") != 0) {
    fprintf(stderr, "usage: loadgen run <host> <port> <connections> <duration_ms> [size] [window] [timeout_ms]\n"
                    "       loadgen echo <port>\n");
    return 2;
  }
  const char *host = argv[2];
  int port = atoi(argv[3]);
  int n = atoi(argv[4]);
  double duration = atof(argv[5]);
  int size = argc > 6 ? atoi(argv[6]) : 64;
  int window = argc > 7 ? atoi(argv[7]) : 256;
  double timeout = argc > 8 ? atof(argv[8]) : 120000;
  if (n < 1 || size < 1 || size > 65536 || window < 1 || duration < 0) {
    fprintf(stderr, "loadgen: bad arguments\n");
    return 2;
  }
  if (raise_nofile((long)n + 16) != 0) return 3;

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "loadgen: bad host %s\n", host);
    return 2;
  }
  struct conn *conns = calloc(n, sizeof *conns);
  char *ping = malloc(size), *buf = malloc(65536);
  memset(ping, 'p', size);
  int ep = epoll_create1(0);
  struct epoll_event evs[1024];
  int opened = 0, served = 0, finished = 0, in_window = 0, handshakes = 0;
  long errors = 0, connect_errors = 0;
  char first_error[160] = "";
  uint64_t bytes_sent = 0, bytes_received = 0;
  int one = 1;
  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  double t0 = now_ms(), connected_at = 0, served_at = 0, ping_start = 0, ping_end = 0;
  int phase = 1;

#define FAIL(c, what)                                                                                      \
  do {                                                                                                     \
    if (!first_error[0]) snprintf(first_error, sizeof first_error, "%s: %s", what, strerror(errno));        \
    if ((c)->state == CONNECTING || (c)->state == FIRST_PING) { in_window--; connect_errors++; }           \
    errors++;                                                                                              \
    close((c)->fd);                                                                                        \
    (c)->state = DONE;                                                                                     \
    finished++;                                                                                            \
  } while (0)

  for (;;) {
    /* Phase 1: keep the window full. */
    while (phase == 1 && opened < n && in_window < window) {
      struct conn *c = &conns[opened];
      c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (c->fd < 0) {
        fprintf(stderr, "loadgen: socket: %s\n", strerror(errno));
        return 3;
      }
      setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      c->opened_ms = now_ms();
      c->state = CONNECTING;
      in_window++;
      opened++;
      struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
      epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
      if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) FAIL(c, "connect");
    }
    if (phase == 1 && served + connect_errors == n) {
      served_at = now_ms();
      phase = 2;
      ping_start = served_at;
      for (int i = 0; i < n; i++) {
        struct conn *c = &conns[i];
        if (c->state != IDLE) continue;
        c->state = PINGING;
        c->sent = c->got = 0;
        ssize_t w = write(c->fd, ping, size);
        if (w < 0) FAIL(c, "write");
        else { c->sent = w; bytes_sent += w; }
      }
    }
    double t = now_ms();
    if (phase == 1 && t - t0 > timeout) {
      fprintf(stderr, "loadgen: %d of %d connections served after %.0f ms\n", served, n, t - t0);
      return 4;
    }
    if (phase == 2 && t - ping_start >= duration) break;
    int wait = phase == 1 ? 100 : (int)(duration - (t - ping_start)) + 1;
    int k = epoll_wait(ep, evs, 1024, wait);
    for (int i = 0; i < k; i++) {
      struct conn *c = evs[i].data.ptr;
      if (c->state == DONE) continue;
      if (c->state == CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) { errno = err; FAIL(c, "connect"); continue; }
        if (!(evs[i].events & EPOLLOUT)) continue;
        c->state = FIRST_PING;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->sent = c->got = 0;
        ssize_t w = write(c->fd, ping, size);
        if (w < 0) { FAIL(c, "write"); continue; }
        c->sent = w;
        bytes_sent += w;
        if (++handshakes + connect_errors == n) connected_at = now_ms();
        continue;
      }
      ssize_t r = read(c->fd, buf, 65536);
      if (r == 0) { errno = ECONNRESET; FAIL(c, "read: closed by the server"); continue; }
      if (r < 0) {
        if (errno == EAGAIN) continue;
        FAIL(c, "read");
        continue;
      }
      bytes_received += r;
      c->got += r;
      if (c->got < size) continue;
      if (c->state == FIRST_PING) {
        c->served_ms = now_ms();
        c->state = IDLE;
        served++;
        in_window--;
        continue;
      }
      if (c->state == PINGING) {
        c->round_trips++;
        c->got -= size;
        ssize_t w = write(c->fd, ping, size);
        if (w < 0) { FAIL(c, "write"); continue; }
        bytes_sent += w;
      }
    }
  }
  ping_end = now_ms();
  getrusage(RUSAGE_SELF, &ru1);
  uint64_t total = 0;
  uint64_t *counts = malloc(sizeof(uint64_t) * n);
  int live = 0;
  double max_serve = 0;
  for (int i = 0; i < n; i++) {
    if (conns[i].state == PINGING) {
      counts[live++] = conns[i].round_trips;
      total += conns[i].round_trips;
    }
    if (conns[i].served_ms - conns[i].opened_ms > max_serve) max_serve = conns[i].served_ms - conns[i].opened_ms;
  }
  /* Close every connection (FIN) before reporting, so the server has seen each end. */
  for (int i = 0; i < n; i++)
    if (conns[i].state != DONE) close(conns[i].fd);
  qsort(counts, live, sizeof *counts, cmp_u64);
  double cpu_user = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1e3 + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e3;
  double cpu_sys = (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e3 + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e3;
  double secs = (ping_end - ping_start) / 1e3;
  printf("{\"connections\":%d,\"served\":%d,\"errors\":%ld,\"connectErrors\":%ld,\"firstError\":\"%s\","
         "\"connectMs\":%.1f,\"serveMs\":%.1f,\"maxServeMs\":%.1f,\"pingMs\":%.1f,\"roundTrips\":%llu,"
         "\"roundTripsPerSecond\":%.0f,\"perConnection\":{\"min\":%llu,\"median\":%llu,\"max\":%llu},"
         "\"bytesSent\":%llu,\"bytesReceived\":%llu,\"cpuUserMs\":%.0f,\"cpuSystemMs\":%.0f}\n",
         n, served, errors, connect_errors, first_error, (connected_at ? connected_at : served_at) - t0, served_at - t0, max_serve,
         ping_end - ping_start, (unsigned long long)total, secs > 0 ? total / secs : 0, (unsigned long long)(live ? counts[0] : 0),
         (unsigned long long)(live ? counts[live / 2] : 0), (unsigned long long)(live ? counts[live - 1] : 0),
         (unsigned long long)bytes_sent, (unsigned long long)bytes_received, cpu_user, cpu_sys);
  return 0;
}
