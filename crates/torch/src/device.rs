//! Devices, threads and determinism (the chapter's "Uso de GPU" and `utils.set_seed(seed,
//! deterministic=True)`): `--device cpu|cuda|auto`, libtorch's intra-op thread count, seeding,
//! and `torch doctor`, which says what this libtorch can do.

use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, Once};

use common::spec::ModelSpec;
use common::{Error, Result};
use tch::{Cuda, Device};

/// Where to train (`--device`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The CPU (the default: reproducible everywhere).
    #[default]
    Cpu,
    /// The first CUDA device; an error when there is none.
    Cuda,
    /// CUDA when available, else the CPU with a warning.
    Auto,
}

impl FromStr for DeviceChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda),
            "auto" => Ok(DeviceChoice::Auto),
            _ => Err(Error::Other(format!(
                "--device: unknown device '{s}', expected cpu, cuda or auto"
            ))),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceChoice::Cpu => "cpu",
            DeviceChoice::Cuda => "cuda",
            DeviceChoice::Auto => "auto",
        })
    }
}

/// True when this binary was built with the `cuda` feature (libtorch_cuda linked in).
pub fn built_with_cuda() -> bool {
    cfg!(feature = "cuda")
}

/// Resolves a choice to a device. `cuda` without a usable GPU is an error that says why;
/// `auto` falls back to the CPU with a warning on stderr. Choosing CUDA also turns off cuDNN's
/// benchmark mode and sets `CUBLAS_WORKSPACE_CONFIG` (unless set) for deterministic cuBLAS.
pub fn resolve(choice: DeviceChoice) -> Result<Device> {
    let device = match choice {
        DeviceChoice::Cpu => Device::Cpu,
        DeviceChoice::Cuda if Cuda::is_available() => Device::Cuda(0),
        DeviceChoice::Cuda => {
            return Err(Error::Backend(format!(
                "--device cuda: {}",
                no_cuda_reason()
            )))
        }
        DeviceChoice::Auto if Cuda::is_available() => Device::Cuda(0),
        DeviceChoice::Auto => {
            static WARN: Once = Once::new();
            WARN.call_once(|| {
                common::errln!(
                    "warning: --device auto: {}; training on the CPU",
                    no_cuda_reason()
                )
            });
            Device::Cpu
        }
    };
    if device.is_cuda() {
        deterministic_cuda();
    }
    Ok(device)
}

/// Why CUDA cannot be used, in words that say what to do.
fn no_cuda_reason() -> String {
    if built_with_cuda() {
        "libtorch sees no CUDA device (check `nvidia-smi`, the driver and CUDA_VISIBLE_DEVICES; \
         `torch doctor` shows what libtorch sees)"
            .into()
    } else {
        "this binary was built without CUDA support; rebuild it with \
         `cargo build --release -p torch --features cuda` on a machine with an NVIDIA GPU"
            .into()
    }
}

/// The CUDA side of the chapter's `set_seed(deterministic=True)`: `cudnn.benchmark = False`
/// and cuBLAS's fixed workspace, which its deterministic mode needs. (tch exposes no switch
/// for `torch.use_deterministic_algorithms` or `cudnn.deterministic`.)
fn deterministic_cuda() {
    if std::env::var_os("CUBLAS_WORKSPACE_CONFIG").is_none() {
        // Read by cuBLAS when its handle is created, i.e. at the first matmul, after this.
        std::env::set_var("CUBLAS_WORKSPACE_CONFIG", ":4096:8");
    }
    Cuda::cudnn_set_benchmark(false);
}

/// Seeds libtorch's generators (CPU and every CUDA device), as `torch.manual_seed`.
pub fn seed(seed: u64) {
    // libtorch takes the seed as a signed 64-bit value; keep every bit.
    tch::manual_seed(seed as i64);
}

/// Guards libtorch's process-wide default generators (tch offers no per-model generator).
static GENERATORS: Mutex<()> = Mutex::new(());

/// Runs `f` with libtorch's generators seeded with `seed` and no other thread drawing from
/// them, so that the random numbers `f` draws (dropout masks) depend on `seed` alone even when
/// several backends train at once in one process (tests, comparisons).
pub fn with_seed<T>(seed: u64, f: impl FnOnce() -> T) -> T {
    // A panic while holding the lock leaves no state to repair: the next user reseeds.
    let _guard = GENERATORS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    self::seed(seed);
    f()
}

/// Batch matrix products smaller than this many multiply-adds run faster on one thread: the
/// OpenMP fork/join (and its spinning workers) costs more than the arithmetic it would split.
const PARALLEL_MACS: usize = 1 << 22;

/// A sensible intra-op thread count for `spec` trained in batches of `batch`: one thread when
/// its largest per-batch layer product is small (the chapter's 2→64→64→2 at batch 128: 0.5 M
/// multiply-adds), else every available core (784→512→512→2: 51 M).
pub fn auto_threads(spec: &ModelSpec, batch: usize) -> usize {
    // The spec's own count of each product (strides and pooling included), per example.
    let largest = spec
        .product_macs()
        .into_iter()
        .map(|(_, macs)| (macs as usize).saturating_mul(batch))
        .max()
        .unwrap_or(0);
    if largest < PARALLEL_MACS {
        1
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    }
}

/// Sets libtorch's intra-op thread count: `threads`, or the machine's available parallelism.
/// Returns the count in effect.
pub fn configure_threads(threads: Option<usize>) -> usize {
    let n = threads.filter(|&n| n > 0).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    if tch::get_num_threads() != n {
        tch::set_num_threads(n);
    }
    tch::get_num_threads().max(1) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_device_choices() {
        assert_eq!("CPU".parse::<DeviceChoice>().unwrap(), DeviceChoice::Cpu);
        assert_eq!("cuda".parse::<DeviceChoice>().unwrap(), DeviceChoice::Cuda);
        assert_eq!("auto".parse::<DeviceChoice>().unwrap(), DeviceChoice::Auto);
        for bad in ["tpu", "gpu", "cuda:0", ""] {
            let err = bad.parse::<DeviceChoice>().unwrap_err().to_string();
            assert!(
                err.contains(&format!("'{bad}'")) && err.contains("cpu, cuda or auto"),
                "{err}"
            );
        }
    }

    #[test]
    fn small_nets_get_one_thread() {
        let mlp = |hidden: usize, inputs: usize| ModelSpec {
            names: Vec::new(),
            input_shape: vec![inputs],
            layers: vec![
                common::spec::LayerSpec::Linear {
                    inputs,
                    outputs: hidden,
                },
                common::spec::LayerSpec::Linear {
                    inputs: hidden,
                    outputs: hidden,
                },
                common::spec::LayerSpec::Linear {
                    inputs: hidden,
                    outputs: 2,
                },
            ],
            head: common::spec::Head::Softmax { classes: 2 },
            freeze: Vec::new(),
        };
        assert_eq!(auto_threads(&mlp(64, 2), 128), 1);
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        assert_eq!(auto_threads(&mlp(512, 784), 128), cores);
    }

    #[test]
    fn cpu_always_resolves() {
        assert_eq!(resolve(DeviceChoice::Cpu).unwrap(), Device::Cpu);
    }
}
