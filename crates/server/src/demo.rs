//! Demo data: a realistic German installation so a newcomer sees a living
//! system at once. Only fills an empty database; the logins are in README.md.

use domain::accounts::AccountInput;
use domain::calls::{ApiTokenInput, CallStore, NewCall, NewNote, Outcome};
use domain::identity::tokens::{self, TokenKind};
use domain::identity::User;
use domain::identity::{AccountRole, PlatformRole, UserInput};
use domain::portal::{InviteInput, NewConsent, NewRegistration, PortalStore, PRIVACY_VERSION};
use domain::secretary::{AppointmentInput, EmployeeInput, FaqInput, QueryField, SettingsInput, VipInput};
use kernel::{AccountId, EmailAddress, Lang};

use crate::Services;

/// Password of every demo login.
pub const DEMO_PASSWORD: &str = "Kontor-Demo-2026";

/// Seeds the database unless it already has customer accounts.
/// Returns whether anything was written.
pub async fn seed(s: &Services) -> anyhow::Result<bool> {
    if s.accounts.list("", 1, 0).await?.total > 0 {
        tracing::info!("demo: database already has accounts, nothing seeded");
        return Ok(false);
    }
    let accounts = [
        (
            "K-10001",
            "10115",
            "Mustermann AG",
            "Friedrichstraße 120",
            "Berlin",
            "Sekretariat Vermittlung",
        ),
        (
            "K-10002",
            "80331",
            "Bäckerei Schmidt GmbH",
            "Marienplatz 3",
            "München",
            "Sekretariat Basis",
        ),
        (
            "K-10003",
            "20095",
            "Huber & Partner Steuerberatung",
            "Mönckebergstraße 7",
            "Hamburg",
            "Konferenz Plus",
        ),
    ];
    let mut ids = Vec::new();
    for (number, zip, name, street, city, tariff) in accounts {
        let a = s
            .accounts
            .create(&AccountInput {
                customer_number: number.into(),
                postal_code: zip.into(),
                name: name.into(),
                street: street.into(),
                city: city.into(),
                country: Some("DE".into()),
                tariff: tariff.into(),
                contact_email: None,
            })
            .await?;
        ids.push(a.id);
    }
    let users = [
        (
            "operator@kontor.example",
            "Olivia",
            "Betreiber",
            Some(PlatformRole::Operator),
            None,
        ),
        (
            "agent@kontor.example",
            "Jonas",
            "Empfang",
            Some(PlatformRole::Agent),
            None,
        ),
        (
            "anna.mustermann@mustermann.example",
            "Anna",
            "Mustermann",
            None,
            Some((ids[0], AccountRole::SuperAdmin)),
        ),
        (
            "ben.meier@mustermann.example",
            "Ben",
            "Meier",
            None,
            Some((ids[0], AccountRole::Member)),
        ),
        (
            "lena.schmidt@baeckerei-schmidt.example",
            "Lena",
            "Schmidt",
            None,
            Some((ids[1], AccountRole::SuperAdmin)),
        ),
        (
            "max.huber@huber-partner.example",
            "Max",
            "Huber",
            None,
            Some((ids[2], AccountRole::SuperAdmin)),
        ),
    ];
    let mut anna = None;
    let mut operator = None;
    let mut people = Vec::new();
    for (email, first, last, platform_role, membership) in users {
        let user = s
            .identity
            .create_user(UserInput {
                email,
                password: Some(DEMO_PASSWORD),
                first_name: first,
                last_name: last,
                language: Lang::De,
                platform_role,
                membership,
            })
            .await?;
        people.push(user.clone());
        if email.starts_with("anna.") {
            anna = Some(user);
        } else if email.starts_with("operator@") {
            operator = Some(user);
        }
    }
    // The portal at work: a registration waiting for Anna's approval and an
    // invitation not yet accepted.
    let now = s.env.clock.now();
    let (secret, token) = tokens::issue(TokenKind::ConfirmRegistration, None, None, now);
    let reg = NewRegistration {
        account_id: ids[0],
        email: EmailAddress::parse("clara.neumann@mustermann.example", "email")?,
        first_name: "Clara".into(),
        last_name: "Neumann".into(),
        language: Lang::De,
        marketing: false,
    };
    let privacy = [NewConsent {
        kind: "privacy",
        version: PRIVACY_VERSION,
    }];
    PortalStore::create_registration(&s.db, &reg, &privacy, token, vec![], now).await?;
    PortalStore::confirm_registration(&s.db, &domain::token::hash_token(&secret), now).await?;
    if let Some(anna) = anna {
        let invite = InviteInput {
            email: "david.wagner@mustermann.example".into(),
            first_name: "David".into(),
            last_name: "Wagner".into(),
            role: AccountRole::Member,
            language: None,
        };
        s.portal.invite(&anna, ids[0], &invite).await?;
        if let Some(op) = &operator {
            secretary(s, op, &anna, ids[0]).await?;
            calls(s, op, &ids).await?;
            cards(s, op, &people).await?;
        }
    }
    conference(s, &people).await?;
    planner(s, &people, ids[0]).await?;
    tracing::info!("demo: seeded 3 customer accounts and 6 logins (password {DEMO_PASSWORD})");
    Ok(true)
}

