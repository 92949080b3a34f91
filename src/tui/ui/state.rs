//! The state panel: images with their layers, and under each image the containers made from
//! it (running green, exited grey), then the volumes and who uses them, then the networks and
//! their members, live from the engine snapshot.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::cli::format::human_size;
use crate::engine::image::short_hex;
use crate::engine::{ContainerInfo, ImageInfo, NetworkInfo, VolumeInfo};
use crate::i18n::t;
use crate::tui::model::App;
use crate::tui::text::{clip_str, str_width};
use crate::tui::theme::Theme;

fn container_line(c: &ContainerInfo, th: &Theme, indent: &str) -> Line<'static> {
    let (dot, style) = match c.state.as_str() {
        "running" => ("●", th.running()),
        _ => ("○", th.exited()),
    };
    let state = match c.state.as_str() {
        "running" => t("tui_state_running", &[]),
        "exited" => t(
            "tui_state_exited",
            &[("code", &c.exit_code.unwrap_or(0).to_string())],
        ),
        "restarting" => t(
            "tui_state_restarting",
            &[("code", &c.exit_code.unwrap_or(0).to_string())],
        ),
        other => other.to_string(),
    };
    let mut spans = vec![
        Span::raw(indent.to_string()),
        Span::styled(format!("{dot} "), style),
        Span::styled(c.name.clone(), style),
        Span::styled(format!("  {}  ", short_hex(&c.id)), th.dim()),
        Span::styled(state, style),
    ];
    if !c.ports.is_empty() {
        let ports: Vec<String> = c
            .ports
            .iter()
            .map(|p| {
                format!(
                    "{}:{}→{}/{}",
                    p.host_ip, p.host_port, p.container_port, p.proto
                )
            })
            .collect();
        spans.push(Span::styled(format!("  {}", ports.join(", ")), th.hint()));
    }
    Line::from(spans)
}

fn image_lines(img: &ImageInfo, children: &[&ContainerInfo], th: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let name = if img.tags.is_empty() {
        "<none>".to_string()
    } else {
        img.tags.join(", ")
    };
    out.push(Line::from(vec![
        Span::styled("■ ".to_string(), th.h2()),
        Span::styled(name, th.h3()),
        Span::styled(format!("  {}  ", short_hex(&img.id)), th.dim()),
        Span::raw(human_size(img.size)),
    ]));
    let n = img.layers.len();
    for (i, layer) in img.layers.iter().enumerate() {
        let size = img.layer_sizes.get(i).copied().unwrap_or(0);
        // `docker history`'s text without the legacy builder's `/bin/sh -c #(nop) ` marker
        // or BuildKit's ` # buildkit`.
        let hist = img.history.get(i).map_or("", |h| {
            let h = h.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(h);
            h.strip_suffix(" # buildkit").unwrap_or(h).trim()
        });
        let branch = if i + 1 == n && children.is_empty() {
            "  └ "
        } else {
            "  ├ "
        };
        out.push(Line::from(vec![
            Span::styled(branch.to_string(), th.dim()),
            Span::styled(format!("{} ", short_hex(layer)), th.dim()),
            Span::raw(format!("{:>8}  ", human_size(size))),
            Span::styled(hist.to_string(), th.dim()),
        ]));
    }
    for (i, c) in children.iter().enumerate() {
        let branch = if i + 1 == children.len() {
            "  └▶ "
        } else {
            "  ├▶ "
        };
        out.push(container_line(c, th, branch));
    }
    out
}

pub fn lines(app: &App) -> Vec<Line<'static>> {
    let th = &app.theme;
    let snap = &app.snapshot;
    // Build steps' images stay out of sight, as in `docker images`.
    let images: Vec<&ImageInfo> = snap.images.iter().filter(|i| !i.intermediate).collect();
    let running = snap
        .containers
        .iter()
        .filter(|c| c.state == "running")
        .count();
    let mut out = vec![Line::from(Span::styled(
        t(
            "tui_state_summary",
            &[
                ("images", &images.len().to_string()),
                ("containers", &snap.containers.len().to_string()),
                ("running", &running.to_string()),
            ],
        ),
        th.dim(),
    ))];
    let networks: Vec<&NetworkInfo> = snap.networks.iter().filter(|n| shown(n)).collect();
    if images.is_empty()
        && snap.containers.is_empty()
        && snap.volumes.is_empty()
        && networks.is_empty()
    {
        out.push(Line::from(Span::styled(
            t("tui_state_empty", &[]),
            th.dim(),
        )));
        return out;
    }
    for img in &images {
        let children: Vec<&ContainerInfo> = snap
            .containers
            .iter()
            .filter(|c| c.image_id == img.id)
            .collect();
        out.extend(image_lines(img, &children, th));
    }
    let orphans: Vec<&ContainerInfo> = snap
        .containers
        .iter()
        .filter(|c| !images.iter().any(|i| i.id == c.image_id))
        .collect();
    if !orphans.is_empty() {
        out.push(Line::from(Span::styled(
            t("tui_state_other_containers", &[]),
            th.h3(),
        )));
        for c in orphans {
            let mut l = container_line(c, th, "  ");
            l.spans
                .push(Span::styled(format!("  ({})", c.image), th.dim()));
            out.push(l);
        }
    }
    if !snap.volumes.is_empty() {
        out.push(Line::from(Span::styled(
            t("tui_state_volumes", &[]),
            th.h3(),
        )));
        out.extend(snap.volumes.iter().map(|v| volume_line(v, th)));
    }
    if !networks.is_empty() {
        out.push(Line::from(Span::styled(
            t("tui_state_networks", &[]),
            th.h3(),
        )));
        out.extend(networks.iter().map(|n| network_line(n, th)));
    }
    out
}

