//! `EXTENSIONS`: the bounded list of names a client opts into
//! (docs/extensions.md).

/// More names than any server knows; the rest are dropped unread.
pub const MAX_EXTENSION_NAMES: usize = 16;
/// Longer names cannot be ones ggzd knows; they are dropped.
pub const MAX_EXTENSION_NAME_LEN: usize = 32;

/// The space-separated `NAMES`, lower-cased and bounded.
pub(super) fn extension_names(list: &str) -> Vec<String> {
    list.split_ascii_whitespace()
        .filter(|n| n.len() <= MAX_EXTENSION_NAME_LEN)
        .take(MAX_EXTENSION_NAMES)
        .map(str::to_ascii_lowercase)
        .collect()
}
