//! Raw argon2id verification rate with Gatehouse's parameters (m=19456 KiB, t=2, p=1, 32-byte
//! output; `gatehouse_crypto::password`), the same crate version and the same global allocator.
//!
//! Usage: argon2-rate [--threads N] [--seconds S] [--warmup W]
//!
//! Hashes one password once, then N threads verify it against the stored PHC string in a loop
//! for S seconds (after W seconds of warmup), each verification parsing the PHC string and
//! running `Argon2::verify_password`, as `PasswordHasher::verify` does. Pin it with taskset to
//! compare with a pinned server. Each thread also reads its own CPU time and minor page
//! faults (utime, stime, minflt from /proc/thread-self/stat, Linux) so the CPU cost of a verification can be compared with the
//! server's CPU time per sign-in even when other processes share the CPU. Prints a human line
//! on stderr and one machine-readable line:
//!
//!   BENCH_RESULT threads=N verifications=V seconds=S rate=R ms_per_verification=M
//!                cpu_ms_per_verification=C user_ms_per_verification=U sys_ms_per_verification=Y
//!                minflt_per_verification=F others_pct=O
//!
//! (O: the share of the allowed CPUs' time that other processes used meanwhile.)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// gatehouse_crypto::password::{MEMORY_KIB, ITERATIONS, PARALLELISM, OUTPUT_LEN}
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;
const OUTPUT_LEN: usize = 32;

const PASSWORD: &str = "correct horse battery staple, but longer";

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, Some(OUTPUT_LEN))
        .expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn verify_once(phc: &str) {
    let hash = PasswordHash::new(phc).expect("PHC string parses");
    argon2()
        .verify_password(PASSWORD.as_bytes(), &hash)
        .expect("the password verifies");
}

/// Of the calling thread: user and system CPU time in clock ticks (USER_HZ, 100 on Linux),
/// and minor page faults, from /proc/thread-self/stat.
fn thread_stat() -> [u64; 3] {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split(' ').collect())
        .unwrap_or_default();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    [field(11), field(12), field(7)]
}

const TICKS_PER_SECOND: f64 = 100.0;

/// The CPUs this process may run on (`Cpus_allowed_list` of /proc/self/status, e.g. "0" or "0-1").
fn allowed_cpus() -> Vec<usize> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .unwrap_or("")
        .trim();
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
            cpus.extend(a..=b);
        }
    }
    cpus
}

/// Busy clock ticks (all but idle and iowait) of `cpus` (/proc/stat), and this process's CPU
/// ticks (/proc/self/stat).
fn busy_and_own_ticks(cpus: &[usize]) -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let mut busy = 0;
    for line in stat.lines() {
        let Some(rest) = line.strip_prefix("cpu") else { continue };
        let Some((n, values)) = rest.split_once(' ') else { continue };
        if !n.parse::<usize>().is_ok_and(|n| cpus.contains(&n)) {
            continue;
        }
        let v: Vec<u64> = values.split(' ').filter_map(|x| x.parse().ok()).collect();
        // user nice system idle iowait irq softirq steal
        busy += [0, 1, 2, 5, 6].iter().filter_map(|&i| v.get(i)).sum::<u64>();
    }
    let own = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = own
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split(' ').collect())
        .unwrap_or_default();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (busy, field(11) + field(12))
}

fn arg(args: &[String], name: &str, default: f64) -> f64 {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} needs a number")),
        None => default,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads = arg(&args, "--threads", 1.0) as usize;
    let seconds = arg(&args, "--seconds", 10.0);
    let warmup = arg(&args, "--warmup", 1.0);
    assert!(threads >= 1 && seconds > 0.0 && warmup >= 0.0);

    let salt = SaltString::generate(&mut OsRng);
    let phc = Arc::new(
        argon2()
            .hash_password(PASSWORD.as_bytes(), &salt)
            .expect("hashing works")
            .to_string(),
    );
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");

    // All threads start together; each counts the verifications it finished before the end
    // and the time its last one finished, so no partial verification is counted or lost.
    let start_flag = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let phc = Arc::clone(&phc);
            let start_flag = Arc::clone(&start_flag);
            std::thread::spawn(move || {
                while !start_flag.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                    std::thread::yield_now();
                }
                let warm_end = Instant::now() + Duration::from_secs_f64(warmup);
                while Instant::now() < warm_end {
                    verify_once(&phc);
                }
                let stat0 = thread_stat();
                let t0 = Instant::now();
                let end = t0 + Duration::from_secs_f64(seconds);
                let mut count = 0u64;
                let mut last = t0;
                while last < end {
                    verify_once(&phc);
                    count += 1;
                    last = Instant::now();
                }
                let stat1 = thread_stat();
                let [user, sys, minflt] = [0, 1, 2].map(|i| stat1[i] - stat0[i]);
                (count, last.duration_since(t0).as_secs_f64(), [user, sys, minflt])
            })
        })
        .collect();
    start_flag.store(true, Ordering::Release);
    // What else ran on our CPUs during the measured window (roughly: from the end of the
    // warmup to the last thread's end).
    let cpus = allowed_cpus();
    std::thread::sleep(Duration::from_secs_f64(warmup));
    let (busy0, own0) = busy_and_own_ticks(&cpus);
    let window = Instant::now();
    let mut total = 0u64;
    let mut rate = 0.0;
    let mut elapsed_max: f64 = 0.0;
    let mut stat_total = [0u64; 3];
    for handle in handles {
        let (count, elapsed, stat) = handle.join().expect("worker thread");
        total += count;
        for (sum, value) in stat_total.iter_mut().zip(stat) {
            *sum += value;
        }
        rate += count as f64 / elapsed;
        elapsed_max = elapsed_max.max(elapsed);
    }
    let (busy1, own1) = busy_and_own_ticks(&cpus);
    let others_pct = (busy1 - busy0).saturating_sub(own1 - own0) as f64 / TICKS_PER_SECOND
        / window.elapsed().as_secs_f64()
        / cpus.len().max(1) as f64
        * 100.0;
    let per = |ticks: u64| ticks as f64 / TICKS_PER_SECOND * 1000.0 / total.max(1) as f64;
    let (user_ms, sys_ms) = (per(stat_total[0]), per(stat_total[1]));
    let cpu_ms = user_ms + sys_ms;
    let faults = stat_total[2] as f64 / total.max(1) as f64;
    eprintln!(
        "argon2id m={MEMORY_KIB} t={ITERATIONS} p={PARALLELISM}: {threads} thread(s), {total} verifications in {elapsed_max:.2} s: {rate:.2}/s ({:.2} ms per verification per thread; per verification {cpu_ms:.2} ms CPU = {user_ms:.2} user + {sys_ms:.2} system, {faults:.0} minor page faults; other processes took {others_pct:.0}% of CPUs {cpus:?})",
        threads as f64 * 1000.0 / rate
    );
    println!(
        "BENCH_RESULT threads={threads} verifications={total} seconds={elapsed_max:.3} rate={rate:.3} ms_per_verification={:.3} cpu_ms_per_verification={cpu_ms:.3} user_ms_per_verification={user_ms:.3} sys_ms_per_verification={sys_ms:.3} minflt_per_verification={faults:.1} others_pct={others_pct:.1}",
        threads as f64 * 1000.0 / rate
    );
}
