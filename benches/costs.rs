//! procdemo's `costs` figures against the same operations in a minimal C
//! program, on the same machine in one run: the measuring must add nothing
//! of its own. Writes the C program to a temporary directory, compiles it
//! with `cc -O2`, runs it and `procdemo costs --json --pace 0 --rounds N`
//! in turns (three times each; each side's lowest median is kept, so that a
//! busy moment of the machine counts against neither), and prints both
//! medians side by side with procdemo's ratio to C. Asserts nothing.
//!
//!     cargo bench --bench costs

use std::process::Command;

use serde_json::Value;

const ROUNDS: usize = 500;
const RUNS: usize = 3;

/// Times in nanoseconds, `name min median` per line, the operations in
/// procdemo's order.
const C_PROGRAM: &str = r#"#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static int rounds;
static uint64_t *times;

static uint64_t now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}
static int cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}
static void report(const char *name) {
    qsort(times, rounds, sizeof *times, cmp);
    printf("%s %llu %llu\n", name, (unsigned long long)times[0],
           (unsigned long long)times[rounds / 2]);
}
static void *nothing(void *arg) { return arg; }

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int slot_to = -1, slot_back = -1;
static void *echo_thread(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (slot_to < 0) pthread_cond_wait(&changed, &lock);
        int value = slot_to;
        slot_to = -1;
        slot_back = value;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        if (value == 255) return NULL;
    }
}

static void ping_pong(const char *name) {
    int to[2], back[2];
    char byte = 'x';
    if (pipe(to) || pipe(back)) exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        close(to[1]);
        close(back[0]);
        while (read(to[0], &byte, 1) == 1) write(back[1], &byte, 1);
        _exit(0);
    }
    close(to[0]);
    close(back[1]);
    for (int i = 0; i < rounds; i++) {
        uint64_t start = now();
        write(to[1], &byte, 1);
        read(back[0], &byte, 1);
        times[i] = now() - start;
    }
    close(to[1]);
    waitpid(pid, NULL, 0);
    close(back[0]);
    report(name);
}

int main(int argc, char **argv) {
    rounds = argc > 1 ? atoi(argv[1]) : 200;
    times = calloc(rounds, sizeof *times);
    char *true_argv[] = {"true", NULL}, *no_env[] = {NULL};
    for (int i = 0; i < rounds; i++) {
        uint64_t start = now();
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        waitpid(pid, NULL, 0);
        times[i] = now() - start;
    }
    report("fork_wait");
    uint64_t *spawned = calloc(rounds, sizeof *spawned);
    for (int i = 0; i < rounds; i++) {
        uint64_t start = now();
        pid_t pid = fork();
        if (pid == 0) {
            execve("/bin/true", true_argv, no_env);
            _exit(127);
        }
        waitpid(pid, NULL, 0);
        times[i] = now() - start;
        start = now();
        posix_spawn(&pid, "/bin/true", NULL, NULL, true_argv, no_env);
        waitpid(pid, NULL, 0);
        spawned[i] = now() - start;
    }
    report("fork_exec");
    memcpy(times, spawned, rounds * sizeof *times);
    report("posix_spawn");
    for (int i = 0; i < rounds; i++) {
        pthread_t thread;
        uint64_t start = now();
        pthread_create(&thread, NULL, nothing, NULL);
        pthread_join(thread, NULL);
        times[i] = now() - start;
    }
    report("thread");
    pthread_t echo;
    pthread_create(&echo, NULL, echo_thread, NULL);
    for (int i = 0; i <= rounds; i++) {
        int value = i == rounds ? 255 : i % 200;
        uint64_t start = now();
        pthread_mutex_lock(&lock);
        slot_to = value;
        pthread_cond_broadcast(&changed);
        while (slot_back < 0) pthread_cond_wait(&changed, &lock);
        slot_back = -1;
        pthread_mutex_unlock(&lock);
        if (i < rounds) times[i] = now() - start;
    }
    pthread_join(echo, NULL);
    report("channel");
    ping_pong("pipe");
    cpu_set_t set, old;
    sched_getaffinity(0, sizeof old, &old);
    CPU_ZERO(&set);
    CPU_SET(sched_getcpu(), &set);
    sched_setaffinity(0, sizeof set, &set);
    ping_pong("pinned");
    sched_setaffinity(0, sizeof old, &old);
    long page = sysconf(_SC_PAGESIZE);
    char *pages = mmap(NULL, rounds * page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < rounds; i++) pages[i * page] = 1;
    fflush(stdout); /* or the child would print it again */
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < rounds; i++) {
            uint64_t start = now();
            *(volatile char *)&pages[i * page] = 2;
            times[i] = now() - start;
        }
        report("cow");
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
"#;

