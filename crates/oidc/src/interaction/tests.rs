//! Engine tests of the interaction rules with a fixed clock: when a session satisfies a
//! request, CSRF tokens, session lifetimes, and an interaction bound to its browser.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::decide::login_satisfied;
use super::*;
use crate::authorize::{AuthorizationRequest, PromptSet};
use crate::params::Params;
use crate::{Clock, Engine, EngineConfig, FixedClock, TenantContext};
use base64::Engine as _;
use gatehouse_core::Session;
use gatehouse_crypto::MasterKey;
use gatehouse_store::Store;
use gatehouse_store_sqlite::testing::{TestDatabase, fresh_database};
use gatehouse_types::management::{ApplicationType, CreateApplication, CreateUser};
use std::sync::Arc;

const START: i64 = 1_700_000_000;
const PASSWORD: &str = "correct horse battery";

struct Fixture {
    engine: Engine,
    clock: Arc<FixedClock>,
    tenant: Arc<TenantContext>,
    client_id: String,
    _db: TestDatabase,
}

async fn fixture(absolute: i64, idle: i64) -> Fixture {
    let (store, db) = fresh_database().await;
    let clock = Arc::new(FixedClock::new(START));
    let mut config = EngineConfig::new("https://id.example");
    config.session_absolute_seconds = absolute;
    config.session_idle_seconds = idle;
    let key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let engine = Engine::new(
        Arc::new(store) as Arc<dyn Store>,
        MasterKey::from_base64(&key).unwrap(),
        clock.clone(),
        config,
    );
    let tenant = engine.ensure_root_tenant().await.unwrap();
    let app = engine
        .create_application(
            &tenant,
            CreateApplication {
                name: "web".into(),
                app_type: ApplicationType::Web,
                redirect_uris: vec!["https://app.example/cb".into()],
                post_logout_redirect_uris: vec![],
                third_party: false,
                device_flow: false,
                resource_grants: vec![],
                refresh_token_absolute_ttl: None,
                refresh_token_idle_ttl: None,
                jwks: None,
            },
        )
        .await
        .unwrap();
    engine
        .create_user(
            &tenant,
            CreateUser {
                username: Some("alice".into()),
                password: Some(PASSWORD.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    Fixture {
        engine,
        clock,
        tenant,
        client_id: app.application.id,
        _db: db,
    }
}

fn session(auth_time: i64) -> Session {
    Session {
        id: "s".into(),
        secret_hash: vec![0; 32],
        user_id: "u".into(),
        created_at: auth_time,
        last_seen_at: auth_time,
        expires_at: auth_time + 1000,
        idle_expires_at: auth_time + 1000,
        auth_time,
        amr: vec!["pwd".into()],
        acr: None,
        persistent: false,
        user_agent: None,
        ip: None,
    }
}

async fn request(f: &Fixture, extra: &[(&str, &str)]) -> AuthorizationRequest {
    let mut pairs = vec![
        ("client_id", f.client_id.as_str()),
        ("response_type", "code"),
        ("redirect_uri", "https://app.example/cb"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
        ("scope", "openid"),
    ];
    pairs.extend_from_slice(extra);
    let params = Params::from_pairs(pairs).unwrap();
    f.engine
        .handle_authorization_request(&f.tenant, &params)
        .await
        .unwrap()
}

/// Extra parameters, auth_time, signed in during this interaction since, satisfied.
type Case = (
    &'static [(&'static str, &'static str)],
    i64,
    Option<i64>,
    bool,
);

#[tokio::test]
async fn when_a_session_satisfies_the_request() {
    let f = fixture(1000, 500).await;
    let now = START;
    // (extra parameters, auth_time, signed in during this interaction since, satisfied)
    let cases: [Case; 10] = [
        (&[], now - 900, None, true),
        (&[("prompt", "login")], now - 1, None, false),
        (&[("prompt", "login")], now - 1, Some(now - 1), true),
        (&[("prompt", "create")], now, None, false),
        (&[("prompt", "select_account")], now, None, false),
        (&[("prompt", "consent")], now - 900, None, true),
        (&[("max_age", "60")], now - 60, None, true),
        (&[("max_age", "60")], now - 61, None, false),
        (&[("max_age", "0")], now - 1, None, false),
        (&[("max_age", "0")], now - 1, Some(now - 30), true),
    ];
    for (extra, auth_time, since, expected) in cases {
        let request = request(&f, extra).await;
        assert_eq!(
            login_satisfied(&request, &session(auth_time), since, now),
            expected,
            "{extra:?} auth_time={auth_time} since={since:?}"
        );
    }
    assert!(PromptSet::parse("consent").is_ok());
}

#[test]
fn csrf_tokens_depend_on_the_browser_and_the_purpose() {
    let token = csrf_token("binding-a", "interaction-1");
    assert!(check_csrf_token(Some("binding-a"), "interaction-1", &token));
    assert!(!check_csrf_token(
        Some("binding-b"),
        "interaction-1",
        &token
    ));
    assert!(!check_csrf_token(
        Some("binding-a"),
        "interaction-2",
        &token
    ));
    assert!(!check_csrf_token(None, "interaction-1", &token));
    assert!(!check_csrf_token(Some("binding-a"), "interaction-1", ""));
    assert_ne!(
        csrf_token("a", "bc"),
        csrf_token("ab", "c"),
        "fields are separated"
    );
}

#[tokio::test]
async fn sessions_end_after_the_idle_and_the_absolute_limit() {
    let f = fixture(1000, 300).await;
    let user = f
        .engine
        .store
        .find_user_by_username(f.tenant.id(), "alice")
        .await
        .unwrap()
        .unwrap();
    let (_, cookie) = f
        .engine
        .start_session(&f.tenant, &user, &Browser::default(), false, &["pwd"])
        .await
        .unwrap();
    assert_eq!(cookie.max_age, 1000);
    let browser = Browser {
        session: Some(cookie.secret.clone()),
        ..Browser::default()
    };
    let find = || async {
        f.engine
            .find_browser_session(&f.tenant, &browser)
            .await
            .unwrap()
    };
    // Activity every 250 s keeps it alive past the idle limit, never past the absolute one.
    for _ in 0..3 {
        f.clock.advance(250);
        assert!(find().await.is_some(), "at {}", f.clock.now() - START);
    }
    f.clock.advance(250);
    assert!(find().await.is_none(), "absolute limit at 1000 s");

    // Without activity the idle limit ends it.
    let (_, cookie) = f
        .engine
        .start_session(&f.tenant, &user, &Browser::default(), true, &["pwd"])
        .await
        .unwrap();
    let browser = Browser {
        session: Some(cookie.secret),
        ..Browser::default()
    };
    f.clock.advance(299);
    assert!(
        f.engine
            .find_browser_session(&f.tenant, &browser)
            .await
            .unwrap()
            .is_some()
    );
    f.clock.advance(301);
    assert!(
        f.engine
            .find_browser_session(&f.tenant, &browser)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_interaction_is_finished_only_by_the_browser_that_started_it() {
    let f = fixture(1000, 300).await;
    let params = Params::from_pairs([
        ("client_id", f.client_id.as_str()),
        ("response_type", "code"),
        ("redirect_uri", "https://app.example/cb"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
        ("scope", "openid"),
        ("state", "s"),
    ])
    .unwrap();
    let outcome = f
        .engine
        .handle_authorize(&f.tenant, &params, &Browser::default())
        .await
        .unwrap();
    let AuthorizeOutcome::Interact {
        interaction_id,
        new_binding: Some(binding),
    } = outcome
    else {
        panic!("expected a new interaction, got {outcome:?}");
    };
    let ours = Browser {
        binding: Some(binding.clone()),
        ..Browser::default()
    };
    let theirs = Browser {
        binding: Some(gatehouse_crypto::random_token(32)),
        ..Browser::default()
    };
    let page = f
        .engine
        .interaction_page(&f.tenant, &interaction_id, &ours, None)
        .await
        .unwrap();
    assert_eq!(page.screen, Screen::SignIn);
    let stranger = f
        .engine
        .interaction_page(&f.tenant, &interaction_id, &theirs, None)
        .await;
    assert_eq!(stranger.unwrap_err(), PageFailure::Expired);

    let form = |csrf: String| SignInForm {
        identifier: "alice".into(),
        password: PASSWORD.into(),
        remember: false,
        csrf,
    };
    let their_csrf = csrf_token(theirs.binding.as_deref().unwrap(), &interaction_id);
    let stolen = f
        .engine
        .handle_sign_in(&f.tenant, &interaction_id, &theirs, form(their_csrf))
        .await;
    assert_eq!(stolen.next, InteractionNext::Failed(PageFailure::Expired));
    assert!(stolen.new_session.is_none());

    let done = f
        .engine
        .handle_sign_in(&f.tenant, &interaction_id, &ours, form(page.csrf.clone()))
        .await;
    assert!(done.new_session.is_some());
    let InteractionNext::Respond(crate::authorize::AuthorizationResponse::Redirect { location }) =
        done.next
    else {
        panic!("expected a redirect, got {:?}", done.next);
    };
    assert!(
        location.starts_with("https://app.example/cb?code="),
        "{location}"
    );
    // Consumed: a second submission finds nothing.
    let again = f
        .engine
        .handle_sign_in(&f.tenant, &interaction_id, &ours, form(page.csrf))
        .await;
    assert_eq!(again.next, InteractionNext::Failed(PageFailure::Expired));

    // Interactions expire.
    let outcome = f
        .engine
        .handle_authorize(&f.tenant, &params, &ours)
        .await
        .unwrap();
    let AuthorizeOutcome::Interact { interaction_id, .. } = outcome else {
        panic!("the session above was never sent: a new interaction, got {outcome:?}");
    };
    f.clock.advance(INTERACTION_TTL);
    let expired = f
        .engine
        .interaction_page(&f.tenant, &interaction_id, &ours, None)
        .await;
    assert_eq!(expired.unwrap_err(), PageFailure::Expired);
}

mod resources;
