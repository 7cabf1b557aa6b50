//! [`simd`]: the run-time choice of instruction set that every vectorised loop runs under.

/// Runs `f` compiled for the best instruction set this CPU has (AVX-512 where the CPU has
/// it, through `pulp`'s `x86-v4` feature; else AVX2+FMA on any recent x86; else the SSE2
/// baseline), chosen at run time by `pulp`. Everything `f` calls must be
/// `#[inline(always)]` to be compiled for that instruction set too. Results do not depend on
/// the choice: the loops only widen, they never reorder an addition.
#[inline(always)]
pub fn simd<R>(f: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(f)
}
