//! The authorization matrix, generated from the router's own list of routes: every route ×
//! every actor × an in-scope and an out-of-scope object. A route without a row in [`World::cell`]
//! fails the test, so a new route cannot escape it.
//!
//! Each cell checks
//! - the status (303 to the sign-in page, 401, 403 for the wrong role, 404 out of scope, or
//!   the route's success);
//! - that nothing of an object the actor may not see (its name, or an id the request did not
//!   name) appears in the body — on every route, public ones included;
//! - that the audit trail grows exactly when a write is allowed, and never on a read;
//! - for writes, that the same request with a forged CSRF token is refused and changes nothing.
//!
//! Removing a scope check anywhere (SQL filter, role check, CSRF) fails cells.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use ocop_domain::access::{Role, Scope};
use ocop_domain::criteria::{Catalog, EntityType, Level, bundled_sources};
use ocop_domain::dossier::{DossierAction, EvaluationType, EvidenceType};
use ocop_domain::registry::{EntityForm, EntityStatus, ProductForm, check_entity, check_product};
use ocop_domain::rounds::council::Seat;
use ocop_domain::rounds::decision::ProductOutcome;
use ocop_domain::rounds::{RoundKind, RoundState};
use ocop_store::accounts::{self, NewUser, User};
use ocop_store::files::{FileStore, StoredFile};
use ocop_store::testing::TestDb;
use ocop_store::{
    audit, certificates,
    dossiers::{self, Opening},
    keys, registry, rounds, units,
};
use ocop_web::{AppState, route_table, router};

const PASSWORD: &str = "mật khẩu thật dài";
const OTHER_PASSWORD: &str = "một mật khẩu khác dài";
const SCORECARDS: &str = include_str!("../../../docs/examples/score-1048-P01.json");

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Anonymous,
    Producer,
    CommuneOfficer,
    OtherCommuneOfficer,
    ProvincialOfficer,
    OtherProvincialOfficer,
    /// A council-member account, the chair of Home's round (it scores there).
    CouncilMember,
    /// A council-member account of the other province, the chair of Away's round.
    OtherRoundMember,
    /// A council-member account seated as the secretary of Home's round (does not score).
    Secretary,
    CentralOfficer,
    Administrator,
}

const ACTORS: [Actor; 11] = [
    Actor::Anonymous,
    Actor::Producer,
    Actor::CommuneOfficer,
    Actor::OtherCommuneOfficer,
    Actor::ProvincialOfficer,
    Actor::OtherProvincialOfficer,
    Actor::CouncilMember,
    Actor::OtherRoundMember,
    Actor::Secretary,
    Actor::CentralOfficer,
    Actor::Administrator,
];

impl Actor {
    fn role(self) -> Option<Role> {
        Some(match self {
            Actor::Anonymous => return None,
            Actor::Producer => Role::Producer,
            Actor::CommuneOfficer | Actor::OtherCommuneOfficer => Role::CommuneOfficer,
            Actor::ProvincialOfficer | Actor::OtherProvincialOfficer => Role::ProvincialOfficer,
            Actor::CouncilMember | Actor::OtherRoundMember | Actor::Secretary => {
                Role::CouncilMember
            }
            Actor::CentralOfficer => Role::CentralOfficer,
            Actor::Administrator => Role::Administrator,
        })
    }

    /// Whether the actor's role passes `rule`.
    fn is(self, rule: fn(Role) -> bool) -> bool {
        self.role().is_some_and(rule)
    }

    /// Council-member accounts see only what their rounds hold.
    fn seated_only(self) -> bool {
        matches!(
            self,
            Actor::CouncilMember | Actor::OtherRoundMember | Actor::Secretary
        )
    }
}

/// `Home` lies in a commune of province 79 (the producer's own entity); `Away` in province 75.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    Home,
    Away,
}

/// The registry's objects (entity, product, the side's dossier, which is in the side's round).
fn sees(actor: Actor, object: Object) -> bool {
    match actor {
        Actor::Anonymous => false,
        Actor::Producer
        | Actor::CommuneOfficer
        | Actor::ProvincialOfficer
        | Actor::CouncilMember
        | Actor::Secretary => object == Object::Home,
        Actor::OtherCommuneOfficer | Actor::OtherProvincialOfficer | Actor::OtherRoundMember => {
            object == Object::Away
        }
        Actor::CentralOfficer | Actor::Administrator => true,
    }
}

/// A dossier made for one cell: council members do not see it (it is in none of their rounds).
fn sees_fresh_dossier(actor: Actor, object: Object) -> bool {
    sees(actor, object) && !actor.seated_only()
}

/// The side's round: its province's officer, its council, the national roles.
fn sees_round(actor: Actor, object: Object) -> bool {
    match actor {
        Actor::ProvincialOfficer | Actor::CouncilMember | Actor::Secretary => {
            object == Object::Home
        }
        Actor::OtherProvincialOfficer | Actor::OtherRoundMember => object == Object::Away,
        Actor::CentralOfficer | Actor::Administrator => true,
        _ => false,
    }
}

/// The province's own rounds without a council (a legacy round) and the ministry's rounds
/// holding its products: its office and the national roles.
fn sees_office_round(actor: Actor, object: Object) -> bool {
    match actor {
        Actor::ProvincialOfficer => object == Object::Home,
        Actor::OtherProvincialOfficer => object == Object::Away,
        Actor::CentralOfficer | Actor::Administrator => true,
        _ => false,
    }
}

/// The chair of the object's round (each chair sees only its own round).
fn chairs(actor: Actor) -> bool {
    matches!(actor, Actor::CouncilMember | Actor::OtherRoundMember)
}

/// Scores in the object's round (the chairs; the secretary does not score).
fn scores(actor: Actor) -> bool {
    chairs(actor)
}

/// Sees the round's analytics while it scores: anyone who does not score in it.
fn not_scoring(actor: Actor) -> bool {
    !scores(actor)
}

/// The round's organiser: its province's OCOP office.
fn organises(actor: Actor) -> bool {
    matches!(
        actor,
        Actor::ProvincialOfficer | Actor::OtherProvincialOfficer
    )
}

fn any_actor(_: Actor) -> bool {
    true
}

// The rules, written out here rather than taken from the code they check.

/// Producers keep their registry records; the officers of their commune or province may too.
fn keeps_registry(role: Role) -> bool {
    matches!(
        role,
        Role::Producer | Role::CommuneOfficer | Role::ProvincialOfficer
    )
}

/// Commune and provincial officers confirm self-registered entities.
fn confirms(role: Role) -> bool {
    matches!(role, Role::CommuneOfficer | Role::ProvincialOfficer)
}

fn producer(role: Role) -> bool {
    role == Role::Producer
}

fn commune_officer(role: Role) -> bool {
    role == Role::CommuneOfficer
}

fn administrator(role: Role) -> bool {
    role == Role::Administrator
}

fn provincial_officer(role: Role) -> bool {
    role == Role::ProvincialOfficer
}

/// The offices that inspect certificates: the province's (its products) and the ministry's.
fn inspects(role: Role) -> bool {
    matches!(role, Role::ProvincialOfficer | Role::CentralOfficer)
}

/// Commune, provincial and central officers read the programme's monitoring.
fn monitors(role: Role) -> bool {
    matches!(
        role,
        Role::CommuneOfficer | Role::ProvincialOfficer | Role::CentralOfficer
    )
}

/// Plans, fairs and courses: the provinces' offices and the central office.
fn plans(role: Role) -> bool {
    matches!(role, Role::ProvincialOfficer | Role::CentralOfficer)
}

/// The offices that open rounds: the province's and the ministry's.
fn opens_rounds(role: Role) -> bool {
    matches!(role, Role::ProvincialOfficer | Role::CentralOfficer)
}

/// How a route answers when it may not, or may, do what is asked.
#[derive(Clone, Copy)]
enum Gate {
    /// Anyone.
    Public,
    /// Anyone signed in.
    SignedIn,
    /// A role (403 otherwise), then scope (404 otherwise).
    RoleThenScope(fn(Role) -> bool),
    /// Scope only.
    InScope,
    /// A role only (403 otherwise): what it creates is its own.
    RoleOnly(fn(Role) -> bool),
    /// A dossier made for the cell in scope (404), then a role (403).
    FreshThenRole(fn(Role) -> bool),
    /// The side's round in sight (404), then who the actor is on it (403).
    RoundThen(fn(Actor) -> bool),
    /// A round of the side's province's office in sight (404), then who the actor is (403).
    OfficeRoundThen(fn(Actor) -> bool),
    /// The object in scope (404), then a role (403): a certificate is found before its
    /// authority is checked.
    ScopeThenRole(fn(Role) -> bool),
}

/// Pages send strangers to the sign-in page; the API answers 401.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Surface {
    Page,
    Api,
}

fn expected(
    gate: Gate,
    surface: Surface,
    actor: Actor,
    object: Object,
    ok: StatusCode,
) -> StatusCode {
    if actor == Actor::Anonymous && !matches!(gate, Gate::Public) {
        return match surface {
            Surface::Page => StatusCode::SEE_OTHER,
            Surface::Api => StatusCode::UNAUTHORIZED,
        };
    }
    let in_scope = sees(actor, object);
    match gate {
        Gate::RoleOnly(rule) if actor.is(rule) => ok,
        Gate::RoleOnly(_) => StatusCode::FORBIDDEN,
        Gate::FreshThenRole(_) if !sees_fresh_dossier(actor, object) => StatusCode::NOT_FOUND,
        Gate::FreshThenRole(rule) if !actor.is(rule) => StatusCode::FORBIDDEN,
        Gate::FreshThenRole(_) => ok,
        Gate::RoundThen(_) if !sees_round(actor, object) => StatusCode::NOT_FOUND,
        Gate::RoundThen(rule) if !rule(actor) => StatusCode::FORBIDDEN,
        Gate::RoundThen(_) => ok,
        Gate::OfficeRoundThen(_) if !sees_office_round(actor, object) => StatusCode::NOT_FOUND,
        Gate::OfficeRoundThen(rule) if !rule(actor) => StatusCode::FORBIDDEN,
        Gate::OfficeRoundThen(_) => ok,
        Gate::Public | Gate::SignedIn => ok,
        Gate::InScope if in_scope => ok,
        Gate::InScope => StatusCode::NOT_FOUND,
        Gate::RoleThenScope(rule) if !actor.is(rule) => StatusCode::FORBIDDEN,
        Gate::RoleThenScope(_) if !in_scope => StatusCode::NOT_FOUND,
        Gate::RoleThenScope(_) => ok,
        Gate::ScopeThenRole(_) if !in_scope => StatusCode::NOT_FOUND,
        Gate::ScopeThenRole(rule) if !actor.is(rule) => StatusCode::FORBIDDEN,
        Gate::ScopeThenRole(_) => ok,
    }
}

/// Where a write's CSRF token goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Csrf {
    Real,
    Forged,
}

