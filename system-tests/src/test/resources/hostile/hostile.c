/*
 * Hostile native functions (original rFaaS ABI: uint32_t name(void* in, uint32_t in_size, void* out)),
 * the C counterparts of HostileFunctions.java: each tries one way out of its lease and answers in
 * text what it got. Build: gcc -O2 -shared -fPIC -pthread -o libhostile.so hostile.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void text_in(const void* in, uint32_t size, char* buf, size_t cap) {
    size_t n = size < cap - 1 ? size : cap - 1;
    memcpy(buf, in, n);
    buf[n] = 0;
}

static uint32_t text_out(void* out, const char* text) {
    size_t n = strlen(text);
    if (n > 200) n = 200;
    memcpy(out, text, n);
    return (uint32_t) n;
}

/* read_file PATH: READ or DENIED:errno */
uint32_t read_file(void* in, uint32_t in_size, void* out) {
    char path[256], answer[64];
    text_in(in, in_size, path, sizeof path);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(answer, sizeof answer, "DENIED:%d", errno);
        return text_out(out, answer);
    }
    char b[16];
    ssize_t r = read(fd, b, sizeof b);
    close(fd);
    snprintf(answer, sizeof answer, r >= 0 ? "READ" : "DENIED:%d", errno);
    return text_out(out, answer);
}

/* signal_pid PID: ptrace attach and SIGKILL; their return values */
uint32_t signal_pid(void* in, uint32_t in_size, void* out) {
    char buf[32], answer[64];
    text_in(in, in_size, buf, sizeof buf);
    pid_t pid = (pid_t) atol(buf);
    long traced = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
    int killed = kill(pid, SIGKILL);
    snprintf(answer, sizeof answer, "ptrace=%ld kill=%d", traced, killed);
    return text_out(out, answer);
}

static long long thread_cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static volatile long long burned_total;
static volatile int burners_running;
static pthread_mutex_t burn_lock = PTHREAD_MUTEX_INITIALIZER;

static void* burner(void* arg) {
    long long nanos = (long long) (intptr_t) arg, start = thread_cpu_ns();
    volatile uint64_t x = 1;
    while (thread_cpu_ns() - start < nanos) {
        for (int i = 0; i < 10000; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    }
    pthread_mutex_lock(&burn_lock);
    burned_total += thread_cpu_ns() - start;
    burners_running--;
    pthread_mutex_unlock(&burn_lock);
    return NULL;
}

/* burn_threads "N MS": N detached threads each spinning for MS of CPU; returns at once */
uint32_t burn_threads(void* in, uint32_t in_size, void* out) {
    char buf[64];
    text_in(in, in_size, buf, sizeof buf);
    int n = 0;
    long ms = 0;
    sscanf(buf, "%d %ld", &n, &ms);
    for (int i = 0; i < n; i++) {
        pthread_t t;
        pthread_mutex_lock(&burn_lock);
        burners_running++;
        pthread_mutex_unlock(&burn_lock);
        pthread_create(&t, NULL, burner, (void*) (intptr_t) (ms * 1000000LL));
        pthread_detach(t);
    }
    return text_out(out, "started");
}

/* join_threads: waits for the burners; the CPU nanoseconds they used */
uint32_t join_threads(void* in, uint32_t in_size, void* out) {
    (void) in; (void) in_size;
    for (;;) {
        pthread_mutex_lock(&burn_lock);
        int running = burners_running;
        pthread_mutex_unlock(&burn_lock);
        if (running == 0) break;
        usleep(1000);
    }
    char answer[32];
    snprintf(answer, sizeof answer, "%lld", burned_total);
    return text_out(out, answer);
}

/* fork_bomb: forks children that wait forever, until fork fails; how many it made */
uint32_t fork_bomb(void* in, uint32_t in_size, void* out) {
    (void) in; (void) in_size;
    int made = 0, err = 0;
    for (int i = 0; i < 5000; i++) {
        pid_t p = fork();
        if (p == 0) {
            for (;;) pause();
        }
        if (p < 0) { err = errno; break; }
        made++;
    }
    char answer[64];
    snprintf(answer, sizeof answer, "forked=%d errno=%d", made, err);
    return text_out(out, answer);
}

/* native_alloc MIB: malloc and touch, 16 MiB at a time */
uint32_t native_alloc(void* in, uint32_t in_size, void* out) {
    char buf[32];
    text_in(in, in_size, buf, sizeof buf);
    long mib = atol(buf);
    for (long done = 0; done < mib; done += 16) {
        char* p = malloc(16L << 20);
        if (p == NULL) return text_out(out, "malloc failed");
        memset(p, 1, 16L << 20);
    }
    return text_out(out, "allocated");
}

/* fill_disk DIR: writes DIR/fill until an error; STOPPED:MiB:errno */
uint32_t fill_disk(void* in, uint32_t in_size, void* out) {
    char dir[200], path[256], answer[64];
    text_in(in, in_size, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/fill-native", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        snprintf(answer, sizeof answer, "STOPPED:0:%d", errno);
        return text_out(out, answer);
    }
    static char mib[1 << 20];
    long written = 0;
    int err = 0;
    while (written < 4096) {
        if (write(fd, mib, sizeof mib) != (ssize_t) sizeof mib) { err = errno; break; }
        written++;
    }
    close(fd);
    unlink(path);
    snprintf(answer, sizeof answer, "STOPPED:%ld:%d", written, err);
    return text_out(out, answer);
}
