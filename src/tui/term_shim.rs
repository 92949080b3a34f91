//! TEMPORARY stand-in for `super::term::keys::encode_key` until the tuiterm branch lands.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub fn encode_key(key: &KeyEvent, application_cursor: bool) -> Vec<u8> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let mut out = Vec::new();
    if alt {
        out.push(0x1b);
    }
    let arrow = |c: u8| {
        if application_cursor {
            vec![0x1b, b'O', c]
        } else {
            vec![0x1b, b'[', c]
        }
    };
    match key.code {
        KeyCode::Char(c) if ctrl && c.is_ascii_alphabetic() => {
            out.push((c.to_ascii_lowercase() as u8) & 0x1f)
        }
        KeyCode::Char(c) => {
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
        KeyCode::Enter => out.push(b'\r'),
        KeyCode::Backspace => out.push(0x7f),
        KeyCode::Tab => out.push(b'\t'),
        KeyCode::Esc => out.push(0x1b),
        KeyCode::Up => out.extend(arrow(b'A')),
        KeyCode::Down => out.extend(arrow(b'B')),
        KeyCode::Right => out.extend(arrow(b'C')),
        KeyCode::Left => out.extend(arrow(b'D')),
        KeyCode::Home => out.extend(b"\x1b[H"),
        KeyCode::End => out.extend(b"\x1b[F"),
        KeyCode::Delete => out.extend(b"\x1b[3~"),
        KeyCode::PageUp => out.extend(b"\x1b[5~"),
        KeyCode::PageDown => out.extend(b"\x1b[6~"),
        _ => {}
    }
    out
}
