//! メモリの返却: what the desk's process keeps of memory it no longer uses. glibc's malloc
//! keeps freed memory in per-thread arenas (up to eight per core) and gives it back to the
//! system only from the top of the heap; after a large, short-lived build (the lookup index,
//! the queue's prepared lines) that leaves tens of megabytes resident for nothing. Windows'
//! heap decommits freed pages by itself: both are no-ops there.

/// At the process's start: two malloc arenas, not one per thread (the desk's threads mostly
/// wait; fewer arenas, less memory stranded in them).
pub fn few_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter; called before the threads it concerns.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// After a large build whose scratch was freed: the free pages of every arena back to the
/// system.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it is thread-safe in glibc.
    unsafe {
        libc::malloc_trim(0);
    }
}
