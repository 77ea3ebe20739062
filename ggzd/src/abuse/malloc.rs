//! argon2 allocates its whole memory cost (19 MiB by default) as one block
//! per hash. glibc raises its mmap threshold after the first such block is
//! freed, so later blocks come from the worker threads' arenas and stay
//! there: a burst of failed logins left the daemon hundreds of MiB larger.
//! A fixed threshold keeps large blocks in their own mappings, returned to
//! the system on free.

/// Blocks at least this large are mapped and unmapped on their own.
const MMAP_THRESHOLD: i32 = 1 << 20;

/// Call once at startup, before any thread starts.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes allocator tuning; it is called
        // before other threads exist.
        let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
        if ok != 1 {
            log::warn!("cannot set the allocator's mmap threshold");
        }
    }
}
