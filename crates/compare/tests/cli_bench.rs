//! `compare bench` end to end, on scaled-down workloads: one row per workload with its ratio,
//! the `gemm` ceiling line, and with `--python` the chapter's Python loops run between ours
//! (ratio columns, the whole-process lines, empty Python cells for the CNN), and the C++ loop
//! columns of Route 2 and the CNN.

mod cli_support;
use cli_support::{compare, succeeded};

#[test]
fn bench_prints_one_row_per_workload_with_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let out = compare(dir.path())
        .args(["bench", "--scale-down", "500", "--reps", "1"])
        .output()
        .unwrap();
    let text = succeeded(&out);
    for w in [
        "R1 (a) chapter",
        "R1 (b) circle",
        "R1 (c) wide",
        "R2 (a) chapter",
        "R2 (b) circle",
        "R2 (c) wide",
        "CNN digits",
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(w))
            .unwrap_or_else(|| panic!("{w} missing:\n{text}"));
        assert!(line.contains('×'), "{line}");
    }
    let cnn = text.lines().find(|l| l.contains("CNN digits")).unwrap();
    assert!(
        cnn.contains("conv32") && cnn.contains("n_train=50"),
        "{cnn}"
    );
    let wide = text.lines().find(|l| l.contains("R2 (c) wide")).unwrap();
    assert!(wide.contains("784→512→512→2"), "{wide}");
    assert!(text.contains("gemm R2 (c) wide: libtorch mm"), "{text}");
    // The heading names the machine and the kernel each route's products ran in.
    let products = text.lines().find(|l| l.starts_with("products: ")).unwrap();
    assert!(
        products.contains("twin-nets GEMM, ") && products.contains(" micro-kernels ("),
        "{products}"
    );
    assert!(text.lines().any(|l| l.starts_with("machine: ")), "{text}");
    assert!(
        !text.contains("Python loop"),
        "no Python without --python: {text}"
    );
    // Route 2's rows and the CNN time the C++ loop too (plain and fused forms, and torch
    // against the faster); Route 1's C++ cells are empty.
    assert!(text.contains("| C++ loop plain | C++ loop fused | torch/C++ (faster) |"));
    for (w, cpp) in [
        ("R1 (a) chapter", false),
        ("R2 (a) chapter", true),
        ("R2 (c) wide", true),
        ("CNN digits", true),
    ] {
        let line = text.lines().find(|l| l.contains(w)).unwrap();
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(cells[6..9].iter().all(|c| !c.is_empty()), cpp, "{line}");
        assert_eq!(cells[8].starts_with('×'), cpp, "{line}");
    }
}

#[test]
fn bench_python_runs_the_chapter_loops_between_ours_and_prints_the_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let out = compare(dir.path())
        .args(["bench", "--python", "--scale-down", "500", "--reps", "1"])
        .output()
        .unwrap();
    let text = succeeded(&out);
    assert!(
        text.contains("NumPy") && text.contains("PyTorch 2.11.0"),
        "{text}"
    );
    assert!(text.contains("| scratch/Python | torch/Python |"), "{text}");
    for w in [
        "R1 (a) chapter",
        "R1 (c) wide",
        "R2 (a) chapter",
        "R2 (c) wide",
    ] {
        let line = text.lines().find(|l| l.contains(w)).unwrap();
        // torch/scratch, scratch/Python and torch/Python, and Route 2's torch/C++.
        let ratios = if w.starts_with("R2") { 4 } else { 3 };
        assert_eq!(line.matches('×').count(), ratios, "{line}");
    }
    let processes: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("whole process"))
        .collect();
    assert_eq!(processes.len(), 2, "the tiny run and R1 (b): {text}");
    assert!(
        processes[0].contains("n=2000, 5 epochs"),
        "{}",
        processes[0]
    );
    for p in processes {
        assert!(p.contains("chapter_route1.py") && p.contains('×'), "{p}");
    }
    // The CNN has no Python loop: its Python cells are empty.
    let cnn = text.lines().find(|l| l.contains("CNN digits")).unwrap();
    let cells: Vec<&str> = cnn.split('|').map(str::trim).collect();
    assert_eq!(cells[6..9], ["", "", ""], "{cnn}");
    assert!(cells[11].starts_with('×'), "torch/C++: {cnn}");
    assert!(cells[5].starts_with('×'), "torch/scratch: {cnn}");
}
