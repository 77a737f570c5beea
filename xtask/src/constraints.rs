//! What a request parameter's description states about its values: the allowed values (可选值 /
//! 取值范围 lists), a numeric range (`取值范围[10, 100]`), a default (`默认为20`, `默认值：1`,
//! `` `x`（默认值） ``), simple length limits (`长度为2~32个字符`, `256字符以内`). Only forms read
//! without doubt; anything else is left out, not guessed.

#[derive(Debug, Default, PartialEq)]
pub struct Constraints {
    pub values: Vec<String>,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
    pub default: Option<serde_json::Value>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
}

/// The base types the pages use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    String,
    Integer,
    Number,
    Boolean,
}

pub fn read(description: &str, ty: Scalar) -> Constraints {
    let mut c = Constraints::default();
    let d = description;
    if ty == Scalar::String {
        c.values = allowed_values(d);
    }
    if ty == Scalar::Integer {
        let ranges: Vec<(i64, i64)> = keyword_ranges(d);
        if let [(lo, hi)] = ranges[..] {
            c.minimum = Some(lo);
            c.maximum = Some(hi);
        }
    }
    c.default = default(d, ty, &c.values);
    if ty == Scalar::String {
        (c.min_length, c.max_length) = lengths(d);
    }
    c
}

/// The text right after `keyword`, past `为`, `：`, `:` and spaces.
fn after<'a>(d: &'a str, at: usize, keyword: &str) -> &'a str {
    d[at + keyword.len()..].trim_start_matches(['为', '：', ':', ' '])
}

/// Code spans (`` `x` ``) at the start of the lines following a 可选值/取值范围 keyword line, or a
/// single code span on the keyword's line listing values separated by `、`, or `` `A`：…、`B`：… ``.
fn allowed_values(d: &str) -> Vec<String> {
    for keyword in ["可选值", "取值范围"] {
        let found: Vec<usize> = d.match_indices(keyword).map(|(i, _)| i).collect();
        if found.len() != 1 {
            continue;
        }
        let rest = after(d, found[0], keyword);
        let mut lines = rest.split('\n');
        let first = lines.next().unwrap_or_default().trim();
        let mut values = Vec::new();
        if first.is_empty() {
            // The list form: one value a line.
            for line in lines {
                let Some(v) = leading_code(line.trim()) else {
                    break;
                };
                values.push(v);
            }
        } else if let Some(v) = leading_code(first) {
            let after_code = &first[v.len() + 2..];
            if v.contains('、') && !v.starts_with('[') {
                values = v.split('、').map(|s| s.trim().to_owned()).collect();
            } else if after_code.starts_with(['：', ':']) {
                // `A`：meaning、`B`：meaning
                values = first
                    .split('、')
                    .filter_map(|p| leading_code(p.trim()))
                    .collect();
            }
        }
        if values.len() >= 2 && values.iter().all(|v| plausible_value(v)) {
            let mut seen = Vec::new();
            for v in values {
                if !seen.contains(&v) {
                    seen.push(v);
                }
            }
            return seen;
        }
    }
    Vec::new()
}

fn plausible_value(v: &str) -> bool {
    !v.is_empty()
        && !v.starts_with('[')
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-/".contains(c))
}

fn leading_code(s: &str) -> Option<String> {
    let s = s.strip_prefix('`')?;
    let end = s.find('`')?;
    Some(s[..end].trim().to_owned())
}

/// ``取值范围[10, 100]``, ``取值范围：`[1,100]` ``, ``取值范围为：`[1-200]` ``: the ranges stated right
/// after the keyword.
fn keyword_ranges(d: &str) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for (i, _) in d.match_indices("取值范围") {
        let rest = after(d, i, "取值范围").trim_start_matches('`');
        let Some(body) = rest.strip_prefix('[') else {
            continue;
        };
        let Some(end) = body.find(']') else { continue };
        let inner = &body[..end];
        let parts: Vec<&str> = inner.split([',', '-', '~', '，']).map(str::trim).collect();
        if let [a, b] = parts[..] {
            if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
                // A unit right after the range (`[20,1000]GB`) is fine; a second range is not.
                out.push((a, b));
            }
        }
    }
    out
}

