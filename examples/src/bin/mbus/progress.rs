//! Progress of long work (scans) on stderr: one line rewritten in place on a terminal, plain
//! lines otherwise (a log file or a pipe gets no control characters).

use std::io::{IsTerminal, Write};

/// Where progress goes.
pub(crate) struct Progress {
    tty: bool,
    quiet: bool,
    /// A status line is shown and not yet ended (terminal only).
    open: bool,
}

impl Progress {
    /// Progress on stderr; nothing at all when `quiet`.
    pub(crate) fn new(quiet: bool) -> Self {
        Progress {
            tty: std::io::stderr().is_terminal(),
            quiet,
            open: false,
        }
    }

    /// How far the work is: rewritten in place on a terminal; on other outputs printed only
    /// when `milestone` (so a log gets a line now and then, not one per probe).
    pub(crate) fn status(&mut self, text: &str, milestone: bool) {
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[K{text}");
            let _ = err.flush();
            self.open = true;
        } else if milestone {
            let _ = writeln!(err, "{text}");
        }
    }

    /// Something worth a line of its own (a slave found).
    pub(crate) fn note(&mut self, text: &str) {
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.open {
            let _ = write!(err, "\r\x1b[K");
            self.open = false;
        }
        let _ = writeln!(err, "{text}");
    }

    /// The work ended: close the status line.
    pub(crate) fn finish(&mut self) {
        if self.open {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
            self.open = false;
        }
    }
}

/// A bar of `width` characters filled to `done / total`.
pub(crate) fn bar(done: u32, total: u32, width: u32) -> String {
    let filled = (done.min(total) * width)
        .checked_div(total)
        .unwrap_or(width);
    let mut s = String::with_capacity(width as usize + 2);
    s.push('[');
    for i in 0..width {
        s.push(if i < filled { '#' } else { ' ' });
    }
    s.push(']');
    s
}
