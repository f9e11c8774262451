//! Company cards and networking on both databases: the contact linked on
//! first sign-in, person search by each switch, the back office only for
//! members, the Info Counter's standby rules over real sockets, shares
//! with 150-character notes, the maintenance link's scope and rotation,
//! visitor requests with their e-mail, and isolation between cards.

use serde_json::{json, Value};
use test_support::{db_test, Backend};

use crate::helpers::{api_error, error_fields, TestApp, Visitor};
use crate::portal::{mail, no_more_mail, token};
use crate::rooms::Ws;

/// A user with a name of their own (person search looks at names).
async fn person(app: &TestApp, email: &str, first: &str, last: &str) -> Visitor {
    app.services
        .identity
        .create_user(domain::identity::UserInput {
            email,
            password: Some(crate::helpers::PASSWORD),
            first_name: first,
            last_name: last,
            language: kernel::Lang::De,
            platform_role: None,
            membership: None,
        })
        .await
        .unwrap();
    let v = app.second_client();
    v.login(email).await;
    v
}

async fn user_id(v: &Visitor) -> i64 {
    let me: Value = v.get("/api/v1/me").await.json().await.unwrap();
    me["user"]["id"].as_i64().unwrap()
}

/// The operator (the app's own client) creates a card; returns its id.
async fn new_card(app: &TestApp, name: &str, contact: &str) -> String {
    let r = app
        .post_json(
            "/api/v1/cards",
            &json!({"name": name, "contact_email": contact, "topics": "Logistik, Beratung", "city": "Köln"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let card: Value = r.json().await.unwrap();
    card["id"].as_str().unwrap().to_string()
}

async fn switches(v: &Visitor, networking: bool, findable: bool, show: bool, standby: bool) {
    let r = v
        .put_json(
            "/api/v1/profile/networking",
            &json!({"networking": networking, "findable": findable, "show_as_contact": show, "standby": standby}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

/// A member adds a person to the card's team (must succeed).
async fn add_member(v: &Visitor, card: &str, user: i64) {
    let r = v
        .post_json(&format!("/api/v1/cards/{card}/team"), &json!({"user_id": user}))
        .await;
    assert_eq!(r.status(), 204);
}

/// Whether the card's public data says the Info Counter is open.
async fn counter_open(v: &Visitor, card: &str) -> bool {
    let c: Value = v.get(&format!("/api/v1/cards/{card}")).await.json().await.unwrap();
    c["counter_open"].as_bool().unwrap()
}

async fn team_ids(v: &Visitor, card: &str) -> Vec<i64> {
    let r = v.get(&format!("/api/v1/cards/{card}/team")).await;
    assert_eq!(r.status(), 200);
    let team: Vec<Value> = r.json().await.unwrap();
    team.iter().map(|m| m["user_id"].as_i64().unwrap()).collect()
}

async fn contact_is_linked_on_first_sign_in(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let card = new_card(&app, "Spedition Groß", "Kontakt@Gross.example").await;
    // The contact gets the maintenance link.
    let m = mail(&app, 1).await;
    assert_eq!(m.rcpt, vec!["kontakt@gross.example"]);
    assert!(m.link_containing("/maintain/").is_some());
    // Someone with another address signs in first: not linked.
    let other = person(&app, "einkauf@gross.example", "Eva", "Einkauf").await;
    assert_eq!(other.get(&format!("/api/v1/cards/{card}/team")).await.status(), 403);
    // The contact signs in (address in other case): first team member.
    let contact = person(&app, "kontakt@GROSS.example", "Karl", "Kontakt").await;
    let karl = user_id(&contact).await;
    assert_eq!(team_ids(&contact, &card).await, vec![karl]);
    let history: Vec<Value> = contact
        .get(&format!("/api/v1/cards/{card}/history"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["event"], "contact_linked");
    assert_eq!(history[0]["detail"], "Karl Kontakt");
    // Signing in again links nothing twice; the other person stays out.
    contact.login("kontakt@GROSS.example").await;
    assert_eq!(team_ids(&contact, &card).await, vec![karl]);
    other.login("einkauf@gross.example").await;
    assert_eq!(other.get(&format!("/api/v1/cards/{card}/team")).await.status(), 403);
    // The page shows the own card with its back office.
    let html = contact.get("/cards").await.text().await.unwrap();
    assert!(html.contains(&format!("/cards/{card}/office")));
    app.stop().await;
}

async fn people_search_follows_each_switch(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let searcher = person(&app, "sucher@a.example", "Sina", "Sucher").await;
    let open = person(&app, "offen@b.example", "Jürgen", "Müller").await;
    let hidden = person(&app, "versteckt@b.example", "Jürgen", "Meier").await;
    let offline = person(&app, "ohne@b.example", "Jürgen", "Mann").await;
    switches(&open, true, true, false, false).await;
    switches(&hidden, true, false, false, false).await;
    switches(&offline, false, true, false, false).await;
    // Without networking the search refuses, saying why.
    let e = api_error(searcher.get("/api/v1/people?q=jürgen").await, 422).await;
    assert_eq!(e["code"], "networking_off");
    assert_eq!(e["field"], "q");
    switches(&searcher, true, true, false, false).await;
    let e = api_error(searcher.get("/api/v1/people?q=j").await, 422).await;
    assert_eq!(e["code"], "query_too_short");
    // Only the person with networking and "allow others to find me" on.
    for q in ["jürgen", "jurgen", "JUERG", "mül", "mueller", "jürgen m"] {
        let found: Vec<Value> = searcher
            .get(&format!("/api/v1/people?q={q}"))
            .await
            .json()
            .await
            .unwrap();
        let names: Vec<&str> = found.iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["Jürgen Müller"], "query {q}");
    }
    // Turning "findable" off hides them at once; on again finds them.
    switches(&open, true, false, false, false).await;
    let found: Vec<Value> = searcher.get("/api/v1/people?q=müller").await.json().await.unwrap();
    assert!(found.is_empty());
    switches(&open, true, true, false, false).await;
    let found: Vec<Value> = searcher.get("/api/v1/people?q=müller").await.json().await.unwrap();
    assert_eq!(found.len(), 1);
    // Profiles follow the same rule: the hidden person is "not found".
    let hidden_id = user_id(&hidden).await;
    assert_eq!(searcher.get(&format!("/people/{hidden_id}")).await.status(), 404);
    let open_id = user_id(&open).await;
    assert_eq!(searcher.get(&format!("/people/{open_id}")).await.status(), 200);
    // The page explains how to turn networking on.
    let html = offline.get("/people?q=jürgen").await.text().await.unwrap();
    assert!(html.contains("Networking ist ausgeschaltet"));
    app.stop().await;
}

async fn back_office_is_for_members_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let a = new_card(&app, "Alpha GmbH", "chef@alpha.example").await;
    let b = new_card(&app, "Beta KG", "chef@beta.example").await;
    let alpha = person(&app, "chef@alpha.example", "Anton", "Alpha").await;
    let beta = person(&app, "chef@beta.example", "Berta", "Beta").await;
    let colleague = person(&app, "kollege@alpha.example", "Klaus", "Kollege").await;
    switches(&alpha, true, true, true, false).await;
    switches(&colleague, true, true, true, false).await;
    // Anton adds a findable colleague; a second add is a conflict.
    let klaus = user_id(&colleague).await;
    add_member(&alpha, &a, klaus).await;
    let e = api_error(
        alpha
            .post_json(&format!("/api/v1/cards/{a}/team"), &json!({"user_id": klaus}))
            .await,
        409,
    )
    .await;
    assert_eq!(e["code"], "already_member");
    // Both members have the same rights; Berta has none on Alpha (and back).
    let req = json!({"kind": "contact", "name": "Vera", "email": "vera@x.example"});
    assert_eq!(
        app.second_client()
            .post_json(&format!("/api/v1/cards/{a}/requests"), &req)
            .await
            .status(),
        201
    );
    assert_eq!(
        app.second_client()
            .post_json(&format!("/api/v1/cards/{b}/requests"), &req)
            .await
            .status(),
        201
    );
    let mine: Vec<Value> = colleague
        .get(&format!("/api/v1/cards/{a}/requests"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    let alpha_request = mine[0]["id"].as_i64().unwrap();
    let beta_requests: Vec<Value> = beta
        .get(&format!("/api/v1/cards/{b}/requests"))
        .await
        .json()
        .await
        .unwrap();
    let beta_request = beta_requests[0]["id"].as_i64().unwrap();
    let edit = json!({"name": "Übernommen"});
    for (method, path) in [
        ("GET", format!("/api/v1/cards/{a}/requests")),
        ("GET", format!("/api/v1/cards/{a}/team")),
        ("GET", format!("/api/v1/cards/{a}/history")),
        ("PUT", format!("/api/v1/cards/{a}")),
        ("PUT", format!("/api/v1/cards/{a}/requests/{alpha_request}")),
        ("POST", format!("/api/v1/cards/{a}/maintenance-link")),
        ("POST", format!("/api/v1/cards/{a}/team/{klaus}/standby-off")),
        ("DELETE", format!("/api/v1/cards/{a}/team/{klaus}")),
        ("GET", format!("/cards/{a}/office")),
        ("GET", format!("/cards/{a}/office/requests.csv")),
    ] {
        let r = match method {
            "GET" => beta.get(&path).await,
            "PUT" if path.contains("requests") => beta.put_json(&path, &json!({"status": "done"})).await,
            "PUT" => beta.put_json(&path, &edit).await,
            "POST" => beta.post_json(&path, &json!({})).await,
            _ => beta.delete(&path).await,
        };
        assert_eq!(r.status(), 403, "{method} {path}");
    }
    // A request of card B is not reachable through card A.
    let r = alpha
        .put_json(
            &format!("/api/v1/cards/{a}/requests/{beta_request}"),
            &json!({"status": "done"}),
        )
        .await;
    assert_eq!(r.status(), 404);
    // Nothing changed: Alpha's name, team and requests are as before.
    let card: Value = app.get(&format!("/api/v1/cards/{a}")).await.json().await.unwrap();
    assert_eq!(card["name"], "Alpha GmbH");
    assert_eq!(team_ids(&alpha, &a).await.len(), 2);
    let still: Vec<Value> = beta
        .get(&format!("/api/v1/cards/{b}/requests"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still[0]["status"], "open");
    // Signed out: the back office page asks to sign in.
    let anon = app.second_client();
    let r = anon.get(&format!("/cards/{a}/office")).await;
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));
    // Members mark done; the last member cannot be removed.
    let r = alpha
        .put_json(
            &format!("/api/v1/cards/{a}/requests/{alpha_request}"),
            &json!({"status": "done"}),
        )
        .await;
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["status"], "done");
    assert_eq!(done["done_by"], "Anton Alpha");
    assert_eq!(
        alpha.delete(&format!("/api/v1/cards/{a}/team/{klaus}")).await.status(),
        204
    );
    let anton = user_id(&alpha).await;
    let e = api_error(alpha.delete(&format!("/api/v1/cards/{a}/team/{anton}")).await, 409).await;
    assert_eq!(e["code"], "last_member");
    app.stop().await;
}

async fn info_counter_opens_and_closes_with_standby(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let card = new_card(&app, "Messestand AG", "stand@messe.example").await;
    let staff = person(&app, "stand@messe.example", "Sven", "Stand").await;
    let colleague = person(&app, "kollegin@messe.example", "Katrin", "Kollegin").await;
    switches(&staff, true, true, true, true).await;
    switches(&colleague, true, true, true, false).await;
    let katrin = user_id(&colleague).await;
    add_member(&staff, &card, katrin).await;
    let visitor = app.second_client();
    let counter = format!("/api/v1/cards/{card}/counter");
    // Nobody present: closed, visitors are refused.
    assert!(!counter_open(&visitor, &card).await);
    let e = api_error(visitor.post_json(&counter, &json!({"name": "Gast"})).await, 409).await;
    assert_eq!(e["code"], "counter_closed");
    // Katrin (standby off) present: still closed.
    let k: Value = colleague.post_json(&counter, &json!({})).await.json().await.unwrap();
    assert_eq!(k["role"], "staff");
    let room = k["room"]["id"].as_str().unwrap().to_string();
    let mut katrin_ws = Ws::open(&app, &room, k["grant"].as_str().unwrap()).await;
    katrin_ws.expect("welcome").await;
    api_error(visitor.post_json(&counter, &json!({"name": "Gast"})).await, 409).await;
    // Sven (standby on) present: open, a visitor enters as guest and sees staff marked.
    let s: Value = staff.post_json(&counter, &json!({})).await.json().await.unwrap();
    let mut sven_ws = Ws::open(&app, &room, s["grant"].as_str().unwrap()).await;
    sven_ws.expect("welcome").await;
    assert!(counter_open(&visitor, &card).await);
    let e = api_error(visitor.post_json(&counter, &json!({"name": ""})).await, 422).await;
    assert_eq!(e["field"], "name");
    let g: Value = visitor
        .post_json(&counter, &json!({"name": "Gast Gerd"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(g["role"], "guest");
    let mut guest_ws = Ws::open(&app, &room, g["grant"].as_str().unwrap()).await;
    let welcome = guest_ws.expect("welcome").await;
    let roles: Vec<&str> = welcome["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles.iter().filter(|r| **r == "staff").count(), 2, "{welcome}");
    // One's own standby cannot be switched in the back office.
    let sven = user_id(&staff).await;
    let e = api_error(
        staff
            .post_json(&format!("/api/v1/cards/{card}/team/{sven}/standby-off"), &json!({}))
            .await,
        422,
    )
    .await;
    assert_eq!(e["code"], "own_standby");
    // Katrin turns Sven's standby off (the eye): the counter closes for new
    // visitors; who is inside stays.
    let r = colleague
        .post_json(&format!("/api/v1/cards/{card}/team/{sven}/standby-off"), &json!({}))
        .await;
    assert_eq!(r.status(), 204);
    assert!(!counter_open(&visitor, &card).await);
    let e = api_error(
        app.second_client()
            .post_json(&counter, &json!({"name": "Zu spät"}))
            .await,
        409,
    )
    .await;
    assert_eq!(e["code"], "counter_closed");
    guest_ws.alive().await;
    let settings: Value = staff.get("/api/v1/profile/networking").await.json().await.unwrap();
    assert_eq!(settings["standby"], false);
    let history: Vec<Value> = staff
        .get(&format!("/api/v1/cards/{card}/history"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["event"], "standby_off");
    assert_eq!(history[0]["actor"], "Katrin Kollegin");
    // Sven turns standby on again in his profile: open; he leaves: closed.
    switches(&staff, true, true, true, true).await;
    assert!(counter_open(&visitor, &card).await);
    // Standby counts only with "show as contact" on.
    switches(&staff, true, true, false, true).await;
    assert!(!counter_open(&visitor, &card).await);
    switches(&staff, true, true, true, true).await;
    sven_ws.send(json!({"type": "leave"})).await;
    sven_ws.closed().await;
    assert!(!counter_open(&visitor, &card).await);
    katrin_ws.alive().await;
    app.stop().await;
}

async fn shares_carry_a_note_of_150_characters(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let card = new_card(&app, "Teilen GmbH", "a@teilen.example").await;
    let a = person(&app, "a@teilen.example", "Alma", "Absender").await;
    let b = person(&app, "b@teilen.example", "Bodo", "Empfänger").await;
    let stranger = person(&app, "c@teilen.example", "Cleo", "Fremd").await;
    switches(&b, true, true, false, false).await;
    switches(&a, true, true, false, false).await;
    let bodo = user_id(&b).await;
    add_member(&a, &card, bodo).await;
    let share = |note: String| json!({"to": bodo, "kind": "card", "reference": card, "note": note});
    // 151 emoji: refused with a clear error, nothing stored, no notification.
    let e = api_error(a.post_json("/api/v1/shares", &share("😀".repeat(151))).await, 422).await;
    assert_eq!(e["code"], "too_long");
    assert_eq!(e["field"], "note");
    assert!(e["message"].as_str().unwrap().contains("150"), "{e}");
    let n: Value = b.get("/api/v1/notifications").await.json().await.unwrap();
    assert_eq!(n["unread"], 0);
    // 150 emoji (and umlauts written as two code points) pass.
    let note = "😀".repeat(149) + "a\u{308}";
    let r = a.post_json("/api/v1/shares", &share(note.clone())).await;
    assert_eq!(r.status(), 201);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["shared"]["title"], "Teilen GmbH");
    assert_eq!(m["shared"]["href"], format!("/cards/{card}"));
    // Both get a chat notification.
    let n: Value = b.get("/api/v1/notifications").await.json().await.unwrap();
    assert_eq!(n["unread"], 1);
    assert_eq!(n["items"][0]["kind"], "share_received");
    assert_eq!(n["items"][0]["other_name"], "Alma Absender");
    let n: Value = a.get("/api/v1/notifications").await.json().await.unwrap();
    assert_eq!(n["items"][0]["kind"], "share_sent");
    // The shared card renders in Bodo's chat; reading marks it read.
    let alma = user_id(&a).await;
    let html = b.get(&format!("/chat/{alma}")).await.text().await.unwrap();
    assert!(html.contains("shared-card") && html.contains("Teilen GmbH"));
    let n: Value = b.get("/api/v1/notifications").await.json().await.unwrap();
    assert_eq!(n["unread"], 0);
    // A person the sharer cannot see cannot be shared; nobody can write to
    // people they cannot reach; third parties never see the conversation.
    let cleo = user_id(&stranger).await;
    let e = api_error(
        a.post_json(
            "/api/v1/shares",
            &json!({"to": bodo, "kind": "person", "reference": cleo.to_string()}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(e["field"], "reference");
    api_error(
        stranger
            .post_json(&format!("/api/v1/chats/{alma}"), &json!({"text": "Hallo"}))
            .await,
        404,
    )
    .await;
    api_error(stranger.get(&format!("/api/v1/chats/{alma}")).await, 404).await;
    let chats: Vec<Value> = stranger.get("/api/v1/chats").await.json().await.unwrap();
    assert!(chats.is_empty());
    // Bodo answers; the conversation has both lines in order.
    let r = b
        .post_json(
            &format!("/api/v1/chats/{alma}"),
            &json!({"text": "Danke, übernehme ich!"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let msgs: Vec<Value> = a.get(&format!("/api/v1/chats/{bodo}")).await.json().await.unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["body"], note);
    assert_eq!(msgs[1]["body"], "Danke, übernehme ich!");
    app.stop().await;
}

async fn maintenance_link_edits_the_card_and_nothing_else(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let card = new_card(&app, "Pflege AG", "pflege@pflege.example").await;
    let other = new_card(&app, "Andere AG", "x@andere.example").await;
    let secret = token(&mail(&app, 1).await, "/maintain/");
    // The link edits the public data, through the API and the page.
    let holder = app.second_client();
    let r = holder
        .put_json(
            &format!("/api/v1/maintenance/{secret}"),
            &json!({"name": "Pflege AG & Co. KG", "description": "Neu", "website": "pflege.example", "topics": "Pflege"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let c: Value = holder.get(&format!("/api/v1/cards/{card}")).await.json().await.unwrap();
    assert_eq!(c["name"], "Pflege AG & Co. KG");
    assert_eq!(c["website"], "https://pflege.example");
    let page = holder.get(&format!("/maintain/{secret}")).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(page
        .headers()
        .get("set-cookie")
        .is_none_or(|c| !c.to_str().unwrap().contains("kontor_session")));
    let r = holder
        .post_form(
            &format!("/maintain/{secret}"),
            &[("name", ""), ("website", "kein link")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-name\"") && html.contains("id=\"e-website\""));
    let c: Value = holder.get(&format!("/api/v1/cards/{card}")).await.json().await.unwrap();
    assert_eq!(c["name"], "Pflege AG & Co. KG", "a refused edit changes nothing");
    // It grants nothing else: no session, no back office, no other card.
    assert_eq!(holder.get("/api/v1/me").await.status(), 401);
    assert_eq!(
        holder.get(&format!("/api/v1/cards/{card}/requests")).await.status(),
        401
    );
    let o: Value = holder
        .get(&format!("/api/v1/cards/{other}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(o["name"], "Andere AG");
    // A member rotates it: the old link stops at once, the new one arrives.
    let member = person(&app, "pflege@pflege.example", "Paula", "Pflege").await;
    let history: Vec<Value> = member
        .get(&format!("/api/v1/cards/{card}/history"))
        .await
        .json()
        .await
        .unwrap();
    assert!(history
        .iter()
        .any(|h| h["event"] == "edited_by_link" && h["actor"].is_null()));
    let r = member
        .post_json(&format!("/api/v1/cards/{card}/maintenance-link"), &json!({}))
        .await;
    assert_eq!(r.status(), 204);
    api_error(holder.get(&format!("/api/v1/maintenance/{secret}")).await, 404).await;
    assert_eq!(holder.get(&format!("/maintain/{secret}")).await.status(), 404);
    let fresh = mail(&app, 3).await;
    assert_eq!(fresh.rcpt, vec!["pflege@pflege.example"]);
    let new_secret = token(&fresh, "/maintain/");
    assert_ne!(new_secret, secret);
    assert_eq!(
        holder.get(&format!("/api/v1/maintenance/{new_secret}")).await.status(),
        200
    );
    no_more_mail(&app, 3).await;
    app.stop().await;
}

async fn visitor_requests_reach_the_back_office(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    let card = new_card(&app, "Anfrage GmbH", "team@anfrage.example").await;
    let member = person(&app, "team@anfrage.example", "Tina", "Team").await;
    let _ = mail(&app, 1).await;
    // Bad input: every problem named, nothing stored, no mail.
    let visitor = app.second_client();
    let r = visitor
        .post_json(
            &format!("/api/v1/cards/{card}/requests"),
            &json!({"kind": "meeting", "name": "", "email": "kaputt", "preferred_at": 1000}),
        )
        .await;
    let body: Value = {
        assert_eq!(r.status(), 422);
        r.json().await.unwrap()
    };
    let fields = error_fields(&body["error"]);
    assert_eq!(fields, vec!["name", "email", "preferred_at"], "{body}");
    // The page form: an error next to the field, the entries kept.
    let r = visitor
        .post_form(
            &format!("/cards/{card}/requests"),
            &[("kind", "contact"), ("name", "Jürgen"), ("email", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-email\"") && html.contains("value=\"Jürgen\""));
    let list: Vec<Value> = member
        .get(&format!("/api/v1/cards/{card}/requests"))
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty());
    // A good request: stored, the team told by e-mail.
    let r = visitor
        .post_form(
            &format!("/cards/{card}/requests"),
            &[
                ("kind", "meeting"),
                ("name", "Jürgen Groß"),
                ("email", "jg@example.org"),
                ("preferred_at", "2099-05-04T10:30"),
                ("message", "Gern vor Ort; 😀"),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], format!("/cards/{card}").as_str());
    let told = mail(&app, 2).await;
    assert_eq!(told.rcpt, vec!["team@anfrage.example"]);
    assert!(told.subject().contains("Besprechungsanfrage"));
    assert!(told.link_containing(&format!("/cards/{card}/office")).is_some());
    let list: Vec<Value> = member
        .get(&format!("/api/v1/cards/{card}/requests"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["kind"], "meeting");
    assert_eq!(list[0]["message"], "Gern vor Ort; 😀");
    // Export as CSV for spreadsheets.
    let r = member.get(&format!("/cards/{card}/office/requests.csv")).await;
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    let mut rows = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let row = rows.records().next().unwrap().unwrap();
    assert_eq!(&row[0], "Besprechungsanfrage");
    assert_eq!(&row[3], "Jürgen Groß");
    assert_eq!(&row[7], "2099-05-04 10:30");
    // The back office page lists it; the directory finds the card.
    let html = member.get(&format!("/cards/{card}/office")).await.text().await.unwrap();
    assert!(html.contains("Jürgen Groß"));
    let found: Value = visitor.get("/api/v1/cards?q=anfr").await.json().await.unwrap();
    assert_eq!(found["total"], 1);
    let found: Value = visitor
        .get("/api/v1/cards?topic=logistik&q=köln")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1);
    let found: Value = visitor.get("/api/v1/cards?topic=steuern").await.json().await.unwrap();
    assert_eq!(found["total"], 0);
    app.stop().await;
}

async fn directory_searches_words_topics_and_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.login_operator().await;
    for i in 0..30 {
        let name = format!("Firma {i:02} Logistik Logo");
        let r = app
            .post_json(
                "/api/v1/cards",
                &json!({"name": name, "contact_email": format!("c{i}@dir.example"), "topics": if i % 3 == 0 { "Messe" } else { "Handel" }, "city": "Düsseldorf"}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let anon = app.second_client();
    let page = |q: &'static str| {
        let anon = &anon;
        async move {
            let v: Value = anon.get(&format!("/api/v1/cards?{q}")).await.json().await.unwrap();
            let names: Vec<String> = v["cards"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect();
            (v["total"].as_i64().unwrap(), names)
        }
    };
    // Two words of a card begin with "log": the card counts once; by name; 24 a page.
    let (total, names) = page("q=log").await;
    assert_eq!((total, names.len()), (30, 24));
    assert_eq!(names[0], "Firma 00 Logistik Logo");
    assert_eq!(names[23], "Firma 23 Logistik Logo");
    let (total, names) = page("q=log&page=2").await;
    assert_eq!((total, names.len()), (30, 6));
    assert_eq!(names[0], "Firma 24 Logistik Logo");
    // Umlauts either way; several words narrow; topics filter.
    assert_eq!(page("q=dusseldorf").await.0, 30);
    assert_eq!(
        page("q=duesseldorf%20firma%2007").await.1,
        vec!["Firma 07 Logistik Logo"]
    );
    assert_eq!(page("topic=messe").await.0, 10);
    assert_eq!(page("topic=Messe&q=log").await.0, 10);
    assert_eq!(page("q=logx").await.0, 0);
    // A page past the end is empty but still knows the total.
    let (total, names) = page("q=log&page=9").await;
    assert_eq!((total, names.len()), (30, 0));
    // The page: topic chips, results, and the empty state for no match.
    let html = anon.get("/cards?q=logistik").await.text().await.unwrap();
    assert!(html.contains("Firma 00 Logistik Logo") && html.contains("30 Unternehmen"));
    let html = anon.get("/cards?q=nichtsda").await.text().await.unwrap();
    assert!(html.contains("Keine Treffer"));
    app.stop().await;
}

db_test!(directory_searches_words_topics_and_pages);
db_test!(contact_is_linked_on_first_sign_in);
db_test!(people_search_follows_each_switch);
db_test!(back_office_is_for_members_only);
db_test!(info_counter_opens_and_closes_with_standby);
db_test!(shares_carry_a_note_of_150_characters);
db_test!(maintenance_link_edits_the_card_and_nothing_else);
db_test!(visitor_requests_reach_the_back_office);
