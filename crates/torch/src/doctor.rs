//! `torch doctor`: what this libtorch can do here — its version and location, CUDA and cuDNN
//! availability, the CUDA devices, whether the binary was built with the `cuda` feature, and
//! the CPU side (threads, MKL, OpenMP, oneDNN). The chapter's "detectar dispositivo" step.
//!
//! The version and folder are those of the library loaded at run time ([`crate::loaded`]),
//! not the ones the build script found: when the dynamic loader picks another libtorch than
//! the binary was built against, the report says so.

use std::fmt;
use std::process::Command;

use tch::Cuda;

use crate::device::built_with_cuda;
use crate::loaded;

/// libtorch's version as the build script read it from the install it linked against
/// (`version.py` of a PyTorch wheel, `build-version` of a libtorch zip).
const BUILD_VERSION: &str = env!("TWIN_NETS_LIBTORCH_VERSION");
/// The `lib/` folder the binary was linked against (its rpath).
const BUILD_LIB: &str = env!("TWIN_NETS_LIBTORCH_LIB");

/// What `torch doctor` reports.
#[derive(Debug, Clone)]
pub struct Doctor {
    /// The loaded libtorch's version, as it reports it (`TORCH_VERSION` of `at::show_config()`),
    /// or `unknown`.
    pub libtorch_version: String,
    /// The folder of the `libtorch_cpu.so` mapped into this process, or the build-time
    /// folder when the process's maps cannot be read.
    pub libtorch_lib: String,
    /// The version of the install the binary was built against (`2.11.0+cu130`).
    pub build_version: String,
    /// The `lib/` folder the binary was built against (its rpath).
    pub build_lib: String,
    /// Built with the `cuda` feature.
    pub built_with_cuda: bool,
    /// `torch.cuda.is_available()`.
    pub cuda_available: bool,
    /// `torch.backends.cudnn.is_available()`.
    pub cudnn_available: bool,
    /// cuDNN version as an integer (e.g. 91900), when available.
    pub cudnn_version: Option<i64>,
    /// Number of CUDA devices.
    pub device_count: i64,
    /// Device names (from `nvidia-smi`, which tch does not expose otherwise).
    pub device_names: Vec<String>,
    /// Intra-op threads.
    pub threads: i32,
    /// MKL / OpenMP / oneDNN in this libtorch.
    pub cpu_features: String,
}

/// Asks libtorch what it can do.
pub fn doctor() -> Doctor {
    let cuda_available = Cuda::is_available();
    let cudnn_available = cuda_available && Cuda::cudnn_is_available();
    let device_count = if cuda_available {
        Cuda::device_count()
    } else {
        0
    };
    let flag = |b: bool| if b { "yes" } else { "no" };
    Doctor {
        libtorch_version: loaded::version().unwrap_or_else(|| "unknown".into()),
        libtorch_lib: loaded::lib_dir()
            .map_or_else(|| BUILD_LIB.to_string(), |d| d.display().to_string()),
        build_version: BUILD_VERSION.to_string(),
        build_lib: BUILD_LIB.to_string(),
        built_with_cuda: built_with_cuda(),
        cuda_available,
        cudnn_available,
        cudnn_version: cudnn_available.then(tch::utils::version_cudnn),
        device_count,
        device_names: if device_count > 0 {
            gpu_names()
        } else {
            vec![]
        },
        threads: tch::get_num_threads(),
        cpu_features: format!(
            "mkl {}, openmp {}, onednn {}",
            flag(tch::utils::has_mkl()),
            flag(tch::utils::has_openmp()),
            flag(tch::utils::has_mkldnn())
        ),
    }
}

/// GPU names from `nvidia-smi`, or a note saying they are unknown.
fn gpu_names() -> Vec<String> {
    let out = Command::new("nvidia-smi")
        .args(["--query-gpu=name", "--format=csv,noheader"])
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        _ => vec!["(names unknown: nvidia-smi not available)".into()],
    }
}

impl Doctor {
    /// A sentence when the loaded libtorch is not the one the binary was built against (another
    /// version, or another folder): `None` when they agree.
    pub fn build_mismatch(&self) -> Option<String> {
        let base = |v: &str| v.split('+').next().unwrap_or(v).to_string();
        if base(&self.libtorch_version) != base(&self.build_version) {
            return Some(format!(
                "the loaded libtorch is version {}, but this binary was built against {} \
                 ({}); check LD_LIBRARY_PATH and rebuild",
                self.libtorch_version, self.build_version, self.build_lib
            ));
        }
        let same_dir = |a: &str, b: &str| {
            let canon = |p: &str| std::fs::canonicalize(p).unwrap_or_else(|_| p.into());
            canon(a) == canon(b)
        };
        (!same_dir(&self.libtorch_lib, &self.build_lib)).then(|| {
            format!(
                "libtorch is loaded from {}, but this binary was built against {}",
                self.libtorch_lib, self.build_lib
            )
        })
    }
}

impl fmt::Display for Doctor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yn = |b: bool| if b { "yes" } else { "no" };
        writeln!(f, "libtorch version      {}", self.libtorch_version)?;
        writeln!(f, "libtorch lib          {}", self.libtorch_lib)?;
        if let Some(warning) = self.build_mismatch() {
            writeln!(f, "warning: {warning}")?;
        }
        writeln!(f, "built with cuda       {}", yn(self.built_with_cuda))?;
        writeln!(f, "cuda available        {}", yn(self.cuda_available))?;
        let cudnn = match self.cudnn_version {
            Some(v) => format!("yes (version {v})"),
            None => yn(self.cudnn_available).to_string(),
        };
        writeln!(f, "cudnn available       {cudnn}")?;
        writeln!(f, "cuda devices          {}", self.device_count)?;
        for (i, name) in self.device_names.iter().enumerate() {
            writeln!(f, "  cuda:{i}              {name}")?;
        }
        writeln!(f, "intra-op threads      {}", self.threads)?;
        write!(f, "cpu                   {}", self.cpu_features)?;
        if !self.built_with_cuda {
            write!(
                f,
                "\nnote: CUDA needs a build with `--features cuda` (libtorch_cuda is not linked)"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctor_names_version_and_cuda_state() {
        let d = doctor();
        assert!(
            d.libtorch_version.starts_with("2.11.0"),
            "{}",
            d.libtorch_version
        );
        let text = d.to_string();
        assert!(
            text.contains("cuda available") && text.contains("cudnn available"),
            "{text}"
        );
    }
}
