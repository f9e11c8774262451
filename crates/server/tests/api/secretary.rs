//! The virtual secretary over the JSON API: settings and the greeting rule,
//! employees (sorting, search, paging, E.164, deputies), absence info and
//! appointments, VIPs, FAQ order, the audit log, sub-account limits, CSV
//! import/export, and that one account can never reach another's data.

use domain::identity::{AccountRole, PlatformRole};
use reqwest::Response;
use serde_json::{json, Value};
use test_support::{db_test, Backend};

use crate::helpers::{api_error, error_fields, TestApp, Visitor, OPERATOR_EMAIL};
use crate::portal::{account, mail, token};

const NEW_PASSWORD: &str = "Neues-Passwort-2026!";

async fn put(app: &Visitor, path: &str, body: Value) -> Response {
    app.client.put(app.at(path)).json(&body).send().await.unwrap()
}

async fn delete(app: &Visitor, path: &str) -> Response {
    app.client.delete(app.at(path)).send().await.unwrap()
}

async fn ok_json(r: Response, status: u16) -> Value {
    let s = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(s, status, "{body}");
    body
}

async fn get_json(app: &Visitor, path: &str) -> Value {
    ok_json(app.get(path).await, 200).await
}

fn employee(name: &str, email: &str) -> Value {
    json!({"name": name, "email": email})
}

/// An account with a super admin, who is signed in.
async fn admin_app(backend: Backend) -> Option<(TestApp, kernel::AccountId)> {
    let app = TestApp::spawn(backend).await?;
    let a = account(&app, "K-1", "10115").await;
    app.create_user("chef@a.test", None, Some((a, AccountRole::SuperAdmin)))
        .await;
    app.login("chef@a.test").await;
    Some((app, a))
}

