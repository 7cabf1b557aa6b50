//! The kernels underneath the lesson: what the layers and the optimizer compute, made fast.
//! The layers call them by what they compute ([`linear_forward`], [`weight_grad`],
//! [`bias_grad`], [`input_grad`], in `ops/linear.rs`; the optimizer's element loops in
//! `ops/elementwise.rs`); underneath them, the three matrix products (`a·bᵀ`, `aᵀ·b`, `a·b`, in
//! `ops/products.rs`, with a per-thread tally of their multiply-adds in `ops/tally.rs`), the
//! minibatch gather `X[idx], y[idx]` over a cache-friendly layout ([`LabelledRows`],
//! `ops/gather.rs`) and the reusable buffers ([`Buf`], [`Workspace`], `ops/buf.rs`) that keep
//! the step's own code free of allocations. Small products (the chapter's 2→32→1 net) run in plain
//! loops written so the compiler vectorises them and keeps each block of output columns in
//! registers (`ops/small.rs`), because a general GEMM spends more time packing than
//! multiplying at that size; large ones go to the crate's own GEMM (`ops/gemm`:
//! AVX-512 or AVX2 micro-kernels in `std::arch`, packed panels, threaded on the workers of
//! `ops/pool.rs`, which the optimizer's long updates share; matrixmultiply where the CPU has
//! neither instruction set).

mod buf;
mod elementwise;
mod gather;
pub mod gemm;
mod linear;
mod pool;
mod products;
mod simd;
mod small;
mod tally;

pub use buf::{Buf, Workspace};
pub use elementwise::{map_in_place, map_into, update_each, update_each_with_state};
pub use elementwise::{update_each_with_two_states, zip_map_into};
pub use gather::{LabelledRows, MAX_LABEL};
pub use linear::{bias_grad, input_grad, linear_forward, weight_grad};
pub use products::{
    axpy, col_sums, dot, gemm_kernel, matmul_nn, matmul_nt, matmul_tn, transpose_into,
};
pub use simd::simd;
pub use tally::{gemm_calls, product_macs};

#[cfg(test)]
mod tests;
