//! Locale detection and the message catalogs (`ko.toml`, `en.toml`, embedded at build time).
//!
//! `t("key", &[("name", value)])` looks a message up in the active language, falling back to
//! English, and fills `{name}` placeholders.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ko,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.split(['.', '@']).next().unwrap_or("");
        let id: unic_langid::LanguageIdentifier = s.replace('_', "-").parse().ok()?;
        match id.language.as_str() {
            "ko" => Some(Lang::Ko),
            "en" | "C" | "POSIX" => Some(Lang::En),
            _ => None,
        }
    }
}

static LANG: OnceLock<Lang> = OnceLock::new();

/// The language from GORAE_LANG, then LC_ALL, LC_MESSAGES, LANG (POSIX order); English otherwise.
pub fn detect() -> Lang {
    for var in ["GORAE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"] {
        if let Ok(v) = std::env::var(var) {
            if v.is_empty() {
                continue;
            }
            return Lang::parse(&v).unwrap_or(Lang::En);
        }
    }
    Lang::En
}

/// Set the language for this process (first call wins; `lang()` detects when never set).
pub fn set_lang(lang: Lang) {
    let _ = LANG.set(lang);
}

pub fn lang() -> Lang {
    *LANG.get_or_init(detect)
}

type Catalog = HashMap<String, String>;

fn catalog(lang: Lang) -> &'static Catalog {
    static KO: OnceLock<Catalog> = OnceLock::new();
    static EN: OnceLock<Catalog> = OnceLock::new();
    let (cell, src) = match lang {
        Lang::Ko => (&KO, include_str!("ko.toml")),
        Lang::En => (&EN, include_str!("en.toml")),
    };
    cell.get_or_init(|| toml::from_str(src).unwrap_or_default())
}

/// Look a message up in `lang` and fill its `{placeholders}`.
pub fn t_in(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let raw = catalog(lang)
        .get(key)
        .or_else(|| catalog(Lang::En).get(key))
        .map(String::as_str)
        .unwrap_or(key);
    fill(raw, args)
}

/// Look a message up in the active language.
pub fn t(key: &str, args: &[(&str, &str)]) -> String {
    t_in(lang(), key, args)
}

fn fill(raw: &str, args: &[(&str, &str)]) -> String {
    let mut out = raw.to_string();
    for (k, v) in args {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_posix_locales() {
        assert_eq!(Lang::parse("ko_KR.UTF-8"), Some(Lang::Ko));
        assert_eq!(Lang::parse("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::parse("de_DE"), None);
    }

    #[test]
    fn both_catalogs_parse_and_have_the_same_keys() {
        let ko: Catalog = toml::from_str(include_str!("ko.toml")).expect("ko.toml");
        let en: Catalog = toml::from_str(include_str!("en.toml")).expect("en.toml");
        let mut missing: Vec<_> = en.keys().filter(|k| !ko.contains_key(*k)).collect();
        missing.extend(ko.keys().filter(|k| !en.contains_key(*k)));
        assert!(missing.is_empty(), "keys in one catalog only: {missing:?}");
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(
            fill("no such image: {name}", &[("name", "x")]),
            "no such image: x"
        );
    }
}
