//! Giving freed memory back to the system between stages, and reporting what
//! the allocator holds for the memory trace. The streaming
//! engine allocates and frees millions of batch buffers while the scam-bound
//! rows it keeps stay allocated among them; glibc's malloc keeps those holes
//! resident (at 100M rows, 1.8 GB resident for 0.7 GB of kept rows).
//! `malloc_trim` returns every free page of every arena at a stage boundary,
//! without making each allocation a system call. A no-op off glibc.

/// Return free heap pages to the system (glibc `malloc_trim(0)`).
pub fn release_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused pages; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// From now on have glibc serve every block of 128 KiB or more with its own
/// mapping, returned to the system as soon as it is freed. Called once the
/// transfers are loaded: what follows allocates few, large column buffers,
/// whose transient copies would otherwise stay resident (at 100M rows the
/// peak falls from 2.4 GB to under 2 GB). Not during loading: there the
/// streaming engine's millions of buffers would each become a system call
/// and page faults (a 10M-row Parquet run took 2× as long).
pub fn return_large_blocks_at_once() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; glibc serialises it.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// For the memory trace: what the allocator holds (glibc `mallinfo2`, summed
/// over arenas): live heap blocks, free heap blocks, and blocks mapped on
/// their own. Resident memory above live blocks is fragmentation; live
/// blocks above what the frames count are buffers the frames share or
/// over-allocate. Empty off glibc.
pub fn heap_summary() -> String {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads the allocator's counters.
        let info = unsafe { libc::mallinfo2() };
        format!(
            " [heap: {} MB live, {} MB free; {} MB mapped blocks]",
            info.uordblks >> 20,
            info.fordblks >> 20,
            info.hblkhd >> 20
        )
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    String::new()
}
