//! Which edition of the standard a data unit follows (notes §1.14).

/// The edition of Q/GDW 1376.2, an explicit codec parameter.
///
/// The envelope is identical; five data units differ: AFN 00 F1 (confirm), AFN 00 F2 (deny
/// codes), AFN 11 F1 (node entries), AFN 13 F1 and AFN 14 F1 downlink (delay flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Edition {
    /// Q/GDW 376.2-2009 (old narrowband routers).
    V2009,
    /// Q/GDW 1376.2-2013 (= Q/GDW 10376.2-2019): every HPLC module.
    #[default]
    V2013,
}
