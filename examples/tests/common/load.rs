//! Load on a master station: many reads at once, and what the process holds in memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use examples::master_station::{Command, MasterStation, TerminalId, render_frames};

/// The `VmRSS` line of `/proc/self/status`, or empty where there is none.
pub(crate) fn vm_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS"))
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// What [`read_load`] counted: reads answered with 1234.5678 kWh, the others, and the
/// seconds the run took.
pub(crate) struct ReadLoad {
    pub(crate) ok: u64,
    pub(crate) failed: u64,
    pub(crate) secs: f64,
}

/// 16 threads of `ms` reading 0C F129 (pn 1) for `run`, round robin over terminals
/// 0200:1000 to 0200:1000+`n`-1.
pub(crate) fn read_load(ms: &Arc<MasterStation>, n: u16, run: Duration) -> ReadLoad {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let begin = Instant::now();
    let workers: Vec<_> = (0..16u16)
        .map(|w| {
            let (ms, ok, failed) = (ms.clone(), ok.clone(), failed.clone());
            std::thread::spawn(move || {
                let mut i = w;
                while begin.elapsed() < run {
                    let t = TerminalId {
                        area: 0x0200,
                        terminal: 0x1000 + i % n,
                    };
                    let r = ms.request(
                        t,
                        &Command::ReadNow {
                            pn: 1,
                            fn_number: 129,
                        },
                    );
                    let good = r.is_ok_and(|f| {
                        render_frames(&f)["units"][0]["value"]["forward_active"][0]["mantissa"]
                            == 12_345_678
                    });
                    let counter = if good { &ok } else { &failed };
                    counter.fetch_add(1, Ordering::Relaxed);
                    i = i.wrapping_add(16);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    ReadLoad {
        ok: ok.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        secs: begin.elapsed().as_secs_f64(),
    }
}
