//! Password hashing and verification.
//!
//! New passwords are stored as argon2id PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`). Accounts imported from
//! an original ggzd database keep their old value until their owner next
//! logs in; the caller then replaces it with an argon2id hash (every legacy
//! match reports `needs_rehash: true`).
//!
//! # Stored forms
//!
//! | Stored value | Meaning |
//! |---|---|
//! | `""` | no password: never matches (named-bot accounts, docs/config-and-data.md §8.3) |
//! | `$argon2id$...` (also `$argon2i$`, `$argon2d$`) | PHC string |
//! | `{legacy-plain}<text>` | original `DatabaseHashing = plain`: the password itself |
//! | `{legacy-<alg>-<enc>}<value>` | original unsalted digest; `<alg>` is `md5`, `sha1` or `ripemd160`; `<enc>` is `base64` or `base16` (docs/config-and-data.md §9.2) |
//!
//! Anything else never matches. The `{legacy-...}` prefix is written only by
//! [`legacy_stored_form`] (used by the importer), so a stored value is never
//! ambiguous: nothing this server writes starts with `{`.
//!
//! Legacy base64 values replicate the original encoder's quirk: it copied
//! the digest as a C string, so every byte from the first 0x00 byte on is
//! encoded as 0x00.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use md5::Digest;

/// Argon2id cost parameters for new hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism (lanes).
    pub parallelism: u32,
}

impl Default for HashParams {
    /// The OWASP-recommended minimum: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        HashParams {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl HashParams {
    /// Checks that argon2 accepts these parameters, so a bad configuration
    /// is reported at startup rather than at the first registration.
    pub fn check(&self) -> Result<(), AuthError> {
        argon2_for(self).map(|_| ())
    }
}

/// Why a password could not be hashed or a legacy value not imported.
#[derive(Debug)]
pub enum AuthError {
    /// The argon2 parameters are out of range (e.g. memory below 8 KiB per lane).
    Params(String),
    /// The operating system gave no random bytes for a salt.
    Random(std::io::Error),
    /// Hashing failed inside argon2.
    Hash(String),
    /// A legacy `DatabaseHashing` name other than plain, md5, sha1, ripemd160.
    UnknownHashing(String),
    /// A legacy `DatabaseHashEncoding` name other than base64, base16.
    UnknownEncoding(String),
    /// A legacy digest whose text cannot be what the original encoder wrote.
    BadLegacyValue {
        /// The hashing name.
        hashing: String,
        /// The encoding name.
        encoding: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Params(e) => write!(f, "invalid argon2 parameters: {e}"),
            AuthError::Random(e) => write!(f, "cannot get random bytes for a salt: {e}"),
            AuthError::Hash(e) => write!(f, "password hashing failed: {e}"),
            AuthError::UnknownHashing(h) => {
                write!(
                    f,
                    "unknown password hashing '{h}' (expected plain, md5, sha1 or ripemd160)"
                )
            }
            AuthError::UnknownEncoding(e) => {
                write!(
                    f,
                    "unknown password hash encoding '{e}' (expected base64 or base16)"
                )
            }
            AuthError::BadLegacyValue {
                hashing,
                encoding,
                reason,
            } => write!(f, "not a {hashing} digest in {encoding}: {reason}"),
        }
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthError::Random(e) => Some(e),
            _ => None,
        }
    }
}

/// The outcome of [`verify_password`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The password is right. With `needs_rehash` the caller should store a
    /// fresh [`hash_password`] value (legacy form or outdated parameters).
    Match {
        /// The stored value should be replaced by a current argon2id hash.
        needs_rehash: bool,
    },
    /// Wrong password, or a stored value that can never match.
    Mismatch,
}

