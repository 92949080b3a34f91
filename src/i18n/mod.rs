//! Locale detection and the message catalogs (`assets/i18n/ko.toml`, `en.toml`, compiled into
//! sorted tables at build time by `build.rs`).
//!
//! `t("key", &[("name", value)])` looks a message up in the active language, falling back to
//! English, and fills `{name}` placeholders.

use std::sync::OnceLock;

use unic_langid::LanguageIdentifier;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ko,
    En,
}

/// The languages with a catalog, in no particular order.
pub const AVAILABLE: [Lang; 2] = [Lang::Ko, Lang::En];

/// The language when the environment names none we have (or names the C locale).
pub const DEFAULT: Lang = Lang::En;

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    /// A language we have a catalog for, from a locale name (`ko_KR.UTF-8`, `en_GB@euro`) or a
    /// language tag (`ko-KR`, `en`). `None` for other languages, for `C`/`POSIX` and for garbage.
    pub fn parse(s: &str) -> Option<Lang> {
        negotiate(&locale_langid(s)?)
    }
}

/// The locale names that mean "no language": messages stay untranslated.
fn is_c_locale(s: &str) -> bool {
    let base = s.split(['.', '@']).next().unwrap_or("");
    base.is_empty() || base == "C" || base == "POSIX"
}

/// A POSIX locale name (`language[_territory][.codeset][@modifier]`) or a BCP 47 tag as a
/// language identifier: the codeset and the modifier are dropped, `_` read as `-`.
fn locale_langid(s: &str) -> Option<LanguageIdentifier> {
    if is_c_locale(s) {
        return None;
    }
    let base = s.split(['.', '@']).next().unwrap_or("");
    base.replace('_', "-").parse().ok()
}

/// The available language that serves `wanted`: same language subtag (`ko-KR` → `ko`).
fn negotiate(wanted: &LanguageIdentifier) -> Option<Lang> {
    AVAILABLE
        .into_iter()
        .find(|l| wanted.language.as_str() == l.code())
}

static LANG: OnceLock<Lang> = OnceLock::new();

/// The language from the environment (see [`detect_from`]).
pub fn detect() -> Lang {
    detect_from(|var| std::env::var(var).ok())
}

/// The language as gettext picks it: `GORAE_LANG` first (this app's own override), then the
/// locale of messages, the first non-empty of `LC_ALL`, `LC_MESSAGES`, `LANG`. Unless that
/// locale is `C`/`POSIX`, `LANGUAGE` (a `:`-separated list of preferences, as in glibc) comes
/// before it. The first preference we have a catalog for wins; [`DEFAULT`] otherwise.
pub fn detect_from(env: impl Fn(&str) -> Option<String>) -> Lang {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(v) = var("GORAE_LANG") {
        return Lang::parse(&v).unwrap_or(DEFAULT);
    }
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .find_map(var)
        .unwrap_or_default();
    if is_c_locale(&locale) {
        return DEFAULT;
    }
    let language = var("LANGUAGE").unwrap_or_default();
    language
        .split(':')
        .chain([locale.as_str()])
        .find_map(Lang::parse)
        .unwrap_or(DEFAULT)
}

/// Set the language for this process (first call wins; `lang()` detects when never set).
pub fn set_lang(lang: Lang) {
    let _ = LANG.set(lang);
}

pub fn lang() -> Lang {
    *LANG.get_or_init(detect)
}

mod particle;

/// The catalogs as `build.rs` compiled them from `assets/i18n/`: (key, message), sorted.
mod tables {
    include!(concat!(env!("OUT_DIR"), "/catalogs.rs"));
}

fn catalog(lang: Lang) -> Catalog {
    Catalog(match lang {
        Lang::Ko => tables::KO,
        Lang::En => tables::EN,
    })
}

struct Catalog(&'static [(&'static str, &'static str)]);

impl Catalog {
    fn get(&self, key: &str) -> Option<&'static str> {
        let i = self.0.binary_search_by(|(k, _)| (*k).cmp(key)).ok()?;
        Some(self.0[i].1)
    }
}

