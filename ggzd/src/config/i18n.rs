//! Translated strings: a default text plus per-language variants, looked up
//! by a client's `LANGUAGE` (docs/config-and-data.md §2.8, docs/client-server.md §5.1).

use std::collections::BTreeMap;

/// A text with optional translations, keyed by language tags such as `de`
/// or `pt_BR`.
///
/// Internal uses (matching a room's game, statistics keys, directory names)
/// must use [`Translated::default_text`], never a translation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translated {
    default: String,
    by_lang: BTreeMap<String, String>,
}

impl Translated {
    /// A text without translations.
    pub fn new(default: impl Into<String>) -> Self {
        Self {
            default: default.into(),
            by_lang: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) the variant for `lang`, builder style.
    pub fn with(mut self, lang: impl Into<String>, text: impl Into<String>) -> Self {
        self.insert(lang, text);
        self
    }

    /// Adds (or replaces) the variant for `lang`.
    pub fn insert(&mut self, lang: impl Into<String>, text: impl Into<String>) {
        self.by_lang.insert(lang.into(), text.into());
    }

    /// The untranslated text.
    pub fn default_text(&self) -> &str {
        &self.default
    }

    /// Language tags that have a variant, in sorted order.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.by_lang.keys().map(String::as_str)
    }

    /// The text for a client language such as `de_DE.UTF-8`: the charset
    /// (and any `@modifier`) is dropped, then `de_DE` is tried, then `de`,
    /// then the default text.
    pub fn get(&self, lang: Option<&str>) -> &str {
        let Some(lang) = lang else {
            return &self.default;
        };
        let base = lang.split(['.', '@']).next().unwrap_or_default();
        if base.is_empty() {
            return &self.default;
        }
        if let Some(text) = self.by_lang.get(base) {
            return text;
        }
        let primary = base.split('_').next().unwrap_or_default();
        self.by_lang
            .get(primary)
            .map(String::as_str)
            .unwrap_or(&self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Translated {
        Translated::new("Four In Line")
            .with("de", "Vier gewinnt")
            .with("pt_BR", "Quatro em linha")
    }

    #[test]
    fn without_language_gives_default() {
        assert_eq!(sample().get(None), "Four In Line");
        assert_eq!(sample().get(Some("")), "Four In Line");
        assert_eq!(sample().get(Some(".UTF-8")), "Four In Line");
    }

    #[test]
    fn strips_charset_then_tries_exact_then_primary() {
        let t = sample();
        assert_eq!(t.get(Some("de_DE.UTF-8")), "Vier gewinnt");
        assert_eq!(t.get(Some("de")), "Vier gewinnt");
        assert_eq!(t.get(Some("de_AT@euro")), "Vier gewinnt");
        assert_eq!(t.get(Some("pt_BR.ISO-8859-1")), "Quatro em linha");
        // pt alone has no variant; pt_BR must not be picked for pt_PT.
        assert_eq!(t.get(Some("pt_PT")), "Four In Line");
        assert_eq!(t.get(Some("fr_FR")), "Four In Line");
        assert_eq!(t.get(Some("C")), "Four In Line");
    }

    #[test]
    fn exact_match_beats_primary_language() {
        let t = Translated::new("Colour")
            .with("en", "Colour")
            .with("en_US", "Color");
        assert_eq!(t.get(Some("en_US.UTF-8")), "Color");
        assert_eq!(t.get(Some("en_GB")), "Colour");
        assert_eq!(t.default_text(), "Colour");
        assert_eq!(t.languages().collect::<Vec<_>>(), ["en", "en_US"]);
    }
}
