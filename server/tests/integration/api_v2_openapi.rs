//! The API's OpenAPI 3.1 document (`/api/v2/openapi.json`): generated from the handlers that
//! serve the routes, it lists every endpoint, and the JSON the handlers answer with matches its
//! schemas field by field (no field the schema lacks, none it requires missing).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_v2::{Api, generate};
use crate::api_v2_oauth::{generate_client, token_request};
use crate::harness::{Backend, TestApp, on_both_databases};

on_both_databases!(the_document_lists_every_endpoint_and_matches_the_answers);

/// Every operation the API serves, as (method, path).
const OPERATIONS: [(&str, &str); 28] = [
    ("get", "/api/v2/tailnet/{tailnet}/users"),
    ("get", "/api/v2/users/{id}"),
    ("post", "/api/v2/users/{id}/role"),
    ("post", "/api/v2/users/{id}/approve"),
    ("post", "/api/v2/users/{id}/suspend"),
    ("post", "/api/v2/users/{id}/restore"),
    ("post", "/api/v2/users/{id}/delete"),
    ("get", "/api/v2/tailnet/{tailnet}/user-invites"),
    ("post", "/api/v2/tailnet/{tailnet}/user-invites"),
    ("get", "/api/v2/user-invites/{id}"),
    ("delete", "/api/v2/user-invites/{id}"),
    ("post", "/api/v2/user-invites/{id}/resend"),
    ("get", "/api/v2/tailnet/{tailnet}/settings"),
    ("patch", "/api/v2/tailnet/{tailnet}/settings"),
    ("get", "/api/v2/tailnet/{tailnet}/logging/configuration"),
    ("get", "/api/v2/tailnet/{tailnet}/keys"),
    ("post", "/api/v2/tailnet/{tailnet}/keys"),
    ("get", "/api/v2/tailnet/{tailnet}/keys/{id}"),
    ("delete", "/api/v2/tailnet/{tailnet}/keys/{id}"),
    ("post", "/api/v2/oauth/token"),
    ("get", "/api/v2/tailnet/{tailnet}/webhooks"),
    ("post", "/api/v2/tailnet/{tailnet}/webhooks"),
    ("get", "/api/v2/webhooks/{endpointId}"),
    ("patch", "/api/v2/webhooks/{endpointId}"),
    ("delete", "/api/v2/webhooks/{endpointId}"),
    ("post", "/api/v2/webhooks/{endpointId}/test"),
    ("post", "/api/v2/webhooks/{endpointId}/rotate"),
    ("get", "/api/v2/openapi.json"),
];

/// The schema `schema` stands for, following `$ref`s into the components.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            resolve(document, &document["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// Differences between `value` and `schema`, each named by where it is.
fn drift(document: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(document, schema);
    let mut found = Vec::new();
    if let (Some(properties), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (key, inner) in object {
            match properties.get(key) {
                Some(property) => {
                    found.extend(drift(document, property, inner, &format!("{at}.{key}")))
                }
                None => found.push(format!("{at}.{key} is not in the schema")),
            }
        }
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(required) {
                found.push(format!("{at}.{required} is required but missing"));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (index, inner) in array.iter().enumerate() {
            found.extend(drift(document, items, inner, &format!("{at}[{index}]")));
        }
    }
    found
}

/// The 200 answer schema of `method path`.
fn answer_schema<'a>(document: &'a Value, method: &str, path: &str) -> &'a Value {
    &document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
}

async fn the_document_lists_every_endpoint_and_matches_the_answers(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let response = reqwest::Client::new()
        .get(format!("{}/api/v2/openapi.json", app.address))
        .send()
        .await
        .expect("document");
    assert_eq!(response.status(), StatusCode::OK, "served without a token");
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.expect("json");
    assert!(
        document["openapi"]
            .as_str()
            .expect("version")
            .starts_with("3.1")
    );

    let mut listed: Vec<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("operations")
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    listed.push(("get".to_owned(), "/api/v2/openapi.json".to_owned()));
    listed.sort();
    let mut expected: Vec<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(listed, expected, "the document and the served routes agree");
    for (method, path) in &listed {
        if path.ends_with("openapi.json") {
            continue;
        }
        let operation = &document["paths"][path][method];
        // The token endpoint takes a client's id and secret, not a token.
        assert_eq!(
            operation["security"].is_array(),
            !path.ends_with("/oauth/token"),
            "{method} {path} names its credential"
        );
        assert!(
            operation["responses"]["4XX"].is_object(),
            "{method} {path} documents errors"
        );
    }

    // Answers of every shape, checked against their schemas (the keys list with a client).
    let api = Api::new(&app, &generate(&app, &tailnet, 30).await.secret);
    let client = generate_client(&app, &tailnet, &[app::delegation::Scope::UsersRead]).await;
    let (_, token) = token_request(&app, &[("client_secret", &client.secret)], None).await;
    let (_, invites) = api
        .post(
            "/tailnet/-/user-invites",
            json!([{ "email": "bo@example.com" }, {}]),
        )
        .await;
    let now = app::context::now();
    let window = format!(
        "start={}&end={}",
        app::format::utc_timestamp(now - 3_600),
        app::format::utc_timestamp(now + 3_600)
    );
    let checks = [
        ("post", "/api/v2/tailnet/{tailnet}/user-invites", invites),
        (
            "get",
            "/api/v2/tailnet/{tailnet}/user-invites",
            api.get("/tailnet/-/user-invites").await.1,
        ),
        (
            "get",
            "/api/v2/tailnet/{tailnet}/users",
            api.get("/tailnet/-/users").await.1,
        ),
        (
            "get",
            "/api/v2/tailnet/{tailnet}/settings",
            api.get("/tailnet/-/settings").await.1,
        ),
        (
            "get",
            "/api/v2/tailnet/{tailnet}/keys",
            api.get("/tailnet/-/keys").await.1,
        ),
        ("post", "/api/v2/oauth/token", token),
        (
            "post",
            "/api/v2/tailnet/{tailnet}/webhooks",
            // A public address written as such: nothing needs resolving.
            api.post(
                "/tailnet/-/webhooks",
                json!({ "endpointUrl": "https://93.184.215.14/hook", "subscriptions": ["userCreated"] }),
            )
            .await
            .1,
        ),
        (
            "get",
            "/api/v2/tailnet/{tailnet}/webhooks",
            api.get("/tailnet/-/webhooks").await.1,
        ),
        (
            "get",
            "/api/v2/tailnet/{tailnet}/logging/configuration",
            api.get(&format!("/tailnet/-/logging/configuration?{window}"))
                .await
                .1,
        ),
    ];
    for (method, path, answer) in checks {
        let schema = answer_schema(&document, method, path);
        assert!(!schema.is_null(), "{method} {path} documents its answer");
        assert!(!answer.is_null(), "{method} {path} answered");
        let differences = drift(&document, schema, &answer, path);
        assert!(differences.is_empty(), "{method} {path}: {differences:?}");
    }
    // The checker itself notices a field the schema does not have.
    let schema = answer_schema(&document, "get", "/api/v2/tailnet/{tailnet}/settings");
    let extra = json!({ "usersApprovalOn": true, "usersRoleAllowedToJoinExternalTailnets": "admin", "surprise": 1 });
    assert_eq!(drift(&document, schema, &extra, "settings").len(), 1);
}
