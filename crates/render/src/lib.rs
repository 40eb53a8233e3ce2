//! What people look at or download: SVG charts, QR codes and spreadsheets (XLSX). The PDF documents are typeset in
//! their own crate (`ocop-pdf`), so that neither everyday edits nor this crate rebuild typst.

pub mod chart;
pub mod qr;
pub mod sheet;