/// One cell of the matrix: a request and what must come of it.
struct Cell {
    request: Request<Body>,
    expect: StatusCode,
    /// Must appear in a successful answer (the object asked for).
    shows: Option<String>,
    /// A write: it carries a CSRF token (or is a public JSON write when false).
    guarded: bool,
    /// Changes state when allowed (the audit trail must grow then, and only then).
    writes: bool,
    /// Shows the object's names to anyone by design (a certificate's public verification).
    public_names: bool,
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

fn product_form(name: &str, gtin: &str) -> ProductForm {
    ProductForm {
        name: name.into(),
        gtin: gtin.into(),
        product_set: "P01".into(),
        description: "Trái cây tươi".into(),
        ..Default::default()
    }
}

fn encode(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// What the world knows of one object.
struct Side {
    commune: String,
    entity_id: String,
    entity_name: String,
    product_id: String,
    product_name: String,
    /// A dossier of the product, with one document, in the side's round.
    dossier_id: String,
    evidence_id: String,
    /// The side's round (scoring, quorum 1), its product, and a member flagged on every product
    /// added to it (its declared organisation is the entity).
    round_id: String,
    round_name: String,
    round_product_id: String,
    /// A 4★ certificate of the product (from a decided round) and its signed QR payload.
    certificate_id: String,
    certificate_payload: String,
    /// The public portal's addresses: product code, registration code, GTIN, a batch's lot.
    product_code: String,
    entity_code: String,
    gtin: String,
    lot: String,
    /// Monitoring: the side's province's policy and the certificate's entitlement under it, a
    /// fair, a course for entities and a craft village of the province.
    policy_id: String,
    entitlement_id: String,
    fair_id: String,
    course_id: String,
    village_id: String,
    /// A clean dry run of the side's province's office (one entity of the side's commune).
    import_id: String,
}

struct Account {
    user: User,
    cookie: String,
    csrf: String,
}

struct World {
    state: AppState,
    router: Router,
    test: TestDb,
    files: FileStore,
    photo: String,
    home: Side,
    away: Side,
    accounts: BTreeMap<&'static str, Account>,
    /// A complete self-assessment of the products' sheet (148-1489, P01, cooperative).
    choices: BTreeMap<String, u32>,
    /// Makes every fixture and value unique.
    counter: AtomicUsize,
}

fn key(actor: Actor) -> &'static str {
    match actor {
        Actor::Anonymous => "anonymous",
        Actor::Producer => "producer",
        Actor::CommuneOfficer => "commune",
        Actor::OtherCommuneOfficer => "other-commune",
        Actor::ProvincialOfficer => "province",
        Actor::OtherProvincialOfficer => "other-province",
        Actor::CouncilMember => "council",
        Actor::OtherRoundMember => "other-council",
        Actor::Secretary => "secretary",
        Actor::CentralOfficer => "central",
        Actor::Administrator => "admin",
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
            communes[0].code.clone()
        };
        let files = FileStore::new(
            std::env::temp_dir().join(format!("ocop_matrix_files_{}", std::process::id())),
            1 << 20,
        );
        let photo = files.put(db, b"\x89PNG\r\n\x1a\nmatrix").await.unwrap();
        let document = files.put(db, b"%PDF-1.4 matrix").await.unwrap();
        let mut sides = Vec::new();
        for (province, code, entity_name, product_name, gtin) in [
            (
                "79",
                "HTX-HOME-1",
                "HTX Nhà Mình",
                "Bưởi Nhà Mình",
                "8930000000019",
            ),
            (
                "75",
                "HTX-AWAY-1",
                "HTX Nơi Khác",
                "Bưởi Nơi Khác",
                "8930000000026",
            ),
        ] {
            let commune = first_commune(province).await;
            let today = chrono::Utc::now().date_naive();
            let draft = check_entity(&entity_form(code, &commune, entity_name), today).unwrap();
            let entity = registry::create(db, &draft, EntityStatus::Confirmed, "test")
                .await
                .unwrap();
            let draft =
                check_product(&product_form(product_name, gtin), "148-1489", &["P01"]).unwrap();
            let product = registry::add_product(db, &Scope::National, &entity.id, &draft, "test")
                .await
                .unwrap()
                .unwrap();
            registry::add_photo(db, &Scope::National, &product.id, &photo, "test")
                .await
                .unwrap()
                .unwrap();
            let (dossier_id, evidence_id) = submitted_dossier(db, &product.id, &document).await;
            let batch = ocop_domain::batches::check_batch(
                &ocop_domain::batches::BatchForm {
                    lot: "L-MATRIX-1".into(),
                    produced_on: today.to_string(),
                    quantity: "100".into(),
                    unit: "kg".into(),
                    ..Default::default()
                },
                today,
            )
            .unwrap();
            ocop_store::batches::add(db, &Scope::National, &product.id, &batch, "test")
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            sides.push(Side {
                product_code: product.code.clone(),
                entity_code: code.to_string(),
                gtin: gtin.to_string(),
                lot: batch.lot,
                commune,
                entity_id: entity.id,
                entity_name: entity.name,
                product_id: product.id,
                product_name: product.name,
                dossier_id,
                evidence_id,
                round_id: String::new(),
                round_name: format!("Đợt kiểm thử {province}"),
                round_product_id: String::new(),
                certificate_id: String::new(),
                certificate_payload: String::new(),
                policy_id: String::new(),
                entitlement_id: String::new(),
                fair_id: String::new(),
                course_id: String::new(),
                village_id: String::new(),
                import_id: String::new(),
            });
        }
        let away = sides.pop().unwrap();
        let home = sides.pop().unwrap();
        let mut accounts = BTreeMap::new();
        for actor in ACTORS {
            let Some(role) = actor.role() else { continue };
            let (unit, entity) = match actor {
                Actor::Producer => (None, Some(home.entity_id.clone())),
                Actor::CommuneOfficer => (Some(home.commune.clone()), None),
                Actor::OtherCommuneOfficer => (Some(away.commune.clone()), None),
                Actor::ProvincialOfficer | Actor::CouncilMember | Actor::Secretary => {
                    (Some("79".into()), None)
                }
                Actor::OtherProvincialOfficer | Actor::OtherRoundMember => {
                    (Some("75".into()), None)
                }
                _ => (None, None),
            };
            let user = accounts::create_user(
                db,
                NewUser {
                    email: format!("{}@ocop.vn", key(actor)),
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
            let cookie = format!("ocop_session={token}");
            accounts.insert(key(actor), Account { user, cookie, csrf });
        }
        let catalog = Catalog::load(&bundled_sources()).unwrap();
        let version = catalog.version("148-1489").unwrap();
        let token = version.token_for(EntityType::Cooperative).to_string();
        let choices = version
            .set("P01")
            .unwrap()
            .sheet
            .criteria()
            .map(|(_, criterion)| {
                let option = criterion
                    .options
                    .iter()
                    .find(|o| o.applies_to_token(&token))
                    .unwrap();
                (criterion.code.clone(), option.number)
            })
            .collect();
        let secret = keys::InstallationSecret::from_bytes([9; 32]);
        keys::generate(&test.db, &secret, chrono::Utc::now().date_naive(), "test")
            .await
            .unwrap();
        let state = AppState::new(test.db.clone(), catalog)
            .with_files(files.clone())
            .with_signing(Some(secret), "http://ocop.test");
        let mut world = World {
            state: state.clone(),
            router: router(state),
            test,
            files,
            photo: photo.sha256,
            home,
            away,
            accounts,
            choices,
            counter: AtomicUsize::new(0),
        };
        // Each side's dossier goes to its province and into its round.
        for object in [Object::Home, Object::Away] {
            let dossier_id = world.side(object).dossier_id.clone();
            world.to_province(&dossier_id).await;
            let round = world.round(object, "preparing").await;
            let product = world.add_to_round(&round, &dossier_id).await;
            rounds::set_state(
                &world.test.db,
                &round,
                RoundState::Scoring,
                "start",
                &[],
                "test",
            )
            .await
            .unwrap();
            let side = match object {
                Object::Home => &mut world.home,
                Object::Away => &mut world.away,
            };
            side.round_id = round.id.clone();
            side.round_name = round.name.clone();
            side.round_product_id = product;
        }
        // Each side's product holds a certificate from a decided round.
        for object in [Object::Home, Object::Away] {
            let certificate = world.fresh_certificate(object).await;
            let payload = world.payload(&certificate).await;
            let side = match object {
                Object::Home => &mut world.home,
                Object::Away => &mut world.away,
            };
            side.certificate_id = certificate;
            side.certificate_payload = payload;
        }
        // Each side's province has a policy (the certificate is entitled under it), a fair, a
        // course for entities and a craft village.
        for object in [Object::Home, Object::Away] {
            let fixtures = world.monitoring_fixtures(object).await;
            let side = match object {
                Object::Home => &mut world.home,
                Object::Away => &mut world.away,
            };
            (
                side.policy_id,
                side.entitlement_id,
                side.fair_id,
                side.course_id,
                side.village_id,
            ) = fixtures;
        }
        // Each side's province's office has a clean dry run of an import.
        for object in [Object::Home, Object::Away] {
            let import = world.import_fixture(object).await;
            match object {
                Object::Home => world.home.import_id = import,
                Object::Away => world.away.import_id = import,
            }
        }
        world
    }

    /// A finished clean dry run of one entity of the side's commune, by its province's office.
    async fn import_fixture(&self, object: Object) -> String {
        let province = if object == Object::Home { "79" } else { "75" };
        let csv = format!(
            "Mã số thuế,Tên chủ thể,Loại hình,Người đại diện,Địa chỉ,Mã xã\n\
             {province}00999999,HTX Nhập {province},HTX,Nguyễn Văn An,Ấp 1,{}\n",
            self.side(object).commune
        );
        let request = ocop_store::import::Request {
            kind: ocop_domain::import::Kind::Entities,
            province_code: province.into(),
            file_name: "chu-the.csv".into(),
            dry_run: true,
            partial: false,
            actor: "matrix".into(),
        };
        let db = &self.state.db;
        let id = ocop_store::import::create(
            db,
            &request,
            csv.as_bytes(),
            ocop_store::import::State::Queued,
        )
        .await
        .unwrap();
        // The file in the store, as an upload leaves it (the real run reads it back).
        self.state
            .files
            .put_as(db, csv.as_bytes(), ocop_domain::files::FileKind::Csv)
            .await
            .unwrap();
        let report = ocop_store::import::execute(
            db,
            &self.state.criteria,
            &id,
            csv.as_bytes(),
            ocop_store::clock::today(),
            &mut ocop_store::import::Quiet,
        )
        .await
        .unwrap();
        assert!(
            report.is_clean() && report.counts.created == 1,
            "{report:?}"
        );
        id
    }

    /// The side's province's policy, the side's entitlement under it, a fair, a course and a
    /// craft village, made by the province's officer through the store.
    async fn monitoring_fixtures(
        &self,
        object: Object,
    ) -> (String, String, String, String, String) {
        use ocop_domain::monitoring::policies::{
            Amount, BudgetSource, Policy, PolicyKind, RecognitionKind,
        };
        use ocop_store::monitoring::{policies, promotion};
        let db = &self.test.db;
        let province = if object == Object::Home { "79" } else { "75" };
        let scope = Scope::Province(province.into());
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let policy = policies::create_policy(
            db,
            &scope,
            &Policy {
                id: String::new(),
                name: format!("Thưởng OCOP {province}"),
                reference: format!("Nghị quyết 1/2020/NQ-HĐND {province}"),
                unit_code: province.into(),
                unit_is_commune: false,
                valid_from: day(2020, 1, 1),
                valid_to: None,
                source: BudgetSource::Provincial,
                kind: PolicyKind::Reward,
                triggers: vec![RecognitionKind::First],
                amount: Amount::PerStar([10_000_000, 20_000_000, 30_000_000]),
                cumulative: true,
                max_per_commune: None,
            },
            "test",
        )
        .await
        .unwrap();
        let entitlement = policies::entitlements(db, &scope, Some(&policy.id), None)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.amount > 0)
            .expect("the side's certificate is entitled")
            .id;
        let fair = promotion::create_fair(
            db,
            &scope,
            &ocop_domain::monitoring::promotion::FairDraft {
                name: format!("Hội chợ OCOP {province}"),
                starts_on: day(2026, 10, 1),
                ends_on: day(2026, 10, 5),
                place: "Trung tâm hội chợ".into(),
            },
            "test",
        )
        .await
        .unwrap();
        let course = promotion::create_course(
            db,
            &scope,
            &ocop_domain::monitoring::promotion::CourseDraft {
                topic: "Xây dựng thương hiệu".into(),
                starts_on: day(2026, 9, 1),
                ends_on: day(2026, 9, 2),
                organiser: "Sở Nông nghiệp".into(),
                audience: ocop_domain::monitoring::promotion::Audience::Entities,
            },
            "test",
        )
        .await
        .unwrap();
        let village = promotion::create_craft_village(
            db,
            &scope,
            &format!("Làng nghề {province}"),
            &self.side(object).commune,
            "test",
        )
        .await
        .unwrap();
        (policy.id, entitlement, fair, course, village)
    }

    /// An export market of the side's product (a fresh two-letter code), for a row that removes one.
    async fn fresh_export_market(&self, object: Object) -> String {
        let n = self.next();
        let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let code: String = [letters[(n / 26) % 26], letters[n % 26]]
            .iter()
            .map(|b| *b as char)
            .collect();
        ocop_store::monitoring::promotion::set_export_market(
            &self.test.db,
            &Scope::National,
            &self.side(object).product_id,
            &ocop_store::monitoring::promotion::ExportMarket {
                country: code.clone(),
                since_year: 2020,
            },
            "test",
        )
        .await
        .unwrap();
        code
    }

    /// A planned disbursement of the side's entitlement, for a row that moves one on.
    async fn fresh_disbursement(&self, object: Object) -> String {
        let province = if object == Object::Home { "79" } else { "75" };
        ocop_store::monitoring::policies::plan_disbursement(
            &self.test.db,
            &Scope::Province(province.into()),
            &self.side(object).entitlement_id,
            &ocop_store::monitoring::policies::DisbursementPlan {
                amount: 1_000,
                cost: None,
                planned_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
                document: format!("Tờ trình {}", self.next()),
            },
            "test",
        )
        .await
        .unwrap()
        .id
    }

    /// A fresh 4★ certificate of the side's product: a closed round, its decision.
    async fn fresh_certificate(&self, object: Object) -> String {
        let db = &self.test.db;
        let (round, product) = self.closed_round(object).await;
        let round = rounds::find(db, &rounds::RoundAccess::All, &round)
            .await
            .unwrap()
            .unwrap();
        let products = rounds::products(db, &round.id).await.unwrap();
        let number = ocop_domain::rounds::decision::DecisionNumber::parse(&format!(
            "{}/QĐ-UBND",
            9000 + self.next()
        ))
        .unwrap();
        rounds::record_decision(
            db,
            &self.state.criteria,
            &round,
            // Today: the newest certificate of the product, which no other supersedes.
            &rounds::Signed {
                number: &number,
                signed_on: chrono::Utc::now().date_naive(),
                signer: "Chủ tịch",
            },
            &products,
            "test",
        )
        .await
        .unwrap();
        certificates::list(db, &Scope::National, "")
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.round_product_id == product)
            .expect("the decision issued a certificate")
            .id
    }

    /// A closed round of the side where its chair submitted a card, decided (recognised 4★):
    /// (round, round product, decision).
    async fn decided_round(&self, object: Object) -> (String, String, String) {
        let db = &self.test.db;
        let round = self.round(object, "preparing").await;
        let dossier = self.taken_in_dossier(object).await;
        let product = self.add_to_round(&round, &dossier).await;
        rounds::set_state(db, &round, RoundState::Scoring, "start", &[], "test")
            .await
            .unwrap();
        let chair = match object {
            Object::Home => Actor::CouncilMember,
            Object::Away => Actor::OtherRoundMember,
        };
        let chair = &self.account(chair).unwrap().user.id;
        rounds::submit_card(db, &product, chair, 1, &self.choices, 75)
            .await
            .unwrap();
        let round = rounds::find(db, &rounds::RoundAccess::All, &round.id)
            .await
            .unwrap()
            .unwrap();
        let kept = rounds::FinalResult {
            round_product_id: product.clone(),
            score: 7500,
            stars: 4,
            outcome: ProductOutcome::Recognised { stars: 4 },
            result: "{}".into(),
        };
        rounds::set_state(db, &round, RoundState::Closed, "close", &[kept], "test")
            .await
            .unwrap();
        let round = rounds::find(db, &rounds::RoundAccess::All, &round.id)
            .await
            .unwrap()
            .unwrap();
        let products = rounds::products(db, &round.id).await.unwrap();
        let number = ocop_domain::rounds::decision::DecisionNumber::parse(&format!(
            "{}/QĐ-UBND",
            7000 + self.next()
        ))
        .unwrap();
        let decision = rounds::record_decision(
            db,
            &self.state.criteria,
            &round,
            &rounds::Signed {
                number: &number,
                signed_on: chrono::Utc::now().date_naive() - chrono::Days::new(10),
                signer: "Chủ tịch",
            },
            &products,
            "test",
        )
        .await
        .unwrap();
        (round.id, product, decision.id)
    }

    /// A fresh certificate of the side with a revocation opened on a finding.
    async fn certificate_under_revocation(&self, object: Object) -> String {
        let id = self.fresh_certificate(object).await;
        let certificate = certificates::find(&self.test.db, &Scope::National, &id)
            .await
            .unwrap()
            .unwrap();
        let today = chrono::Utc::now().date_naive();
        certificates::open_revocation(
            &self.test.db,
            &ocop_web::certificates::rules(&self.state),
            &certificate,
            &ocop_domain::certificates::revocation::Finding {
                ground: "d".into(),
                found_on: today,
                reference: "Kết luận thanh tra số 7/KL".into(),
            },
            "test",
            today,
        )
        .await
        .unwrap();
        id
    }

