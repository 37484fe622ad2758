//! Entry point: parse the command line, run it, map any error to a documented
//! exit code. Everything else lives in the library (`scamtrends::app`).

use std::process::ExitCode;

fn main() -> ExitCode {
    return_freed_memory();
    let args = scamtrends::cli::parse();
    match scamtrends::app::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            scamtrends::log::error(format!("{err:#}"));
            ExitCode::from(scamtrends::error::exit_code_of(&err))
        }
    }
}

/// Have glibc's malloc serve every block of 128 KiB or more with its own
/// mapping, returned to the system when freed. By default the threshold
/// rises to 32 MiB as large blocks are freed, and the millions of column
/// buffers a 100M-row run allocates and frees then stay resident as holes
/// in the heap (peak 3.3 GB instead of 2.0 GB; docs/benchmarks.md).
/// glibc's own `MALLOC_MMAP_THRESHOLD_`, when set, wins.
fn return_freed_memory() {
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some() {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
