//! Typing commands headlessly for "reset this step".

use std::path::Path;
use std::process::{Command, Stdio};

/// Run each line in a shell whose `docker` is gorae; `progress(i, line)` before each.
pub fn replay(
    state: &Path,
    lines: &[String],
    progress: &mut dyn FnMut(usize, &str),
) -> Result<(), String> {
    let bin = state.join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let link = bin.join("docker");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&exe, &link).map_err(|e| format!("{}: {e}", link.display()))?;
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (i, line) in lines.iter().enumerate() {
        progress(i, line);
        let status = Command::new("sh")
            .arg("-c")
            .arg(line)
            .env("PATH", &path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("{line}: exit {}", status.code().unwrap_or(-1)));
        }
    }
    Ok(())
}
