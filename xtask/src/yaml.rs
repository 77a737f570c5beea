//! A small YAML writer for the spec: keys in the order given, multi-line strings as `|` blocks,
//! short lists of scalars on one line (`required: [a, b]`), so the document reads like the
//! hand-written one and diffs well.

use serde_json::Value;

pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) => write_map(&mut out, m, 0),
        _ => panic!("the document is a mapping"),
    }
    out
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, level: usize) {
    for (k, v) in m {
        indent(out, level);
        out.push_str(&scalar_str(k));
        out.push(':');
        write_value_after_key(out, v, level);
    }
}

fn write_value_after_key(out: &mut String, v: &Value, level: usize) {
    match v {
        Value::Object(m) if m.is_empty() => out.push_str(" {}\n"),
        Value::Object(m) => {
            out.push('\n');
            write_map(out, m, level + 2);
        }
        Value::Array(a) if a.is_empty() => out.push_str(" []\n"),
        Value::Array(a) if a.iter().all(is_flow_scalar) && flow_len(a) < 80 => {
            out.push_str(" [");
            let items: Vec<String> = a.iter().map(scalar).collect();
            out.push_str(&items.join(", "));
            out.push_str("]\n");
        }
        Value::Array(a) => {
            out.push('\n');
            write_seq(out, a, level + 2);
        }
        Value::String(s) if s.contains('\n') => block(out, s, level + 2),
        _ => {
            out.push(' ');
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, a: &[Value], level: usize) {
    for v in a {
        indent(out, level);
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                // The first key on the dash's line, the others under it.
                let mut first = true;
                for (k, v) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, level + 2);
                    }
                    out.push_str(&scalar_str(k));
                    out.push(':');
                    write_value_after_key(out, v, level + 2);
                }
            }
            Value::String(s) if s.contains('\n') => block(out, s, level + 2),
            Value::Array(_) => panic!("no nested sequences in the spec"),
            _ => {
                out.push(' ');
                out.push_str(&scalar(v));
                out.push('\n');
            }
        }
    }
}

fn block(out: &mut String, s: &str, level: usize) {
    out.push_str(if s.ends_with('\n') { " |\n" } else { " |-\n" });
    for line in s.trim_end_matches('\n').split('\n') {
        if !line.is_empty() {
            indent(out, level);
            out.push_str(line);
        }
        out.push('\n');
    }
}

fn is_flow_scalar(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.contains('\n'),
        Value::Object(_) | Value::Array(_) => false,
        _ => true,
    }
}

fn flow_len(a: &[Value]) -> usize {
    a.iter().map(|v| scalar(v).len() + 2).sum()
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_str(s),
        _ => unreachable!(),
    }
}

/// A string as a plain scalar when YAML reads it back as the same string, else single-quoted
/// (or double-quoted JSON when it holds control characters).
fn scalar_str(s: &str) -> String {
    if s.chars().any(|c| c.is_control()) {
        return serde_json::to_string(s).expect("a string");
    }
    if plain_ok(s) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn plain_ok(s: &str) -> bool {
    if s.is_empty() || s != s.trim() {
        return false;
    }
    let lower = s.to_lowercase();
    if [
        "true", "false", "null", "yes", "no", "on", "off", "~", "y", "n",
    ]
    .contains(&lower.as_str())
    {
        return false;
    }
    if s.parse::<f64>().is_ok()
        || s.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+' || c == '-')
    {
        return false;
    }
    let first = s.chars().next().unwrap();
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if s.contains(['[', ']', '{', '}', ',']) {
        // Safe in block context, but not inside a flow list.
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let v: Value = serde_json::json!({
            "a": "plain",
            "b": "two\nlines",
            "c": ["x", "y"],
            "d": [{"k": 1, "l": "true"}, {"k": 2}],
            "e": "it's: quoted",
            "f": "'xx' not found",
            "g": {},
            "h": "- dash",
            "i": "2021",
            "j": ["a, b", "{c}"],
            "k": "trailing\n",
            "l": "with\n\nblank",
            "m": "x\ty",
        });
        let text = to_string(&v);
        let back: Value = yaml_serde::from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
    }
}
