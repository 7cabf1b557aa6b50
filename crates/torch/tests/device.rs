//! Device selection and `doctor`, checked against what is observable from outside the code
//! under test: the shared libraries really mapped into this process (`/proc/self/maps`), the
//! version the loaded libtorch reports about itself, and what the project's own PyTorch
//! (`.venv/bin/python`) says about the same install. `--device cuda` where CUDA cannot be
//! used is an error naming the flag and the reason; `auto` picks what libtorch reports.

mod venv;

use common::config::Config;
use tch::{Cuda, Device, Kind, Tensor};
use torch::device::{built_with_cuda, resolve};
use torch::{doctor, loaded};
use torch::{DeviceChoice, TorchBackend, TorchOptions};

/// Both sides canonicalised, so that the `.venv/libtorch` link and the real folder compare.
fn same_path(a: &std::path::Path, b: &std::path::Path) -> bool {
    let canon = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.into());
    canon(a) == canon(b)
}

#[test]
fn the_cuda_feature_decides_whether_libtorch_cuda_is_loaded() {
    // build.rs keeps libtorch_cuda linked with `--features cuda` (or CUDA is silently
    // unavailable, tch-rs #907) and leaves it out without it (it maps the whole CUDA stack).
    // The process's maps say which one happened.
    let cuda_lib = loaded::mapped_library("libtorch_cuda.so");
    assert!(
        loaded::mapped_library("libtorch_cpu.so").is_some(),
        "libtorch_cpu.so is not mapped: {:?}",
        loaded::mapped_files()
    );
    assert_eq!(
        cuda_lib.is_some(),
        built_with_cuda(),
        "built_with_cuda() = {} but libtorch_cuda.so mapped: {cuda_lib:?}",
        built_with_cuda()
    );
    // Without libtorch_cuda there is no CUDA backend, whatever the machine has.
    if cuda_lib.is_none() {
        assert!(!Cuda::is_available());
        assert_eq!(Cuda::device_count(), 0);
    }
}

#[test]
fn auto_picks_what_libtorch_reports_and_cuda_works_or_says_why_not() {
    let auto = resolve(DeviceChoice::Auto).unwrap();
    if Cuda::is_available() {
        assert_eq!(auto, Device::Cuda(0));
        let device = resolve(DeviceChoice::Cuda).unwrap();
        assert_eq!(device, Device::Cuda(0));
        // The device computes: a sum on the GPU, brought back.
        let sum = Tensor::ones([1000], (Kind::Double, device)).sum(Kind::Double);
        assert_eq!(sum.device(), device);
        assert_eq!(sum.to_device(Device::Cpu).double_value(&[]), 1000.0);
        return;
    }
    assert_eq!(auto, Device::Cpu);
    let msg = resolve(DeviceChoice::Cuda).unwrap_err().to_string();
    assert!(msg.starts_with("--device cuda: "), "{msg}");
    let reason = if built_with_cuda() {
        "libtorch sees no CUDA device"
    } else {
        "built without CUDA support"
    };
    assert!(msg.contains(reason), "{msg}");
}

#[test]
fn a_backend_on_cuda_without_a_gpu_fails_before_training() {
    let cfg = Config::chapter_route2();
    let spec = common::spec::ModelSpec::from_config(&cfg, 2, None, 2).unwrap();
    let init = common::init::init_params(
        &spec,
        cfg.model.init,
        &mut common::seed::Seeds::new(1).rng(common::seed::Stream::Init),
    );
    let opts = TorchOptions {
        device: DeviceChoice::Cuda,
        ..TorchOptions::default()
    };
    let built = TorchBackend::new(&spec, &init, &cfg, &Default::default(), &opts);
    match (Cuda::is_available(), built) {
        (true, Ok(_)) => {}
        (true, Err(e)) => panic!("CUDA is available but the backend failed: {e}"),
        (false, Ok(_)) => panic!("a CUDA backend was built where libtorch sees no CUDA"),
        (false, Err(e)) => {
            let msg = e.to_string();
            assert!(msg.contains("--device cuda"), "{msg}");
        }
    }
}

#[test]
fn doctor_reports_the_loaded_libtorch_which_is_the_venvs_torch() {
    let (py_version, py_lib, py_config) = venv::torch_info();
    let d = doctor();
    // The version the loaded library reports about itself is the venv's torch.__version__
    // (without its local `+cu130` tag), and the library is the venv's file.
    let base = py_version.split('+').next().unwrap_or(&py_version);
    assert_eq!(d.libtorch_version, base, "python says {py_version}");
    assert!(
        same_path(std::path::Path::new(&d.libtorch_lib), &py_lib),
        "loaded from {}, the venv's torch is in {}",
        d.libtorch_lib,
        py_lib.display()
    );
    // The same build: at::show_config() here and torch.__config__.show() there agree on the
    // commit and version they were built from.
    let ours = loaded::show_config();
    for key in ["TORCH_VERSION", "COMMIT_SHA", "CUDA_VERSION"] {
        let value = loaded::build_setting(&ours, key);
        assert!(
            value.is_some() || key == "CUDA_VERSION",
            "no {key} in at::show_config(): {ours}"
        );
        assert_eq!(value, loaded::build_setting(&py_config, key), "{key}");
    }
    assert_eq!(d.build_mismatch(), None, "{d}");
    assert_eq!(d.built_with_cuda, built_with_cuda());
    assert_eq!(d.device_count as usize, d.device_names.len());
    assert_eq!(d.cuda_available, d.device_count > 0);
    let text = d.to_string();
    assert!(
        text.contains(&format!("libtorch version      {base}\n")),
        "{text}"
    );
    assert!(!text.contains("warning:"), "{text}");
}

#[test]
fn doctor_warns_when_the_loaded_library_is_not_the_build_one() {
    let mut d = doctor();
    d.build_version = "1.13.1+cpu".into();
    let warning = d.build_mismatch().expect("a version mismatch is reported");
    assert!(
        warning.contains("1.13.1+cpu") && warning.contains(&d.libtorch_version),
        "{warning}"
    );
    assert!(d.to_string().contains(&format!("warning: {warning}")));

    let mut d = doctor();
    d.build_lib = "/nonexistent/libtorch/lib".into();
    let warning = d.build_mismatch().expect("a folder mismatch is reported");
    assert!(warning.contains("/nonexistent/libtorch/lib"), "{warning}");
}