/// Hashes `password` with argon2id, a fresh 16-byte salt and `params`;
/// returns the PHC string to store. Deliberately slow (tens of
/// milliseconds at the defaults): call it from a worker thread.
pub fn hash_password(password: &str, params: &HashParams) -> Result<String, AuthError> {
    let argon = argon2_for(params)?;
    let mut salt = [0u8; 16];
    fill_random(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Checks `password` against a stored value (see the module docs for the
/// forms understood). As slow as [`hash_password`] for argon2 values: call it
/// from a worker thread. Never fails: a stored value that cannot be parsed is a
/// mismatch, so a damaged row locks its account rather than opening it.
pub fn verify_password(stored: &str, password: &str, params: &HashParams) -> Verdict {
    if stored.is_empty() {
        return Verdict::Mismatch;
    }
    if stored.starts_with('$') {
        return verify_phc(stored, password, params);
    }
    match parse_legacy(stored) {
        // An empty legacy value is as unusable as an empty stored password.
        Some((_, "")) => Verdict::Mismatch,
        Some((hashing, value)) => {
            if legacy_matches(hashing, value, password) {
                Verdict::Match { needs_rehash: true }
            } else {
                Verdict::Mismatch
            }
        }
        None => Verdict::Mismatch,
    }
}

/// Builds the stored form of a password value taken from an original ggzd
/// database whose config had `DatabaseHashing = hashing` and
/// `DatabaseHashEncoding = encoding`.
///
/// The encoding is ignored for `plain`. Digest values are checked for the
/// length and alphabet the original encoder produces, so an import fails
/// loudly instead of storing a value that can never match.
pub fn legacy_stored_form(hashing: &str, encoding: &str, value: &str) -> Result<String, AuthError> {
    let hashing_lc = hashing.to_ascii_lowercase();
    let encoding_lc = encoding.to_ascii_lowercase();
    let alg = match hashing_lc.as_str() {
        "plain" => return Ok(format!("{{legacy-plain}}{value}")),
        "md5" => LegacyAlg::Md5,
        "sha1" => LegacyAlg::Sha1,
        "ripemd160" => LegacyAlg::Ripemd160,
        _ => return Err(AuthError::UnknownHashing(hashing.to_owned())),
    };
    let enc = match encoding_lc.as_str() {
        "base64" => Encoding::Base64,
        "base16" => Encoding::Base16,
        _ => return Err(AuthError::UnknownEncoding(encoding.to_owned())),
    };
    let bad = |reason| AuthError::BadLegacyValue {
        hashing: hashing_lc.clone(),
        encoding: encoding_lc.clone(),
        reason,
    };
    match enc {
        Encoding::Base16 => {
            if value.len() != alg.digest_len() * 2 {
                return Err(bad("wrong length"));
            }
            if !value
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            {
                return Err(bad("not lower-case hexadecimal"));
            }
        }
        Encoding::Base64 => {
            if value.len() != alg.digest_len().div_ceil(3) * 4 {
                return Err(bad("wrong length"));
            }
            let body = value.trim_end_matches('=');
            if !body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
            {
                return Err(bad("not standard base64"));
            }
        }
    }
    Ok(format!("{{legacy-{}-{}}}{value}", alg.name(), enc.name()))
}

/// Refuses PHC strings whose costs exceed both these limits and the current
/// parameters: a tampered or foreign row must not make a login allocate
/// gigabytes or spin for minutes.
const MAX_VERIFY_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_VERIFY_ITERATIONS: u32 = 64;
const MAX_VERIFY_PARALLELISM: u32 = 64;

fn verify_phc(stored: &str, password: &str, params: &HashParams) -> Verdict {
    let Ok(hash) = PasswordHash::new(stored) else {
        log::warn!("stored password is not a valid PHC string");
        return Verdict::Mismatch;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        log::warn!(
            "stored password uses unsupported algorithm {}",
            hash.algorithm
        );
        return Verdict::Mismatch;
    };
    let Ok(stored_params) = Params::try_from(&hash) else {
        log::warn!("stored password has invalid argon2 parameters");
        return Verdict::Mismatch;
    };
    if stored_params.m_cost() > MAX_VERIFY_MEMORY_KIB.max(params.memory_kib)
        || stored_params.t_cost() > MAX_VERIFY_ITERATIONS.max(params.iterations)
        || stored_params.p_cost() > MAX_VERIFY_PARALLELISM.max(params.parallelism)
    {
        log::warn!("stored password hash has excessive costs; refusing to verify it");
        return Verdict::Mismatch;
    }
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return Verdict::Mismatch,
    };
    // The verifier takes algorithm, version and costs from the PHC string
    // itself; the instance's own settings do not matter here.
    if Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_err()
    {
        return Verdict::Mismatch;
    }
    let needs_rehash = algorithm != Algorithm::Argon2id
        || version != Version::V0x13
        || stored_params.m_cost() != params.memory_kib
        || stored_params.t_cost() != params.iterations
        || stored_params.p_cost() != params.parallelism
        || stored_params
            .output_len()
            .unwrap_or(Params::DEFAULT_OUTPUT_LEN)
            != Params::DEFAULT_OUTPUT_LEN;
    Verdict::Match { needs_rehash }
}

fn argon2_for(params: &HashParams) -> Result<Argon2<'static>, AuthError> {
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        None,
    )
    .map_err(|e| AuthError::Params(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, p))
}

