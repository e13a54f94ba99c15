/*
 * memwork: a memory workload that notices lost or corrupted writes.
 *
 * It runs inside test-bed guests while Carrefour moves their pages
 * between NUMA nodes.  A page move that loses a write, or maps a stale
 * copy, must show up as errors>0 on the console.
 *
 *   thread 0 --pinned--> CPU 0     private[0]  (p MB, only thread 0)
 *   thread 1 --pinned--> CPU 1     private[1]  (p MB, only thread 1)
 *   ...                            shared      (s MB, every page used by
 *                                               every thread: cache line L
 *                                               belongs to thread L % N)
 *
 * Each word a thread owns holds pattern(thread, index, generation).  A
 * pass over the thread's words checks that every word still holds the
 * previous generation's value and writes the next one.  Owners never
 * overlap, so there are no races and every mismatch is a real error:
 * a flipped bit, a lost write (the word still holds an older
 * generation), or a page that came back zeroed.
 *
 * Output (stdout, line buffered), every -i seconds and once at the end:
 *   memwork: t=12s throughput=1234 MB/s errors=0 passes=56
 *   memwork: final t=30s throughput=1200 MB/s errors=0 passes=140
 * With -T (touch only) the threads first-touch their words and stop; the
 * final line then reports one check of all words made after the idle time.
 *
 * Placement on purpose (the benchmarks, testbed/bench/): -c LIST pins
 * thread i to the i-th CPU of LIST (cyclically) instead of the i-th CPU
 * we may run on, and -f CPU makes the first touch of every array happen
 * on CPU (like -1, but on a CPU of our choosing), so that on a NUMA
 * machine the memory lands on one node and the threads run on another:
 *   memwork -n 2 -c 2,3 -f 0     memory on CPU 0's node, threads on 2 and 3
 * throughput counts the bytes checked and rewritten (8 per word) in the
 * last interval (whole run for the final line); passes is the total over
 * all threads.  The exit status is 0 only when errors=0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define WORDS_PER_LINE 8         /* 64-byte cache line of 8-byte words */
#define CHUNK_WORDS (8192)       /* counters are updated every 64 KiB */
#define PAGE_WORDS (4096 / 8)
#define MAX_REPORTED_ERRORS 8    /* details printed for the first few */

struct options {
    int threads;            /* 0: one per online CPU */
    long private_mb;        /* per thread */
    long shared_mb;
    long seconds;           /* 0: run until killed */
    long interval_s;        /* progress line period */
    int one_toucher;        /* -1: thread 0 first-touches everything */
    int touch_only;         /* -T: first-touch, then idle */
    const char *cpu_list;   /* -c: the threads' CPUs; NULL: allowed CPUs */
    int first_touch_cpu;    /* -f: CPU of the first touch; -1: thread 0's */
};

/* One worker; padded so that counters of two threads share no line. */
struct worker {
    pthread_t tid;
    int index;
    int cpu;                /* -1: not pinned */
    uint64_t *private;
    size_t private_words;
    _Atomic uint64_t words_done;
    _Atomic uint64_t passes;
    _Atomic uint64_t errors;
} __attribute__((aligned(64)));

static struct options opt = {
    .threads = 0, .private_mb = 16, .shared_mb = 16, .seconds = 0,
    .interval_s = 5, .one_toucher = 0, .touch_only = 0,
    .cpu_list = NULL, .first_touch_cpu = -1,
};
static int nthreads;
static uint64_t *shared;
static size_t shared_words;
static _Atomic int stop;
static _Atomic uint64_t reported_errors;

/*
 * The value thread `t` stores at `index` in generation `gen` (gen >= 1).
 * Thread, generation and index each have their own bits, and the mix
 * constant keeps any value from being zero, so a zeroed page, a word of
 * another thread and a word of an older generation all differ from it.
 */
static inline uint64_t pattern(unsigned t, uint64_t index, uint64_t gen)
{
    return (((uint64_t)t & 0xff) << 56 | (gen & 0xffffff) << 32 |
            (index & 0xffffffff)) ^ 0xa5a5000000000000ull;
}

static void report_error(const char *array, unsigned t, size_t index,
                         uint64_t expected, uint64_t found)
{
    if ( atomic_fetch_add(&reported_errors, 1) < MAX_REPORTED_ERRORS )
        fprintf(stderr, "memwork: ERROR %s thread=%u word=%zu "
                "expected=%016llx found=%016llx\n", array, t, index,
                (unsigned long long)expected, (unsigned long long)found);
}

