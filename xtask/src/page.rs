//! One JD Cloud reference page (zh: the 示例值/错误码 format; en: the older generator format)
//! read into a [`Page`], with pulldown-cmark (GFM tables), never by splitting lines.
//!
//! What the pages do that this reader copes with (ANALYSIS.md §3): escaped pipes in cells
//! (GFM unescapes them), `<br>` line breaks in cells (become newlines), nested types linked by
//! anchors that do not resolve (the type is the link's text), unlinked and lower-case type names,
//! a row without its closing pipe, old-style tables (`True`/`False`, a 默认值 column), broken
//! code fences after the 返回码 table, CRLF line ends, and a `### Type` heading right after a
//! table row.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;

/// A parameter or a field of a nested type, as one table row gives it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    /// The type cell as written, resolved to the link text when it is a link:
    /// `String`, `Integer[]`, `InstanceSpec`, `Filter[]`, `Result[ ]`.
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub description: String,
    /// The old-style tables' 默认值 column.
    #[serde(default)]
    pub default: String,
}

/// One 返回码 row.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorRow {
    pub status: u16,
    #[serde(default)]
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub explanation: String,
}

/// A nested type section (`### TypeName`) and its fields.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeDef {
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// `# opName`.
    pub op: String,
    /// The page's file, relative to its language folder (`Virtual-Machines/attachNetworkInterface.md`).
    pub file: String,
    pub method: String,
    /// After `/v1`: `/regions/{regionId}/…`.
    pub path: String,
    /// 描述 (and 接口说明), as the page's Markdown.
    pub description: String,
    pub notes: String,
    pub path_params: Vec<Field>,
    pub params: Vec<Field>,
    pub request_types: Vec<TypeDef>,
    /// The 返回参数 top table: `result`, `requestId`.
    pub response: Vec<Field>,
    pub response_types: Vec<TypeDef>,
    pub errors: Vec<ErrorRow>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Section {
    Other,
    Description,
    Notes,
    Method,
    Address,
    Request,
    Response,
    Codes,
    Examples,
}

fn section_of(heading: &str) -> Section {
    let h = heading.trim().to_lowercase();
    match () {
        _ if h == "描述" || h == "description" => Section::Description,
        _ if h == "接口说明" => Section::Notes,
        _ if h == "请求方式" || h == "request method" => Section::Method,
        _ if h == "请求地址" || h == "request address" => Section::Address,
        _ if h == "请求参数" || h == "request parameter" || h == "request parameters" => {
            Section::Request
        }
        _ if h == "返回参数" || h == "response parameter" || h == "return parameter" => {
            Section::Response
        }
        _ if h == "返回码" || h == "response code" || h == "return code" => Section::Codes,
        _ if h.contains("示例") || h.contains("example") => Section::Examples,
        _ => Section::Other,
    }
}

/// One table cell: its Markdown (for descriptions: `<br>` as a newline, links and code kept) and
/// its plain text (text and code only: names, types, statuses); the first link's text.
#[derive(Clone, Debug, Default)]
struct Cell {
    md: String,
    plain: String,
    link_text: Option<String>,
}

#[derive(Debug, Default)]
struct Table {
    section: Option<Section>,
    /// The `###` heading the table follows, if any, within its `##` section.
    h3: Option<String>,
    rows: Vec<Vec<Cell>>,
    header: Vec<String>,
}

fn is_br(html: &str) -> bool {
    let h = html.trim().to_lowercase();
    (h.starts_with("<br") || h.starts_with("</br")) && h.ends_with('>')
}

