//! Key and mouse events → the bytes an xterm sends to the program in the terminal.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// The xterm modifier parameter: 1 + Shift(1) + Alt(2) + Ctrl(4); 1 means none.
fn modifier_param(mods: KeyModifiers) -> u8 {
    let mut m = 1;
    if mods.contains(KeyModifiers::SHIFT) {
        m += 1;
    }
    if mods.contains(KeyModifiers::ALT) {
        m += 2;
    }
    if mods.contains(KeyModifiers::CONTROL) {
        m += 4;
    }
    m
}

/// The control byte for Ctrl+`c`, as terminals map it (Ctrl-A \x01 … Ctrl-Z \x1a,
/// Ctrl-[ ESC, Ctrl-\ \x1c, Ctrl-] \x1d, Ctrl-^ \x1e, Ctrl-_ \x1f, Ctrl-Space/Ctrl-@ NUL,
/// and the digit-row aliases Ctrl-2 … Ctrl-8).
pub(crate) fn control_byte(c: char) -> Option<u8> {
    let b = match c {
        'a'..='z' => c as u8 - b'a' + 1,
        'A'..='Z' => c as u8 - b'A' + 1,
        '@' | ' ' | '2' => 0,
        '[' | '3' => 0x1b,
        '\\' | '4' => 0x1c,
        ']' | '5' => 0x1d,
        '^' | '~' | '6' => 0x1e,
        '_' | '-' | '/' | '7' => 0x1f,
        '?' | '8' => 0x7f,
        _ => return None,
    };
    Some(b)
}

/// A CSI key with a final byte (arrows, Home/End, F1–F4): `ESC [ X`, `ESC O X` in
/// application cursor mode (or SS3 for F1–F4), `ESC [ 1 ; m X` with modifiers.
fn csi_letter(letter: u8, mods: KeyModifiers, ss3: bool) -> Vec<u8> {
    let m = modifier_param(mods);
    if m > 1 {
        format!("\x1b[1;{m}{}", letter as char).into_bytes()
    } else if ss3 {
        vec![0x1b, b'O', letter]
    } else {
        vec![0x1b, b'[', letter]
    }
}

/// A "tilde" key (Insert, Delete, PageUp/Down, F5–F12): `ESC [ n ~` or `ESC [ n ; m ~`.
fn csi_tilde(n: u8, mods: KeyModifiers) -> Vec<u8> {
    let m = modifier_param(mods);
    if m > 1 {
        format!("\x1b[{n};{m}~").into_bytes()
    } else {
        format!("\x1b[{n}~").into_bytes()
    }
}

/// Encodes a key event for the shell, xterm-style: printable characters as UTF-8, Enter
/// `\r`, Backspace `\x7f`, Tab, BackTab `\x1b[Z`, Esc, arrows (`\x1b[A`, or `\x1bOA` when the
/// program turned on application cursor mode), Home/End, PageUp/Down, Insert/Delete, F1–F12,
/// Ctrl+letter as control bytes, Alt+key as ESC followed by the key, and modifiers on
/// arrows and function keys (`\x1b[1;5C` for Ctrl-Right). Key releases give nothing.
pub fn encode_key(key: &KeyEvent, application_cursor: bool) -> Vec<u8> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let mods = key.modifiers;
    let alt = mods.contains(KeyModifiers::ALT);
    let ctrl = mods.contains(KeyModifiers::CONTROL);
    let with_alt = |mut bytes: Vec<u8>| {
        if alt {
            bytes.insert(0, 0x1b);
        }
        bytes
    };
    match key.code {
        KeyCode::Char(c) => {
            if ctrl && let Some(b) = control_byte(c) {
                return with_alt(vec![b]);
            }
            let mut buf = [0u8; 4];
            with_alt(c.encode_utf8(&mut buf).as_bytes().to_vec())
        }
        KeyCode::Enter => with_alt(vec![b'\r']),
        KeyCode::Backspace => with_alt(vec![if ctrl { 0x08 } else { 0x7f }]),
        KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => b"\x1b[Z".to_vec(),
        KeyCode::Tab => with_alt(vec![b'\t']),
        KeyCode::BackTab => b"\x1b[Z".to_vec(),
        KeyCode::Esc => with_alt(vec![0x1b]),
        KeyCode::Up => csi_letter(b'A', mods, application_cursor),
        KeyCode::Down => csi_letter(b'B', mods, application_cursor),
        KeyCode::Right => csi_letter(b'C', mods, application_cursor),
        KeyCode::Left => csi_letter(b'D', mods, application_cursor),
        KeyCode::Home => csi_letter(b'H', mods, application_cursor),
        KeyCode::End => csi_letter(b'F', mods, application_cursor),
        KeyCode::Insert => csi_tilde(2, mods),
        KeyCode::Delete => csi_tilde(3, mods),
        KeyCode::PageUp => csi_tilde(5, mods),
        KeyCode::PageDown => csi_tilde(6, mods),
        KeyCode::F(n @ 1..=4) => csi_letter(b'P' + (n - 1), mods, true),
        KeyCode::F(n @ 5..=12) => {
            const CODES: [u8; 8] = [15, 17, 18, 19, 20, 21, 23, 24];
            csi_tilde(CODES[usize::from(n - 5)], mods)
        }
        KeyCode::Null => vec![0],
        _ => Vec::new(),
    }
}