/// Demo PINs of Anna's conference room (moderator, participant).
pub const DEMO_PINS: (&str, &str) = ("4711", "9051");

/// Every customer's personal conference room; Anna's PINs are set, the
/// others see the first-login PIN page.
async fn conference(s: &Services, people: &[User]) -> anyhow::Result<()> {
    for user in people.iter().filter(|u| u.platform_role.is_none()) {
        let room = s.conference.provision(user).await?;
        if user.first_name == "Anna" {
            s.conference.set_pins(user, DEMO_PINS.0, DEMO_PINS.1).await?;
            tracing::info!(
                number = %room.number.grouped(),
                moderator_pin = DEMO_PINS.0,
                participant_pin = DEMO_PINS.1,
                "demo: Anna's conference room"
            );
        }
    }
    Ok(())
}

/// Mustermann AG has the session planner booked; Anna has three entries
/// (tomorrow's training with a reminder and phone information, a weekly
/// meeting, the remote-support session her website's widget uses).
async fn planner(s: &Services, people: &[User], mustermann: AccountId) -> anyhow::Result<()> {
    use domain::planner::{EntryInput, PlannerStore};
    let Some(anna) = people.iter().find(|u| u.first_name == "Anna") else {
        return Ok(());
    };
    PlannerStore::set_planner_licence(&s.db, mustermann, true).await?;
    let day = |d: i64, time: &str| {
        (chrono::Utc::now() + chrono::Duration::days(d))
            .with_timezone(&domain::secretary::schedule::zone("Europe/Berlin"))
            .format(&format!("%Y-%m-%dT{time}"))
            .to_string()
    };
    let entries = [
        (
            "Produktschulung Kasse 3000",
            day(1, "10:00"),
            90,
            "Neue Funktionen der Kasse 3000: Bonieren, Storno, Tagesabschluss.",
            true,
            Some(15),
        ),
        ("Wochenabstimmung Vertrieb", day(3, "09:00"), 30, "", false, None),
        (
            "Fernwartung (Website)",
            day(0, "08:00"),
            60,
            "Feste Nummer für das Teilnahme-Widget auf unserer Website.",
            false,
            None,
        ),
    ];
    for (title, start, duration_min, description, phone_info, reminder_min) in entries {
        let e = s
            .planner
            .create(
                anna,
                &EntryInput {
                    title: title.into(),
                    start,
                    time_zone: None,
                    duration_min,
                    description: description.into(),
                    phone_info,
                    reminder_min,
                },
            )
            .await?;
        tracing::info!(number = %e.number.grouped(), title, "demo: Anna's planner entry");
    }
    Ok(())
}

