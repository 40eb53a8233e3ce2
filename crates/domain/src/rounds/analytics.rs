//! Rater analytics: how far members agree, who scores leniently, and how a province's councils
//! compare with the ministry's on the same products. Statistics, not official scores: they use
//! floating point, and nothing here changes a result.
//!
//! - Spread: highest minus lowest points per criterion and product.
//! - Leniency of a member: the mean, over the products they scored, of their total minus the
//!   council's score for the product.
//! - Outliers: a member whose leniency has a modified z-score (Iglewicz and Hoaglin) above 3.5
//!   in absolute value: M = 0.6745 (x − median) / MAD; when the MAD is 0, the mean absolute
//!   deviation scaled by 1.253314 stands in for it (IBM's convention), and when both are 0
//!   nobody is an outlier.
//! - Agreement: Krippendorff's α with the interval metric on members' totals (units =
//!   products, coders = members; missing cards, e.g. conflicts, are allowed):
//!   α = 1 − D_o / D_e, D_o = (1/n) Σ_u (1/(m_u − 1)) Σ_{i≠j in u} (v_i − v_j)²,
//!   D_e = (1/(n(n − 1))) Σ_{i≠j over all pairable values} (v_i − v_j)², n = Σ m_u over units
//!   with m_u ≥ 2.
//! - A province's leniency index: the mean of (province's score − central council's score) over
//!   its products that both scored.

use std::collections::BTreeMap;

use serde::Serialize;

/// One member's card on one product, as analytics see it.
#[derive(Debug, Clone)]
pub struct Rating {
    pub product: String,
    pub member: String,
    pub total: f64,
    /// Points per criterion code.
    pub points: BTreeMap<String, u32>,
}

/// The spread of one criterion of one product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionSpread {
    pub product: String,
    pub criterion: String,
    pub lowest: u32,
    pub highest: u32,
    pub spread: u32,
}

pub fn criterion_spreads(ratings: &[Rating]) -> Vec<CriterionSpread> {
    let mut by_key: BTreeMap<(&str, &str), (u32, u32)> = BTreeMap::new();
    for rating in ratings {
        for (criterion, &points) in &rating.points {
            let entry = by_key
                .entry((rating.product.as_str(), criterion.as_str()))
                .or_insert((points, points));
            entry.0 = entry.0.min(points);
            entry.1 = entry.1.max(points);
        }
    }
    by_key
        .into_iter()
        .map(
            |((product, criterion), (lowest, highest))| CriterionSpread {
                product: product.to_string(),
                criterion: criterion.to_string(),
                lowest,
                highest,
                spread: highest - lowest,
            },
        )
        .collect()
}

/// A member's leniency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leniency {
    pub member: String,
    pub products: usize,
    pub mean_total: f64,
    /// Mean of (their total − the council's score) over the products they scored.
    pub leniency: f64,
    pub modified_z: Option<f64>,
    pub outlier: bool,
}

/// The modified z-score threshold above which a member is flagged.
pub const OUTLIER_Z: f64 = 3.5;

