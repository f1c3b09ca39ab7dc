// Persistent thread pool and instruction-set selection.
//
// A decode step runs ~170 small kernels back to back, so dispatch must cost a few microseconds at
// most: workers spin on a generation counter for a while after each job (CK_SPIN_US, default 200 µs)
// and only then sleep (futex on Linux, a condition variable elsewhere), so idle threads do not burn
// CPU. The calling thread takes part: a job is cut into chunks that every thread claims from a shared
// counter, so a worker that is slow to wake (or descheduled) costs nothing, since the caller simply
// runs more chunks. One job runs at a time: callers on different threads are serialised by `run_lock`.
#define _GNU_SOURCE
#include "ck_internal.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

// ---------------------------------------------------------------- instruction sets

static int isa_supported = -1;
static _Thread_local int isa_override = -1;

static int detect_isa(void) {
    int level = CK_ISA_SCALAR;
#if CK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = CK_ISA_AVX2;
    if (level == CK_ISA_AVX2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        level = CK_ISA_AVX512;
#endif
    const char *env = getenv("CK_ISA");
    if (env) {
        int cap = !strcmp(env, "scalar") ? CK_ISA_SCALAR : !strcmp(env, "avx2") ? CK_ISA_AVX2 : CK_ISA_AVX512;
        if (cap < level) level = cap;
    }
    return level;
}

int ck_isa_supported(void) {
    int s = __atomic_load_n(&isa_supported, __ATOMIC_RELAXED);
    if (s < 0) {
        s = detect_isa();
        __atomic_store_n(&isa_supported, s, __ATOMIC_RELAXED);
    }
    return s;
}

int ck_isa_level(void) {
    int s = ck_isa_supported();
    return isa_override >= 0 && isa_override < s ? isa_override : s;
}

int ck_set_isa_level(int level) {
    isa_override = level;
    return ck_isa_level();
}

// ---------------------------------------------------------------- memory

#define HUGE_MIN_BYTES ((size_t)4 << 20)
#define HUGE_ALIGN ((size_t)2 << 20)

void *ck_alloc(size_t bytes) {
    size_t align = bytes >= HUGE_MIN_BYTES ? HUGE_ALIGN : 64;
    if (bytes == 0) bytes = 64;
    if (bytes > SIZE_MAX - align) return NULL;
    size_t want = (bytes + align - 1) & ~(align - 1);
    void *p = NULL;
    if (posix_memalign(&p, align, want) != 0) return NULL;
#if defined(MADV_HUGEPAGE)
    // Before the first touch, so the pages are faulted in huge; a kernel without THP ignores it.
    if (align == HUGE_ALIGN) (void)madvise(p, want, MADV_HUGEPAGE);
#endif
    memset(p, 0, want);
    return p;
}

// ---------------------------------------------------------------- scratch

void *ck_scratch(int slot, size_t bytes) {
    static _Thread_local void *buf[2];
    static _Thread_local size_t cap[2];
    if (bytes > cap[slot]) {
        free(buf[slot]);
        size_t want = (bytes + 4095) & ~(size_t)4095;
        if (posix_memalign(&buf[slot], 64, want) != 0) abort();
        cap[slot] = want;
    }
    return buf[slot];
}

// ---------------------------------------------------------------- pool

#define MAX_THREADS 256

// A job is split into chunks that any thread may claim. Claims go through one 64-bit word packing
// the job's generation (32 bits), its chunk count (16) and the next unclaimed chunk (16), so a worker
// that wakes late can neither claim a chunk of a finished job nor read a newer job's fields. If a
// worker is descheduled (the machine is shared), the caller simply runs the remaining chunks itself.
static struct {
    pthread_mutex_t run_lock;           // held while a job runs or the pool is resized
    int nthreads;                       // caller included
    pthread_t threads[MAX_THREADS];
    _Atomic uint32_t gen;               // bumped to publish a job (futex word)
    _Atomic uint64_t claim;             // gen << 32 | nchunks << 16 | next chunk
    _Atomic uint32_t completed;         // chunks of the current job finished (futex word)
    _Atomic int caller_sleeping;        // the dispatching thread waits in futex/condvar for `completed`
    _Atomic int sleepers;               // workers blocked (or about to block) in futex/condvar wait
    _Atomic int quit;
    ck_task_fn fn;
    void *ctx;
#if !defined(__linux__)
    pthread_mutex_t sleep_lock;
    pthread_cond_t sleep_cond;
#endif
} pool = {
    .run_lock = PTHREAD_MUTEX_INITIALIZER,
#if !defined(__linux__)
    .sleep_lock = PTHREAD_MUTEX_INITIALIZER,
    .sleep_cond = PTHREAD_COND_INITIALIZER,
#endif
};

#define MAX_CHUNKS 0xffff

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static int64_t spin_ns = 200000;
// How long the dispatching thread spins for workers' last chunks before sleeping (longer than a chunk
// normally takes, so sleeping happens only when a worker was preempted).
#define CALLER_SPIN_NS 100000

CK_INLINE void cpu_relax(void) {
#if CK_X86
    __builtin_ia32_pause();
#endif
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Blocks while *word == seen (may return spuriously).
static void wait_word(_Atomic uint32_t *word, uint32_t seen) {
#if defined(__linux__)
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
#else
    pthread_mutex_lock(&pool.sleep_lock);
    while (atomic_load(word) == seen) pthread_cond_wait(&pool.sleep_cond, &pool.sleep_lock);
    pthread_mutex_unlock(&pool.sleep_lock);
#endif
}

// Wakes every thread blocked in wait_word(word, ...).
static void wake_word(_Atomic uint32_t *word) {
#if defined(__linux__)
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, MAX_THREADS, NULL, NULL, 0);
#else
    (void)word;
    pthread_mutex_lock(&pool.sleep_lock);
    pthread_cond_broadcast(&pool.sleep_cond);
    pthread_mutex_unlock(&pool.sleep_lock);
#endif
}

static void wake_all(void) { wake_word(&pool.gen); }

// Claims and runs chunks of job `g` until none is left.
static void run_chunks(uint32_t g) {
    uint64_t c = atomic_load_explicit(&pool.claim, memory_order_acquire);
    for (;;) {
        if ((uint32_t)(c >> 32) != g) return;
        uint32_t n = (uint32_t)(c >> 16) & 0xffff, i = (uint32_t)c & 0xffff;
        if (i >= n) return;
        if (!atomic_compare_exchange_weak_explicit(&pool.claim, &c, c + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        // The job cannot finish before this chunk completes, so fn and ctx are still its own.
        pool.fn(pool.ctx, (int)i, (int)n);
        atomic_fetch_add(&pool.completed, 1);                // seq_cst: Dekker with caller_sleeping
        if (atomic_load(&pool.caller_sleeping)) wake_word(&pool.completed);
        c = atomic_load_explicit(&pool.claim, memory_order_acquire);
    }
}

static void *worker_main(void *arg) {
    // The generation at creation comes from the creator: reading it here could miss a job (or the
    // quit signal) published before this thread first ran.
    uint32_t seen = (uint32_t)(uintptr_t)arg;
    for (;;) {
        uint32_t g = atomic_load_explicit(&pool.gen, memory_order_acquire);
        if (g == seen) {
            int64_t start = now_ns();
            for (int i = 1;; i++) {
                cpu_relax();
                g = atomic_load_explicit(&pool.gen, memory_order_acquire);
                if (g != seen) break;
                if ((i & 63) == 0 && now_ns() - start > spin_ns) {
                    // Dekker with the dispatcher: it bumps gen then reads sleepers; we bump sleepers then
                    // read gen (both seq_cst), so one of us sees the other.
                    atomic_fetch_add(&pool.sleepers, 1);
                    while ((g = atomic_load(&pool.gen)) == seen) wait_word(&pool.gen, seen);
                    atomic_fetch_sub(&pool.sleepers, 1);
                    break;
                }
            }
        }
        seen = g;
        if (atomic_load_explicit(&pool.quit, memory_order_acquire)) break;
        run_chunks(g);
    }
    return NULL;
}

// Stops all workers; run_lock held.
static void stop_workers(void) {
    if (pool.nthreads <= 1) return;
    atomic_store(&pool.quit, 1);
    atomic_fetch_add(&pool.gen, 1);
    wake_all();
    for (int i = 1; i < pool.nthreads; i++) pthread_join(pool.threads[i], NULL);
    atomic_store(&pool.quit, 0);
    __atomic_store_n(&pool.nthreads, 1, __ATOMIC_RELAXED);
}

// The CPUs this process may run on (its affinity mask, which containers narrow), else those online.
static int default_threads(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (int)c : 1;
}

// Starts workers so that the pool has n threads; run_lock held, no workers running.
static void start_workers(int n) {
    if (n < 1) n = default_threads();
    if (n > MAX_THREADS) n = MAX_THREADS;
    int started = 1;
    for (int i = 1; i < n; i++) {
        void *gen0 = (void *)(uintptr_t)atomic_load(&pool.gen);
        if (pthread_create(&pool.threads[i], NULL, worker_main, gen0) != 0) break;
        started = i + 1;
    }
    __atomic_store_n(&pool.nthreads, started, __ATOMIC_RELAXED);
}

static void pool_init(void) {
    const char *s = getenv("CK_SPIN_US");
    if (s) spin_ns = (int64_t)atol(s) * 1000;
    const char *t = getenv("CK_NUM_THREADS");
    pthread_mutex_lock(&pool.run_lock);
    start_workers(t ? atoi(t) : 0);
    pthread_mutex_unlock(&pool.run_lock);
}

void ck_set_num_threads(int n) {
    pthread_once(&pool_once, pool_init);
    pthread_mutex_lock(&pool.run_lock);
    stop_workers();
    start_workers(n);
    pthread_mutex_unlock(&pool.run_lock);
}

int ck_get_num_threads(void) {
    pthread_once(&pool_once, pool_init);
    return __atomic_load_n(&pool.nthreads, __ATOMIC_RELAXED);
}

int ck_chunks(int64_t units, int per_thread) {
    int nth = ck_get_num_threads();
    if (nth <= 1 || units <= 1) return 1;
    int64_t c = (int64_t)nth * per_thread;
    if (c > units) c = units;
    return c > MAX_CHUNKS ? MAX_CHUNKS : (int)c;
}

void ck_parallel(ck_task_fn fn, void *ctx, int nchunks) {
    if (nchunks > MAX_CHUNKS) nchunks = MAX_CHUNKS;
    pthread_once(&pool_once, pool_init);
    if (nchunks <= 1 || __atomic_load_n(&pool.nthreads, __ATOMIC_RELAXED) <= 1) {
        for (int i = 0; i < (nchunks > 0 ? nchunks : 1); i++) fn(ctx, i, nchunks > 0 ? nchunks : 1);
        return;
    }
    pthread_mutex_lock(&pool.run_lock);
    uint32_t g = atomic_load_explicit(&pool.gen, memory_order_relaxed) + 1;
    pool.fn = fn;
    pool.ctx = ctx;
    atomic_store_explicit(&pool.completed, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.claim, (uint64_t)g << 32 | (uint64_t)nchunks << 16, memory_order_release);
    atomic_store(&pool.gen, g);                           // seq_cst: see the Dekker note in worker_main
    if (atomic_load(&pool.sleepers) > 0) wake_all();
    run_chunks(g);
    // Every chunk is claimed; wait for those still running on workers. Spin briefly, then sleep: if a
    // worker was preempted in the middle of its chunk (another process wants its CPU), our CPU going
    // idle lets the scheduler move the worker here instead of leaving us spinning for its timeslice.
    uint32_t done;
    int64_t start = -1;
    for (int i = 1; (done = atomic_load_explicit(&pool.completed, memory_order_acquire)) < (uint32_t)nchunks; i++) {
        cpu_relax();
        if ((i & 63) != 0) continue;
        if (start < 0) start = now_ns();
        else if (now_ns() - start > CALLER_SPIN_NS) {
            atomic_store(&pool.caller_sleeping, 1);
            while ((done = atomic_load(&pool.completed)) < (uint32_t)nchunks) wait_word(&pool.completed, done);
            atomic_store(&pool.caller_sleeping, 0);
            break;
        }
    }
    pthread_mutex_unlock(&pool.run_lock);
}