/// The virtual secretary of Mustermann AG: settings (transfer tariff, set by
/// the operator), employees with deputies, absence info and appointments
/// (one running now, one ahead), VIP callers and an FAQ.
async fn secretary(s: &Services, operator: &User, anna: &User, account: AccountId) -> anyhow::Result<()> {
    let sec = &s.secretary;
    sec.save_settings(
        operator,
        account,
        &SettingsInput {
            greeting: "Herzlich Willkommen bei der Mustermann AG, mein Name ist [Vorname, Nachname]. Was kann ich für Sie tun?"
                .into(),
            instructions: "Anfragen zu Lieferterminen bitte an den Vertrieb (Frau Wagner) verbinden.".into(),
            with_transfer: Some(true),
            query_fields: vec![QueryField {
                label: "Kundennummer".into(),
                required: false,
            }],
            time_zone: Some("Europe/Berlin".into()),
        },
    )
    .await?;
    let people = [
        (
            "Anna Mustermann",
            "Geschäftsführerin",
            "Strategie, Presse",
            "0170 1111111",
            "10",
            true,
        ),
        (
            "Wagner, Sabine",
            "Vertriebsleiterin",
            "Neukunden/Interessenten",
            "0171 2222222",
            "21",
            true,
        ),
        (
            "Thomas Becker",
            "Vertrieb Außendienst",
            "Bestandskunden Nord",
            "",
            "22",
            false,
        ),
        ("Öztürk, Elif", "Buchhaltung", "Rechnungen, Mahnungen", "", "31", false),
        (
            "Jan Schulze",
            "Technischer Support",
            "Reklamationen",
            "0152 3333333",
            "41",
            false,
        ),
        ("Müller, Petra", "Empfang", "Zentrale, Post", "", "", false),
        ("Lukas Hoffmann", "Einkauf", "Lieferanten", "", "51", false),
    ];
    let mut ids = Vec::new();
    for (name, position, responsibility, mobile, extension, transfer) in people {
        let email = format!(
            "{}@mustermann.example",
            domain::secretary::fold(&name.replace(", ", ".").replace(' ', "."))
        );
        let e = sec
            .create_employee(
                anna,
                account,
                &EmployeeInput {
                    name: name.into(),
                    email,
                    position: position.into(),
                    responsibility: responsibility.into(),
                    sms_enabled: !mobile.is_empty(),
                    mobile: mobile.into(),
                    extension: extension.into(),
                    wants_transfer: transfer,
                    vip_transfer: !transfer && !extension.is_empty(),
                    ..Default::default()
                },
            )
            .await?;
        ids.push(e);
    }
    // Deputies: Wagner stands in for Becker and Mustermann, Schulze for Hoffmann.
    for (who, deputy) in [(2, 1), (0, 1), (6, 4)] {
        let e = &ids[who];
        let input = EmployeeInput {
            name: e.name.clone(),
            email: e.email.clone(),
            position: e.position.clone(),
            responsibility: e.responsibility.clone(),
            sms_enabled: e.sms_enabled,
            mobile: e.mobile.clone().unwrap_or_default(),
            deputy_id: Some(ids[deputy].id),
            extension: e.extension.clone(),
            wants_transfer: e.wants_transfer,
            vip_transfer: e.vip_transfer,
            ..Default::default()
        };
        sec.update_employee(anna, account, e.id, &input).await?;
    }
    sec.set_absence(
        anna,
        account,
        ids[3].id,
        "Frau Öztürk ist nur vormittags im Hause. Darf ich einen Rückruf ausrichten?",
    )
    .await?;
    sec.set_absence(
        anna,
        account,
        ids[0].id,
        "Bitte Rückruf anbieten; dringende Anliegen an Frau Wagner.",
    )
    .await?;
    let today = s
        .env
        .clock
        .now()
        .to_datetime()
        .with_timezone(&chrono_tz_berlin())
        .date_naive();
    let day = |d: i64| (today + chrono::Duration::days(d)).format("%Y-%m-%d").to_string();
    let appointments = [
        (
            2,
            day(-2),
            day(5),
            format!(
                "Im Urlaub – Rückrufe ab dem {}",
                (today + chrono::Duration::days(6)).format("%d.%m.")
            ),
        ),
        (
            0,
            format!("{}T08:00", day(3)),
            format!("{}T17:00", day(3)),
            "Ganztägig auf der Messe in Hannover – bitte Rückruf anbieten.".to_string(),
        ),
        (4, day(10), day(12), "Schulung – nur per E-Mail erreichbar.".to_string()),
    ];
    for (who, start, end, text) in appointments {
        sec.create_appointment(anna, account, ids[who].id, &AppointmentInput { start, end, text })
            .await?;
    }
    for (phone, name, note, employee) in [
        (
            "030 98765432",
            "Herr Dr. Krause (Krause Logistik)",
            "Bitte nicht nach den Kontaktdaten fragen – sind bekannt. Immer durchstellen.",
            None,
        ),
        (
            "0171 5550123",
            "Frau Schneider (Hausbank)",
            "Direkt zu Frau Mustermann durchstellen.",
            Some(ids[0].id),
        ),
        (
            "+49 89 1234567",
            "Herr Vogel",
            "Bitte ausrichten, dass kein Interesse am Angebot besteht.",
            Some(ids[1].id),
        ),
    ] {
        sec.create_vip(
            anna,
            account,
            &VipInput {
                phone: phone.into(),
                name: name.into(),
                note: note.into(),
                employee_id: employee,
            },
        )
        .await?;
    }
    // Jan Schulze keeps his own absences current with a sub-account login:
    // the invitation is accepted here as he would from the e-mail.
    sec.create_login(anna, account, ids[4].id, None).await?;
    let invitation = s
        .outbox
        .list(None, 20)
        .await?
        .into_iter()
        .find(|m| m.recipient == ids[4].email)
        .and_then(|m| {
            let start = m.body_text.find("/welcome/")? + "/welcome/".len();
            let token: String = m.body_text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            Some(token)
        });
    if let Some(token) = invitation {
        s.portal.activate(&token, true, true, DEMO_PASSWORD).await?;
    }
    for (q, a) in [
        (
            "Wo finde ich die Bestellliste?",
            "Auf der Website unter mustermann.example/service.",
        ),
        (
            "Wie sind Ihre Öffnungszeiten?",
            "Montag bis Freitag 8–17 Uhr, freitags bis 15 Uhr.",
        ),
        (
            "Wohin schicke ich Bewerbungen?",
            "Bitte per E-Mail an jobs@mustermann.example.",
        ),
        (
            "Haben Sie einen Notdienst?",
            "Ja, für Wartungskunden unter 0800 1234567 rund um die Uhr.",
        ),
    ] {
        sec.create_faq(
            anna,
            account,
            &FaqInput {
                question: q.into(),
                answer: a.into(),
            },
        )
        .await?;
    }
    Ok(())
}

