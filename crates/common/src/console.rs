//! Printing that never costs a run: `outln!`/`out!` (standard output) and `errln!`/`err!`
//! (standard error) write like `println!` and friends but ignore a failed write. Rust's own
//! macros panic when the reader has gone (`scratch train … | head -3` closes the pipe after
//! three lines, and the next `println!` panicked with "failed printing to stdout: Broken pipe",
//! leaving a run folder without checkpoints). The choice, documented in the README: a closed
//! standard output or error changes nothing about the run; it trains to the end quietly,
//! saving its checkpoints and files as usual, and exits as it would have.

/// `println!` that ignores a closed or failing standard output.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` that ignores a closed or failing standard output.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that ignores a closed or failing standard error.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// `eprint!` that ignores a closed or failing standard error.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr().lock(), $($arg)*);
    }};
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_macros_format_like_the_std_ones() {
        // Formatting arguments pass through unchanged (the output itself goes to the test's
        // captured streams).
        let x = 3;
        crate::outln!("x = {x}, {}", x + 1);
        crate::out!("{x:>4}");
        crate::outln!();
        crate::errln!("{:.2}", 1.0f64 / 3.0);
        crate::err!("{}", "done\n");
    }
}