async fn greeting_must_keep_a_placeholder(backend: Backend) {
    let Some((app, a)) = admin_app(backend).await else {
        return;
    };
    let path = format!("/api/v1/accounts/{a}/secretary/settings");
    let initial = get_json(&app, &path).await;
    assert!(initial["greeting"].as_str().unwrap().contains("[Vorname, Nachname]"));
    assert_eq!(initial["time_zone"], "Europe/Berlin");

    let e = api_error(
        put(&app, &path, json!({"greeting": "Guten Tag, Firma Muster."})).await,
        422,
    )
    .await;
    assert_eq!(e["code"], "greeting_placeholder_missing");
    assert_eq!(e["field"], "greeting");
    assert!(e["message"].as_str().unwrap().contains("[Vorname, Nachname]"), "{e}");
    let e = api_error(
        put(
            &app,
            &path,
            json!({"greeting": "Guten Tag, hier ist [Vorname Nachname]."}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(e["code"], "greeting_placeholder_unknown");
    let e = api_error(
        put(
            &app,
            &path,
            json!({"greeting": "Hallo [Vorname]", "time_zone": "Mars/Olympus"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(e["code"], "time_zone_invalid");
    // The customer cannot book call transfer themselves.
    let e = api_error(
        put(
            &app,
            &path,
            json!({"greeting": "Hallo [Vorname]", "with_transfer": true}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(e["code"], "tariff_operator_only");
    assert_eq!(get_json(&app, &path).await, initial, "nothing changed");

    let saved = ok_json(
        put(
            &app,
            &path,
            json!({"greeting": "Firma Muster, [Nachname] am Apparat.", "instructions": "Bitte Rückruf anbieten.",
                   "query_fields": [{"label": "Kundennummer", "required": true}, {"label": "Vertrag"}],
                   "time_zone": "Europe/Vienna"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        saved["query_fields"][0],
        json!({"label": "Kundennummer", "required": true})
    );
    assert_eq!(get_json(&app, &path).await["time_zone"], "Europe/Vienna");
    let e = api_error(
        put(
            &app,
            &path,
            json!({"greeting": "[Vorname]", "query_fields": [{"label": "A"}, {"label": "a"}]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(e["field"], "query_fields[1].label");

    // The operator sets the tariff flag.
    app.create_user(OPERATOR_EMAIL, Some(PlatformRole::Operator), None)
        .await;
    let op = app.second_client();
    op.login(OPERATOR_EMAIL).await;
    let saved = ok_json(
        put(
            &op,
            &path,
            json!({"greeting": "Hallo, [Vorname, Nachname]", "with_transfer": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(saved["with_transfer"], true);
    let audit = get_json(&app, &format!("/api/v1/accounts/{a}/audit")).await;
    assert_eq!(audit["total"], 2);
    assert_eq!(audit["items"][0]["action"], "settings.updated");
    assert!(audit["items"][0]["detail"].as_str().unwrap().contains("with_transfer"));
    assert_eq!(audit["items"][1]["actor_name"], "Test Nutzer");
    app.stop().await;
}

async fn employees_sorted_searched_paged(backend: Backend) {
    let Some((app, a)) = admin_app(backend).await else {
        return;
    };
    let base = format!("/api/v1/accounts/{a}/employees");
    let zimmer = ok_json(app.post_json(&base, &employee("Anna Zimmer", "anna@a.test")).await, 201).await;
    let weiss = ok_json(
        app.post_json(
            &base,
            &json!({"name": "Weiß, Jürgen", "email": "J.Weiss@A.test", "cc": ["team@a.test", " team@a.test "],
                    "position": "Geschäftsführer", "responsibility": "Neukunden", "sms_enabled": true,
                    "mobile": "0170 123456", "extension": "21", "wants_transfer": true, "vip_sms": true}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(weiss["mobile"], "+49170123456");
    assert_eq!(weiss["email"], "j.weiss@a.test");
    assert_eq!(weiss["cc"], json!(["team@a.test"]));
    ok_json(app.post_json(&base, &employee("Ärger, Bernd", "b@a.test")).await, 201).await;
    ok_json(
        app.post_json(&base, &employee("Carl Otto Meyer", "c@a.test")).await,
        201,
    )
    .await;

    let page = get_json(&app, &base).await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Ärger, Bernd", "Carl Otto Meyer", "Weiß, Jürgen", "Anna Zimmer"]
    );
    assert_eq!(page["total"], 4);
    let page = get_json(&app, &format!("{base}?limit=2&offset=2")).await;
    assert_eq!(page["items"][0]["name"], "Weiß, Jürgen");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    for (q, want) in [
        ("weiß", "Weiß, Jürgen"),
        ("weiss", "Weiß, Jürgen"),
        ("GESCHÄFTS", "Weiß, Jürgen"),
        ("arger", "Ärger, Bernd"),
    ] {
        let page = get_json(&app, &format!("{base}?q={}", urlencode(q))).await;
        assert_eq!(page["total"], 1, "search {q}");
        assert_eq!(page["items"][0]["name"], want, "search {q}");
    }
    let e = api_error(app.get(&format!("{base}?limit=abc")).await, 422).await;
    assert_eq!(e["field"], "query");

    // Bad input: specific errors, nothing stored.
    let e = api_error(
        app.post_json(
            &base,
            &json!({"name": "", "email": "kaputt", "mobile": "0170-12x", "sms_enabled": true, "cc": ["ok@a.test", "nö"],
                    "wants_transfer": true}),
        )
        .await,
        422,
    )
    .await;
    let fields = error_fields(&e);
    assert_eq!(fields, ["name", "email", "cc", "mobile", "extension"]);
    let e = api_error(app.post_json(&base, &employee("Doppelt", "ANNA@a.test")).await, 409).await;
    assert_eq!(e["code"], "employee_email_taken");
    let e = api_error(
        app.post_json(&base, &json!({"name": "X", "email": "x@a.test", "extra": 1}))
            .await,
        422,
    )
    .await;
    assert_eq!(e["field"], "extra");
    assert_eq!(get_json(&app, &base).await["total"], 4);

    // Deputies: never oneself, only of this account.
    let zid = zimmer["id"].as_i64().unwrap();
    let wid = weiss["id"].as_i64().unwrap();
    let mut change = employee("Anna Zimmer", "anna@a.test");
    change["deputy_id"] = json!(zid);
    let e = api_error(put(&app, &format!("{base}/{zid}"), change.clone()).await, 422).await;
    assert_eq!(e["code"], "deputy_self");
    change["deputy_id"] = json!(999_999);
    let e = api_error(put(&app, &format!("{base}/{zid}"), change.clone()).await, 422).await;
    assert_eq!(e["code"], "deputy_invalid");
    change["deputy_id"] = json!(wid);
    change["absence_info"] = json!("Nur vormittags");
    let z = ok_json(put(&app, &format!("{base}/{zid}"), change).await, 200).await;
    assert_eq!(z["deputy_id"], wid);
    let row = &get_json(&app, &format!("{base}?q=zimmer")).await["items"][0];
    assert_eq!(row["deputy_name"], "Weiß, Jürgen");
    assert_eq!(row["status"], "Nur vormittags");

    // Deleting the deputy clears it and names who lost them.
    let out = ok_json(delete(&app, &format!("{base}/{wid}")).await, 200).await;
    assert_eq!(out["deputies_cleared"], json!(["Anna Zimmer"]));
    assert_eq!(get_json(&app, &format!("{base}/{zid}")).await["deputy_id"], Value::Null);
    api_error(app.get(&format!("{base}/{wid}")).await, 404).await;
    api_error(delete(&app, &format!("{base}/{wid}")).await, 404).await;
    let audit = get_json(&app, &format!("/api/v1/accounts/{a}/audit")).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "employee.deleted",
            "employee.updated",
            "employee.created",
            "employee.created",
            "employee.created",
            "employee.created"
        ]
    );
    assert_eq!(audit["items"][0]["detail"], "Anna Zimmer");
    assert_eq!(audit["items"][1]["detail"], "deputy_id, absence_info");
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Milliseconds of a UTC date-time "YYYY-MM-DDTHH:MM".
fn utc(s: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

async fn appointments_override_absence_info(backend: Backend) {
    let Some((app, a)) = admin_app(backend).await else {
        return;
    };
    let base = format!("/api/v1/accounts/{a}/employees");
    let e = ok_json(
        app.post_json(&base, &employee("Erika Muster", "erika@a.test")).await,
        201,
    )
    .await;
    let eid = e["id"].as_i64().unwrap();
    let ep = format!("{base}/{eid}");
    ok_json(
        put(
            &app,
            &format!("{ep}/absence"),
            json!({"absence_info": "Nur vormittags im Haus."}),
        )
        .await,
        200,
    )
    .await;
    let holiday = ok_json(
        app.post_json(
            &format!("{ep}/appointments"),
            &json!({"start": "2020-10-01", "end": "2020-10-17", "text": "Urlaub – Rückrufe ab 18.10."}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(holiday["all_day"], true);
    assert_eq!(
        (holiday["start"].as_str(), holiday["end"].as_str()),
        (Some("2020-10-01"), Some("2020-10-17"))
    );
    // Starts at local midnight (CEST, UTC+2).
    assert_eq!(holiday["starts_at"], utc("2020-09-30T22:00"));
    ok_json(
        app.post_json(
            &format!("{ep}/appointments"),
            &json!({"start": "2020-10-05T09:00", "end": "2020-10-05T11:30", "text": "Kurz im Büro"}),
        )
        .await,
        201,
    )
    .await;
    let status = |at: &str| {
        let path = format!("{ep}/status?at={}", utc(at));
        let app = &app;
        async move { get_json(app, &path).await["status"].as_str().unwrap().to_string() }
    };
    assert_eq!(status("2020-09-30T21:59").await, "Nur vormittags im Haus.");
    assert_eq!(status("2020-09-30T22:00").await, "Urlaub – Rückrufe ab 18.10.");
    // Overlap: the one that started latest wins, then the holiday again.
    assert_eq!(status("2020-10-05T07:00").await, "Kurz im Büro");
    assert_eq!(status("2020-10-05T09:30").await, "Urlaub – Rückrufe ab 18.10.");
    // The last day counts whole: until 18.10. 00:00 local time.
    assert_eq!(status("2020-10-17T21:59").await, "Urlaub – Rückrufe ab 18.10.");
    assert_eq!(status("2020-10-17T22:00").await, "Nur vormittags im Haus.");

    // Past ones are kept but hidden by default.
    let future = ok_json(
        app.post_json(
            &format!("{ep}/appointments"),
            &json!({"start": "2099-01-02", "end": "2099-01-02", "text": "Messe"}),
        )
        .await,
        201,
    )
    .await;
    let list = get_json(&app, &format!("{ep}/appointments")).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["text"], "Messe");
    assert_eq!(
        get_json(&app, &format!("{ep}/appointments?past=true"))
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Bad input changes nothing.
    for (body, field, code) in [
        (
            json!({"start": "2099-02-10", "end": "2099-02-01", "text": "x"}),
            "end",
            "end_before_start",
        ),
        (
            json!({"start": "morgen", "end": "2099-02-01", "text": "x"}),
            "start",
            "datetime_invalid",
        ),
        (
            json!({"start": "2099-02-01", "end": "2099-02-01", "text": " "}),
            "text",
            "required",
        ),
    ] {
        let e = api_error(app.post_json(&format!("{ep}/appointments"), &body).await, 422).await;
        assert_eq!(
            (e["field"].as_str(), e["code"].as_str()),
            (Some(field), Some(code)),
            "{body}"
        );
    }
    let fid = future["id"].as_i64().unwrap();
    let moved = ok_json(
        put(
            &app,
            &format!("{ep}/appointments/{fid}"),
            json!({"start": "2099-01-03T08:00", "end": "2099-01-03T17:00", "text": "Messe Hannover"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["all_day"], false);
    assert_eq!(moved["start"], "2099-01-03T08:00");
    assert_eq!(delete(&app, &format!("{ep}/appointments/{fid}")).await.status(), 204);
    api_error(delete(&app, &format!("{ep}/appointments/{fid}")).await, 404).await;
    assert_eq!(
        get_json(&app, &format!("{ep}/appointments?past=true"))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Another time zone for the account: dates are read there.
    ok_json(
        put(
            &app,
            &format!("/api/v1/accounts/{a}/secretary/settings"),
            json!({"greeting": "[Vorname]", "time_zone": "America/New_York"}),
        )
        .await,
        200,
    )
    .await;
    let ny = ok_json(
        app.post_json(
            &format!("{ep}/appointments"),
            &json!({"start": "2021-03-14T01:30", "end": "2021-03-14T03:30", "text": "Über die Zeitumstellung"}),
        )
        .await,
        201,
    )
    .await;
    // 01:30 EST (UTC-5) to 03:30 EDT (UTC-4): one hour of real time.
    assert_eq!(ny["starts_at"], utc("2021-03-14T06:30"));
    assert_eq!(ny["ends_at"], utc("2021-03-14T07:30"));
    app.stop().await;
}

async fn vips_match_any_spelling(backend: Backend) {
    let Some((app, a)) = admin_app(backend).await else {
        return;
    };
    let e = ok_json(
        app.post_json(
            &format!("/api/v1/accounts/{a}/employees"),
            &employee("Max Muster", "max@a.test"),
        )
        .await,
        201,
    )
    .await;
    let eid = e["id"].as_i64().unwrap();
    let vips = format!("/api/v1/accounts/{a}/vips");
    let v = ok_json(
        app.post_json(
            &vips,
            &json!({"phone": "0170 1234567", "name": "Herr Mustermann", "note": "Nicht nach Kontaktdaten fragen."}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(v["phone"], "+491701234567");
    ok_json(
        app.post_json(
            &vips,
            &json!({"phone": "+49 (0)170 1234567", "name": "Herr Mustermann", "note": "Für Max", "employee_id": eid}),
        )
        .await,
        201,
    )
    .await;
    ok_json(
        app.post_json(&vips, &json!({"phone": "089 123456", "name": "Frau Müller"}))
            .await,
        201,
    )
    .await;
    for spelling in ["+491701234567", "0170/1234567", "0049 170 123 45 67", "+49 170-1234567"] {
        let found = get_json(&app, &format!("{vips}/lookup?phone={}", urlencode(spelling))).await;
        let notes: Vec<&str> = found
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["note"].as_str().unwrap())
            .collect();
        assert_eq!(notes, ["Nicht nach Kontaktdaten fragen.", "Für Max"], "{spelling}");
    }
    let own = get_json(&app, &format!("{vips}?employee_id={eid}")).await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["employee_name"], "Max Muster");
    let e = api_error(app.post_json(&vips, &json!({"phone": "abc", "name": ""})).await, 422).await;
    assert_eq!(e["details"].as_array().unwrap().len(), 2);
    let e = api_error(
        app.post_json(&vips, &json!({"phone": "0170 1", "name": "X", "employee_id": 424242}))
            .await,
        422,
    )
    .await;
    assert_eq!(e["code"], "phone_invalid");
    let e = api_error(
        app.post_json(
            &vips,
            &json!({"phone": "0170 1234567", "name": "X", "employee_id": 424242}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(e["code"], "employee_invalid");
    api_error(app.get(&format!("{vips}/lookup?phone=kaputt")).await, 422).await;
    let vid = v["id"].as_i64().unwrap();
    let changed = ok_json(
        put(
            &app,
            &format!("{vips}/{vid}"),
            json!({"phone": "0171 7654321", "name": "Herr Mustermann"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["phone"], "+491717654321");
    assert_eq!(delete(&app, &format!("{vips}/{vid}")).await.status(), 204);
    assert_eq!(get_json(&app, &vips).await.as_array().unwrap().len(), 2);
    // Deleting the employee takes their VIP entries along.
    ok_json(
        delete(&app, &format!("/api/v1/accounts/{a}/employees/{eid}")).await,
        200,
    )
    .await;
    assert_eq!(get_json(&app, &vips).await.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn faq_keeps_its_order(backend: Backend) {
    let Some((app, a)) = admin_app(backend).await else {
        return;
    };
    let faq = format!("/api/v1/accounts/{a}/faq");
    let mut ids = Vec::new();
    for (q, ans) in [
        ("Wo finde ich die Bestellliste?", "beispiel.de/service"),
        ("Öffnungszeiten?", "8–17 Uhr"),
        ("Parkplätze?", "Im Hof"),
    ] {
        let f = ok_json(app.post_json(&faq, &json!({"question": q, "answer": ans})).await, 201).await;
        ids.push(f["id"].as_i64().unwrap());
    }
    let order = ok_json(
        put(&app, &format!("{faq}/order"), json!({"ids": [ids[2], ids[0], ids[1]]})).await,
        200,
    )
    .await;
    let qs: Vec<&str> = order
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["question"].as_str().unwrap())
        .collect();
    assert_eq!(qs, ["Parkplätze?", "Wo finde ich die Bestellliste?", "Öffnungszeiten?"]);
    let e = api_error(
        put(&app, &format!("{faq}/order"), json!({"ids": [ids[2], ids[0]]})).await,
        422,
    )
    .await;
    assert_eq!(e["code"], "faq_order_mismatch");
    let e = api_error(
        put(&app, &format!("{faq}/order"), json!({"ids": [ids[2], ids[0], ids[0]]})).await,
        422,
    )
    .await;
    assert_eq!(e["code"], "faq_order_mismatch");
    let e = api_error(app.post_json(&faq, &json!({"question": "", "answer": ""})).await, 422).await;
    assert_eq!(e["details"].as_array().unwrap().len(), 2);
    ok_json(
        put(
            &app,
            &format!("{faq}/{}", ids[1]),
            json!({"question": "Öffnungszeiten", "answer": "8–18 Uhr"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(delete(&app, &format!("{faq}/{}", ids[0])).await.status(), 204);
    // A new entry goes to the end.
    ok_json(
        app.post_json(&faq, &json!({"question": "Neu?", "answer": "Ja"})).await,
        201,
    )
    .await;
    let list = get_json(&app, &faq).await;
    let qs: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["question"].as_str().unwrap())
        .collect();
    assert_eq!(qs, ["Parkplätze?", "Öffnungszeiten", "Neu?"]);
    app.stop().await;
}

/// An employee's own login may maintain only their own absence info and
/// appointments; a plain member may look but not change.
async fn sub_account_limits(backend: Backend) {
    let Some((app, a)) = admin_app(backend).await else {
        return;
    };
    let base = format!("/api/v1/accounts/{a}/employees");
    let me = ok_json(app.post_json(&base, &employee("Sina Sub", "sina@a.test")).await, 201).await;
    let other = ok_json(app.post_json(&base, &employee("Olaf Other", "olaf@a.test")).await, 201).await;
    let (mid, oid) = (me["id"].as_i64().unwrap(), other["id"].as_i64().unwrap());
    let login = ok_json(app.post_json(&format!("{base}/{mid}/login"), &json!({})).await, 201).await;
    assert_eq!(login["status"], "invited");
    let e = api_error(app.post_json(&format!("{base}/{mid}/login"), &json!({})).await, 409).await;
    assert_eq!(e["code"], "employee_login_exists");
    let welcome = token(&mail(&app, 1).await, "/welcome/");
    let sina = app.second_client();
    ok_json(
        sina.post_json(
            "/api/v1/activation",
            &json!({"token": welcome, "accept_terms": true, "accept_privacy": true, "password": NEW_PASSWORD}),
        )
        .await,
        200,
    )
    .await;
    let r = sina
        .post_json(
            "/api/v1/session",
            &json!({"email": "sina@a.test", "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 200);

    // Allowed: own data.
    assert_eq!(get_json(&sina, &format!("{base}/{mid}")).await["name"], "Sina Sub");
    ok_json(
        put(
            &sina,
            &format!("{base}/{mid}/absence"),
            json!({"absence_info": "Dienstags Homeoffice"}),
        )
        .await,
        200,
    )
    .await;
    let ap = ok_json(
        sina.post_json(
            &format!("{base}/{mid}/appointments"),
            &json!({"start": "2099-05-01", "end": "2099-05-03", "text": "Urlaub"}),
        )
        .await,
        201,
    )
    .await;
    let apid = ap["id"].as_i64().unwrap();
    ok_json(
        put(
            &sina,
            &format!("{base}/{mid}/appointments/{apid}"),
            json!({"start": "2099-05-01", "end": "2099-05-04", "text": "Urlaub"}),
        )
        .await,
        200,
    )
    .await;
    // Refused: everything else.
    let s = format!("/api/v1/accounts/{a}");
    let refused = [
        sina.get(&base).await,
        sina.get(&format!("{base}/{oid}")).await,
        put(&sina, &format!("{base}/{oid}/absence"), json!({"absence_info": "weg"})).await,
        sina.post_json(
            &format!("{base}/{oid}/appointments"),
            &json!({"start": "2099-05-01", "end": "2099-05-03", "text": "x"}),
        )
        .await,
        sina.get(&format!("{base}/{oid}/appointments")).await,
        put(
            &sina,
            &format!("{base}/{mid}"),
            json!({"name": "Sina Chefin", "email": "sina@a.test"}),
        )
        .await,
        delete(&sina, &format!("{base}/{oid}")).await,
        sina.post_json(&base, &employee("Neu", "neu@a.test")).await,
        put(
            &sina,
            &format!("{s}/secretary/settings"),
            json!({"greeting": "[Vorname]"}),
        )
        .await,
        sina.get(&format!("{s}/audit")).await,
        sina.get(&format!("{s}/vips")).await,
        sina.post_json(&format!("{s}/vips"), &json!({"phone": "0170 1234567", "name": "X"}))
            .await,
        sina.post_json(&format!("{s}/faq"), &json!({"question": "Q", "answer": "A"}))
            .await,
        sina.get(&format!("{base}/export")).await,
        sina.post_json(&format!("{base}/{oid}/login"), &json!({})).await,
    ];
    for r in refused {
        let url = r.url().to_string();
        let e = api_error(r, 403).await;
        assert_eq!(e["code"], "forbidden", "{url}");
    }
    let olaf = get_json(&app, &format!("{base}/{oid}")).await;
    assert_eq!(olaf["absence_info"], "");
    assert_eq!(
        get_json(&app, &format!("{base}/{oid}/appointments?past=true")).await,
        json!([])
    );
    assert_eq!(
        get_json(&app, &format!("{base}/{mid}")).await["absence_info"],
        "Dienstags Homeoffice"
    );

    // A plain member reads but cannot change.
    app.create_user("leser@a.test", None, Some((a, AccountRole::Member)))
        .await;
    let reader = app.second_client();
    reader.login("leser@a.test").await;
    assert_eq!(get_json(&reader, &base).await["total"], 2);
    let e = api_error(
        put(
            &reader,
            &format!("{base}/{oid}/absence"),
            json!({"absence_info": "weg"}),
        )
        .await,
        403,
    )
    .await;
    assert_eq!(e["code"], "forbidden");
    api_error(reader.post_json(&base, &employee("Neu", "neu@a.test")).await, 403).await;
    app.stop().await;
}

/// An admin of account A gets the same 404 for every secretary endpoint of
/// account B and for B's ids under A's own path; nothing in B changes.
async fn tenant_isolation(backend: Backend) {
    let Some((app, a)) = admin_app(backend).await else {
        return;
    };
    let b = account(&app, "K-2", "80331").await;
    app.create_user("chef@b.test", None, Some((b, AccountRole::SuperAdmin)))
        .await;
    let bee = app.second_client();
    bee.login("chef@b.test").await;
    let bb = format!("/api/v1/accounts/{b}");
    let e = ok_json(
        bee.post_json(&format!("{bb}/employees"), &employee("Bea B", "bea@b.test"))
            .await,
        201,
    )
    .await;
    let eid = e["id"].as_i64().unwrap();
    let ap = ok_json(
        bee.post_json(
            &format!("{bb}/employees/{eid}/appointments"),
            &json!({"start": "2099-01-01", "end": "2099-01-02", "text": "B"}),
        )
        .await,
        201,
    )
    .await;
    let apid = ap["id"].as_i64().unwrap();
    let v = ok_json(
        bee.post_json(
            &format!("{bb}/vips"),
            &json!({"phone": "0170 1234567", "name": "B-VIP"}),
        )
        .await,
        201,
    )
    .await;
    let vid = v["id"].as_i64().unwrap();
    let f = ok_json(
        bee.post_json(&format!("{bb}/faq"), &json!({"question": "B?", "answer": "B"}))
            .await,
        201,
    )
    .await;
    let fid = f["id"].as_i64().unwrap();
    let before_settings = get_json(&bee, &format!("{bb}/secretary/settings")).await;
    let before_audit = get_json(&bee, &format!("{bb}/audit")).await["total"].clone();

    let emp = employee("Eindringling", "x@a.test");
    let appt = json!({"start": "2099-01-01", "end": "2099-01-02", "text": "x"});
    let vip = json!({"phone": "0170 1234567", "name": "X"});
    let qa = json!({"question": "X", "answer": "X"});
    let aa = format!("/api/v1/accounts/{a}");
    let mut attempts = Vec::new();
    for acc in [&bb, &aa] {
        // Under B's path everything is B's; under A's path, B's ids.
        if acc == &bb {
            attempts.push(app.get(&format!("{acc}/secretary/settings")).await);
            attempts.push(
                put(
                    &app,
                    &format!("{acc}/secretary/settings"),
                    json!({"greeting": "[Vorname]"}),
                )
                .await,
            );
            attempts.push(app.get(&format!("{acc}/employees")).await);
            attempts.push(app.post_json(&format!("{acc}/employees"), &emp).await);
            attempts.push(app.get(&format!("{acc}/employees/export")).await);
            attempts.push(
                app.client
                    .post(app.at(&format!("{acc}/employees/import")))
                    .header("content-type", "text/csv")
                    .body("Name;E-Mail\nX;x@b.test\n")
                    .send()
                    .await
                    .unwrap(),
            );
            attempts.push(app.get(&format!("{acc}/vips")).await);
            attempts.push(app.post_json(&format!("{acc}/vips"), &vip).await);
            attempts.push(app.get(&format!("{acc}/vips/lookup?phone=01701234567")).await);
            attempts.push(app.get(&format!("{acc}/faq")).await);
            attempts.push(app.post_json(&format!("{acc}/faq"), &qa).await);
            attempts.push(put(&app, &format!("{acc}/faq/order"), json!({"ids": [fid]})).await);
            attempts.push(app.get(&format!("{acc}/audit")).await);
        }
        attempts.push(app.get(&format!("{acc}/employees/{eid}")).await);
        attempts.push(put(&app, &format!("{acc}/employees/{eid}"), emp.clone()).await);
        attempts.push(delete(&app, &format!("{acc}/employees/{eid}")).await);
        attempts.push(app.post_json(&format!("{acc}/employees/{eid}/login"), &json!({})).await);
        attempts.push(
            put(
                &app,
                &format!("{acc}/employees/{eid}/absence"),
                json!({"absence_info": "x"}),
            )
            .await,
        );
        attempts.push(app.get(&format!("{acc}/employees/{eid}/status")).await);
        attempts.push(app.get(&format!("{acc}/employees/{eid}/appointments")).await);
        attempts.push(
            app.post_json(&format!("{acc}/employees/{eid}/appointments"), &appt)
                .await,
        );
        attempts.push(
            put(
                &app,
                &format!("{acc}/employees/{eid}/appointments/{apid}"),
                appt.clone(),
            )
            .await,
        );
        attempts.push(delete(&app, &format!("{acc}/employees/{eid}/appointments/{apid}")).await);
        attempts.push(put(&app, &format!("{acc}/vips/{vid}"), vip.clone()).await);
        attempts.push(delete(&app, &format!("{acc}/vips/{vid}")).await);
        attempts.push(put(&app, &format!("{acc}/faq/{fid}"), qa.clone()).await);
        attempts.push(delete(&app, &format!("{acc}/faq/{fid}")).await);
        attempts.push(
            app.post_json(&format!("{acc}/employees/import/1/commit"), &json!({}))
                .await,
        );
    }
    // A's own FAQ order cannot include B's entry.
    let own_order = put(&app, &format!("{aa}/faq/order"), json!({"ids": [fid]})).await;
    assert_eq!(api_error(own_order, 422).await["code"], "faq_order_mismatch");
    let n = attempts.len();
    let mut codes = Vec::new();
    for r in attempts {
        let url = r.url().to_string();
        let status = r.status().as_u16();
        assert_eq!(status, 404, "{url}");
        codes.push(api_error(r, 404).await["code"].clone());
    }
    assert!(codes.iter().all(|c| c == "not_found"), "{codes:?}");
    assert!(n > 40, "{n} attempts");

    // Nothing in B changed.
    assert_eq!(
        get_json(&bee, &format!("{bb}/secretary/settings")).await,
        before_settings
    );
    let e = get_json(&bee, &format!("{bb}/employees/{eid}")).await;
    assert_eq!(
        (e["name"].as_str(), e["absence_info"].as_str()),
        (Some("Bea B"), Some(""))
    );
    assert_eq!(e["login_user_id"], Value::Null);
    assert_eq!(
        get_json(&bee, &format!("{bb}/employees/{eid}/appointments")).await[0]["text"],
        "B"
    );
    assert_eq!(get_json(&bee, &format!("{bb}/vips")).await[0]["name"], "B-VIP");
    assert_eq!(get_json(&bee, &format!("{bb}/faq")).await[0]["question"], "B?");
    assert_eq!(get_json(&bee, &format!("{bb}/audit")).await["total"], before_audit);
    assert_eq!(get_json(&app, &format!("{aa}/employees")).await["total"], 0);
    app.stop().await;
}

async fn import(app: &Visitor, a: kernel::AccountId, body: Vec<u8>) -> Response {
    app.client
        .post(app.at(&format!("/api/v1/accounts/{a}/employees/import")))
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn commit(app: &Visitor, a: kernel::AccountId, upload: &Value) -> Response {
    let id = upload.as_i64().expect("an upload id");
    app.post_json(
        &format!("/api/v1/accounts/{a}/employees/import/{id}/commit"),
        &json!({}),
    )
    .await
}

async fn export(app: &Visitor, a: kernel::AccountId) -> Vec<u8> {
    let r = app.get(&format!("/api/v1/accounts/{a}/employees/export")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    r.bytes().await.unwrap().to_vec()
}

/// Export, then import of the same file changes nothing; a German Excel
/// file (Windows-1252, semicolons) creates and updates in one go; a file
/// with errors writes nothing; an upload is committed once.
async fn csv_round_trip_and_imports(backend: Backend) {
    let Some((app, a)) = admin_app(backend).await else {
        return;
    };
    let base = format!("/api/v1/accounts/{a}/employees");
    ok_json(
        app.post_json(
            &base,
            &json!({"name": "Weiß, Jürgen", "email": "juergen@a.test", "cc": ["büro@a.test", "team@a.test"],
                    "position": "Geschäftsführer", "responsibility": "Neukunden; Bestandskunden", "sms_enabled": true,
                    "mobile": "0170 1234567", "extension": "12", "wants_transfer": true,
                    "absence_info": "Nur vormittags, \"dringend\" bitte per Mail"}),
        )
        .await,
        201,
    )
    .await;
    let changed = ok_json(
        app.post_json(&base, &employee("Änne Müller", "aenne@a.test")).await,
        201,
    )
    .await;
    let mut with_deputy = employee("Änne Müller", "aenne@a.test");
    with_deputy["deputy_id"] = json!(get_json(&app, &format!("{base}?q=juergen")).await["items"][0]["id"]);
    with_deputy["absence_info"] = json!("Dienstags frei");
    ok_json(put(&app, &format!("{base}/{}", changed["id"]), with_deputy).await, 200).await;
    let before = get_json(&app, &base).await;
    let audit_before = get_json(&app, &format!("/api/v1/accounts/{a}/audit")).await["total"].clone();

    let file = export(&app, a).await;
    assert!(file.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let text = String::from_utf8(file[3..].to_vec()).unwrap();
    assert!(text.contains("Weiß, Jürgen") && text.contains(';'), "{text}");
    let preview = ok_json(import(&app, a, file).await, 200).await;
    assert_eq!(
        (
            &preview["rows"],
            &preview["creates"],
            &preview["updates"],
            &preview["unchanged"]
        ),
        (&json!(2), &json!(0), &json!(0), &json!(2)),
        "{preview}"
    );
    assert_eq!(preview["errors"], json!([]));
    assert_eq!(preview["upload_id"], Value::Null, "nothing to commit");
    assert_eq!(get_json(&app, &base).await, before);

    // Windows-1252, semicolons, German headers: one update, two new.
    let mut cp1252 = Vec::new();
    cp1252.extend_from_slice(b"Name;E-Mail;Position;Mobilnummer;SMS-Benachrichtigung;Vertreter\r\n");
    cp1252.extend_from_slice(b"M\xFCller, \xC4nne;aenne@a.test;Buchhaltung;;nein;juergen@a.test\r\n");
    cp1252.extend_from_slice(b"Gr\xF6\xDFe, J\xF6rg;joerg@a.test;Lager;0171 2345678;ja;aenne@a.test\r\n");
    cp1252.extend_from_slice(b"Zo\xEB Stra\xDFer;zoe@a.test;;;;joerg@a.test\r\n");
    let preview = ok_json(import(&app, a, cp1252).await, 200).await;
    assert_eq!(
        (&preview["creates"], &preview["updates"]),
        (&json!(2), &json!(1)),
        "{preview}"
    );
    // Same person, other spelling of the name: counts as a change.
    assert_eq!(preview["changes"][0]["changed"], json!(["name", "position"]));
    assert_eq!(preview["changes"][1]["name"], "Größe, Jörg");
    assert_eq!(get_json(&app, &base).await, before, "a preview writes nothing");
    let upload = preview["upload_id"].clone();
    let done = ok_json(commit(&app, a, &upload).await, 200).await;
    assert_eq!(done["creates"], 2);
    let e = api_error(commit(&app, a, &upload).await, 404).await;
    assert_eq!(e["code"], "not_found", "an upload is used once");
    let list = get_json(&app, &base).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Größe, Jörg", "Müller, Änne", "Zoë Straßer", "Weiß, Jürgen"]);
    let joerg = &list["items"][0];
    assert_eq!(
        (joerg["mobile"].as_str(), joerg["sms_enabled"].as_bool()),
        (Some("+491712345678"), Some(true))
    );
    assert_eq!(joerg["deputy_name"], "Müller, Änne");
    assert_eq!(
        list["items"][2]["deputy_name"], "Größe, Jörg",
        "deputy created by the same file"
    );
    assert_eq!(list["items"][1]["position"], "Buchhaltung");
    assert_eq!(
        list["items"][1]["absence_info"], "Dienstags frei",
        "no such column: kept"
    );
    assert_eq!(list["items"][1]["deputy_name"], "Weiß, Jürgen");
    let audit = get_json(&app, &format!("/api/v1/accounts/{a}/audit")).await;
    assert_eq!(
        audit["total"],
        audit_before.as_i64().unwrap() + 1,
        "one entry for the import"
    );
    assert_eq!(audit["items"][0]["action"], "employees.imported");

    // A file with errors: line and field named, nothing written.
    let after = get_json(&app, &base).await;
    let bad = "name,email,mobile,deputy\nNeu Eins,neu1@a.test,,\nKaputt,keine-mail,,\nNeu Zwei,neu2@a.test,0170 12x,\nNeu Drei,neu3@a.test,,niemand@a.test\n";
    let preview = ok_json(import(&app, a, bad.as_bytes().to_vec()).await, 200).await;
    let errors: Vec<(i64, &str)> = preview["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(3, "email"), (4, "mobile"), (5, "deputy_id")]);
    assert!(
        preview["errors"][0]["message"].as_str().unwrap().contains("E-Mail"),
        "{preview}"
    );
    assert_eq!(preview["upload_id"], Value::Null);
    assert_eq!(get_json(&app, &base).await, after);
    // An unusable file is refused as a whole.
    let e = api_error(import(&app, a, b"Vorname;Telefon\nA;1\n".to_vec()).await, 422).await;
    assert_eq!(e["field"], "file");

    // The list changed after the preview: the commit refuses, nothing written.
    let preview = ok_json(
        import(&app, a, b"Name;E-Mail\nSpaet Dran;spaet@a.test\n".to_vec()).await,
        200,
    )
    .await;
    ok_json(
        app.post_json(
            &base,
            &json!({"name": "Spät Dran", "email": "spaet@a.test", "position": "x"}),
        )
        .await,
        201,
    )
    .await;
    let e = api_error(commit(&app, a, &preview["upload_id"]).await, 409).await;
    assert_eq!(e["code"], "import_outdated");
    assert_eq!(
        get_json(&app, &format!("{base}?q=spaet")).await["items"][0]["name"],
        "Spät Dran"
    );
    app.stop().await;
}

db_test!(
    csv_round_trip_and_imports,
    greeting_must_keep_a_placeholder,
    employees_sorted_searched_paged,
    appointments_override_absence_info,
    vips_match_any_spelling,
    faq_keeps_its_order,
    sub_account_limits,
    tenant_isolation
);
