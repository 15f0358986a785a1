//! Criterion benches of the hot decode paths (see `benches/`), and the inputs they share.
//!
//! Run with `cargo bench -p benches`; each bench reads its frames from `../shared/vectors`.

use std::path::PathBuf;

/// The `shared/vectors` folder beside the project, where the benches read real frames.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors")
}
