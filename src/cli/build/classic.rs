//! The classic builder's lines (`DOCKER_BUILDKIT=0`): `Step 1/5 : …`, ` ---> Running in …`.

use std::io::Write;

use super::interrupted;
use crate::cli::format::human_size4;
use crate::engine::build::{BuildEvent, BuildProgress};
use crate::engine::image::{LayerStatus, PullProgress, short_hex};
use crate::i18n::t;

pub(super) struct Classic {
    pub(super) quiet: bool,
    pub(super) out: std::io::Stdout,
    /// A RUN's output ended without a newline: end its line before ours.
    pub(super) open_line: bool,
}

impl Classic {
    fn line(&mut self, s: &str) {
        if !self.quiet {
            if std::mem::take(&mut self.open_line) {
                let _ = writeln!(self.out);
            }
            let _ = writeln!(self.out, "{s}");
            let _ = self.out.flush();
        }
    }

    fn output(&mut self, data: &[u8]) {
        if !self.quiet && !data.is_empty() {
            self.open_line = !data.ends_with(b"\n");
            let _ = self.out.write_all(data);
            let _ = self.out.flush();
        }
    }
}

impl PullProgress for Classic {
    fn layer(&mut self, digest: &str, _size: u64, status: LayerStatus) {
        let short = short_hex(digest);
        match status {
            LayerStatus::AlreadyExists => self.line(&format!("{short}: Already exists")),
            LayerStatus::Complete => self.line(&format!("{short}: Pull complete")),
            LayerStatus::Pulling => {}
        }
    }
}

impl BuildProgress for Classic {
    fn event(&mut self, e: BuildEvent<'_>) {
        match e {
            BuildEvent::Context { tar_bytes, .. } => self.line(&format!(
                "Sending build context to Docker daemon  {}",
                human_size4(tar_bytes)
            )),
            BuildEvent::Step {
                n,
                total,
                instruction,
                ..
            } => self.line(&format!("Step {n}/{total} : {}", instruction.text)),
            BuildEvent::PullStarted(r) => {
                self.line(&format!("{}: Pulling from library/{}", r.tag, r.name))
            }
            BuildEvent::PullFinished(o) => {
                self.line(&format!("Digest: {}", o.manifest_digest));
                self.line(&format!(
                    "Status: Downloaded newer image for {}",
                    o.reference.full()
                ));
            }
            BuildEvent::Base { kind, short_id, .. } => {
                if kind != crate::engine::build::BaseKind::Scratch {
                    self.line(&format!(" ---> {short_id}"));
                }
            }
            BuildEvent::RunningIn(c) => self.line(&format!(" ---> Running in {c}")),
            BuildEvent::Output { data, .. } => self.output(data),
            BuildEvent::StartFailed(e) => {
                self.output(format!("{}\n", crate::cli::start_detail(e)).as_bytes())
            }
            BuildEvent::RemovedContainer(c) => {
                self.line(&format!(" ---> Removed intermediate container {c}"))
            }
            BuildEvent::UsingCache => self.line(" ---> Using cache"),
            BuildEvent::StepImage(short) => self.line(&format!(" ---> {short}")),
            BuildEvent::UnusedArgs(names) => self.line(&t(
                "build-unused-args",
                &[("names", &format!("[{}]", names.join(" ")))],
            )),
            BuildEvent::Parsed { .. }
            | BuildEvent::Metadata { .. }
            | BuildEvent::Exporting { .. }
            | BuildEvent::Tagged(_) => {}
        }
    }

    fn cancelled(&mut self) -> bool {
        interrupted()
    }
}
