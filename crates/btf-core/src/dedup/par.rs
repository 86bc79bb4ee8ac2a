//! Splitting order-independent work of the passes over threads.
//!
//! Only work whose result does not depend on how it is split is run this
//! way (hashing, checking, per-type keys): each thread takes a contiguous
//! range of ids, and results are combined in id order, so the output is the
//! same for any number of threads.

use std::ops::Range;

/// Below this many types a pass runs on the calling thread: starting
/// threads would cost more than it saves.
const MIN_PER_THREAD: usize = 1 << 16;

/// How many threads a pass over `n` types uses: `jobs` (0: one per core),
/// fewer for small inputs.
pub(super) fn threads(jobs: usize, n: usize) -> usize {
    let cores = match jobs {
        0 => std::thread::available_parallelism().map_or(1, |c| c.get()),
        j => j,
    };
    cores.min(n / MIN_PER_THREAD).max(1)
}

/// `range` cut into `parts` contiguous, ascending, nearly equal ranges.
pub(super) fn split(range: Range<usize>, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.max(1);
    let len = range.end.saturating_sub(range.start);
    (0..parts)
        .map(|k| range.start + len * k / parts..range.start + len * (k + 1) / parts)
        .collect()
}

/// Runs `f` on each range of `ranges`, the first on the calling thread, and
/// returns the results in range order.
pub(super) fn map<T: Send>(
    ranges: Vec<Range<usize>>,
    f: impl Fn(Range<usize>) -> T + Sync,
) -> Vec<T> {
    if ranges.len() <= 1 {
        return ranges.into_iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let mut it = ranges.into_iter();
        let first = it.next();
        let handles: Vec<_> = it.map(|r| s.spawn(move || f(r))).collect();
        let mut out: Vec<T> = first.into_iter().map(f).collect();
        out.extend(handles.into_iter().map(|h| match h.join() {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e),
        }));
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_the_range_in_order() {
        assert_eq!(split(3..13, 3), [3..6, 6..9, 9..13]);
        assert_eq!(split(0..0, 2), [0..0, 0..0]);
        assert_eq!(split(5..7, 1).len(), 1);
        assert_eq!(split(5..7, 1)[0], 5..7);
    }

    #[test]
    fn map_keeps_range_order() {
        let sums = map(split(0..1000, 4), |r| r.sum::<usize>());
        assert_eq!(sums.iter().sum::<usize>(), 499_500);
        assert_eq!(sums[0], (0..250).sum::<usize>());
    }

    #[test]
    fn small_inputs_stay_on_one_thread() {
        assert_eq!(threads(8, 10), 1);
        assert_eq!(threads(2, 1 << 20), 2);
    }
}