fn default(d: &str, ty: Scalar, values: &[String]) -> Option<serde_json::Value> {
    // `x`（默认值）in a list of values.
    for (i, _) in d.match_indices("（默认值）") {
        let before = &d[..i];
        if let Some(stripped) = before.strip_suffix('`') {
            if let Some(start) = stripped.rfind('`') {
                let v = &stripped[start + 1..];
                return typed(v, ty, values);
            }
        }
    }
    let mut found = Vec::new();
    for keyword in ["默认为", "默认值"] {
        for (i, _) in d.match_indices(keyword) {
            let rest = after(d, i, keyword).trim_start_matches('`');
            let token: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
                .collect();
            if token.is_empty() {
                continue;
            }
            let next = rest[token.len()..].chars().next();
            // `默认值：`diskSizeGB*30``: an expression, not a value.
            if next.is_some_and(|c| "*+/(".contains(c)) {
                continue;
            }
            if let Some(v) = typed(token.trim_end_matches('.'), ty, values) {
                found.push(v);
            }
        }
    }
    found.dedup();
    match found.len() {
        1 => found.pop(),
        _ => None,
    }
}

fn typed(v: &str, ty: Scalar, values: &[String]) -> Option<serde_json::Value> {
    match ty {
        Scalar::Integer => v.parse::<i64>().ok().map(Into::into),
        Scalar::Boolean => match v.to_lowercase().as_str() {
            "true" => Some(true.into()),
            "false" => Some(false.into()),
            _ => None,
        },
        Scalar::String if values.iter().any(|x| x == v) => Some(v.into()),
        _ => None,
    }
}

/// `长度为2~32个字符`, `长度为2\~128个字符`, `256字符以内`, `不超过32个字符`, `长度不能超过64个字符`.
fn lengths(d: &str) -> (Option<u64>, Option<u64>) {
    let mut min = None;
    let mut max = None;
    let mut count = 0;
    for (i, _) in d.match_indices("长度为") {
        let rest = &d[i + "长度为".len()..];
        let a: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let rest = &rest[a.len()..];
        let Some(rest) = rest.strip_prefix(['~', '-', '～']) else {
            continue;
        };
        let b: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if rest[b.len()..].starts_with("个字符") || rest[b.len()..].starts_with("字符") {
            if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
                min = Some(a);
                max = Some(b);
                count += 1;
            }
        }
    }
    for suffix in ["字符以内", "个字符以内"] {
        for (i, _) in d.match_indices(suffix) {
            let before = &d[..i];
            let digits: String = before
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if let Ok(n) = digits.parse() {
                max = Some(n);
                count += 1;
            }
        }
    }
    for prefix in ["不超过", "不能超过"] {
        for (i, _) in d.match_indices(prefix) {
            let rest = &d[i + prefix.len()..];
            let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if !n.is_empty()
                && (rest[n.len()..].starts_with("个字符") || rest[n.len()..].starts_with("字符"))
            {
                max = n.parse().ok();
                count += 1;
            }
        }
    }
    if count == 1 {
        (min, max)
    } else {
        (None, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_defaults_lengths_and_values() {
        let c = read("分页大小；默认为20；取值范围[10, 100]。", Scalar::Integer);
        assert_eq!((c.minimum, c.maximum), (Some(10), Some(100)));
        assert_eq!(c.default, Some(20.into()));
        let c = read("取值范围：`[1,100]`；默认值：`1`。\n如果…", Scalar::Integer);
        assert_eq!(
            (c.minimum, c.maximum, c.default),
            (Some(1), Some(100), Some(1.into()))
        );
        let c = read("默认值：`diskSizeGB*30`", Scalar::Integer);
        assert_eq!(c.default, None);
        let c = read(
            "停机不计费模式。\n可选值：\n`keepCharging`（默认值）：停机后保持计费。\n`stopCharging`：停机后停止计费。\n",
            Scalar::String,
        );
        assert_eq!(c.values, ["keepCharging", "stopCharging"]);
        assert_eq!(c.default, Some("keepCharging".into()));
        let c = read(
            "取值范围：`Ubuntu、CentOS、Windows Server`。",
            Scalar::String,
        );
        assert_eq!(c.values, ["Ubuntu", "CentOS", "Windows Server"]);
        let c = read(
            "可选值：`ImportImage`：镜像导入、`ExportImage`：镜像导出",
            Scalar::String,
        );
        assert_eq!(c.values, ["ImportImage", "ExportImage"]);
        let c = read("镜像名称，长度为2~32个字符，只允许中文。", Scalar::String);
        assert_eq!((c.min_length, c.max_length), (Some(2), Some(32)));
        let c = read("镜像描述。256字符以内。", Scalar::String);
        assert_eq!((c.min_length, c.max_length), (None, Some(256)));
        let c = read("随云主机实例自动删除，默认为False。", Scalar::Boolean);
        assert_eq!(c.default, Some(false.into()));
    }
}
