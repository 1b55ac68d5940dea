//! Page text in several languages, from the translation files compiled into the binary
//! (`crates/server/locales/*.toml`, flat `key = "text"`). The language is the first of the
//! request's `ui_locales`, then of `Accept-Language`, that Gatehouse has; English otherwise.

use std::collections::BTreeMap;

/// The translation files, English first (the fallback).
const LOCALES: [(&str, &str); 2] = [
    ("en", include_str!("../../locales/en.toml")),
    ("de", include_str!("../../locales/de.toml")),
];

/// One language's texts.
pub type Texts = BTreeMap<String, String>;

/// Every language's texts, parsed once at start.
pub struct Translations {
    locales: Vec<(&'static str, Texts)>,
}

impl Translations {
    /// Parses the compiled-in files; a malformed file is a build mistake caught by tests.
    pub fn load() -> Result<Self, String> {
        let mut locales = Vec::new();
        for (tag, text) in LOCALES {
            let texts: Texts =
                toml::from_str(text).map_err(|e| format!("locale {tag} is invalid: {e}"))?;
            locales.push((tag, texts));
        }
        Ok(Self { locales })
    }

    /// The tags Gatehouse has, English first.
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.locales.iter().map(|(tag, _)| *tag)
    }

    /// The texts of a tag, when Gatehouse has that language.
    pub fn get(&self, tag: &str) -> Option<&Texts> {
        self.locales
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, texts)| texts)
    }

    /// The texts for a request: `ui_locales` (space-separated BCP 47 tags) first, then
    /// `Accept-Language`, then English.
    pub fn pick(&self, ui_locales: Option<&str>, accept_language: Option<&str>) -> &Texts {
        let requested = ui_locales
            .into_iter()
            .flat_map(|v| v.split(' '))
            .chain(accept_language_tags(accept_language));
        for tag in requested {
            let primary = tag.split(['-', '_']).next().unwrap_or_default();
            if let Some(texts) = self.get(&primary.to_ascii_lowercase()) {
                return texts;
            }
        }
        self.fallback()
    }

    fn fallback(&self) -> &Texts {
        static EMPTY: std::sync::LazyLock<Texts> = std::sync::LazyLock::new(Texts::new);
        self.locales.first().map_or(&EMPTY, |(_, texts)| texts)
    }
}

/// The tags of an `Accept-Language` header, by descending quality.
fn accept_language_tags(header: Option<&str>) -> Vec<&str> {
    let mut tags: Vec<(&str, f32)> = header
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (!tag.is_empty() && tag != "*" && quality > 0.0).then_some((tag, quality))
        })
        .collect();
    tags.sort_by(|a, b| b.1.total_cmp(&a.1));
    tags.into_iter().map(|(tag, _)| tag).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_has_every_english_key_and_no_other() {
        let translations = Translations::load().unwrap();
        let english: Vec<&String> = translations.get("en").unwrap().keys().collect();
        for tag in translations.tags() {
            let keys: Vec<&String> = translations.get(tag).unwrap().keys().collect();
            assert_eq!(keys, english, "locale {tag}");
            for (key, text) in translations.get(tag).unwrap() {
                assert!(!text.trim().is_empty(), "{tag}.{key} is empty");
            }
        }
    }

    #[test]
    fn picks_ui_locales_then_accept_language_then_english() {
        let translations = Translations::load().unwrap();
        let lang =
            |ui: Option<&str>, accept: Option<&str>| translations.pick(ui, accept)["lang"].clone();
        assert_eq!(lang(None, None), "en");
        assert_eq!(lang(Some("de"), None), "de");
        assert_eq!(lang(Some("fr-CA de-AT"), None), "de");
        assert_eq!(lang(Some("fr"), Some("de-DE,en;q=0.5")), "de");
        assert_eq!(lang(None, Some("fr;q=0.9, en;q=0.1, de;q=0.5")), "de");
        assert_eq!(lang(Some("\"><script>"), Some(";;;,q=")), "en");
        assert_eq!(lang(None, Some("de;q=0")), "en");
    }
}
