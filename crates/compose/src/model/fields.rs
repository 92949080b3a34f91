//! The readers of a service's fields with short and long forms (build, env_file, ports,
//! volumes, depends_on, healthcheck) and the short syntaxes they parse.

use super::*;

pub(super) fn read_build(ctx: &mut Ctx, x: &Node, key: &str) -> R<Build> {
    let mut b = Build {
        context: ctx.path("."),
        dockerfile: "Dockerfile".into(),
        args: BTreeMap::new(),
    };
    match &x.value {
        Value::Map(_) => {
            check_keys(ctx, x, key, &["context", "dockerfile", "args"])?;
            if let Some(c) = x.get("context") {
                let c = ctx.string(c, &format!("{key}.context"))?;
                b.context = ctx.path(&c);
            }
            if let Some(d) = x.get("dockerfile") {
                b.dockerfile = ctx.string(d, &format!("{key}.dockerfile"))?;
            }
            if let Some(a) = x.get("args") {
                for (ak, av) in ctx.key_values(a, &format!("{key}.args"))? {
                    let v = av.or_else(|| ctx.vars.get(&ak).map(str::to_string));
                    b.args.insert(ak, v);
                }
            }
        }
        _ => {
            let c = ctx.string(x, key)?;
            b.context = ctx.path(&c);
        }
    }
    Ok(b)
}

pub(super) fn read_env_files(
    ctx: &mut Ctx,
    x: &Node,
    key: &str,
    env: &mut BTreeMap<String, Option<String>>,
) -> R<()> {
    let mut files: Vec<(String, bool, &Node)> = Vec::new();
    match &x.value {
        Value::Seq(v) => {
            for (i, e) in v.iter().enumerate() {
                let ek = format!("{key}.{i}");
                if let Value::Map(_) = e.value {
                    check_keys(ctx, e, &ek, &["path", "required", "format"])?;
                    let p = match e.get("path") {
                        Some(p) => ctx.string(p, &format!("{ek}.path"))?,
                        None => return Err(ctx.invalid(e, &ek, Problem::Value("path".into()))),
                    };
                    let req = match e.get("required") {
                        Some(r) => ctx.bool(r, &format!("{ek}.required"))?,
                        None => true,
                    };
                    files.push((p, req, e));
                } else {
                    files.push((ctx.string(e, &ek)?, true, e));
                }
            }
        }
        _ => files.push((ctx.string(x, key)?, true, x)),
    }
    for (p, required, node) in files {
        let abs = ctx.path(&p);
        let text = match std::fs::read_to_string(&abs) {
            Ok(t) => t,
            Err(_) if !required => continue,
            Err(e) => {
                let _ = node;
                return Err(ComposeError::Read {
                    file: abs,
                    detail: e.to_string(),
                });
            }
        };
        let pairs =
            interp::parse_env_file(&text, ctx.vars).map_err(|line| ComposeError::EnvFile {
                file: abs.clone(),
                line,
            })?;
        for (k, v) in pairs {
            env.insert(k, v);
        }
    }
    Ok(())
}

pub(super) fn read_port(ctx: &mut Ctx, x: &Node, key: &str) -> R<Vec<Port>> {
    if let Value::Map(_) = x.value {
        check_keys(
            ctx,
            x,
            key,
            &[
                "target",
                "published",
                "host_ip",
                "protocol",
                "mode",
                "name",
                "app_protocol",
            ],
        )?;
        let target = match x.get("target") {
            Some(t) => {
                let s = ctx.string(t, &format!("{key}.target"))?;
                s.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| ctx.invalid(t, &format!("{key}.target"), Problem::Value(s)))?
            }
            None => return Err(ctx.invalid(x, key, Problem::Value("target".into()))),
        };
        let published = match x.get("published") {
            Some(p) => ctx.opt_string(p, &format!("{key}.published"))?,
            None => None,
        };
        let host_ip = match x.get("host_ip") {
            Some(h) => ctx.opt_string(h, &format!("{key}.host_ip"))?,
            None => None,
        };
        let protocol = match x.get("protocol") {
            Some(p) => ctx.string(p, &format!("{key}.protocol"))?,
            None => "tcp".into(),
        };
        if protocol != "tcp" {
            let at = x.get("protocol").unwrap_or(x);
            return Err(ctx.invalid(at, &format!("{key}.protocol"), Problem::Value(protocol)));
        }
        return Ok(vec![Port {
            mode: "ingress".into(),
            host_ip,
            target,
            published,
            protocol,
        }]);
    }
    let spec = ctx.string(x, key)?;
    parse_port(&spec).ok_or_else(|| ctx.invalid(x, key, Problem::Value(spec.clone())))
}

