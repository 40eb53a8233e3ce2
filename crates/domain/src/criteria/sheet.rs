//! One scoring sheet (format 2: one row per node of the printed sheet), with the version's errata
//! applied first. Every problem is reported with the file, the path in the tree
//! (`26-2026/P04/C/7`) and the line.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::load::Problems;
use super::{
    Case, Criterion, CriterionGroup, CriterionOption, Disqualifier, EntityType, Erratum, PartSpec,
    Section, Sheet, SheetPart,
};

pub(crate) const SHEET_HEADER: &str =
    "kind,code,option,case,name_vi,name_en,max,points,stars_min,applies_to,mandatory,note";
pub(crate) const ERRATA_HEADER: &str = "sheet,row,column,source_value,value_used,reason";

#[derive(Debug, Clone, Deserialize)]
struct Row {
    kind: String,
    code: String,
    option: String,
    case: String,
    name_vi: String,
    name_en: String,
    max: String,
    points: String,
    stars_min: String,
    applies_to: String,
    mandatory: String,
    note: String,
}

/// One row of `errata.csv`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ErratumRow {
    pub sheet: String,
    pub row: String,
    pub column: String,
    pub source_value: String,
    pub value_used: String,
    pub reason: String,
    #[serde(skip)]
    pub line: usize,
}

/// What a sheet is checked against.
pub(crate) struct SheetContext<'a> {
    /// The sheet file, for messages (`data/criteria/26-2026/sheets/P04.csv`).
    pub file: &'a str,
    /// Its name under `sheets/`.
    pub name: &'a str,
    /// `version/set`, the start of every path.
    pub path: &'a str,
    pub parts: &'a [PartSpec],
    pub entity_types: &'a BTreeMap<EntityType, String>,
    /// Stars a mark may name (the certifiable ones).
    pub stars: &'a BTreeSet<u8>,
    pub errata_file: &'a str,
    pub errata: Vec<&'a ErratumRow>,
}

/// A row with its line and its address (`A`, `7`, `1.2`, `1.2/1`, `8/2.1`), the name errata use.
struct Located {
    line: usize,
    address: Option<String>,
    row: Row,
}

/// Where options go: the latest criterion row, or a section that carries options itself.
#[derive(Clone, Copy, PartialEq)]
enum Owner {
    None,
    Section,
    Criterion,
}

fn rows(context: &SheetContext, text: &str, problems: &mut Problems) -> Option<Vec<Located>> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = match reader.headers() {
        Ok(header) => header.iter().collect::<Vec<_>>().join(","),
        Err(error) => {
            problems.add(context.file, context.path, format!("unreadable: {error}"));
            return None;
        }
    };
    if header != SHEET_HEADER {
        problems.add(
            context.file,
            context.path,
            format!("line 1: the header must be `{SHEET_HEADER}` (format 2), not `{header}`"),
        );
        return None;
    }
    let headers = reader.headers().ok()?.clone();
    let mut located = Vec::new();
    let mut owner_code = String::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                problems.add(context.file, context.path, error.to_string());
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let row: Row = match record.deserialize(Some(&headers)) {
            Ok(row) => row,
            Err(error) => {
                problems.add(context.file, context.path, format!("line {line}: {error}"));
                continue;
            }
        };
        let kind = row.kind.trim();
        let code = row.code.trim().to_string();
        let address = match kind {
            "part" | "section" | "criterion" => {
                if kind != "part" {
                    owner_code = code.clone();
                }
                Some(code)
            }
            "option" => Some(match row.case.trim() {
                "" => format!("{owner_code}/{}", row.option.trim()),
                case => format!("{owner_code}/{case}.{}", row.option.trim()),
            }),
            _ => None,
        };
        located.push(Located { line, address, row });
    }
    Some(located)
}

