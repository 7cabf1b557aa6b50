//! `compare bench`'s output: a heading naming the machine and the build, one Markdown row per
//! workload (pastes into the docs as it is), and the footer lines (the `gemm` ceiling of each
//! wide net, the whole-process comparison, the GFLOP/s formula).

use torch::DeviceChoice;

use super::{BenchRow, ProcessRow};

/// `12.34M` or `56.7k`.
fn rate(per_s: f64) -> String {
    if per_s >= 1e6 {
        format!("{:.2}M", per_s / 1e6)
    } else {
        format!("{:.1}k", per_s / 1e3)
    }
}

/// The machine: CPU model and logical CPUs (Linux's `/proc/cpuinfo`; `unknown CPU` elsewhere).
pub fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU", str::trim)
        .to_string();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let simd = if cfg!(target_arch = "x86_64") && std::arch::is_x86_feature_detected!("avx512f") {
        "AVX-512"
    } else if cfg!(target_arch = "x86_64") && std::arch::is_x86_feature_detected!("avx2") {
        "AVX2"
    } else {
        "no AVX2"
    };
    format!("{model}, {cpus} CPUs, {simd}")
}

/// What libtorch multiplies with on the CPU (its build configuration says whether MKL is in).
fn torch_blas() -> &'static str {
    if tch::utils::has_mkl() {
        "MKL"
    } else {
        "its own BLAS"
    }
}

/// The lines above the table.
pub fn heading(reps: usize, device: DeviceChoice, python: Option<&str>) -> String {
    let build = if cfg!(debug_assertions) {
        "debug build (use --release)"
    } else {
        "release build"
    };
    let mut s = format!(
        "compare bench: training samples/s of the step loop, f32, best of {} run(s), {build}, \
         torch on {device}\nmachine: {}\nproducts: scratch's large ones in {} (small ones in \
         its own loop kernels); torch's in libtorch ({})\n",
        reps.max(1),
        machine(),
        scratch::ops::gemm_kernel(),
        torch_blas()
    );
    if let Some(v) = python {
        s.push_str(&format!(
            "Python loops (the chapter's, run between ours): {v}; Route 1 in NumPy float64 as \
             the chapter writes it\n"
        ));
    }
    s + "\n"
}

/// The table, as printed by `compare bench` (Markdown, so that it pastes into the docs). The
/// Python columns appear when a row has a Python rate.
pub fn render(rows: &[BenchRow]) -> String {
    let python = rows.iter().any(|r| r.python.is_some());
    let cpp = rows.iter().any(|r| r.cpp.is_some());
    let mut s = String::from(
        "| workload | model and data | scratch samples/s | torch samples/s | torch/scratch |",
    );
    if python {
        s.push_str(" Python loop samples/s | scratch/Python | torch/Python |");
    }
    if cpp {
        s.push_str(" C++ loop plain | C++ loop fused | torch/C++ (faster) |");
    }
    s.push_str(" GFLOP/s scratch | GFLOP/s torch | torch threads |\n|---|---|---:|---:|---:|");
    if python {
        s.push_str("---:|---:|---:|");
    }
    if cpp {
        s.push_str("---:|---:|---:|");
    }
    s.push_str("---:|---:|---:|\n");
    for r in rows {
        let [gs, gt] = r.gflops();
        let (gs, gt) = if r.wide {
            (format!("{gs:.1}"), format!("{gt:.1}"))
        } else {
            (String::new(), String::new())
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | ×{:.2} |",
            r.name,
            r.detail,
            rate(r.rates[0]),
            rate(r.rates[1]),
            r.ratio()
        ));
        if python {
            match r.python {
                Some(p) => s.push_str(&format!(
                    " {} | ×{:.1} | ×{:.1} |",
                    rate(p),
                    r.rates[0] / p,
                    r.rates[1] / p
                )),
                None => s.push_str(" | | |"),
            }
        }
        if cpp {
            match r.cpp {
                Some([plain, fused]) => s.push_str(&format!(
                    " {} | {} | ×{:.2} |",
                    rate(plain),
                    rate(fused),
                    r.rates[1] / plain.max(fused)
                )),
                None => s.push_str(" | | |"),
            }
        }
        s.push_str(&format!(" {gs} | {gt} | {} |\n", r.threads));
    }
    s
}

/// The lines under the table: each wide net's `gemm` ceiling and the backends' share of it,
/// the whole-process comparison, and the GFLOP/s definition.
pub fn footer(rows: &[BenchRow], processes: &[ProcessRow]) -> String {
    let mut s = String::from("\n");
    for r in rows {
        if let Some(g) = r.gemm {
            let [gs, gt] = r.gflops();
            s.push_str(&format!(
                "gemm {}: libtorch mm on the step's products: {g:.1} GFLOP/s; scratch reaches \
                 {:.0} %, torch {:.0} %\n",
                r.name,
                100.0 * gs / g,
                100.0 * gt / g
            ));
        }
    }
    for p in processes {
        let [ours, theirs] = p.seconds;
        s.push_str(&format!(
            "whole process, {}: {:.3} s vs {:.3} s (×{:.1})\n",
            p.detail,
            ours,
            theirs,
            theirs / ours
        ));
    }
    s.push_str(
        "GFLOP/s = samples/s × train FLOPs per example, 2·m·(1 + [trainable] + [trainable \
         layer below]) summed over Linear/Conv2d layers of m multiply-adds (no input gradient \
         for the first layer)\n",
    );
    s
}
