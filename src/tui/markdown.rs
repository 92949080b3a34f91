//! Lesson markdown to terminal lines at a given width, measured in display columns.
//!
//! Prose wraps at spaces; a word longer than the line (Korean written without spaces, a long
//! URL) breaks between characters, never inside a wide character. Code blocks are never
//! wrapped: they are clipped with a `›` marker so commands are shown exactly as typed.

use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

use super::text::{
    Kind, Piece, clip_pieces, clip_str, memo, pieces_width, str_width, to_line, wrap,
};
use super::theme::Theme;

/// Render `src` for a pane `width` columns wide.
///
/// The lesson pane renders every step's text on each frame; parsing and wrapping a long lesson
/// took ~4 ms of a 200x50 frame, a lookup here takes microseconds. The result depends only on
/// the arguments, so drawing stays a pure function of state.
pub fn render(src: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    memo((Kind::Markdown, src, width, theme), || {
        render_uncached(src, width, theme)
    })
}

fn render_uncached(src: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let mut r = Renderer::new(width.max(1) as usize, *theme);
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for ev in Parser::new_ext(src, opts) {
        r.event(ev);
    }
    r.finish()
}

enum Container {
    Quote,
    Item {
        bullet: String,
        /// The bullet is shown on the first line of the item's first block only.
        pending: bool,
    },
}

struct TableState {
    align: Vec<Alignment>,
    rows: Vec<Vec<Vec<Piece>>>,
    header_rows: usize,
    in_header: bool,
}

struct Renderer {
    width: usize,
    theme: Theme,
    out: Vec<Line<'static>>,
    containers: Vec<Container>,
    /// Next number for each open list (None for bullets).
    lists: Vec<Option<u64>>,
    inline: Vec<Piece>,
    styles: Vec<Style>,
    links: Vec<String>,
    heading: Option<HeadingLevel>,
    code: Option<String>,
    table: Option<TableState>,
    cell: Option<Vec<Piece>>,
    need_gap: bool,
}

impl Renderer {
    fn new(width: usize, theme: Theme) -> Renderer {
        Renderer {
            width,
            theme,
            out: Vec::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            inline: Vec::new(),
            styles: vec![theme.text()],
            links: Vec::new(),
            heading: None,
            code: None,
            table: None,
            cell: None,
            need_gap: false,
        }
    }

    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn push_style(&mut self, f: impl FnOnce(Style) -> Style) {
        let s = f(self.style());
        self.styles.push(s);
    }

    fn pop_style(&mut self) {
        if self.styles.len() > 1 {
            self.styles.pop();
        }
    }

    fn text(&mut self, s: &str, style: Style) {
        if let Some(cell) = self.cell.as_mut() {
            cell.push((s.to_string(), style));
        } else {
            self.inline.push((s.to_string(), style));
        }
    }

    /// Prefix for the next line: the first line of a block consumes pending bullets.
    fn prefix(&mut self, first: bool) -> Vec<Piece> {
        let mut p = Vec::new();
        let bar = self.theme.quote_bar();
        let bullet_style = self.theme.bullet();
        for c in self.containers.iter_mut() {
            match c {
                Container::Quote => p.push(("│ ".to_string(), bar)),
                Container::Item { bullet, pending } => {
                    let w = str_width(bullet);
                    if first && *pending {
                        p.push((bullet.clone(), bullet_style));
                        *pending = false;
                    } else {
                        p.push((" ".repeat(w), Style::new()));
                    }
                }
            }
        }
        p
    }

    fn prefix_width(&self) -> usize {
        self.containers
            .iter()
            .map(|c| match c {
                Container::Quote => 2,
                Container::Item { bullet, .. } => str_width(bullet),
            })
            .sum()
    }

    fn avail(&self) -> usize {
        self.width.saturating_sub(self.prefix_width()).max(1)
    }

    fn gap(&mut self) {
        if self.need_gap && !self.out.is_empty() {
            let mut p = self.prefix(false);
            // A gap inside a quote keeps its bar; indents need no trailing spaces.
            p.retain(|(s, _)| !s.trim().is_empty());
            self.push_line(p);
        }
        self.need_gap = false;
    }

    fn emit(&mut self, pieces: Vec<Piece>, first: bool) {
        let mut line = self.prefix(first);
        line.extend(pieces);
        self.push_line(line);
    }

