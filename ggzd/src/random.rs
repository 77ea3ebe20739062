//! Random bytes from the operating system, the one source ggzd uses
//! (password salts, generated passwords).

use std::io;

/// Fills `buf` from the kernel's CSPRNG (`getrandom(2)`), retrying on
/// interruption; an error means no usable randomness, never weak bytes.
pub fn fill(buf: &mut [u8]) -> io::Result<()> {
    getrandom::getrandom(buf).map_err(|e| io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_the_whole_buffer_differently_each_time() {
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        fill(&mut a).unwrap();
        fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
    }
}