/// Short port syntax: `[IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/tcp]` (TCP only here).
pub fn parse_port(spec: &str) -> Option<Vec<Port>> {
    let (addr, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    if proto != "tcp" {
        return None;
    }
    let parts: Vec<&str> = addr.rsplitn(3, ':').collect();
    let (ip, host, cont) = match parts.as_slice() {
        [c] => (None, None, *c),
        [c, h] => (None, Some(*h).filter(|h| !h.is_empty()), *c),
        [c, h, ip] => (
            Some(ip.to_string()).filter(|i| !i.is_empty()),
            Some(*h).filter(|h| !h.is_empty()),
            *c,
        ),
        _ => return None,
    };
    let range = |s: &str| -> Option<(u16, u16)> {
        let (a, b) = s.split_once('-').unwrap_or((s, s));
        let (a, b) = (a.parse::<u16>().ok()?, b.parse::<u16>().ok()?);
        (a > 0 && a <= b).then_some((a, b))
    };
    let (c0, c1) = range(cont)?;
    let hosts = match host {
        Some(h) => Some(range(h)?),
        None => None,
    };
    let mut out = Vec::new();
    for (i, c) in (c0..=c1).enumerate() {
        let published = match hosts {
            Some((h0, h1)) if h0 == h1 => Some(h0.to_string()),
            Some((h0, h1)) => {
                if h1 - h0 != c1 - c0 {
                    return None;
                }
                Some((h0 + i as u16).to_string())
            }
            None => None,
        };
        out.push(Port {
            mode: "ingress".into(),
            host_ip: ip.clone(),
            target: c,
            published,
            protocol: "tcp".into(),
        });
    }
    Some(out)
}

pub(super) fn read_mount(
    ctx: &mut Ctx,
    service: &str,
    x: &Node,
    key: &str,
    volumes: &BTreeMap<String, Volume>,
) -> R<Mount> {
    let m = if let Value::Map(_) = x.value {
        check_keys(
            ctx,
            x,
            key,
            &[
                "type",
                "source",
                "target",
                "read_only",
                "bind",
                "volume",
                "tmpfs",
                "consistency",
            ],
        )?;
        let kind = match x.get("type") {
            Some(t) => ctx.string(t, &format!("{key}.type"))?,
            None => return Err(ctx.invalid(x, key, Problem::Value("type".into()))),
        };
        if !matches!(kind.as_str(), "volume" | "bind" | "tmpfs") {
            let at = x.get("type").unwrap_or(x);
            return Err(ctx.invalid(at, &format!("{key}.type"), Problem::Value(kind)));
        }
        let target = match x.get("target") {
            Some(t) => ctx.string(t, &format!("{key}.target"))?,
            None => return Err(ctx.invalid(x, key, Problem::Value("target".into()))),
        };
        let mut source = match x.get("source") {
            Some(s) => ctx.opt_string(s, &format!("{key}.source"))?,
            None => None,
        };
        if kind == "bind" {
            match &source {
                Some(s) => source = Some(ctx.path(s)),
                None => return Err(ctx.invalid(x, key, Problem::Value("source".into()))),
            }
        }
        let read_only = match x.get("read_only") {
            Some(r) => ctx.bool(r, &format!("{key}.read_only"))?,
            None => false,
        };
        let bind = match (kind.as_str(), x.get("bind")) {
            ("bind", Some(b)) => {
                check_keys(
                    ctx,
                    b,
                    &format!("{key}.bind"),
                    &["create_host_path", "propagation"],
                )?;
                let c = match b.get("create_host_path") {
                    Some(c) => ctx.bool(c, &format!("{key}.bind.create_host_path"))?,
                    None => false,
                };
                Some(BindOptions {
                    create_host_path: c,
                })
            }
            _ => None,
        };
        let volume = match (kind.as_str(), x.get("volume")) {
            ("volume", Some(v)) => {
                check_keys(ctx, v, &format!("{key}.volume"), &["nocopy", "subpath"])?;
                if let Some(sp) = v.get("subpath") {
                    return Err(ctx.invalid(
                        sp,
                        &format!("{key}.volume.subpath"),
                        Problem::Unsupported("subpath".into()),
                    ));
                }
                let nocopy = match v.get("nocopy") {
                    Some(c) => ctx.bool(c, &format!("{key}.volume.nocopy"))?,
                    None => false,
                };
                Some(VolumeOptions { nocopy })
            }
            ("volume", None) => Some(VolumeOptions::default()),
            _ => None,
        };
        Mount {
            kind,
            source,
            target,
            read_only,
            bind,
            volume,
        }
    } else {
        let spec = ctx.string(x, key)?;
        parse_volume(&spec, ctx.working_dir)
            .ok_or_else(|| ctx.invalid(x, key, Problem::Value(spec.clone())))?
    };
    if let Some(src) = m.source.as_ref().filter(|_| m.kind == "volume")
        && !volumes.contains_key(src)
    {
        return Err(ctx.invalid(
            x,
            key,
            Problem::UndefinedVolume(service.into(), src.clone()),
        ));
    }
    if !m.target.starts_with('/') {
        return Err(ctx.invalid(x, key, Problem::Value(m.target.clone())));
    }
    Ok(m)
}

/// Short volume syntax: `SRC:DST[:MODE]` or `DST` (anonymous). SRC starting with `.`, `/` or
/// `~` is a bind (relative to the project directory), otherwise a named volume.
pub fn parse_volume(spec: &str, base: &Path) -> Option<Mount> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (src, dst, mode) = match parts.as_slice() {
        [d] => (None, *d, ""),
        [s, d] => (Some(*s), *d, ""),
        [s, d, m] => (Some(*s), *d, *m),
        _ => return None,
    };
    let mut read_only = false;
    let mut nocopy = false;
    for m in mode.split(',').filter(|m| !m.is_empty()) {
        match m {
            "ro" => read_only = true,
            "rw" | "z" | "Z" => {}
            "nocopy" => nocopy = true,
            _ => return None,
        }
    }
    if dst.is_empty() {
        return None;
    }
    Some(match src {
        Some(s) if s.starts_with('.') || s.starts_with('/') || s.starts_with('~') => Mount {
            kind: "bind".into(),
            source: Some(absolute(base, s)),
            target: dst.into(),
            read_only,
            bind: Some(BindOptions {
                create_host_path: true,
            }),
            volume: None,
        },
        Some("") => return None,
        src => Mount {
            kind: "volume".into(),
            source: src.map(str::to_string),
            target: dst.into(),
            read_only,
            bind: None,
            volume: Some(VolumeOptions { nocopy }),
        },
    })
}