fn fill_random(buf: &mut [u8]) -> Result<(), AuthError> {
    crate::random::fill(buf).map_err(AuthError::Random)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegacyAlg {
    Md5,
    Sha1,
    Ripemd160,
}

impl LegacyAlg {
    fn name(self) -> &'static str {
        match self {
            LegacyAlg::Md5 => "md5",
            LegacyAlg::Sha1 => "sha1",
            LegacyAlg::Ripemd160 => "ripemd160",
        }
    }

    fn digest_len(self) -> usize {
        match self {
            LegacyAlg::Md5 => 16,
            LegacyAlg::Sha1 | LegacyAlg::Ripemd160 => 20,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            LegacyAlg::Md5 => md5::Md5::digest(data).to_vec(),
            LegacyAlg::Sha1 => sha1::Sha1::digest(data).to_vec(),
            LegacyAlg::Ripemd160 => ripemd::Ripemd160::digest(data).to_vec(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Base64,
    Base16,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Base16 => "base16",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegacyHashing {
    Plain,
    Digest(LegacyAlg, Encoding),
}

/// Splits `{legacy-...}value` into its scheme and value.
fn parse_legacy(stored: &str) -> Option<(LegacyHashing, &str)> {
    let rest = stored.strip_prefix("{legacy-")?;
    let (scheme, value) = rest.split_once('}')?;
    if scheme == "plain" {
        return Some((LegacyHashing::Plain, value));
    }
    let (alg, enc) = scheme.split_once('-')?;
    let alg = match alg {
        "md5" => LegacyAlg::Md5,
        "sha1" => LegacyAlg::Sha1,
        "ripemd160" => LegacyAlg::Ripemd160,
        _ => return None,
    };
    let enc = match enc {
        "base64" => Encoding::Base64,
        "base16" => Encoding::Base16,
        _ => return None,
    };
    Some((LegacyHashing::Digest(alg, enc), value))
}

fn legacy_matches(hashing: LegacyHashing, value: &str, password: &str) -> bool {
    // The original compared the full login input with the stored value, even
    // though registration kept only the first 16 bytes; do the same.
    let computed = match hashing {
        LegacyHashing::Plain => password.to_owned(),
        LegacyHashing::Digest(alg, Encoding::Base16) => base16(&alg.digest(password.as_bytes())),
        LegacyHashing::Digest(alg, Encoding::Base64) => {
            base64_quirky(&alg.digest(password.as_bytes()))
        }
    };
    constant_time_eq(computed.as_bytes(), value.as_bytes())
}

/// Compares without an early exit (`subtle`), so the time taken does not
/// reveal how many leading bytes of a guess were right. Lengths are not
/// secret (every digest form has a fixed length).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

fn base16(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// Standard base64 with padding, fed the digest the way the original
/// encoder saw it: as a C string, so everything from the first NUL on is 0.
fn base64_quirky(digest: &[u8]) -> String {
    let mut bytes = digest.to_vec();
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        for b in bytes.iter_mut().skip(nul) {
            *b = 0;
        }
    }
    base64(&bytes)
}

/// Standard alphabet, with padding, as the original's encoder wrote.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters so the tests stay fast; production uses the default.
    fn cheap() -> HashParams {
        HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn digests_match_known_vectors() {
        assert_eq!(
            base16(&LegacyAlg::Md5.digest(b"")),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(
            base16(&LegacyAlg::Sha1.digest(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            base16(&LegacyAlg::Ripemd160.digest(b"abc")),
            "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"
        );
    }

    #[test]
    fn base64_encodes_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn base64_quirk_zeroes_everything_after_first_nul() {
        // md5("pw18") = d5 00 f2 e0 ...: the second byte is NUL, so all but
        // the first byte become zero. Expected values from python3 hashlib.
        let d = LegacyAlg::Md5.digest(b"pw18");
        assert_eq!(base16(&d), "d500f2e02a3321f8ac80d62937da1355");
        assert_eq!(base64(&d), "1QDy4CozIfisgNYpN9oTVQ==");
        assert_eq!(base64_quirky(&d), "1QAAAAAAAAAAAAAAAAAAAA==");
        // No NUL: the quirk changes nothing.
        let d = LegacyAlg::Md5.digest(b"secret");
        assert_eq!(base64_quirky(&d), "Xr4ilOzQ4PCOq3aQ0qbuaQ==");
    }

    #[test]
    fn legacy_digests_verify_in_both_encodings() {
        let p = cheap();
        let cases = [
            ("md5", "base16", "5ebe2294ecd0e0f08eab7690d2a6ee69"),
            ("md5", "base64", "Xr4ilOzQ4PCOq3aQ0qbuaQ=="),
            ("sha1", "base16", "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"),
            ("sha1", "base64", "5en6G6MezRroT3XKqkdPOmY/BfQ="),
            (
                "ripemd160",
                "base16",
                "cd98bf0202ef07e38e87f6bd9445e5e7331e2c78",
            ),
            ("ripemd160", "base64", "zZi/AgLvB+OOh/a9lEXl5zMeLHg="),
        ];
        for (h, e, v) in cases {
            let stored = legacy_stored_form(h, e, v).unwrap();
            assert_eq!(stored, format!("{{legacy-{h}-{e}}}{v}"));
            assert_eq!(
                verify_password(&stored, "secret", &p),
                Verdict::Match { needs_rehash: true },
                "{stored}"
            );
            assert_eq!(verify_password(&stored, "Secret", &p), Verdict::Mismatch);
            assert_eq!(verify_password(&stored, "", &p), Verdict::Mismatch);
        }
    }

    #[test]
    fn legacy_base64_quirk_values_verify() {
        let p = cheap();
        // Quirky encodings as stored by the original, computed with python3.
        let cases = [
            ("md5", "pw18", "1QAAAAAAAAAAAAAAAAAAAA=="),
            ("sha1", "pw29", "+lZFIoqhu1CoTE3aAAAAAAAAAAA="),
            ("ripemd160", "pw6", "iQVYsvI/AAAAAAAAAAAAAAAAAAA="),
        ];
        for (h, pw, v) in cases {
            let stored = legacy_stored_form(h, "base64", v).unwrap();
            assert_eq!(
                verify_password(&stored, pw, &p),
                Verdict::Match { needs_rehash: true },
                "{h}"
            );
        }
        // The correct (non-quirky) encoding is not what the original stored.
        let stored = legacy_stored_form("md5", "base64", "1QDy4CozIfisgNYpN9oTVQ==").unwrap();
        assert_eq!(verify_password(&stored, "pw18", &p), Verdict::Mismatch);
    }

    #[test]
    fn legacy_plain_compares_full_input() {
        let p = cheap();
        let stored = legacy_stored_form("plain", "base64", "hunter2").unwrap();
        assert_eq!(stored, "{legacy-plain}hunter2");
        assert_eq!(
            verify_password(&stored, "hunter2", &p),
            Verdict::Match { needs_rehash: true }
        );
        assert_eq!(verify_password(&stored, "hunter22", &p), Verdict::Mismatch);
        assert_eq!(verify_password(&stored, "hunter", &p), Verdict::Mismatch);
        // A value containing '}' survives the round trip.
        let stored = legacy_stored_form("PLAIN", "", "a}b").unwrap();
        assert_eq!(
            verify_password(&stored, "a}b", &p),
            Verdict::Match { needs_rehash: true }
        );
        // An empty legacy plain password never matches.
        let stored = legacy_stored_form("plain", "", "").unwrap();
        assert_eq!(verify_password(&stored, "", &p), Verdict::Mismatch);
    }

    #[test]
    fn legacy_stored_form_rejects_bad_input() {
        assert!(matches!(
            legacy_stored_form("sha256", "base64", "x"),
            Err(AuthError::UnknownHashing(_))
        ));
        assert!(matches!(
            legacy_stored_form("md5", "base32", "x"),
            Err(AuthError::UnknownEncoding(_))
        ));
        assert!(matches!(
            legacy_stored_form("md5", "base16", "abc"),
            Err(AuthError::BadLegacyValue { .. })
        ));
        assert!(matches!(
            legacy_stored_form("md5", "base16", "5EBE2294ECD0E0F08EAB7690D2A6EE69"),
            Err(AuthError::BadLegacyValue { .. })
        ));
        assert!(matches!(
            legacy_stored_form("sha1", "base64", "Xr4ilOzQ4PCOq3aQ0qbuaQ=="),
            Err(AuthError::BadLegacyValue { .. })
        ));
        assert!(matches!(
            legacy_stored_form("md5", "base64", "Xr4ilOzQ4PCOq3aQ0qbu!Q=="),
            Err(AuthError::BadLegacyValue { .. })
        ));
        let e = legacy_stored_form("md5", "base16", "abc").unwrap_err();
        assert_eq!(e.to_string(), "not a md5 digest in base16: wrong length");
    }

    #[test]
    fn argon2id_round_trip() {
        let p = cheap();
        let stored = hash_password("correct horse", &p).unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{stored}"
        );
        assert_eq!(
            verify_password(&stored, "correct horse", &p),
            Verdict::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            verify_password(&stored, "correct horsE", &p),
            Verdict::Mismatch
        );
        // Salts differ, so equal passwords hash differently.
        assert_ne!(stored, hash_password("correct horse", &p).unwrap());
    }

    #[test]
    fn changed_params_ask_for_rehash() {
        let old = cheap();
        let stored = hash_password("pw", &old).unwrap();
        let new = HashParams {
            memory_kib: 128,
            ..old
        };
        assert_eq!(
            verify_password(&stored, "pw", &new),
            Verdict::Match { needs_rehash: true }
        );
        let new = HashParams {
            iterations: 2,
            ..old
        };
        assert_eq!(
            verify_password(&stored, "pw", &new),
            Verdict::Match { needs_rehash: true }
        );
        assert_eq!(verify_password(&stored, "px", &new), Verdict::Mismatch);
    }

    #[test]
    fn default_params_hash_and_verify() {
        let p = HashParams::default();
        assert_eq!((p.memory_kib, p.iterations, p.parallelism), (19456, 2, 1));
        let stored = hash_password("pw", &p).unwrap();
        assert_eq!(
            verify_password(&stored, "pw", &p),
            Verdict::Match {
                needs_rehash: false
            }
        );
    }

    #[test]
    fn bad_params_are_an_error() {
        let p = HashParams {
            memory_kib: 1,
            iterations: 1,
            parallelism: 1,
        };
        assert!(matches!(p.check(), Err(AuthError::Params(_))));
        assert!(matches!(hash_password("pw", &p), Err(AuthError::Params(_))));
        assert!(HashParams::default().check().is_ok());
        let p = HashParams {
            iterations: 0,
            ..HashParams::default()
        };
        assert!(p.check().is_err());
    }

    #[test]
    fn unusable_stored_values_never_match() {
        let p = cheap();
        for stored in [
            "",
            "secret",
            "$argon2id$garbage",
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$AAAA",
            "{legacy-md5-base32}Xr4ilOzQ4PCOq3aQ0qbuaQ==",
            "{legacy-sha256-base16}00",
            "{legacy-plain",
        ] {
            assert_eq!(
                verify_password(stored, "secret", &p),
                Verdict::Mismatch,
                "{stored}"
            );
        }
        // A bare value is not treated as plain text.
        assert_eq!(verify_password("secret", "secret", &p), Verdict::Mismatch);
    }

    #[test]
    fn excessive_stored_costs_are_refused() {
        let p = cheap();
        let stored = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$\
                      AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(verify_password(stored, "pw", &p), Verdict::Mismatch);
    }

    #[test]
    fn constant_time_eq_behaves_like_eq() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
