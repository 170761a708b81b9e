//! Console output that ends quietly when its reader goes away: `list | head` closes the pipe
//! after ten lines, and the command must neither panic nor stop writing its report files. After
//! the first failed write to a stream, later lines to it are dropped.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// Writes a line to standard output, unless a write to it already failed.
pub(super) fn out(line: &str) {
    write_line(&mut std::io::stdout().lock(), line, &STDOUT_GONE);
}

/// Writes a line to standard error, unless a write to it already failed.
pub(super) fn err(line: &str) {
    write_line(&mut std::io::stderr().lock(), line, &STDERR_GONE);
}

/// Whether a write to standard output failed (its reader went away).
pub(super) fn stdout_gone() -> bool {
    STDOUT_GONE.load(Ordering::SeqCst)
}

fn write_line(w: &mut impl Write, line: &str, gone: &AtomicBool) {
    if gone.load(Ordering::SeqCst) {
        return;
    }
    if writeln!(w, "{line}").and_then(|()| w.flush()).is_err() {
        gone.store(true, Ordering::SeqCst);
    }
}

/// `println!` that never panics on a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::output::out(&format!($($arg)*)) };
}

/// `eprintln!` that never panics on a closed pipe.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::cli::output::err(&format!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader has gone away.
    struct Closed(usize);

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            self.0 += 1;
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_broken_pipe_is_noted_once_and_later_lines_are_dropped() {
        let gone = AtomicBool::new(false);
        let mut w = Closed(0);
        write_line(&mut w, "first", &gone);
        assert!(gone.load(Ordering::SeqCst));
        let tries = w.0;
        write_line(&mut w, "second", &gone);
        assert_eq!(w.0, tries, "a line was written after the pipe closed");
    }

    #[test]
    fn lines_reach_an_open_writer() {
        let gone = AtomicBool::new(false);
        let mut buf = Vec::new();
        write_line(&mut buf, "a", &gone);
        write_line(&mut buf, "b", &gone);
        assert_eq!(buf, b"a\nb\n");
        assert!(!gone.load(Ordering::SeqCst));
    }
}