    /// A fresh notice in the account's inbox (what a notice link leads to: the certificates).
    async fn notice_for(&self, account_id: &str) -> String {
        let mut tx = self.test.db.begin().await.unwrap();
        let key = format!("matrix:{}", self.next());
        ocop_store::notices::notify(
            &mut tx,
            account_id,
            "certificate_issued",
            None,
            &json!({"number": "OCOP-79-2026-00001"}),
            "/certificates",
            &key,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        ocop_store::notices::inbox(&self.test.db, account_id, 1)
            .await
            .unwrap()
            .remove(0)
            .id
    }

    /// The certificate's signed QR payload (signed on first use).
    async fn payload(&self, id: &str) -> String {
        let certificate = certificates::find(&self.test.db, &Scope::National, id)
            .await
            .unwrap()
            .unwrap();
        ocop_web::certificates::payload_of(&self.state, &certificate)
            .await
            .unwrap()
    }

    /// A dossier of the side accepted, reported on, proposed and taken in by the province.
    async fn to_province(&self, dossier_id: &str) {
        let db = &self.test.db;
        let national = Scope::National;
        dossiers::apply(
            db,
            &national,
            dossier_id,
            &DossierAction::Accept,
            Role::CommuneOfficer,
            &[],
            "test",
        )
        .await
        .unwrap();
        let report = ocop_domain::dossier::CommuneReport {
            local_materials: "Nguyên liệu tại địa phương".into(),
            local_labour: "Lao động tại địa phương".into(),
            idea_origin: "Sản phẩm truyền thống".into(),
            local_identity: "Bản sắc của làng nghề".into(),
        };
        dossiers::save_commune_report(db, &national, dossier_id, &report, "test")
            .await
            .unwrap();
        for (action, role) in [
            (DossierAction::Propose, Role::CommuneOfficer),
            (DossierAction::TakeIn, Role::ProvincialOfficer),
        ] {
            dossiers::apply(db, &national, dossier_id, &action, role, &[], "test")
                .await
                .unwrap();
        }
    }

    /// A fresh dossier of `object`'s product, taken in by the province.
    async fn taken_in_dossier(&self, object: Object) -> String {
        let id = self.submitted_dossier(object).await;
        self.to_province(&id).await;
        id
    }

    /// A round of `object`'s province in `state` (preparing, scoring or closed), with the chair,
    /// the secretary and a member flagged on every product, and a quorum of one.
    async fn round(&self, object: Object, state: &str) -> rounds::Round {
        let db = &self.test.db;
        let (province, chair) = match object {
            Object::Home => ("79", Actor::CouncilMember),
            Object::Away => ("75", Actor::OtherRoundMember),
        };
        let round = rounds::create(
            db,
            rounds::NewRound {
                name: format!("Đợt kiểm thử {province} số {}", self.next()),
                level: Level::Province,
                kind: RoundKind::Online,
                province_code: Some(province.into()),
                meeting_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
                place: "Hội trường".into(),
            },
            "test",
        )
        .await
        .unwrap();
        let flagged = self.flagged_member(province).await;
        let mut seats = vec![
            (
                self.account(chair).unwrap().user.id.clone(),
                Seat::Chair,
                String::new(),
            ),
            (flagged, Seat::Member, self.side(object).entity_name.clone()),
        ];
        if object == Object::Home {
            let secretary = self.account(Actor::Secretary).unwrap().user.id.clone();
            seats.push((secretary, Seat::Secretary, String::new()));
        }
        for (user_id, seat, organisation) in seats {
            let new = rounds::NewSeat {
                user_id,
                seat,
                agency: "Sở Nông nghiệp và Môi trường".into(),
                position: "Chuyên viên".into(),
                organisation,
            };
            rounds::set_seat(db, &round, new, "test").await.unwrap();
        }
        let settings = ocop_domain::rounds::council::Settings {
            quorum: Some(1),
            ..Default::default()
        };
        rounds::set_settings(db, &round, settings, "test")
            .await
            .unwrap();
        let round = rounds::find(db, &rounds::RoundAccess::All, &round.id)
            .await
            .unwrap()
            .unwrap();
        match state {
            "preparing" => round,
            "scoring" => {
                rounds::set_state(db, &round, RoundState::Scoring, "start", &[], "test")
                    .await
                    .unwrap();
                rounds::find(db, &rounds::RoundAccess::All, &round.id)
                    .await
                    .unwrap()
                    .unwrap()
            }
            _ => panic!("round state {state}"),
        }
    }

    /// A council-member account of `province` whose declared organisation will be an entity.
    async fn flagged_member(&self, province: &str) -> String {
        accounts::create_user(
            &self.test.db,
            NewUser {
                email: format!("flagged-{}@ocop.vn", self.next()),
                name: "Thành viên có cờ".into(),
                role: Role::CouncilMember,
                unit_code: Some(province.into()),
                entity_id: None,
                password: PASSWORD.into(),
            },
            "test",
        )
        .await
        .unwrap()
        .id
    }

    /// Adds a taken-in dossier to a round; its round product's id.
    async fn add_to_round(&self, round: &rounds::Round, dossier_id: &str) -> String {
        rounds::add_product(&self.test.db, round, dossier_id, "148-1489", "test")
            .await
            .unwrap()
            .id
    }

    /// A fresh product in the side's (scoring) round.
    async fn fresh_round_product(&self, object: Object) -> String {
        let dossier = self.taken_in_dossier(object).await;
        let round = rounds::find(
            &self.test.db,
            &rounds::RoundAccess::All,
            &self.side(object).round_id,
        )
        .await
        .unwrap()
        .unwrap();
        self.add_to_round(&round, &dossier).await
    }

    /// A legacy round of the side's province (held in May 2024).
    async fn legacy_round(&self, object: Object) -> String {
        let province = if object == Object::Home { "79" } else { "75" };
        rounds::create(
            &self.test.db,
            rounds::NewRound {
                name: format!("Đợt cũ {province} số {}", self.next()),
                level: Level::Province,
                kind: RoundKind::Legacy,
                province_code: Some(province.into()),
                meeting_on: chrono::NaiveDate::from_ymd_opt(2024, 5, 10).unwrap(),
                place: "Hội trường".into(),
            },
            "test",
        )
        .await
        .unwrap()
        .id
    }

    /// A product of the side through the province (≥ 90, forwarded) and the ministry's round,
    /// which scored it below 90 and decided so: (the ministry's round, its product).
    async fn below_threshold(&self, object: Object) -> (String, String) {
        let db = &self.test.db;
        let n = self.next();
        let (round, product) = self
            .closed_round_with(object, ProductOutcome::ApprovedForMinistry, 9200)
            .await;
        let round = rounds::find(db, &rounds::RoundAccess::All, &round)
            .await
            .unwrap()
            .unwrap();
        let products = rounds::products(db, &round.id).await.unwrap();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let number =
            ocop_domain::rounds::decision::DecisionNumber::parse(&format!("{n}/QĐ-UBND")).unwrap();
        rounds::record_decision(
            db,
            &Catalog::load(&bundled_sources()).unwrap(),
            &round,
            &rounds::Signed {
                number: &number,
                signed_on: date,
                signer: "Chủ tịch",
            },
            &products,
            "test",
        )
        .await
        .unwrap();
        let dossier = products
            .iter()
            .find(|p| p.id == product)
            .unwrap()
            .dossier_id
            .clone();
        let ministry = rounds::create(
            db,
            rounds::NewRound {
                name: format!("Đợt trung ương số {n}"),
                level: Level::Ministry,
                kind: RoundKind::Online,
                province_code: None,
                meeting_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                place: "Bộ".into(),
            },
            "test",
        )
        .await
        .unwrap();
        let central = self.add_to_round(&ministry, &dossier).await;
        rounds::set_state(db, &ministry, RoundState::Scoring, "start", &[], "test")
            .await
            .unwrap();
        let ministry = rounds::find(db, &rounds::RoundAccess::All, &ministry.id)
            .await
            .unwrap()
            .unwrap();
        let kept = rounds::FinalResult {
            round_product_id: central.clone(),
            score: 8600,
            stars: 4,
            outcome: ProductOutcome::BelowMinistryThreshold { stars: 4 },
            result: "{}".into(),
        };
        rounds::set_state(db, &ministry, RoundState::Closed, "close", &[kept], "test")
            .await
            .unwrap();
        let ministry = rounds::find(db, &rounds::RoundAccess::All, &ministry.id)
            .await
            .unwrap()
            .unwrap();
        let products = rounds::products(db, &ministry.id).await.unwrap();
        let number =
            ocop_domain::rounds::decision::DecisionNumber::parse(&format!("{n}/QĐ-BNNMT")).unwrap();
        rounds::record_decision(
            db,
            &Catalog::load(&bundled_sources()).unwrap(),
            &ministry,
            &rounds::Signed {
                number: &number,
                signed_on: date,
                signer: "Bộ trưởng",
            },
            &products,
            "test",
        )
        .await
        .unwrap();
        (ministry.id, central)
    }

    /// The code of the side's product.
    async fn product_code(&self, object: Object) -> String {
        registry::product(
            &self.test.db,
            &Scope::National,
            &self.side(object).product_id,
        )
        .await
        .unwrap()
        .unwrap()
        .code
    }

    /// A closed round of the side with one product and its kept result: (round, product).
    async fn closed_round(&self, object: Object) -> (String, String) {
        self.closed_round_with(object, ProductOutcome::Recognised { stars: 4 }, 7250)
            .await
    }

    async fn closed_round_with(
        &self,
        object: Object,
        outcome: ProductOutcome,
        score: i64,
    ) -> (String, String) {
        let db = &self.test.db;
        let round = self.round(object, "preparing").await;
        let dossier = self.taken_in_dossier(object).await;
        let product = self.add_to_round(&round, &dossier).await;
        rounds::set_state(db, &round, RoundState::Scoring, "start", &[], "test")
            .await
            .unwrap();
        let round = rounds::find(db, &rounds::RoundAccess::All, &round.id)
            .await
            .unwrap()
            .unwrap();
        let kept = rounds::FinalResult {
            round_product_id: product.clone(),
            score,
            stars: (score / 2000).clamp(1, 5) as u8,
            outcome,
            result: "{}".into(),
        };
        rounds::set_state(db, &round, RoundState::Closed, "close", &[kept], "test")
            .await
            .unwrap();
        (round.id, product)
    }

    /// A preparing round of the side with one product, ready to start: its id.
    async fn ready_round(&self, object: Object) -> String {
        let round = self.round(object, "preparing").await;
        let dossier = self.taken_in_dossier(object).await;
        self.add_to_round(&round, &dossier).await;
        round.id
    }

    /// The flag raised on a round product for the member whose organisation is the entity.
    async fn flag_on(&self, object: Object, round_product: &str) -> String {
        rounds::conflicts(&self.test.db, &self.side(object).round_id)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.round_product_id == round_product && c.cleared_by.is_none())
            .expect("a flag on the fresh product")
            .id
    }

    /// A sales point of `object`'s product, for a row that removes one.
    async fn fresh_sales_point(&self, object: Object) -> String {
        let draft = ocop_domain::sales_points::check_sales_point(
            &ocop_domain::sales_points::SalesPointForm {
                kind: "supermarket".into(),
                name: format!("Siêu thị {}", self.next()),
                ..Default::default()
            },
        )
        .unwrap();
        ocop_store::sales_points::add(
            &self.test.db,
            &Scope::National,
            &self.side(object).product_id,
            &draft,
            "test",
        )
        .await
        .unwrap()
        .unwrap()
        .id
    }