/// Applies the errata that name this sheet; each must name an existing cell holding the
/// source's value.
fn apply_errata(context: &SheetContext, rows: &mut [Located], problems: &mut Problems) {
    for erratum in &context.errata {
        let here = format!("{}/{}", context.path, erratum.row.trim());
        let line = erratum.line;
        let Some(target) = rows
            .iter_mut()
            .find(|r| r.address.as_deref() == Some(erratum.row.trim()))
        else {
            problems.add(
                context.errata_file,
                &here,
                format!(
                    "line {line}: the erratum names row `{}`, which sheets/{} does not have",
                    erratum.row.trim(),
                    context.name
                ),
            );
            continue;
        };
        let cell = match erratum.column.trim() {
            "name_vi" => &mut target.row.name_vi,
            "max" => &mut target.row.max,
            "points" => &mut target.row.points,
            other => {
                problems.add(
                    context.errata_file,
                    &here,
                    format!(
                        "line {line}: column `{other}` cannot be corrected (name_vi, max or points)"
                    ),
                );
                continue;
            }
        };
        if cell.trim() != erratum.source_value.trim() {
            problems.add(
                context.errata_file,
                &here,
                format!(
                    "line {line}: the sheet has `{}` in {}, not the erratum's source value `{}`",
                    cell.trim(),
                    erratum.column.trim(),
                    erratum.source_value.trim()
                ),
            );
            continue;
        }
        *cell = erratum.value_used.clone();
    }
}

