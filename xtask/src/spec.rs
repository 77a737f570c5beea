//! The OpenAPI document from the pages and the overlay (its conventions: xtask/README.md,
//! "What it writes").

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::constraints::{self, Scalar};
use crate::names;
use crate::overlay::Overlay;
use crate::page::{ErrorRow, Field, Page, TypeDef};

/// The pattern, and lengths, of every ID schema (path parameters and the overlay's `id_fields`).
pub const ID_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Request,
    Response,
}

#[derive(Clone, Debug)]
struct Def {
    op: String,
    side: Side,
    fields: Vec<Field>,
}

#[derive(Debug)]
struct Cluster {
    schema: String,
    defs: Vec<Def>,
}

/// One operation: its zh page(s) merged, its en page(s) merged if any.
#[derive(Debug)]
pub struct Operation {
    pub id: String,
    pub tag: String,
    pub zh: Page,
    pub en: Option<Page>,
}

/// A documented error as the spec names it.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedError {
    pub name: String,
    pub retryable: bool,
    pub row: ErrorRow,
}

pub struct Built {
    pub document: Value,
    /// Every operation's errors, by name (for tests).
    pub errors: BTreeMap<String, Vec<NamedError>>,
    /// Every 4xx row of every operation and the name it got (for tests).
    pub row_names: Vec<(String, ErrorRow, String)>,
    pub warnings: Vec<String>,
}

fn upper_camel(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `Filter[]` → (`Filter`, true); `Result[ ]` → (`Result`, true).
fn split_type(raw: &str) -> (String, bool) {
    let t: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    match t.strip_suffix("[]") {
        Some(base) => (base.to_owned(), true),
        None => (t, false),
    }
}

fn scalar(base: &str) -> Option<Scalar> {
    match base.to_lowercase().as_str() {
        "string" => Some(Scalar::String),
        "integer" | "int" | "long" => Some(Scalar::Integer),
        "number" | "float" | "double" => Some(Scalar::Number),
        "boolean" | "bool" => Some(Scalar::Boolean),
        _ => None,
    }
}

fn scalar_type(s: Scalar) -> &'static str {
    match s {
        Scalar::String => "string",
        Scalar::Integer => "integer",
        Scalar::Number => "number",
        Scalar::Boolean => "boolean",
    }
}

