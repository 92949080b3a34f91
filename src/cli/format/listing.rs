//! How a listing prints (`docker ps`/`docker images --format`): Docker's default table, a
//! custom template (optionally as a table), or one JSON object per line.

use gotmpl::{Scope, Template, TemplateError};
use serde_json::Value;

use super::tabwriter::tabwriter;

/// How a listing prints: Docker's default table, a custom template (optionally as a table), or
/// one JSON object per line.
pub enum Listing {
    Default,
    Custom { template: Template, table: bool },
}

impl Listing {
    /// Docker's `--format` value: "table" alone is the default table, "table …" a custom table,
    /// "json" one object per line; `\t` and `\n` typed literally become tab and newline.
    pub fn parse(format: Option<&str>) -> Result<Listing, TemplateError> {
        let Some(f) = format.filter(|f| !f.is_empty()) else {
            return Ok(Listing::Default);
        };
        let table = f.starts_with("table");
        let body = if table {
            f["table".len()..].trim_matches(' ')
        } else if f == "json" {
            "{{json .}}"
        } else {
            f.trim_matches(' ')
        };
        if table && body.is_empty() {
            return Ok(Listing::Default);
        }
        let body = body.replace("\\t", "\t").replace("\\n", "\n");
        Ok(Listing::Custom {
            template: Template::parse(&body)?,
            table,
        })
    }

    /// Render rows (each a JSON object of the context's fields) as Docker would.
    pub fn render(
        template: &Template,
        table: bool,
        rows: &[(Value, Scope)],
        headers: &Value,
    ) -> Result<String, TemplateError> {
        let mut body = String::new();
        for (row, scope) in rows {
            body.push_str(&template.execute(row, *scope).map_err(|(_, e)| e)?);
            body.push('\n');
        }
        if !table {
            return Ok(body);
        }
        // Docker ignores a header error and keeps what was written before it.
        let header = match template.execute(headers, Scope::Header) {
            Ok(h) => h,
            Err((partial, _)) => partial,
        };
        Ok(tabwriter(&format!("{header}\n{body}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Value {
        serde_json::json!({"ID": "0123456789ab", "Names": "web", "Image": "busybox", "Status": "Up 2 seconds", "Ports": ""})
    }

    fn ps_scope() -> Scope<'static> {
        Scope::Struct {
            go_type: "*formatter.ContainerContext",
            labels: None,
        }
    }

    #[test]
    fn listing_formats_follow_docker() {
        assert!(matches!(Listing::parse(None), Ok(Listing::Default)));
        assert!(matches!(
            Listing::parse(Some("table")),
            Ok(Listing::Default)
        ));
        let headers = serde_json::json!({"ID": "CONTAINER ID", "Names": "NAMES", "Ports": "PORTS"});
        let Ok(Listing::Custom { template, table }) =
            Listing::parse(Some("table {{.ID}}\\t{{.Names}}"))
        else {
            panic!("custom table");
        };
        assert!(table);
        let rows = vec![(row(), ps_scope())];
        assert_eq!(
            Listing::render(&template, table, &rows, &headers).unwrap(),
            "CONTAINER ID   NAMES\n0123456789ab   web\n"
        );
        // An empty last column keeps tabwriter's padding, as Docker prints it.
        let Ok(Listing::Custom { template, table }) =
            Listing::parse(Some("table {{.Names}}\t{{.Ports}}"))
        else {
            panic!("custom table");
        };
        assert_eq!(
            Listing::render(&template, table, &rows, &headers).unwrap(),
            "NAMES     PORTS\nweb       \n"
        );
        let Ok(Listing::Custom { template, table }) = Listing::parse(Some("json")) else {
            panic!("json");
        };
        assert!(!table);
        let out = Listing::render(&template, table, &rows, &headers).unwrap();
        assert!(
            out.starts_with("{\"ID\":\"0123456789ab\"") && out.ends_with("}\n"),
            "{out}"
        );
    }
}
