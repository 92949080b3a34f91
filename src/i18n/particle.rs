//! Korean particles chosen by the word they follow: `busybox를`, `redis를`, `debian을`,
//! `/app으로`, `web은`. A catalog writes both forms after a placeholder (`{image}을(를)`,
//! `{id}은(는)`, `{dir}(으)로`, `{a}과(와)`); `fill` keeps the one the inserted word takes.
//! Hangul reads its final consonant (batchim); Latin words, numbers and ids are read as a
//! Korean speaker says them (`nginx` 엔진엑스, `12` 십이, `3d9…b` …비), by rules that are
//! right for the names the course uses and good guesses for the rest.

/// The both-forms spellings catalogs use, as (written, with a final consonant, without).
/// `(으)로` is apart: after ㄹ it is 로 too.
const PAIRS: [(&str, &str, &str); 8] = [
    ("을(를)", "을", "를"),
    ("를(을)", "을", "를"),
    ("이(가)", "이", "가"),
    ("가(이)", "이", "가"),
    ("은(는)", "은", "는"),
    ("는(은)", "은", "는"),
    ("과(와)", "과", "와"),
    ("와(과)", "과", "와"),
];

/// How a word ends when said aloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Vowel,
    /// ㄹ: a final consonant, yet `로` (not `으로`).
    Rieul,
    Consonant,
}

/// The both-forms particle at the start of `rest` (after a placeholder and any closing
/// quotes), as (its length in bytes, the form `word` takes).
pub fn choose(word: &str, rest: &str) -> Option<(usize, &'static str)> {
    let ending = ending(word)?;
    if rest.starts_with("(으)로") {
        let form = if ending == Ending::Consonant {
            "으로"
        } else {
            "로"
        };
        return Some(("(으)로".len(), form));
    }
    PAIRS.iter().find_map(|(both, with, without)| {
        rest.starts_with(both).then(|| {
            let form = if ending == Ending::Vowel {
                *without
            } else {
                *with
            };
            (both.len(), form)
        })
    })
}

/// The word as it is said: its last Hangul syllable, digit or Latin word decides. None for a
/// word with nothing to read (then both forms stay).
fn ending(word: &str) -> Option<Ending> {
    let word = word.trim_end_matches(|c: char| !c.is_alphanumeric());
    let last = word.chars().last()?;
    if ('가'..='힣').contains(&last) {
        let jong = (last as u32 - '가' as u32) % 28;
        return Some(match jong {
            0 => Ending::Vowel,
            8 => Ending::Rieul,
            _ => Ending::Consonant,
        });
    }
    if last.is_ascii_digit() {
        return Some(number_ending(word));
    }
    if last.is_ascii_alphabetic() {
        let tail: String = word
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
            .to_ascii_lowercase();
        return Some(latin_ending(&tail));
    }
    None
}

/// Numbers as read in Sino-Korean: the last non-zero digit, or the power of ten it ends on.
fn number_ending(word: &str) -> Ending {
    let digits: String = word
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    let zeros = digits.chars().take_while(|&c| c == '0').count();
    if zeros == digits.len() {
        return Ending::Consonant; // 영
    }
    match zeros {
        0 => match digits.chars().next() {
            Some('1' | '7' | '8') => Ending::Rieul, // 일 칠 팔
            Some('3' | '6') => Ending::Consonant,   // 삼 육
            _ => Ending::Vowel,                     // 이 사 오 구
        },
        // 십 백 천, 만 (and 십만, 백만…)
        _ => Ending::Consonant,
    }
}