/// Link targets as rustdoc and a reader can follow them: a page-relative target
/// (`createInstances#user-content-1`) becomes the docs page of that operation, a target without
/// its scheme (`docs.jdcloud.com/…`) gets `https://`, a bare anchor (`#x`) the page itself.
pub fn absolute_links(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut rest = md;
    while let Some(i) = rest.find("](") {
        out.push_str(&rest[..i + 2]);
        rest = &rest[i + 2..];
        let Some(end) = rest.find(')') else { break };
        let dest = &rest[..end];
        let fixed = if dest.starts_with("http://")
            || dest.starts_with("https://")
            || dest.starts_with("mailto:")
        {
            dest.to_owned()
        } else if dest.starts_with("docs.jdcloud.com") || dest.starts_with("www.") {
            format!("https://{dest}")
        } else {
            let page = dest.split('#').next().unwrap_or_default();
            if page.is_empty() || page.contains(['/', ' ']) {
                "https://docs.jdcloud.com/cn/virtual-machines/api".to_owned()
            } else {
                format!(
                    "https://docs.jdcloud.com/cn/virtual-machines/api/{}",
                    page.trim_end_matches(".md").to_lowercase()
                )
            }
        };
        out.push_str(&fixed);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `[start_number]` outside code and not a link: escaped, or rustdoc takes it for a link to an
/// item and fails on it.
pub fn escape_shortcut_links(md: &str) -> String {
    let chars: Vec<char> = md.chars().collect();
    let mut out = String::with_capacity(md.len());
    let mut in_code = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            in_code = !in_code;
        }
        if c == '[' && !in_code && (i == 0 || chars[i - 1] != '\\') {
            if let Some(len) = chars[i + 1..].iter().position(|&c| c == ']') {
                let inner: String = chars[i + 1..i + 1 + len].iter().collect();
                let next = chars.get(i + len + 2).copied();
                let path_like = !inner.is_empty()
                    && inner.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && inner
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_:.".contains(c));
                if path_like && next != Some('(') && next != Some('[') {
                    out.push_str(&format!("\\[{inner}\\]"));
                    i += len + 2;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The first sentence of a description, for summaries: of its first paragraph (the en pages
/// wrap their lines), up to `。` or `. ` (not the `1. ` of a numbered list).
pub(crate) fn first_sentence(description: &str) -> String {
    let paragraph = description
        .trim()
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let sentence_end = paragraph
        .match_indices(". ")
        .find(|(i, _)| !paragraph[..*i].ends_with(|c: char| c.is_ascii_digit()))
        .map(|(i, _)| i + 1);
    let cut = [
        paragraph.find('。').map(|i| i + '。'.len_utf8()),
        sentence_end,
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(paragraph.len());
    escape_shortcut_links(&absolute_links(paragraph[..cut].trim()))
}

/// The English a page pair gives each Chinese field description: where a field has no English
/// of its own (no en page, or an empty cell), the English of the same Chinese text elsewhere.
fn english_by_chinese(ops: &[Operation]) -> BTreeMap<String, String> {
    let mut dict = BTreeMap::new();
    for op in ops {
        let Some(en) = &op.en else { continue };
        let tables: [(&[Field], &[Field]); 3] = [
            (&op.zh.path_params, &en.path_params),
            (&op.zh.params, &en.params),
            (&op.zh.response, &en.response),
        ];
        let mut pairs: Vec<(&Field, &Field)> = Vec::new();
        for (zh, en) in tables {
            for f in zh {
                if let Some(g) = en.iter().find(|g| g.name == f.name) {
                    pairs.push((f, g));
                }
            }
        }
        for t in op.zh.request_types.iter().chain(&op.zh.response_types) {
            let en_t = en
                .request_types
                .iter()
                .chain(&en.response_types)
                .find(|u| u.name.eq_ignore_ascii_case(&t.name));
            if let Some(en_t) = en_t {
                for f in &t.fields {
                    if let Some(g) = en_t.fields.iter().find(|g| g.name == f.name) {
                        pairs.push((f, g));
                    }
                }
            }
        }
        for (f, g) in pairs {
            let zh = english_key(&f.description);
            let en = crate::page::tidy(&g.description);
            if !zh.is_empty() && !en.is_empty() {
                dict.entry(zh).or_insert(en);
            }
        }
    }
    dict
}

/// A Chinese description as the spec shows it: the key of the English for it.
fn english_key(zh: &str) -> String {
    crate::page::tidy(&escape_shortcut_links(&absolute_links(zh)))
}

/// zh, a blank line, en.
fn bilingual(zh: &str, en: &str) -> String {
    let zh = crate::page::tidy(&escape_shortcut_links(&absolute_links(zh)));
    let en = crate::page::tidy(&escape_shortcut_links(&absolute_links(en)));
    match (zh.is_empty(), en.is_empty()) {
        (_, true) => zh,
        (true, false) => en,
        (false, false) => format!("{zh}\n\n{en}"),
    }
}

/// Several pages of one operation (createImage has two) as one: parameters, types and errors
/// united, text from the first.
pub fn merge(mut pages: Vec<Page>) -> Page {
    let mut first = pages.remove(0);
    for p in pages {
        for f in p.path_params {
            if !first.path_params.iter().any(|g| g.name == f.name) {
                first.path_params.push(f);
            }
        }
        for f in p.params {
            match first.params.iter_mut().find(|g| g.name == f.name) {
                // Required only where every page says so.
                Some(g) => g.required &= f.required,
                None => first.params.push(f),
            }
        }
        first.request_types.extend(p.request_types);
        first.response_types.extend(p.response_types);
        for f in p.response {
            if !first.response.iter().any(|g| g.name == f.name) {
                first.response.push(f);
            }
        }
        for e in p.errors {
            if !first.errors.contains(&e) {
                first.errors.push(e);
            }
        }
        if first.notes.is_empty() {
            first.notes = p.notes;
        }
    }
    first
}

fn compatible(a: &[Field], b: &[Field]) -> bool {
    a.iter().all(|f| {
        b.iter().find(|g| g.name == f.name).is_none_or(|g| {
            split_type(&g.ty).0.to_lowercase() == split_type(&f.ty).0.to_lowercase()
                && split_type(&g.ty).1 == split_type(&f.ty).1
        })
    })
}

/// The pseudo-operation the overlay's `types` are defined by.
const OVERLAY_TYPES: &str = "spec/overlay.yaml#types";

struct Types {
    clusters: BTreeMap<String, Vec<Cluster>>,
    /// (op, lower-case type name) → schema name.
    local: BTreeMap<(String, String), String>,
    /// lower-case type name → the schema of its first cluster.
    global: BTreeMap<String, String>,
}

impl Types {
    fn build(ops: &[Operation], overlay: &Overlay) -> Types {
        let mut clusters: BTreeMap<String, Vec<Cluster>> = BTreeMap::new();
        let mut local = BTreeMap::new();
        let overlay_defs: Vec<TypeDef> = overlay.types.iter().map(|t| t.def()).collect();
        let mut all: Vec<(String, Vec<(Side, &TypeDef)>)> = ops
            .iter()
            .map(|op| {
                let defs = op
                    .zh
                    .request_types
                    .iter()
                    .map(|t| (Side::Request, t))
                    .chain(op.zh.response_types.iter().map(|t| (Side::Response, t)))
                    .collect();
                (op.id.clone(), defs)
            })
            .collect();
        // The overlay's types (no page defines them), after the pages'.
        all.push((
            OVERLAY_TYPES.to_owned(),
            overlay
                .types
                .iter()
                .zip(&overlay_defs)
                .map(|(t, def)| {
                    let side = if t.response {
                        Side::Response
                    } else {
                        Side::Request
                    };
                    (side, def)
                })
                .collect(),
        ));
        for (op_id, defs) in &all {
            for (side, t) in defs.iter().copied() {
                let lname = t.name.to_lowercase();
                if lname == "result" {
                    continue;
                }
                let key = (op_id.clone(), lname.clone());
                let list = clusters.entry(lname.clone()).or_default();
                let def = Def {
                    op: op_id.clone(),
                    side,
                    fields: t.fields.clone(),
                };
                // The cluster this operation's earlier definition went to, else the first that
                // agrees with every definition in it, else a new one.
                let index = match local.get(&key) {
                    Some(schema) => list.iter().position(|c: &Cluster| &c.schema == schema),
                    None => list
                        .iter()
                        .position(|c| c.defs.iter().all(|d| compatible(&d.fields, &def.fields))),
                };
                let index = match index {
                    Some(i) => i,
                    None => {
                        let schema = if list.is_empty() {
                            upper_camel(&t.name)
                        } else {
                            format!("{}{}", upper_camel(op_id), upper_camel(&t.name))
                        };
                        list.push(Cluster {
                            schema,
                            defs: Vec::new(),
                        });
                        list.len() - 1
                    }
                };
                list[index].defs.push(def);
                local.insert(key, list[index].schema.clone());
            }
        }
        let global = clusters
            .iter()
            .map(|(k, v)| (k.clone(), v[0].schema.clone()))
            .collect();
        Types {
            clusters,
            local,
            global,
        }
    }

    fn resolve(&self, op: &str, base: &str) -> Option<String> {
        let l = base.to_lowercase();
        if l == "result" {
            return Some(format!("{}Result", upper_camel(op)));
        }
        self.local
            .get(&(op.to_owned(), l.clone()))
            .or_else(|| self.global.get(&l))
            .cloned()
    }
}

struct Ctx<'a> {
    english: BTreeMap<String, String>,
    /// The Chinese texts whose English came from `english` (to tell unused entries).
    english_used: std::cell::RefCell<std::collections::BTreeSet<String>>,
    types: Types,
    ops: &'a [Operation],
    warnings: Vec<String>,
}

impl Ctx<'_> {
    /// [`bilingual`], the English from elsewhere when this page has none.
    fn text(&self, zh: &str, en: &str) -> String {
        if crate::page::tidy(en).is_empty() {
            let key = english_key(zh);
            if let Some(other) = self.english.get(&key) {
                self.english_used.borrow_mut().insert(key);
                return bilingual(zh, other);
            }
        }
        bilingual(zh, en)
    }

    fn en_type_field(&self, op: &str, type_name: &str, field: &str) -> String {
        let Some(en) = self
            .ops
            .iter()
            .find(|o| o.id == op)
            .and_then(|o| o.en.as_ref())
        else {
            return String::new();
        };
        en.request_types
            .iter()
            .chain(&en.response_types)
            .filter(|t| t.name.eq_ignore_ascii_case(type_name))
            .flat_map(|t| &t.fields)
            .find(|f| f.name == field)
            .map(|f| f.description.clone())
            .unwrap_or_default()
    }

    /// The schema of one field or parameter. `request`: constraints read from the description
    /// apply (request-only schemas and parameters); response fields stay open.
    fn field_schema(
        &mut self,
        op: &str,
        f: &Field,
        description: &str,
        request: bool,
        with_description: bool,
    ) -> Value {
        let (base, array) = split_type(&f.ty);
        let mut item = Map::new();
        match scalar(&base) {
            Some(s) => {
                item.insert("type".into(), scalar_type(s).into());
                if request {
                    let mut c = constraints::read(&f.description, s);
                    // Pages are numbered from 1 (页码, 默认为1, on every paged page); the
                    // descriptions state no range, and a 0 is not a page.
                    if f.name == "pageNumber" && c.minimum.is_none() {
                        c.minimum = Some(1);
                    }
                    if !c.values.is_empty() && !array {
                        item.insert("enum".into(), json!(c.values));
                    }
                    if let Some(v) = c.minimum {
                        item.insert("minimum".into(), v.into());
                    }
                    if let Some(v) = c.maximum {
                        item.insert("maximum".into(), v.into());
                    }
                    if let Some(v) = c.min_length {
                        item.insert("minLength".into(), v.into());
                    }
                    if let Some(v) = c.max_length {
                        item.insert("maxLength".into(), v.into());
                    }
                    if let Some(v) = c.default {
                        if !array {
                            item.insert("default".into(), v);
                        }
                    }
                }
            }
            None if base.eq_ignore_ascii_case("object") => {
                // An open object (the overlay's SDK-only fields whose model no page defines).
                item.insert("type".into(), "object".into());
                item.insert("additionalProperties".into(), true.into());
            }
            None => match self.types.resolve(op, &base) {
                Some(schema) => {
                    item.insert(
                        "$ref".into(),
                        format!("#/components/schemas/{schema}").into(),
                    );
                }
                None => {
                    self.warnings.push(format!(
                        "{op}: field `{}` has type `{}`, defined on no page: a free-form object",
                        f.name, f.ty
                    ));
                    item.insert("type".into(), "object".into());
                    item.insert("additionalProperties".into(), true.into());
                }
            },
        }
        if array {
            let mut m = Map::new();
            m.insert("type".into(), "array".into());
            if with_description && !description.is_empty() {
                m.insert("description".into(), description.into());
            }
            m.insert("items".into(), Value::Object(item));
            return Value::Object(m);
        }
        if item.contains_key("$ref") {
            // A $ref takes no siblings in OpenAPI 3.0.
            return Value::Object(item);
        }
        if with_description && !description.is_empty() {
            let mut m = Map::new();
            m.insert("type".into(), item.remove("type").expect("set above"));
            m.insert("description".into(), description.into());
            m.extend(item);
            return Value::Object(m);
        }
        Value::Object(item)
    }
}

/// Builds the document.
pub fn build(ops: Vec<Operation>, overlay: &Overlay) -> Result<Built, String> {
    let mut ops = ops;
    ops.sort_by(|a, b| a.id.cmp(&b.id));
    for f in &overlay.filters {
        if !ops.iter().any(|o| o.id == f.at) {
            return Err(format!(
                "spec/overlay.yaml filters: no operation `{}`",
                f.at
            ));
        }
    }
    let types = Types::build(&ops, overlay);
    let mut english = english_by_chinese(&ops);
    for t in &overlay.english.texts {
        english.insert(english_key(&t.zh), crate::page::tidy(&t.en));
    }
    for id in overlay.english.operations.keys() {
        if !ops.iter().any(|o| &o.id == id) {
            return Err(format!(
                "spec/overlay.yaml english.operations: no operation `{id}`"
            ));
        }
    }
    let mut cx = Ctx {
        english,
        english_used: Default::default(),
        types,
        ops: &ops,
        warnings: Vec::new(),
    };

    // Error names: one per meaning, across the whole API.
    let mut spelling: BTreeMap<String, String> = BTreeMap::new();
    let mut errors_by_op: BTreeMap<String, Vec<NamedError>> = BTreeMap::new();
    let mut row_names = Vec::new();
    let mut derived: Vec<(String, usize, String, bool)> = Vec::new();
    for op in &ops {
        for (i, row) in op.zh.errors.iter().enumerate() {
            if row.status < 400 || row.status >= 500 {
                continue;
            }
            let key = names::normalise(&row.message);
            let (name, retryable) = match overlay
                .error_names
                .iter()
                .find(|e| names::normalise(&e.message) == key)
            {
                Some(e) => (e.name.clone(), e.retryable),
                None => (
                    names::derive(&row.message, row.code == "QUOTA_EXCEEDED"),
                    false,
                ),
            };
            let lower = name.to_lowercase();
            let entry = spelling.entry(lower).or_insert_with(|| name.clone());
            if name < *entry {
                *entry = name.clone();
            }
            derived.push((op.id.clone(), i, name, retryable));
        }
    }
    // A name is one meaning: two meanings deriving one name need an overlay name for one (the
    // overlay may give one name to several wordings on purpose).
    let mut meaning_of: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (op_id, i, name, _) in &derived {
        if overlay.error_names.iter().any(|e| &e.name == name) {
            continue;
        }
        let name = &spelling[&name.to_lowercase()];
        let row = &ops
            .iter()
            .find(|o| &o.id == op_id)
            .expect("listed")
            .zh
            .errors[*i];
        let key = names::normalise(&row.message);
        match meaning_of.get(name) {
            Some((k, m)) if *k != key => {
                return Err(format!(
                    "documented errors `{m}` and `{}` ({op_id}) both make the name `{name}` but do not mean the same: give one another name in spec/overlay.yaml error_names",
                    row.message
                ))
            }
            Some(_) => {}
            None => {
                meaning_of.insert(name.clone(), (key, row.message.clone()));
            }
        }
    }
    for (op_id, i, name, retryable) in derived {
        let name = spelling[&name.to_lowercase()].clone();
        if names::RESERVED.contains(&name.as_str()) {
            return Err(format!(
                "{op_id}: documented error `{name}` takes the name of a hand-written ErrorKind: give it another in spec/overlay.yaml error_names"
            ));
        }
        let op = ops.iter().find(|o| o.id == op_id).expect("listed above");
        row_names.push((op_id.clone(), op.zh.errors[i].clone(), name.clone()));
        let list = errors_by_op.entry(op_id.clone()).or_default();
        if list.iter().any(|e| e.name == name) {
            continue;
        }
        list.push(NamedError {
            name,
            retryable,
            row: op.zh.errors[i].clone(),
        });
    }

    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut schemas = Map::new();
    let mut id_schemas: BTreeMap<String, Value> = BTreeMap::new();
    let mut op_schemas = Map::new();

    for op in &ops {
        let id = &op.id;
        let upper = upper_camel(id);
        let en = op.en.as_ref();
        let mut o = Map::new();
        o.insert("operationId".into(), id.as_str().into());
        o.insert("tags".into(), json!([op.tag]));
        let zh_summary = first_sentence(&op.zh.description);
        let en_desc = match en {
            Some(e) => e.description.clone(),
            None => overlay
                .english
                .operations
                .get(id)
                .cloned()
                .unwrap_or_default(),
        };
        let en_summary = first_sentence(&en_desc);
        let (zh_summary, en_summary) = (zh_summary.as_str(), en_summary.as_str());
        let summary = [zh_summary, en_summary]
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        o.insert("summary".into(), summary.into());
        let mut zh_desc = op.zh.description.clone();
        if !op.zh.notes.is_empty() {
            zh_desc.push_str("\n\n接口说明：\n\n");
            zh_desc.push_str(&op.zh.notes);
        }
        o.insert("description".into(), bilingual(&zh_desc, &en_desc).into());

        // Parameters.
        let mut params = Vec::new();
        for p in &op.zh.path_params {
            let schema = upper_camel(&p.name);
            let en_p = en
                .and_then(|e| e.path_params.iter().find(|q| q.name == p.name))
                .map(|q| q.description.clone())
                .unwrap_or_default();
            let description = cx.text(&p.description, &en_p);
            id_schemas
                .entry(schema.clone())
                .or_insert_with(|| id_schema(&description));
            params.push(json!({
                "name": p.name,
                "in": "path",
                "required": true,
                "description": description,
                "schema": {"$ref": format!("#/components/schemas/{schema}")},
            }));
        }
        let body_method = matches!(op.zh.method.as_str(), "POST" | "PATCH" | "PUT");
        let en_param = |name: &str| {
            en.and_then(|e| e.params.iter().find(|q| q.name == name))
                .map(|q| q.description.clone())
                .unwrap_or_default()
        };
        if !body_method {
            for p in &op.zh.params {
                let description = cx.text(&p.description, &en_param(&p.name));
                let schema = cx.field_schema(id, p, &description, true, false);
                let mut m = Map::new();
                m.insert("name".into(), p.name.as_str().into());
                m.insert("in".into(), "query".into());
                m.insert("required".into(), p.required.into());
                let (base, array) = split_type(&p.ty);
                if array || scalar(&base).is_none() {
                    m.insert("x-jdcloud-indexed".into(), true.into());
                }
                if p.name == "filters" {
                    let mut names = filter_names(&p.description);
                    for f in overlay.filters.iter().filter(|f| &f.at == id) {
                        for n in &f.names {
                            if !names.contains(n) {
                                names.push(n.clone());
                            }
                        }
                    }
                    m.insert("x-jdcloud-filters".into(), json!(names));
                }
                if p.name == "clientToken" {
                    m.insert("x-jdcloud-idempotency-token".into(), true.into());
                }
                m.insert("description".into(), description.into());
                m.insert("schema".into(), schema);
                params.push(Value::Object(m));
            }
        }
        if !params.is_empty() {
            o.insert("parameters".into(), Value::Array(params));
        }
        if body_method && !op.zh.params.is_empty() {
            let request = format!("{upper}Request");
            let mut props = Map::new();
            let mut required = Vec::new();
            for p in &op.zh.params {
                let description = cx.text(&p.description, &en_param(&p.name));
                let schema = match overlay.id_fields.iter().find(|f| f.field == p.name) {
                    Some(f) => {
                        id_schemas
                            .entry(f.schema.clone())
                            .or_insert_with(|| id_schema_with_example(&f.description, &f.example));
                        json!({"$ref": format!("#/components/schemas/{}", f.schema)})
                    }
                    None => {
                        let mut s = cx.field_schema(id, p, &description, true, true);
                        if p.name == "clientToken" {
                            if let Value::Object(m) = &mut s {
                                m.insert("x-jdcloud-idempotency-token".into(), true.into());
                            }
                        }
                        s
                    }
                };
                if p.required {
                    required.push(p.name.clone());
                }
                props.insert(p.name.clone(), schema);
            }
            let mut s = Map::new();
            s.insert("type".into(), "object".into());
            s.insert(
                "description".into(),
                format!("`{id}` 的请求参数。The body of a `{id}` request.").into(),
            );
            if !required.is_empty() {
                s.insert("required".into(), json!(required));
            }
            s.insert("properties".into(), Value::Object(props));
            op_schemas.insert(request.clone(), Value::Object(s));
            o.insert(
                "requestBody".into(),
                json!({
                    "required": true,
                    "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{request}")}}},
                }),
            );
        }

        // Answers.
        let response = format!("{upper}Response");
        let has_result = op.zh.response.iter().any(|f| f.name == "result");
        let mut rprops = Map::new();
        let rid = op.zh.response.iter().find(|f| f.name == "requestId");
        rprops.insert(
            "requestId".into(),
            json!({"type": "string", "description": bilingual(rid.map(|f| f.description.as_str()).unwrap_or("请求ID。"), "The request ID.")}),
        );
        if has_result {
            rprops.insert(
                "result".into(),
                json!({"$ref": format!("#/components/schemas/{upper}Result")}),
            );
        }
        op_schemas.insert(
            response.clone(),
            json!({
                "type": "object",
                "description": format!("`{id}` 的返回参数。The answer to `{id}`."),
                "required": if has_result { json!(["requestId", "result"]) } else { json!(["requestId"]) },
                "properties": rprops,
            }),
        );
        if has_result {
            let result_fields: Vec<Field> = op
                .zh
                .response_types
                .iter()
                .filter(|t| t.name.eq_ignore_ascii_case("result"))
                .flat_map(|t| t.fields.clone())
                .collect();
            let mut props = Map::new();
            for f in &result_fields {
                let en_d = cx.en_type_field(id, "Result", &f.name);
                let d = cx.text(&f.description, &en_d);
                if props.contains_key(&f.name) {
                    continue;
                }
                props.insert(f.name.clone(), cx.field_schema(id, f, &d, false, true));
            }
            op_schemas.insert(
                format!("{upper}Result"),
                json!({
                    "type": "object",
                    "description": format!("`{id}` 的响应结果。The result of `{id}`."),
                    "properties": props,
                }),
            );
        }
        let mut responses = Map::new();
        responses.insert(
            "200".into(),
            json!({
                "description": "OK。请求成功。The request succeeded.",
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{response}")}}},
            }),
        );
        let mut examples = Map::new();
        for e in errors_by_op.get(id).into_iter().flatten() {
            let mut ex = Map::new();
            ex.insert("summary".into(), e.row.message.as_str().into());
            if e.retryable {
                ex.insert("x-retryable".into(), true.into());
            }
            ex.insert("description".into(), error_description(&e.row).into());
            ex.insert(
                "value".into(),
                json!({
                    "requestId": request_id(id, &e.name),
                    "error": {"code": e.row.status, "status": e.row.code, "message": e.row.message},
                }),
            );
            examples.insert(e.name.clone(), Value::Object(ex));
        }
        let mut media = Map::new();
        media.insert(
            "schema".into(),
            json!({"$ref": "#/components/schemas/ErrorResponse"}),
        );
        if !examples.is_empty() {
            media.insert("examples".into(), Value::Object(examples));
        }
        responses.insert(
            "4XX".into(),
            json!({
                "description": "请求被拒绝。The request was refused.",
                "content": {"application/json": media},
            }),
        );
        responses.insert(
            "5XX".into(),
            json!({"$ref": "#/components/responses/ServerError"}),
        );
        o.insert("responses".into(), Value::Object(responses));
        if let Some(Value::Object(ext)) = overlay
            .extensions
            .get("operations")
            .and_then(|v| v.get(id.as_str()))
        {
            for (k, v) in ext {
                o.insert(k.clone(), v.clone());
            }
        }
        let method = op.zh.method.to_lowercase();
        let item = paths.entry(op.zh.path.clone()).or_default();
        if item.contains_key(&method) {
            return Err(format!(
                "{id}: {method} {} is taken by another operation",
                op.zh.path
            ));
        }
        item.insert(method, Value::Object(o));
    }

    // Nested types.
    let mut nested: BTreeMap<String, Value> = BTreeMap::new();
    let cluster_list: Vec<(String, Vec<Def>)> = cx
        .types
        .clusters
        .values()
        .flatten()
        .map(|c| (c.schema.clone(), c.defs.clone()))
        .collect();
    for (schema, defs) in cluster_list {
        let request_only = defs.iter().all(|d| d.side == Side::Request);
        let mut order: Vec<String> = Vec::new();
        for d in &defs {
            for f in &d.fields {
                if !order.contains(&f.name) {
                    order.push(f.name.clone());
                }
            }
        }
        let mut props = Map::new();
        let mut required = Vec::new();
        for name in &order {
            let (d, f) = defs
                .iter()
                .find_map(|d| d.fields.iter().find(|f| &f.name == name).map(|f| (d, f)))
                .expect("listed above");
            let en_d = defs
                .iter()
                .map(|d| cx.en_type_field(&d.op, &original_name(&cx, &d.op, &schema), name))
                .find(|s| !s.is_empty())
                .unwrap_or_default();
            let d_text = cx.text(&f.description, &en_d);
            let all_required = defs
                .iter()
                .all(|d| d.fields.iter().any(|g| &g.name == name && g.required));
            if request_only && all_required {
                required.push(name.clone());
            }
            props.insert(
                name.clone(),
                cx.field_schema(&d.op, f, &d_text, request_only, true),
            );
        }
        let mut s = Map::new();
        s.insert("type".into(), "object".into());
        if !required.is_empty() {
            s.insert("required".into(), json!(required));
        }
        s.insert("properties".into(), Value::Object(props));
        nested.insert(schema, Value::Object(s));
    }

    for (k, v) in id_schemas {
        schemas.insert(k, v);
    }
    schemas.extend(op_schemas);
    for (k, v) in nested {
        if schemas.contains_key(&k) {
            return Err(format!(
                "schema `{k}`: a nested type takes the name of an operation's or an ID's schema"
            ));
        }
        schemas.insert(k, v);
    }
    schemas.insert("ErrorResponse".into(), error_response());
    schemas.insert("ErrorDetail".into(), error_detail());
    for (name, schema) in schemas.iter_mut() {
        shape_for_users(name, schema);
    }

    let server_rows: Vec<&ErrorRow> = ops
        .iter()
        .flat_map(|o| &o.zh.errors)
        .filter(|e| e.status >= 500)
        .collect();
    let server_error = server_error(&server_rows)?;

    let mut doc = Map::new();
    doc.insert("openapi".into(), "3.0.3".into());
    for (k, v) in &overlay.document {
        doc.insert(k.clone(), v.clone());
    }
    for (k, v) in &overlay.extensions {
        if k.starts_with("x-") {
            doc.insert(k.clone(), v.clone());
        }
    }
    let paths: Map<String, Value> = paths
        .into_iter()
        .map(|(k, v)| (k, Value::Object(v)))
        .collect();
    doc.insert("paths".into(), Value::Object(paths));
    doc.insert(
        "components".into(),
        json!({"responses": {"ServerError": server_error}, "schemas": schemas}),
    );
    for t in &overlay.english.texts {
        if !cx.english_used.borrow().contains(&english_key(&t.zh)) {
            cx.warnings.push(format!(
                "english texts: no description without English reads {:?} any more: take the entry out",
                t.zh.chars().take(40).collect::<String>()
            ));
        }
    }
    for id in overlay.english.operations.keys() {
        if ops.iter().any(|o| &o.id == id && o.en.is_some()) {
            cx.warnings.push(format!(
                "english operations: `{id}` has an en page now: take the entry out"
            ));
        }
    }
    let warnings = std::mem::take(&mut cx.warnings);
    Ok(Built {
        document: Value::Object(doc),
        errors: errors_by_op,
        row_names,
        warnings,
    })
}

/// Two rules of the generated types' shape, on the finished schemas:
/// - no `default` on an object's property: the SDK's types would then send the default though
///   the caller set nothing (a `chargeOnStopped` the instance cannot take, say); the page's
///   default stays in the description, and JD Cloud applies it;
/// - in an operation's `…Result`, a property that is an object, and `totalCount`, are required:
///   the page's answer always carries what it describes (`describeInstance`'s `instance`) and
///   how many match, and a caller reads `resp.result.instance`, not an `Option` of it.
fn shape_for_users(name: &str, schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let mut objects = Vec::new();
    if let Some(Value::Object(props)) = object.get_mut("properties") {
        for (prop, value) in props.iter_mut() {
            if let Some(p) = value.as_object_mut() {
                p.remove("default");
                if p.contains_key("$ref") || prop == "totalCount" {
                    objects.push(prop.clone());
                }
            }
        }
    }
    if !name.ends_with("Result") || objects.is_empty() {
        return;
    }
    let required = object.entry("required").or_insert_with(|| json!([]));
    if let Some(list) = required.as_array_mut() {
        for prop in objects {
            if !list.iter().any(|r| r == &Value::String(prop.clone())) {
                list.push(prop.into());
            }
        }
    }
}

/// The name a page gives the type that became `schema` for operation `op`.
fn original_name(cx: &Ctx, op: &str, schema: &str) -> String {
    cx.types
        .local
        .iter()
        .find(|((o, _), s)| o == op && s.as_str() == schema)
        .map(|((_, n), _)| n.clone())
        .unwrap_or_default()
}

/// The filter names a `filters` description lists: `` `name`: … `` or `name - …` a line.
pub fn filter_names(description: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in description.lines() {
        let line = line.trim();
        if line.contains("filters") && line.contains("过滤") {
            continue;
        }
        let name = if let Some(rest) = line.strip_prefix('`') {
            rest.split('`').next().unwrap_or_default().to_owned()
        } else {
            let n: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                .collect();
            let rest = line[n.len()..].trim_start();
            if !rest.starts_with(['-', ':', '：']) {
                continue;
            }
            n
        };
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    out
}

fn id_schema(description: &str) -> Value {
    json!({
        "type": "string",
        "description": format!("{description}\n\n1 到 64 个字符：首字符为字母或数字，其余为字母、数字、`-`、`_` 或 `.`。\n1 to 64 characters: a letter or digit first, then letters, digits, `-`, `_` or `.`."),
        "minLength": 1,
        "maxLength": 64,
        "pattern": ID_PATTERN,
    })
}

fn id_schema_with_example(description: &str, example: &str) -> Value {
    let mut v = id_schema(description.trim());
    if let Value::Object(m) = &mut v {
        m.insert("example".into(), example.into());
    }
    v
}

/// A request id for an example: 32 hex digits from the operation and the error's name, so the
/// document is the same at every import.
fn request_id(op: &str, name: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    let mut out = String::new();
    for round in 0..2u8 {
        for b in op.bytes().chain([b'/', round]).chain(name.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

/// An error's 错误解析 (the pages have no English for errors) and its message, which is
/// JD Cloud's English for it.
fn error_description(row: &ErrorRow) -> String {
    bilingual(
        &row.explanation,
        &format!("JD Cloud's message: {}", row.message),
    )
}

fn server_error(rows: &[&ErrorRow]) -> Result<Value, String> {
    let find = |code: &str| {
        rows.iter()
            .find(|r| r.code == code)
            .copied()
            .ok_or_else(|| format!("no page documents a 500 {code} row"))
    };
    let mut examples = Map::new();
    for (name, code) in [
        ("InternalServerError", "INTERNAL"),
        ("UnknownServerError", "UNKNOWN"),
    ] {
        let r = find(code)?;
        examples.insert(
            name.into(),
            json!({
                "summary": r.message,
                "x-retryable": true,
                "description": error_description(r),
                "value": {"requestId": request_id("ServerError", name), "error": {"code": r.status, "status": r.code, "message": r.message}},
            }),
        );
    }
    Ok(json!({
        "description": "服务端错误，请稍后重试。A server-side failure: try again later.",
        "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorResponse"},
            "examples": examples,
        }},
    }))
}

fn error_response() -> Value {
    json!({
        "type": "object",
        "description": "京东云的统一错误返回。JD Cloud's one error body, for every operation.",
        "required": ["requestId", "error"],
        "properties": {
            "requestId": {"type": "string", "description": "请求ID。The request ID."},
            "error": {"$ref": "#/components/schemas/ErrorDetail"},
        },
    })
}

fn error_detail() -> Value {
    json!({
        "type": "object",
        "description": "错误信息。What went wrong.",
        "required": ["code", "status", "message"],
        "properties": {
            "code": {"type": "integer", "format": "int32", "description": "HTTP状态码。The HTTP status code."},
            "status": {"type": "string", "description": "错误码，如 `FAILED_PRECONDITION`。The error status, such as `FAILED_PRECONDITION`."},
            "message": {"type": "string", "description": "错误描述。A human-readable message."},
            "details": {"description": "错误详情（可选）。Further details, when the service gives any."},
        },
    })
}

/// Applies the overlay's `fields` and `corrections` to the operations.
pub fn apply_fields(ops: &mut [Operation], overlay: &Overlay) -> Result<(), String> {
    for f in &overlay.fields {
        let (owner, name) = f.at.split_once('.').ok_or_else(|| {
            format!(
                "overlay fields: `{}` is not <op>.<field> or <Type>.<field>",
                f.at
            )
        })?;
        let field = Field {
            name: name.to_owned(),
            ty: f.ty.clone(),
            required: f.required,
            description: f.description.trim().to_owned(),
            default: String::new(),
        };
        let mut hit = false;
        for op in ops.iter_mut() {
            if op.id == owner {
                if op.zh.params.iter().any(|p| p.name == name) {
                    return Err(format!("overlay fields: `{}` is on the page already", f.at));
                }
                op.zh.params.push(field.clone());
                hit = true;
            }
            for t in op
                .zh
                .request_types
                .iter_mut()
                .chain(op.zh.response_types.iter_mut())
                .filter(|t| t.name == owner)
            {
                if !t.fields.iter().any(|p| p.name == name) {
                    t.fields.push(field.clone());
                }
                hit = true;
            }
        }
        if !hit {
            return Err(format!("overlay fields: no operation or type `{owner}`"));
        }
    }
    for c in &overlay.corrections {
        // `<op>.<param>`, `<Type>.<field>` or `<op>.<Type>.<field>` (a type of one operation,
        // such as its `Result`).
        let parts: Vec<&str> = c.at.split('.').collect();
        let (only_op, owner, name) = match parts[..] {
            [owner, name] => (None, owner, name),
            [op, owner, name] => (Some(op), owner, name),
            _ => return Err(format!("overlay corrections: `{}` is not <op>.<field>, <Type>.<field> or <op>.<Type>.<field>", c.at)),
        };
        let mut hit = false;
        for op in ops.iter_mut() {
            if only_op.is_some_and(|o| o != op.id) {
                continue;
            }
            let on_op = only_op.is_none() && op.id == owner;
            let fields = op
                .zh
                .params
                .iter_mut()
                .filter(|_| on_op)
                .chain(
                    op.zh
                        .request_types
                        .iter_mut()
                        .chain(op.zh.response_types.iter_mut())
                        .filter(|t: &&mut TypeDef| t.name == owner)
                        .flat_map(|t| t.fields.iter_mut()),
                )
                .filter(|f| f.name == name);
            for f in fields {
                if let Some(t) = &c.ty {
                    f.ty = t.clone();
                }
                if let Some(r) = c.required {
                    f.required = r;
                }
                hit = true;
            }
        }
        if !hit {
            return Err(format!("overlay corrections: nothing at `{}`", c.at));
        }
    }
    Ok(())
}