/// Reads a page. `file` names it in messages and in [`Page::file`].
pub fn parse(file: &str, text: &str) -> Result<Page, String> {
    let text = text.replace("\r\n", "\n");
    let mut page = Page {
        file: file.to_owned(),
        ..Page::default()
    };
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    let parser = Parser::new_ext(&text, opts).into_offset_iter();

    let mut section = Section::Other;
    let mut section_start = 0usize;
    let mut sections: Vec<(Section, std::ops::Range<usize>)> = Vec::new();
    let mut h3: Option<String> = None;
    let mut heading: Option<(HeadingLevel, String)> = None;
    let mut tables: Vec<Table> = Vec::new();
    let mut table: Option<Table> = None;
    let mut row: Vec<Cell> = Vec::new();
    let mut cell: Option<Cell> = None;
    let mut link_dest: Vec<String> = Vec::new();
    let mut link_text: Option<String> = None;
    let mut in_header = false;
    let mut paragraphs: Vec<(Section, String)> = Vec::new();
    let mut para: Option<String> = None;

    for (event, range) in parser {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                if level <= HeadingLevel::H2 {
                    sections.push((section, section_start..range.start));
                }
                heading = Some((level, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                let (level, text) = heading.take().unwrap_or((HeadingLevel::H6, String::new()));
                let text = text.trim().to_owned();
                match level {
                    HeadingLevel::H1 => {
                        if page.op.is_empty() {
                            page.op = text;
                        }
                        section = Section::Other;
                        section_start = range.end;
                    }
                    HeadingLevel::H2 => {
                        section = section_of(&text);
                        section_start = range.end;
                        h3 = None;
                    }
                    HeadingLevel::H3 => h3 = Some(text),
                    _ => {}
                }
            }
            Event::Start(Tag::Table(_)) => {
                table = Some(Table {
                    section: Some(section),
                    h3: h3.clone(),
                    ..Table::default()
                })
            }
            Event::End(TagEnd::Table) => tables.extend(table.take()),
            Event::Start(Tag::TableHead) => in_header = true,
            Event::End(TagEnd::TableHead) => {
                in_header = false;
                if let Some(t) = table.as_mut() {
                    t.header = row.drain(..).map(|c| c.plain.trim().to_owned()).collect();
                }
            }
            Event::Start(Tag::TableRow) => row.clear(),
            Event::End(TagEnd::TableRow) => {
                if let Some(t) = table.as_mut() {
                    if !in_header {
                        t.rows.push(std::mem::take(&mut row));
                    }
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(Cell::default()),
            Event::End(TagEnd::TableCell) => row.extend(cell.take()),
            Event::Start(Tag::Paragraph) if table.is_none() => para = Some(String::new()),
            Event::End(TagEnd::Paragraph) => {
                if let Some(p) = para.take() {
                    paragraphs.push((section, p));
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                link_dest.push(dest_url.to_string());
                link_text = Some(String::new());
                if let Some(c) = cell.as_mut() {
                    c.md.push('[');
                }
            }
            Event::End(TagEnd::Link) => {
                let dest = link_dest.pop().unwrap_or_default();
                if let Some(c) = cell.as_mut() {
                    c.md.push_str(&format!("]({dest})"));
                    if c.link_text.is_none() {
                        c.link_text = link_text.clone();
                    }
                }
                link_text = None;
            }
            Event::Start(Tag::Strong) | Event::End(TagEnd::Strong) => {
                if let Some(c) = cell.as_mut() {
                    c.md.push_str("**");
                }
            }
            Event::Start(Tag::Emphasis) | Event::End(TagEnd::Emphasis) => {
                if let Some(c) = cell.as_mut() {
                    c.md.push('*');
                }
            }
            Event::Text(_) | Event::Code(_) => {
                let is_code = matches!(event, Event::Code(_));
                let (Event::Text(t) | Event::Code(t)) = event else {
                    unreachable!()
                };
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&t);
                }
                if let Some(l) = link_text.as_mut() {
                    l.push_str(&t);
                }
                if let Some(c) = cell.as_mut() {
                    if is_code {
                        c.md.push('`');
                        c.md.push_str(&t);
                        c.md.push('`');
                    } else {
                        c.md.push_str(&t);
                    }
                    c.plain.push_str(&t);
                }
                if let Some(p) = para.as_mut() {
                    p.push_str(&t);
                }
            }
            Event::InlineHtml(h) | Event::Html(h) => {
                if let Some(c) = cell.as_mut() {
                    if is_br(&h) {
                        c.md.push('\n');
                    } else {
                        c.md.push_str(&h);
                    }
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(c) = cell.as_mut() {
                    c.md.push('\n');
                }
                if let Some(p) = para.as_mut() {
                    p.push('\n');
                }
            }
            _ => {}
        }
    }
    sections.push((section, section_start..text.len()));

    if page.op.is_empty() {
        return Err(format!("{file}: no `# operationName` heading"));
    }
    let raw = |s: Section| -> String {
        sections
            .iter()
            .filter(|(k, _)| *k == s)
            .map(|(_, r)| text[r.clone()].trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    page.description = tidy(&br_to_newline(&raw(Section::Description)));
    page.notes = tidy(&br_to_newline(&raw(Section::Notes)));
    page.method = paragraphs
        .iter()
        .find(|(s, _)| *s == Section::Method)
        .and_then(|(_, p)| p.split_whitespace().next())
        .map(str::to_uppercase)
        .ok_or_else(|| format!("{file}: no method under 请求方式"))?;
    let address = paragraphs
        .iter()
        .find(|(s, p)| *s == Section::Address && p.contains("/v1/"))
        .map(|(_, p)| p.trim().to_owned())
        .ok_or_else(|| format!("{file}: no https://…/v1/… address under 请求地址"))?;
    let at = address.find("/v1/").expect("checked above");
    page.path = address[at + 3..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();

    for t in &tables {
        let section = t.section.unwrap_or(Section::Other);
        match (section, &t.h3) {
            (Section::Address, None) => page.path_params.extend(fields(file, t)?),
            (Section::Request, None) => page.params.extend(fields(file, t)?),
            (Section::Request, Some(name)) => page.request_types.push(TypeDef {
                name: name.clone(),
                fields: fields(file, t)?,
            }),
            (Section::Response, None) => page.response.extend(fields(file, t)?),
            (Section::Response, Some(name)) => page.response_types.push(TypeDef {
                name: name.clone(),
                fields: fields(file, t)?,
            }),
            (Section::Codes, _) => page.errors.extend(errors(file, t)?),
            _ => {}
        }
    }
    Ok(page)
}

/// `<br>`, `<br/>`, `<br />` (any case) as line breaks.
fn br_to_newline(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut rest = md;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        match tail.find('>') {
            Some(end) if is_br(&tail[..=end]) => {
                out.push('\n');
                rest = &tail[end + 1..];
            }
            _ => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The Markdown of a section, each line trimmed: no line is indented (rustdoc would take four
/// spaces for a code block, a doctest).
pub fn tidy(md: &str) -> String {
    // Nested list items keep two spaces of indentation, never four.
    let lines: Vec<String> = md
        .trim()
        .lines()
        .map(|l| {
            let indent = l.len() - l.trim_start().len();
            let l = l.trim();
            if indent >= 2 && l.starts_with(['-', '*']) {
                format!("  {l}")
            } else {
                l.to_owned()
            }
        })
        .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let mut out: Vec<&str> = Vec::new();
    for l in lines {
        if l.is_empty() && out.last().is_none_or(|p| p.is_empty()) {
            continue;
        }
        out.push(l);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| {
        let h = h.to_lowercase();
        names.iter().any(|n| h == *n)
    })
}

fn fields(file: &str, t: &Table) -> Result<Vec<Field>, String> {
    let name = column(&t.header, &["名称", "name"]);
    let ty = column(&t.header, &["类型", "type"]);
    let (Some(name), Some(ty)) = (name, ty) else {
        return Err(format!(
            "{file}: a parameter table without 名称/类型 columns: {:?}",
            t.header
        ));
    };
    let required = column(
        &t.header,
        &["是否必需", "是否必选", "required or not", "required"],
    );
    let default = column(&t.header, &["默认值", "default value"]);
    let desc = column(&t.header, &["描述", "description"]);
    let get = |row: &[Cell], i: Option<usize>| i.and_then(|i| row.get(i)).cloned();
    let mut out = Vec::new();
    for row in &t.rows {
        let Some(n) = get(row, Some(name)) else {
            continue;
        };
        let n = n.plain.trim().to_owned();
        if n.is_empty() {
            continue;
        }
        let tcell = get(row, Some(ty)).unwrap_or_default();
        let ty = tcell
            .link_text
            .clone()
            .unwrap_or_else(|| tcell.plain.clone())
            .trim()
            .to_owned();
        let req = get(row, required)
            .map(|c| {
                let v = c.plain.trim().to_lowercase();
                v == "是" || v == "true"
            })
            .unwrap_or(false);
        out.push(Field {
            name: n,
            ty,
            required: req,
            description: get(row, desc).map(|c| tidy(&c.md)).unwrap_or_default(),
            default: get(row, default)
                .map(|c| c.plain.trim().to_owned())
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

fn errors(file: &str, t: &Table) -> Result<Vec<ErrorRow>, String> {
    let status = column(&t.header, &["http状态码", "return code"]);
    let code = column(&t.header, &["错误码"]);
    let message = column(&t.header, &["描述", "description"]);
    let explanation = column(&t.header, &["错误解析"]);
    let Some(status) = status else {
        return Err(format!("{file}: a 返回码 table without a status column"));
    };
    let mut out = Vec::new();
    for row in &t.rows {
        let cell = |i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .map(|c| c.plain.trim().to_owned())
                .unwrap_or_default()
        };
        let s = cell(Some(status));
        let Ok(s) = s.parse::<u16>() else {
            return Err(format!("{file}: 返回码 status {s:?} is not a number"));
        };
        out.push(ErrorRow {
            status: s,
            code: cell(code),
            message: cell(message),
            explanation: cell(explanation),
        });
    }
    Ok(out)
}
