//! Docker's tables: [`table`] for fixed rows, [`tabwriter`] for Go's text/tabwriter as
//! Docker's `table …` formats use it. Widths are display columns (Korean takes two).

use unicode_width::UnicodeWidthStr;

/// Docker's tables: every column but the last padded to max(width + 3, 10) display columns.
pub fn table(rows: &[Vec<String>]) -> String {
    table_min(rows, 10)
}

/// [`table`] with columns at least `min` wide (`docker top`'s tabwriter has minwidth 20).
pub fn table_min(rows: &[Vec<String>], min: usize) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.width());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let target = (widths[i] + 3).max(min);
                line.push_str(&" ".repeat(target - cell.width()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Go's text/tabwriter as Docker configures it (minwidth 10, padding 3, spaces): cells are
/// tab-terminated, the text after a line's last tab is not aligned, and a column's width is
/// set per block of consecutive lines that have that column. Widths are display columns.
pub fn tabwriter(text: &str) -> String {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<Vec<&str>> = body.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::new();
    let mut widths = Vec::new();
    tab_format(&lines, 0, lines.len(), &mut widths, &mut out);
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn tab_format(
    lines: &[Vec<&str>],
    mut line0: usize,
    line1: usize,
    widths: &mut Vec<usize>,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        tab_write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut width = 10;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(lines[this][column].width() + 3);
            this += 1;
        }
        widths.push(width);
        tab_format(lines, line0, this, widths, out);
        widths.pop();
        line0 = this;
    }
    tab_write_lines(lines, line0, line1, widths, out);
}

fn tab_write_lines(
    lines: &[Vec<&str>],
    line0: usize,
    line1: usize,
    widths: &[usize],
    out: &mut String,
) {
    for (i, line) in lines.iter().enumerate().take(line1).skip(line0) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j + 1 < line.len()
                && let Some(w) = widths.get(j)
            {
                out.push_str(&" ".repeat(w.saturating_sub(cell.width())));
            }
        }
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_like_tabwriter() {
        let t = table(&[
            vec!["CONTAINER ID".into(), "IMAGE".into(), "NAMES".into()],
            vec!["0123456789ab".into(), "busybox".into(), "x".into()],
        ]);
        assert_eq!(
            t,
            "CONTAINER ID   IMAGE     NAMES\n0123456789ab   busybox   x\n"
        );
    }

    #[test]
    fn tabwriter_aligns_per_column_block() {
        assert_eq!(
            tabwriter("a\tb\tc\nlonger-than-ten\tx\ty\n"),
            "a                 b         c\nlonger-than-ten   x         y\n"
        );
        // A line without the column ends the block: widths restart after it.
        assert_eq!(
            tabwriter("aaaaaaaaaaaaaaa\tx\nno-tabs\nb\ty\n"),
            "aaaaaaaaaaaaaaa   x\nno-tabs\nb         y\n"
        );
        assert_eq!(tabwriter("한글\tx\n"), "한글      x\n");
    }
}
