//! `torch doctor`: what this libtorch can do here — its version and location, CUDA and cuDNN
//! availability, the CUDA devices, whether the binary was built with the `cuda` feature, and
//! the CPU side (threads, MKL, OpenMP, oneDNN). The chapter's "detectar dispositivo" step.

use std::fmt;
use std::process::Command;

use tch::Cuda;

use crate::device::built_with_cuda;

/// What `torch doctor` reports.
#[derive(Debug, Clone)]
pub struct Doctor {
    /// libtorch's version (from the install it was built against).
    pub libtorch_version: String,
    /// libtorch's `lib/` folder (embedded as the binary's rpath).
    pub libtorch_lib: String,
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
        libtorch_version: env!("TWIN_NETS_LIBTORCH_VERSION").to_string(),
        libtorch_lib: env!("TWIN_NETS_LIBTORCH_LIB").to_string(),
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

impl fmt::Display for Doctor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yn = |b: bool| if b { "yes" } else { "no" };
        writeln!(f, "libtorch version      {}", self.libtorch_version)?;
        writeln!(f, "libtorch lib          {}", self.libtorch_lib)?;
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
