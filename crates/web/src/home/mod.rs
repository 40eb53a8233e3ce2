//! The home page: the country's units at a glance.

pub mod pages;
