//! Workspaces, members, sessions, items and activity: the behaviour behind the routes.

use serde_json::{Value, json};

use super::on_both_backends;

fn item(text: &str) -> Value {
    json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

on_both_backends! {
    async fn workspaces_list_in_pages_rename_and_delete_with_everything_in_them(server) {
        let alice = server.as_user("alice");
        let mut created = Vec::new();
        for n in 0..5 {
            created.push(alice.workspace(&format!("W{n}")).await);
        }
        let (_, first) = alice.get("/v1/workspaces?limit=2").await;
        let names = |page: &Value| -> Vec<String> { page["items"].as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap().to_string()).collect() };
        assert_eq!(names(&first), ["W4", "W3"], "newest first");
        let cursor = first["next_cursor"].as_str().unwrap();
        let (_, second) = alice.get(&format!("/v1/workspaces?limit=2&cursor={cursor}")).await;
        assert_eq!(names(&second), ["W2", "W1"]);
        let (_, last) = alice.get(&format!("/v1/workspaces?limit=2&cursor={}", second["next_cursor"].as_str().unwrap())).await;
        assert_eq!(names(&last), ["W0"]);
        assert!(last["next_cursor"].is_null());

        let workspace = &created[0];
        let (status, renamed) = alice.patch(&format!("/v1/workspaces/{workspace}"), json!({"name": "  Renamed  "})).await;
        assert_eq!((status, renamed["name"].as_str()), (200, Some("Renamed")));
        let session = alice.session(workspace, "S").await;
        alice.upload(workspace, "f.txt", b"x").await;
        assert_eq!(alice.delete(&format!("/v1/workspaces/{workspace}")).await.0, 204);
        assert_eq!(alice.get(&format!("/v1/workspaces/{workspace}/sessions/{session}")).await.0, 404);
        let leftovers = std::fs::read_dir(server.data_dir.path().join("artifacts").join(workspace)).map(|d| d.count()).unwrap_or(0);
        assert_eq!(leftovers, 0, "the workspace's files are gone");
    }

    async fn members_roles_and_the_last_owner(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("Team").await;
        let members = format!("/v1/workspaces/{workspace}/members");
        alice.invite(&workspace, "principal:bob", "editor").await;
        let (status, body) = alice.post(&members, json!({"principal": "principal:bob", "role": "viewer"})).await;
        assert_eq!(status, 409);
        assert!(body["error"]["message"].as_str().unwrap().contains("already a member"));
        let (status, body) = alice.post(&members, json!({"principal": "tenant:bob", "role": "viewer"})).await;
        assert_eq!(status, 404, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("principal:<name>"), "{body}");
        let (status, _) = alice.post(&members, json!({"principal": "principal:x", "role": "admin"})).await;
        assert_eq!(status, 422, "unknown role");

        let (status, body) = alice.delete(&format!("{members}/principal:alice")).await;
        assert_eq!(status, 409, "the last owner cannot leave");
        assert!(body["error"]["message"].as_str().unwrap().contains("last owner"));
        let (status, _) = alice.patch(&format!("{members}/principal:alice"), json!({"role": "editor"})).await;
        assert_eq!(status, 409, "nor be demoted");

        assert_eq!(alice.patch(&format!("{members}/principal:bob"), json!({"role": "owner"})).await.0, 204);
        assert_eq!(alice.delete(&format!("{members}/principal:alice")).await.0, 204, "with another owner, alice may leave");
        assert_eq!(alice.get(&format!("/v1/workspaces/{workspace}")).await.0, 404);
        let bob = server.as_user("bob");
        let (_, list) = bob.get(&members).await;
        let principals: Vec<&str> = list.as_array().unwrap().iter().map(|m| m["principal"].as_str().unwrap()).collect();
        assert_eq!(principals, ["principal:bob"]);
        assert_eq!(bob.delete(&format!("{members}/principal:nobody")).await.0, 404);
    }

    async fn members_are_listed_by_name_and_invited_by_their_sign_in_name(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("Names").await;
        let members = format!("/v1/workspaces/{workspace}/members");
        let (status, body) = alice.post(&members, json!({"principal": "carol", "role": "viewer"})).await;
        assert_eq!(status, 404, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("nobody has signed in to this server as carol yet"),
            "{body}"
        );
        assert_eq!(server.as_user("carol").get("/v1/me").await.0, 200, "carol signs in once");
        let (status, body) = alice.post(&members, json!({"principal": "Carol", "role": "viewer"})).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!((body["principal"].as_str(), body["display_name"].as_str()), (Some("principal:carol"), Some("carol")));
        let (_, list) = alice.get(&members).await;
        let named: Vec<(&str, Option<&str>)> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|member| (member["principal"].as_str().unwrap(), member["display_name"].as_str()))
            .collect();
        assert_eq!(named, [("principal:alice", Some("alice")), ("principal:carol", Some("carol"))]);
    }

    async fn items_append_in_order_and_stale_writers_get_409(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("W").await;
        let session = alice.session(&workspace, "S").await;
        let items = format!("/v1/workspaces/{workspace}/sessions/{session}/items");
        let (status, appended) = alice.post(&items, json!({"expected_seq": 0, "items": [item("a"), item("b")]})).await;
        assert_eq!((status, appended), (200, json!({"first_seq": 0, "next_seq": 2})));
        let (status, body) = alice.post(&items, json!({"expected_seq": 0, "items": [item("late")]})).await;
        assert_eq!(status, 409);
        assert!(body["error"]["message"].as_str().unwrap().contains("the session has 2 items"), "{body}");
        alice.post(&items, json!({"expected_seq": 2, "items": [item("c")]})).await;

        let (_, all) = alice.get(&items).await;
        assert_eq!(all["next_seq"], 3);
        let texts: Vec<&str> = all["items"].as_array().unwrap().iter().map(|i| i["payload"]["content"][0]["text"].as_str().unwrap()).collect();
        assert_eq!(texts, ["a", "b", "c"]);
        assert_eq!(all["items"][0]["author"], "principal:alice");
        assert_eq!(all["items"][0]["kind"], "message");
        let (_, after) = alice.get(&format!("{items}?after=1")).await;
        assert_eq!(after["items"].as_array().unwrap().len(), 1);
        assert_eq!(after["items"][0]["seq"], 2);
        let (_, session_body) = alice.get(&format!("/v1/workspaces/{workspace}/sessions/{session}")).await;
        assert_eq!(session_body["item_count"], 3);
    }

    async fn concurrent_appends_at_the_same_sequence_have_exactly_one_winner(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("W").await;
        let session = alice.session(&workspace, "S").await;
        let items = format!("/v1/workspaces/{workspace}/sessions/{session}/items");
        let attempts = (0..8).map(|n| {
            let body = json!({"expected_seq": 0, "items": [item(&format!("writer {n}")), item("second")]});
            let request = alice.request(reqwest::Method::POST, &items).json(&body);
            alice.send(request)
        });
        let results = futures::future::join_all(attempts).await;
        let statuses: Vec<u16> = results.iter().map(|(status, _)| *status).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
        let (_, all) = alice.get(&items).await;
        let seqs: Vec<i64> = all["items"].as_array().unwrap().iter().map(|i| i["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, [0, 1], "no gaps, no duplicates");
    }

    async fn fork_copies_items_before_a_sequence(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("W").await;
        let session = alice.session(&workspace, "Original").await;
        let base = format!("/v1/workspaces/{workspace}/sessions/{session}");
        alice.post(&format!("{base}/items"), json!({"expected_seq": 0, "items": [item("a"), item("b"), item("c")]})).await;
        let (status, fork) = alice.post(&format!("{base}/fork"), json!({"up_to_seq": 2})).await;
        assert_eq!(status, 201, "{fork}");
        assert_eq!(fork["title"], "Original (fork)");
        assert_eq!((fork["item_count"].as_i64(), fork["forked_at_seq"].as_i64()), (Some(2), Some(2)));
        assert_eq!(fork["forked_from"], session.as_str());
        let fork_id = fork["id"].as_str().unwrap();
        let (_, items) = alice.get(&format!("/v1/workspaces/{workspace}/sessions/{fork_id}/items")).await;
        assert_eq!(items["items"].as_array().unwrap().len(), 2);
        let (status, beyond) = alice.post(&format!("{base}/fork"), json!({"up_to_seq": 9})).await;
        assert_eq!(status, 409, "beyond the items is a conflict with the session's state");
        assert!(beyond["error"]["message"].as_str().unwrap().contains("holds 3 items"), "{beyond}");
        let (status, _) = alice.post(&format!("{base}/fork"), json!({"up_to_seq": -1})).await;
        assert_eq!(status, 422);
    }

    async fn sessions_page_by_last_update_and_activity_tells_who_did_what(server) {
        let alice = server.as_user("alice");
        let workspace = alice.workspace("W").await;
        alice.invite(&workspace, "principal:bob", "editor").await;
        let first = alice.session(&workspace, "first").await;
        let _second = alice.session(&workspace, "second").await;
        // Times are kept to the millisecond; make sure the append is later.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let bob = server.as_user("bob");
        bob.post(&format!("/v1/workspaces/{workspace}/sessions/{first}/items"), json!({"expected_seq": 0, "items": [item("x")]})).await;
        let (_, sessions) = alice.get(&format!("/v1/workspaces/{workspace}/sessions?limit=1")).await;
        assert_eq!(sessions["items"][0]["title"], "first", "the session with the newest item comes first");
        let (_, rest) = alice.get(&format!("/v1/workspaces/{workspace}/sessions?limit=1&cursor={}", sessions["next_cursor"].as_str().unwrap())).await;
        assert_eq!(rest["items"][0]["title"], "second");

        let (_, activity) = alice.get(&format!("/v1/workspaces/{workspace}/activity?limit=3")).await;
        let entries: Vec<(String, String)> = activity["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["actor"].as_str().unwrap().to_string(), a["summary"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(entries[0], ("principal:bob".to_string(), "added 1 item to a session".to_string()));
        assert_eq!(entries[1].1, "started the session “second”");
        let (_, older) = alice.get(&format!("/v1/workspaces/{workspace}/activity?limit=10&cursor={}", activity["next_cursor"].as_str().unwrap())).await;
        let summaries: Vec<&str> = older["items"].as_array().unwrap().iter().map(|a| a["summary"].as_str().unwrap()).collect();
        assert_eq!(summaries, ["added principal:bob as editor", "created the workspace “W”"]);
    }
}
