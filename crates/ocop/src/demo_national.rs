//! The national-scale demo (`ocop demo --products N`): N recognised products with their
//! entities, legacy council results, decisions, certificates of every status and production
//! batches, over all 34 provinces and their communes, written in one transaction through
//! multi-row inserts (`ocop_store::bulk`) and audited as one event.
//!
//! The mix follows `docs/portal.md`: provinces weigh by their number of communes (the programme
//! is one product per commune, and larger provinces run larger programmes); about 1.8 products
//! per entity (18,000 products from 10,000 entities in 2025); entity types 32.5 % cooperatives,
//! 22 % enterprises, 40.3 % households, the rest cooperative groups; 40 % women-led, 20 %
//! ethnic-minority-led; stars 74 % 3★, 25 % 4★, 1 % 5★; recognitions growing year on year since
//! 2019, decided twice a year (30/06 and 15/12) as the law's two rounds; an expired certificate
//! was renewed in 60 % of cases; 1 % of certificates in force are revoked; some products past
//! expiry are pending re-evaluation.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use indicatif::{ProgressBar, ProgressStyle};

use ocop_domain::audit::Changes;
use ocop_domain::certificates::{CertificateNumber, expiry_of};
use ocop_domain::criteria::Catalog;
use ocop_domain::rounds::decision::ProductOutcome;
use ocop_domain::text::fold;
use ocop_store::bulk::{Rows, Value};
use ocop_store::clock::{new_id, now_ms, today};
use ocop_store::{Db, StoreError, audit, meta, units};

use crate::demo::next;

const LOADED_KEY: &str = "demo_national";
const ACTOR: &str = "demo";
const CRITERIA: &str = "26-2026";
const FORMER_CRITERIA: &str = "148-1489";

/// Product names by set (bộ sản phẩm), as real OCOP products are named: a kind and a place.
const STEMS: &[(&str, &[&str])] = &[
    (
        "P01",
        &[
            "Bưởi da xanh",
            "Sầu riêng Ri6",
            "Xoài cát Hòa Lộc",
            "Thanh long ruột đỏ",
            "Vải thiều",
            "Cam sành",
            "Nhãn lồng",
            "Chuối già Nam Mỹ",
        ],
    ),
    (
        "P02",
        &[
            "Trứng gà ác",
            "Tôm càng xanh",
            "Cá lăng nuôi lồng",
            "Thịt bò tơ",
        ],
    ),
    (
        "P03",
        &[
            "Gạo ST25",
            "Gạo nếp cái hoa vàng",
            "Gạo lứt đỏ",
            "Gạo hữu cơ",
        ],
    ),
    (
        "P04",
        &[
            "Mật ong hoa cà phê",
            "Mật ong bạc hà",
            "Mật ong rừng",
            "Tổ yến sào",
        ],
    ),
    ("P05", &["Bánh chưng", "Chả giò", "Bánh tét lá cẩm"]),
    (
        "P06",
        &[
            "Bánh tráng",
            "Bún khô",
            "Miến dong",
            "Bánh đa nem",
            "Bánh phở khô",
        ],
    ),
    (
        "P07",
        &[
            "Hạt điều rang muối",
            "Mứt gừng",
            "Chuối sấy dẻo",
            "Măng khô",
            "Khoai lang sấy",
        ],
    ),
    (
        "P08",
        &[
            "Chả cá",
            "Khô cá dứa",
            "Lạp xưởng",
            "Nem chua",
            "Ruốc tôm",
            "Sữa chua",
        ],
    ),
    (
        "P09",
        &["Nước mắm", "Tương bần", "Mắm tôm", "Nước mắm cá cơm"],
    ),
    (
        "P10",
        &[
            "Tiêu đen",
            "Muối tôm",
            "Tỏi cô đơn",
            "Hành tím",
            "Muối ớt xanh",
        ],
    ),
    ("P11", &["Chè Shan tuyết", "Chè búp", "Trà xanh"]),
    (
        "P12",
        &[
            "Trà atiso",
            "Trà hoa vàng",
            "Trà mãng cầu",
            "Trà túi lọc lá vối",
        ],
    ),
    (
        "P13",
        &["Cà phê rang xay", "Cà phê Robusta", "Ca cao nguyên chất"],
    ),
    ("P14", &["Rượu gạo", "Rượu cần", "Rượu ngô men lá"]),
    ("P15", &["Rượu vang sim", "Rượu mơ", "Rượu đinh lăng"]),
    ("P16", &["Nước khoáng thiên nhiên"]),
    (
        "P17",
        &["Nước cốt chanh dây", "Siro dâu tằm", "Nước ép mãng cầu"],
    ),
    (
        "P18",
        &["Cao dược liệu", "Viên đông trùng hạ thảo", "Cao atiso"],
    ),
    ("P19", &["Dầu gội bồ kết", "Xà phòng thảo dược"]),
    (
        "P20",
        &["Tinh dầu sả chanh", "Tinh dầu quế", "Tinh dầu tràm"],
    ),
    (
        "P21",
        &["Nón lá", "Gốm", "Mây tre đan", "Chiếu cói", "Tranh gạo"],
    ),
    ("P22", &["Thổ cẩm", "Lụa tơ tằm", "Khăn dệt thủ công"]),
    ("P23", &["Hoa lan hồ điệp", "Hoa cúc"]),
    ("P24", &["Bonsai", "Mai vàng"]),
    ("P25", &["Cá Koi"]),
    ("P26", &["Du lịch cộng đồng", "Điểm du lịch sinh thái"]),
];
/// How often each set occurs (food dominates the programme), in STEMS' order.
const SET_WEIGHTS: [u64; 26] = [
    12, 4, 6, 6, 2, 6, 9, 8, 6, 4, 4, 4, 4, 3, 2, 1, 3, 4, 1, 2, 5, 2, 1, 1, 1, 2,
];
const SURNAMES: [&str; 12] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
];
const MIDDLE: [&str; 6] = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh"];
const GIVEN: [&str; 14] = [
    "An", "Bình", "Cúc", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Mai", "Nam", "Phúc", "Sáu", "Tâm",
    "Yến",
];
const PLATFORMS: [&str; 5] = ["Postmart", "Voso", "Shopee", "Lazada", "Tiki"];

