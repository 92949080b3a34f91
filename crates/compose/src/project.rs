//! Loading a project: which files, `.env`, the project name, merging `-f` files, the model;
//! `config`'s output, each service's config hash and the start order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::ComposeError;
use crate::interp::{self, Vars};
use crate::model::{self, Ctx, Project, Service};
use crate::yaml::{self, Value};

/// The names compose looks for, in its order.
pub const FILE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f` files (empty: look in `cwd` and its parents).
    pub files: Vec<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// The process environment.
    pub env: BTreeMap<String, String>,
    pub cwd: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub project: Project,
    /// Compose's `WARN[0000]` lines (unset variables, obsolete `version`, several files).
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// `The "VAR" variable is not set. Defaulting to a blank string.`
    Unset(String),
    /// `FILE: the attribute `version` is obsolete, it will be ignored, please remove it …`
    Version(String),
    /// `Found multiple config files with supported names: A, B` / `Using A`.
    Multiple(Vec<String>),
}

/// Find the compose file in `dir` or its parents.
pub fn discover(dir: &Path) -> Result<(PathBuf, Vec<String>), ComposeError> {
    let mut d = Some(dir);
    while let Some(here) = d {
        let found: Vec<PathBuf> = FILE_NAMES
            .iter()
            .map(|n| here.join(n))
            .filter(|p| p.is_file())
            .collect();
        if let Some(first) = found.first() {
            let names = if found.len() > 1 {
                found.iter().map(|p| p.display().to_string()).collect()
            } else {
                Vec::new()
            };
            return Ok((first.clone(), names));
        }
        d = here.parent();
    }
    Err(ComposeError::NoConfig)
}

/// Compose's rule for a name taken from a folder: lower case, only `[a-z0-9_-]`, starting with
/// a letter or digit.
pub fn normalize_name(s: &str) -> String {
    let lower: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    lower
        .trim_start_matches(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .to_string()
}

pub fn valid_name(s: &str) -> bool {
    !s.is_empty() && normalize_name(s) == s
}

fn display_name(p: &Path, cwd: &Path) -> String {
    match p.strip_prefix(cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => p.display().to_string(),
    }
}

pub fn load(o: &LoadOptions) -> Result<Loaded, ComposeError> {
    let mut warnings = Vec::new();
    let files: Vec<PathBuf> = if o.files.is_empty() {
        let (f, multiple) = discover(&o.cwd)?;
        if !multiple.is_empty() {
            warnings.push(Warning::Multiple(multiple));
        }
        vec![f]
    } else {
        o.files
            .iter()
            .map(|f| PathBuf::from(model::absolute(&o.cwd, &f.to_string_lossy())))
            .collect()
    };
    let working_dir = files[0]
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| o.cwd.clone());
    let shown: Vec<String> = files.iter().map(|f| display_name(f, &o.cwd)).collect();

    // `.env` of the project directory, under the process environment.
    let mut vars = Vars { map: o.env.clone() };
    let env_path = working_dir.join(".env");
    if let Ok(text) = std::fs::read_to_string(&env_path) {
        let pairs = interp::parse_env_file(&text, &vars).map_err(|line| ComposeError::EnvFile {
            file: display_name(&env_path, &o.cwd),
            line,
        })?;
        for (k, v) in pairs {
            if let Some(v) = v {
                vars.map.entry(k).or_insert(v);
            }
        }
    }

    let mut root: Option<yaml::Node> = None;
    for (i, f) in files.iter().enumerate() {
        let text = std::fs::read_to_string(f).map_err(|e| ComposeError::Read {
            file: shown[i].clone(),
            detail: io_detail(&e),
        })?;
        let mut node = yaml::parse(&text).map_err(|e| ComposeError::Syntax {
            file: shown[i].clone(),
            line: e.line,
            message: e.message,
        })?;
        if !matches!(node.value, Value::Map(_)) {
            return Err(ComposeError::Invalid {
                file: shown[i].clone(),
                line: node.line,
                key: "(root)".into(),
                problem: crate::error::Problem::Type("object"),
            });
        }
        node.set_file(i as u16);
        if node.get("version").is_some() {
            warnings.push(Warning::Version(f.display().to_string()));
        }
        match &mut root {
            None => root = Some(node),
            Some(r) => r.merge(node, ""),
        }
    }
    let root = root.ok_or(ComposeError::NoConfig)?;

    let mut ctx = Ctx {
        files: &shown,
        vars: &vars,
        working_dir: &working_dir,
        unset: Vec::new(),
    };
    let explicit = o
        .project_name
        .clone()
        .or_else(|| vars.get("COMPOSE_PROJECT_NAME").map(str::to_string))
        .filter(|s| !s.is_empty());
    let name = match explicit {
        Some(n) => n,
        None => match root.get("name") {
            Some(n) if !n.is_null() => ctx.string(n, "name")?,
            _ => normalize_name(
                &working_dir
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ),
        },
    };
    if !valid_name(&name) {
        return Err(ComposeError::ProjectName(name));
    }
    let mut project = model::read_project(&mut ctx, &root, &name)?;
    project.config_files = files;
    for u in ctx.unset {
        warnings.push(Warning::Unset(u));
    }
    start_order(&project)?;
    Ok(Loaded { project, warnings })
}

fn io_detail(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Services in an order where each comes after what it depends on (ties by name).
pub fn start_order(p: &Project) -> Result<Vec<String>, ComposeError> {
    let mut done: Vec<String> = Vec::new();
    let mut left: Vec<&String> = p.services.keys().collect();
    while !left.is_empty() {
        let ready: Vec<&String> = left
            .iter()
            .copied()
            .filter(|s| p.services[*s].depends_on.keys().all(|d| done.contains(d)))
            .collect();
        if ready.is_empty() {
            let names: Vec<String> = left.iter().map(|s| s.to_string()).collect();
            return Err(ComposeError::Cycle(names.join(" -> ")));
        }
        for r in ready {
            done.push(r.clone());
            left.retain(|x| *x != r);
        }
    }
    Ok(done)
}

/// `docker compose config`: the normalised model as YAML.
pub fn config_yaml(p: &Project) -> String {
    serde_saphyr::to_string(p).unwrap_or_default()
}

/// The label `com.docker.compose.config-hash`: sha256 of the service's normalised form.
pub fn config_hash(s: &Service) -> String {
    let json = serde_json::to_vec(s).unwrap_or_default();
    hex::encode(Sha256::digest(&json))
}
