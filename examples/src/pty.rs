//! Pseudo-terminal pairs: a real serial device for tests and the demo, without hardware.
//!
//! The slave end has a path (`/dev/pts/N`) that a program opens like any serial port; the
//! master end is an open port only. A simulator usually runs on the master end and the
//! program under test opens [`Pty::slave_path`].

use serialport::{SerialPort, TTYPort};

/// A pty pair. Keep it (or its [`slave`](Pty::slave)) alive while the path is in use: when
/// every slave descriptor is closed, reads on the master fail with EIO and pending bytes are
/// lost.
#[derive(Debug)]
pub struct Pty {
    /// The master end.
    pub master: TTYPort,
    /// The slave end, open (raw mode), kept so the pair stays usable between openers.
    pub slave: TTYPort,
    path: String,
}

impl Pty {
    /// A new pair.
    pub fn open() -> Result<Self, serialport::Error> {
        let (master, slave) = TTYPort::pair()?;
        let path = slave.name().ok_or_else(|| {
            serialport::Error::new(serialport::ErrorKind::NoDevice, "pty slave without a name")
        })?;
        Ok(Self {
            master,
            slave,
            path,
        })
    }

    /// The path of the slave end, to open as a serial device.
    pub fn slave_path(&self) -> &str {
        &self.path
    }
}