pub(super) fn read_depends(ctx: &mut Ctx, x: &Node, key: &str) -> R<BTreeMap<String, Dependency>> {
    let mut out = BTreeMap::new();
    match &x.value {
        Value::Seq(v) => {
            for (i, e) in v.iter().enumerate() {
                let s = ctx.string(e, &format!("{key}.{i}"))?;
                out.insert(
                    s,
                    Dependency {
                        condition: "service_started".into(),
                        required: true,
                        restart: false,
                    },
                );
            }
        }
        Value::Map(m) => {
            for (dk, dv) in m {
                let dkey = format!("{key}.{dk}");
                check_keys(ctx, dv, &dkey, &["condition", "required", "restart"])?;
                let mut d = Dependency {
                    condition: "service_started".into(),
                    required: true,
                    restart: false,
                };
                if let Some(c) = dv.get("condition") {
                    d.condition = ctx.string(c, &format!("{dkey}.condition"))?;
                    if !matches!(
                        d.condition.as_str(),
                        "service_started" | "service_healthy" | "service_completed_successfully"
                    ) {
                        return Err(ctx.invalid(
                            c,
                            &format!("{dkey}.condition"),
                            Problem::Value(d.condition.clone()),
                        ));
                    }
                }
                if let Some(r) = dv.get("required") {
                    d.required = ctx.bool(r, &format!("{dkey}.required"))?;
                }
                if let Some(r) = dv.get("restart") {
                    d.restart = ctx.bool(r, &format!("{dkey}.restart"))?;
                }
                out.insert(dk.clone(), d);
            }
        }
        _ => return Err(ctx.invalid(x, key, Problem::Type("array"))),
    }
    Ok(out)
}

pub(super) fn read_health(ctx: &mut Ctx, x: &Node, key: &str) -> R<Option<Healthcheck>> {
    check_keys(
        ctx,
        x,
        key,
        &[
            "test",
            "interval",
            "timeout",
            "retries",
            "start_period",
            "start_interval",
            "disable",
        ],
    )?;
    ctx.map(x, key)?;
    let mut h = Healthcheck {
        test: Vec::new(),
        timeout: None,
        interval: None,
        retries: None,
        start_period: None,
        start_interval: None,
        disable: false,
    };
    if let Some(d) = x.get("disable") {
        h.disable = ctx.bool(d, &format!("{key}.disable"))?;
    }
    if let Some(t) = x.get("test") {
        let tkey = format!("{key}.test");
        h.test = match &t.value {
            Value::Seq(_) => {
                let w = ctx.words(t, &tkey)?;
                match w.first().map(String::as_str) {
                    Some("CMD") | Some("CMD-SHELL") if w.len() > 1 => w,
                    Some("NONE") => w,
                    _ => return Err(ctx.invalid(t, &tkey, Problem::Value(w.join(" ")))),
                }
            }
            _ => vec!["CMD-SHELL".into(), ctx.string(t, &tkey)?],
        };
    }
    if h.test.first().map(String::as_str) == Some("NONE") {
        h.disable = true;
    }
    for f in ["interval", "timeout", "start_period", "start_interval"] {
        if let Some(d) = x.get(f) {
            let v = ctx.duration(d, &format!("{key}.{f}"))?;
            match f {
                "interval" => h.interval = Some(v),
                "timeout" => h.timeout = Some(v),
                "start_period" => h.start_period = Some(v),
                _ => h.start_interval = Some(v),
            }
        }
    }
    if let Some(r) = x.get("retries") {
        let s = ctx.string(r, &format!("{key}.retries"))?;
        h.retries = Some(
            s.parse::<u32>()
                .map_err(|_| ctx.invalid(r, &format!("{key}.retries"), Problem::Type("number")))?,
        );
    }
    if h.test.is_empty() && !h.disable {
        return Err(ctx.invalid(x, key, Problem::Value("test".into())));
    }
    Ok(Some(h))
}