/// Look a message up in `lang` and fill its `{placeholders}`.
pub fn t_in(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let raw = catalog(lang)
        .get(key)
        .or_else(|| catalog(Lang::En).get(key))
        .unwrap_or(key);
    fill(raw, args)
}

/// A message in the active language (or English) if either catalog has `key`.
pub fn lookup(key: &str, args: &[(&str, &str)]) -> Option<String> {
    catalog(lang())
        .get(key)
        .or_else(|| catalog(Lang::En).get(key))
        .map(|raw| fill(raw, args))
}

/// Look a message up in the active language.
pub fn t(key: &str, args: &[(&str, &str)]) -> String {
    t_in(lang(), key, args)
}

/// `raw` with each `{name}` replaced by its value; a both-forms particle after it
/// (`{image}을(를)`, `"{dir}"(으)로`) becomes the one the value takes (`particle`).
fn fill(raw: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + len];
        let Some((_, value)) = args.iter().find(|(k, _)| *k == name) else {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            continue;
        };
        out.push_str(&rest[..open]);
        out.push_str(value);
        rest = &rest[open + len + 1..];
        let quotes = rest.len() - rest.trim_start_matches(['"', '\'', '`']).len();
        if let Some((n, form)) = particle::choose(value, &rest[quotes..]) {
            out.push_str(&rest[..quotes]);
            out.push_str(form);
            rest = &rest[quotes + n..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_takes_the_particle_its_value_needs() {
        let raw = "이미지 {image}을(를) 지울 수 없습니다. \"{dir}\"(으)로 옮기고 {id}은(는) {x}";
        assert_eq!(
            fill(raw, &[("image", "busybox"), ("dir", "/app"), ("id", "web")]),
            "이미지 busybox를 지울 수 없습니다. \"/app\"으로 옮기고 web은 {x}"
        );
        assert_eq!(fill("{a}{b}", &[("a", "{b}"), ("b", "2")]), "{b}2");
    }

    #[test]
    fn parses_posix_locales() {
        assert_eq!(Lang::parse("ko_KR.UTF-8"), Some(Lang::Ko));
        assert_eq!(Lang::parse("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::parse("de_DE"), None);
    }

    #[test]
    fn parses_tags_and_locale_names() {
        for s in [
            "ko",
            "ko-KR",
            "ko_KR",
            "ko_KR.UTF-8",
            "ko_KR.eucKR",
            "ko_KR.UTF-8@x",
        ] {
            assert_eq!(Lang::parse(s), Some(Lang::Ko), "{s}");
        }
        for s in ["en", "en-US", "en_GB", "en_GB.UTF-8@euro", "en_US.utf8"] {
            assert_eq!(Lang::parse(s), Some(Lang::En), "{s}");
        }
        for s in ["C", "C.UTF-8", "POSIX", "", "de", "ja_JP.UTF-8", "!!", "x"] {
            assert_eq!(Lang::parse(s), None, "{s}");
        }
    }

    fn detect_with(vars: &[(&str, &str)]) -> Lang {
        detect_from(|k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn korean_locales_give_korean() {
        for v in ["ko-KR", "ko", "ko_KR.UTF-8"] {
            assert_eq!(detect_with(&[("LANG", v)]), Lang::Ko, "LANG={v}");
        }
    }

    #[test]
    fn english_locales_give_english() {
        for v in ["en-US", "en_GB", "en_US.UTF-8"] {
            assert_eq!(detect_with(&[("LANG", v)]), Lang::En, "LANG={v}");
        }
    }

    #[test]
    fn c_posix_and_nothing_give_the_default() {
        assert_eq!(DEFAULT, Lang::En);
        assert_eq!(detect_with(&[]), DEFAULT);
        for v in ["C", "C.UTF-8", "POSIX", ""] {
            assert_eq!(detect_with(&[("LANG", v)]), DEFAULT, "LANG={v}");
            assert_eq!(detect_with(&[("LC_ALL", v)]), DEFAULT, "LC_ALL={v}");
        }
        // A language we have no catalog for.
        assert_eq!(detect_with(&[("LANG", "de_DE.UTF-8")]), DEFAULT);
    }

    #[test]
    fn lc_all_then_lc_messages_then_lang() {
        let all = [
            ("LC_ALL", "ko_KR.UTF-8"),
            ("LC_MESSAGES", "en_US.UTF-8"),
            ("LANG", "en_US.UTF-8"),
        ];
        assert_eq!(detect_with(&all), Lang::Ko);
        assert_eq!(
            detect_with(&[("LC_MESSAGES", "ko_KR.UTF-8"), ("LANG", "en_US.UTF-8")]),
            Lang::Ko
        );
        assert_eq!(
            detect_with(&[("LC_MESSAGES", "en_US.UTF-8"), ("LANG", "ko_KR.UTF-8")]),
            Lang::En
        );
        // Empty means unset.
        assert_eq!(
            detect_with(&[("LC_ALL", ""), ("LANG", "ko_KR.UTF-8")]),
            Lang::Ko
        );
        // LC_ALL=C wins over a Korean LANG, as in gettext.
        assert_eq!(
            detect_with(&[("LC_ALL", "C"), ("LANG", "ko_KR.UTF-8")]),
            DEFAULT
        );
    }

    #[test]
    fn language_list_as_glibc_reads_it() {
        // LANGUAGE comes first, its entries in order, the first one we have wins.
        assert_eq!(
            detect_with(&[("LANGUAGE", "ko:en"), ("LANG", "en_US.UTF-8")]),
            Lang::Ko
        );
        assert_eq!(
            detect_with(&[("LANGUAGE", "de:en_GB:ko"), ("LANG", "ko_KR.UTF-8")]),
            Lang::En
        );
        // Nothing in it we have: the locale decides.
        assert_eq!(
            detect_with(&[("LANGUAGE", "de:fr"), ("LANG", "ko_KR.UTF-8")]),
            Lang::Ko
        );
        // Ignored when the locale is C, or unset (also C).
        assert_eq!(
            detect_with(&[("LANGUAGE", "ko"), ("LANG", "C.UTF-8")]),
            DEFAULT
        );
        assert_eq!(detect_with(&[("LANGUAGE", "ko")]), DEFAULT);
    }

    #[test]
    fn gorae_lang_overrides_the_locale() {
        assert_eq!(
            detect_with(&[("GORAE_LANG", "ko"), ("LC_ALL", "en_US.UTF-8")]),
            Lang::Ko
        );
        assert_eq!(
            detect_with(&[
                ("GORAE_LANG", "en"),
                ("LANGUAGE", "ko"),
                ("LANG", "ko_KR.UTF-8")
            ]),
            Lang::En
        );
        assert_eq!(
            detect_with(&[("GORAE_LANG", ""), ("LANG", "ko_KR")]),
            Lang::Ko
        );
    }

    #[test]
    fn both_catalogs_have_the_same_keys_and_find_every_one() {
        let keys = |l: Lang| catalog(l).0.iter().map(|(k, _)| *k).collect::<Vec<_>>();
        let (ko, en) = (keys(Lang::Ko), keys(Lang::En));
        let mut missing: Vec<_> = en.iter().filter(|k| !ko.contains(k)).collect();
        missing.extend(ko.iter().filter(|k| !en.contains(k)));
        assert!(missing.is_empty(), "keys in one catalog only: {missing:?}");
        for lang in [Lang::Ko, Lang::En] {
            let table = catalog(lang);
            for (key, message) in table.0 {
                assert_eq!(table.get(key), Some(*message), "{lang:?} {key}");
            }
            assert_eq!(table.get("no such key"), None);
        }
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(
            fill("no such image: {name}", &[("name", "x")]),
            "no such image: x"
        );
    }
}
