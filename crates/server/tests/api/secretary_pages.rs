//! The virtual secretary through its pages, as a customer's admin and an
//! employee with their own login use it: the greeting rule on the company
//! form, employee forms with field errors and the deputy warning on delete,
//! a sub-account confined to its own schedule, FAQ order by ↑/↓, and forms
//! without CSRF token refused.

use std::time::Duration;

use domain::accounts::AccountInput;
use domain::identity::{AccountRole, User};
use domain::secretary::{AppointmentInput, EmployeeInput, FaqInput};
use kernel::AccountId;
use reqwest::{Client, Response};
use test_support::{db_test, Backend};

use crate::helpers::{client, hidden_value, TestApp, PASSWORD};

/// One signed-in browser (own cookies and CSRF token).
struct Browser {
    c: Client,
    url: String,
}

impl Browser {
    async fn login(app: &TestApp, email: &str) -> Browser {
        let b = Browser {
            c: client(),
            url: app.url.clone(),
        };
        let r =
            b.c.post(format!("{}/api/v1/session", b.url))
                .json(&serde_json::json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .unwrap();
        assert_eq!(r.status(), 200, "login of {email}");
        b
    }

    async fn get(&self, path: &str) -> Response {
        self.c.get(format!("{}{path}", self.url)).send().await.unwrap()
    }

    async fn html(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.text().await.unwrap()
    }

    async fn csrf(&self) -> String {
        let page = self.get("/help/secretary").await.text().await.unwrap();
        hidden_value(&page, "_csrf").expect("csrf field")
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf().await;
        let mut all = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.c
            .post(format!("{}{path}", self.url))
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    /// Posts and expects the form back with `status`; returns the page.
    async fn post_page(&self, path: &str, fields: &[(&str, &str)], status: u16) -> String {
        let r = self.post(path, fields).await;
        assert_eq!(r.status().as_u16(), status, "POST {path} {fields:?}");
        r.text().await.unwrap()
    }

    /// Posts and expects a redirect; returns where to.
    async fn post_redirect(&self, path: &str, fields: &[(&str, &str)]) -> String {
        let r = self.post(path, fields).await;
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert_eq!(
            status,
            303,
            "POST {path} {fields:?}: {}",
            r.text().await.unwrap_or_default()
        );
        location
    }
}

/// The message shown next to a field, if any.
fn field_error(html: &str, field: &str) -> Option<String> {
    let marker = format!("id=\"e-{field}\">");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('<')? + start;
    Some(html[start..end].to_string())
}

struct Setup {
    app: TestApp,
    account: AccountId,
    admin: User,
}

async fn setup(backend: Backend) -> Option<Setup> {
    let app = TestApp::spawn(backend).await?;
    let account = app
        .services
        .accounts
        .create(&AccountInput {
            customer_number: "K-20001".into(),
            postal_code: "10115".into(),
            name: "Muster GmbH".into(),
            street: "Hauptstraße 1".into(),
            city: "Berlin".into(),
            country: None,
            tariff: String::new(),
            contact_email: None,
        })
        .await
        .unwrap()
        .id;
    let admin = app
        .create_user("chefin@muster.test", None, Some((account, AccountRole::SuperAdmin)))
        .await;
    Some(Setup { app, account, admin })
}

fn employee(name: &str, email: &str) -> EmployeeInput {
    EmployeeInput {
        name: name.into(),
        email: email.into(),
        ..Default::default()
    }
}

/// The import pages: a Windows-1252 file with an error shows the line and
/// writes nothing; a clean file shows its preview and is written on confirm,
/// once.
async fn import_preview_and_confirm_in_the_pages(backend: Backend) {
    let Some(Setup { app, account, admin }) = setup(backend).await else {
        return;
    };
    let b = Browser::login(&app, &admin.email).await;
    let upload = |bytes: Vec<u8>| {
        let b = &b;
        async move {
            let token = b.csrf().await;
            let mut body = format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n\
                 --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"liste.csv\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            )
            .into_bytes();
            body.extend_from_slice(&bytes);
            body.extend_from_slice(b"\r\n--XyZ--\r\n");
            b.c.post(format!("{}/portal/{account}/employees/import", b.url))
                .header("content-type", "multipart/form-data; boundary=XyZ")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let bad = b"Name;E-Mail\r\nGr\xF6\xDFe, J\xF6rg;joerg@muster.test\r\nKaputt;keine-mail\r\n".to_vec();
    let r = upload(bad).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Größe, Jörg"), "Windows-1252 decoded");
    assert!(html.contains("keine gültige E-Mail-Adresse"), "the row error is shown");
    assert!(
        hidden_value(&html, "upload_id").is_none(),
        "no confirm button with errors"
    );
    let sec = &app.services.secretary;
    assert_eq!(sec.employees(&admin, account, "", 50, 0).await.unwrap().total, 0);

    let good = b"Name;E-Mail\r\nGr\xF6\xDFe, J\xF6rg;joerg@muster.test\r\n".to_vec();
    let html = upload(good).await.text().await.unwrap();
    let id = hidden_value(&html, "upload_id").expect("confirm form");
    assert_eq!(
        sec.employees(&admin, account, "", 50, 0).await.unwrap().total,
        0,
        "preview writes nothing"
    );
    let to = b
        .post_redirect(
            &format!("/portal/{account}/employees/import/commit"),
            &[("upload_id", &id)],
        )
        .await;
    assert_eq!(to, format!("/portal/{account}/employees"));
    let list = sec.employees(&admin, account, "", 50, 0).await.unwrap();
    assert_eq!(list.items[0].employee.name, "Größe, Jörg");
    // A second confirm of the same upload writes nothing more.
    let html = b
        .post_page(
            &format!("/portal/{account}/employees/import/commit"),
            &[("upload_id", &id)],
            404,
        )
        .await;
    assert!(html.contains("erneut"), "asks to upload again");
    assert_eq!(sec.employees(&admin, account, "", 50, 0).await.unwrap().total, 1);
    app.stop().await;
}

/// An admin of one account gets 404 for every secretary page and form of
/// another account (and for its ids under their own account's path); the
/// other account's data stays as it was.
async fn pages_of_another_account_are_not_found(backend: Backend) {
    let Some(Setup { app, account: a, admin }) = setup(backend).await else {
        return;
    };
    let s = &app.services;
    let b = s
        .accounts
        .create(&AccountInput {
            customer_number: "K-20002".into(),
            postal_code: "80331".into(),
            name: "Andere AG".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .id;
    let boss = app
        .create_user("chef@andere.test", None, Some((b, AccountRole::SuperAdmin)))
        .await;
    let sec = &s.secretary;
    let e = sec
        .create_employee(&boss, b, &employee("Bea Andere", "bea@andere.test"))
        .await
        .unwrap();
    let appt = AppointmentInput {
        start: "2099-01-01".into(),
        end: "2099-01-02".into(),
        text: "B".into(),
    };
    let ap = sec.create_appointment(&boss, b, e.id, &appt).await.unwrap();
    let vip = domain::secretary::VipInput {
        phone: "0170 1234567".into(),
        name: "B-VIP".into(),
        note: String::new(),
        employee_id: None,
    };
    let v = sec.create_vip(&boss, b, &vip).await.unwrap();
    let qa = FaqInput {
        question: "B?".into(),
        answer: "B".into(),
    };
    let f = sec.create_faq(&boss, b, &qa).await.unwrap();
    let audit_before = sec.audit_log(&boss, b, 50, 0).await.unwrap().total;

    let br = Browser::login(&app, &admin.email).await;
    let (eid, apid, vid, fid) = (e.id, ap.id, v.id, f.id);
    let mut gets = vec![
        format!("/portal/{b}/secretary"),
        format!("/portal/{b}/employees"),
        format!("/portal/{b}/employees/new"),
        format!("/portal/{b}/employees/export"),
        format!("/portal/{b}/employees/import"),
        format!("/portal/{b}/vips"),
        format!("/portal/{b}/faq"),
        format!("/portal/{b}/audit"),
    ];
    let mut posts: Vec<(String, Vec<(&str, String)>)> = vec![
        (format!("/portal/{b}/secretary"), vec![("greeting", "[Vorname]".into())]),
        (
            format!("/portal/{b}/employees"),
            vec![("name", "X".into()), ("email", "x@a.test".into())],
        ),
        (
            format!("/portal/{b}/employees/import/commit"),
            vec![("upload_id", "1".into())],
        ),
        (
            format!("/portal/{b}/vips"),
            vec![("phone", "0170 7654321".into()), ("name", "X".into())],
        ),
        (
            format!("/portal/{b}/faq"),
            vec![("question", "X".into()), ("answer", "X".into())],
        ),
        (format!("/portal/{b}/faq/order"), vec![("ids", fid.to_string())]),
    ];
    for acc in [b, a] {
        gets.extend([
            format!("/portal/{acc}/employees/{eid}"),
            format!("/portal/{acc}/employees/{eid}/delete"),
            format!("/portal/{acc}/employees/{eid}/schedule"),
            format!("/portal/{acc}/employees/{eid}/appointments/{apid}"),
            format!("/portal/{acc}/vips/{vid}"),
            format!("/portal/{acc}/faq/{fid}"),
        ]);
        posts.extend([
            (
                format!("/portal/{acc}/employees/{eid}"),
                vec![("name", "X".into()), ("email", "x@a.test".into())],
            ),
            (format!("/portal/{acc}/employees/{eid}/delete"), vec![]),
            (format!("/portal/{acc}/employees/{eid}/login"), vec![]),
            (
                format!("/portal/{acc}/employees/{eid}/absence"),
                vec![("absence_info", "weg".into())],
            ),
            (
                format!("/portal/{acc}/employees/{eid}/appointments"),
                vec![
                    ("start_date", "2099-02-01".into()),
                    ("end_date", "2099-02-02".into()),
                    ("text", "X".into()),
                ],
            ),
            (
                format!("/portal/{acc}/employees/{eid}/appointments/{apid}"),
                vec![
                    ("start_date", "2099-02-01".into()),
                    ("end_date", "2099-02-02".into()),
                    ("text", "X".into()),
                ],
            ),
            (
                format!("/portal/{acc}/employees/{eid}/appointments/{apid}/delete"),
                vec![],
            ),
            (
                format!("/portal/{acc}/vips/{vid}"),
                vec![("phone", "0170 7654321".into()), ("name", "X".into())],
            ),
            (format!("/portal/{acc}/vips/{vid}/delete"), vec![]),
            (
                format!("/portal/{acc}/faq/{fid}"),
                vec![("question", "X".into()), ("answer", "X".into())],
            ),
            (
                format!("/portal/{acc}/faq/{fid}/move"),
                vec![("direction", "down".into())],
            ),
            (format!("/portal/{acc}/faq/{fid}/delete"), vec![]),
        ]);
    }
    for path in &gets {
        assert_eq!(br.get(path).await.status(), 404, "GET {path}");
    }
    for (path, fields) in &posts {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(br.post(path, &fields).await.status(), 404, "POST {path}");
    }
    // Nothing of B changed.
    assert_eq!(sec.employee(&boss, b, eid).await.unwrap(), e);
    assert_eq!(sec.appointments(&boss, b, eid, true).await.unwrap(), vec![ap]);
    assert_eq!(sec.vips(&boss, b, None).await.unwrap()[0].name, "B-VIP");
    assert_eq!(sec.faqs(&boss, b).await.unwrap()[0].question, "B?");
    assert!(sec.settings(&boss, b).await.unwrap().updated_at.is_none());
    assert_eq!(sec.audit_log(&boss, b, 50, 0).await.unwrap().total, audit_before);
    assert_eq!(sec.employees(&admin, a, "", 50, 0).await.unwrap().total, 0);
    app.stop().await;
}

/// A malformed query parameter gets the error page naming it, not a bare
/// text response.
async fn bad_query_parameters_get_the_error_page(backend: Backend) {
    let Some(Setup { app, account, admin }) = setup(backend).await else {
        return;
    };
    let b = Browser::login(&app, &admin.email).await;
    for path in [
        format!("/portal/{account}/employees?page=zwei"),
        format!("/portal/{account}/audit?page=-x"),
    ] {
        let r = b.get(&path).await;
        assert_eq!(r.status(), 422, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = r.text().await.unwrap();
        assert!(html.contains("page"), "names the parameter: {path}");
    }
    assert_eq!(
        b.get(&format!("/portal/{account}/employees?page=2")).await.status(),
        200
    );
    app.stop().await;
}

db_test!(
    bad_query_parameters_get_the_error_page,
    pages_of_another_account_are_not_found,
    import_preview_and_confirm_in_the_pages,
    greeting_without_placeholder_is_refused_next_to_the_field,
    employee_forms_with_errors_and_deputy_warning,
    sub_account_sees_only_its_own_schedule,
    faq_order_with_up_and_down,
    forms_without_csrf_are_refused,
);

async fn greeting_without_placeholder_is_refused_next_to_the_field(backend: Backend) {
    let Some(Setup { app, account, admin }) = setup(backend).await else {
        return;
    };
    let b = Browser::login(&app, "chefin@muster.test").await;
    let path = format!("/portal/{account}/secretary");
    let page = b.html(&path).await;
    assert!(
        page.contains("Herzlich Willkommen bei der Muster GmbH"),
        "default greeting shown"
    );
    assert!(page.contains("Julia Schneider"), "preview with the sample name");
    assert!(page.contains("Name des Anrufers"), "fixed query fields shown");
    assert!(
        page.contains("Momentan ist niemand persönlich erreichbar"),
        "no-transfer notice"
    );

    let before = app.services.secretary.settings(&admin, account).await.unwrap();
    let page = b
        .post_page(
            &path,
            &[
                ("greeting", "Guten Tag, Muster GmbH, was kann ich tun?"),
                ("instructions", "Neue Anweisung"),
                ("qf_label_0", "Kundennummer"),
                ("time_zone", "Europe/Berlin"),
            ],
            422,
        )
        .await;
    let msg = field_error(&page, "greeting").expect("message next to the greeting");
    assert!(msg.contains("Platzhalter"), "{msg}");
    assert!(page.contains("Guten Tag, Muster GmbH, was kann ich tun?"), "input kept");
    assert!(page.contains("Neue Anweisung"), "other input kept");
    let after = app.services.secretary.settings(&admin, account).await.unwrap();
    assert_eq!(after.greeting, before.greeting, "nothing changed");
    assert_eq!(after.instructions, "");
    assert!(after.updated_at.is_none());

    // A customer cannot switch on the transfer tariff.
    b.post_page(
        &path,
        &[("greeting", "Hallo, [Vorname] hier."), ("with_transfer", "true")],
        303,
    )
    .await;
    let saved = app.services.secretary.settings(&admin, account).await.unwrap();
    assert_eq!(saved.greeting, "Hallo, [Vorname] hier.");
    assert!(!saved.with_transfer, "tariff flag is the operator's");
    // Extra query fields: empty rows are ignored.
    b.post_redirect(
        &path,
        &[
            ("greeting", "Hallo, [Vorname] hier."),
            ("qf_label_0", "Kundennummer"),
            ("qf_required_0", "true"),
            ("qf_label_1", ""),
            ("qf_label_2", "Vertragsnummer"),
        ],
    )
    .await;
    let saved = app.services.secretary.settings(&admin, account).await.unwrap();
    let labels: Vec<_> = saved
        .query_fields
        .iter()
        .map(|f| (f.label.as_str(), f.required))
        .collect();
    assert_eq!(labels, [("Kundennummer", true), ("Vertragsnummer", false)]);
    app.stop().await;
}

async fn employee_forms_with_errors_and_deputy_warning(backend: Backend) {
    let Some(Setup { app, account, admin }) = setup(backend).await else {
        return;
    };
    let b = Browser::login(&app, "chefin@muster.test").await;
    let list = format!("/portal/{account}/employees");
    let page = b.html(&list).await;
    assert!(page.contains("Noch keine Mitarbeiter"), "empty state");
    assert!(b
        .html(&format!("{list}/new"))
        .await
        .contains("Vorname Nachname oder Nachname, Vorname"));

    // A bad mobile number: shown next to the field, the input kept, nothing stored.
    let page = b
        .post_page(
            &list,
            &[
                ("name", "Schmidt, Eva"),
                ("email", "eva@muster.test"),
                ("sms_enabled", "true"),
                ("mobile", "0170 abc"),
            ],
            422,
        )
        .await;
    assert!(field_error(&page, "mobile").is_some(), "mobile error shown");
    assert!(page.contains("value=\"Schmidt, Eva\""), "name kept");
    assert_eq!(
        app.services
            .secretary
            .employees(&admin, account, "", 50, 0)
            .await
            .unwrap()
            .total,
        0
    );

    let to = b
        .post_redirect(
            &list,
            &[
                ("name", "Schmidt, Eva"),
                ("email", "eva@muster.test"),
                ("cc", "team@muster.test\nchef@muster.test"),
                ("sms_enabled", "true"),
                ("mobile", "0170 1234567"),
            ],
        )
        .await;
    let eva_id: i64 = to.rsplit('/').next().unwrap().parse().unwrap();
    let eva = app.services.secretary.employee(&admin, account, eva_id).await.unwrap();
    assert_eq!(eva.mobile.as_deref(), Some("+491701234567"));
    assert_eq!(eva.cc, ["team@muster.test", "chef@muster.test"]);

    let eva_s = eva_id.to_string();
    let to = b
        .post_redirect(
            &list,
            &[
                ("name", "Jonas Adler"),
                ("email", "jonas@muster.test"),
                ("deputy_id", &eva_s),
            ],
        )
        .await;
    let jonas_id: i64 = to.rsplit('/').next().unwrap().parse().unwrap();

    // Edit: own deputy refused; a real change saved.
    let jonas_path = format!("{list}/{jonas_id}");
    let page = b
        .post_page(
            &jonas_path,
            &[
                ("name", "Jonas Adler"),
                ("email", "jonas@muster.test"),
                ("deputy_id", &jonas_id.to_string()),
            ],
            422,
        )
        .await;
    assert!(field_error(&page, "deputy_id").is_some(), "deputy error shown");
    b.post_redirect(
        &jonas_path,
        &[
            ("name", "Jonas Adler"),
            ("email", "jonas@muster.test"),
            ("position", "Vertrieb"),
            ("deputy_id", &eva_s),
        ],
    )
    .await;
    let jonas = app
        .services
        .secretary
        .employee(&admin, account, jonas_id)
        .await
        .unwrap();
    assert_eq!(jonas.position, "Vertrieb");

    // The list, sorted by last name: Adler before Schmidt.
    let page = b.html(&list).await;
    let (a, s) = (page.find("Jonas Adler").unwrap(), page.find("Schmidt, Eva").unwrap());
    assert!(a < s, "sorted by last name");
    assert!(page.contains("2 Mitarbeiter"));

    // Deleting Eva warns that Jonas loses his deputy, and names him after.
    let page = b.html(&format!("{list}/{eva_id}/delete")).await;
    assert!(page.contains("verlieren ihren Vertreter"), "deputy warning");
    assert!(page.contains("Jonas Adler"));
    b.post_redirect(&format!("{list}/{eva_id}/delete"), &[]).await;
    let page = b.html(&list).await;
    assert!(
        page.contains("Schmidt, Eva wurde gelöscht"),
        "flash names the deleted employee"
    );
    assert!(
        page.contains("Ohne Vertreter sind jetzt: Jonas Adler"),
        "flash names who lost a deputy"
    );
    let jonas = app
        .services
        .secretary
        .employee(&admin, account, jonas_id)
        .await
        .unwrap();
    assert_eq!(jonas.deputy_id, None);
    assert_eq!(b.get(&format!("{list}/{eva_id}")).await.status(), 404);
    app.stop().await;
}

/// The invitation link of the newest mail to `to` (path after the base URL).
async fn invitation_token(app: &TestApp, to: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found = app
            .smtp
            .received()
            .iter()
            .rev()
            .filter(|m| m.rcpt.iter().any(|r| r == to))
            .find_map(|m| m.link_containing("/welcome/"));
        if let Some(link) = found {
            return link.rsplit('/').next().unwrap().to_string();
        }
        assert!(tokio::time::Instant::now() < deadline, "no invitation to {to}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn sub_account_sees_only_its_own_schedule(backend: Backend) {
    let Some(Setup { app, account, admin }) = setup(backend).await else {
        return;
    };
    let sec = &app.services.secretary;
    let own = sec
        .create_employee(&admin, account, &employee("Lena Vogt", "lena@muster.test"))
        .await
        .unwrap();
    let other = sec
        .create_employee(&admin, account, &employee("Karl Berg", "karl@muster.test"))
        .await
        .unwrap();
    // The admin gives Lena her own login on the employee page.
    let b = Browser::login(&app, "chefin@muster.test").await;
    let page = b.html(&format!("/portal/{account}/employees/{}", own.id)).await;
    assert!(page.contains("Eigenen Zugang anlegen"));
    b.post_redirect(&format!("/portal/{account}/employees/{}/login", own.id), &[])
        .await;
    let page = b.html(&format!("/portal/{account}/employees/{}", own.id)).await;
    assert!(page.contains("Zugang vorhanden"));
    let token = invitation_token(&app, "lena@muster.test").await;
    app.services
        .portal
        .activate(&token, true, true, PASSWORD)
        .await
        .unwrap();

    let lena = Browser::login(&app, "lena@muster.test").await;
    let schedule = format!("/portal/{account}/employees/{}/schedule", own.id);
    // The home page and the secretary entry lead straight to her schedule.
    let home = lena.html("/app").await;
    assert!(
        home.contains(&format!("href=\"{schedule}\"")),
        "home links to the own schedule"
    );
    let r = lena.get(&format!("/portal/{account}/secretary")).await;
    assert_eq!(r.headers().get("location").unwrap().to_str().unwrap(), schedule);
    let page = lena.html(&schedule).await;
    assert!(page.contains("Meine Abwesenheiten"));
    assert!(
        !page.contains(&format!("/portal/{account}/audit")),
        "no admin navigation"
    );

    // Everything else is closed to her.
    for path in [
        format!("/portal/{account}/employees"),
        format!("/portal/{account}/employees/{}/schedule", other.id),
        format!("/portal/{account}/employees/{}", other.id),
        format!("/portal/{account}/vips"),
        format!("/portal/{account}/faq"),
        format!("/portal/{account}/audit"),
        format!("/portal/{account}/employees/export"),
    ] {
        let status = lena.get(&path).await.status().as_u16();
        assert!(status == 403 || status == 404, "{path}: {status}");
    }
    let status = lena
        .post(
            &format!("/portal/{account}/employees/{}/absence", other.id),
            &[("absence_info", "fremd")],
        )
        .await
        .status()
        .as_u16();
    assert_eq!(status, 403, "someone else's absence");
    assert_eq!(sec.employee(&admin, account, other.id).await.unwrap().absence_info, "");

    // Her own absence info and appointments.
    lena.post_redirect(
        &format!("/portal/{account}/employees/{}/absence", own.id),
        &[("absence_info", "Nur vormittags im Haus.")],
    )
    .await;
    assert_eq!(
        sec.employee(&admin, account, own.id).await.unwrap().absence_info,
        "Nur vormittags im Haus."
    );
    let appointments = format!("/portal/{account}/employees/{}/appointments", own.id);
    let page = lena
        .post_page(
            &appointments,
            &[
                ("all_day", "true"),
                ("start_date", "2030-10-17"),
                ("end_date", "2030-10-01"),
                ("text", "Urlaub"),
            ],
            422,
        )
        .await;
    assert!(
        field_error(&page, "end_date").is_some(),
        "end before start shown at the end date"
    );
    lena.post_redirect(
        &appointments,
        &[
            ("all_day", "true"),
            ("start_date", "2030-10-01"),
            ("end_date", "2030-10-17"),
            ("text", "Urlaub"),
        ],
    )
    .await;
    lena.post_redirect(
        &appointments,
        &[
            ("start_date", "2030-11-03"),
            ("start_time", "09:00"),
            ("end_time", "12:30"),
            ("text", "Arzttermin"),
        ],
    )
    .await;
    let list = sec.appointments(&admin, account, own.id, true).await.unwrap();
    let mut got: Vec<_> = list
        .iter()
        .map(|a| (a.start.as_str(), a.end.as_str(), a.all_day))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("2030-10-01", "2030-10-17", true),
            ("2030-11-03T09:00", "2030-11-03T12:30", false)
        ]
    );
    let page = lena.html(&schedule).await;
    assert!(page.contains("01.10.2030 – 17.10.2030") && page.contains("Arzttermin"));
    let urlaub = list.iter().find(|a| a.text == "Urlaub").unwrap();
    lena.post_redirect(
        &format!("{appointments}/{}", urlaub.id),
        &[
            ("all_day", "true"),
            ("start_date", "2030-10-02"),
            ("end_date", "2030-10-17"),
            ("text", "Urlaub!"),
        ],
    )
    .await;
    lena.post_redirect(&format!("{appointments}/{}/delete", urlaub.id), &[])
        .await;
    let left = sec.appointments(&admin, account, own.id, true).await.unwrap();
    assert_eq!(left.len(), 1);
    // Not the other one's appointments.
    let status = lena
        .post(
            &format!("/portal/{account}/employees/{}/appointments", other.id),
            &[("start_date", "2030-10-01"), ("text", "x")],
        )
        .await
        .status()
        .as_u16();
    assert_eq!(status, 403);
    assert!(sec
        .create_appointment(
            &admin,
            account,
            other.id,
            &AppointmentInput {
                start: "2030-01-01".into(),
                end: "2030-01-01".into(),
                text: "ok".into()
            }
        )
        .await
        .is_ok());
    app.stop().await;
}

async fn faq_order_with_up_and_down(backend: Backend) {
    let Some(Setup { app, account, admin }) = setup(backend).await else {
        return;
    };
    let sec = &app.services.secretary;
    let mut ids = Vec::new();
    for q in ["Erste?", "Zweite?", "Dritte?"] {
        let f = sec
            .create_faq(
                &admin,
                account,
                &FaqInput {
                    question: q.into(),
                    answer: "Antwort".into(),
                },
            )
            .await
            .unwrap();
        ids.push(f.id);
    }
    let order = || async {
        sec.faqs(&admin, account)
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.question)
            .collect::<Vec<_>>()
    };
    let b = Browser::login(&app, "chefin@muster.test").await;
    let faq = format!("/portal/{account}/faq");
    b.post_redirect(&format!("{faq}/{}/move", ids[2]), &[("dir", "up")])
        .await;
    assert_eq!(order().await, ["Erste?", "Dritte?", "Zweite?"]);
    b.post_redirect(&format!("{faq}/{}/move", ids[0]), &[("dir", "down")])
        .await;
    assert_eq!(order().await, ["Dritte?", "Erste?", "Zweite?"]);
    // Moving the first one up changes nothing.
    b.post_redirect(&format!("{faq}/{}/move", ids[2]), &[("dir", "up")])
        .await;
    assert_eq!(order().await, ["Dritte?", "Erste?", "Zweite?"]);
    // The drag-and-drop endpoint takes the whole order.
    let all = format!("{},{},{}", ids[1], ids[2], ids[0]);
    b.post_redirect(&format!("{faq}/order"), &[("ids", &all)]).await;
    assert_eq!(order().await, ["Zweite?", "Dritte?", "Erste?"]);
    let page = b.html(&faq).await;
    let (z, e) = (page.find("Zweite?").unwrap(), page.find("Erste?").unwrap());
    assert!(z < e, "page shows the new order");
    // An incomplete order changes nothing and says why.
    let r = b.post(&format!("{faq}/order"), &[("ids", &ids[0].to_string())]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(order().await, ["Zweite?", "Dritte?", "Erste?"]);
    app.stop().await;
}

async fn forms_without_csrf_are_refused(backend: Backend) {
    let Some(Setup { app, account, admin }) = setup(backend).await else {
        return;
    };
    let b = Browser::login(&app, "chefin@muster.test").await;
    b.html(&format!("/portal/{account}/secretary")).await;
    let token = b.csrf().await;
    let bad = TestApp::tamper(&token);
    for (path, fields) in [
        (
            format!("/portal/{account}/secretary"),
            vec![("greeting", "Hallo [Vorname]")],
        ),
        (
            format!("/portal/{account}/employees"),
            vec![("name", "Max Muster"), ("email", "max@muster.test")],
        ),
        (
            format!("/portal/{account}/faq"),
            vec![("question", "Q?"), ("answer", "A")],
        ),
        (
            format!("/portal/{account}/vips"),
            vec![("phone", "030 123456"), ("name", "VIP")],
        ),
    ] {
        for token in [None, Some(bad.as_str())] {
            let mut all = fields.clone();
            if let Some(t) = token {
                all.push(("_csrf", t));
            }
            let r = b.c.post(format!("{}{path}", b.url)).form(&all).send().await.unwrap();
            assert_eq!(r.status(), 403, "POST {path} with token {token:?}");
        }
    }
    // The multipart import checks the token too.
    let body = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{bad}\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.csv\"\r\n\
         Content-Type: text/csv\r\n\r\nName;E-Mail\r\n--XyZ--\r\n"
    );
    let r =
        b.c.post(format!("{}/portal/{account}/employees/import", b.url))
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(body)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 403, "import without a valid token");
    let sec = &app.services.secretary;
    assert_eq!(sec.employees(&admin, account, "", 50, 0).await.unwrap().total, 0);
    assert!(sec.faqs(&admin, account).await.unwrap().is_empty());
    assert!(sec.settings(&admin, account).await.unwrap().updated_at.is_none());
    app.stop().await;
}
