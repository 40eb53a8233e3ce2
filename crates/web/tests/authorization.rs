//! The authorization matrix: every scoped route × every role × an in-scope and an out-of-scope
//! object. Each cell checks the status, and that nothing out of scope appears in the body.
//! Removing a scope check anywhere (SQL filter, role check, CSRF) fails a cell.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use ocop_domain::access::Role;
use ocop_domain::criteria::{Catalog, bundled_sources};
use ocop_domain::registry::{EntityForm, EntityStatus, check_entity};
use ocop_store::accounts::{self, NewUser};
use ocop_store::registry;
use ocop_store::testing::TestDb;
use ocop_store::units;
use ocop_web::{AppState, router};

const PASSWORD: &str = "mật khẩu thật dài";

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Anonymous,
    Producer,
    CommuneOfficer,
    OtherCommuneOfficer,
    ProvincialOfficer,
    OtherProvincialOfficer,
    CouncilMember,
    CentralOfficer,
    Administrator,
}

const ACTORS: [Actor; 9] = [
    Actor::Anonymous,
    Actor::Producer,
    Actor::CommuneOfficer,
    Actor::OtherCommuneOfficer,
    Actor::ProvincialOfficer,
    Actor::OtherProvincialOfficer,
    Actor::CouncilMember,
    Actor::CentralOfficer,
    Actor::Administrator,
];

/// Which of the two entities an actor may see: `Home` lies in commune A of province 79 (the
/// producer's own entity); `Away` lies in province 75.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    Home,
    Away,
}

fn sees(actor: Actor, object: Object) -> bool {
    match actor {
        Actor::Anonymous => false,
        Actor::Producer
        | Actor::CommuneOfficer
        | Actor::ProvincialOfficer
        | Actor::CouncilMember => object == Object::Home,
        Actor::OtherCommuneOfficer | Actor::OtherProvincialOfficer => object == Object::Away,
        Actor::CentralOfficer | Actor::Administrator => true,
    }
}

fn may_confirm(actor: Actor) -> bool {
    matches!(
        actor,
        Actor::CommuneOfficer
            | Actor::OtherCommuneOfficer
            | Actor::ProvincialOfficer
            | Actor::OtherProvincialOfficer
    )
}

struct World {
    router: Router,
    /// The photo both products have.
    photo: String,
    evidence_file: ocop_store::files::StoredFile,
    test: TestDb,
    home_commune: String,
    away_commune: String,
    home: (String, String),
    away: (String, String),
    /// A product of each entity: (id, name).
    home_product: (String, String),
    away_product: (String, String),
    cookies: Vec<(Actor, String, String)>,
}