/*
 * Checks (if gen > 1) then rewrites thread t's words of a private array:
 * all of them.  Returns the number of mismatches.
 */
static uint64_t pass_private(struct worker *w, unsigned t, uint64_t *a,
                             size_t nwords, uint64_t gen)
{
    uint64_t errors = 0;

    for ( size_t base = 0; base < nwords; base += CHUNK_WORDS )
    {
        size_t end = base + CHUNK_WORDS < nwords ? base + CHUNK_WORDS : nwords;

        for ( size_t i = base; i < end; i++ )
        {
            if ( gen > 1 && a[i] != pattern(t, i, gen - 1) )
            {
                errors++;
                report_error("private", t, i, pattern(t, i, gen - 1), a[i]);
            }
            a[i] = pattern(t, i, gen);
        }
        if ( w )
            atomic_fetch_add_explicit(&w->words_done, end - base,
                                      memory_order_relaxed);
    }
    return errors;
}

/* The same over thread t's cache lines of the shared array. */
static uint64_t pass_shared(struct worker *w, unsigned t, uint64_t *a,
                            size_t nwords, uint64_t gen)
{
    uint64_t errors = 0, done = 0;
    size_t stride = (size_t)nthreads * WORDS_PER_LINE;

    for ( size_t line = (size_t)t * WORDS_PER_LINE; line < nwords;
          line += stride )
    {
        for ( size_t i = line; i < line + WORDS_PER_LINE && i < nwords; i++ )
        {
            if ( gen > 1 && a[i] != pattern(t, i, gen - 1) )
            {
                errors++;
                report_error("shared", t, i, pattern(t, i, gen - 1), a[i]);
            }
            a[i] = pattern(t, i, gen);
            done++;
        }
        if ( w && done >= CHUNK_WORDS )
        {
            atomic_fetch_add_explicit(&w->words_done, done,
                                      memory_order_relaxed);
            done = 0;
        }
    }
    if ( w )
        atomic_fetch_add_explicit(&w->words_done, done, memory_order_relaxed);
    return errors;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *alloc_words(size_t nwords)
{
    /* Anonymous memory: nothing is placed until first touch. */
    void *p = mmap(NULL, nwords * 8 + 8, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if ( p == MAP_FAILED )
    {
        perror("memwork: mmap");
        exit(2);
    }
    return p;
}

/*
 * Pins the calling thread to `cpu`.  A placement the user asked for (-c,
 * -f) must hold, or the run would measure something else: failing to pin
 * then ends the program; the default placement only warns.
 */
static void pin_to(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if ( sched_setaffinity(0, sizeof(set), &set) )
    {
        fprintf(stderr, "memwork: cannot pin to CPU %d: %s\n", cpu,
                strerror(errno));
        if ( opt.cpu_list || opt.first_touch_cpu >= 0 )
            exit(2);
    }
}

/*
 * Parses a CPU list such as "2,3" or "0-1,4" into cpus[] (at most max
 * entries, in the order given).  Returns the count, or -1 if the list is
 * malformed, empty or too long.
 */
static int parse_cpu_list(const char *list, int *cpus, int max)
{
    int n = 0;
    const char *p = list;

    while ( *p )
    {
        char *end;
        long first = strtol(p, &end, 10), last;

        if ( end == p || first < 0 || first >= CPU_SETSIZE )
            return -1;
        last = first;
        p = end;
        if ( *p == '-' )
        {
            last = strtol(p + 1, &end, 10);
            if ( end == p + 1 || last < first || last >= CPU_SETSIZE )
                return -1;
            p = end;
        }
        for ( long cpu = first; cpu <= last; cpu++ )
        {
            if ( n == max )
                return -1;
            cpus[n++] = (int)cpu;
        }
        if ( *p == ',' && p[1] )
            p++;
        else if ( *p )
            return -1;
    }
    return n > 0 ? n : -1;
}

static struct worker *workers;

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uint64_t gen = 1;

    if ( w->cpu >= 0 )
        pin_to(w->cpu);

    /* Generation 1 (the first touch) unless thread 0 did it already. */
    if ( !opt.one_toucher )
    {
        pass_private(w, w->index, w->private, w->private_words, gen);
        pass_shared(w, w->index, shared, shared_words, gen);
    }
    atomic_fetch_add(&w->passes, 1);

    while ( !opt.touch_only && !atomic_load(&stop) )
    {
        uint64_t errors;

        gen++;
        errors = pass_private(w, w->index, w->private, w->private_words, gen);
        errors += pass_shared(w, w->index, shared, shared_words, gen);
        atomic_fetch_add(&w->errors, errors);
        atomic_fetch_add(&w->passes, 1);
    }
    return NULL;
}

static void totals(uint64_t *words, uint64_t *passes, uint64_t *errors)
{
    *words = *passes = *errors = 0;
    for ( int i = 0; i < nthreads; i++ )
    {
        *words += atomic_load(&workers[i].words_done);
        *passes += atomic_load(&workers[i].passes);
        *errors += atomic_load(&workers[i].errors);
    }
}

/*
 * --self-test: the verifier must catch a flipped bit and a lost write,
 * and must not report a clean pass.  Prints errors=1 for each injected
 * fault; exits 0 when every count is as expected.
 */
static int self_test(void)
{
    enum { WORDS = 4 * PAGE_WORDS };
    uint64_t *priv = alloc_words(WORDS), *shr = alloc_words(WORDS);
    size_t lost_index = 2 * PAGE_WORDS + 9;   /* in a line of thread 1 */
    uint64_t clean, flipped, lost;
    int ok;

    nthreads = 2;
    pass_private(NULL, 0, priv, WORDS, 1);
    clean = pass_private(NULL, 0, priv, WORDS, 2);
    pass_shared(NULL, 1, shr, WORDS, 1);
    clean += pass_shared(NULL, 1, shr, WORDS, 2);

    priv[PAGE_WORDS + 3] ^= 1ull << 17;             /* a flipped bit */
    flipped = pass_private(NULL, 0, priv, WORDS, 3);

    shr[lost_index] = pattern(1, lost_index, 1);    /* a lost write */
    lost = pass_shared(NULL, 1, shr, WORDS, 3);

    ok = clean == 0 && flipped == 1 && lost == 1;
    printf("memwork: self-test clean-pass errors=%llu\n",
           (unsigned long long)clean);
    printf("memwork: self-test flipped-bit errors=%llu\n",
           (unsigned long long)flipped);
    printf("memwork: self-test lost-write errors=%llu\n",
           (unsigned long long)lost);
    printf("memwork: self-test %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

static void usage(void)
{
    fprintf(stderr,
        "usage: memwork [-n THREADS] [-p MB] [-s MB] [-t SECONDS] "
        "[-i SECONDS] [-1] [-T] [-c CPUS] [-f CPU]\n"
        "       memwork --self-test\n"
        "  -n  threads, each pinned to one CPU (default: online CPUs)\n"
        "  -p  private array per thread, MiB (default 16)\n"
        "  -s  shared array, MiB (default 16)\n"
        "  -t  stop after SECONDS (default: run until killed)\n"
        "  -i  progress line every SECONDS (default 5)\n"
        "  -1  thread 0 first-touches all arrays (one node places them)\n"
        "  -T  touch only: first-touch the arrays, idle until -t, check once\n"
        "  -c  pin thread i to the i-th CPU of CPUS (e.g. 2,3 or 2-3)\n"
        "      instead of the i-th CPU we may run on\n"
        "  -f  first-touch all arrays on CPU (implies -1)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "self-test", no_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    cpu_set_t allowed;
    int c, ncpus, *cpus;
    double start, last_t;
    uint64_t words, passes, errors, last_words = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ( (c = getopt_long(argc, argv, "n:p:s:t:i:1Tc:f:", longopts,
                             NULL)) != -1 )
    {
        switch ( c )
        {
        case 'n': opt.threads = atoi(optarg); break;
        case 'p': opt.private_mb = atol(optarg); break;
        case 's': opt.shared_mb = atol(optarg); break;
        case 't': opt.seconds = atol(optarg); break;
        case 'i': opt.interval_s = atol(optarg); break;
        case '1': opt.one_toucher = 1; break;
        case 'T': opt.touch_only = 1; break;
        case 'c': opt.cpu_list = optarg; break;
        case 'f':
            opt.first_touch_cpu = atoi(optarg);
            opt.one_toucher = 1;
            if ( opt.first_touch_cpu < 0 || opt.first_touch_cpu >= CPU_SETSIZE )
                usage();
            break;
        case 'S': return self_test();
        default: usage();
        }
    }
    if ( optind != argc || opt.threads < 0 || opt.private_mb < 0 ||
         opt.shared_mb < 0 || opt.interval_s <= 0 )
        usage();

    /* The CPUs we may run on, in order; thread i is pinned to the i-th. */
    if ( sched_getaffinity(0, sizeof(allowed), &allowed) )
        CPU_ZERO(&allowed);
    ncpus = CPU_COUNT(&allowed);
    if ( opt.cpu_list )
    {
        /* -c: the listed CPUs, allowed or not (pinning says if not). */
        cpus = calloc(CPU_SETSIZE, sizeof(*cpus));
        ncpus = parse_cpu_list(opt.cpu_list, cpus, CPU_SETSIZE);
        if ( ncpus < 0 )
            usage();
    }
    else
    {
        cpus = calloc(ncpus > 0 ? ncpus : 1, sizeof(*cpus));
        for ( int cpu = 0, n = 0; n < ncpus; cpu++ )
            if ( CPU_ISSET(cpu, &allowed) )
                cpus[n++] = cpu;
    }
    nthreads = opt.threads ? opt.threads : (ncpus > 0 ? ncpus : 1);

    workers = aligned_alloc(64, sizeof(*workers) * nthreads);
    memset(workers, 0, sizeof(*workers) * nthreads);
    shared_words = (size_t)opt.shared_mb << 17;     /* MiB / 8 bytes */
    shared = alloc_words(shared_words);
    for ( int i = 0; i < nthreads; i++ )
    {
        workers[i].index = i;
        workers[i].cpu = ncpus > 0 ? cpus[i % ncpus] : -1;
        workers[i].private_words = (size_t)opt.private_mb << 17;
        workers[i].private = alloc_words(workers[i].private_words);
    }
    printf("memwork: threads=%d private=%ldMB shared=%ldMB seconds=%ld%s%s\n",
           nthreads, opt.private_mb, opt.shared_mb, opt.seconds,
           opt.one_toucher ? " one-toucher" : "",
           opt.touch_only ? " touch-only" : "");

    start = now_s();
    if ( opt.one_toucher )
    {
        /*
         * Generation 1 written by thread 0 for everybody, on thread 0's
         * CPU or on the -f CPU.
         */
        if ( opt.first_touch_cpu >= 0 )
            pin_to(opt.first_touch_cpu);
        else if ( nthreads > 0 && workers[0].cpu >= 0 )
            pin_to(workers[0].cpu);
        for ( int i = 0; i < nthreads; i++ )
        {
            pass_private(&workers[0], i, workers[i].private,
                         workers[i].private_words, 1);
            pass_shared(&workers[0], i, shared, shared_words, 1);
        }
        sched_setaffinity(0, sizeof(allowed), &allowed);
    }
    for ( int i = 0; i < nthreads; i++ )
        if ( pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]) )
        {
            fprintf(stderr, "memwork: pthread_create failed\n");
            return 2;
        }

    last_t = start;
    for ( ;; )
    {
        double t, wait = opt.interval_s;

        if ( opt.seconds > 0 && now_s() - start + wait > opt.seconds )
            wait = opt.seconds - (now_s() - start);
        if ( wait > 0 )
        {
            struct timespec ts = { (time_t)wait,
                                   (long)((wait - (time_t)wait) * 1e9) };
            nanosleep(&ts, NULL);
        }
        t = now_s();
        if ( opt.seconds > 0 && t - start >= opt.seconds )
            break;
        totals(&words, &passes, &errors);
        printf("memwork: t=%.0fs throughput=%.0f MB/s errors=%llu "
               "passes=%llu\n", t - start,
               (words - last_words) * 8 / 1e6 / (t - last_t),
               (unsigned long long)errors, (unsigned long long)passes);
        last_words = words;
        last_t = t;
    }

    atomic_store(&stop, 1);
    for ( int i = 0; i < nthreads; i++ )
        pthread_join(workers[i].tid, NULL);
    if ( opt.touch_only )
    {
        /* Idle memory must have kept its contents too: check it once. */
        uint64_t idle_errors = 0;

        for ( int i = 0; i < nthreads; i++ )
        {
            idle_errors += pass_private(NULL, i, workers[i].private,
                                        workers[i].private_words, 2);
            idle_errors += pass_shared(NULL, i, shared, shared_words, 2);
        }
        atomic_fetch_add(&workers[0].errors, idle_errors);
    }
    totals(&words, &passes, &errors);
    printf("memwork: final t=%.0fs throughput=%.0f MB/s errors=%llu "
           "passes=%llu\n", now_s() - start,
           words * 8 / 1e6 / (now_s() - start),
           (unsigned long long)errors, (unsigned long long)passes);
    return errors ? 1 : 0;
}
