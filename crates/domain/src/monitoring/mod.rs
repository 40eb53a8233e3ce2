//! Programme monitoring: plans with targets per unit and period, the figures the records give
//! for each indicator, progress, support and reward policies with their entitlements, trade
//! promotion and training. Everything here is arithmetic on facts handed in; the store reads
//! the facts, the web layer draws them. See docs/monitoring.md for the readings of the law.

pub mod facts;
pub mod money;
pub mod policies;
pub mod promotion;
pub mod targets;

pub use money::parse_dong;
pub use targets::{Indicator, IndicatorKind, Period, Progress, TargetValue};