    /// Every line ends here, clipped to the pane: content is wrapped to what the containers
    /// leave, but deep nesting or a wide character in a very narrow pane can still overflow.
    fn push_line(&mut self, pieces: Vec<Piece>) {
        let (pieces, _) = clip_pieces(&pieces, self.width);
        self.out.push(to_line(pieces));
    }

    /// Wrap the pending inline text into lines under the current containers.
    fn flush_inline(&mut self) {
        if self.inline.is_empty() {
            return;
        }
        let pieces = std::mem::take(&mut self.inline);
        if pieces.iter().all(|(s, _)| s.trim().is_empty()) {
            return;
        }
        self.gap();
        let lines = wrap(&pieces, self.avail());
        for (i, l) in lines.into_iter().enumerate() {
            self.emit(l, i == 0);
        }
        self.need_gap = true;
    }

    fn event(&mut self, ev: Event) {
        match ev {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => {
                if let Some(code) = self.code.as_mut() {
                    code.push_str(&t);
                } else {
                    let s = self.style();
                    self.text(&t, s);
                }
            }
            Event::Code(t) => {
                let s = self.theme.code_inline();
                self.text(&t, s);
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => {
                let s = self.style();
                self.text(&t, s);
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                let s = self.theme.dim();
                self.text(t.trim_end_matches('\n'), s);
            }
            Event::FootnoteReference(t) => {
                let s = self.theme.dim();
                self.text(&format!("[{t}]"), s);
            }
            Event::SoftBreak => {
                let s = self.style();
                self.text(" ", s);
            }
            Event::HardBreak => {
                let s = self.style();
                self.text("\n", s);
            }
            Event::Rule => {
                self.flush_inline();
                self.gap();
                let w = self.avail();
                let s = self.theme.dim();
                self.emit(vec![("─".repeat(w), s)], true);
                self.need_gap = true;
            }
            Event::TaskListMarker(done) => {
                let s = self.theme.bullet();
                self.text(if done { "☑ " } else { "☐ " }, s);
            }
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Paragraph => {
                self.flush_inline();
            }
            Tag::Heading { level, .. } => {
                self.flush_inline();
                self.heading = Some(level);
                let st = match level {
                    HeadingLevel::H1 => self.theme.h1(),
                    HeadingLevel::H2 => self.theme.h2(),
                    _ => self.theme.h3(),
                };
                self.styles.push(st);
            }
            Tag::BlockQuote(_) => {
                self.flush_inline();
                self.gap();
                self.containers.push(Container::Quote);
                self.push_style(|s| s.add_modifier(Modifier::ITALIC));
            }
            Tag::CodeBlock(kind) => {
                self.flush_inline();
                let _ = kind;
                self.code = Some(String::new());
            }
            Tag::List(start) => {
                self.flush_inline();
                if !self
                    .containers
                    .iter()
                    .any(|c| matches!(c, Container::Item { .. }))
                {
                    self.gap();
                }
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush_inline();
                let depth = self.lists.len();
                let bullet = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let b = format!("{n}. ");
                        *n += 1;
                        b
                    }
                    _ => {
                        let glyph = match depth {
                            0 | 1 => "•",
                            2 => "◦",
                            _ => "▪",
                        };
                        format!("{glyph} ")
                    }
                };
                self.containers.push(Container::Item {
                    bullet,
                    pending: true,
                });
                self.need_gap = false;
            }
            Tag::Emphasis => self.push_style(|s| s.add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.push_style(|s| s.add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self.push_style(|s| s.add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                let link = self.theme.link();
                self.push_style(|s| s.patch(link));
                self.links.push(dest_url.to_string());
            }
            Tag::Image { dest_url, .. } => {
                let s = self.theme.dim();
                self.text("[", s);
                self.links.push(dest_url.to_string());
                self.push_style(|st| st.patch(s));
            }
            Tag::Table(align) => {
                self.flush_inline();
                self.table = Some(TableState {
                    align,
                    rows: Vec::new(),
                    header_rows: 0,
                    in_header: false,
                });
            }
            Tag::TableHead => {
                if let Some(t) = self.table.as_mut() {
                    t.in_header = true;
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableRow => {
                if let Some(t) = self.table.as_mut() {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => {
                self.cell = Some(Vec::new());
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.flush_inline(),
            TagEnd::Heading(level) => {
                self.pop_style();
                self.heading = None;
                self.flush_inline();
                if level == HeadingLevel::H1 {
                    let w = self.avail();
                    let s = self.theme.rule();
                    self.emit(vec![("━".repeat(w), s)], false);
                }
                self.need_gap = true;
            }
            TagEnd::BlockQuote(_) => {
                self.flush_inline();
                self.pop_style();
                self.containers.pop();
                self.need_gap = true;
            }
            TagEnd::CodeBlock => {
                let code = self.code.take().unwrap_or_default();
                self.code_block(&code);
            }
            TagEnd::List(_) => {
                self.flush_inline();
                self.lists.pop();
                self.need_gap = true;
            }
            TagEnd::Item => {
                self.flush_inline();
                // An empty item still shows its bullet.
                if let Some(Container::Item { pending: true, .. }) = self.containers.last() {
                    self.emit(Vec::new(), true);
                }
                self.containers.pop();
                self.need_gap = false;
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => self.pop_style(),
            TagEnd::Link => {
                self.pop_style();
                let url = self.links.pop().unwrap_or_default();
                let label: String = self
                    .cell
                    .as_ref()
                    .unwrap_or(&self.inline)
                    .iter()
                    .rev()
                    .take(1)
                    .map(|(s, _)| s.clone())
                    .collect();
                let shown = url.strip_prefix("mailto:").unwrap_or(&url);
                if !url.is_empty() && label != shown {
                    let s = self.theme.dim();
                    self.text(&format!(" ({shown})"), s);
                }
            }
            TagEnd::Image => {
                self.pop_style();
                let url = self.links.pop().unwrap_or_default();
                let s = self.theme.dim();
                self.text(&format!("] ({url})"), s);
            }
            TagEnd::TableHead => {
                if let Some(t) = self.table.as_mut() {
                    t.in_header = false;
                    t.header_rows = t.rows.len();
                }
            }
            TagEnd::TableCell => {
                let cell = self.cell.take().unwrap_or_default();
                if let Some(t) = self.table.as_mut()
                    && let Some(row) = t.rows.last_mut()
                {
                    row.push(cell);
                }
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    self.table_block(t);
                }
            }
            _ => {}
        }
    }

    fn code_block(&mut self, code: &str) {
        self.gap();
        let avail = self.avail();
        let style = self.theme.code_block();
        let marker_style = self.theme.dim().patch(style);
        let body = code.strip_suffix('\n').unwrap_or(code);
        for raw in body.split('\n') {
            // One column of padding each side so the background reads as a block.
            let inner = avail.saturating_sub(2);
            let full = str_width(raw);
            let mut pieces = vec![(" ".to_string(), style)];
            if full <= inner {
                let (text, w) = clip_str(raw, inner);
                pieces.push((text, style));
                pieces.push((" ".repeat(inner - w + 1), style));
            } else {
                let (text, w) = clip_str(raw, inner.saturating_sub(1));
                pieces.push((text, style));
                pieces.push((" ".repeat(inner.saturating_sub(1) - w), style));
                pieces.push(("›".to_string(), marker_style));
                pieces.push((" ".to_string(), style));
            }
            if avail < 2 {
                pieces = vec![(clip_str(raw, avail).0, style)];
            }
            self.emit(pieces, true);
        }
        self.need_gap = true;
    }

    fn table_block(&mut self, t: TableState) {
        self.gap();
        let avail = self.avail();
        let ncols = t.rows.iter().map(Vec::len).max().unwrap_or(0);
        if ncols == 0 {
            return;
        }
        let mut widths = vec![1usize; ncols];
        for row in &t.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(pieces_width(cell));
            }
        }
        // " │ " between columns; shrink the widest column until the table fits.
        let sep = 3;
        let total = |w: &[usize]| w.iter().sum::<usize>() + sep * (w.len() - 1);
        while total(&widths) > avail {
            let Some((i, &w)) = widths.iter().enumerate().max_by_key(|(_, w)| **w) else {
                break;
            };
            if w <= 3 {
                break;
            }
            widths[i] = w - 1;
        }
        let border = self.theme.table_border();
        for (ri, row) in t.rows.iter().enumerate() {
            let header = ri < t.header_rows;
            // A cell wider than its column wraps within it: the row grows, nothing is cut.
            let cells: Vec<Vec<Vec<Piece>>> = widths
                .iter()
                .enumerate()
                .map(|(ci, &w)| {
                    let mut cell = row.get(ci).cloned().unwrap_or_default();
                    if header {
                        let h = self.theme.table_header();
                        for p in cell.iter_mut() {
                            p.1 = p.1.patch(h);
                        }
                    }
                    wrap(&cell, w)
                })
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            for sub in 0..height {
                let mut line: Vec<Piece> = Vec::new();
                for (ci, &w) in widths.iter().enumerate() {
                    if ci > 0 {
                        line.push((" │ ".to_string(), border));
                    }
                    let part = cells[ci].get(sub).cloned().unwrap_or_default();
                    let (mut clipped, cw) = clip_pieces(&part, w);
                    let pad = w - cw;
                    let align = t.align.get(ci).copied().unwrap_or(Alignment::None);
                    let (left, right) = match align {
                        Alignment::Right => (pad, 0),
                        Alignment::Center => (pad / 2, pad - pad / 2),
                        _ => (0, pad),
                    };
                    if left > 0 {
                        line.push((" ".repeat(left), Style::new()));
                    }
                    line.append(&mut clipped);
                    if right > 0 && ci + 1 < ncols {
                        line.push((" ".repeat(right), Style::new()));
                    }
                }
                // Trailing spaces of the last column carry no information.
                self.emit(line, true);
            }
            if header && ri + 1 == t.header_rows {
                let mut rule = Vec::new();
                for (ci, &w) in widths.iter().enumerate() {
                    if ci > 0 {
                        rule.push(("─┼─".to_string(), border));
                    }
                    rule.push(("─".repeat(w), border));
                }
                self.emit(rule, false);
            }
        }
        self.need_gap = true;
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        self.flush_inline();
        if let Some(code) = self.code.take() {
            self.code_block(&code);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::text::line_text;

    fn plain(src: &str, width: u16) -> Vec<String> {
        render(src, width, &Theme::plain())
            .iter()
            .map(line_text)
            .collect()
    }

    fn assert_fits(lines: &[String], width: usize) {
        for l in lines {
            assert!(str_width(l) <= width, "{l:?} is wider than {width}");
        }
    }

    #[test]
    fn wraps_english_at_spaces() {
        let lines = plain("the quick brown fox jumps over the lazy dog", 15);
        assert_eq!(
            lines,
            vec!["the quick brown", "fox jumps over", "the lazy dog"]
        );
    }

    #[test]
    fn wraps_korean_by_display_width_at_spaces() {
        // Each syllable is two columns: "컨테이너는" is 10 columns.
        let lines = plain("컨테이너는 이미지로 만든 작은 상자입니다", 19);
        assert_eq!(
            lines,
            vec!["컨테이너는 이미지로", "만든 작은", "상자입니다"]
        );
        assert_fits(&lines, 19);
    }

    #[test]
    fn breaks_korean_without_spaces_between_syllables() {
        let lines = plain("도커이미지는레이어를쌓아서만든읽기전용템플릿입니다", 11);
        // 11 columns hold five syllables (10 columns); a sixth would split a wide char.
        assert_eq!(lines[0], "도커이미지");
        assert!(lines.iter().all(|l| str_width(l) <= 11));
        assert_eq!(
            lines.concat(),
            "도커이미지는레이어를쌓아서만든읽기전용템플릿입니다"
        );
    }

    #[test]
    fn long_word_breaks_between_characters() {
        let lines = plain("see https://example.com/a/very/long/path/name here", 12);
        assert_fits(&lines, 12);
        assert_eq!(
            lines.concat().replace(' ', ""),
            "seehttps://example.com/a/very/long/path/namehere"
        );
    }

    #[test]
    fn list_items_hang_their_wrapped_lines() {
        let lines = plain(
            "- 첫째 항목은 아주 길어서 다음 줄로 넘어갑니다\n- 둘째\n\n1. one two three four\n2. five",
            15,
        );
        assert_eq!(lines[0], "• 첫째 항목은");
        assert!(
            lines[1].starts_with("  ") && !lines[1].starts_with("   "),
            "{:?}",
            lines[1]
        );
        assert!(lines.contains(&"• 둘째".to_string()));
        let one = lines
            .iter()
            .position(|l| l.starts_with("1. "))
            .expect("numbered item");
        assert_eq!(lines[one], "1. one two");
        assert_eq!(lines[one + 1], "   three four");
        assert_eq!(lines[one + 2], "2. five");
        assert_fits(&lines, 15);
    }

    #[test]
    fn nested_lists_indent_further() {
        let lines = plain("- outer\n  - inner item that wraps here\n- next", 20);
        assert_eq!(lines[0], "• outer");
        assert_eq!(lines[1], "  ◦ inner item that");
        assert_eq!(lines[2], "    wraps here");
        assert_eq!(lines[3], "• next");
    }

    #[test]
    fn block_quote_has_a_bar_on_every_wrapped_line() {
        let lines = plain(
            "> 인용문은 여러 줄로 감싸져도 모든 줄에 막대가 있어야 합니다",
            16,
        );
        assert!(lines.len() >= 3);
        for l in &lines {
            assert!(l.starts_with("│ "), "{l:?}");
        }
        assert_fits(&lines, 16);
    }

    #[test]
    fn code_blocks_are_clipped_not_wrapped() {
        let src = "```sh\ndocker run --name web -p 8080:80 nginx:latest\nls\n```";
        let lines = plain(src, 20);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("›"), "{:?}", lines[0]);
        assert!(lines[0].starts_with(" docker run --name"));
        assert_eq!(str_width(&lines[0]), 20);
        assert_eq!(lines[1].trim_end(), " ls");
        assert_eq!(str_width(&lines[1]), 20);
    }

    #[test]
    fn code_block_clipping_never_splits_a_wide_char() {
        let lines = plain("```\necho 안녕하세요반갑습니다\n```", 14);
        assert_eq!(str_width(&lines[0]), 14);
        assert!(lines[0].contains('›'));
    }

    #[test]
    fn links_show_label_then_address() {
        let lines = plain("[도커 문서](https://docs.docker.com) 참고", 60);
        assert_eq!(lines[0], "도커 문서 (https://docs.docker.com) 참고");
        let styled = render("[docs](https://x.y)", 60, &Theme::plain());
        let addr = styled[0]
            .spans
            .iter()
            .find(|s| s.content.contains("https://x.y"))
            .expect("address span");
        assert!(addr.style.add_modifier.contains(Modifier::DIM));
    }

    #[test]
    fn autolinks_are_not_repeated() {
        let lines = plain("<https://example.com>", 60);
        assert_eq!(lines[0], "https://example.com");
    }

    #[test]
    fn inline_code_has_its_own_style() {
        let l = render("run `docker ps` now", 40, &Theme::plain());
        let code = l[0]
            .spans
            .iter()
            .find(|s| s.content == "docker ps")
            .expect("code span");
        assert_ne!(code.style, l[0].spans[0].style);
    }

    #[test]
    fn headings_and_rules() {
        let lines = plain("# 제목\n\ntext\n\n---\n\nafter", 10);
        assert_eq!(lines[0], "제목");
        assert_eq!(lines[1], "━".repeat(10));
        assert!(lines.contains(&"─".repeat(10)));
    }

    #[test]
    fn table_columns_align_by_display_width() {
        let src = "| 이름 | 설명 |\n|---|---|\n| busybox | 작은 이미지 |\n| 데비안 | OS |";
        let lines = plain(src, 40);
        // The second column starts at the same display column on every row.
        let col = |l: &str| {
            let idx = l.find('│').expect("separator");
            str_width(&l[..idx])
        };
        assert_eq!(col(&lines[0]), col(&lines[2]));
        assert_eq!(col(&lines[2]), col(&lines[3]));
        assert_eq!(col(&lines[0]), "busybox ".len());
        assert!(lines[1].contains('┼'));
    }

    #[test]
    fn wide_tables_wrap_their_cells_to_fit() {
        let src = "| a | b |\n|---|---|\n| 아주아주아주긴내용입니다 | 두번째열도길어요 |";
        let lines = plain(src, 20);
        assert_fits(&lines, 20);
        assert!(lines.len() > 3, "the row wraps: {lines:?}");
        let column = |i: usize| -> String {
            lines[2..]
                .iter()
                .map(|l| l.split('│').nth(i).unwrap_or("").trim().to_string())
                .collect()
        };
        assert_eq!(column(0), "아주아주아주긴내용입니다", "{lines:?}");
        assert_eq!(column(1), "두번째열도길어요", "{lines:?}");
    }

    #[test]
    fn wrapped_lines_never_exceed_width() {
        let src = "이것은 **굵은 글씨**와 *기울임*과 `코드`가 섞인 긴 문단입니다. 한국어와 English가 mixed 되어도 폭을 넘지 않아야 합니다.";
        for w in 4..40 {
            assert_fits(&plain(src, w), w as usize);
        }
    }
}