/// Each operation: the C program's name for it, procdemo's step and the
/// fact holding its median (µs), and a label.
const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "fork_wait",
        "fork-wait",
        "fork_wait_median_us",
        "fork + wait",
    ),
    (
        "fork_exec",
        "spawn",
        "fork_exec_median_us",
        "fork + exec /bin/true",
    ),
    (
        "posix_spawn",
        "spawn",
        "spawn_median_us",
        "posix_spawn /bin/true",
    ),
    (
        "thread",
        "thread",
        "thread_median_us",
        "thread create + join",
    ),
    (
        "channel",
        "thread",
        "channel_median_us",
        "channel round trip",
    ),
    (
        "pipe",
        "pipe-round-trip",
        "pipe_median_us",
        "pipe round trip",
    ),
    (
        "pinned",
        "context-switch",
        "pinned_median_us",
        "pinned ping-pong",
    ),
    (
        "cow",
        "cow-fault",
        "first_write_median_us",
        "copy-on-write write",
    ),
];

fn compile() -> Option<(tempfile::TempDir, std::path::PathBuf)> {
    let dir = tempfile::tempdir().ok()?;
    let source = dir.path().join("costs.c");
    let binary = dir.path().join("costs");
    std::fs::write(&source, C_PROGRAM).ok()?;
    let status = Command::new("cc")
        .args(["-O2", "-pthread", "-o"])
        .arg(&binary)
        .arg(&source)
        .status()
        .ok()?;
    status.success().then_some((dir, binary))
}

/// The C program's medians, in µs, by its names.
fn c_medians(binary: &std::path::Path) -> Option<Vec<f64>> {
    let output = Command::new(binary).arg(ROUNDS.to_string()).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    OPERATIONS
        .iter()
        .map(|(name, ..)| {
            let line = text
                .lines()
                .find(|line| line.split(' ').next() == Some(name))?;
            let median: f64 = line.split(' ').nth(2)?.parse().ok()?;
            Some(median / 1000.0)
        })
        .collect()
}

fn procdemo_medians() -> Option<Vec<f64>> {
    let output = Command::new(env!("CARGO_BIN_EXE_procdemo"))
        .args(["costs", "--json", "--pace", "0", "--lang", "en"])
        .args(["--rounds", &ROUNDS.to_string()])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let events: Vec<Value> = String::from_utf8(output.stdout)
        .ok()?
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    OPERATIONS
        .iter()
        .map(|(_, step, fact, _)| {
            events.iter().find(|event| event["step"] == *step)?["facts"][fact].as_f64()
        })
        .collect()
}

fn lowest(runs: &[Vec<f64>], index: usize) -> f64 {
    runs.iter()
        .map(|run| run[index])
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let Some((_dir, binary)) = compile() else {
        println!("costs: no C compiler (cc) here, or the program did not build; nothing measured");
        return;
    };
    let (mut c_runs, mut procdemo_runs) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        c_runs.extend(c_medians(&binary));
        procdemo_runs.extend(procdemo_medians());
    }
    if c_runs.is_empty() || procdemo_runs.is_empty() {
        println!(
            "costs: a run failed (C runs: {}, procdemo runs: {})",
            c_runs.len(),
            procdemo_runs.len()
        );
        return;
    }
    println!("medians of {ROUNDS} rounds, lowest of {RUNS} runs each (µs)");
    println!("| operation | C | procdemo | procdemo ÷ C |");
    println!("| --- | --- | --- | --- |");
    for (index, (.., label)) in OPERATIONS.iter().enumerate() {
        let (c, procdemo) = (lowest(&c_runs, index), lowest(&procdemo_runs, index));
        println!(
            "| {label} | {c:.1} | {procdemo:.1} | {:.2}× |",
            procdemo / c
        );
    }
}
