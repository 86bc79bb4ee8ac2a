//! Exit statuses, as diff(1): 0 success, 1 negative answer, 2 error.

use std::io;

/// Success (for predicate-like commands: no differences).
pub const SUCCESS: i32 = 0;
/// A negative answer from a predicate-like command.
#[allow(dead_code)] // used by `check` and `diff`
pub const NEGATIVE: i32 = 1;
/// An error, including bad input and usage errors.
pub const ERROR: i32 = 2;

/// Whether an error chain ends in a closed pipe on output, which is not an
/// error for a command whose reader stopped early (`btfkit dump … | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
