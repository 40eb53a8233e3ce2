//! Who may see and change what: roles, and the administrative scope each account is bound to.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A role in the OCOP programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Chủ thể OCOP: bound to one entity.
    Producer,
    /// Cán bộ UBND cấp xã: one commune.
    CommuneOfficer,
    /// Cơ quan thường trực OCOP tỉnh: one province.
    ProvincialOfficer,
    /// Thành viên hội đồng: assigned per evaluation round, within one province.
    CouncilMember,
    /// VPĐP NTM TW / Bộ: national.
    CentralOfficer,
    /// Manages accounts: national.
    Administrator,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Producer,
        Role::CommuneOfficer,
        Role::ProvincialOfficer,
        Role::CouncilMember,
        Role::CentralOfficer,
        Role::Administrator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Producer => "producer",
            Role::CommuneOfficer => "commune_officer",
            Role::ProvincialOfficer => "provincial_officer",
            Role::CouncilMember => "council_member",
            Role::CentralOfficer => "central_officer",
            Role::Administrator => "administrator",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Role::Producer => "Chủ thể OCOP",
            Role::CommuneOfficer => "Cán bộ cấp xã",
            Role::ProvincialOfficer => "Cơ quan thường trực OCOP tỉnh",
            Role::CouncilMember => "Thành viên hội đồng",
            Role::CentralOfficer => "Cơ quan trung ương",
            Role::Administrator => "Quản trị hệ thống",
        }
    }

    /// Officers of an entity's commune or province confirm a self-registered entity.
    pub fn confirms_entities(self) -> bool {
        matches!(self, Role::CommuneOfficer | Role::ProvincialOfficer)
    }

    /// Producers keep their own registry records (entity details, products, certifications,
    /// photos); officers of the entity's commune or province may do it for them. Council
    /// members, central officers and administrators read but do not write the registry.
    pub fn maintains_registry(self) -> bool {
        matches!(
            self,
            Role::Producer | Role::CommuneOfficer | Role::ProvincialOfficer
        )
    }

    /// Officers of a commune, a province and the central office follow the programme's plans,
    /// results and support in their scope; producers, council members and administrators do not.
    pub fn reads_monitoring(self) -> bool {
        matches!(
            self,
            Role::CommuneOfficer | Role::ProvincialOfficer | Role::CentralOfficer
        )
    }

    /// The provincial office brings its province's existing records in (and takes them out);
    /// nobody else writes the registry in bulk.
    pub fn imports_records(self) -> bool {
        matches!(self, Role::ProvincialOfficer)
    }

    /// What kind of unit the account must be bound to.
    pub fn unit_level(self) -> UnitBinding {
        match self {
            Role::Producer => UnitBinding::Entity,
            Role::CommuneOfficer => UnitBinding::Commune,
            Role::ProvincialOfficer | Role::CouncilMember => UnitBinding::Province,
            Role::CentralOfficer | Role::Administrator => UnitBinding::National,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an account of a role is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitBinding {
    Entity,
    Commune,
    Province,
    National,
}

/// The records an account may see: scoping is applied where data is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything.
    National,
    /// Records whose commune lies in this province (by current province code).
    Province(String),
    /// Records of this commune (by current commune code).
    Commune(String),
    /// Records of this entity.
    Entity(String),
    /// Council members: the entities, products and dossiers of the rounds this account (by id)
    /// holds a seat on, and nothing else of the province.
    Seats(String),
}

impl Scope {
    /// The scope of the account `user_id`: a council member sees only what the rounds it sits
    /// on put before it; every other role as [`Scope::of`] says.
    pub fn of_account(
        role: Role,
        unit_code: Option<&str>,
        entity_id: Option<&str>,
        user_id: &str,
    ) -> Scope {
        match role {
            Role::CouncilMember => Scope::Seats(user_id.to_string()),
            _ => Scope::of(role, unit_code, entity_id),
        }
    }

    /// The scope of an account: its entity, commune or province, or the whole country. An
    /// account missing the unit its role needs sees nothing (an empty entity id matches no row).
    pub fn of(role: Role, unit_code: Option<&str>, entity_id: Option<&str>) -> Scope {
        match role.unit_level() {
            UnitBinding::National => Scope::National,
            UnitBinding::Province => Scope::Province(unit_code.unwrap_or_default().to_string()),
            UnitBinding::Commune => Scope::Commune(unit_code.unwrap_or_default().to_string()),
            UnitBinding::Entity => Scope::Entity(entity_id.unwrap_or_default().to_string()),
        }
    }
}

/// Password rules: long enough to resist guessing, short enough to type.
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 200;

/// Why a password is refused.
pub fn check_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!("at least {MIN_PASSWORD_CHARS} characters"));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!("at most {MAX_PASSWORD_CHARS} characters"));
    }
    if password
        .chars()
        .all(|c| c == password.chars().next().unwrap_or(' '))
    {
        return Err("not one character repeated".into());
    }
    Ok(())
}

/// Normalizes an e-mail address for use as a login (trimmed, lower case).
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
        && email.len() <= 254;
    valid.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("king"), None);
        assert_eq!(Role::CommuneOfficer.unit_level(), UnitBinding::Commune);
    }

    #[test]
    fn who_writes_the_registry() {
        let confirm: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.confirms_entities())
            .collect();
        assert_eq!(confirm, [Role::CommuneOfficer, Role::ProvincialOfficer]);
        let maintain: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.maintains_registry())
            .collect();
        assert_eq!(
            maintain,
            [
                Role::Producer,
                Role::CommuneOfficer,
                Role::ProvincialOfficer
            ]
        );
    }

    #[test]
    fn passwords_and_emails() {
        assert!(check_password("short").is_err());
        assert!(check_password("aaaaaaaaaaaa").is_err());
        assert!(check_password("mật khẩu đủ dài").is_ok());
        assert_eq!(
            normalize_email("  An.Nguyen@Example.VN "),
            Some("an.nguyen@example.vn".into())
        );
        for bad in ["", "no-at", "a@b", "a@.vn", "a b@x.vn", "@x.vn"] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
