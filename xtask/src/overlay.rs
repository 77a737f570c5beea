//! `spec/overlay.yaml`: what the pages cannot say or get wrong. Every entry carries a one-line
//! `reason`. The format is in xtask/README.md.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::page::{ErrorRow, Field, Page, TypeDef};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// The document's `info`, `servers`, `tags`: copied as they are.
    pub document: serde_json::Map<String, serde_json::Value>,
    /// The folder of a page → the operation's tag.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Operation → tag, where the folder does not say (the SDK-only ones, `createImage`).
    #[serde(default)]
    pub operation_tags: BTreeMap<String, Reasoned<String>>,
    /// ID schemas for body fields by name (path parameters get theirs without an entry).
    #[serde(default)]
    pub id_fields: Vec<IdField>,
    #[serde(default)]
    pub error_names: Vec<ErrorName>,
    /// Operations without a page (from the official Python SDK).
    #[serde(default)]
    pub operations: BTreeMap<String, OverlayOperation>,
    /// Nested types no page defines (from the official Python SDK's models).
    #[serde(default)]
    pub types: Vec<OverlayType>,
    /// Fields the pages lack (from the official Python SDK).
    #[serde(default)]
    pub fields: Vec<AddField>,
    /// English where no en page gives any: operations' descriptions, and field descriptions by
    /// their Chinese text.
    #[serde(default)]
    pub english: English,
    /// Filter names the pages do not list (from the official Python SDK's docstrings).
    #[serde(default)]
    pub filters: Vec<AddFilters>,
    /// Corrections of what a page says of one field.
    #[serde(default)]
    pub corrections: Vec<Correction>,
    /// Differences from the official Python SDK the spec keeps; read by
    /// scripts/python_sdk_agreement.py, not by the importer.
    #[serde(default)]
    pub sdk_differences: Vec<serde_json::Value>,
    /// Copied into the document: top-level `x-…` keys, and `operations: {opId: {x-…}}`.
    #[serde(default)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reasoned<T> {
    pub value: T,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdField {
    /// A property name of request bodies (`networkInterfaceId`).
    pub field: String,
    /// The ID schema (`NetworkInterfaceId`).
    pub schema: String,
    pub description: String,
    pub example: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorName {
    /// A message as a page writes it; matched by meaning (placeholders, quotes, final period
    /// and case do not count).
    pub message: String,
    pub name: String,
    #[serde(default)]
    pub retryable: bool,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlayOperation {
    pub reason: String,
    pub method: String,
    pub path: String,
    pub description: String,
    #[serde(default)]
    pub path_params: Vec<Field>,
    #[serde(default)]
    pub params: Vec<Field>,
    #[serde(default)]
    pub request_types: Vec<TypeDef>,
    /// The fields of `result`; none: the answer has only `requestId` as far as anyone documents.
    #[serde(default)]
    pub result: Vec<Field>,
    #[serde(default)]
    pub response_types: Vec<TypeDef>,
    #[serde(default)]
    pub errors: Vec<ErrorRow>,
}

impl OverlayOperation {
    pub fn to_page(&self, op: &str) -> Page {
        let mut page = Page {
            op: op.to_owned(),
            file: format!("spec/overlay.yaml#operations.{op}"),
            method: self.method.clone(),
            path: self.path.clone(),
            description: self.description.trim().to_owned(),
            path_params: self.path_params.clone(),
            params: self.params.clone(),
            request_types: self.request_types.clone(),
            response_types: self.response_types.clone(),
            errors: self.errors.clone(),
            ..Page::default()
        };
        if !self.result.is_empty() {
            page.response.push(Field {
                name: "result".into(),
                ty: "Result".into(),
                description: "响应结果。".into(),
                ..Field::default()
            });
            page.response_types.insert(
                0,
                TypeDef {
                    name: "Result".into(),
                    fields: self.result.clone(),
                },
            );
        }
        page.response.push(Field {
            name: "requestId".into(),
            ty: "String".into(),
            description: "请求ID。".into(),
            ..Field::default()
        });
        page
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlayType {
    pub name: String,
    pub fields: Vec<Field>,
    /// Used in answers (no enum, nothing required); else in requests.
    #[serde(default)]
    pub response: bool,
    pub reason: String,
}

impl OverlayType {
    pub fn def(&self) -> TypeDef {
        TypeDef {
            name: self.name.clone(),
            fields: self.fields.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddField {
    /// `<op>.<param>` (a parameter of an operation) or `<TypeName>.<field>` (a field of a
    /// nested type, wherever it is defined).
    pub at: String,
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub required: bool,
    pub description: String,
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct English {
    /// Operation → its English description (operations without an en page).
    #[serde(default)]
    pub operations: BTreeMap<String, String>,
    /// Field descriptions: the Chinese text as the page writes it → English.
    #[serde(default)]
    pub texts: Vec<Translation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddFilters {
    /// The operation whose `filters` parameter takes them.
    pub at: String,
    pub names: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// `<op>.<param>` or `<TypeName>.<field>`.
    pub at: String,
    #[serde(default, rename = "type")]
    pub ty: Option<String>,
    #[serde(default)]
    pub required: Option<bool>,
    pub reason: String,
}

pub fn parse(text: &str) -> Result<Overlay, String> {
    yaml_serde::from_str(text).map_err(|e| format!("spec/overlay.yaml: {e}"))
}
