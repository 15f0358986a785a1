//! What a simulated bus and its meters are: addresses, editions, loads, passwords, faults.

use std::fmt;
use std::str::FromStr;

use dlt645::{Address, Edition, Password};
use rs485_link::Duration;

/// A misbehaviour of one meter, for testing a master's error handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Never answers.
    Silence,
    /// Answers with the checksum byte off by one.
    BadChecksum,
    /// Answers this much later than the turnaround delay.
    Late(Duration),
    /// Answers every request with an abnormal reply ("other error").
    ErrorReply,
    /// Its clock starts `offset_s` seconds off and gains `per_hour_s` seconds per hour.
    ClockDrift {
        /// Offset at start, seconds (negative: behind).
        offset_s: i64,
        /// Seconds gained per hour of simulated time (negative: loses).
        per_hour_s: i64,
    },
    /// Answers only every `n`-th request addressed to it (a weak link).
    EveryNth(u32),
}

/// A fault specification could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultParseError(pub String);

impl fmt::Display for FaultParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad fault {:?}: expected silence, checksum, late=MS, error, drift=SECONDS[/HOUR] or every=N",
            self.0
        )
    }
}

impl std::error::Error for FaultParseError {}

impl FromStr for Fault {
    type Err = FaultParseError;

    /// `silence`, `checksum`, `late=800` (ms), `error`, `drift=120` (s, or `drift=120/30`:
    /// 120 s off and 30 s more per hour), `every=3`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || FaultParseError(s.to_string());
        let (name, arg) = match s.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let num = |a: Option<&str>| -> Result<i64, FaultParseError> {
            a.ok_or_else(bad)?.trim().parse().map_err(|_| bad())
        };
        Ok(match name.trim() {
            "silence" | "silent" => Fault::Silence,
            "checksum" | "cs" => Fault::BadChecksum,
            "error" => Fault::ErrorReply,
            "late" => Fault::Late(Duration::millis(
                u64::try_from(num(arg)?).map_err(|_| bad())?,
            )),
            "every" => {
                let n = u32::try_from(num(arg)?).map_err(|_| bad())?;
                if n == 0 {
                    return Err(bad());
                }
                Fault::EveryNth(n)
            }
            "drift" => {
                let a = arg.ok_or_else(bad)?;
                let (off, rate) = match a.split_once('/') {
                    Some((o, r)) => (num(Some(o))?, num(Some(r))?),
                    None => (num(Some(a))?, 0),
                };
                Fault::ClockDrift {
                    offset_s: off,
                    per_hour_s: rate,
                }
            }
            _ => return Err(bad()),
        })
    }
}

/// One simulated meter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterConfig {
    /// Its communication address.
    pub address: Address,
    /// DL/T 645-2007 or -1997.
    pub edition: Edition,
    /// Forward active energy at the start of the simulation, in Wh.
    pub energy_wh: u64,
    /// Reverse active energy (constant), in Wh.
    pub reverse_energy_wh: u64,
    /// Total active load while the relay is closed, in W (spread evenly over three phases).
    pub power_w: u32,
    /// Phase voltage, in tenths of a volt (phases B and C read 0.3 V above and 0.2 V below).
    pub voltage_dv: u16,
    /// Power factor, in thousandths (1..=1000).
    pub power_factor_milli: u16,
    /// Grid frequency, in hundredths of a hertz.
    pub frequency_chz: u16,
    /// The write password (level and code) for 0x14, 0x19..0x1B, 0x18 and 1997 writes.
    pub password: Password,
    /// The password of the plaintext remote switch 0x1C.
    pub switch_password: Password,
    /// The relay is open at start.
    pub relay_open: bool,
    /// After "close allowed" (1B) the customer presses the button at once, closing the relay.
    pub auto_close: bool,
    /// Daily freezes kept (0506xxNN, N = 1..=this; the notes give 62 = 0x3E).
    pub frozen_days: u8,
    /// Load-curve interval in minutes (0610xxxx records).
    pub curve_interval_min: u16,
    /// Misbehaviours.
    pub faults: Vec<Fault>,
}

