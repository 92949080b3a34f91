//! F1 leads to two reading pages: troubleshooting and the cheat sheet.

use super::*;
use crate::i18n::{Lang, lang, t};
use crate::tui::guide::Page;

/// The page's headings, as the renderer shows them (without the `#`s).
fn headings(page: Page) -> Vec<String> {
    page.source(lang())
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim().to_string())
        .collect()
}

#[test]
fn help_opens_the_troubleshooting_page_which_scrolls_and_goes_back() {
    let mut r = rig_with(vec![Ok(lesson())], (100, 30), false);
    r.app.handle(key(KeyCode::F(1)));
    let s = screen(&r.app);
    assert!(s.contains(&t("tui_help_troubleshooting", &[])), "{s}");
    assert!(s.contains(&t("tui_help_commands", &[])), "{s}");

    r.app.handle(key(KeyCode::Char('t')));
    assert_eq!(
        r.app.overlay,
        Some(Overlay::Page {
            page: Page::Troubleshooting,
            scroll: 0
        })
    );
    let heads = headings(Page::Troubleshooting);
    let (first, last) = (&heads[1], heads.last().expect("headings"));
    let s = screen(&r.app);
    assert!(s.contains(first), "{first}:\n{s}");
    assert!(!s.contains(last), "the end is below:\n{s}");

    r.app.handle(key(KeyCode::End));
    let s = screen(&r.app);
    assert!(s.contains(last), "{last}:\n{s}");
    let Some(Overlay::Page { scroll: end, .. }) = r.app.overlay.clone() else {
        panic!("page closed: {:?}", r.app.overlay);
    };
    assert!(end > 0);
    // Never past the end: one more line down stays where it is.
    r.app.handle(key(KeyCode::Down));
    assert_eq!(
        r.app.overlay,
        Some(Overlay::Page {
            page: Page::Troubleshooting,
            scroll: end
        })
    );
    r.app.handle(key(KeyCode::Home));
    assert!(screen(&r.app).contains(first));

    r.app.handle(key(KeyCode::Tab));
    let s = screen(&r.app);
    assert!(s.contains(&t("tui_page_commands", &[])), "{s}");
    assert!(s.contains("docker version"), "{s}");

    r.app.handle(key(KeyCode::Esc));
    assert_eq!(r.app.overlay, Some(Overlay::Help));
    r.app.handle(key(KeyCode::Esc));
    assert_eq!(r.app.overlay, None);
}

#[test]
fn the_pages_open_from_a_korean_layout_and_q_closes_them() {
    let mut r = rig();
    r.app.handle(key(KeyCode::F(1)));
    r.app.handle(key(KeyCode::Char('ㅊ')));
    assert_eq!(
        r.app.overlay,
        Some(Overlay::Page {
            page: Page::Commands,
            scroll: 0
        })
    );
    r.app.handle(key(KeyCode::F(1)));
    assert_eq!(r.app.overlay, None);
    r.app.handle(key(KeyCode::F(1)));
    r.app.handle(key(KeyCode::Char('ㅅ')));
    r.app.handle(key(KeyCode::Char('q')));
    assert_eq!(r.app.overlay, None);
}

/// Both languages have both pages, with as many sections, and the same messages and commands
/// in their code blocks (Docker's words are not translated).
#[test]
fn the_pages_say_the_same_in_both_languages() {
    for page in [Page::Troubleshooting, Page::Commands] {
        let heads = |l| {
            page.source(l)
                .lines()
                .filter(|x| x.starts_with('#'))
                .count()
        };
        assert_eq!(heads(Lang::Ko), heads(Lang::En), "{page:?}");
        let blocks = |l| {
            page.source(l)
                .split("```")
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(blocks(Lang::Ko), blocks(Lang::En), "{page:?}");
        // Bold CommonMark would not close (`**볼륨(volume)**을`) shows as asterisks.
        for l in [Lang::Ko, Lang::En] {
            for line in crate::tui::markdown::render(page.source(l), 80, &Theme::plain()) {
                let text = crate::tui::text::line_text(&line);
                assert!(!text.contains("**"), "{page:?} {l:?}: {text}");
            }
        }
    }
}
