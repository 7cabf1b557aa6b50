//! [`run_parts`]: the worker threads the large products and the optimizer's long element loops
//! run on. Workers are started once and, after each job, spin for a while before they sleep:
//! a training step hands them a product every few microseconds, and waking a sleeping thread
//! costs 10–30 µs on a VM, as much as a 128 × 64 × 64 product takes on one core (measured:
//! the chapter's Route 2 net trained at less than half its speed with workers that slept
//! between products, as `thread-tree`'s do). This is what OpenMP runtimes (and so libtorch's
//! MKL) do too. A worker that has spun for [`SPIN`] without a job sleeps until the next.
//!
//! This module's `unsafe` code hands a worker a pointer to the caller's job, which is sound
//! because the caller does not return until every worker has reported the job done.
#![allow(unsafe_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long an idle worker spins before it sleeps.
const SPIN: Duration = Duration::from_micros(300);
/// The most parts one call runs in (the caller and three workers).
pub const MAX_PARTS: usize = 4;

const IDLE: u8 = 0;
const POSTED: u8 = 1;
const DONE: u8 = 2;
const PANICKED: u8 = 3;

/// The caller's job, as a worker sees it: the address of a closure that lives until the
/// worker reports the job done (its lifetime is erased to store it).
#[derive(Clone, Copy)]
struct Job(*const (dyn Fn(usize) + Sync + 'static));
// SAFETY: the closure is `Sync`, and it outlives every use (see `run_parts`).
unsafe impl Send for Job {}

/// One worker's mailbox: the job and its part number, the state, and whether it sleeps.
struct Mailbox {
    state: AtomicU8,
    sleeping: AtomicBool,
    job: Mutex<Option<(Job, usize)>>,
    thread: OnceLock<Thread>,
}

/// The workers, behind a lock: a call that finds them busy (another thread's product, as
/// when tests run side by side) runs on its own thread; its result is the same.
struct Pool {
    boxes: Vec<Arc<Mailbox>>,
}

fn pool() -> &'static Mutex<Pool> {
    static POOL: OnceLock<Mutex<Pool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let boxes = (1..MAX_PARTS)
            .map(|_| {
                let mb = Arc::new(Mailbox {
                    state: AtomicU8::new(IDLE),
                    sleeping: AtomicBool::new(false),
                    job: Mutex::new(None),
                    thread: OnceLock::new(),
                });
                let mine = Arc::clone(&mb);
                let handle = std::thread::Builder::new()
                    .name("twin-nets-worker".into())
                    .spawn(move || work(&mine))
                    .expect("starting a worker thread");
                let _ = mb.thread.set(handle.thread().clone());
                mb
            })
            .collect();
        Mutex::new(Pool { boxes })
    })
}

/// A worker's life: wait for a job (spinning, then sleeping), run it, report.
fn work(mb: &Mailbox) {
    loop {
        let start = Instant::now();
        while mb.state.load(SeqCst) != POSTED {
            if start.elapsed() < SPIN {
                std::hint::spin_loop();
                continue;
            }
            mb.sleeping.store(true, SeqCst);
            if mb.state.load(SeqCst) != POSTED {
                std::thread::park();
            }
            mb.sleeping.store(false, SeqCst);
        }
        let job = *mb.job.lock().unwrap_or_else(|e| e.into_inner());
        let ok = match job {
            Some((Job(f), part)) => {
                // SAFETY: the caller's closure lives until it sees this mailbox DONE or
                // PANICKED (see `run_parts`).
                let f = unsafe { &*f };
                catch_unwind(AssertUnwindSafe(|| f(part))).is_ok()
            }
            None => true,
        };
        mb.state.store(if ok { DONE } else { PANICKED }, SeqCst);
    }
}

/// Runs `f(0)`, …, `f(parts − 1)` at the same time, `f(0)` on this thread, each in this
/// thread's floating-point mode (`common::fpenv`: denormals flushed or not, so that a result
/// does not depend on where a part ran), and returns when all are done. `parts` is clamped to
/// 1..=[`MAX_PARTS`]; when the workers are busy with another thread's call, every part runs
/// here, one after the other. Returns how many parts ran on workers.
pub fn run_parts(parts: usize, f: &(dyn Fn(usize) + Sync)) -> usize {
    let parts = parts.clamp(1, MAX_PARTS);
    let guard: Option<MutexGuard<'_, Pool>> = if parts > 1 {
        pool().try_lock().ok()
    } else {
        None
    };
    let Some(pool) = guard else {
        (0..parts).for_each(f);
        return 0;
    };
    let mode = common::fpenv::current();
    let in_mode = move |i: usize| {
        let _mode = mode.apply();
        f(i)
    };
    let job: &(dyn Fn(usize) + Sync) = &in_mode;
    // SAFETY: only the lifetime is erased; `in_mode` outlives the workers' use of it, as this
    // function waits below for every worker to report the job done.
    let job = Job(unsafe {
        std::mem::transmute::<
            *const (dyn Fn(usize) + Sync + '_),
            *const (dyn Fn(usize) + Sync + 'static),
        >(job)
    });
    let helpers = &pool.boxes[..parts - 1];
    for (i, mb) in helpers.iter().enumerate() {
        *mb.job.lock().unwrap_or_else(|e| e.into_inner()) = Some((job, i + 1));
        mb.state.store(POSTED, SeqCst);
        if mb.sleeping.load(SeqCst) {
            if let Some(t) = mb.thread.get() {
                t.unpark();
            }
        }
    }
    let mine = catch_unwind(AssertUnwindSafe(|| f(0)));
    let mut failed = false;
    for mb in helpers {
        let mut spins = 0u32;
        loop {
            match mb.state.load(SeqCst) {
                DONE => break,
                PANICKED => {
                    failed = true;
                    break;
                }
                // A worker still waking (or sharing a core with this thread): let it run.
                _ if spins >= 1 << 12 => std::thread::yield_now(),
                _ => {
                    spins += 1;
                    std::hint::spin_loop()
                }
            }
        }
        mb.state.store(IDLE, SeqCst);
    }
    drop(pool);
    if let Err(payload) = mine {
        // This thread's own part panicked: pass its panic on as it was.
        std::panic::resume_unwind(payload);
    }
    if failed {
        panic!("a part of a parallel kernel panicked on a worker thread (its message is above)");
    }
    parts - 1
}
