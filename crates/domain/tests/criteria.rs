//! Criteria data and scoring, on the shipped data and on hand-computed examples.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;

use ocop_domain::criteria::{
    Catalog, CouncilInput, EntityType, Level, Outcome, Score, Scorecard, ScoringError, SheetSource,
    VersionSource, bundled_sources, evaluate, score_card,
};

fn catalog() -> Catalog {
    Catalog::load(&bundled_sources()).unwrap_or_else(|errors| {
        panic!(
            "shipped criteria are invalid:\n{}",
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

const EXAMPLE: &str = include_str!("../../../docs/examples/score-1048-P01.json");

fn example() -> CouncilInput {
    serde_json::from_str(EXAMPLE).unwrap()
}

#[test]
fn shipped_data_validates_with_three_versions_and_26_sets() {
    let catalog = catalog();
    let ids: Vec<&str> = catalog.versions().iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, vec!["1048", "148", "148-1489", "26-2026"]);
    let v1048 = catalog.version("1048").unwrap();
    let p01 = v1048.set("P01").unwrap();
    assert!(!p01.provisional, "the 1048 P01 sheet is the real one");
    let criteria: Vec<_> = p01.sheet.criteria().collect();
    assert_eq!(criteria.len(), 31);
    let options: usize = criteria.iter().map(|(_, c)| c.options.len()).sum();
    assert_eq!(options, 113);
    let parts: Vec<u32> = p01.sheet.parts.iter().map(|p| p.max).collect();
    assert_eq!(parts, vec![35, 25, 40]);
    for id in ["148", "148-1489"] {
        let version = catalog.version(id).unwrap();
        assert_eq!(version.sets.len(), 26, "{id}");
        assert!(
            version.sets[1..].iter().all(|s| s.provisional),
            "{id}: derived sheets are provisional"
        );
        let p01 = &version.sets[0];
        assert_eq!(
            (p01.source, p01.provisional, p01.sheet.file.as_str()),
            (SheetSource::ThirdParty, false, "thaibinh-P01.csv"),
            "{id}: fresh produce is scored on the Thái Bình app's transcription"
        );
        let parts: Vec<u32> = version.sets[8].sheet.parts.iter().map(|p| p.max).collect();
        assert_eq!(parts, vec![40, 25, 35]);
        assert_eq!(version.sets[8].sheet.max_total(), 100);
    }
    assert_eq!(catalog.in_force_on(date("2020-01-01")).unwrap().id, "1048");
    assert_eq!(catalog.in_force_on(date("2024-05-01")).unwrap().id, "148");
    assert_eq!(
        catalog.in_force_on(date("2025-07-06")).unwrap().id,
        "148-1489"
    );
    assert_eq!(
        catalog.in_force_on(date("2026-05-22")).unwrap().id,
        "26-2026"
    );
    assert!(catalog.in_force_on(date("2019-01-01")).is_none());
}

#[test]
fn band_edges_are_half_open() {
    let catalog = catalog();
    let version = catalog.version("148-1489").unwrap();
    let cases = [
        (0, 1),
        (2999, 1),
        (3000, 2),
        (4999, 2),
        (5000, 3),
        (6999, 3),
        (7000, 4),
        (8999, 4),
        (9000, 5),
        (10000, 5),
    ];
    for (centi, stars) in cases {
        assert_eq!(
            version.stars_for(Score::from_centi(centi)),
            stars,
            "{centi}"
        );
    }
    // 69.995 rounds half-up to 70.00, once, and is then 4★.
    let rounded = Score::round_ratio(69_995, 1000);
    assert_eq!(rounded, Score::from_centi(7000));
    assert_eq!(rounded.to_string(), "70.00");
    assert_eq!(version.stars_for(rounded), 4);
    assert_eq!(Score::round_ratio(69_994, 1000).to_string(), "69.99");
    assert_eq!(Score::round_ratio(193, 3).to_string(), "64.33");
    assert_eq!(Score::round_ratio(200, 3).to_string(), "66.67");
}

#[test]
fn the_documented_example_gives_the_hand_computed_result() {
    let catalog = catalog();
    let result = evaluate(&catalog, &example()).unwrap();
    let totals: Vec<u32> = result.members.iter().map(|m| m.total).collect();
    // Base card: A 24 + B 14 + C 24 = 62 (docs/criteria.md works it out line by line).
    assert_eq!(totals, vec![62, 68, 61, 64, 65]);
    assert_eq!(result.members[0].parts["A"], 24);
    assert_eq!(result.members[0].parts["B"], 14);
    assert_eq!(result.members[0].parts["C"], 24);
    assert_eq!(result.mean.to_string(), "64.00");
    assert_eq!(result.stars, 3);
    assert_eq!(result.spread, 7);
    assert!(!result.flags.needs_discussion && !result.flags.incomplete);
    assert_eq!(result.outcome, Outcome::Recognised);
    let routing = result.routing.unwrap();
    assert_eq!(
        (
            routing.recognised_by,
            routing.recognised_stars,
            routing.proposed_to
        ),
        (Level::Province, Some(3), None)
    );
    assert!(!result.provisional_sheet);

    let parts: Vec<String> = result
        .explanation
        .parts
        .iter()
        .map(|p| p.earned.to_string())
        .collect();
    assert_eq!(parts, vec!["23.80", "14.60", "25.60"]);
    let disagreements: Vec<&str> = result
        .explanation
        .disagreements
        .iter()
        .map(|d| d.criterion.as_str())
        .collect();
    assert_eq!(disagreements, vec!["4.3", "6.2", "8", "11", "1.3"]);

    // To reach 4★ (70.00) the council's sum must rise by 30 points: criterion 11 to its best
    // option (+18) and 4.3 to its best (+12), the fewest criteria that do it.
    let upgrade = result.explanation.upgrade.unwrap();
    assert_eq!(upgrade.target_stars, 4);
    assert!(upgrade.reachable);
    let steps: Vec<(&str, u32, String, String)> = upgrade
        .steps
        .iter()
        .map(|s| {
            (
                s.criterion.as_str(),
                s.option,
                s.current.to_string(),
                s.gain.to_string(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("11", 3, "1.40".to_string(), "3.60".to_string()),
            ("4.3", 5, "2.60".to_string(), "2.40".to_string()),
        ]
    );
    assert_eq!(upgrade.resulting_score.to_string(), "70.00");
}

#[test]
fn flags_spread_quorum_missing_members_and_routing_up() {
    let catalog = catalog();
    let mut input = example();
    // A sixth member scoring much lower: spread 62 → 50 = 12 > 10.
    let mut low = input.scorecards[0].clone();
    low.member = "Đỗ Văn Phúc".into();
    for criterion in ["11", "8", "6.2", "5.1", "4.2", "4.1"] {
        low.choices.insert(criterion.into(), 1);
    }
    input.scorecards.push(low);
    let result = evaluate(&catalog, &input).unwrap();
    assert!(result.flags.needs_discussion, "spread {}", result.spread);
    assert_eq!(result.outcome, Outcome::NeedsDiscussion);
    assert!(result.routing.is_none());

    let mut missing = example();
    missing.scorecards.pop();
    let result = evaluate(&catalog, &missing).unwrap();
    assert!(result.flags.incomplete && result.flags.below_quorum);
    assert_eq!(
        result.flags.missing_members,
        vec!["Hoàng Văn Em".to_string()]
    );
    assert_eq!(result.outcome, Outcome::Incomplete);

    // Everyone at the best option: 100 points for a cooperative (a household's best is 99: its
    // options on 3.2 stop at 1 of 2 points). Under 148+1489 the province recognises 4★ and
    // proposes the product to the ministry; a 60 under 148 is the district's to recognise.
    let household = best_card(&catalog, "148-1489", "P09", EntityType::Household);
    let input = council("148-1489", "P09", EntityType::Household, vec![household; 5]);
    assert_eq!(
        evaluate(&catalog, &input).unwrap().mean.to_string(),
        "99.00"
    );
    let best = best_card(&catalog, "148-1489", "P09", EntityType::Cooperative);
    let mut input = council("148-1489", "P09", EntityType::Cooperative, vec![best; 5]);
    let result = evaluate(&catalog, &input).unwrap();
    assert_eq!(
        (result.mean.to_string().as_str(), result.stars),
        ("100.00", 5)
    );
    assert!(result.provisional_sheet);
    let routing = result.routing.unwrap();
    assert_eq!(
        (
            routing.recognised_by,
            routing.recognised_stars,
            routing.proposed_to
        ),
        (Level::Province, Some(4), Some(Level::Ministry))
    );
    assert!(result.explanation.upgrade.is_none(), "no star above 5");
    input.version = "148".into();
    input.entity_type = EntityType::Household;
    let sixty = card_with_total(&catalog, "148", "P09", EntityType::Household, 60);
    input.scorecards = (0..5).map(|i| named(&sixty, i)).collect();
    let result = evaluate(&catalog, &input).unwrap();
    assert_eq!(result.stars, 3);
    assert_eq!(result.routing.unwrap().recognised_by, Level::District);
    let below = card_with_total(&catalog, "148", "P09", EntityType::Household, 45);
    input.scorecards = (0..5).map(|i| named(&below, i)).collect();
    let result = evaluate(&catalog, &input).unwrap();
    assert_eq!((result.stars, result.outcome), (2, Outcome::NotRecognised));
}

#[test]
fn scorecards_are_rejected_with_the_reason() {
    let catalog = catalog();
    let version = catalog.version("1048").unwrap();
    let set = version.set("P01").unwrap();
    let mut card = example().scorecards[0].clone();
    card.choices.insert("3.2".into(), 1); // a company/cooperative option
    card.choices.insert("99".into(), 1);
    card.choices.insert("1.1".into(), 7);
    card.choices.remove("11");
    let errors = score_card(version, set, EntityType::Household, &card).unwrap_err();
    let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        messages
            .contains(&"Nguyễn Văn An: criterion 1.1 has no option 7 (options 1 to 3)".to_string()),
        "{messages:?}"
    );
    assert!(messages.contains(&"Nguyễn Văn An: criterion 99 is not on the sheet".to_string()));
    assert!(messages.contains(
        &"Nguyễn Văn An: option 1 of criterion 3.2 does not apply to a household".to_string()
    ));
    assert!(messages.contains(&"Nguyễn Văn An: criterion 11 is not scored".to_string()));
    // Cooperative groups are scored with the household options (version.toml says so).
    let mut group_card = example().scorecards[0].clone();
    group_card.choices.insert("3.2".into(), 4);
    assert!(score_card(version, set, EntityType::CooperativeGroup, &group_card).is_ok());

    let mut input = example();
    input.version = "9999".into();
    assert_eq!(
        evaluate(&catalog, &input).unwrap_err(),
        vec![ScoringError::UnknownVersion("9999".into())]
    );
    let mut input = example();
    input.scorecards.push(input.scorecards[0].clone());
    assert!(matches!(
        evaluate(&catalog, &input).unwrap_err()[0],
        ScoringError::DuplicateMember(_)
    ));
}

#[test]
fn a_mandatory_criterion_failed_blocks_recognition() {
    let mut sources = bundled_sources();
    let source = sources.iter_mut().find(|s| s.dir_name == "1048").unwrap();
    let sheet = source.files.get_mut("sheets/P01.csv").unwrap();
    // Mark 9.1 (quality declaration) mandatory on its criterion row.
    *sheet = sheet
        .lines()
        .map(|line| {
            if line.starts_with("criterion,9.1,") {
                line.replacen(",2,,,,,", ",2,,,,yes,", 1)
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let catalog = Catalog::load(&sources).unwrap();
    let mut input = example();
    for card in input.scorecards.iter_mut().take(3) {
        card.choices.insert("9.1".into(), 1); // 0 points
    }
    let result = evaluate(&catalog, &input).unwrap();
    assert_eq!(result.flags.mandatory_failed, vec!["9.1".to_string()]);
    assert_eq!(result.outcome, Outcome::NotRecognised);
    assert!(
        result
            .reasons
            .iter()
            .any(|r| r.contains("mandatory criterion 9.1"))
    );
    // Two members of five is not a majority: not failed.
    input.scorecards[2].choices.insert("9.1".into(), 3);
    let result = evaluate(&catalog, &input).unwrap();
    assert!(result.flags.mandatory_failed.is_empty());
}

fn broken(edit: impl FnOnce(&mut VersionSource)) -> Vec<String> {
    let mut sources = bundled_sources();
    edit(sources.iter_mut().find(|s| s.dir_name == "148").unwrap());
    Catalog::load(&sources)
        .expect_err("the broken data should be refused")
        .iter()
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn broken_files_fail_with_the_file_and_the_path() {
    // An option worth more than its criterion, in the sheet every 148 set uses.
    let errors = broken(|source| {
        let sheet = source.files.get_mut("sheets/derived-1048-P01.csv").unwrap();
        *sheet = sheet.replacen(
            "option,,1,,Phân loại,grading only,,0,",
            "option,,1,,Phân loại,grading only,,9,",
            1,
        );
    });
    assert!(
        errors.contains(&"data/criteria/148/sheets/derived-1048-P01.csv: 148/P02/A/1.2: line 9: option worth 9 points exceeds the criterion's 4".to_string()),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("148/P02/A/1.2: the best option is worth 9"))
    );

    // Criteria that no longer add up to their section.
    let errors = broken(|source| {
        let sheet = source.files.get_mut("sheets/derived-1048-P01.csv").unwrap();
        // Drop criterion 1.6 and its options.
        let mut inside = false;
        *sheet = sheet
            .lines()
            .filter(|line| {
                if line.starts_with("criterion,") || line.starts_with("section,") {
                    inside = line.starts_with("criterion,1.6,");
                }
                !inside
            })
            .collect::<Vec<_>>()
            .join("\n");
    });
    assert!(
        errors
            .iter()
            .any(|e| e.contains("148/P02/A/1: criteria add up to 21, but the section is worth 22")),
        "{errors:#?}"
    );

    // Bands with a gap, parts not adding to 100, an unknown field.
    let errors = broken(|source| {
        let manifest = source.files.get_mut("version.toml").unwrap();
        *manifest = manifest.replacen("stars = 3\nfrom = 50", "stars = 3\nfrom = 51", 1);
        *manifest = manifest.replacen("max = 25", "max = 20", 1);
    });
    assert!(
        errors
            .iter()
            .any(|e| e.contains("148/bands: 2★ ends at 50.00 but 3★ starts at 51.00")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("148/parts: part maxima add up to 95, not 100"))
    );
    let errors = broken(|source| {
        let manifest = source.files.get_mut("version.toml").unwrap();
        manifest.push_str("\ncolour = \"red\"\n");
    });
    assert!(
        errors[0].starts_with("data/criteria/148/version.toml: 148: line"),
        "{errors:#?}"
    );
    assert!(errors[0].contains("colour"));

    // A set pointing at a sheet that does not exist; a duplicate set code.
    let errors = broken(|source| {
        let sets = source.files.get_mut("sets.csv").unwrap();
        *sets = sets.replacen("derived-1048-P01.csv", "nothing.csv", 1);
        let first_p26 = sets.lines().last().unwrap().to_string();
        sets.push_str(&format!("\n{first_p26}"));
    });
    assert!(
        errors
            .iter()
            .any(|e| e.contains("148/P02: line 3: sheet `sheets/nothing.csv` does not exist")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("148/P26: line 28: set codes must be unique")),
        "{errors:#?}"
    );
}

#[test]
fn a_new_version_is_a_data_directory_only() {
    // A 2027 version as a new directory: same structure as 148+1489, spread limit 8, quorum 3.
    let mut sources = bundled_sources();
    let mut new = sources
        .iter()
        .find(|s| s.dir_name == "148-1489")
        .unwrap()
        .clone();
    new.dir_name = "27-2027".into();
    new.origin = "/tmp/criteria/27-2027".into();
    let manifest = new.files.get_mut("version.toml").unwrap();
    *manifest = manifest
        .replace("id = \"148-1489\"", "id = \"27-2027\"")
        .replace("effective_from = 2025-07-06", "effective_from = 2027-01-01")
        .lines()
        .filter(|line| !line.starts_with("effective_to"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("provisional = false", "provisional = true")
        .replace("spread_limit = 10", "spread_limit = 8")
        .replace("quorum = 5", "quorum = 3");
    sources.push(new);
    let catalog = Catalog::load(&sources).unwrap();
    let version = catalog.in_force_on(date("2027-06-01")).unwrap();
    assert_eq!(version.id, "27-2027");
    assert!(version.provisional);
    let best = best_card(&catalog, "27-2027", "P01", EntityType::Company);
    let input = council(
        "27-2027",
        "P01",
        EntityType::Company,
        (0..3).map(|i| named(&best, i)).collect(),
    );
    let result = evaluate(&catalog, &input).unwrap();
    assert_eq!(
        (result.version.as_str(), result.stars, result.outcome),
        ("27-2027", 5, Outcome::Recognised)
    );
}

// --- helpers -------------------------------------------------------------------------------

fn council(
    version: &str,
    set: &str,
    entity: EntityType,
    scorecards: Vec<Scorecard>,
) -> CouncilInput {
    CouncilInput {
        version: version.into(),
        product_set: set.into(),
        entity_type: entity,
        council: Vec::new(),
        disqualifications: Vec::new(),
        scorecards: scorecards
            .into_iter()
            .enumerate()
            .map(|(i, card)| named(&card, i))
            .collect(),
    }
}

fn named(card: &Scorecard, index: usize) -> Scorecard {
    Scorecard {
        member: format!("Thành viên {}", index + 1),
        choices: card.choices.clone(),
    }
}

/// Options applicable to `entity` per criterion, (number, points) ascending by points.
fn applicable(
    catalog: &Catalog,
    version: &str,
    set: &str,
    entity: EntityType,
) -> Vec<(String, Vec<(u32, u32)>)> {
    let version = catalog.version(version).unwrap();
    let token = version.token_for(entity).to_string();
    version
        .set(set)
        .unwrap()
        .sheet
        .criteria()
        .map(|(_, c)| {
            let mut options: Vec<(u32, u32)> = c
                .options
                .iter()
                .filter(|o| o.applies_to_token(&token))
                .map(|o| (o.number, o.points))
                .collect();
            options.sort_by_key(|o| o.1);
            (c.code.clone(), options)
        })
        .collect()
}

fn best_card(catalog: &Catalog, version: &str, set: &str, entity: EntityType) -> Scorecard {
    let choices = applicable(catalog, version, set, entity)
        .into_iter()
        .map(|(code, options)| (code, options.last().unwrap().0))
        .collect();
    Scorecard {
        member: "best".into(),
        choices,
    }
}

/// A card worth exactly `total` points: start from the lowest options and raise greedily.
fn card_with_total(
    catalog: &Catalog,
    version: &str,
    set: &str,
    entity: EntityType,
    total: u32,
) -> Scorecard {
    let criteria = applicable(catalog, version, set, entity);
    let mut choices: BTreeMap<String, u32> = BTreeMap::new();
    let mut sum: u32 = criteria.iter().map(|(_, o)| o[0].1).sum();
    for (code, options) in &criteria {
        let mut pick = options[0];
        for &option in options {
            if sum - pick.1 + option.1 <= total {
                sum = sum - pick.1 + option.1;
                pick = option;
            }
        }
        choices.insert(code.clone(), pick.0);
    }
    assert_eq!(sum, total, "cannot make a card worth {total}");
    Scorecard {
        member: "x".into(),
        choices,
    }
}

fn card_strategy(catalog: &Catalog) -> impl Strategy<Value = Scorecard> + use<> {
    let criteria = applicable(catalog, "1048", "P01", EntityType::Household);
    let per_criterion: Vec<_> = criteria
        .into_iter()
        .map(|(code, options)| {
            proptest::sample::select(options).prop_map(move |(n, _)| (code.clone(), n))
        })
        .collect();
    per_criterion.prop_map(|choices| Scorecard {
        member: "m".into(),
        choices: choices.into_iter().collect(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn totals_never_exceed_100_and_the_mean_lies_between_members(
        cards in proptest::collection::vec(card_strategy(&catalog()), 1..10)
    ) {
        let catalog = catalog();
        let input = council("1048", "P01", EntityType::Household, cards);
        let result = evaluate(&catalog, &input).unwrap();
        let lowest = result.members.iter().map(|m| m.total).min().unwrap();
        let highest = result.members.iter().map(|m| m.total).max().unwrap();
        prop_assert!(highest <= 100);
        prop_assert!(Score::from_points(lowest) <= result.mean && result.mean <= Score::from_points(highest));
        for member in &result.members {
            prop_assert_eq!(member.parts.values().sum::<u32>(), member.total);
        }
    }

    #[test]
    fn improving_one_option_never_lowers_the_star(
        cards in proptest::collection::vec(card_strategy(&catalog()), 1..10),
        which_card in 0usize..10,
        which_criterion in 0usize..31,
    ) {
        let catalog = catalog();
        let options = applicable(&catalog, "1048", "P01", EntityType::Household);
        let before = evaluate(&catalog, &council("1048", "P01", EntityType::Household, cards.clone())).unwrap();
        let mut improved = cards;
        let index = which_card % improved.len();
        let (code, choices) = &options[which_criterion];
        let best = choices.last().unwrap().0;
        improved[index].choices.insert(code.clone(), best);
        let after = evaluate(&catalog, &council("1048", "P01", EntityType::Household, improved)).unwrap();
        prop_assert!(after.mean >= before.mean);
        prop_assert!(after.stars >= before.stars);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// The shipped criteria data with one file cut or spliced anywhere is loaded or refused with
    /// its problems — never a panic — and what still loads is a catalogue with versions.
    #[test]
    fn criteria_files_damaged_anywhere_are_loaded_or_refused(
        which in 0usize..10_000,
        at in 0usize..100_000,
        splice in "\\PC{0,12}",
        cut in any::<bool>(),
    ) {
        let mut sources = ocop_domain::criteria::bundled_sources();
        let source = which % sources.len();
        let names: Vec<String> = sources[source].files.keys().cloned().collect();
        let name = &names[(which / sources.len()) % names.len()];
        let text = sources[source].files.get_mut(name).unwrap();
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        if cut {
            text.truncate(at);
        } else {
            text.insert_str(at, &splice);
        }
        match Catalog::load(&sources) {
            Ok(catalog) => prop_assert!(!catalog.versions().is_empty()),
            Err(problems) => prop_assert!(!problems.is_empty()),
        }
    }
}