    fn next(&self) -> usize {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    fn side(&self, object: Object) -> &Side {
        match object {
            Object::Home => &self.home,
            Object::Away => &self.away,
        }
    }

    fn account(&self, actor: Actor) -> Option<&Account> {
        self.accounts.get(key(actor))
    }

    /// The session cookie, and the CSRF token to send.
    fn session(&self, actor: Actor, csrf: Csrf) -> (String, String) {
        match (self.account(actor), csrf) {
            (None, _) => (String::new(), String::new()),
            (Some(account), Csrf::Real) => (account.cookie.clone(), account.csrf.clone()),
            (Some(account), Csrf::Forged) => (account.cookie.clone(), "forged".into()),
        }
    }

    fn get(&self, actor: Actor, uri: &str) -> Request<Body> {
        let (cookie, _) = self.session(actor, Csrf::Real);
        with_cookie(Request::get(uri), &cookie)
            .body(Body::empty())
            .unwrap()
    }

    /// A form post with the actor's session and the CSRF token in the form.
    fn form(&self, actor: Actor, uri: &str, csrf: Csrf, fields: &[(&str, &str)]) -> Request<Body> {
        let (cookie, token) = self.session(actor, csrf);
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        with_cookie(Request::post(uri), &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(encode(&all)))
            .unwrap()
    }

    /// A form post guarded by the sign-in token (double-submit cookie), as /login and /register.
    fn login_form(
        &self,
        actor: Actor,
        uri: &str,
        csrf: Csrf,
        fields: &[(&str, &str)],
    ) -> Request<Body> {
        let (session, _) = self.session(actor, Csrf::Real);
        let token = "double-submit-token";
        let sent = if csrf == Csrf::Real { token } else { "forged" };
        let mut all = vec![("csrf", sent)];
        all.extend_from_slice(fields);
        let cookie = [session, format!("ocop_login_csrf={token}")]
            .into_iter()
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        with_cookie(Request::post(uri), &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(encode(&all)))
            .unwrap()
    }

    /// A JSON call with the actor's session and the CSRF token in `X-CSRF-Token`.
    fn json(
        &self,
        actor: Actor,
        method: Method,
        uri: &str,
        csrf: Csrf,
        body: Value,
    ) -> Request<Body> {
        let (cookie, token) = self.session(actor, csrf);
        with_cookie(Request::builder().method(method).uri(uri), &cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", token)
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    /// A multipart upload: `fields`, then `file`; the CSRF token in the form and the header.
    fn multipart(
        &self,
        actor: Actor,
        uri: &str,
        csrf: Csrf,
        fields: &[(&str, &str)],
        file: &[u8],
    ) -> Request<Body> {
        let (cookie, token) = self.session(actor, csrf);
        let boundary = "MATRIX";
        let mut body = Vec::new();
        for (name, value) in [("csrf", token.as_str())].iter().chain(fields) {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tep.bin\"\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        with_cookie(Request::post(uri), &cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("x-csrf-token", token)
            .body(Body::from(body))
            .unwrap()
    }

    /// A fresh pending entity where `object` lives.
    async fn pending_entity(&self, object: Object) -> String {
        let n = self.next();
        let draft = check_entity(
            &entity_form(
                &format!("HTX-P-{n}"),
                &self.side(object).commune,
                &format!("HTX Chờ {n}"),
            ),
            chrono::Utc::now().date_naive(),
        )
        .unwrap();
        registry::create(&self.test.db, &draft, EntityStatus::Pending, "test")
            .await
            .unwrap()
            .id
    }

    /// A fresh draft dossier of `object`'s product.
    async fn draft_dossier(&self, object: Object) -> String {
        dossiers::create(
            &self.test.db,
            &Scope::National,
            &self.side(object).product_id,
            Opening {
                evaluation_type: EvaluationType::FirstTime,
                contact_phone: Some("0909000000".into()),
                criteria_version: None,
                filed_at_ms: None,
            },
            "test",
        )
        .await
        .unwrap()
        .id
    }

    /// A fresh submitted dossier of `object`'s product.
    async fn submitted_dossier(&self, object: Object) -> String {
        let document = self
            .files
            .put(&self.test.db, b"%PDF-1.4 matrix")
            .await
            .unwrap();
        submitted_dossier(&self.test.db, &self.side(object).product_id, &document)
            .await
            .0
    }

    /// A fresh account to switch off.
    async fn throwaway_user(&self) -> String {
        accounts::create_user(
            &self.test.db,
            NewUser {
                email: format!("throwaway-{}@ocop.vn", self.next()),
                name: "Tài khoản tạm".into(),
                role: Role::CentralOfficer,
                unit_code: None,
                entity_id: None,
                password: PASSWORD.into(),
            },
            "test",
        )
        .await
        .unwrap()
        .id
    }

    /// The full entity form of `object` with a new phone number (a change, but not of identity).
    fn entity_edit(&self, object: Object) -> Vec<(&'static str, String)> {
        let side = self.side(object);
        let code = match object {
            Object::Home => "HTX-HOME-1",
            Object::Away => "HTX-AWAY-1",
        };
        vec![
            ("kind", "cooperative".into()),
            ("registration_code", code.into()),
            ("name", side.entity_name.clone()),
            ("representative", "Người Đại Diện".into()),
            ("address", "Ấp 1".into()),
            ("phone", format!("0909 {:06}", self.next())),
        ]
    }

    fn product_edit(&self, object: Object) -> Vec<(&'static str, String)> {
        vec![
            ("name", self.side(object).product_name.clone()),
            ("product_set", "P01".into()),
            ("description", format!("Trái cây tươi, lô {}", self.next())),
        ]
    }

    /// The row of `method path`: the request for `actor` and `object`, and what must come of it.
    async fn cell(
        &self,
        method: &Method,
        path: &str,
        actor: Actor,
        object: Object,
        csrf: Csrf,
    ) -> Cell {
        use Gate::*;
        use Surface::*;
        let ok = StatusCode::OK;
        let side = self.side(object);
        let (entity, product) = (&side.entity_id, &side.product_id);
        let read = |request, gate, surface, shows: Option<&String>| Cell {
            request,
            expect: expected(gate, surface, actor, object, ok),
            shows: shows.cloned(),
            guarded: false,
            writes: false,
            public_names: false,
        };
        let write = |request, gate, surface, success: StatusCode| Cell {
            request,
            expect: expected(gate, surface, actor, object, success),
            shows: None,
            guarded: true,
            writes: true,
            public_names: false,
        };
        let maintains = RoleThenScope(keeps_registry);
        let confirmers = RoleThenScope(confirms);
        let n = self.next();
        match (method.as_str(), path) {
            // Public pages and data.
            // The public portal shows recognised products to everyone, by design.
            ("GET", "/") => Cell {
                public_names: true,
                ..read(self.get(actor, "/"), Public, Page, None)
            },
            ("GET", "/catalogue") => Cell {
                public_names: true,
                ..read(
                    self.get(actor, "/catalogue?q=buoi&status=all"),
                    Public,
                    Page,
                    Some(&side.product_name),
                )
            },
            ("GET", "/catalogue/products/{code}") => Cell {
                public_names: true,
                ..read(
                    self.get(actor, &format!("/catalogue/products/{}", side.product_code)),
                    Public,
                    Page,
                    Some(&side.product_name),
                )
            },
            ("GET", "/catalogue/products/{code}/photos/{sha}") => read(
                self.get(
                    actor,
                    &format!(
                        "/catalogue/products/{}/photos/{}",
                        side.product_code, self.photo
                    ),
                ),
                Public,
                Page,
                None,
            ),
            ("GET", "/catalogue/entities/{code}") => Cell {
                public_names: true,
                ..read(
                    self.get(actor, &format!("/catalogue/entities/{}", side.entity_code)),
                    Public,
                    Page,
                    Some(&side.entity_name),
                )
            },
            ("GET", "/catalogue/provinces/{code}") => Cell {
                public_names: true,
                ..read(
                    self.get(actor, "/catalogue/provinces/79"),
                    Public,
                    Page,
                    None,
                )
            },
            ("GET", "/01/{gtin}") => Cell {
                expect: expected(Public, Page, actor, object, StatusCode::SEE_OTHER),
                ..read(
                    self.get(actor, &format!("/01/{}", side.gtin)),
                    Public,
                    Page,
                    None,
                )
            },
            ("GET", "/01/{gtin}/10/{lot}") => Cell {
                public_names: true,
                ..read(
                    self.get(actor, &format!("/01/{}/10/{}", side.gtin, side.lot)),
                    Public,
                    Page,
                    Some(&side.product_name),
                )
            },
            ("GET", "/opendata") => read(self.get(actor, "/opendata"), Public, Page, None),
            ("GET", "/api/docs") => read(self.get(actor, "/api/docs"), Public, Page, None),
            ("GET", "/verify") => read(self.get(actor, "/verify"), Public, Page, None),
            ("GET", "/sw.js") => read(self.get(actor, "/sw.js"), Public, Page, None),
            ("GET", "/opendata/{file}") => Cell {
                public_names: true,
                ..read(
                    self.get(actor, "/opendata/products.json"),
                    Public,
                    Api,
                    Some(&side.product_name),
                )
            },
            ("GET", "/api/v1/catalogue") => Cell {
                public_names: true,
                ..read(
                    self.get(actor, "/api/v1/catalogue?q=buoi&status=all"),
                    Public,
                    Api,
                    Some(&side.product_code),
                )
            },
            ("POST", "/api/v1/verify") => Cell {
                public_names: true,
                guarded: false,
                ..read(
                    self.json(
                        actor,
                        Method::POST,
                        "/api/v1/verify",
                        csrf,
                        json!({"payload": side.certificate_payload}),
                    ),
                    Public,
                    Api,
                    None,
                )
            },
            ("POST", "/products/{id}/batches") => {
                let lot = format!("L-{n}");
                let request = self.form(
                    actor,
                    &format!("/products/{product}/batches"),
                    csrf,
                    &[
                        ("lot", lot.as_str()),
                        ("produced_on", "2026-01-15"),
                        ("quantity", "250"),
                        ("unit", "kg"),
                    ],
                );
                write(request, maintains, Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/api/v1/products/{id}/batches") => {
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/products/{product}/batches"),
                    csrf,
                    json!({"lot": format!("A-{n}"), "produced_on": "2026-01-15", "quantity": "250", "unit": "kg"}),
                );
                write(request, maintains, Api, StatusCode::CREATED)
            }
            ("POST", "/products/{id}/sales-points") => {
                let name = format!("Cửa hàng {n}");
                let request = self.form(
                    actor,
                    &format!("/products/{product}/sales-points"),
                    csrf,
                    &[
                        ("kind", "point_of_sale"),
                        ("name", name.as_str()),
                        ("address", "1 Lê Lợi"),
                    ],
                );
                write(request, maintains, Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/products/{id}/sales-points/{point}/remove") => {
                let point = self.fresh_sales_point(object).await;
                let request = self.form(
                    actor,
                    &format!("/products/{product}/sales-points/{point}/remove"),
                    csrf,
                    &[],
                );
                write(request, maintains, Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/api/v1/products/{id}/sales-points") => {
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/products/{product}/sales-points"),
                    csrf,
                    json!({"kind": "ecommerce", "name": format!("Gian hàng {n}"), "url": "https://postmart.vn/shop/1"}),
                );
                write(request, maintains, Api, StatusCode::CREATED)
            }
            ("DELETE", "/api/v1/products/{id}/sales-points/{point}") => {
                let point = self.fresh_sales_point(object).await;
                let request = self.json(
                    actor,
                    Method::DELETE,
                    &format!("/api/v1/products/{product}/sales-points/{point}"),
                    csrf,
                    Value::Null,
                );
                write(request, maintains, Api, StatusCode::NO_CONTENT)
            }
            // Imports: the province's office, its own province's runs.
            ("GET", "/imports") => read(
                self.get(actor, "/imports"),
                RoleOnly(provincial_officer),
                Page,
                None,
            ),
            ("GET", "/imports/templates/{file}") => read(
                self.get(actor, "/imports/templates/products.xlsx"),
                RoleOnly(provincial_officer),
                Page,
                None,
            ),
            ("GET", "/imports/export/{file}") => read(
                self.get(actor, "/imports/export/entities.xlsx"),
                RoleOnly(provincial_officer),
                Page,
                None,
            ),
            ("GET", "/imports/{id}") => read(
                self.get(actor, &format!("/imports/{}", side.import_id)),
                RoleThenScope(provincial_officer),
                Page,
                None,
            ),
            ("GET", "/imports/{id}/report.csv") => read(
                self.get(actor, &format!("/imports/{}/report.csv", side.import_id)),
                RoleThenScope(provincial_officer),
                Page,
                None,
            ),
            ("GET", "/api/v1/imports") => read(
                self.get(actor, "/api/v1/imports"),
                RoleOnly(provincial_officer),
                Api,
                None,
            ),
            ("GET", "/api/v1/imports/{id}") => read(
                self.get(actor, &format!("/api/v1/imports/{}", side.import_id)),
                RoleThenScope(provincial_officer),
                Api,
                None,
            ),
            ("POST", "/imports") => {
                let csv = format!("Mã số thuế,Tên chủ thể\n380{n:07},HTX {n}\n");
                let request = self.multipart(
                    actor,
                    "/imports",
                    csrf,
                    &[("kind", "entities"), ("dry_run", "on")],
                    csv.as_bytes(),
                );
                write(
                    request,
                    RoleOnly(provincial_officer),
                    Page,
                    StatusCode::SEE_OTHER,
                )
            }
            ("POST", "/api/v1/imports") => {
                let csv = format!("Mã số thuế,Tên chủ thể\n381{n:07},HTX {n}\n");
                let request = self.multipart(
                    actor,
                    "/api/v1/imports",
                    csrf,
                    &[("kind", "entities"), ("dry_run", "true")],
                    csv.as_bytes(),
                );
                write(
                    request,
                    RoleOnly(provincial_officer),
                    Api,
                    StatusCode::ACCEPTED,
                )
            }
            ("POST", "/imports/{id}/apply") => {
                let request = self.form(
                    actor,
                    &format!("/imports/{}/apply", side.import_id),
                    csrf,
                    &[],
                );
                write(
                    request,
                    RoleThenScope(provincial_officer),
                    Page,
                    StatusCode::SEE_OTHER,
                )
            }
            ("POST", "/api/v1/imports/{id}/apply") => {
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/imports/{}/apply", side.import_id),
                    csrf,
                    Value::Null,
                );
                write(
                    request,
                    RoleThenScope(provincial_officer),
                    Api,
                    StatusCode::ACCEPTED,
                )
            }

            // Programme monitoring: reads in the reader's scope, writes by the offices.
            ("GET", "/monitoring") => read(
                self.get(actor, &format!("/monitoring?unit={}", side.commune)),
                RoleThenScope(monitors),
                Page,
                None,
            ),
            ("GET", "/monitoring/tables/{file}") => read(
                self.get(
                    actor,
                    &format!("/monitoring/tables/by_year.csv?unit={}", side.commune),
                ),
                RoleThenScope(monitors),
                Page,
                None,
            ),
            ("GET", "/monitoring/report") => read(
                self.get(actor, &format!("/monitoring/report?unit={}", side.commune)),
                RoleThenScope(monitors),
                Page,
                Some(&side.product_name),
            ),
            ("GET", "/monitoring/report.xlsx") => read(
                self.get(
                    actor,
                    &format!("/monitoring/report.xlsx?unit={}", side.commune),
                ),
                RoleThenScope(monitors),
                Page,
                None,
            ),
            ("GET", "/api/v1/monitoring/dashboard") => read(
                self.get(
                    actor,
                    &format!("/api/v1/monitoring/dashboard?unit={}", side.commune),
                ),
                RoleThenScope(monitors),
                Api,
                None,
            ),
            ("GET", "/monitoring/plans") => read(
                self.get(actor, "/monitoring/plans"),
                RoleOnly(monitors),
                Page,
                None,
            ),
            ("GET", "/monitoring/policies") => read(
                self.get(actor, "/monitoring/policies"),
                RoleOnly(monitors),
                Page,
                None,
            ),
            ("GET", "/monitoring/budgets") => read(
                self.get(actor, "/monitoring/budgets"),
                RoleOnly(monitors),
                Page,
                None,
            ),
            ("GET", "/monitoring/promotion") => read(
                self.get(actor, "/monitoring/promotion"),
                RoleOnly(monitors),
                Page,
                None,
            ),
            ("GET", "/api/v1/monitoring/plans") => read(
                self.get(actor, "/api/v1/monitoring/plans"),
                RoleOnly(monitors),
                Api,
                None,
            ),
            ("GET", "/api/v1/monitoring/policies") => read(
                self.get(actor, "/api/v1/monitoring/policies"),
                RoleOnly(monitors),
                Api,
                None,
            ),
            ("GET", "/api/v1/monitoring/budgets") => read(
                self.get(actor, "/api/v1/monitoring/budgets"),
                RoleOnly(monitors),
                Api,
                None,
            ),
            ("GET", "/api/v1/monitoring/promotion") => read(
                self.get(actor, "/api/v1/monitoring/promotion"),
                RoleOnly(monitors),
                Api,
                None,
            ),
            ("GET", "/api/v1/monitoring/entitlements") => read(
                self.get(actor, "/api/v1/monitoring/entitlements"),
                RoleOnly(monitors),
                Api,
                None,
            ),
            ("GET", "/monitoring/policies/{id}") => read(
                self.get(actor, &format!("/monitoring/policies/{}", side.policy_id)),
                RoleThenScope(monitors),
                Page,
                Some(&side.product_name),
            ),
            ("GET", "/monitoring/entitlements/{id}") => read(
                self.get(
                    actor,
                    &format!("/monitoring/entitlements/{}", side.entitlement_id),
                ),
                RoleThenScope(monitors),
                Page,
                Some(&side.product_name),
            ),
            ("POST", "/monitoring/plans") => {
                let province = if object == Object::Home { "79" } else { "75" };
                let target = (n + 1).to_string();
                let request = self.form(
                    actor,
                    "/monitoring/plans",
                    csrf,
                    &[
                        ("unit", province),
                        ("period", "2030"),
                        ("reference", "Kế hoạch 2030"),
                        ("t_new_products", target.as_str()),
                    ],
                );
                write(request, RoleThenScope(plans), Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/api/v1/monitoring/plans") => {
                let province = if object == Object::Home { "79" } else { "75" };
                let request = self.json(
                    actor,
                    Method::POST,
                    "/api/v1/monitoring/plans",
                    csrf,
                    json!({"unit": province, "period": "2031", "reference": "Kế hoạch 2031", "targets": {"women_led_share": format!("{}", n % 100)}}),
                );
                write(request, RoleThenScope(plans), Api, StatusCode::CREATED)
            }
            ("POST", "/monitoring/policies") => {
                let province = if object == Object::Home { "79" } else { "75" };
                let name = format!("Hỗ trợ {n}");
                let request = self.form(
                    actor,
                    "/monitoring/policies",
                    csrf,
                    &[
                        ("name", name.as_str()),
                        ("reference", "Nghị quyết 2/2026/NQ-HĐND"),
                        ("unit", province),
                        ("valid_from", "01/01/2026"),
                        ("source", "provincial"),
                        ("kind", "support"),
                        ("trigger_upgrade", "on"),
                        ("amount_kind", "one_time"),
                        ("amount", "5.000.000"),
                    ],
                );
                write(
                    request,
                    RoleThenScope(provincial_officer),
                    Page,
                    StatusCode::SEE_OTHER,
                )
            }
            ("POST", "/api/v1/monitoring/policies") => {
                let province = if object == Object::Home { "79" } else { "75" };
                let request = self.json(
                    actor,
                    Method::POST,
                    "/api/v1/monitoring/policies",
                    csrf,
                    json!({"name": format!("Hỗ trợ API {n}"), "reference": "Nghị quyết 3/2026/NQ-HĐND", "unit": province,
                           "valid_from": "2026-01-01", "source": "provincial", "kind": "support", "trigger_upgrade": "on",
                           "amount_kind": "cost_share", "share": "50", "cap": "50.000.000"}),
                );
                write(
                    request,
                    RoleThenScope(provincial_officer),
                    Api,
                    StatusCode::CREATED,
                )
            }
            ("POST", "/monitoring/entitlements/{id}/disbursements") => {
                let request = self.form(
                    actor,
                    &format!(
                        "/monitoring/entitlements/{}/disbursements",
                        side.entitlement_id
                    ),
                    csrf,
                    &[
                        ("amount", "1.000"),
                        ("on", "02/01/2026"),
                        ("document", "Tờ trình 5/TTr-SNN"),
                    ],
                );
                write(
                    request,
                    RoleThenScope(provincial_officer),
                    Page,
                    StatusCode::SEE_OTHER,
                )
            }
            ("POST", "/api/v1/monitoring/entitlements/{id}/disbursements") => {
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!(
                        "/api/v1/monitoring/entitlements/{}/disbursements",
                        side.entitlement_id
                    ),
                    csrf,
                    json!({"amount": "1000", "on": "2026-01-02", "document": "Tờ trình 6/TTr-SNN"}),
                );
                write(
                    request,
                    RoleThenScope(provincial_officer),
                    Api,
                    StatusCode::CREATED,
                )
            }
            ("POST", "/monitoring/disbursements/{id}/advance") => {
                let disbursement = self.fresh_disbursement(object).await;
                let request = self.form(
                    actor,
                    &format!("/monitoring/disbursements/{disbursement}/advance"),
                    csrf,
                    &[("on", "03/01/2026"), ("document", "Quyết định 7/QĐ-UBND")],
                );
                write(
                    request,
                    RoleThenScope(provincial_officer),
                    Page,
                    StatusCode::SEE_OTHER,
                )
            }
            ("POST", "/api/v1/monitoring/disbursements/{id}/advance") => {
                let disbursement = self.fresh_disbursement(object).await;
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/monitoring/disbursements/{disbursement}/advance"),
                    csrf,
                    json!({"on": "2026-01-03", "document": "Quyết định 8/QĐ-UBND"}),
                );
                write(request, RoleThenScope(provincial_officer), Api, ok)
            }
            ("POST", "/monitoring/budgets") => {
                let province = if object == Object::Home { "79" } else { "75" };
                let amount = format!("{}000000", n + 1);
                let request = self.form(
                    actor,
                    "/monitoring/budgets",
                    csrf,
                    &[
                        ("year", "2026"),
                        ("unit", province),
                        ("source", "provincial"),
                        ("amount", amount.as_str()),
                        ("reference", "Quyết định 9/QĐ-UBND"),
                    ],
                );
                write(
                    request,
                    RoleThenScope(provincial_officer),
                    Page,
                    StatusCode::SEE_OTHER,
                )
            }
            ("PUT", "/api/v1/monitoring/budgets") => {
                let province = if object == Object::Home { "79" } else { "75" };
                let request = self.json(
                    actor,
                    Method::PUT,
                    "/api/v1/monitoring/budgets",
                    csrf,
                    json!({"year": "2027", "unit": province, "source": "other", "amount": format!("{}", (n + 1) * 1000), "reference": "Quyết định 10/QĐ-UBND"}),
                );
                write(
                    request,
                    RoleThenScope(provincial_officer),
                    Api,
                    StatusCode::NO_CONTENT,
                )
            }
            ("POST", "/monitoring/fairs") => {
                let name = format!("Hội chợ {n}");
                let request = self.form(
                    actor,
                    "/monitoring/fairs",
                    csrf,
                    &[
                        ("name", name.as_str()),
                        ("starts_on", "01/11/2026"),
                        ("ends_on", "03/11/2026"),
                        ("place", "Nhà văn hóa"),
                    ],
                );
                write(request, RoleOnly(plans), Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/monitoring/fairs/{id}/products") => {
                let sales = format!("{}000", n + 1);
                let request = self.form(
                    actor,
                    &format!("/monitoring/fairs/{}/products", side.fair_id),
                    csrf,
                    &[
                        ("product", side.product_code.as_str()),
                        ("sales", sales.as_str()),
                    ],
                );
                write(request, RoleThenScope(plans), Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/monitoring/courses") => {
                let topic = format!("Tập huấn {n}");
                let request = self.form(
                    actor,
                    "/monitoring/courses",
                    csrf,
                    &[
                        ("topic", topic.as_str()),
                        ("starts_on", "01/11/2026"),
                        ("organiser", "Sở Nông nghiệp"),
                        ("audience", "officials"),
                    ],
                );
                write(request, RoleOnly(plans), Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/monitoring/courses/{id}/attendees") => {
                let request = self.form(
                    actor,
                    &format!("/monitoring/courses/{}/attendees", side.course_id),
                    csrf,
                    &[("entity", side.entity_code.as_str()), ("people", "3")],
                );
                write(request, RoleThenScope(plans), Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/monitoring/craft-villages") => {
                let name = format!("Làng nghề {n}");
                let request = self.form(
                    actor,
                    "/monitoring/craft-villages",
                    csrf,
                    &[("name", name.as_str()), ("commune", side.commune.as_str())],
                );
                write(
                    request,
                    RoleThenScope(provincial_officer),
                    Page,
                    StatusCode::SEE_OTHER,
                )
            }
            ("POST", "/monitoring/craft-villages/{id}/products") => {
                let request = self.form(
                    actor,
                    &format!("/monitoring/craft-villages/{}/products", side.village_id),
                    csrf,
                    &[("product", side.product_code.as_str())],
                );
                write(
                    request,
                    RoleThenScope(provincial_officer),
                    Page,
                    StatusCode::SEE_OTHER,
                )
            }
            ("POST", "/products/{id}/export-markets") => {
                let request = self.form(
                    actor,
                    &format!("/products/{product}/export-markets"),
                    csrf,
                    &[("country", "JP"), ("since_year", "2024")],
                );
                write(request, maintains, Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/products/{id}/export-markets/{country}/remove") => {
                let country = self.fresh_export_market(object).await;
                let request = self.form(
                    actor,
                    &format!("/products/{product}/export-markets/{country}/remove"),
                    csrf,
                    &[],
                );
                write(request, maintains, Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/api/v1/products/{id}/export-markets") => {
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/products/{product}/export-markets"),
                    csrf,
                    json!({"country": "KR", "since_year": "2023"}),
                );
                write(request, maintains, Api, StatusCode::CREATED)
            }
            ("DELETE", "/api/v1/products/{id}/export-markets/{country}") => {
                let country = self.fresh_export_market(object).await;
                let request = self.json(
                    actor,
                    Method::DELETE,
                    &format!("/api/v1/products/{product}/export-markets/{country}"),
                    csrf,
                    Value::Null,
                );
                write(request, maintains, Api, StatusCode::NO_CONTENT)
            }
            ("POST", "/entities/{id}/value-chain") => {
                let now = ocop_store::monitoring::promotion::value_chain(&self.test.db, entity)
                    .await
                    .unwrap();
                let fields: &[(&str, &str)] = if now { &[] } else { &[("value_chain", "on")] };
                let request = self.form(
                    actor,
                    &format!("/entities/{entity}/value-chain"),
                    csrf,
                    fields,
                );
                write(request, maintains, Page, StatusCode::SEE_OTHER)
            }
            ("GET", "/units") => read(self.get(actor, "/units?q=dong+nai"), Public, Page, None),
            ("GET", "/units/{code}") => read(self.get(actor, "/units/79"), Public, Page, None),
            ("GET", "/criteria") => read(self.get(actor, "/criteria"), Public, Page, None),
            ("GET", "/criteria/{version}/{set}") => read(
                self.get(actor, "/criteria/148-1489/P01"),
                Public,
                Page,
                None,
            ),
            ("GET", "/assets/{file}") => read(
                self.get(actor, &ocop_web::assets::asset_url("app.css")),
                Public,
                Page,
                None,
            ),
            ("GET", "/healthz") => read(self.get(actor, "/healthz"), Public, Page, None),
            ("GET", "/readyz") => read(self.get(actor, "/readyz"), Public, Page, None),
            ("GET", "/lang/{code}") => Cell {
                expect: StatusCode::SEE_OTHER,
                ..read(self.get(actor, "/lang/en"), Public, Page, None)
            },
            ("GET", "/api/v1/openapi.json") => {
                read(self.get(actor, "/api/v1/openapi.json"), Public, Api, None)
            }
            ("GET", "/api/v1/units") => read(
                self.get(actor, "/api/v1/units?q=dong%20nai"),
                Public,
                Api,
                None,
            ),
            ("GET", "/api/v1/units/provinces") => read(
                self.get(actor, "/api/v1/units/provinces"),
                Public,
                Api,
                None,
            ),
            ("GET", "/api/v1/units/{code}") => {
                read(self.get(actor, "/api/v1/units/79"), Public, Api, None)
            }
            ("GET", "/api/v1/criteria") => {
                read(self.get(actor, "/api/v1/criteria"), Public, Api, None)
            }
            ("GET", "/api/v1/criteria/{version}/{set}") => read(
                self.get(actor, "/api/v1/criteria/148-1489/P01"),
                Public,
                Api,
                None,
            ),
            ("POST", "/api/v1/score") => Cell {
                guarded: false,
                ..read(
                    self.json(
                        actor,
                        Method::POST,
                        "/api/v1/score",
                        csrf,
                        serde_json::from_str(SCORECARDS).unwrap(),
                    ),
                    Public,
                    Api,
                    None,
                )
            },

            // The council's documents: a closed round of the side (its chair submitted a card;
            // a decision recognised the product). Everyone who sees the round here is one of
            // its officials: the office, the chair, the secretary, the national roles.
            ("GET", "/rounds/{id}/minutes.pdf") => {
                let (round, _, _) = self.decided_round(object).await;
                read(
                    self.get(actor, &format!("/rounds/{round}/minutes.pdf")),
                    RoundThen(any_actor),
                    Page,
                    None,
                )
            }
            ("GET", "/rounds/{id}/decisions/{decision}/annex.pdf") => {
                let (round, _, decision) = self.decided_round(object).await;
                read(
                    self.get(
                        actor,
                        &format!("/rounds/{round}/decisions/{decision}/annex.pdf"),
                    ),
                    RoundThen(any_actor),
                    Page,
                    None,
                )
            }
            ("GET", "/rounds/{id}/products/{product}/sheets/{member}") => {
                let (round, product, _) = self.decided_round(object).await;
                let chair = match object {
                    Object::Home => Actor::CouncilMember,
                    Object::Away => Actor::OtherRoundMember,
                };
                let member = &self.account(chair).unwrap().user.id;
                read(
                    self.get(
                        actor,
                        &format!("/rounds/{round}/products/{product}/sheets/{member}.pdf"),
                    ),
                    RoundThen(any_actor),
                    Page,
                    None,
                )
            }

            // Certificates, their verification, notices.
            ("GET", "/certificates") => {
                read(self.get(actor, "/certificates"), SignedIn, Page, None)
            }
            ("GET", "/certificates/{id}") => read(
                self.get(actor, &format!("/certificates/{}", side.certificate_id)),
                InScope,
                Page,
                Some(&side.product_name),
            ),
            ("GET", "/certificates/{id}/certificate.pdf") => read(
                self.get(
                    actor,
                    &format!("/certificates/{}/certificate.pdf", side.certificate_id),
                ),
                InScope,
                Page,
                None,
            ),
            ("GET", "/certificates/{id}/qr.svg") => read(
                self.get(
                    actor,
                    &format!("/certificates/{}/qr.svg", side.certificate_id),
                ),
                InScope,
                Page,
                None,
            ),
            ("GET", "/certificates/{id}/qr.png") => read(
                self.get(
                    actor,
                    &format!("/certificates/{}/qr.png", side.certificate_id),
                ),
                InScope,
                Page,
                None,
            ),
            ("POST", "/certificates/{id}/revocation") => {
                let id = self.fresh_certificate(object).await;
                let today = chrono::Utc::now()
                    .date_naive()
                    .format("%d/%m/%Y")
                    .to_string();
                let request = self.form(
                    actor,
                    &format!("/certificates/{id}/revocation"),
                    csrf,
                    &[
                        ("ground", "d"),
                        ("found_on", &today),
                        ("finding_ref", "Kết luận số 12/KL-SCT"),
                        ("decision_number", "88/QĐ-UBND"),
                        ("decided_on", &today),
                        ("signer", "Chủ tịch"),
                    ],
                );
                // Revoked at once: the page says so.
                Cell {
                    shows: Some("Đã thu hồi".into()),
                    ..write(request, ScopeThenRole(provincial_officer), Page, ok)
                }
            }
            ("POST", "/certificates/{id}/revocation/decision") => {
                let id = self.certificate_under_revocation(object).await;
                let today = chrono::Utc::now()
                    .date_naive()
                    .format("%d/%m/%Y")
                    .to_string();
                let request = self.form(
                    actor,
                    &format!("/certificates/{id}/revocation/decision"),
                    csrf,
                    &[
                        ("decision_number", "89/QĐ-UBND"),
                        ("decided_on", &today),
                        ("signer", "Chủ tịch"),
                    ],
                );
                write(request, ScopeThenRole(provincial_officer), Page, ok)
            }
            ("POST", "/certificates/{id}/inspections") => {
                let today = chrono::Utc::now()
                    .date_naive()
                    .format("%d/%m/%Y")
                    .to_string();
                let deadline = (chrono::Utc::now().date_naive() + chrono::Days::new(30))
                    .format("%d/%m/%Y")
                    .to_string();
                let id = self.fresh_certificate(object).await;
                let request = self.form(
                    actor,
                    &format!("/certificates/{id}/inspections"),
                    csrf,
                    &[
                        ("kind", "periodic"),
                        ("inspected_on", &today),
                        ("inspectors", "Đoàn kiểm tra"),
                        ("criteria_maintained", "yes"),
                        ("findings", "Nhãn chưa ghi số sao"),
                        ("outcome", "corrective_action"),
                        ("action", "In lại nhãn"),
                        ("action_deadline", &deadline),
                    ],
                );
                write(request, ScopeThenRole(inspects), Page, ok)
            }
            ("GET", "/certificates/{id}/reevaluate") => read(
                self.get(
                    actor,
                    &format!("/certificates/{}/reevaluate", side.certificate_id),
                ),
                ScopeThenRole(producer),
                Page,
                Some(&side.product_name),
            ),
            ("POST", "/certificates/{id}/reevaluate") => {
                let id = self.fresh_certificate(object).await;
                let request =
                    self.form(actor, &format!("/certificates/{id}/reevaluate"), csrf, &[]);
                write(
                    request,
                    ScopeThenRole(producer),
                    Page,
                    StatusCode::SEE_OTHER,
                )
            }
            ("GET", "/v/{payload}") => Cell {
                public_names: true,
                ..read(
                    self.get(actor, &format!("/v/{}", side.certificate_payload)),
                    Public,
                    Page,
                    None,
                )
            },
            ("GET", "/v/{payload}/certificate.pdf") => Cell {
                public_names: true,
                ..read(
                    self.get(
                        actor,
                        &format!("/v/{}/certificate.pdf", side.certificate_payload),
                    ),
                    Public,
                    Page,
                    None,
                )
            },
            ("GET", "/.well-known/ocop-keys.json") => read(
                self.get(actor, "/.well-known/ocop-keys.json"),
                Public,
                Api,
                None,
            ),
            ("GET", "/.well-known/ocop-audit-anchors.json") => read(
                self.get(actor, "/.well-known/ocop-audit-anchors.json"),
                Public,
                Api,
                None,
            ),
            ("GET", "/api/v1/verify") => Cell {
                public_names: true,
                ..read(
                    self.get(
                        actor,
                        &format!("/api/v1/verify?payload={}", side.certificate_payload),
                    ),
                    Public,
                    Api,
                    None,
                )
            },
            ("GET", "/api/v1/certificates") => {
                read(self.get(actor, "/api/v1/certificates"), SignedIn, Api, None)
            }
            ("GET", "/api/v1/certificates/{id}") => read(
                self.get(
                    actor,
                    &format!("/api/v1/certificates/{}", side.certificate_id),
                ),
                InScope,
                Api,
                Some(&side.certificate_id),
            ),
            ("POST", "/api/v1/certificates/{id}/revocation") => {
                let id = self.fresh_certificate(object).await;
                let today = chrono::Utc::now().date_naive().to_string();
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/certificates/{id}/revocation"),
                    csrf,
                    json!({"ground": "c", "found_on": today, "finding_ref": "Kết luận số 3/KL",
                        "decision_number": "90/QĐ-UBND", "decided_on": today, "signer": "Chủ tịch"}),
                );
                // Revoked at once: the API's answer says so.
                Cell {
                    shows: Some("\"status\":\"revoked\"".into()),
                    ..write(request, ScopeThenRole(provincial_officer), Api, ok)
                }
            }
            ("POST", "/api/v1/certificates/{id}/revocation/decision") => {
                let id = self.certificate_under_revocation(object).await;
                let today = chrono::Utc::now().date_naive().to_string();
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/certificates/{id}/revocation/decision"),
                    csrf,
                    json!({"decision_number": "91/QĐ-UBND", "decided_on": today, "signer": "Chủ tịch"}),
                );
                write(request, ScopeThenRole(provincial_officer), Api, ok)
            }
            ("POST", "/api/v1/certificates/{id}/inspections") => {
                let today = chrono::Utc::now().date_naive().to_string();
                let id = self.fresh_certificate(object).await;
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/certificates/{id}/inspections"),
                    csrf,
                    json!({"kind": "ad_hoc", "inspected_on": today, "inspectors": "Đoàn kiểm tra",
                        "criteria_maintained": "yes", "mark_used_correctly": "yes",
                        "findings": "Đạt yêu cầu", "outcome": "passed"}),
                );
                write(request, ScopeThenRole(inspects), Api, ok)
            }
            ("GET", "/notices") => read(self.get(actor, "/notices"), SignedIn, Page, None),
            ("GET", "/api/v1/notices") => {
                read(self.get(actor, "/api/v1/notices"), SignedIn, Api, None)
            }
            ("POST", "/notices/read") => {
                let request = self.form(actor, "/notices/read", csrf, &[]);
                Cell {
                    writes: false,
                    ..write(request, SignedIn, Page, StatusCode::SEE_OTHER)
                }
            }
            ("POST", "/notices/{id}/open") => {
                // The actor's own notice (none for the anonymous: a 303 to sign in first).
                let id = match self.account(actor) {
                    Some(account) => self.notice_for(&account.user.id).await,
                    None => "none".to_string(),
                };
                let request = self.form(actor, &format!("/notices/{id}/open"), csrf, &[]);
                Cell {
                    writes: false,
                    ..write(request, SignedIn, Page, StatusCode::SEE_OTHER)
                }
            }
            ("GET", "/admin/outbox") => read(
                self.get(actor, "/admin/outbox"),
                RoleThenScope(administrator),
                Page,
                None,
            ),

            // Signing in and out, one's account, administration.
            ("GET", "/login") => Cell {
                expect: if actor == Actor::Anonymous {
                    ok
                } else {
                    StatusCode::SEE_OTHER
                },
                ..read(self.get(actor, "/login"), Public, Page, None)
            },
            ("POST", "/login") => {
                // Each actor signs in to its own spare account: right password at home, wrong away.
                let email = format!("login-{}@ocop.vn", key(actor));
                if accounts::find_by_email(&self.test.db, &email)
                    .await
                    .unwrap()
                    .is_none()
                {
                    accounts::create_user(
                        &self.test.db,
                        NewUser {
                            email: email.clone(),
                            name: "Đăng nhập".into(),
                            role: Role::CentralOfficer,
                            unit_code: None,
                            entity_id: None,
                            password: PASSWORD.into(),
                        },
                        "test",
                    )
                    .await
                    .unwrap();
                }
                let password = if object == Object::Home {
                    PASSWORD
                } else {
                    "sai mật khẩu rồi"
                };
                let request = self.login_form(
                    actor,
                    "/login",
                    csrf,
                    &[("email", &email), ("password", password)],
                );
                let expect = if object == Object::Home {
                    StatusCode::SEE_OTHER
                } else {
                    StatusCode::UNAUTHORIZED
                };
                Cell {
                    expect,
                    ..write(request, Public, Page, ok)
                }
            }
            ("POST", "/logout") => {
                // A session of its own, so that the actor's main one lives on.
                let (cookie, token) = match self.account(actor) {
                    Some(account) => {
                        let (t, c) = accounts::create_session(&self.test.db, &account.user)
                            .await
                            .unwrap();
                        (format!("ocop_session={t}"), c)
                    }
                    None => (String::new(), String::new()),
                };
                let token = if csrf == Csrf::Real {
                    token
                } else {
                    "forged".into()
                };
                let request = with_cookie(Request::post("/logout"), &cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(encode(&[("csrf", &token)])))
                    .unwrap();
                write(request, SignedIn, Page, StatusCode::SEE_OTHER)
            }
            ("GET", "/account") => read(self.get(actor, "/account"), SignedIn, Page, None),
            ("POST", "/account/password") => {
                // Home changes the password, Away changes it back.
                let (current, new) = match object {
                    Object::Home => (PASSWORD, OTHER_PASSWORD),
                    Object::Away => (OTHER_PASSWORD, PASSWORD),
                };
                let request = self.form(
                    actor,
                    "/account/password",
                    csrf,
                    &[("current_password", current), ("new_password", new)],
                );
                write(request, SignedIn, Page, ok)
            }
            ("GET", "/admin/users") => read(
                self.get(actor, "/admin/users"),
                RoleThenScope(administrator),
                Page,
                None,
            ),
            ("POST", "/admin/users") => {
                let email = format!("new-{n}@ocop.vn");
                let request = self.form(
                    actor,
                    "/admin/users",
                    csrf,
                    &[
                        ("email", &email),
                        ("name", "Cán bộ mới"),
                        ("role", "commune_officer"),
                        ("unit", &side.commune),
                        ("password", PASSWORD),
                    ],
                );
                write(request, RoleThenScope(administrator), Page, ok)
            }
            ("POST", "/admin/users/{id}/active") => {
                let id = self.throwaway_user().await;
                let request = self.form(
                    actor,
                    &format!("/admin/users/{id}/active"),
                    csrf,
                    &[("active", "false")],
                );
                let success = StatusCode::SEE_OTHER;
                write(request, RoleThenScope(administrator), Page, success)
            }

            // The registry.
            ("GET", "/register") => read(self.get(actor, "/register"), Public, Page, None),
            ("POST", "/register") => {
                let (code, email) = (format!("HTX-R-{n}"), format!("dangky-{n}@ocop.vn"));
                let name = format!("HTX Đăng Ký {n}");
                let request = self.login_form(
                    actor,
                    "/register",
                    csrf,
                    &[
                        ("kind", "cooperative"),
                        ("registration_code", &code),
                        ("name", &name),
                        ("representative", "Người Đăng Ký"),
                        ("address", "Ấp 2"),
                        ("commune_code", &side.commune),
                        ("account_email", &email),
                        ("account_password", PASSWORD),
                    ],
                );
                write(request, Public, Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/api/v1/register") => {
                let body = json!({
                    "entity": {
                        "kind": "household",
                        "registration_code": format!("HKD-R-{n}"),
                        "name": format!("Hộ Đăng Ký {n}"),
                        "representative": "Người Đăng Ký",
                        "address": "Ấp 3",
                        "commune_code": side.commune,
                    },
                    "account_email": format!("api-dangky-{n}@ocop.vn"),
                    "account_password": PASSWORD,
                });
                Cell {
                    guarded: false,
                    ..write(
                        self.json(actor, Method::POST, "/api/v1/register", csrf, body),
                        Public,
                        Api,
                        StatusCode::CREATED,
                    )
                }
            }
            ("GET", "/entities") => Cell {
                shows: sees(actor, object).then(|| side.entity_name.clone()),
                ..read(self.get(actor, "/entities"), SignedIn, Page, None)
            },
            ("GET", "/api/v1/entities") => Cell {
                shows: sees(actor, object).then(|| side.entity_name.clone()),
                ..read(self.get(actor, "/api/v1/entities"), SignedIn, Api, None)
            },
            ("GET", "/entities/{id}") => read(
                self.get(actor, &format!("/entities/{entity}")),
                InScope,
                Page,
                Some(&side.entity_name),
            ),
            ("GET", "/api/v1/entities/{id}") => read(
                self.get(actor, &format!("/api/v1/entities/{entity}")),
                InScope,
                Api,
                Some(&side.entity_name),
            ),
            ("GET", "/entities/{id}/edit") => read(
                self.get(actor, &format!("/entities/{entity}/edit")),
                maintains,
                Page,
                Some(&side.entity_name),
            ),
            ("POST", "/entities/{id}/edit") => {
                let fields = self.entity_edit(object);
                let request = self.form(
                    actor,
                    &format!("/entities/{entity}/edit"),
                    csrf,
                    &refs(&fields),
                );
                write(request, maintains, Page, ok)
            }
            ("PUT", "/api/v1/entities/{id}") => {
                let body = json_object(&self.entity_edit(object));
                let request = self.json(
                    actor,
                    Method::PUT,
                    &format!("/api/v1/entities/{entity}"),
                    csrf,
                    body,
                );
                write(request, maintains, Api, ok)
            }
            ("POST", "/entities/{id}/confirm") => {
                let id = self.pending_entity(object).await;
                write(
                    self.form(actor, &format!("/entities/{id}/confirm"), csrf, &[]),
                    confirmers,
                    Page,
                    ok,
                )
            }
            ("POST", "/api/v1/entities/{id}/confirm") => {
                let id = self.pending_entity(object).await;
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/entities/{id}/confirm"),
                    csrf,
                    json!({}),
                );
                write(request, confirmers, Api, ok)
            }
            ("POST", "/entities/{id}/products") => {
                let name = format!("Sản phẩm mới {n}");
                let request = self.form(
                    actor,
                    &format!("/entities/{entity}/products"),
                    csrf,
                    &[
                        ("name", &name),
                        ("product_set", "P01"),
                        ("description", "Mô tả"),
                    ],
                );
                write(request, maintains, Page, ok)
            }
            ("POST", "/api/v1/entities/{id}/products") => {
                let body = json!({"name": format!("Sản phẩm API {n}"), "product_set": "P01", "description": "Mô tả"});
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/entities/{entity}/products"),
                    csrf,
                    body,
                );
                write(request, maintains, Api, StatusCode::CREATED)
            }
            ("GET", "/api/v1/products") => Cell {
                shows: sees(actor, object).then(|| side.product_name.clone()),
                ..read(self.get(actor, "/api/v1/products"), SignedIn, Api, None)
            },
            ("GET", "/products/{id}") => read(
                self.get(actor, &format!("/products/{product}")),
                InScope,
                Page,
                Some(&side.product_name),
            ),
            ("GET", "/api/v1/products/{id}") => read(
                self.get(actor, &format!("/api/v1/products/{product}")),
                InScope,
                Api,
                Some(&side.product_name),
            ),
            ("GET", "/products/{id}/edit") => read(
                self.get(actor, &format!("/products/{product}/edit")),
                maintains,
                Page,
                Some(&side.product_name),
            ),
            ("POST", "/products/{id}/edit") => {
                let fields = self.product_edit(object);
                let request = self.form(
                    actor,
                    &format!("/products/{product}/edit"),
                    csrf,
                    &refs(&fields),
                );
                write(request, maintains, Page, ok)
            }
            ("PUT", "/api/v1/products/{id}") => {
                let body = json_object(&self.product_edit(object));
                let request = self.json(
                    actor,
                    Method::PUT,
                    &format!("/api/v1/products/{product}"),
                    csrf,
                    body,
                );
                write(request, maintains, Api, ok)
            }
            ("POST", "/products/{id}/certifications") => {
                let number = format!("VG-{n}");
                let request = self.form(
                    actor,
                    &format!("/products/{product}/certifications"),
                    csrf,
                    &[
                        ("kind", "vietgap"),
                        ("number", &number),
                        ("issuer", "QUACERT"),
                        ("valid_from", "01/01/2025"),
                        ("valid_to", "31/12/2027"),
                    ],
                );
                write(request, maintains, Page, ok)
            }
            ("POST", "/products/{id}/photos") => {
                let png = [b"\x89PNG\r\n\x1a\n".as_slice(), n.to_string().as_bytes()].concat();
                let request = self.multipart(
                    actor,
                    &format!("/products/{product}/photos"),
                    csrf,
                    &[],
                    &png,
                );
                write(request, maintains, Page, ok)
            }
            ("GET", "/products/{id}/photos/{sha}") => read(
                self.get(actor, &format!("/products/{product}/photos/{}", self.photo)),
                InScope,
                Page,
                None,
            ),

            // Dossiers.
            ("POST", "/products/{id}/dossiers") => {
                let request = self.form(
                    actor,
                    &format!("/products/{product}/dossiers"),
                    csrf,
                    &[
                        ("evaluation_type", "first_time"),
                        ("contact_phone", "0909 111 222"),
                    ],
                );
                write(
                    request,
                    RoleThenScope(producer),
                    Page,
                    StatusCode::SEE_OTHER,
                )
            }
            ("POST", "/api/v1/products/{id}/dossiers") => {
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/products/{product}/dossiers"),
                    csrf,
                    json!({"evaluation_type": "upgrade"}),
                );
                write(request, RoleThenScope(producer), Api, StatusCode::CREATED)
            }
            ("GET", "/dossiers") => Cell {
                shows: sees(actor, object).then(|| side.product_name.clone()),
                ..read(self.get(actor, "/dossiers"), SignedIn, Page, None)
            },
            ("GET", "/api/v1/dossiers") => Cell {
                shows: sees(actor, object).then(|| side.dossier_id.clone()),
                ..read(self.get(actor, "/api/v1/dossiers"), SignedIn, Api, None)
            },
            ("GET", "/dossiers/{id}") => read(
                self.get(actor, &format!("/dossiers/{}", side.dossier_id)),
                InScope,
                Page,
                Some(&side.product_name),
            ),
            ("GET", "/api/v1/dossiers/{id}") => read(
                self.get(actor, &format!("/api/v1/dossiers/{}", side.dossier_id)),
                InScope,
                Api,
                Some(&side.product_id),
            ),
            ("GET", "/dossiers/{id}/self-assessment") => read(
                self.get(
                    actor,
                    &format!("/dossiers/{}/self-assessment", side.dossier_id),
                ),
                RoleThenScope(producer),
                Page,
                Some(&side.product_name),
            ),
            ("POST", "/dossiers/{id}/self-assessment") => {
                let id = self.draft_dossier(object).await;
                let choices: Vec<(&str, String)> = self
                    .choices
                    .iter()
                    .map(|(code, option)| (code.as_str(), option.to_string()))
                    .collect();
                let fields: Vec<(&str, &str)> =
                    choices.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let request = self.form(
                    actor,
                    &format!("/dossiers/{id}/self-assessment"),
                    csrf,
                    &fields,
                );
                write(request, RoleThenScope(producer), Page, ok)
            }
            ("PUT", "/api/v1/dossiers/{id}/self-assessment") => {
                let id = self.draft_dossier(object).await;
                let request = self.json(
                    actor,
                    Method::PUT,
                    &format!("/api/v1/dossiers/{id}/self-assessment"),
                    csrf,
                    json!({"choices": self.choices}),
                );
                write(request, RoleThenScope(producer), Api, ok)
            }
            ("POST", "/dossiers/{id}/evidence") => {
                let id = self.draft_dossier(object).await;
                let pdf = format!("%PDF-1.4 evidence {n}");
                let request = self.multipart(
                    actor,
                    &format!("/dossiers/{id}/evidence"),
                    csrf,
                    &[("evidence_type", "test_report")],
                    pdf.as_bytes(),
                );
                write(request, RoleThenScope(producer), Page, ok)
            }
            ("POST", "/api/v1/dossiers/{id}/evidence") => {
                let id = self.draft_dossier(object).await;
                let pdf = format!("%PDF-1.4 api evidence {n}");
                let request = self.multipart(
                    actor,
                    &format!("/api/v1/dossiers/{id}/evidence"),
                    csrf,
                    &[("evidence_type", "quality_declaration")],
                    pdf.as_bytes(),
                );
                write(request, RoleThenScope(producer), Api, StatusCode::CREATED)
            }
            ("GET", "/dossiers/{id}/evidence/{evidence}") => read(
                self.get(
                    actor,
                    &format!(
                        "/dossiers/{}/evidence/{}",
                        side.dossier_id, side.evidence_id
                    ),
                ),
                InScope,
                Page,
                None,
            ),
            ("POST", "/dossiers/{id}/{action}") => {
                let id = self.submitted_dossier(object).await;
                let request = self.form(actor, &format!("/dossiers/{id}/accept"), csrf, &[]);
                write(request, FreshThenRole(commune_officer), Page, ok)
            }
            ("POST", "/api/v1/dossiers/{id}/actions") => {
                let id = self.submitted_dossier(object).await;
                let request = self.json(
                    actor,
                    Method::POST,
                    &format!("/api/v1/dossiers/{id}/actions"),
                    csrf,
                    json!({"action": "accept"}),
                );
                write(request, FreshThenRole(commune_officer), Api, ok)
            }
            ("POST", "/dossiers/{id}/report") => {
                let id = self.submitted_dossier(object).await;
                let request = self.form(
                    actor,
                    &format!("/dossiers/{id}/report"),
                    csrf,
                    &[
                        ("local_materials", "Nguyên liệu tại xã"),
                        ("local_labour", "Lao động tại xã"),
                        ("idea_origin", "Sản phẩm truyền thống"),
                        ("local_identity", "Bản sắc của làng nghề"),
                    ],
                );
                write(request, FreshThenRole(commune_officer), Page, ok)
            }
            ("PUT", "/api/v1/dossiers/{id}/report") => {
                let id = self.submitted_dossier(object).await;
                let body = json!({
                    "local_materials": "Nguyên liệu tại xã",
                    "local_labour": "Lao động tại xã",
                    "idea_origin": "Sản phẩm truyền thống",
                    "local_identity": "Bản sắc của làng nghề",
                });
                let uri = format!("/api/v1/dossiers/{id}/report");
                let request = self.json(actor, Method::PUT, &uri, csrf, body);
                write(
                    request,
                    FreshThenRole(commune_officer),
                    Api,
                    StatusCode::NO_CONTENT,
                )
            }
            ("POST", "/dossiers/{id}/pre-assessment") => {
                let id = self.taken_in_dossier(object).await;
                let request = self.form(
                    actor,
                    &format!("/dossiers/{id}/pre-assessment"),
                    csrf,
                    &[
                        ("samples_received", "5"),
                        ("samples_received_on", "01/12/2026"),
                        ("site_visit_note", "Đã khảo sát vườn và xưởng"),
                    ],
                );
                write(request, FreshThenRole(provincial_officer), Page, ok)
            }
            ("PUT", "/api/v1/dossiers/{id}/pre-assessment") => {
                let id = self.taken_in_dossier(object).await;
                let body =
                    json!({"samples_received": 5, "site_visit_note": "Đã khảo sát vườn và xưởng"});
                let uri = format!("/api/v1/dossiers/{id}/pre-assessment");
                let request = self.json(actor, Method::PUT, &uri, csrf, body);
                write(
                    request,
                    FreshThenRole(provincial_officer),
                    Api,
                    StatusCode::NO_CONTENT,
                )
            }

            // Rounds.
            ("GET", "/rounds") => Cell {
                shows: sees_round(actor, object).then(|| side.round_name.clone()),
                ..read(self.get(actor, "/rounds"), SignedIn, Page, None)
            },
            ("GET", "/api/v1/rounds") => Cell {
                shows: sees_round(actor, object).then(|| side.round_id.clone()),
                ..read(self.get(actor, "/api/v1/rounds"), SignedIn, Api, None)
            },
            ("POST", "/rounds") => {
                let name = format!("Đợt mới {n}");
                let request = self.form(
                    actor,
                    "/rounds",
                    csrf,
                    &[
                        ("name", &name),
                        ("meeting_on", "15/12/2026"),
                        ("place", "Hội trường"),
                    ],
                );
                write(request, RoleOnly(opens_rounds), Page, StatusCode::SEE_OTHER)
            }
            ("POST", "/api/v1/rounds") => {
                let body = json!({"name": format!("Đợt API {n}"), "meeting_on": "2026-12-15", "place": "Hội trường"});
                let request = self.json(actor, Method::POST, "/api/v1/rounds", csrf, body);
                write(request, RoleOnly(opens_rounds), Api, StatusCode::CREATED)
            }
            ("GET", "/rounds/{id}") => read(
                self.get(actor, &format!("/rounds/{}", side.round_id)),
                RoundThen(any_actor),
                Page,
                Some(&side.round_name),
            ),
            ("GET", "/api/v1/rounds/{id}") => read(
                self.get(actor, &format!("/api/v1/rounds/{}", side.round_id)),
                RoundThen(any_actor),
                Api,
                Some(&side.round_name),
            ),
            ("GET", "/rounds/{id}/council") => read(
                self.get(actor, &format!("/rounds/{}/council", side.round_id)),
                RoundThen(any_actor),
                Page,
                Some(&side.round_name),
            ),
            ("GET", "/rounds/{id}/overview") => read(
                self.get(actor, &format!("/rounds/{}/overview", side.round_id)),
                RoundThen(any_actor),
                Page,
                Some(&side.product_name),
            ),
            ("GET", "/rounds/{id}/analytics") => read(
                self.get(actor, &format!("/rounds/{}/analytics", side.round_id)),
                RoundThen(not_scoring),
                Page,
                Some(&side.round_name),
            ),
            ("GET", "/rounds/{id}/analytics.csv") => read(
                self.get(
                    actor,
                    &format!("/rounds/{}/analytics.csv?table=products", side.round_id),
                ),
                RoundThen(not_scoring),
                Page,
                None,
            ),
            ("GET", "/api/v1/rounds/{id}/analytics") => read(
                self.get(
                    actor,
                    &format!("/api/v1/rounds/{}/analytics", side.round_id),
                ),
                RoundThen(not_scoring),
                Api,
                Some(&side.round_id),
            ),
            ("GET", "/rounds/{id}/products/{product}") => read(
                self.get(
                    actor,
                    &format!(
                        "/rounds/{}/products/{}",
                        side.round_id, side.round_product_id
                    ),
                ),
                RoundThen(any_actor),
                Page,
                Some(&side.product_name),
            ),
            ("GET", "/api/v1/rounds/{id}/products/{product}") => read(
                self.get(
                    actor,
                    &format!(
                        "/api/v1/rounds/{}/products/{}",
                        side.round_id, side.round_product_id
                    ),
                ),
                RoundThen(any_actor),
                Api,
                Some(&side.product_name),
            ),
            ("POST", "/rounds/{id}/settings") => {
                let uri = format!("/rounds/{}/settings", side.round_id);
                let request = self.form(
                    actor,
                    &uri,
                    csrf,
                    &[("quorum", "1"), ("spread_limit", "10")],
                );
                write(request, RoundThen(organises), Page, ok)
            }
            ("PUT", "/api/v1/rounds/{id}/settings") => {
                let uri = format!("/api/v1/rounds/{}/settings", side.round_id);
                let body = json!({"quorum": "1", "spread_limit": "12"});
                write(
                    self.json(actor, Method::PUT, &uri, csrf, body),
                    RoundThen(organises),
                    Api,
                    ok,
                )
            }
            ("POST", "/rounds/{id}/council") => {
                let province = if object == Object::Home { "79" } else { "75" };
                let member = self.flagged_member(province).await;
                let email = accounts::find_by_id(&self.test.db, &member)
                    .await
                    .unwrap()
                    .unwrap()
                    .email;
                let uri = format!("/rounds/{}/council", side.round_id);
                let request = self.form(
                    actor,
                    &uri,
                    csrf,
                    &[
                        ("email", &email),
                        ("seat", "member"),
                        ("agency", "Sở Công Thương"),
                    ],
                );
                write(request, RoundThen(organises), Page, ok)
            }
            ("POST", "/api/v1/rounds/{id}/seats") => {
                let province = if object == Object::Home { "79" } else { "75" };
                let member = self.flagged_member(province).await;
                let email = accounts::find_by_id(&self.test.db, &member)
                    .await
                    .unwrap()
                    .unwrap()
                    .email;
                let uri = format!("/api/v1/rounds/{}/seats", side.round_id);
                let body = json!({"email": email, "seat": "vice_chair", "agency": "Sở Y tế"});
                write(
                    self.json(actor, Method::POST, &uri, csrf, body),
                    RoundThen(organises),
                    Api,
                    ok,
                )
            }
            ("POST", "/rounds/{id}/products") => {
                let dossier = self.taken_in_dossier(object).await;
                let uri = format!("/rounds/{}/products", side.round_id);
                let request = self.form(actor, &uri, csrf, &[("dossier_id", &dossier)]);
                write(request, RoundThen(organises), Page, ok)
            }
            ("POST", "/api/v1/rounds/{id}/products") => {
                let dossier = self.taken_in_dossier(object).await;
                let uri = format!("/api/v1/rounds/{}/products", side.round_id);
                let body = json!({"dossier_id": dossier});
                let request = self.json(actor, Method::POST, &uri, csrf, body);
                write(request, RoundThen(organises), Api, StatusCode::CREATED)
            }
            ("POST", "/rounds/{id}/{action}") => {
                let round = self.ready_round(object).await;
                let request = self.form(actor, &format!("/rounds/{round}/start"), csrf, &[]);
                write(request, RoundThen(organises), Page, ok)
            }
            ("POST", "/api/v1/rounds/{id}/actions") => {
                let round = self.ready_round(object).await;
                let uri = format!("/api/v1/rounds/{round}/actions");
                let request =
                    self.json(actor, Method::POST, &uri, csrf, json!({"action": "start"}));
                write(request, RoundThen(organises), Api, ok)
            }
            ("POST", "/rounds/{id}/decisions") => {
                let (round, product) = self.closed_round(object).await;
                let number = format!("{n}/QĐ-UBND");
                let request = self.form(
                    actor,
                    &format!("/rounds/{round}/decisions"),
                    csrf,
                    &[
                        ("number", &number),
                        ("signed_on", "01/12/2026"),
                        ("signer", "Chủ tịch UBND tỉnh"),
                        ("products", &product),
                    ],
                );
                write(request, RoundThen(organises), Page, ok)
            }
            ("POST", "/api/v1/rounds/{id}/decisions") => {
                let (round, product) = self.closed_round(object).await;
                let body = json!({
                    "number": format!("{n}/QĐ-UBND"),
                    "signed_on": "2026-12-01",
                    "signer": "Chủ tịch UBND tỉnh",
                    "products": [product],
                });
                let uri = format!("/api/v1/rounds/{round}/decisions");
                let request = self.json(actor, Method::POST, &uri, csrf, body);
                write(request, RoundThen(organises), Api, StatusCode::CREATED)
            }
            ("POST", "/rounds/{id}/legacy-results") => {
                let round = self.legacy_round(object).await;
                let code = self.product_code(object).await;
                let request = self.form(
                    actor,
                    &format!("/rounds/{round}/legacy-results"),
                    csrf,
                    &[
                        ("product_code", &code),
                        ("criteria_version", "148"),
                        ("score", "72,50"),
                    ],
                );
                write(request, OfficeRoundThen(organises), Page, ok)
            }
            ("POST", "/api/v1/rounds/{id}/legacy-results") => {
                let round = self.legacy_round(object).await;
                let code = self.product_code(object).await;
                let body = json!({"product_code": code, "criteria_version": "1048", "score": "64"});
                let uri = format!("/api/v1/rounds/{round}/legacy-results");
                let request = self.json(actor, Method::POST, &uri, csrf, body);
                write(
                    request,
                    OfficeRoundThen(organises),
                    Api,
                    StatusCode::CREATED,
                )
            }
            ("POST", "/rounds/{id}/products/{product}/fallback") => {
                let (round, product) = self.below_threshold(object).await;
                let uri = format!("/rounds/{round}/products/{product}/fallback");
                let request = self.form(
                    actor,
                    &uri,
                    csrf,
                    &[
                        ("choice", "reevaluate"),
                        ("reason", "Bổ sung phiếu kiểm nghiệm mới"),
                    ],
                );
                write(request, OfficeRoundThen(organises), Page, ok)
            }
            ("POST", "/api/v1/rounds/{id}/products/{product}/fallback") => {
                let (round, product) = self.below_threshold(object).await;
                let uri = format!("/api/v1/rounds/{round}/products/{product}/fallback");
                let body = json!({"choice": "recognise", "number": format!("{n}/QĐ-UBND"), "signed_on": "2026-11-25", "signer": "Chủ tịch UBND tỉnh"});
                let request = self.json(actor, Method::POST, &uri, csrf, body);
                write(request, OfficeRoundThen(organises), Api, ok)
            }
            ("POST", "/rounds/{id}/products/{product}/card") => {
                let product = self.fresh_round_product(object).await;
                let mut fields: Vec<(String, String)> = self
                    .choices
                    .iter()
                    .map(|(code, option)| (format!("c:{code}"), option.to_string()))
                    .collect();
                fields.push(("intent".into(), "submit".into()));
                let fields: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let uri = format!("/rounds/{}/products/{product}/card", side.round_id);
                write(
                    self.form(actor, &uri, csrf, &fields),
                    RoundThen(scores),
                    Page,
                    ok,
                )
            }
            ("PUT", "/api/v1/rounds/{id}/products/{product}/card") => {
                // A draft is a working copy: saved, not audited.
                let product = self.fresh_round_product(object).await;
                let uri = format!("/api/v1/rounds/{}/products/{product}/card", side.round_id);
                let body = json!({"choices": self.choices});
                Cell {
                    writes: false,
                    ..write(
                        self.json(actor, Method::PUT, &uri, csrf, body),
                        RoundThen(scores),
                        Api,
                        StatusCode::NO_CONTENT,
                    )
                }
            }
            ("POST", "/api/v1/rounds/{id}/products/{product}/card") => {
                let product = self.fresh_round_product(object).await;
                let uri = format!("/api/v1/rounds/{}/products/{product}/card", side.round_id);
                let body = json!({"choices": self.choices});
                write(
                    self.json(actor, Method::POST, &uri, csrf, body),
                    RoundThen(scores),
                    Api,
                    ok,
                )
            }
            ("POST", "/rounds/{id}/products/{product}/conflict") => {
                let product = self.fresh_round_product(object).await;
                let uri = format!("/rounds/{}/products/{product}/conflict", side.round_id);
                let request = self.form(
                    actor,
                    &uri,
                    csrf,
                    &[("reason", "Người thân làm việc tại chủ thể")],
                );
                write(request, RoundThen(scores), Page, ok)
            }
            ("POST", "/api/v1/rounds/{id}/products/{product}/conflicts") => {
                let product = self.fresh_round_product(object).await;
                let uri = format!(
                    "/api/v1/rounds/{}/products/{product}/conflicts",
                    side.round_id
                );
                let body = json!({"reason": "Người thân làm việc tại chủ thể"});
                write(
                    self.json(actor, Method::POST, &uri, csrf, body),
                    RoundThen(scores),
                    Api,
                    ok,
                )
            }
            ("POST", "/rounds/{id}/products/{product}/rescore") => {
                let product = self.fresh_round_product(object).await;
                let uri = format!("/rounds/{}/products/{product}/rescore", side.round_id);
                let request = self.form(actor, &uri, csrf, &[("reason", "Chênh lệch quá 10 điểm")]);
                write(request, RoundThen(chairs), Page, ok)
            }
            ("POST", "/api/v1/rounds/{id}/products/{product}/rescore") => {
                let product = self.fresh_round_product(object).await;
                let uri = format!(
                    "/api/v1/rounds/{}/products/{product}/rescore",
                    side.round_id
                );
                let body = json!({"reason": "Chênh lệch quá 10 điểm"});
                write(
                    self.json(actor, Method::POST, &uri, csrf, body),
                    RoundThen(chairs),
                    Api,
                    ok,
                )
            }
            ("POST", "/rounds/{id}/conflicts/{conflict}/clear") => {
                let product = self.fresh_round_product(object).await;
                let flag = self.flag_on(object, &product).await;
                let uri = format!("/rounds/{}/conflicts/{flag}/clear", side.round_id);
                let request = self.form(
                    actor,
                    &uri,
                    csrf,
                    &[("reason", "Đã nghỉ việc tại chủ thể từ 2020")],
                );
                write(request, RoundThen(chairs), Page, ok)
            }
            ("POST", "/api/v1/rounds/{id}/conflicts/{conflict}/clear") => {
                let product = self.fresh_round_product(object).await;
                let flag = self.flag_on(object, &product).await;
                let uri = format!("/api/v1/rounds/{}/conflicts/{flag}/clear", side.round_id);
                let body = json!({"reason": "Đã nghỉ việc tại chủ thể từ 2020"});
                write(
                    self.json(actor, Method::POST, &uri, csrf, body),
                    RoundThen(chairs),
                    Api,
                    ok,
                )
            }
            (method, path) => panic!(
                "{method} {path} has no row in the authorization matrix: add one to World::cell"
            ),
        }
    }
}

/// Form fields as a JSON object, for the API's side of a form.
fn json_object(fields: &[(&'static str, String)]) -> Value {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn with_cookie(
    builder: axum::http::request::Builder,
    cookie: &str,
) -> axum::http::request::Builder {
    if cookie.is_empty() {
        builder
    } else {
        builder.header(header::COOKIE, cookie)
    }
}

async fn submitted_dossier(
    db: &ocop_store::Db,
    product_id: &str,
    document: &StoredFile,
) -> (String, String) {
    let national = Scope::National;
    let dossier = dossiers::create(
        db,
        &national,
        product_id,
        Opening {
            evaluation_type: EvaluationType::FirstTime,
            contact_phone: Some("0909000000".into()),
            criteria_version: None,
            filed_at_ms: None,
        },
        "test",
    )
    .await
    .unwrap();
    let evidence = dossiers::add_evidence(
        db,
        &national,
        &dossier.id,
        EvidenceType::TestReport,
        None,
        document,
        "kiem-nghiem.pdf",
        None,
        "test",
    )
    .await
    .unwrap();
    dossiers::apply(
        db,
        &national,
        &dossier.id,
        &DossierAction::Submit,
        Role::Producer,
        &[],
        "test",
    )
    .await
    .unwrap();
    (dossier.id, evidence.id)
}

/// What an actor must never see of `object`: its names always, its ids unless the request
/// named them itself (an error may repeat what was asked); of its round too, when the actor
/// sees neither the round nor what it holds.
fn secrets<'a>(world: &'a World, actor: Actor, object: Object, uri: &str) -> Vec<&'a str> {
    let side = world.side(object);
    let mut names = vec![&side.entity_name, &side.product_name];
    let mut ids = vec![&side.entity_id, &side.product_id, &side.dossier_id];
    if !sees_round(actor, object) {
        names.push(&side.round_name);
        ids.extend([&side.round_id, &side.round_product_id]);
    }
    names
        .into_iter()
        .map(String::as_str)
        .chain(
            ids.into_iter()
                .map(String::as_str)
                .filter(|id| !uri.contains(id)),
        )
        .collect()
}

#[tokio::test]
async fn every_route_role_and_scope() {
    let world = World::new().await;
    let routes = route_table();
    let (mut cells, mut forged) = (0, 0);
    for (method, path) in &routes {
        for actor in ACTORS {
            for object in [Object::Home, Object::Away] {
                let what = format!("{actor:?} {method} {path} ({object:?})");
                let cell = world.cell(method, path, actor, object, Csrf::Real).await;
                let uri = cell.request.uri().to_string();
                let before = audit::last_seq(&world.test.db).await.unwrap();
                let reply = send(&world.router, cell.request).await;
                assert_eq!(reply.status, cell.expect, "{what}: {}", reply.body);
                if actor == Actor::Anonymous
                    && reply.status == StatusCode::SEE_OTHER
                    && *path != "/lang/{code}"
                {
                    let allowed_elsewhere = matches!(*path, "/login" | "/register" | "/01/{gtin}");
                    assert!(
                        allowed_elsewhere || reply.location == "/login",
                        "{what}: sent to {}",
                        reply.location
                    );
                }
                if reply.status.is_success()
                    && let Some(shown) = &cell.shows
                {
                    assert!(
                        reply.body.contains(shown.as_str()),
                        "{what}: {shown} missing"
                    );
                }
                for hidden in [Object::Home, Object::Away] {
                    if sees(actor, hidden) || cell.public_names {
                        continue;
                    }
                    for secret in secrets(&world, actor, hidden, &uri) {
                        assert!(
                            !reply.body.contains(secret),
                            "{what}: leaks {secret} of {hidden:?}"
                        );
                    }
                }
                if actor != Actor::Administrator && path.starts_with("/admin") {
                    assert!(!reply.body.contains("@ocop.vn"), "{what}: shows accounts");
                }
                let grew = audit::last_seq(&world.test.db).await.unwrap() > before;
                let allowed = reply.status.is_success()
                    || (reply.status == StatusCode::SEE_OTHER && reply.location != "/login");
                assert_eq!(
                    grew,
                    cell.writes && allowed,
                    "{what}: audit trail grew: {grew}"
                );
                cells += 1;

                // The same write with a forged CSRF token: refused, nothing written.
                if cell.guarded && actor != Actor::Anonymous {
                    let cell = world.cell(method, path, actor, object, Csrf::Forged).await;
                    let before = audit::last_seq(&world.test.db).await.unwrap();
                    let reply = send(&world.router, cell.request).await;
                    assert_eq!(
                        reply.status,
                        StatusCode::FORBIDDEN,
                        "{what} with a forged CSRF token"
                    );
                    assert_eq!(
                        audit::last_seq(&world.test.db).await.unwrap(),
                        before,
                        "{what} with a forged CSRF token wrote"
                    );
                    forged += 1;
                }
            }
        }
    }
    assert_eq!(cells, routes.len() * ACTORS.len() * 2);
    assert!(
        routes.len() >= 90,
        "the router lists {} routes",
        routes.len()
    );
    assert!(forged > 300, "{forged} forged writes");
    assert!(audit::verify(&world.test.db).await.unwrap().is_ok());
    println!(
        "{cells} cells over {} routes × {} actors × 2 objects, and {forged} forged writes",
        routes.len(),
        ACTORS.len()
    );
}
