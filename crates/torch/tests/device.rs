//! Device selection: the CPU always works; CUDA requested where libtorch sees none is a clear
//! error (and `auto` falls back to the CPU); `doctor` reports what libtorch can do.

use common::config::Config;
use tch::{Cuda, Device};
use torch::device::{built_with_cuda, resolve};
use torch::doctor;
use torch::{DeviceChoice, TorchBackend, TorchOptions};

#[test]
fn cuda_without_a_gpu_is_a_clear_error_and_auto_falls_back() {
    if Cuda::is_available() {
        assert_eq!(resolve(DeviceChoice::Cuda).unwrap(), Device::Cuda(0));
        return;
    }
    let msg = resolve(DeviceChoice::Cuda).unwrap_err().to_string();
    assert!(msg.contains("--device cuda"), "{msg}");
    if built_with_cuda() {
        assert!(msg.contains("no CUDA device"), "{msg}");
    } else {
        assert!(msg.contains("--features cuda"), "{msg}");
    }
    assert_eq!(resolve(DeviceChoice::Auto).unwrap(), Device::Cpu);
}

#[test]
fn a_backend_on_cuda_without_a_gpu_fails_before_training() {
    if Cuda::is_available() {
        return; // covered by the GPU machine's own runs
    }
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
    let err = TorchBackend::new(&spec, &init, &cfg, &Default::default(), &opts).unwrap_err();
    assert!(err.to_string().contains("cuda"), "{err}");
}

#[test]
fn doctor_reports_libtorch_and_cuda_state() {
    let d = doctor();
    assert!(
        d.libtorch_version.starts_with("2.11.0"),
        "{}",
        d.libtorch_version
    );
    assert_eq!(d.built_with_cuda, cfg!(feature = "cuda"));
    assert_eq!(d.cuda_available, Cuda::is_available());
    assert_eq!(d.device_count as usize, d.device_names.len());
    assert!(d.to_string().contains("libtorch version      2.11.0"));
}
