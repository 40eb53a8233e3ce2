//! The criteria shipped with ocop: every directory of `data/criteria/`, embedded at build time.

use super::VersionSource;

include!(concat!(env!("OUT_DIR"), "/bundled_criteria.rs"));

/// The shipped version directories, ready for [`super::Catalog::load`].
pub fn bundled_sources() -> Vec<VersionSource> {
    BUNDLED
        .iter()
        .map(|(dir, files)| VersionSource {
            origin: format!("data/criteria/{dir}"),
            dir_name: dir.to_string(),
            files: files
                .iter()
                .map(|(path, text)| (path.to_string(), text.to_string()))
                .collect(),
        })
        .collect()
}
