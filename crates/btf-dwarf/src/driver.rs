//! Running the unit decoders in parallel and merging their results in unit
//! order.
//!
//! `jobs` worker threads take units in ascending order from a shared
//! counter, decode them and send the results to the calling thread, which
//! merges them strictly in unit order through a small reorder buffer. The
//! merged bytes therefore never depend on the number of workers or on
//! timing. Workers stay at most a window of units ahead of the merge, which
//! bounds memory on inputs with thousands of units.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

use crate::context::{unit_start, Ctx};
use crate::lower::UnitBtf;
use crate::{Error, Progress, Result};

/// Units a worker may run ahead of the merge, per worker.
const WINDOW_PER_JOB: usize = 64;

/// `.debug_info` is handed back to [`Progress::done_with`] in steps of at
/// least this many bytes.
const RELEASE_STEP: usize = 8 << 20;

/// Decodes every unit of `ctx` with `jobs` workers and hands each result,
/// in unit order, to `merge`.
pub(crate) fn run<'a>(
    ctx: &Ctx<'a>,
    jobs: usize,
    progress: &dyn Progress,
    decode_seconds: &Mutex<f64>,
    mut merge: impl FnMut(UnitBtf<'a>) -> Result<()>,
) -> Result<()> {
    let total = ctx.headers.len();
    progress.start(total as u64);
    let jobs = jobs.max(1);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let merged = Mutex::new(0usize);
    let advanced = Condvar::new();
    let window = jobs * WINDOW_PER_JOB;
    let (tx, rx) = mpsc::channel::<(usize, Result<UnitBtf<'a>>)>();

    let worker = |tx: mpsc::Sender<(usize, Result<UnitBtf<'a>>)>| loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total || stop.load(Ordering::Relaxed) {
            return;
        }
        {
            let mut done = merged.lock().unwrap_or_else(|e| e.into_inner());
            while i >= *done + window && !stop.load(Ordering::Relaxed) {
                done = advanced.wait(done).unwrap_or_else(|e| e.into_inner());
            }
        }
        let header = ctx.headers[i];
        let started = std::time::Instant::now();
        let result = caught(unit_start(&header), || crate::unit::decode(ctx, header));
        *decode_seconds.lock().unwrap_or_else(|e| e.into_inner()) +=
            started.elapsed().as_secs_f64();
        if tx.send((i, result)).is_err() {
            return;
        }
    };

    std::thread::scope(|scope| {
        let worker = &worker;
        // Scoped threads, joined before this returns: a worker's
        // thread-local state (its offset table) is gone with it, instead of
        // outliving the call as a thread pool's would.
        let mut workers = Vec::with_capacity(jobs);
        for i in 0..jobs {
            let tx = tx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("btfkit-dwarf-{i}"))
                .spawn_scoped(scope, move || worker(tx));
            match spawned {
                Ok(handle) => workers.push(handle),
                // Fewer workers than asked for still get every unit done.
                Err(e) if !workers.is_empty() => {
                    log::debug!("dwarf2btf: worker thread {i} not started: {e}");
                    break;
                }
                Err(e) => return Err(Error::Limit(format!("cannot start worker threads: {e}"))),
            }
        }
        drop(tx);
        let info = ctx.sections.get(gimli::SectionId::DebugInfo);
        let releasable = ctx.sections.is_input(gimli::SectionId::DebugInfo);
        let mut released = 0usize;
        let result = merge_in_order(total, &rx, &mut merge, |done| {
            *merged.lock().unwrap_or_else(|e| e.into_inner()) = done;
            advanced.notify_all();
            progress.advance(done as u64);
            // Units are decoded from their own bytes only, so everything
            // before the first unit not merged yet is finished with.
            let end = ctx
                .headers
                .get(done)
                .map_or(info.len(), |h| unit_start(h) as usize)
                .min(info.len());
            if releasable && end >= released + RELEASE_STEP {
                progress.done_with(&info[released..end]);
                released = end;
            }
        });
        if result.is_err() {
            // Set under the lock a waiting worker holds between its check
            // of `stop` and its wait, so the wake-up cannot fall in between.
            {
                let _held = merged.lock().unwrap_or_else(|e| e.into_inner());
                stop.store(true, Ordering::Relaxed);
            }
            advanced.notify_all();
        }
        drop(rx);
        for w in workers {
            // A worker's panics are caught per unit; a join error is one
            // outside that, whose unit's result the merge reports missing.
            let _ = w.join();
        }
        progress.finish();
        result
    })
}

/// Receives results and merges them in unit order.
fn merge_in_order<'a>(
    total: usize,
    rx: &mpsc::Receiver<(usize, Result<UnitBtf<'a>>)>,
    merge: &mut impl FnMut(UnitBtf<'a>) -> Result<()>,
    mut merged_up_to: impl FnMut(usize),
) -> Result<()> {
    let mut waiting: BTreeMap<usize, Result<UnitBtf<'a>>> = BTreeMap::new();
    let mut expected = 0;
    while expected < total {
        let Ok((i, result)) = rx.recv() else {
            return Err(Error::Limit("worker threads stopped early".into()));
        };
        waiting.insert(i, result);
        while let Some(result) = waiting.remove(&expected) {
            merge(result?)?;
            expected += 1;
            merged_up_to(expected);
        }
    }
    Ok(())
}

/// Runs `decode` for the unit at `offset`, turning a panic into
/// [`Error::Internal`].
///
/// Catching keeps one bad unit from aborting the process (the CLI still
/// reports an error and exits 2), but the panic must stay distinguishable
/// from malformed input: it is a bug, and the fuzz target and the hostile
/// tests fail on it.
fn caught<T>(offset: u64, decode: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(decode)).unwrap_or_else(|payload| {
        Err(Error::Internal {
            offset,
            what: panic_message(payload.as_ref()),
        })
    })
}

/// The message of a panic, when its payload is one (`panic!` with a
/// literal gives a `&str`, with formatting a `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "the unit decoder panicked".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoder_panic_is_an_internal_error_with_its_message() {
        let err = caught::<()>(0x40, || panic!("index out of range")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bug in btfkit"), "{text}");
        assert!(text.contains("index out of range"), "{text}");
        assert!(text.contains("0x40"), "{text}");
    }

    #[test]
    fn a_formatted_panic_message_is_kept() {
        let n = 7;
        let err = caught::<()>(0, || panic!("bad index {n}")).unwrap_err();
        assert!(err.to_string().contains("bad index 7"), "{err}");
    }

    #[test]
    fn errors_and_results_pass_through() {
        assert_eq!(caught(0, || Ok(3)).unwrap(), 3);
        let err = caught::<()>(0, || Err(Error::NoDwarf)).unwrap_err();
        assert!(matches!(err, Error::NoDwarf));
    }

    #[test]
    fn a_panic_without_a_message_still_says_what_happened() {
        let err = caught::<()>(0, || std::panic::panic_any(5u8)).unwrap_err();
        assert!(
            matches!(&err, Error::Internal { what, .. } if what.contains("panicked")),
            "{err}"
        );
    }
}
