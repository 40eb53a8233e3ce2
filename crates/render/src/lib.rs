//! What people look at or download. Heavy renderers (PDF) will live here too, so that everyday
//! edits to the web layer don't rebuild them.

pub mod chart;
