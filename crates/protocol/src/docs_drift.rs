//! `docs/protocol.md` against the crate: the frame tables of §9 list exactly the frame types
//! the enums produce or accept, each with exactly the fields a frame of that type has (and the
//! optional ones marked `?`); the error code table of §10 is `ErrorCode::ALL` with its HTTP
//! statuses, and the close code table of §11 is `close::ALL` with whether to reconnect.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::close;
use crate::error::ErrorCode;
use crate::frames::ClientFrame;
use crate::samples;

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.md");
    match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => panic!("cannot read {path}: {e}"),
    }
}

/// Splits `text` on `sep` where it is outside backticks and brackets of any kind.
fn split_top(text: &str, sep: char) -> Vec<String> {
    let (mut parts, mut part) = (Vec::new(), String::new());
    let (mut depth, mut code, mut escaped) = (0i32, false, false);
    for ch in text.chars() {
        if escaped {
            escaped = false;
            part.push(ch);
            continue;
        }
        match ch {
            '\\' => escaped = true,
            '`' => code = !code,
            '(' | '[' | '{' if !code => depth += 1,
            ')' | ']' | '}' if !code => depth -= 1,
            c if c == sep && !code && depth == 0 => {
                parts.push(std::mem::take(&mut part));
                continue;
            }
            _ => {}
        }
        part.push(ch);
    }
    parts.push(part);
    parts
}

/// The one table of the section headed `heading` (up to the next heading): its header cells
/// and rows. Cells are split on `|` except `\|`, which stays as `|`.
fn table(doc: &str, heading: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let lines: Vec<&str> = doc.lines().collect();
    let starts: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == heading).collect();
    assert_eq!(
        starts.len(),
        1,
        "protocol.md has {} `{heading}`",
        starts.len()
    );
    let section: Vec<&str> = lines[starts[0] + 1..]
        .iter()
        .take_while(|l| !l.starts_with('#'))
        .copied()
        .collect();
    let first = section.iter().position(|l| l.starts_with('|'));
    let first = first.unwrap_or_else(|| panic!("no table under `{heading}`"));
    let rows: Vec<Vec<String>> = section[first..]
        .iter()
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let inner = l.trim().trim_start_matches('|');
            let inner = inner
                .strip_suffix('|')
                .unwrap_or_else(|| panic!("row not closed: {l}"));
            let mut cells = Vec::new();
            let mut cell = String::new();
            let mut chars = inner.chars().peekable();
            while let Some(ch) = chars.next() {
                match ch {
                    '\\' if chars.peek() == Some(&'|') => {
                        cell.push('|');
                        chars.next();
                    }
                    '|' => cells.push(std::mem::take(&mut cell).trim().to_owned()),
                    c => cell.push(c),
                }
            }
            cells.push(cell.trim().to_owned());
            cells
        })
        .collect();
    let rest = &section[first + rows.len()..];
    assert!(
        !rest.iter().any(|l| l.starts_with('|')),
        "a second table under `{heading}`"
    );
    assert!(rows.len() >= 3, "table under `{heading}` has no rows");
    let header = rows[0].clone();
    assert!(
        rows[1]
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':')),
        "no separator row under `{heading}`'s header"
    );
    for row in &rows[2..] {
        assert_eq!(
            row.len(),
            header.len(),
            "row with another cell count: {row:?}"
        );
    }
    (header, rows[2..].to_vec())
}

/// `\`name\`` alone in a cell.
fn code_cell(cell: &str) -> String {
    let name = cell
        .strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .filter(|n| !n.is_empty() && !n.contains('`'));
    name.unwrap_or_else(|| panic!("expected one `code` span, found {cell:?}"))
        .to_owned()
}

#[derive(Debug, Default)]
struct DocFields {
    all: BTreeSet<String>,
    optional: BTreeSet<String>,
}