/// What `ocop demo --products N` wrote.
pub struct Summary {
    pub entities: usize,
    pub products: usize,
    pub certificates: usize,
    pub batches: usize,
    pub by_status: BTreeMap<&'static str, usize>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let statuses: Vec<String> = self
            .by_status
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        write!(
            f,
            "National demo: {} entities, {} products, {} certificates ({}), {} batches",
            self.entities,
            self.products,
            self.certificates,
            statuses.join(", "),
            self.batches
        )
    }
}

pub async fn is_loaded(db: &Db) -> Result<bool, StoreError> {
    Ok(meta::get(db, LOADED_KEY).await?.is_some())
}

struct Place {
    province: String,
    province_name: String,
    commune: String,
    commune_name: String,
}

fn short(name: &str) -> &str {
    for prefix in ["Thành phố ", "Tỉnh ", "Đặc khu ", "Phường ", "Xã "] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return rest;
        }
    }
    name
}

struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        // Two steps give 62 bits; n is small, so the bias is negligible.
        let high = next(&mut self.0);
        let low = next(&mut self.0);
        ((high << 31) ^ low) % n.max(1)
    }

    fn chance(&mut self, per_thousand: u64) -> bool {
        self.below(1000) < per_thousand
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut roll = self.below(weights.iter().sum());
        for (i, w) in weights.iter().enumerate() {
            if roll < *w {
                return i;
            }
            roll -= w;
        }
        weights.len() - 1
    }
}

/// The two decision days of each year (the law's two provincial rounds), up to `today`.
fn decision_days(today: NaiveDate) -> Vec<NaiveDate> {
    (2019..=today.year())
        .flat_map(|year| [(year, 6, 30), (year, 12, 15)])
        .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
        .filter(|day| *day <= today)
        .collect()
}