/// Leniency per member; `council_scores` holds the council's score per product.
pub fn leniency(ratings: &[Rating], council_scores: &BTreeMap<String, f64>) -> Vec<Leniency> {
    let mut per_member: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for rating in ratings {
        if let Some(&council) = council_scores.get(&rating.product) {
            per_member
                .entry(rating.member.as_str())
                .or_default()
                .push((rating.total, rating.total - council));
        }
    }
    let mut rows: Vec<Leniency> = per_member
        .into_iter()
        .map(|(member, values)| {
            let n = values.len() as f64;
            Leniency {
                member: member.to_string(),
                products: values.len(),
                mean_total: values.iter().map(|v| v.0).sum::<f64>() / n,
                leniency: values.iter().map(|v| v.1).sum::<f64>() / n,
                modified_z: None,
                outlier: false,
            }
        })
        .collect();
    let values: Vec<f64> = rows.iter().map(|r| r.leniency).collect();
    let scores = modified_z_scores(&values);
    for (row, z) in rows.iter_mut().zip(scores) {
        row.modified_z = z;
        row.outlier = z.is_some_and(|z| z.abs() > OUTLIER_Z);
    }
    rows
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Modified z-scores; `None` for all when they cannot be computed (fewer than three values, or
/// no spread at all).
pub fn modified_z_scores(values: &[f64]) -> Vec<Option<f64>> {
    if values.len() < 3 {
        return vec![None; values.len()];
    }
    let center = median(&mut values.to_vec());
    let mut deviations: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    let mad = median(&mut deviations);
    let scale = if mad > 0.0 {
        mad / 0.6745
    } else {
        let mean_ad = deviations.iter().sum::<f64>() / deviations.len() as f64;
        if mean_ad == 0.0 {
            return vec![None; values.len()];
        }
        1.253314 * mean_ad
    };
    values.iter().map(|v| Some((v - center) / scale)).collect()
}

/// Krippendorff's α (interval) over units of values; `None` when undefined (no pairable values,
/// or no variation at all).
pub fn krippendorff_alpha_interval(units: &[Vec<f64>]) -> Option<f64> {
    let pairable: Vec<&Vec<f64>> = units.iter().filter(|u| u.len() >= 2).collect();
    let n: usize = pairable.iter().map(|u| u.len()).sum();
    if n < 2 {
        return None;
    }
    let mut observed = 0.0;
    for unit in &pairable {
        let m = unit.len() as f64;
        let mut sum = 0.0;
        for (i, a) in unit.iter().enumerate() {
            for (j, b) in unit.iter().enumerate() {
                if i != j {
                    sum += (a - b).powi(2);
                }
            }
        }
        observed += sum / (m - 1.0);
    }
    observed /= n as f64;
    let all: Vec<f64> = pairable.iter().flat_map(|u| u.iter().copied()).collect();
    let mut expected = 0.0;
    for (i, a) in all.iter().enumerate() {
        for (j, b) in all.iter().enumerate() {
            if i != j {
                expected += (a - b).powi(2);
            }
        }
    }
    expected /= (n * (n - 1)) as f64;
    if expected == 0.0 {
        return None;
    }
    Some(1.0 - observed / expected)
}

/// Totals grouped by product, for [`krippendorff_alpha_interval`].
pub fn units_of(ratings: &[Rating]) -> Vec<Vec<f64>> {
    let mut by_product: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for rating in ratings {
        by_product
            .entry(rating.product.as_str())
            .or_default()
            .push(rating.total);
    }
    by_product.into_values().collect()
}

/// A province's leniency index: mean (province score − central score) over pairs.
pub fn province_gap(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    Some(pairs.iter().map(|(p, c)| p - c).sum::<f64>() / pairs.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(product: &str, member: &str, total: f64) -> Rating {
        Rating {
            product: product.into(),
            member: member.into(),
            total,
            points: BTreeMap::from([("1.1".to_string(), total as u32 % 5)]),
        }
    }

    #[test]
    fn alpha_matches_krippendorffs_worked_example() {
        // Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the interval
        // example: 4 coders, 12 units with missing values; α(interval) = 0.849.
        let units: Vec<Vec<f64>> = vec![
            vec![1.0, 1.0, 1.0],
            vec![2.0, 2.0, 3.0, 2.0],
            vec![3.0, 3.0, 3.0, 3.0],
            vec![3.0, 3.0, 3.0, 3.0],
            vec![2.0, 2.0, 2.0, 2.0],
            vec![1.0, 2.0, 3.0, 4.0],
            vec![4.0, 4.0, 4.0, 4.0],
            vec![1.0, 1.0, 2.0, 1.0],
            vec![2.0, 2.0, 2.0, 2.0],
            vec![5.0, 5.0, 5.0],
            vec![1.0, 1.0],
            vec![3.0],
        ];
        let alpha = krippendorff_alpha_interval(&units).unwrap();
        assert!((alpha - 0.849).abs() < 0.0005, "{alpha}");
        assert_eq!(krippendorff_alpha_interval(&[vec![70.0, 70.0]]), None);
        assert_eq!(krippendorff_alpha_interval(&[vec![70.0]]), None);
    }

    #[test]
    fn a_lenient_member_stands_out() {
        let mut ratings = Vec::new();
        let mut council = BTreeMap::new();
        for (p, base) in [("P1", 60.0), ("P2", 72.0), ("P3", 81.0)] {
            for (m, offset) in [("a", 0.0), ("b", 1.0), ("c", -1.0), ("d", 0.5), ("e", 14.0)] {
                ratings.push(rating(p, m, base + offset));
            }
            council.insert(p.to_string(), base + 2.9);
        }
        let rows = leniency(&ratings, &council);
        let flagged: Vec<&str> = rows
            .iter()
            .filter(|r| r.outlier)
            .map(|r| r.member.as_str())
            .collect();
        assert_eq!(flagged, ["e"]);
        let e = rows.iter().find(|r| r.member == "e").unwrap();
        assert!((e.leniency - 11.1).abs() < 1e-9);
        assert_eq!(e.products, 3);
    }

    #[test]
    fn spreads_and_gaps() {
        let ratings = [rating("P1", "a", 61.0), rating("P1", "b", 64.0)];
        let spreads = criterion_spreads(&ratings);
        assert_eq!(spreads.len(), 1);
        assert_eq!(
            (spreads[0].lowest, spreads[0].highest, spreads[0].spread),
            (1, 4, 3)
        );
        assert_eq!(province_gap(&[(92.0, 88.5), (91.0, 90.5)]), Some(2.0));
        assert_eq!(province_gap(&[]), None);
        assert_eq!(modified_z_scores(&[1.0, 1.0, 1.0]), vec![None, None, None]);
    }
}
