//! Table requests: the `TABLE`/`SEAT` children of `LAUNCH` and `UPDATE`,
//! and `RESEAT` actions.

/// `RESEAT ACTION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReseatAction {
    Sit,
    Stand,
    Move,
}

/// A `TABLE` child of `LAUNCH` or `UPDATE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableRequest {
    pub id: Option<i64>,
    pub game: Option<i64>,
    pub seats: Option<i64>,
    /// `DESC` text when a DESC child is present (possibly empty).
    pub desc: Option<String>,
    /// The `SEAT` children in document order.
    pub seats_given: Vec<SeatRequest>,
}

/// A `SEAT` child of a requested `TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatRequest {
    pub num: Option<i64>,
    /// `TYPE`, lower-cased; empty when missing.
    pub kind: String,
    /// Text (a bot or player name); `None` when empty.
    pub name: Option<String>,
}