/// The agent side: service numbers, an API token for a telephone system,
/// two weeks of answered calls for Mustermann AG and one call waiting.
async fn calls(s: &Services, operator: &User, ids: &[AccountId]) -> anyhow::Result<()> {
    for (account, number) in ids.iter().zip(["+4930123456780", "+4989765432100", "+4940555666700"]) {
        s.calls.add_service_number(operator, *account, number).await?;
    }
    let token = s
        .calls
        .create_api_token(
            operator,
            &ApiTokenInput {
                name: "Demo-Telefonanlage".into(),
            },
        )
        .await?;
    tracing::info!("demo: API token for POST /api/v1/calls (shown once): {}", token.secret);
    let employees = s.secretary.all_employees(operator, ids[0]).await?;
    let callers = [
        (
            "Herr Keller",
            "Keller Bau GmbH",
            "Rückruf wegen Angebot Nr. 2026-114 erbeten",
        ),
        ("Frau Yilmaz", "", "Fragt nach dem Liefertermin ihrer Bestellung"),
        (
            "Herr Brandt",
            "Stadtwerke Nord",
            "Bitte um Terminvorschlag für die Wartung nächste Woche",
        ),
        (
            "Frau Lorenz",
            "Lorenz & Partner",
            "Rechnung 4711 doppelt erhalten, bittet um Klärung",
        ),
        ("Herr Wolff", "", "Interesse an einer Vorführung, ruft morgen wieder an"),
    ];
    let now = s.env.clock.now();
    for i in 0..24i64 {
        let Some(e) = employees.get((i as usize * 3) % employees.len().max(1)) else {
            break;
        };
        let at = now.plus_secs(-(i * 13 * 3600 + 1800));
        let (name, company, concern) = callers[i as usize % callers.len()];
        let call = CallStore::create_call(
            &s.db,
            &NewCall {
                account_id: ids[0],
                service_number: "+4930123456780".into(),
                caller_id: format!("+49170555{:04}", 100 + i),
                received_at: at,
                source: "api",
                agent: Some((operator.id, "Jonas Empfang".into())),
            },
        )
        .await?;
        let connected = i % 3 == 0 && e.wants_transfer;
        let note = NewNote {
            corrects_id: None,
            agent_id: operator.id,
            agent_name: "Jonas Empfang".into(),
            employee_id: e.id,
            employee_name: e.name.clone(),
            outcome: if connected {
                Outcome::Connected
            } else {
                Outcome::Message
            },
            connected_to: if connected { e.name.clone() } else { String::new() },
            caller_name: name.into(),
            company: company.into(),
            phone: call.caller_id.clone(),
            concern: concern.into(),
            extra: vec![],
            vip: false,
        };
        CallStore::finish(&s.db, call.id, &note, &note.summary(), vec![], at.plus_secs(180)).await?;
    }
    CallStore::create_call(
        &s.db,
        &NewCall {
            account_id: ids[0],
            service_number: "+4930123456780".into(),
            caller_id: "+4917012345678".into(),
            received_at: now,
            source: "api",
            agent: None,
        },
    )
    .await?;
    Ok(())
}