/// A valid GTIN-13 with Vietnam's prefix 893.
fn gtin(serial: u64) -> String {
    let body = format!("893{:09}", serial % 1_000_000_000);
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// Writes the national demo. Refuses a database that has it already.
pub async fn load(
    db: &Db,
    catalog: &Catalog,
    products: usize,
    seed: u64,
) -> Result<Summary, StoreError> {
    if is_loaded(db).await? {
        return Err(StoreError::Data(
            "the national demo is already in this database".into(),
        ));
    }
    let today = today();
    // Past expiry, a re-evaluation filed in time keeps a certificate valid this long.
    let pending_days = catalog
        .version(CRITERIA)
        .and_then(|v| v.procedure.pending_validity_days)
        .unwrap_or(0);
    let mut places: Vec<Vec<Place>> = Vec::new();
    for province in units::current_provinces(db).await? {
        let communes: Vec<Place> = units::children(db, province.id)
            .await?
            .into_iter()
            .map(|commune| Place {
                province: province.code.clone(),
                province_name: province.name.clone(),
                commune_name: commune.name,
                commune: commune.code,
            })
            .collect();
        if !communes.is_empty() {
            places.push(communes);
        }
    }
    if places.is_empty() {
        return Err(StoreError::Data(
            "no provinces with communes are loaded".into(),
        ));
    }
    let weights: Vec<u64> = places.iter().map(|c| c.len() as u64).collect();
    let days = decision_days(today);
    // Recognitions grow year on year: a day's weight is its year's distance from 2018.
    let day_weights: Vec<u64> = days.iter().map(|d| (d.year() - 2018) as u64).collect();

    let bar = ProgressBar::new(products as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} products ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("generating");

    let mut random = Random(seed ^ 0x0c0f_5eed);
    let mut entities = Rows::new(
        "entities",
        &[
            "id",
            "kind",
            "legal_form",
            "registration_code",
            "name",
            "name_folded",
            "representative",
            "address",
            "commune_code",
            "province_code",
            "phone",
            "email",
            "women_led",
            "ethnic_minority_led",
            "members",
            "workers",
            "founded_on",
            "status",
            "created_at",
            "updated_at",
        ],
    );
    let mut product_rows = Rows::new(
        "products",
        &[
            "id",
            "entity_id",
            "code",
            "code_year",
            "name",
            "name_folded",
            "criteria_version",
            "product_set",
            "description",
            "raw_material_area",
            "trademark",
            "gtin",
            "sales_channels",
            "export_markets",
            "commune_code",
            "province_code",
            "created_at",
            "updated_at",
        ],
    );
    let mut rounds = Rows::new(
        "rounds",
        &[
            "id",
            "name",
            "level",
            "kind",
            "province_code",
            "meeting_on",
            "place",
            "state",
            "created_by",
            "created_at",
            "updated_at",
        ],
    );
    let mut decisions = Rows::new(
        "decisions",
        &[
            "id",
            "round_id",
            "number",
            "signed_on",
            "signer",
            "recorded_by",
            "recorded_at",
        ],
    );
    let mut dossiers = Rows::new(
        "dossiers",
        &[
            "id",
            "product_id",
            "entity_id",
            "commune_code",
            "province_code",
            "evaluation_type",
            "state",
            "criteria_version",
            "product_set",
            "filed_on",
            "created_at",
            "updated_at",
        ],
    );
    let mut round_products = Rows::new(
        "round_products",
        &[
            "id",
            "round_id",
            "dossier_id",
            "product_id",
            "entity_id",
            "commune_code",
            "province_code",
            "criteria_version",
            "product_set",
            "entity_type",
            "pass",
            "disqualifications",
            "final_score",
            "final_stars",
            "outcome",
            "added_at",
        ],
    );
    let mut items = Rows::new(
        "decision_items",
        &["decision_id", "round_product_id", "outcome", "stars"],
    );
    let mut certificates = Rows::new(
        "certificates",
        &[
            "id",
            "number",
            "province_code",
            "year",
            "serial",
            "product_id",
            "entity_id",
            "commune_code",
            "stars",
            "score",
            "criteria_version",
            "decision_id",
            "round_product_id",
            "authority",
            "issued_on",
            "expires_on",
            "created_at",
        ],
    );
    let mut revocations = Rows::new(
        "revocations",
        &[
            "id",
            "certificate_id",
            "ground",
            "found_on",
            "finding_ref",
            "deadline",
            "opened_by",
            "opened_at",
            "decision_number",
            "decided_on",
            "signer",
            "decided_by",
            "decided_at",
        ],
    );
    let mut batches = Rows::new(
        "batches",
        &[
            "id",
            "product_id",
            "lot",
            "produced_on",
            "quantity",
            "unit",
            "raw_material_area",
            "expires_on",
            "created_by",
            "created_at",
        ],
    );

    // (province or "" for the ministry, decision day) → (round id, decision id)
    let mut rounds_by_day: BTreeMap<(String, NaiveDate), (String, String)> = BTreeMap::new();
    // Numbers follow those the database has given (the base demo's certificates).
    let mut serials: BTreeMap<(String, i32), u32> = ocop_store::certificates::serials(db)
        .await?
        .into_iter()
        .map(|(province, year, last)| ((province, year as i32), last as u32))
        .collect();
    let mut product_seq: BTreeMap<String, u32> = BTreeMap::new();
    let mut by_status: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut summary = Summary {
        entities: 0,
        products: 0,
        certificates: 0,
        batches: 0,
        by_status: BTreeMap::new(),
    };
    let created_at = now_ms();
    let revocation_ground = catalog
        .version(CRITERIA)
        .and_then(|v| v.procedure.revocation_grounds.first())
        .map(|g| g.code.clone())
        .unwrap_or_else(|| "a".into());

    let mut made = 0usize;
    while made < products {
        // An entity and its one to three products.
        let province = random.weighted(&weights);
        let place = random.pick(&places[province]);
        let entity_id = new_id();
        let kind = ["cooperative", "company", "household", "cooperative_group"]
            [random.weighted(&[325, 220, 403, 52])];
        let set_index = random.weighted(&SET_WEIGHTS);
        let (_, stems) = STEMS[set_index];
        let trade = random.pick(stems);
        let commune_short = short(&place.commune_name);
        let person = format!(
            "{} {} {}",
            random.pick(&SURNAMES),
            random.pick(&MIDDLE),
            random.pick(&GIVEN)
        );
        let entity_name = match kind {
            "cooperative" => format!("Hợp tác xã {trade} {commune_short}"),
            "company" => format!("Công ty TNHH {trade} {commune_short}"),
            "cooperative_group" => format!("Tổ hợp tác {trade} {commune_short}"),
            _ => format!("Hộ kinh doanh {person}"),
        };
        summary.entities += 1;
        let founded = NaiveDate::from_ymd_opt(
            1995 + random.below(25) as i32,
            1 + random.below(12) as u32,
            1,
        );
        entities.push([
            Value::from(entity_id.clone()),
            kind.into(),
            Value::from((kind == "company").then(|| "llc_multi_member".to_string())),
            format!("9{:09}", summary.entities).into(),
            entity_name.clone().into(),
            fold(&entity_name).into(),
            person.into(),
            format!(
                "Thôn {}, {}, {}",
                1 + random.below(12),
                place.commune_name,
                place.province_name
            )
            .into(),
            place.commune.clone().into(),
            place.province.clone().into(),
            Value::from(Some(format!("09{:08}", random.below(100_000_000)))),
            Value::Text(None),
            random.chance(400).into(),
            random.chance(200).into(),
            Value::from((kind == "cooperative").then(|| 7 + random.below(60) as i64)),
            Value::from(Some(2 + random.below(80) as i64)),
            Value::from(founded),
            "confirmed".into(),
            created_at.into(),
            created_at.into(),
        ]);
        let count = 1 + random.weighted(&[45, 35, 20]);
        let mut used = Vec::new();
        for _ in 0..count.min(products - made) {
            let (set, stems) = STEMS[if used.is_empty() {
                set_index
            } else {
                random.weighted(&SET_WEIGHTS)
            }];
            let stem = random.pick(stems);
            if used.contains(stem) {
                continue;
            }
            used.push(*stem);
            made += 1;
            bar.inc(1);
            let product_id = new_id();
            let name = format!("{stem} {commune_short}");
            let first_day = days[random.weighted(&day_weights)];
            let seq = product_seq.entry(place.commune.clone()).or_insert(100);
            *seq += 1;
            let code = format!(
                "{}-{}-{}-{}",
                place.province,
                place.commune,
                seq,
                first_day.year()
            );
            let has_gtin = random.chance(600);
            let channels = {
                let mut c = vec!["Chợ truyền thống".to_string(), "Điểm bán OCOP".to_string()];
                if random.chance(500) {
                    c.push("Siêu thị".into());
                }
                if random.chance(550) {
                    c.push(format!("Sàn TMĐT {}", random.pick(&PLATFORMS)));
                }
                serde_json::to_string(&c).unwrap_or_default()
            };
            // Stored as JSON lists, as the registry writes them.
            let markets: &[&str] = if random.chance(80) {
                &["Nhật Bản", "Hàn Quốc"]
            } else {
                &[]
            };
            let markets = serde_json::to_string(markets).unwrap_or_default();
            product_rows.push([
                Value::from(product_id.clone()),
                entity_id.clone().into(),
                code.into(),
                i64::from(first_day.year()).into(),
                name.clone().into(),
                fold(&name).into(),
                if first_day < NaiveDate::from_ymd_opt(2026, 5, 22).unwrap_or(first_day) {
                    FORMER_CRITERIA
                } else {
                    CRITERIA
                }
                .into(),
                set.into(),
                format!(
                    "{stem} do {entity_name} sản xuất tại {}, {}.",
                    place.commune_name, place.province_name
                )
                .into(),
                Value::from(Some(format!("Vùng nguyên liệu {}", commune_short))),
                Value::Text(None),
                Value::from(has_gtin.then(|| gtin(summary.products as u64 * 7919 + seed))),
                channels.into(),
                markets.into(),
                place.commune.clone().into(),
                place.province.clone().into(),
                created_at.into(),
                created_at.into(),
            ]);
            summary.products += 1;

            // Its certificates: the first, then renewals while the previous one expired.
            let mut stars = [3u8, 4, 5][random.weighted(&[740, 250, 10])];
            let mut issued = first_day;
            loop {
                let expires = expiry_of(issued, 36);
                let renewed_on = days.iter().copied().find(|d| {
                    *d > expires - chrono::Days::new(150) && *d <= expires + chrono::Days::new(30)
                });
                let renew = renewed_on.is_some() && random.chance(600);
                let revoke = !renew && expires >= today && random.chance(12);
                let pending = !renew
                    && !revoke
                    && expires < today
                    && today <= expires + chrono::Days::new(u64::from(pending_days))
                    && random.chance(400);
                let version = if issued < NaiveDate::from_ymd_opt(2026, 5, 22).unwrap_or(issued) {
                    FORMER_CRITERIA
                } else {
                    CRITERIA
                };
                let ministry = stars == 5;
                let round_key = (
                    if ministry {
                        String::new()
                    } else {
                        place.province.clone()
                    },
                    issued,
                );
                let (round_id, decision_id) = rounds_by_day
                    .entry(round_key)
                    .or_insert_with(|| {
                        let (round_id, decision_id) = (new_id(), new_id());
                        let half = if issued.month() <= 6 { "I" } else { "II" };
                        let (level, name, place_name) = if ministry {
                            (
                                "ministry",
                                format!(
                                    "Hội đồng OCOP Trung ương đợt {half} năm {}",
                                    issued.year()
                                ),
                                "Hà Nội".to_string(),
                            )
                        } else {
                            (
                                "province",
                                format!(
                                    "Hội đồng OCOP {} đợt {half} năm {}",
                                    place.province_name,
                                    issued.year()
                                ),
                                place.province_name.clone(),
                            )
                        };
                        rounds.push([
                            Value::from(round_id.clone()),
                            name.into(),
                            level.into(),
                            "legacy".into(),
                            Value::from((!ministry).then(|| place.province.clone())),
                            issued.into(),
                            place_name.into(),
                            "closed".into(),
                            ACTOR.into(),
                            created_at.into(),
                            created_at.into(),
                        ]);
                        let serial = rounds.len();
                        decisions.push([
                            Value::from(decision_id.clone()),
                            round_id.clone().into(),
                            format!("{serial}/QĐ-{}", if ministry { "BNNMT" } else { "UBND" })
                                .into(),
                            issued.into(),
                            if ministry {
                                "Trần Thanh Nam"
                            } else {
                                "Phó Chủ tịch UBND tỉnh"
                            }
                            .into(),
                            ACTOR.into(),
                            created_at.into(),
                        ]);
                        (round_id, decision_id)
                    })
                    .clone();
                let (dossier_id, round_product_id, certificate_id) = (new_id(), new_id(), new_id());
                let reevaluation = issued != first_day;
                let score = match stars {
                    3 => 5000 + random.below(2000) as i64,
                    4 => 7000 + random.below(2000) as i64,
                    _ => 9000 + random.below(800) as i64,
                };
                let outcome = ProductOutcome::Recognised { stars };
                dossiers.push([
                    Value::from(dossier_id.clone()),
                    product_id.clone().into(),
                    entity_id.clone().into(),
                    place.commune.clone().into(),
                    place.province.clone().into(),
                    if reevaluation {
                        "reevaluation"
                    } else {
                        "first_time"
                    }
                    .into(),
                    "recognised".into(),
                    version.into(),
                    set.into(),
                    Value::from(Some(issued - chrono::Days::new(60))),
                    created_at.into(),
                    created_at.into(),
                ]);
                round_products.push([
                    Value::from(round_product_id.clone()),
                    round_id.clone().into(),
                    dossier_id.into(),
                    product_id.clone().into(),
                    entity_id.clone().into(),
                    place.commune.clone().into(),
                    place.province.clone().into(),
                    version.into(),
                    set.into(),
                    kind.into(),
                    1i64.into(),
                    "[]".into(),
                    Value::from(Some(score)),
                    Value::from(Some(i64::from(stars))),
                    serde_json::to_string(&outcome).unwrap_or_default().into(),
                    created_at.into(),
                ]);
                items.push([
                    Value::from(decision_id.clone()),
                    round_product_id.clone().into(),
                    outcome.as_str().into(),
                    Value::from(Some(i64::from(stars))),
                ]);
                let year = issued.year();
                let serial = serials.entry((place.province.clone(), year)).or_insert(0);
                *serial += 1;
                let number = CertificateNumber::new(&place.province, year, *serial)
                    .map_err(|e| StoreError::Data(e.to_string()))?;
                certificates.push([
                    Value::from(certificate_id.clone()),
                    number.to_string().into(),
                    place.province.clone().into(),
                    i64::from(year).into(),
                    i64::from(*serial).into(),
                    product_id.clone().into(),
                    entity_id.clone().into(),
                    place.commune.clone().into(),
                    i64::from(stars).into(),
                    Value::from(Some(score)),
                    version.into(),
                    decision_id.into(),
                    round_product_id.into(),
                    if ministry { "ministry" } else { "province" }.into(),
                    issued.into(),
                    expires.into(),
                    created_at.into(),
                ]);
                summary.certificates += 1;
                if revoke {
                    let found = today - chrono::Days::new(10 + random.below(200));
                    let found = found.max(issued);
                    let decided = (found + chrono::Days::new(10)).min(today);
                    revocations.push([
                        Value::from(new_id()),
                        certificate_id.clone().into(),
                        revocation_ground.clone().into(),
                        found.into(),
                        format!("Biên bản kiểm tra số {}/BB-KT", 1 + random.below(300)).into(),
                        Value::from(Some(found + chrono::Days::new(15))),
                        ACTOR.into(),
                        created_at.into(),
                        Value::from(Some(format!("{}/QĐ-UBND", 2000 + random.below(900)))),
                        Value::from(Some(decided)),
                        Value::from(Some("Phó Chủ tịch UBND tỉnh".to_string())),
                        Value::from(Some(ACTOR.to_string())),
                        Value::from(Some(created_at)),
                    ]);
                }
                if pending {
                    // A re-evaluation filed in the window, not yet decided (Điều 12.3).
                    dossiers.push([
                        Value::from(new_id()),
                        product_id.clone().into(),
                        entity_id.clone().into(),
                        place.commune.clone().into(),
                        place.province.clone().into(),
                        "reevaluation".into(),
                        "taken_in".into(),
                        CRITERIA.into(),
                        set.into(),
                        Value::from(Some(expires - chrono::Days::new(130))),
                        created_at.into(),
                        created_at.into(),
                    ]);
                }
                let status = if revoke {
                    "revoked"
                } else if renew {
                    "superseded"
                } else if expires >= today {
                    "active"
                } else if pending {
                    "pending_reevaluation"
                } else {
                    "expired"
                };
                *by_status.entry(status).or_default() += 1;
                if has_gtin && !renew {
                    for lot in 0..random.below(4) {
                        let produced = issued + chrono::Days::new(30 + random.below(700));
                        if produced > today {
                            break;
                        }
                        batches.push([
                            Value::from(new_id()),
                            product_id.clone().into(),
                            format!(
                                "L{}{:02}-{}",
                                produced.format("%y%m"),
                                produced.day(),
                                lot + 1
                            )
                            .into(),
                            produced.into(),
                            (100 + random.below(5000) as i64).into(),
                            ["chai 500 ml", "hộp 250 g", "kg", "túi 1 kg"]
                                [random.below(4) as usize]
                                .into(),
                            Value::from(Some(format!("Vùng nguyên liệu {}", commune_short))),
                            Value::from(Some(produced + chrono::Days::new(540))),
                            ACTOR.into(),
                            created_at.into(),
                        ]);
                        summary.batches += 1;
                    }
                }
                match renewed_on {
                    Some(day) if renew => {
                        issued = day;
                        if stars < 5 && random.chance(150) {
                            stars += 1;
                        }
                    }
                    _ => break,
                }
            }
        }
    }
    bar.set_message("writing");
    let mut tx = ocop_store::bulk::begin(db).await?;
    for rows in [
        &mut entities,
        &mut product_rows,
        &mut rounds,
        &mut decisions,
        &mut dossiers,
        &mut round_products,
        &mut items,
        &mut certificates,
        &mut revocations,
        &mut batches,
    ] {
        rows.write(&mut tx).await?;
    }
    let last: Vec<(String, i64, i64)> = serials
        .iter()
        .map(|((province, year), serial)| (province.clone(), i64::from(*year), i64::from(*serial)))
        .collect();
    ocop_store::certificates::set_serials(&mut tx, &last).await?;
    let changes = Changes::new()
        .created("entities", summary.entities)
        .created("products", summary.products)
        .created("certificates", summary.certificates)
        .created("batches", summary.batches)
        .created("seed", seed);
    audit::append(
        &mut tx,
        ACTOR,
        "demo.national",
        ocop_store::catalogue::BULK_OBJECT,
        LOADED_KEY,
        &changes,
    )
    .await?;
    meta::set(&mut tx, LOADED_KEY, &summary.products.to_string()).await?;
    ocop_store::bulk::commit(tx).await?;
    bar.finish_with_message("done");
    summary.by_status = by_status;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtins_carry_their_check_digit() {
        for serial in [0, 1, 42, 999_999_999, 123_456_789_012] {
            assert!(
                ocop_domain::registry::valid_gtin(&gtin(serial)),
                "{}",
                gtin(serial)
            );
        }
    }

    #[test]
    fn decision_days_are_the_two_rounds_of_each_year() {
        let days = decision_days(NaiveDate::from_ymd_opt(2020, 7, 1).unwrap());
        assert_eq!(days.len(), 3);
        assert_eq!(days[2], NaiveDate::from_ymd_opt(2020, 6, 30).unwrap());
    }
}