impl MeterConfig {
    /// A three-phase meter at `address` with a 2.2 kW load, 1000 kWh on its register,
    /// 220.0 V, PF 0.950, 50.00 Hz, passwords `02:000000` (writes) and `02:000000` (switch),
    /// relay closed, 62 daily freezes, 15-minute curve, no faults.
    pub fn new(address: Address, edition: Edition) -> Self {
        let zero = Password {
            level: 0x02,
            code: [0; 3],
        };
        Self {
            address,
            edition,
            energy_wh: 1_000_000,
            reverse_energy_wh: 0,
            power_w: 2_200,
            voltage_dv: 2_200,
            power_factor_milli: 950,
            frequency_chz: 5_000,
            password: zero,
            switch_password: zero,
            relay_open: false,
            auto_close: true,
            frozen_days: 62,
            curve_interval_min: 15,
            faults: Vec::new(),
        }
    }

    /// The same meter with one more fault.
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }
}

/// The bus: its meters and how they all behave on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// The meters on the bus.
    pub meters: Vec<MeterConfig>,
    /// Calendar time at simulated instant 0, seconds since 2000-01-01 00:00:00.
    pub start_time_s: i64,
    /// Delay between the end of a request and the reply (DL/T 645-2007 §5.3.3: 20 ms ≤ Td ≤
    /// 500 ms).
    pub turnaround: Duration,
    /// `FE` wake-up bytes sent before each reply (vector V21 shows four).
    pub wake_up: usize,
    /// The largest clock correction a broadcast time (0x08) may make, in seconds (State-Grid
    /// firmware: ±5 min, notes §1.15); larger ones are ignored.
    pub broadcast_limit_s: i64,
}

impl SimConfig {
    /// A bus of `meters`, starting at 2026-01-01 00:00:00, 30 ms turnaround, 4 wake-up bytes,
    /// broadcast corrections up to 5 minutes.
    pub fn new(meters: Vec<MeterConfig>) -> Self {
        let start = concentrator_core::DateTime::new(2026, 1, 1, 0, 0, 0)
            .map(|t| t.seconds_since_2000())
            .unwrap_or(0);
        Self {
            meters,
            start_time_s: start,
            turnaround: Duration::millis(30),
            wake_up: 4,
            broadcast_limit_s: 300,
        }
    }

    /// The same bus with its clocks starting at the system's time (UTC), so that a master
    /// syncing clocks from the system finds them within the broadcast limit.
    pub fn with_system_time(mut self) -> Self {
        // 2000-01-01 00:00:00 UTC in Unix time.
        const UNIX_2000: u64 = 946_684_800;
        if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            self.start_time_s = i64::try_from(d.as_secs().saturating_sub(UNIX_2000)).unwrap_or(0);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse() {
        assert_eq!("silence".parse(), Ok(Fault::Silence));
        assert_eq!("checksum".parse(), Ok(Fault::BadChecksum));
        assert_eq!("late=800".parse(), Ok(Fault::Late(Duration::millis(800))));
        assert_eq!("error".parse(), Ok(Fault::ErrorReply));
        assert_eq!("every=3".parse(), Ok(Fault::EveryNth(3)));
        assert_eq!(
            "drift=-90/30".parse(),
            Ok(Fault::ClockDrift {
                offset_s: -90,
                per_hour_s: 30
            })
        );
        assert!("every=0".parse::<Fault>().is_err());
        assert!("late".parse::<Fault>().is_err());
        assert!("loud".parse::<Fault>().is_err());
    }

    #[test]
    fn system_time_is_after_the_default_start() {
        let fixed = SimConfig::new(Vec::new());
        let now = SimConfig::new(Vec::new()).with_system_time();
        // This code was written in November 2026, after the default start.
        assert!(now.start_time_s > fixed.start_time_s);
        assert!(now.start_time_s < fixed.start_time_s + 100 * 366 * 86_400);
    }
}