/// Encodes a mouse event for a program that asked for mouse reporting (`mode`, from
/// `screen.mouse_protocol_mode()`), at `col`/`row` relative to the terminal's top-left cell.
/// Returns `None` when the program did not ask for this kind of event, so the app can use
/// it itself (e.g. the wheel scrolls the scrollback).
pub fn encode_mouse(
    event: &MouseEvent,
    col: u16,
    row: u16,
    mode: vt100::MouseProtocolMode,
    encoding: vt100::MouseProtocolEncoding,
) -> Option<Vec<u8>> {
    use vt100::MouseProtocolMode as Mode;
    let button_code = |b: MouseButton| match b {
        MouseButton::Left => 0u16,
        MouseButton::Middle => 1,
        MouseButton::Right => 2,
    };
    let (mut code, release) = match event.kind {
        MouseEventKind::Down(b) => (button_code(b), false),
        MouseEventKind::Up(b) => (button_code(b), true),
        MouseEventKind::Drag(b) => (button_code(b) + 32, false),
        MouseEventKind::Moved => (3 + 32, false),
        MouseEventKind::ScrollUp => (64, false),
        MouseEventKind::ScrollDown => (65, false),
        MouseEventKind::ScrollLeft => (66, false),
        MouseEventKind::ScrollRight => (67, false),
    };
    let wanted = match mode {
        Mode::None => false,
        Mode::Press => matches!(
            event.kind,
            MouseEventKind::Down(_)
                | MouseEventKind::ScrollUp
                | MouseEventKind::ScrollDown
                | MouseEventKind::ScrollLeft
                | MouseEventKind::ScrollRight
        ),
        Mode::PressRelease => {
            !matches!(event.kind, MouseEventKind::Drag(_) | MouseEventKind::Moved)
        }
        Mode::ButtonMotion => !matches!(event.kind, MouseEventKind::Moved),
        Mode::AnyMotion => true,
    };
    if !wanted {
        return None;
    }
    if event.modifiers.contains(KeyModifiers::SHIFT) {
        code += 4;
    }
    if event.modifiers.contains(KeyModifiers::ALT) {
        code += 8;
    }
    if event.modifiers.contains(KeyModifiers::CONTROL) {
        code += 16;
    }
    let (x, y) = (u32::from(col) + 1, u32::from(row) + 1);
    match encoding {
        vt100::MouseProtocolEncoding::Sgr => {
            let fin = if release { 'm' } else { 'M' };
            Some(format!("\x1b[<{code};{x};{y}{fin}").into_bytes())
        }
        vt100::MouseProtocolEncoding::Default | vt100::MouseProtocolEncoding::Utf8 => {
            // Legacy encodings cannot say which button was released.
            let code = if release { 3 + (code & !3) } else { code };
            let mut out = b"\x1b[M".to_vec();
            for v in [u32::from(code) + 32, x + 32, y + 32] {
                if encoding == vt100::MouseProtocolEncoding::Utf8 {
                    let c = char::from_u32(v)?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                } else {
                    out.push(u8::try_from(v).ok()?);
                }
            }
            Some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    #[test]
    fn keys_encode_like_xterm() {
        let none = KeyModifiers::NONE;
        let ctrl = KeyModifiers::CONTROL;
        let alt = KeyModifiers::ALT;
        let shift = KeyModifiers::SHIFT;
        let table: Vec<(KeyEvent, &[u8])> = vec![
            (key(KeyCode::Char('a'), none), b"a"),
            (key(KeyCode::Char('A'), shift), b"A"),
            (key(KeyCode::Char('한'), none), "한".as_bytes()),
            (key(KeyCode::Enter, none), b"\r"),
            (key(KeyCode::Backspace, none), b"\x7f"),
            (key(KeyCode::Tab, none), b"\t"),
            (key(KeyCode::BackTab, shift), b"\x1b[Z"),
            (key(KeyCode::Esc, none), b"\x1b"),
            (key(KeyCode::Up, none), b"\x1b[A"),
            (key(KeyCode::Down, none), b"\x1b[B"),
            (key(KeyCode::Right, none), b"\x1b[C"),
            (key(KeyCode::Left, none), b"\x1b[D"),
            (key(KeyCode::Home, none), b"\x1b[H"),
            (key(KeyCode::End, none), b"\x1b[F"),
            (key(KeyCode::PageUp, none), b"\x1b[5~"),
            (key(KeyCode::PageDown, none), b"\x1b[6~"),
            (key(KeyCode::Insert, none), b"\x1b[2~"),
            (key(KeyCode::Delete, none), b"\x1b[3~"),
            (key(KeyCode::F(1), none), b"\x1bOP"),
            (key(KeyCode::F(4), none), b"\x1bOS"),
            (key(KeyCode::F(5), none), b"\x1b[15~"),
            (key(KeyCode::F(10), none), b"\x1b[21~"),
            (key(KeyCode::F(11), none), b"\x1b[23~"),
            (key(KeyCode::F(12), none), b"\x1b[24~"),
            (key(KeyCode::Char('c'), ctrl), b"\x03"),
            (key(KeyCode::Char('d'), ctrl), b"\x04"),
            (key(KeyCode::Char('z'), ctrl), b"\x1a"),
            (key(KeyCode::Char('p'), ctrl), b"\x10"),
            (key(KeyCode::Char('q'), ctrl), b"\x11"),
            (key(KeyCode::Char('C'), ctrl | shift), b"\x03"),
            (key(KeyCode::Char('\\'), ctrl), b"\x1c"),
            (key(KeyCode::Char('['), ctrl), b"\x1b"),
            (key(KeyCode::Char(']'), ctrl), b"\x1d"),
            (key(KeyCode::Char(' '), ctrl), b"\x00"),
            (key(KeyCode::Char('x'), alt), b"\x1bx"),
            (key(KeyCode::Char('b'), alt), b"\x1bb"),
            (key(KeyCode::Backspace, alt), b"\x1b\x7f"),
            (key(KeyCode::Right, ctrl), b"\x1b[1;5C"),
            (key(KeyCode::Left, ctrl), b"\x1b[1;5D"),
            (key(KeyCode::Up, shift), b"\x1b[1;2A"),
            (key(KeyCode::Down, alt), b"\x1b[1;3B"),
            (key(KeyCode::Home, ctrl), b"\x1b[1;5H"),
            (key(KeyCode::Delete, ctrl), b"\x1b[3;5~"),
            (key(KeyCode::F(1), shift), b"\x1b[1;2P"),
            (key(KeyCode::F(5), ctrl), b"\x1b[15;5~"),
        ];
        for (event, want) in table {
            assert_eq!(
                encode_key(&event, false),
                want,
                "{:?} {:?}",
                event.code,
                event.modifiers
            );
        }
    }

    #[test]
    fn application_cursor_mode_uses_ss3_for_unmodified_arrows() {
        let none = KeyModifiers::NONE;
        assert_eq!(encode_key(&key(KeyCode::Up, none), true), b"\x1bOA");
        assert_eq!(encode_key(&key(KeyCode::Left, none), true), b"\x1bOD");
        assert_eq!(encode_key(&key(KeyCode::Home, none), true), b"\x1bOH");
        // Modified arrows keep the CSI form in application mode too.
        assert_eq!(
            encode_key(&key(KeyCode::Right, KeyModifiers::CONTROL), true),
            b"\x1b[1;5C"
        );
    }

    #[test]
    fn key_releases_send_nothing() {
        let mut k = key(KeyCode::Char('a'), KeyModifiers::NONE);
        k.kind = KeyEventKind::Release;
        assert!(encode_key(&k, false).is_empty());
    }

    #[test]
    fn mouse_is_reported_only_when_asked_for() {
        use vt100::{MouseProtocolEncoding as Enc, MouseProtocolMode as Mode};
        let ev = |kind| MouseEvent {
            kind,
            column: 0,
            row: 0,
            modifiers: KeyModifiers::NONE,
        };
        let wheel = ev(MouseEventKind::ScrollUp);
        assert_eq!(encode_mouse(&wheel, 4, 2, Mode::None, Enc::Sgr), None);
        assert_eq!(
            encode_mouse(&wheel, 4, 2, Mode::PressRelease, Enc::Sgr),
            Some(b"\x1b[<64;5;3M".to_vec())
        );
        let up = ev(MouseEventKind::Up(MouseButton::Left));
        assert_eq!(
            encode_mouse(&up, 0, 0, Mode::PressRelease, Enc::Sgr),
            Some(b"\x1b[<0;1;1m".to_vec())
        );
        assert_eq!(
            encode_mouse(&up, 0, 0, Mode::PressRelease, Enc::Default),
            Some(b"\x1b[M#!!".to_vec())
        );
        assert_eq!(encode_mouse(&up, 0, 0, Mode::Press, Enc::Sgr), None);
        let moved = ev(MouseEventKind::Moved);
        assert_eq!(
            encode_mouse(&moved, 0, 0, Mode::ButtonMotion, Enc::Sgr),
            None
        );
    }
}

/// The bytes to type for one line of a lesson's solution: the line and Enter, or, for a line
/// made only of key tokens like `<C-p><C-q>` (Ctrl-P Ctrl-Q, to detach), just those keys.
pub fn solution_bytes(line: &str) -> Vec<u8> {
    let mut keys = Vec::new();
    let mut rest = line.trim();
    while let Some(tok) = rest.strip_prefix("<C-") {
        let mut chars = tok.chars();
        match (chars.next(), chars.next()) {
            (Some(c), Some('>')) if c.is_ascii_alphabetic() || "[\\]^_@".contains(c) => {
                keys.push((c.to_ascii_uppercase() as u8) & 0x1f);
                rest = &tok[2..];
            }
            _ => break,
        }
    }
    if !keys.is_empty() && rest.is_empty() {
        return keys;
    }
    let mut bytes = line.replace(['\r', '\n'], " ").into_bytes();
    bytes.push(b'\r');
    bytes
}

#[cfg(test)]
mod solution_tests {
    use super::solution_bytes;

    #[test]
    fn key_tokens_become_control_bytes_without_enter() {
        assert_eq!(solution_bytes("<C-p><C-q>"), vec![0x10, 0x11]);
        assert_eq!(solution_bytes("<C-c>"), vec![0x03]);
        assert_eq!(solution_bytes("echo <C-p>"), b"echo <C-p>\r".to_vec());
        assert_eq!(solution_bytes("ls"), b"ls\r".to_vec());
    }
}
