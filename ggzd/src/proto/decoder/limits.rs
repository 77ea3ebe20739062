//! The bounds a [`Decoder`](super::Decoder) enforces, and the two sets
//! the daemon and the client tools use.

/// Bounds applied while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest single token (tag, text run, comment, CDATA section), raw
    /// bytes. Also bounds how much incomplete input is ever waited for.
    pub max_token: usize,
    /// Largest message (a direct child of SESSION with everything in it),
    /// raw bytes.
    pub max_element: usize,
    /// Deepest nesting below SESSION; a message itself is depth 1.
    pub max_depth: usize,
    /// Most attributes on one element.
    pub max_attrs: usize,
    /// Most child elements of one element.
    pub max_children: usize,
    /// Largest decoded text of one element.
    pub max_text: usize,
    /// Most raw bytes of consecutive non-tag input (text, comments,
    /// processing instructions) outside any message; docs/client-server.md §1 flood guard.
    pub max_loose_text: usize,
}

impl Limits {
    /// For input from clients: generous for every legal request, small
    /// enough that thousands of connections stay cheap.
    pub const SERVER: Limits = Limits {
        max_token: 8 * 1024,
        max_element: 32 * 1024,
        max_depth: 6,
        max_attrs: 16,
        // Far above any legal request, so that e.g. a LAUNCH with too many
        // SEATs reaches the zone and is answered `bad options` rather than
        // as a protocol error; `max_element` bounds the memory anyway.
        max_children: 1024,
        max_text: 4 * 1024,
        max_loose_text: 512,
    };

    /// For input from a server (our client tools): large lists and MOTDs.
    pub const CLIENT: Limits = Limits {
        max_token: 1024 * 1024,
        max_element: 8 * 1024 * 1024,
        max_depth: 16,
        max_attrs: 64,
        max_children: 100_000,
        max_text: 1024 * 1024,
        max_loose_text: 64 * 1024,
    };
}
