//! A waiter added to the spec is a new `Client::wait_until_*`, with no hand-written code: the
//! generator build.rs runs (build_support/waiters.rs), given the spec plus one more waiter,
//! writes the method; and a mistake in a declaration is one line naming it, not a waiter that
//! never matches.

// The very code build.rs runs.
#[allow(dead_code, unreachable_pub)]
#[path = "../src/answer_path.rs"]
mod answer_path;
#[allow(dead_code, unreachable_pub)]
#[path = "../build_support/documented_errors.rs"]
mod documented_errors;
#[allow(dead_code, unreachable_pub)]
#[path = "../build_support/validate.rs"]
mod validate;
#[allow(dead_code, unreachable_pub)]
#[path = "../build_support/waiters.rs"]
mod waiters;

use quote::quote;

/// The spec with `waiter` added under `x-jdcloud-waiters` as `name`; the generated code.
fn generate(name: &str, waiter: &str) -> Result<String, String> {
    let text = std::fs::read_to_string("spec/vm.yaml").unwrap();
    let mut spec: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
    let waiter: yaml_serde::Value = yaml_serde::from_str(waiter).unwrap();
    spec["x-jdcloud-waiters"]
        .as_mapping_mut()
        .expect("the spec declares waiters")
        .insert(name.into(), waiter);
    let spec: openapiv3::OpenAPI = yaml_serde::from_value(spec).unwrap();
    let errors = documented_errors::collect(&spec).unwrap();
    let items = waiters::generate(&spec, &errors)?;
    Ok(quote!(#(#items)*).to_string())
}

const RESIZED: &str = r#"
documentation: Waits until the instance has the type asked for.
operation: describeInstance
arguments: [regionId, instanceId, instanceType]
awaits: instance {instanceId} of type {instanceType}
minDelay: 1
maxDelay: 10
acceptors:
  - {state: success, path: result.instance.instanceType, equals: $instanceType}
  - {state: failure, path: result.instance.status, equals: error}
  - {state: retry, errorKind: TaskConflict}
"#;

#[test]
fn a_waiter_added_to_the_spec_is_a_new_method() {
    let code = generate("InstanceResized", RESIZED).unwrap();
    let squeezed: String = code.split_whitespace().collect();
    assert!(
        squeezed.contains(
            "pubasyncfnwait_until_instance_resized(&self,region_id:&str,instance_id:&str,instance_type:&str,timeout:::std::time::Duration,)->::std::result::Result<(),crate::Error>"
        ),
        "{code}"
    );
    // It polls describe_instance with the two arguments that are its inputs.
    assert!(squeezed.contains(".describe_instance().region_id(arguments[0usize]).instance_id(arguments[1usize]).send()"), "{code}");
    assert!(
        squeezed.contains("\"result.instance.instanceType\",test:Test::Equals(\"$instanceType\")"),
        "{code}"
    );
    // The declared ones are there too.
    for method in [
        "wait_until_attached",
        "wait_until_instance_running",
        "wait_until_disk_detached",
    ] {
        assert!(code.contains(method), "{method}");
    }
}

#[test]
fn mistakes_in_a_waiter_are_one_line_naming_it() {
    let cases = [
        (
            "operation: describeInstance",
            "operation: describeNothing",
            "operation `describeNothing` is not in the spec",
        ),
        (
            "path: result.instance.instanceType,",
            "path: result.instance.instanceTyp,",
            "the answer has no `instanceTyp` there",
        ),
        (
            "path: result.instance.instanceType,",
            "path: result.instance.keyNames,",
            "ends at a list",
        ),
        (
            "errorKind: TaskConflict",
            "errorKind: TaskConflicts",
            "`TaskConflicts` is no ErrorKind",
        ),
        (
            "equals: $instanceType",
            "equals: $instanceKind",
            "`$instanceKind` is no argument",
        ),
        (
            "awaits: instance {instanceId}",
            "awaits: instance {id}",
            "`{id}` is no argument",
        ),
        (
            "arguments: [regionId, instanceId, instanceType]",
            "arguments: [regionId, instanceType]",
            "`describeInstance` needs `instanceId`",
        ),
        (
            "state: success",
            "state: done",
            "`state` is success, failure or retry",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(RESIZED.contains(from), "{from}");
        let error = generate("InstanceResized", &RESIZED.replacen(from, to, 1)).unwrap_err();
        assert!(
            error.contains("x-jdcloud-waiters.InstanceResized"),
            "{error}"
        );
        assert!(error.contains(expected), "{to}: {error}");
        assert!(!error.contains('\n'), "{error}");
    }
}