struct Reply {
    status: StatusCode,
    location: String,
    body: String,
}

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
        .await
        .unwrap();
    Reply {
        status,
        location,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn entity_form(code: &str, commune: &str, name: &str) -> EntityForm {
    EntityForm {
        kind: "cooperative".into(),
        registration_code: code.into(),
        name: name.into(),
        representative: "Người Đại Diện".into(),
        address: "Ấp 1".into(),
        commune_code: commune.into(),
        ..EntityForm::default()
    }
}

impl World {
    async fn new() -> World {
        let test = TestDb::with_units().await;
        let db = &test.db;
        let first_commune = |code: &'static str| async move {
            let province = units::find_by_code(db, code, None).await.unwrap().unwrap();
            let mut communes = units::children(db, province.id).await.unwrap();
            communes.sort_by(|a, b| a.code.cmp(&b.code));
            (communes[0].code.clone(), communes[1].code.clone())
        };
        let (home_commune, _) = first_commune("79").await;
        let (away_commune, _) = first_commune("75").await;
        let today = chrono::Utc::now().date_naive();
        let home = registry::create(
            db,
            &check_entity(
                &entity_form("HTX-HOME-1", &home_commune, "HTX Nhà Mình"),
                today,
            )
            .unwrap(),
            EntityStatus::Confirmed,
            "test",
        )
        .await
        .unwrap();
        let away = registry::create(
            db,
            &check_entity(
                &entity_form("HTX-AWAY-1", &away_commune, "HTX Nơi Khác"),
                today,
            )
            .unwrap(),
            EntityStatus::Confirmed,
            "test",
        )
        .await
        .unwrap();
        let product = |name: &str| {
            ocop_domain::registry::check_product(
                &ocop_domain::registry::ProductForm {
                    name: name.into(),
                    product_set: "P01".into(),
                    description: "Trái cây tươi".into(),
                    ..Default::default()
                },
                "148-1489",
                &["P01"],
            )
            .unwrap()
        };
        let national = ocop_domain::access::Scope::National;
        let home_product =
            registry::add_product(db, &national, &home.id, &product("Bưởi Nhà Mình"), "test")
                .await
                .unwrap()
                .unwrap();
        let away_product =
            registry::add_product(db, &national, &away.id, &product("Bưởi Nơi Khác"), "test")
                .await
                .unwrap()
                .unwrap();
        let accounts_to_make = [
            (Actor::Producer, Role::Producer, None, Some(home.id.clone())),
            (
                Actor::CommuneOfficer,
                Role::CommuneOfficer,
                Some(home_commune.clone()),
                None,
            ),
            (
                Actor::OtherCommuneOfficer,
                Role::CommuneOfficer,
                Some(away_commune.clone()),
                None,
            ),
            (
                Actor::ProvincialOfficer,
                Role::ProvincialOfficer,
                Some("79".to_string()),
                None,
            ),
            (
                Actor::OtherProvincialOfficer,
                Role::ProvincialOfficer,
                Some("75".to_string()),
                None,
            ),
            (
                Actor::CouncilMember,
                Role::CouncilMember,
                Some("79".to_string()),
                None,
            ),
            (Actor::CentralOfficer, Role::CentralOfficer, None, None),
            (Actor::Administrator, Role::Administrator, None, None),
        ];
        let mut cookies = vec![(Actor::Anonymous, String::new(), String::new())];
        for (index, (actor, role, unit, entity)) in accounts_to_make.into_iter().enumerate() {
            let user = accounts::create_user(
                db,
                NewUser {
                    email: format!("u{index}@ocop.vn"),
                    name: format!("{actor:?}"),
                    role,
                    unit_code: unit,
                    entity_id: entity,
                    password: PASSWORD.into(),
                },
                "test",
            )
            .await
            .unwrap();
            let (token, csrf) = accounts::create_session(db, &user).await.unwrap();
            cookies.push((actor, format!("ocop_session={token}"), csrf));
        }
        let national = ocop_domain::access::Scope::National;
        let files = ocop_store::files::FileStore::new(
            std::env::temp_dir().join(format!("ocop_matrix_files_{}", std::process::id())),
            1 << 20,
        );
        let photo = files.put(db, b"\x89PNG\r\n\x1a\nmatrix").await.unwrap();
        for product_id in [&home_product.id, &away_product.id] {
            registry::add_photo(db, &national, product_id, &photo, "test")
                .await
                .unwrap()
                .unwrap();
        }
        let evidence_file = files.put(db, b"%PDF-1.4 matrix").await.unwrap();
        World {
            photo: photo.sha256.clone(),
            evidence_file,
            router: router(
                AppState::new(test.db.clone(), Catalog::load(&bundled_sources()).unwrap())
                    .with_files(files),
            ),
            home_commune,
            away_commune,
            home: (home.id, home.name),
            away: (away.id, away.name),
            home_product: (home_product.id, home_product.name),
            away_product: (away_product.id, away_product.name),
            cookies,
            test,
        }
    }

    fn session(&self, actor: Actor) -> (&str, &str) {
        let (_, cookie, csrf) = self.cookies.iter().find(|(a, ..)| *a == actor).unwrap();
        (cookie, csrf)
    }

    async fn get(&self, actor: Actor, uri: &str) -> Reply {
        let (cookie, _) = self.session(actor);
        let mut request = Request::get(uri);
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        send(&self.router, request.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, actor: Actor, uri: &str, csrf: &str) -> Reply {
        let (cookie, _) = self.session(actor);
        let mut request =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        send(
            &self.router,
            request.body(Body::from(format!("csrf={csrf}"))).unwrap(),
        )
        .await
    }

    /// A fresh submitted dossier of `object`'s product (with one document), for an action attempt.
    async fn submitted_dossier(&self, object: Object) -> (String, String) {
        let (product_id, _) = self.product(object);
        let national = ocop_domain::access::Scope::National;
        let dossier = ocop_store::dossiers::create(
            &self.test.db,
            &national,
            product_id,
            ocop_domain::dossier::EvaluationType::FirstTime,
            Some("0909000000".into()),
            "test",
        )
        .await
        .unwrap();
        let evidence = ocop_store::dossiers::add_evidence(
            &self.test.db,
            &national,
            &dossier.id,
            ocop_domain::dossier::EvidenceType::TestReport,
            None,
            &self.evidence_file,
            "kiem-nghiem.pdf",
            None,
            "test",
        )
        .await
        .unwrap();
        ocop_store::dossiers::apply(
            &self.test.db,
            &national,
            &dossier.id,
            &ocop_domain::dossier::DossierAction::Submit,
            Role::Producer,
            &[],
            "test",
        )
        .await
        .unwrap();
        (dossier.id, evidence.id)
    }

    fn product(&self, object: Object) -> &(String, String) {
        match object {
            Object::Home => &self.home_product,
            Object::Away => &self.away_product,
        }
    }

    fn object(&self, object: Object) -> &(String, String) {
        match object {
            Object::Home => &self.home,
            Object::Away => &self.away,
        }
    }

    /// A fresh pending entity where `object` lives, for a confirmation attempt.
    async fn pending(&self, object: Object, n: usize) -> (String, String) {
        let commune = match object {
            Object::Home => &self.home_commune,
            Object::Away => &self.away_commune,
        };
        let name = format!("HTX Chờ {n} {object:?}");
        let draft = check_entity(
            &entity_form(&format!("HTX-P-{n}"), commune, &name),
            chrono::Utc::now().date_naive(),
        )
        .unwrap();
        let entity = registry::create(&self.test.db, &draft, EntityStatus::Pending, "test")
            .await
            .unwrap();
        (entity.id, name)
    }
}

fn other(object: Object) -> Object {
    match object {
        Object::Home => Object::Away,
        Object::Away => Object::Home,
    }
}

#[tokio::test]
async fn every_route_role_and_scope() {
    let world = World::new().await;
    let mut cells = 0;
    let mut pending = 0;
    for actor in ACTORS {
        // Lists: pages and API.
        let page = world.get(actor, "/entities").await;
        let api = world.get(actor, "/api/v1/entities").await;
        if actor == Actor::Anonymous {
            assert_eq!(
                (page.status, page.location.as_str()),
                (StatusCode::SEE_OTHER, "/login"),
                "{actor:?}"
            );
            assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{actor:?}");
        } else {
            assert_eq!(page.status, StatusCode::OK, "{actor:?}");
            assert_eq!(api.status, StatusCode::OK, "{actor:?}");
        }
        for object in [Object::Home, Object::Away] {
            let (_, name) = world.object(object);
            for (what, reply) in [("page list", &page), ("api list", &api)] {
                assert_eq!(
                    reply.body.contains(name.as_str()),
                    sees(actor, object),
                    "{actor:?} {what} {object:?}"
                );
            }
            cells += 2;
        }

        // One object, in and out of scope.
        for object in [Object::Home, Object::Away] {
            let (id, name) = world.object(object).clone();
            let (other_id, other_name) = world.object(other(object)).clone();
            for uri in [format!("/entities/{id}"), format!("/api/v1/entities/{id}")] {
                let reply = world.get(actor, &uri).await;
                let expected = match actor {
                    Actor::Anonymous if uri.starts_with("/api") => StatusCode::UNAUTHORIZED,
                    Actor::Anonymous => StatusCode::SEE_OTHER,
                    _ if sees(actor, object) => StatusCode::OK,
                    _ => StatusCode::NOT_FOUND,
                };
                assert_eq!(reply.status, expected, "{actor:?} GET {uri}");
                if expected == StatusCode::OK {
                    assert!(reply.body.contains(name.as_str()), "{actor:?} GET {uri}");
                }
                assert!(
                    !reply.body.contains(other_name.as_str()),
                    "{actor:?} GET {uri} leaks {other_id}"
                );
                cells += 1;
            }

            // Confirming: the right role, in scope, with the session's CSRF token.
            pending += 1;
            let (pending_id, pending_name) = world.pending(object, pending).await;
            let (_, csrf) = world.session(actor);
            let csrf = csrf.to_string();
            let uri = format!("/entities/{pending_id}/confirm");
            if actor != Actor::Anonymous {
                let forged = world.post(actor, &uri, "forged").await;
                assert_eq!(
                    forged.status,
                    StatusCode::FORBIDDEN,
                    "{actor:?} forged CSRF"
                );
            }
            let reply = world.post(actor, &uri, &csrf).await;
            let expected = match actor {
                Actor::Anonymous => StatusCode::SEE_OTHER,
                _ if !may_confirm(actor) => StatusCode::FORBIDDEN,
                _ if sees(actor, object) => StatusCode::OK,
                _ => StatusCode::NOT_FOUND,
            };
            assert_eq!(reply.status, expected, "{actor:?} POST {uri} ({object:?})");
            let confirmed = registry::find(
                &world.test.db,
                &ocop_domain::access::Scope::National,
                &pending_id,
            )
            .await
            .unwrap()
            .unwrap()
            .status
                == EntityStatus::Confirmed;
            assert_eq!(
                confirmed,
                expected == StatusCode::OK,
                "{actor:?} confirm {object:?}"
            );
            if expected != StatusCode::OK {
                assert!(
                    !reply.body.contains(pending_name.as_str()),
                    "{actor:?} confirm leaks"
                );
            }
            cells += 1;
        }

        // Products: lists, one product, adding one.
        let api = world.get(actor, "/api/v1/products").await;
        for object in [Object::Home, Object::Away] {
            let (id, name) = world.product(object).clone();
            let (_, other_name) = world.product(other(object)).clone();
            if actor != Actor::Anonymous {
                assert_eq!(
                    api.body.contains(name.as_str()),
                    sees(actor, object),
                    "{actor:?} api products {object:?}"
                );
            }
            for uri in [format!("/products/{id}"), format!("/api/v1/products/{id}")] {
                let reply = world.get(actor, &uri).await;
                let expected = match actor {
                    Actor::Anonymous if uri.starts_with("/api") => StatusCode::UNAUTHORIZED,
                    Actor::Anonymous => StatusCode::SEE_OTHER,
                    _ if sees(actor, object) => StatusCode::OK,
                    _ => StatusCode::NOT_FOUND,
                };
                assert_eq!(reply.status, expected, "{actor:?} GET {uri}");
                assert!(
                    !reply.body.contains(other_name.as_str()),
                    "{actor:?} GET {uri} leaks"
                );
                cells += 1;
            }
            let (entity_id, _) = world.object(object).clone();
            let (_, csrf) = world.session(actor);
            let csrf = csrf.to_string();
            let (cookie, _) = world.session(actor);
            let mut request = Request::post(format!("/entities/{entity_id}/products"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            if !cookie.is_empty() {
                request = request.header(header::COOKIE, cookie);
            }
            let body = format!(
                "csrf={csrf}&name=S%E1%BA%A3n+ph%E1%BA%A9m+m%E1%BB%9Bi&product_set=P01&description=M%C3%B4+t%E1%BA%A3"
            );
            let reply = send(&world.router, request.body(Body::from(body)).unwrap()).await;
            let may_add = matches!(
                actor,
                Actor::Producer
                    | Actor::CommuneOfficer
                    | Actor::OtherCommuneOfficer
                    | Actor::ProvincialOfficer
                    | Actor::OtherProvincialOfficer
            );
            let expected = match actor {
                Actor::Anonymous => StatusCode::SEE_OTHER,
                _ if !may_add => StatusCode::FORBIDDEN,
                _ if sees(actor, object) => StatusCode::OK,
                _ => StatusCode::NOT_FOUND,
            };
            assert_eq!(
                reply.status, expected,
                "{actor:?} add product to {object:?}"
            );
            cells += 1;
        }

        // Dossiers: the inbox, one dossier, and accepting it (commune officers only, in scope).
        for object in [Object::Home, Object::Away] {
            let (id, evidence_id) = world.submitted_dossier(object).await;
            let (_, product_name) = world.product(object).clone();
            let page = world.get(actor, &format!("/dossiers/{id}")).await;
            let expected = match actor {
                Actor::Anonymous => StatusCode::SEE_OTHER,
                _ if sees(actor, object) => StatusCode::OK,
                _ => StatusCode::NOT_FOUND,
            };
            assert_eq!(page.status, expected, "{actor:?} GET dossier of {object:?}");
            let inbox = world.get(actor, "/dossiers").await;
            if actor != Actor::Anonymous {
                assert_eq!(
                    inbox.body.contains(product_name.as_str()),
                    sees(actor, object),
                    "{actor:?} inbox {object:?}"
                );
            }
            let (_, csrf) = world.session(actor);
            let csrf = csrf.to_string();
            let accept = world
                .post(actor, &format!("/dossiers/{id}/accept"), &csrf)
                .await;
            let expected = match actor {
                Actor::Anonymous => StatusCode::SEE_OTHER,
                _ if !sees(actor, object) => StatusCode::NOT_FOUND,
                Actor::CommuneOfficer | Actor::OtherCommuneOfficer => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            };
            assert_eq!(
                accept.status, expected,
                "{actor:?} accept dossier of {object:?}"
            );
            let state = ocop_store::dossiers::find(
                &world.test.db,
                &ocop_domain::access::Scope::National,
                &id,
            )
            .await
            .unwrap()
            .unwrap()
            .state;
            let accepted = state == ocop_domain::dossier::DossierState::Accepted;
            assert_eq!(
                accepted,
                expected == StatusCode::OK,
                "{actor:?} accept {object:?} changed the state"
            );
            // The same dossier through the API.
            let api = world.get(actor, &format!("/api/v1/dossiers/{id}")).await;
            let expected = match actor {
                Actor::Anonymous => StatusCode::UNAUTHORIZED,
                _ if sees(actor, object) => StatusCode::OK,
                _ => StatusCode::NOT_FOUND,
            };
            assert_eq!(
                api.status, expected,
                "{actor:?} GET api dossier of {object:?}"
            );
            let api_list = world.get(actor, "/api/v1/dossiers").await;
            if actor != Actor::Anonymous {
                assert_eq!(
                    api_list.body.contains(&id),
                    sees(actor, object),
                    "{actor:?} api dossiers {object:?}"
                );
            }
            // Its document, and the self-assessment page (producers only).
            let document = world
                .get(actor, &format!("/dossiers/{id}/evidence/{evidence_id}"))
                .await;
            let expected = match actor {
                Actor::Anonymous => StatusCode::SEE_OTHER,
                _ if sees(actor, object) => StatusCode::OK,
                _ => StatusCode::NOT_FOUND,
            };
            assert_eq!(
                document.status, expected,
                "{actor:?} evidence of {object:?}"
            );
            let sheet = world
                .get(actor, &format!("/dossiers/{id}/self-assessment"))
                .await;
            let expected = match actor {
                Actor::Anonymous => StatusCode::SEE_OTHER,
                Actor::Producer if sees(actor, object) => StatusCode::OK,
                Actor::Producer => StatusCode::NOT_FOUND,
                _ => StatusCode::FORBIDDEN,
            };
            assert_eq!(
                sheet.status, expected,
                "{actor:?} self-assessment of {object:?}"
            );
            cells += 6;

            // The product's photo, and adding a certification.
            let (product_id, _) = world.product(object).clone();
            let photo = world
                .get(
                    actor,
                    &format!("/products/{product_id}/photos/{}", world.photo),
                )
                .await;
            let expected = match actor {
                Actor::Anonymous => StatusCode::SEE_OTHER,
                _ if sees(actor, object) => StatusCode::OK,
                _ => StatusCode::NOT_FOUND,
            };
            assert_eq!(photo.status, expected, "{actor:?} photo of {object:?}");
            let (cookie, csrf) = world.session(actor);
            let mut request = Request::post(format!("/products/{product_id}/certifications"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            if !cookie.is_empty() {
                request = request.header(header::COOKIE, cookie);
            }
            let body = format!(
                "csrf={csrf}&kind=vietgap&number=VG-1&issuer=QUACERT&valid_from=01%2F01%2F2025&valid_to=31%2F12%2F2027"
            );
            let reply = send(&world.router, request.body(Body::from(body)).unwrap()).await;
            let may_add = matches!(
                actor,
                Actor::Producer
                    | Actor::CommuneOfficer
                    | Actor::OtherCommuneOfficer
                    | Actor::ProvincialOfficer
                    | Actor::OtherProvincialOfficer
            );
            let expected = match actor {
                Actor::Anonymous => StatusCode::SEE_OTHER,
                _ if !may_add => StatusCode::FORBIDDEN,
                _ if sees(actor, object) => StatusCode::OK,
                _ => StatusCode::NOT_FOUND,
            };
            assert_eq!(
                reply.status, expected,
                "{actor:?} certification for {object:?}"
            );
            cells += 2;
        }

        // Account administration.
        let admin_page = world.get(actor, "/admin/users").await;
        let expected = match actor {
            Actor::Anonymous => StatusCode::SEE_OTHER,
            Actor::Administrator => StatusCode::OK,
            _ => StatusCode::FORBIDDEN,
        };
        assert_eq!(admin_page.status, expected, "{actor:?} /admin/users");
        if expected != StatusCode::OK {
            assert!(
                !admin_page.body.contains("@ocop.vn"),
                "{actor:?} sees accounts"
            );
        }
        cells += 1;
    }
    assert_eq!(cells, ACTORS.len() * 33);
}
