//! The access matrix: every route x {owner, editor, viewer, non-member, anonymous}.
//! Destructive routes get a fresh target for each attempt.

use reqwest::Method;
use serde_json::{Value, json};

use super::{TestServer, on_both_backends};

const OWNER: Option<&str> = Some("alice");
const EDITOR: Option<&str> = Some("bob");
const VIEWER: Option<&str> = Some("carol");
const OUTSIDER: Option<&str> = Some("dave");
const ACTORS: [Option<&str>; 5] = [OWNER, EDITOR, VIEWER, OUTSIDER, None];

/// A workspace owned by alice, with bob as editor and carol as viewer.
async fn team(server: &TestServer) -> String {
    let alice = server.as_user("alice");
    let workspace = alice.workspace("Team").await;
    alice.invite(&workspace, "principal:bob", "editor").await;
    alice.invite(&workspace, "principal:carol", "viewer").await;
    workspace
}

/// What one attempt calls: method, path, JSON body (None: none; raw upload otherwise
/// handled by the route name).
async fn attempt(server: &TestServer, route: &str, actor: Option<&str>) -> u16 {
    let alice = server.as_user("alice");
    let workspace = team(server).await;
    let ws = format!("/v1/workspaces/{workspace}");
    let session = alice.session(&workspace, "Plan").await;
    let artifact = alice.upload(&workspace, "notes.txt", b"notes").await;
    alice.invite(&workspace, "principal:erin", "viewer").await;
    let (method, path, body): (Method, String, Option<Value>) = match route {
        "me" => (Method::GET, "/v1/me".into(), None),
        "list workspaces" => (Method::GET, "/v1/workspaces".into(), None),
        "create workspace" => (
            Method::POST,
            "/v1/workspaces".into(),
            Some(json!({"name": "Mine"})),
        ),
        "get workspace" => (Method::GET, ws.clone(), None),
        "rename workspace" => (Method::PATCH, ws.clone(), Some(json!({"name": "Renamed"}))),
        "delete workspace" => (Method::DELETE, ws.clone(), None),
        "list members" => (Method::GET, format!("{ws}/members"), None),
        "invite member" => (
            Method::POST,
            format!("{ws}/members"),
            Some(json!({"principal": "principal:frank", "role": "viewer"})),
        ),
        "change role" => (
            Method::PATCH,
            format!("{ws}/members/principal:erin"),
            Some(json!({"role": "editor"})),
        ),
        "remove member" => (Method::DELETE, format!("{ws}/members/principal:erin"), None),
        "list sessions" => (Method::GET, format!("{ws}/sessions"), None),
        "create session" => (
            Method::POST,
            format!("{ws}/sessions"),
            Some(json!({"title": "New"})),
        ),
        "get session" => (Method::GET, format!("{ws}/sessions/{session}"), None),
        "rename session" => (
            Method::PATCH,
            format!("{ws}/sessions/{session}"),
            Some(json!({"title": "Renamed"})),
        ),
        "delete session" => (Method::DELETE, format!("{ws}/sessions/{session}"), None),
        "fork session" => (
            Method::POST,
            format!("{ws}/sessions/{session}/fork"),
            Some(json!({})),
        ),
        "read items" => (Method::GET, format!("{ws}/sessions/{session}/items"), None),
        "append items" => (
            Method::POST,
            format!("{ws}/sessions/{session}/items"),
            Some(
                json!({"expected_seq": 0, "items": [{"type": "message", "role": "user", "content": []}]}),
            ),
        ),
        "activity" => (Method::GET, format!("{ws}/activity"), None),
        "list artifacts" => (Method::GET, format!("{ws}/artifacts"), None),
        "upload artifact" => {
            let request = server
                .user(actor)
                .request(Method::POST, &format!("{ws}/artifacts"))
                .query(&[("name", "up.txt")])
                .body("data");
            return server.user(actor).send(request).await.0;
        }
        "download artifact" => (Method::GET, format!("{ws}/artifacts/{artifact}"), None),
        "delete artifact" => (Method::DELETE, format!("{ws}/artifacts/{artifact}"), None),
        other => panic!("unknown route {other}"),
    };
    let api = server.user(actor);
    let mut request = api.request(method, &path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    api.send(request).await.0
}

/// Expected status for owner, editor, viewer, non-member, anonymous.
const MATRIX: &[(&str, [u16; 5])] = &[
    ("me", [200, 200, 200, 200, 401]),
    ("list workspaces", [200, 200, 200, 200, 401]),
    ("create workspace", [201, 201, 201, 201, 401]),
    ("get workspace", [200, 200, 200, 404, 401]),
    ("rename workspace", [200, 403, 403, 404, 401]),
    ("delete workspace", [204, 403, 403, 404, 401]),
    ("list members", [200, 200, 200, 404, 401]),
    ("invite member", [201, 403, 403, 404, 401]),
    ("change role", [204, 403, 403, 404, 401]),
    ("remove member", [204, 403, 403, 404, 401]),
    ("list sessions", [200, 200, 200, 404, 401]),
    ("create session", [201, 201, 403, 404, 401]),
    ("get session", [200, 200, 200, 404, 401]),
    ("rename session", [200, 200, 403, 404, 401]),
    ("delete session", [204, 403, 403, 404, 401]),
    ("fork session", [201, 201, 403, 404, 401]),
    ("read items", [200, 200, 200, 404, 401]),
    ("append items", [200, 200, 403, 404, 401]),
    ("activity", [200, 200, 200, 404, 401]),
    ("list artifacts", [200, 200, 200, 404, 401]),
    ("upload artifact", [201, 201, 403, 404, 401]),
    ("download artifact", [200, 200, 200, 404, 401]),
    ("delete artifact", [204, 204, 403, 404, 401]),
];

on_both_backends! {
    async fn every_route_for_every_role(server) {
        let mut mismatches = Vec::new();
        for (route, expected) in MATRIX {
            for (actor, want) in ACTORS.iter().zip(expected) {
                let got = attempt(&server, route, *actor).await;
                if got != *want {
                    mismatches.push(format!("{route} as {}: got {got}, want {want}", actor.unwrap_or("anonymous")));
                }
            }
        }
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }

    async fn a_session_author_who_is_an_editor_may_delete_it(server) {
        let workspace = team(&server).await;
        let bob = server.as_user("bob");
        let own = bob.session(&workspace, "Bob's").await;
        assert_eq!(bob.delete(&format!("/v1/workspaces/{workspace}/sessions/{own}")).await.0, 204);
    }

    async fn outsiders_cannot_tell_a_workspace_exists(server) {
        let workspace = team(&server).await;
        let dave = server.as_user("dave");
        let existing = dave.get(&format!("/v1/workspaces/{workspace}")).await;
        let missing = dave.get(&format!("/v1/workspaces/{}", uuid::Uuid::new_v4())).await;
        assert_eq!(existing.0, 404);
        assert_eq!(existing.1["error"]["message"], missing.1["error"]["message"]);
        let (status, body) = dave.get("/v1/workspaces").await;
        assert_eq!((status, &body["items"]), (200, &json!([])), "a non-member lists nothing");
    }
}
