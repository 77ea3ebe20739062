//! Per-game resource limits, applied with `setrlimit` in the game server's
//! process just before `exec` (docs/game-servers.md, "Resource limits").
//! TOML: a `[limits]` table; `.dsc`: a `[Limits]` section of our own,
//! which original servers ignore.

use serde::Deserialize;

use crate::config::keyfile::KeyFile;

/// Each limit is optional; `None` leaves what ggzd itself has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GameLimits {
    /// RLIMIT_NPROC: processes of the user ggzd runs as (the kernel counts
    /// them per user, not per table).
    pub processes: Option<u64>,
    /// RLIMIT_AS, in bytes (the TOML and `.dsc` keys take MiB).
    #[serde(rename = "address_space_mb", deserialize_with = "mib")]
    pub address_space: Option<u64>,
    /// RLIMIT_CPU: seconds of CPU time; the kernel sends SIGXCPU, then
    /// SIGKILL.
    pub cpu_seconds: Option<u64>,
    /// RLIMIT_NOFILE: highest descriptor number plus one.
    pub open_files: Option<u64>,
}

fn mib<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let value = Option::<u64>::deserialize(d)?;
    value
        .map(|v| {
            v.checked_mul(1 << 20)
                .ok_or_else(|| serde::de::Error::custom("too large"))
        })
        .transpose()
}

impl GameLimits {
    /// Reads `[Limits]` of a `.dsc` file: `Processes`, `AddressSpaceMB`,
    /// `CpuSeconds`, `OpenFiles`. Errors name the key.
    pub fn from_dsc(file: &KeyFile) -> Result<GameLimits, (&'static str, String)> {
        let number = |key: &'static str| -> Result<Option<u64>, (&'static str, String)> {
            match file.get("Limits", key) {
                None => Ok(None),
                Some(entry) => entry
                    .value
                    .parse::<u64>()
                    .map(Some)
                    .map_err(|_| (key, format!("`{}` is not a whole number", entry.value))),
            }
        };
        let address_space = number("AddressSpaceMB")?
            .map(|v| {
                v.checked_mul(1 << 20)
                    .ok_or(("AddressSpaceMB", "too large".into()))
            })
            .transpose()?;
        Ok(GameLimits {
            processes: number("Processes")?,
            address_space,
            cpu_seconds: number("CpuSeconds")?,
            open_files: number("OpenFiles")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_limits_take_mib() {
        let limits: GameLimits =
            toml::from_str("processes = 50\naddress_space_mb = 256\ncpu_seconds = 600")
                .expect("parses");
        assert_eq!(
            limits,
            GameLimits {
                processes: Some(50),
                address_space: Some(256 << 20),
                cpu_seconds: Some(600),
                open_files: None,
            }
        );
        assert!(toml::from_str::<GameLimits>("bogus = 1").is_err());
    }

    #[test]
    fn dsc_limits_section() {
        let file =
            KeyFile::parse("[Limits]\nProcesses = 20\nAddressSpaceMB = 64\nOpenFiles = 100\n");
        assert_eq!(
            GameLimits::from_dsc(&file),
            Ok(GameLimits {
                processes: Some(20),
                address_space: Some(64 << 20),
                cpu_seconds: None,
                open_files: Some(100),
            })
        );
        let bad = KeyFile::parse("[Limits]\nCpuSeconds = lots\n");
        assert_eq!(
            GameLimits::from_dsc(&bad).map_err(|(key, _)| key),
            Err("CpuSeconds")
        );
        let none = KeyFile::parse("[GameInfo]\nName = x\n");
        assert_eq!(GameLimits::from_dsc(&none), Ok(GameLimits::default()));
    }
}
