//! Docker's output conventions: tab-aligned tables, human durations and sizes, truncation,
//! and `--format` templates (the template engine is the `gotmpl` crate).

mod human;
mod listing;
mod tabwriter;

pub use gotmpl::{Scope, Template, TemplateError, go_quote};
pub use human::{
    ago, binary_size, cut, ellipsis, go_rfc3339, go_time, human_duration, human_size, human_size4,
    units_bytes,
};
pub use listing::Listing;
pub use tabwriter::{table, table_min, tabwriter};