/// User-defined networks always; the default `bridge` once a container uses it; never `host`
/// and `none` (always there, nothing to see).
fn shown(n: &NetworkInfo) -> bool {
    match n.name.as_str() {
        "host" | "none" => false,
        "bridge" => !n.members.is_empty(),
        _ => true,
    }
}

/// `⇄ front 172.18.0.0/16  web 172.18.0.2, db` (a stopped member without its address).
fn network_line(n: &NetworkInfo, th: &Theme) -> Line<'static> {
    let members = if n.members.is_empty() {
        Span::styled(t("tui_state_network_unused", &[]), th.dim())
    } else {
        let list: Vec<String> = n
            .members
            .iter()
            .map(|m| {
                if m.address.is_empty() {
                    m.name.clone()
                } else {
                    format!("{} {}", m.name, m.address)
                }
            })
            .collect();
        Span::styled(list.join(", "), th.hint())
    };
    Line::from(vec![
        Span::styled("  ⇄ ".to_string(), th.h2()),
        Span::raw(n.name.clone()),
        Span::styled(format!(" {}", n.subnet), th.dim()),
        Span::raw("  "),
        members,
    ])
}

/// `▤ data  web, db` (an anonymous volume by its short name, marked so).
fn volume_line(v: &VolumeInfo, th: &Theme) -> Line<'static> {
    let name = if v.anonymous {
        format!("{} ({})", short_hex(&v.name), t("tui_state_anonymous", &[]))
    } else {
        v.name.clone()
    };
    let users = if v.containers.is_empty() {
        Span::styled(t("tui_state_volume_unused", &[]), th.dim())
    } else {
        Span::styled(v.containers.join(", "), th.hint())
    };
    Line::from(vec![
        Span::styled("  ▤ ".to_string(), th.h2()),
        Span::raw(name),
        Span::raw("  "),
        users,
    ])
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let w = area.width as usize;
    let all = lines(app);
    // The wheel's offset, kept in range as the snapshot shrinks.
    let skip = app
        .state_scroll
        .min(all.len().saturating_sub(area.height as usize));
    let clipped: Vec<Line<'static>> = all
        .into_iter()
        .skip(skip)
        .map(|l| clip_line(l, w))
        .collect();
    Paragraph::new(clipped).render(area, buf);
}

/// Cut a line to `width` columns, marking the cut with `…`.
pub fn clip_line(l: Line<'static>, width: usize) -> Line<'static> {
    let total: usize = l.spans.iter().map(|s| str_width(&s.content)).sum();
    if total <= width {
        return l;
    }
    let mut out = Vec::new();
    let mut used = 0;
    let room = width.saturating_sub(1);
    let mut last = Style::new();
    for s in l.spans {
        last = s.style;
        let (text, w) = clip_str(&s.content, room - used);
        used += w;
        let cut = w < str_width(&s.content);
        out.push(Span::styled(text, s.style));
        if cut || used >= room {
            break;
        }
    }
    out.push(Span::styled("…", last));
    Line::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn volumes_show_who_uses_them_and_anonymous_ones_by_short_name() {
        let th = Theme::plain();
        let v = VolumeInfo {
            name: "data".into(),
            anonymous: false,
            mountpoint: "/s/volumes/data/_data".into(),
            containers: vec!["web".into(), "db".into()],
            created: 0,
        };
        assert_eq!(text(&volume_line(&v, &th)), "  ▤ data  web, db");
        let anon = VolumeInfo {
            name: "ab".repeat(32),
            anonymous: true,
            containers: vec![],
            ..v
        };
        let line = text(&volume_line(&anon, &th));
        assert!(line.starts_with("  ▤ abababababab ("), "{line}");
        assert!(!line.contains(&"ab".repeat(7)), "{line}");
    }

    #[test]
    fn networks_show_their_members_and_hide_the_quiet_predefined_ones() {
        use crate::engine::snapshot::NetworkMember;
        let th = Theme::plain();
        let member = |name: &str, address: &str| NetworkMember {
            container_id: "c".into(),
            name: name.into(),
            aliases: vec![],
            address: address.into(),
        };
        let n = NetworkInfo {
            id: "i".into(),
            name: "front".into(),
            driver: "bridge".into(),
            subnet: "172.18.0.0/16".into(),
            gateway: "172.18.0.1".into(),
            members: vec![member("web", "172.18.0.2"), member("db", "")],
        };
        assert_eq!(
            text(&network_line(&n, &th)),
            "  ⇄ front 172.18.0.0/16  web 172.18.0.2, db"
        );
        assert!(shown(&n));
        let bridge = NetworkInfo {
            name: "bridge".into(),
            members: vec![],
            ..n.clone()
        };
        assert!(!shown(&bridge));
        assert!(!shown(&NetworkInfo {
            name: "host".into(),
            ..n
        }));
    }
}
