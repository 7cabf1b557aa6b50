//! The floating-point environment of the training threads: denormal (subnormal) numbers
//! flushed to zero while an epoch trains (`train.flush_denormals`, on by default).
//!
//! Why: a well-fitted net's gradients shrink towards zero, and Adam squares them into its
//! second moment, so a long run fills part of the optimizer state and the gradients with
//! numbers below `f32::MIN_POSITIVE` (about 1.2e-38): on the chapter's Route 2 net over
//! 160,000 rows × 5 epochs, about 800 of Adam's 9,000 state entries at any step (PyTorch's own
//! loop, counted every 1,000 steps). Intel CPUs handle each arithmetic operation that reads or
//! writes such a number in microcode, tens to hundreds of times slower than an ordinary one,
//! which fits the fall measured on an Intel Xeon: Route 2's step loop twice as slow on the
//! large circle as on the chapter's short run, Route 1 (SGD, no squared state) not slower
//! (AMD's Zen handles them at full speed: no fall on the development VM). With the CPU's
//! flush-to-zero and denormals-are-zero modes (SSE's MXCSR, x86-64 only) such values become 0:
//! they are far below a weight's last bit (a weight of 0.1 has a last bit of about 7e-9), so
//! the metrics come out the same; state entries that would have been subnormal read 0, and so
//! do weights that would decay into the subnormals (digits_mlp's weights on always-blank
//! pixels stop near 1e-31).
//! It is what `torch.set_flush_denormal(True)` does for PyTorch. Off x86-64 this is a no-op.
//!
//! The mode is per thread (on Linux a new thread starts in its creator's): [`FlushDenormals`]
//! sets it on the calling thread for its lifetime, and [`current`]/[`Mode::apply`] carry it
//! into worker threads: scratch's worker pool (`ops/pool.rs`, which runs its large products
//! and long optimizer updates) applies the caller's mode to every part it runs, so a result
//! does not depend on which thread computed it. libtorch's thread pool keeps its own mode, so
//! a large product split across its threads may keep a subnormal that the calling thread
//! would flush: the numbers stay reproducible (the same run splits the same way), and the
//! optimizer state, where subnormals pile up, is updated on the flushing thread.

/// The flush-to-zero (bit 15) and denormals-are-zero (bit 6) bits of MXCSR.
#[cfg(target_arch = "x86_64")]
const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

/// This thread's MXCSR register.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
fn read_mxcsr() -> u32 {
    let mut csr = 0u32;
    // SAFETY: `stmxcsr` stores the 32-bit register into the local it is given; SSE is part of
    // every x86-64 CPU.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
    }
    csr
}

/// Sets this thread's MXCSR register.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
fn write_mxcsr(csr: u32) {
    // SAFETY: `ldmxcsr` loads the register from the local; only the rounding/flush/exception
    // mask bits are ever changed here (from a value read by `read_mxcsr`), which affect how
    // this thread's later float operations round, not memory safety.
    unsafe {
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly, preserves_flags));
    }
}

/// A thread's denormal mode, to carry into a worker thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    /// Flush-to-zero and denormals-are-zero are both on.
    pub flush: bool,
}

/// The calling thread's mode.
pub fn current() -> Mode {
    #[cfg(target_arch = "x86_64")]
    let flush = read_mxcsr() & FTZ_DAZ == FTZ_DAZ;
    #[cfg(not(target_arch = "x86_64"))]
    let flush = false;
    Mode { flush }
}

impl Mode {
    /// Puts the calling thread in this mode (flushing on or off) until the guard is dropped:
    /// a long-lived worker thread may have been left in either.
    pub fn apply(self) -> FlushDenormals {
        #[cfg(target_arch = "x86_64")]
        {
            let saved = read_mxcsr();
            let mode = if self.flush {
                saved | FTZ_DAZ
            } else {
                saved & !FTZ_DAZ
            };
            write_mxcsr(mode);
            FlushDenormals { saved }
        }
        #[cfg(not(target_arch = "x86_64"))]
        FlushDenormals {}
    }
}

/// Flushes denormals to zero on this thread while it lives (when built with `on`), then
/// restores the thread's previous mode.
#[derive(Debug)]
pub struct FlushDenormals {
    #[cfg(target_arch = "x86_64")]
    saved: u32,
}

impl FlushDenormals {
    /// Switches flushing on (`on`) or leaves the mode as it is (`!on`) until dropped.
    pub fn new(on: bool) -> Self {
        if on {
            return Mode { flush: true }.apply();
        }
        // Off: nothing is written (a thread with only one of the two flags set keeps it), and
        // dropping the guard restores what was read.
        #[cfg(target_arch = "x86_64")]
        return FlushDenormals {
            saved: read_mxcsr(),
        };
        #[cfg(not(target_arch = "x86_64"))]
        FlushDenormals {}
    }
}

impl Drop for FlushDenormals {
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        write_mxcsr(self.saved);
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use std::hint::black_box;

    /// `1e-20 × 1e-20`: 1e-40, a subnormal f32, unless flushed.
    fn tiny_product() -> f32 {
        black_box(1e-20f32) * black_box(1e-20f32)
    }

    #[test]
    fn subnormals_are_flushed_while_the_guard_lives_and_come_back_after() {
        assert!(tiny_product() > 0.0 && tiny_product() < f32::MIN_POSITIVE);
        assert_eq!(current(), Mode { flush: false });
        {
            let _guard = FlushDenormals::new(true);
            assert_eq!(tiny_product(), 0.0);
            // Denormals-are-zero: a subnormal input reads as 0 too.
            let sub = black_box(f32::from_bits(1));
            assert_eq!(sub * black_box(2.0f32), 0.0);
            assert_eq!(current(), Mode { flush: true });
        }
        assert!(tiny_product() > 0.0, "restored");
        // A worker started before (a pool's thread) takes the mode it is given.
        let worker = std::thread::spawn(|| {
            let before = (current(), tiny_product() > 0.0);
            let during = {
                let _g = Mode { flush: true }.apply();
                (current(), tiny_product())
            };
            (before, during, tiny_product() > 0.0)
        });
        let (before, during, after) = worker.join().expect("thread");
        assert_eq!(before, (Mode { flush: false }, true));
        assert_eq!(during, (Mode { flush: true }, 0.0));
        assert!(after, "the worker's mode is restored too");

        let _off = FlushDenormals::new(false);
        assert!(tiny_product() > 0.0, "off leaves the mode alone");
    }
}