/// A fields cell: `none`, or `;`-separated parts that each start with a code span naming the
/// field, `?` inside it marking an optional one (`\`token?\`: string`).
fn fields(cell: &str, tag: &str) -> DocFields {
    let mut out = DocFields::default();
    if cell == "none" {
        return out;
    }
    for part in split_top(cell, ';') {
        let part = part.trim();
        let name = part
            .strip_prefix('`')
            .and_then(|p| p.split_once('`'))
            .map(|(name, _)| name)
            .unwrap_or_else(|| {
                panic!("`{tag}`: a field part does not start with a `name`: {part:?}")
            });
        let (name, optional) = match name.strip_suffix('?') {
            Some(n) => (n, true),
            None => (name, false),
        };
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "`{tag}`: not a field name: {name:?}"
        );
        assert!(out.all.insert(name.to_owned()), "`{tag}`: `{name}` twice");
        if optional {
            out.optional.insert(name.to_owned());
        }
    }
    out
}

/// The example, when it is a frame, is one of this row's type.
fn check_example(cell: &str, tag: &str) {
    if let Some((_, rest)) = cell.split_once("\"type\":\"") {
        let example_tag = rest.split('"').next().unwrap_or_default();
        assert_eq!(
            example_tag, tag,
            "the example of `{tag}` is a `{example_tag}`"
        );
    }
}

fn keys<T: Serialize>(frame: &T) -> (String, BTreeSet<String>) {
    let v = serde_json::to_value(frame).unwrap_or_default();
    let Value::Object(map) = v else {
        panic!("a frame that is not an object")
    };
    let tag = map
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let keys = map.keys().filter(|k| *k != "type").cloned().collect();
    (tag, keys)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn client_frames_are_documented_as_the_crate_accepts_them() {
    let (header, rows) = table(&doc(), "### 9.1 Client frames");
    assert_eq!(
        header,
        [
            "`type`",
            "Fields (besides optional `id`)",
            "Answer",
            "Example"
        ]
    );
    let documented: Vec<String> = rows.iter().map(|r| code_cell(&r[0])).collect();
    let mut listed = documented.clone();
    listed.sort();
    listed.dedup();
    assert_eq!(
        listed.len(),
        documented.len(),
        "a client frame documented twice"
    );
    let mut types: Vec<String> = ClientFrame::TYPES.iter().map(|t| (*t).to_owned()).collect();
    types.sort();
    assert_eq!(
        listed, types,
        "client frame types in §9.1 vs ClientFrame::TYPES"
    );

    for frame in samples::client() {
        let (tag, keys) = keys(&frame);
        let row = &rows[documented
            .iter()
            .position(|d| *d == tag)
            .unwrap_or_default()];
        let doc = fields(&row[1], &tag);
        assert!(!doc.all.contains("id"), "`{tag}`: `id` goes without saying");
        let mut all = doc.all.clone();
        all.insert("id".into());
        assert_eq!(all, keys, "`{tag}`: documented fields vs the frame's");
        // Optional: the frame still decodes without it.
        let full = serde_json::to_value(&frame).unwrap_or_default();
        let optional: BTreeSet<String> = keys
            .iter()
            .filter(|k| {
                let mut v = full.clone();
                if let Value::Object(m) = &mut v {
                    m.remove(k.as_str());
                }
                serde_json::from_value::<ClientFrame>(v).is_ok()
            })
            .cloned()
            .collect();
        let mut doc_optional = doc.optional.clone();
        doc_optional.insert("id".into());
        assert_eq!(
            doc_optional, optional,
            "`{tag}`: fields marked `?` vs optional ones"
        );
        check_example(&row[3], &tag);
    }
}

#[test]
fn server_frames_are_documented_as_the_crate_sends_them() {
    let text = doc();
    let (header, rows) = table(&text, "### 9.2 Server frames");
    assert_eq!(header, ["`type`", "Fields", "When", "Example"]);
    let documented: Vec<String> = rows.iter().map(|r| code_cell(&r[0])).collect();
    let mut listed = documented.clone();
    listed.sort();
    listed.dedup();
    assert_eq!(
        listed.len(),
        documented.len(),
        "a server frame documented twice"
    );
    let mut types: Vec<String> = samples::SampleFrame::TYPES
        .iter()
        .chain(crate::frames::AgentEventFrame::TYPES.iter())
        .map(|t| (*t).to_owned())
        .collect();
    types.sort();
    assert_eq!(
        listed, types,
        "server frame types in §9.2 vs ServerFrame::TYPES and AgentEventFrame::TYPES"
    );

    // (type, fields always sent, all fields) of every server frame.
    let mut frames: Vec<(String, BTreeSet<String>, BTreeSet<String>)> = Vec::new();
    for (min, full) in samples::server() {
        let ((tag, required), (_, all)) = (keys(&min), keys(&full));
        frames.push((tag, required, all));
    }
    for (min, full) in samples::agent_events() {
        let ((tag, required), (_, all)) = (keys(&min), keys(&full));
        frames.push((tag, required, all));
    }
    assert_eq!(frames.len(), types.len());
    for (tag, required, all) in frames {
        let row = &rows[documented
            .iter()
            .position(|d| *d == tag)
            .unwrap_or_default()];
        let doc = fields(&row[1], &tag);
        assert_eq!(doc.all, all, "`{tag}`: documented fields vs the frame's");
        let doc_required: BTreeSet<String> = doc.all.difference(&doc.optional).cloned().collect();
        assert_eq!(
            doc_required, required,
            "`{tag}`: fields not marked `?` vs always sent"
        );
        check_example(&row[3], &tag);
    }

    // The agent principal's fields, as `agent:{…}` in the `welcome` row.
    let welcome = &rows[documented
        .iter()
        .position(|d| d == "welcome")
        .unwrap_or_default()];
    let agent = welcome[1]
        .split_once("agent:{")
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(inner, _)| inner.split(',').map(|f| f.trim().to_owned()).collect())
        .unwrap_or_else(|| panic!("no `agent:{{…}}` in the welcome row"));
    let (_, agent_keys) = keys(&samples::agent());
    assert_eq!(agent_keys, agent, "the agent principal's fields in §9.2");
}