fn whole(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

/// `(40 Điểm)` in a part's title, if any.
fn points_in_title(title: &str) -> Option<u32> {
    let lower = title.to_lowercase();
    let end = lower.find(" điểm)")?;
    let start = lower[..end].rfind('(')?;
    lower[start + 1..end].trim().parse().ok()
}

pub(crate) fn load_sheet(
    context: &SheetContext,
    text: &str,
    problems: &mut Problems,
) -> Option<Sheet> {
    let before = problems.errors.len();
    let file = context.file;
    let path = context.path;
    let mut rows = rows(context, text, problems)?;
    apply_errata(context, &mut rows, problems);
    let tokens: BTreeSet<&str> = context.entity_types.values().map(String::as_str).collect();

    let mut parts: Vec<SheetPart> = Vec::new();
    let mut disqualifiers: Vec<Disqualifier> = Vec::new();
    let mut owner = Owner::None;
    // A section carrying options itself is its own criterion: its row says whether it is mandatory.
    let mut section_mandatory = false;
    let mut seen_codes: BTreeSet<String> = BTreeSet::new();
    // (line, part, code) of criteria that must end up with options.
    for Located { line, row, .. } in &rows {
        let line = *line;
        let kind = row.kind.trim();
        let code = row.code.trim().to_string();
        let part_code = parts.last().map_or("", |p| p.code.as_str()).to_string();
        let here = format!("{path}/{part_code}/{code}");
        let mut problem =
            |message: String| problems.add(file, &here, format!("line {line}: {message}"));
        if !row.stars_min.trim().is_empty() && kind != "option" {
            problem(format!(
                "a star mark ({}) belongs on an option, not on a {kind} row",
                row.stars_min.trim()
            ));
        }
        match kind {
            "disqualifier" => {
                if row.name_vi.trim().is_empty() {
                    problem("a disqualifier needs its text in name_vi".into());
                }
                disqualifiers.push(Disqualifier {
                    id: format!("D{}", disqualifiers.len() + 1),
                    criterion: (!code.is_empty()).then_some(code),
                    text: row.name_vi.trim().to_string(),
                });
            }
            "part" => {
                let Some(spec) = context.parts.iter().find(|p| p.code == code) else {
                    problem(format!("part `{code}` is not a part of this version"));
                    continue;
                };
                match whole(&row.max) {
                    Some(max) if max == spec.max => {}
                    Some(max) => problem(format!(
                        "the part is worth {max} here but {} in version.toml",
                        spec.max
                    )),
                    None => problem(format!("max `{}` is not a whole number", row.max.trim())),
                }
                let title = row.name_vi.trim().to_string();
                if let Some(printed) = points_in_title(&title)
                    && printed != spec.max
                {
                    problem(format!(
                        "the title says {printed} points but the part is worth {}",
                        spec.max
                    ));
                }
                if parts.iter().any(|p| p.code == code) {
                    problem(format!("part {code} appears twice"));
                    continue;
                }
                parts.push(SheetPart {
                    code,
                    name_vi: title,
                    max: spec.max,
                    sections: Vec::new(),
                });
                owner = Owner::None;
            }
            "section" | "criterion" => {
                let Some(part) = parts.last_mut() else {
                    problem(format!("a {kind} before any part"));
                    continue;
                };
                let Some(max) = whole(&row.max) else {
                    problem(format!("max `{}` is not a whole number", row.max.trim()));
                    continue;
                };
                if code.is_empty() {
                    problem(format!("the {kind} has no code"));
                    continue;
                }
                if !seen_codes.insert(code.clone()) {
                    problem(format!("code {code} appears in two places"));
                    continue;
                }
                let name = row.name_vi.trim().to_string();
                let note = row.note.trim().to_string();
                let mandatory = match row.mandatory.trim() {
                    "yes" => true,
                    "" | "no" => false,
                    other => {
                        problem(format!("mandatory must be yes or no, not `{other}`"));
                        false
                    }
                };
                if kind == "section" {
                    section_mandatory = mandatory;
                    part.sections.push(Section {
                        code,
                        name,
                        max,
                        note,
                        groups: Vec::new(),
                        criteria: Vec::new(),
                    });
                    owner = Owner::Section;
                    continue;
                }
                let Some(section) = part.sections.last_mut() else {
                    problem("a criterion before any section".into());
                    continue;
                };
                let printed_without_options = match row.option.trim() {
                    "none" => true,
                    "" => false,
                    other => {
                        problem(format!(
                            "a criterion's option column is empty or `none`, not `{other}`"
                        ));
                        false
                    }
                };
                // A sub-criterion turns its parent criterion into a heading.
                let mut group = None;
                if let Some((parent, _)) = code.rsplit_once('.') {
                    if let Some(index) = section.groups.iter().position(|g| g.code == parent) {
                        group = Some(index);
                    } else if let Some(position) =
                        section.criteria.iter().position(|c| c.code == parent)
                    {
                        let parent = section.criteria.remove(position);
                        if !parent.options.is_empty() || !parent.cases.is_empty() {
                            problem(format!(
                                "criterion {} has options, so it cannot have sub-criteria",
                                parent.code
                            ));
                        }
                        section.groups.push(CriterionGroup {
                            code: parent.code,
                            name_vi: parent.name_vi,
                            max: parent.max,
                            note: parent.note,
                        });
                        group = Some(section.groups.len() - 1);
                    }
                }
                section.criteria.push(Criterion {
                    code,
                    name_vi: name,
                    max,
                    mandatory,
                    note,
                    group,
                    cases: Vec::new(),
                    printed_without_options,
                    options: Vec::new(),
                });
                owner = Owner::Criterion;
            }
            "case" | "option" => {
                let Some(section) = parts.last_mut().and_then(|p| p.sections.last_mut()) else {
                    problem(format!("an {kind} before any section"));
                    continue;
                };
                if owner == Owner::None {
                    problem(format!(
                        "an {kind} row must follow a criterion or a section"
                    ));
                    continue;
                }
                if owner == Owner::Section {
                    // The section carries options itself: it is its own single criterion.
                    if !section.criteria.is_empty() {
                        problem(format!(
                            "section {} has criteria, so its options need a criterion row",
                            section.code
                        ));
                        continue;
                    }
                    section.criteria.push(Criterion {
                        code: section.code.clone(),
                        name_vi: section.name.clone(),
                        max: section.max,
                        mandatory: section_mandatory,
                        note: String::new(),
                        group: None,
                        cases: Vec::new(),
                        printed_without_options: false,
                        options: Vec::new(),
                    });
                    owner = Owner::Criterion;
                }
                let criterion = section.criteria.last_mut().expect("owner is a criterion");
                let here = format!("{path}/{part_code}/{}", criterion.code);
                let mut problem =
                    |message: String| problems.add(file, &here, format!("line {line}: {message}"));
                if kind == "case" {
                    let Some(number) = whole(&code) else {
                        problem(format!("case `{code}` is not a number"));
                        continue;
                    };
                    if !criterion.options.is_empty() {
                        problem("cases come before the criterion's options".into());
                    }
                    if criterion.case(number).is_some() {
                        problem(format!("case {number} is declared twice"));
                    }
                    criterion.cases.push(Case {
                        number,
                        name_vi: row.name_vi.trim().to_string(),
                    });
                    continue;
                }
                let case = match row.case.trim() {
                    "" if criterion.cases.is_empty() => None,
                    "" => {
                        problem(format!(
                            "criterion {} offers cases: each option names one",
                            criterion.code
                        ));
                        None
                    }
                    text => match whole(text) {
                        Some(number) if criterion.case(number).is_some() => Some(number),
                        _ => {
                            let offered: Vec<String> = criterion
                                .cases
                                .iter()
                                .map(|c| c.number.to_string())
                                .collect();
                            problem(if offered.is_empty() {
                                format!(
                                    "case `{text}` is not offered: {} has no cases",
                                    criterion.code
                                )
                            } else {
                                format!(
                                    "case `{text}` is not one {} offers (cases {})",
                                    criterion.code,
                                    offered.join(", ")
                                )
                            });
                            None
                        }
                    },
                };
                let Some(label) = whole(&row.option) else {
                    problem(format!(
                        "option number `{}` is not a whole number",
                        row.option.trim()
                    ));
                    continue;
                };
                let expected =
                    criterion.options.iter().filter(|o| o.case == case).count() as u32 + 1;
                if label != expected {
                    problem(format!(
                        "option numbers must run 1, 2, …: found {label} where {expected} was due"
                    ));
                }
                let Some(points) = whole(&row.points) else {
                    problem(format!(
                        "points `{}` is not a whole number",
                        row.points.trim()
                    ));
                    continue;
                };
                let stars_min = match row.stars_min.trim() {
                    "" => None,
                    text => match text.parse::<u8>() {
                        Ok(stars) if context.stars.contains(&stars) => Some(stars),
                        _ => {
                            problem(format!(
                                "star mark `{text}` is not a certifiable star of this version"
                            ));
                            None
                        }
                    },
                };
                if points > criterion.max {
                    problem(match stars_min {
                        Some(stars) => format!(
                            "the {stars}★ minimum (option {label}, {points} points) is above the criterion's maximum of {}",
                            criterion.max
                        ),
                        None => format!(
                            "option worth {points} points exceeds the criterion's {}",
                            criterion.max
                        ),
                    });
                }
                let applies_to: Vec<String> = row
                    .applies_to
                    .split(';')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect();
                for token in &applies_to {
                    if !tokens.contains(token.as_str()) {
                        problem(format!(
                            "applies_to `{token}` names no entity type of this version"
                        ));
                    }
                }
                if !row.mandatory.trim().is_empty() {
                    problem("mandatory is said on the criterion's row, not on an option".into());
                }
                let number = criterion.options.len() as u32 + 1;
                criterion.options.push(CriterionOption {
                    number,
                    label,
                    case,
                    name_vi: row.name_vi.trim().to_string(),
                    name_en: row.name_en.trim().to_string(),
                    points,
                    stars_min,
                    applies_to,
                    note: row.note.trim().to_string(),
                });
            }
            other => problem(format!(
                "kind `{other}` is not one of disqualifier, part, section, criterion, case, option"
            )),
        }
    }

    check_sums(context, &mut parts, &disqualifiers, &seen_codes, problems);
    if problems.errors.len() > before {
        return None;
    }
    parts.sort_by_key(|p| context.parts.iter().position(|spec| spec.code == p.code));
    let errata = context
        .errata
        .iter()
        .map(|e| Erratum {
            row: e.row.trim().to_string(),
            column: e.column.trim().to_string(),
            source_value: e.source_value.trim().to_string(),
            value_used: e.value_used.trim().to_string(),
            reason: e.reason.trim().to_string(),
        })
        .collect();
    Some(Sheet::new(
        context.name.to_string(),
        parts,
        disqualifiers,
        errata,
    ))
}

/// Criteria without options, best options, entity types, and the sums up the tree.
fn check_sums(
    context: &SheetContext,
    parts: &mut [SheetPart],
    disqualifiers: &[Disqualifier],
    codes: &BTreeSet<String>,
    problems: &mut Problems,
) {
    let (file, path) = (context.file, context.path);
    for spec in context.parts {
        let Some(part) = parts.iter_mut().find(|p| p.code == spec.code) else {
            problems.add(
                file,
                format!("{path}/{}", spec.code),
                "the sheet has no criteria for this part",
            );
            continue;
        };
        let sections_total: u32 = part.sections.iter().map(|s| s.max).sum();
        if sections_total != spec.max {
            problems.add(
                file,
                format!("{path}/{}", spec.code),
                format!(
                    "sections add up to {sections_total}, but the part is worth {}",
                    spec.max
                ),
            );
        }
        for section in &mut part.sections {
            let criteria_total: u32 = section.criteria.iter().map(|c| c.max).sum();
            if criteria_total != section.max {
                problems.add(
                    file,
                    format!("{path}/{}/{}", spec.code, section.code),
                    format!(
                        "criteria add up to {criteria_total}, but the section is worth {}",
                        section.max
                    ),
                );
            }
            for (index, group) in section.groups.iter().enumerate() {
                let total: u32 = section
                    .criteria
                    .iter()
                    .filter(|c| c.group == Some(index))
                    .map(|c| c.max)
                    .sum();
                if total != group.max {
                    problems.add(
                        file,
                        format!("{path}/{}/{}", spec.code, group.code),
                        format!(
                            "sub-criteria add up to {total}, but the criterion is worth {}",
                            group.max
                        ),
                    );
                }
            }
            for criterion in &mut section.criteria {
                let here = format!("{path}/{}/{}", spec.code, criterion.code);
                if criterion.printed_without_options {
                    if !criterion.options.is_empty() {
                        problems.add(file, &here, "option is `none` but options follow");
                        continue;
                    }
                    // Printed without options: scored as a whole, 0 or the maximum.
                    for (number, (name_vi, name_en, points)) in
                        [("Không đạt", "not met", 0), ("Đạt", "met", criterion.max)]
                            .into_iter()
                            .enumerate()
                    {
                        criterion.options.push(CriterionOption {
                            number: number as u32 + 1,
                            label: number as u32 + 1,
                            case: None,
                            name_vi: name_vi.into(),
                            name_en: name_en.into(),
                            points,
                            stars_min: None,
                            applies_to: Vec::new(),
                            note: String::new(),
                        });
                    }
                }
                if criterion.options.is_empty() {
                    problems.add(
                        file,
                        &here,
                        "the criterion has no options (write `none` in its option column if the sheet prints none: it is then scored 0 or its maximum)",
                    );
                    continue;
                }
                let cases: Vec<Option<u32>> = if criterion.cases.is_empty() {
                    vec![None]
                } else {
                    criterion.cases.iter().map(|c| Some(c.number)).collect()
                };
                for case in cases {
                    let options: Vec<&CriterionOption> = criterion
                        .options
                        .iter()
                        .filter(|o| o.case == case)
                        .collect();
                    let label = case.map_or(String::new(), |n| format!(" in case {n}"));
                    let best = options.iter().map(|o| o.points).max().unwrap_or(0);
                    if best != criterion.max {
                        problems.add(
                            file,
                            &here,
                            format!(
                                "the best option{label} is worth {best}, but the criterion is worth {}",
                                criterion.max
                            ),
                        );
                    }
                    for (entity, token) in context.entity_types {
                        if !options.iter().any(|o| o.applies_to_token(token)) {
                            problems.add(
                                file,
                                &here,
                                format!("no option{label} applies to entity type `{entity}`"),
                            );
                        }
                    }
                }
            }
        }
    }
    for disqualifier in disqualifiers {
        if let Some(code) = &disqualifier.criterion
            && !codes.contains(code)
        {
            problems.add(
                file,
                format!("{path}/{code}"),
                format!(
                    "disqualifier {} names criterion {code}, which the sheet does not have",
                    disqualifier.id
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::points_in_title;

    #[test]
    fn a_part_title_may_print_its_points() {
        assert_eq!(points_in_title("Phần A: SẢN PHẨM (40 Điểm)"), Some(40));
        assert_eq!(points_in_title("Phần B (25 điểm)"), Some(25));
        assert_eq!(points_in_title("Sản xuất và sức mạnh cộng đồng"), None);
    }
}