fn chrono_tz_berlin() -> chrono::FixedOffset {
    // Close enough for picking demo dates (CET); the service reads them in
    // the account's real time zone.
    chrono::FixedOffset::east_opt(3600).expect("valid offset")
}

/// Company cards of the three demo companies. Anna and Ben form the team
/// of Mustermann AG (networking on, Anna on standby for the Info Counter),
/// with two visitor requests waiting in the back office.
async fn cards(s: &Services, operator: &User, people: &[User]) -> anyhow::Result<()> {
    use domain::cards::{CardInput, NetworkSettings, NewCardInput, RequestInput, RequestKind};
    let cards = [
        (
            "Mustermann AG",
            "anna.mustermann@mustermann.example",
            "Beratung, Logistik, Software",
            "Berlin",
            "Wir planen und betreiben Lieferketten für den Mittelstand – von der Lagersoftware bis zur Fahrerdisposition.",
        ),
        (
            "Bäckerei Schmidt GmbH",
            "lena.schmidt@baeckerei-schmidt.example",
            "Lebensmittel, Catering",
            "München",
            "Handwerksbäckerei seit 1921 mit Catering für Messen und Firmenfeiern.",
        ),
        (
            "Huber & Partner Steuerberatung",
            "max.huber@huber-partner.example",
            "Steuern, Beratung",
            "Hamburg",
            "Steuerberatung für Gründerinnen, Handwerk und Freiberufler.",
        ),
    ];
    for (name, contact, topics, city, description) in cards {
        let card = s
            .cards
            .create(
                operator,
                &NewCardInput {
                    card: CardInput {
                        name: name.into(),
                        description: description.into(),
                        topics: topics.into(),
                        city: city.into(),
                        website: format!("{}.example", name.split(' ').next().unwrap_or("firma").to_lowercase()),
                        ..Default::default()
                    },
                    contact_email: contact.into(),
                },
            )
            .await?;
        if let Some(contact_user) = people.iter().find(|u| u.email == contact) {
            // As if the contact had signed in once.
            s.cards.link_on_sign_in(contact_user).await?;
        }
        if name == "Mustermann AG" {
            let net = s.cards.network();
            for u in people.iter().filter(|u| u.email.ends_with("@mustermann.example")) {
                let anna = u.first_name == "Anna";
                let settings = NetworkSettings {
                    networking: true,
                    findable: true,
                    show_as_contact: true,
                    standby: anna,
                    position: if anna { "Geschäftsführung" } else { "Vertrieb" }.into(),
                };
                net.save_settings(u, &settings).await?;
            }
            let anna = people.iter().find(|u| u.first_name == "Anna");
            let ben = people.iter().find(|u| u.first_name == "Ben");
            if let (Some(anna), Some(ben)) = (anna, ben) {
                s.cards.add_member(anna, &card.public_id, ben.id).await?;
            }
            for (kind, who, email, message) in [
                (
                    RequestKind::Contact,
                    "Jürgen Groß",
                    "j.gross@spedition-gross.example",
                    "Wir suchen eine Lagersoftware für drei Standorte.",
                ),
                (
                    RequestKind::Meeting,
                    "Aylin Demir",
                    "aylin@demir-logistik.example",
                    "Gern ein Kennenlernen zur Fahrerdisposition.",
                ),
            ] {
                let input = RequestInput {
                    kind,
                    name: who.into(),
                    email: email.into(),
                    company: String::new(),
                    message: message.into(),
                    preferred_at: (kind == RequestKind::Meeting)
                        .then(|| s.env.clock.now().plus_secs(3 * 24 * 3600).millis()),
                };
                s.cards.submit_request(&card.public_id, &input, "demo").await?;
            }
        }
    }
    Ok(())
}
