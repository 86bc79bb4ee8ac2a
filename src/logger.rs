//! A small logger: library warnings (unknown kinds sized by the layout
//! section, suspicious bases) reach stderr as `btfkit: warning: …`, and are
//! counted so JSON output can report how many there were.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use log::{Level, LevelFilter, Log, Metadata, Record};

static WARNINGS: AtomicUsize = AtomicUsize::new(0);

struct Logger {
    level: Level,
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record<'_>) {
        if record.level() <= Level::Warn {
            WARNINGS.fetch_add(1, Ordering::Relaxed);
        }
        if !self.enabled(record.metadata()) {
            return;
        }
        let label = match record.level() {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        };
        // A failed write to stderr leaves nowhere to report it.
        let _ = writeln!(std::io::stderr(), "btfkit: {label}: {}", record.args());
    }

    fn flush(&self) {}
}

/// Installs the logger. `BTFKIT_LOG=debug` (or info, trace) shows more.
pub fn init() {
    let level = match std::env::var("BTFKIT_LOG").as_deref() {
        Ok("trace") => Level::Trace,
        Ok("debug") => Level::Debug,
        Ok("info") => Level::Info,
        Ok("error") => Level::Error,
        _ => Level::Warn,
    };
    let logger = Box::leak(Box::new(Logger { level }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(LevelFilter::Trace);
    }
}

/// How many warnings were logged so far.
#[allow(dead_code)] // read by JSON renderers that report warnings
pub fn warning_count() -> usize {
    WARNINGS.load(Ordering::Relaxed)
}
