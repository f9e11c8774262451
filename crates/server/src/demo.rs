//! Demo data: a realistic German installation so a newcomer sees a living
//! system at once. Only fills an empty database; the logins are in README.md.

use domain::accounts::AccountInput;
use domain::identity::tokens::{self, TokenKind};
use domain::identity::{AccountRole, PlatformRole, UserInput};
use domain::portal::{InviteInput, NewConsent, NewRegistration, PortalStore, PRIVACY_VERSION};
use kernel::{EmailAddress, Lang};

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
        if email.starts_with("anna.") {
            anna = Some(user);
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
    }
    tracing::info!("demo: seeded 3 customer accounts and 6 logins (password {DEMO_PASSWORD})");
    Ok(true)
}