/// A Latin word: a lone letter or a word without vowels (an id's tail, `tcp`) by the letters'
/// names; otherwise by how English is said in Korean (`redis` 레디스, `debian` 데비안,
/// `web` 웹, `app` 앱, `nginx` …엑스, `apple` 애플).
fn latin_ending(w: &str) -> Ending {
    let vowel = |c: char| "aeiouy".contains(c);
    let chars: Vec<char> = w.chars().collect();
    let Some(&last) = chars.last() else {
        return Ending::Vowel;
    };
    if chars.len() == 1 || !chars.iter().any(|&c| vowel(c)) {
        return match last {
            'l' | 'r' => Ending::Rieul, // 엘 알
            'm' | 'n' => Ending::Consonant,
            _ => Ending::Vowel,
        };
    }
    let before = chars.len().checked_sub(2).map(|i| chars[i]);
    match last {
        'l' => Ending::Rieul,
        'm' | 'n' => Ending::Consonant,
        'g' if before == Some('n') => Ending::Consonant, // -ng 잉
        // A closed short syllable: 웹 앱 팟 백.
        'b' | 'c' | 'd' | 'g' | 'k' | 'p' | 't' if before.is_some_and(vowel) => Ending::Consonant,
        'k' if before == Some('c') => Ending::Consonant, // -ck 택
        // A doubled one: 앱 (app), 팟 (pott).
        'b' | 'd' | 'g' | 'p' | 't' if before == Some(last) => Ending::Consonant,
        // Silent e: -le 플, -ine/-ane/-ome 인 안 옴; otherwise (-ate 트, -ice 스) a vowel.
        'e' if chars.len() >= 3 && !vowel(chars[chars.len() - 2]) => match chars[chars.len() - 2] {
            'l' => Ending::Rieul,
            'm' | 'n' if vowel(chars[chars.len() - 3]) => Ending::Consonant,
            _ => Ending::Vowel,
        },
        _ => Ending::Vowel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(word: &str, both: &str) -> String {
        let (_, form) = choose(word, both).expect("a particle");
        format!("{word}{form}")
    }

    #[test]
    fn hangul_by_its_final_consonant() {
        assert_eq!(with("고래", "을(를)"), "고래를");
        assert_eq!(with("이미지", "이(가)"), "이미지가");
        assert_eq!(with("컨테이너 목록", "은(는)"), "컨테이너 목록은");
        assert_eq!(with("파일", "(으)로"), "파일로");
        assert_eq!(with("작업 폴더", "(으)로"), "작업 폴더로");
        assert_eq!(with("집", "(으)로"), "집으로");
        assert_eq!(with("책", "과(와)"), "책과");
    }

    #[test]
    fn the_course_names_read_as_said() {
        assert_eq!(with("busybox", "을(를)"), "busybox를");
        assert_eq!(with("redis", "을(를)"), "redis를");
        assert_eq!(with("debian", "을(를)"), "debian을");
        assert_eq!(with("nginx", "이(가)"), "nginx가");
        assert_eq!(with("hello-app", "은(는)"), "hello-app은");
        assert_eq!(with("web", "이(가)"), "web이");
        assert_eq!(with("registry", "을(를)"), "registry를");
        assert_eq!(with("alpine", "이(가)"), "alpine이");
        assert_eq!(with("/data", "(으)로"), "/data로");
        assert_eq!(with("/app", "(으)로"), "/app으로");
        assert_eq!(with("mysql", "(으)로"), "mysql로");
        assert_eq!(with("debian:12", "을(를)"), "debian:12를");
        assert_eq!(with("redis:7", "을(를)"), "redis:7을");
    }

    #[test]
    fn numbers_and_ids() {
        assert_eq!(with("8080", "이(가)"), "8080이"); // 팔천팔십
        assert_eq!(with("80", "이(가)"), "80이"); // 팔십
        assert_eq!(with("2", "이(가)"), "2가");
        assert_eq!(with("3", "을(를)"), "3을");
        assert_eq!(with("0.0.0.0:80", "은(는)"), "0.0.0.0:80은");
        assert_eq!(with("59a63b035c8b", "은(는)"), "59a63b035c8b는"); // …비
        assert_eq!(with("tcp", "(으)로"), "tcp로"); // 피
        assert_eq!(with("\"/web\"", "은(는)"), "\"/web\"은");
    }

    #[test]
    fn other_text_keeps_both_forms() {
        assert_eq!(choose("busybox", "에서"), None);
        assert_eq!(choose("…", "을(를)"), None);
    }
}