#[test]
fn error_codes_are_documented_in_order_with_their_http_status() {
    let (header, rows) = table(&doc(), "## 10. Error codes");
    assert_eq!(
        header,
        ["Code", "HTTP", "Meaning", "Where", "Client action"]
    );
    let documented: Vec<(String, String)> = rows
        .iter()
        .map(|r| (code_cell(&r[0]), r[1].clone()))
        .collect();
    let crate_codes: Vec<(String, String)> = ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), c.http_status().to_string()))
        .collect();
    assert_eq!(documented, crate_codes, "§10 vs ErrorCode::ALL");
}

#[test]
fn close_codes_are_documented_in_order_with_whether_to_reconnect() {
    let (header, rows) = table(&doc(), "## 11. Close codes");
    assert_eq!(header, ["Code", "Name", "Sent when", "Reconnect?"]);
    let documented: Vec<(String, bool)> = rows
        .iter()
        .map(|r| (r[0].clone(), !r[3].starts_with("**no**")))
        .collect();
    let crate_codes: Vec<(String, bool)> = close::ALL
        .iter()
        .map(|&c| (c.to_string(), close::should_reconnect(c)))
        .collect();
    assert_eq!(documented, crate_codes, "§11 vs close::ALL");
}

#[test]
fn the_field_parser_is_strict() {
    let f = fields(
        "`id?` (the `hello`'s); `code`; `message` (for humans; may change)",
        "t",
    );
    assert_eq!(f.all, set(&["id", "code", "message"]));
    assert_eq!(f.optional, set(&["id"]));
    assert!(fields("none", "t").all.is_empty());
    for bad in ["code", "`code`; message", "`a`; `a`", "`Code`", ""] {
        assert!(
            std::panic::catch_unwind(|| fields(bad, "t")).is_err(),
            "accepted {bad:?}"
        );
    }
    assert_eq!(split_top("`a;b`; c (d; e)", ';').len(), 2);
}
