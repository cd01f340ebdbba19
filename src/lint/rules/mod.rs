//! The rule catalogue, in ID order. IDs and names are fixed and never reused: ONE001-ONE027 are the contract's
//! catalogue; ONE028 and later are onechart's own additions (ONE028 shared HA datastores, ONE029 the unpublished
//! image placeholder, ONE030-ONE033 what only rendered manifests show, ONE034 an image of another release, ONE050-ONE054 TLS, monitord's address
//! and the declared inventory, ONE055 production values linted under the development default, ONE056
//! `auto` in another case); ONE100-ONE103 report what the engine itself finds (schema violations, YAML
//! quirks, suppressions).

mod ambiguous_yaml_value;
mod api_without_tls;
mod apparmor_unconfined;
mod component_not_in_version;
mod console_port_mismatch;
mod credentials_in_configmap;
mod dangling_reference;
mod database_not_persisted;
mod default_credentials;
mod duplicate_inventory_name;
mod duplicate_key;
mod endpoint_scheme_mismatch;
mod fireedge_public_endpoint_missing;
mod ha_datastores_not_shared;
mod hardcoded_emulator_path;
mod host_key_missing;
mod host_namespace;
mod hostname_unset;
mod ignore_without_reason;
mod image_tag_version_mismatch;
mod invalid_opennebula_config;
mod invalid_value;
mod marketplace_without_sys_admin;
mod mixed_ceph_and_shared_datastores;
mod monitor_address_auto_case;
mod monitor_address_auto_in_ha;
mod monitord_address_unstable;
mod monitord_port_mismatch;
mod mutable_image_tag;
mod no_backup;
mod onedb_unsafe_password;
mod onegate_or_oneflow_disabled;
mod privileged_container;
mod production_values_without_profile;
mod raft_even_replicas;
mod runs_as_root;
mod sqlite_in_production;
mod sqlite_with_raft;
mod ssh_host_key_checking_disabled;
mod ssh_keys_not_persisted;
mod tls_without_certificate;
mod transfer_mode_mismatch;
mod unpublished_image;
mod unreachable_daemon;
mod volumes_not_kept;

use super::Rule;

/// Every rule, in ID order.
pub static ALL: &[&Rule] = &[
    &sqlite_in_production::ONE001,
    &sqlite_with_raft::ONE002,
    &raft_even_replicas::ONE003,
    &monitor_address_auto_in_ha::ONE004,
    &monitord_port_mismatch::ONE005,
    &console_port_mismatch::ONE006,
    &credentials_in_configmap::ONE007,
    &marketplace_without_sys_admin::ONE008,
    &ssh_keys_not_persisted::ONE009,
    &database_not_persisted::ONE010,
    &default_credentials::ONE011,
    &onedb_unsafe_password::ONE012,
    &api_without_tls::ONE013,
    &apparmor_unconfined::ONE014,
    &privileged_container::ONE015,
    &runs_as_root::ONE016,
    &no_backup::ONE017,
    &onegate_or_oneflow_disabled::ONE018,
    &hardcoded_emulator_path::ONE019,
    &mixed_ceph_and_shared_datastores::ONE020,
    &fireedge_public_endpoint_missing::ONE021,
    &volumes_not_kept::ONE022,
    &mutable_image_tag::ONE023,
    &component_not_in_version::ONE024,
    &hostname_unset::ONE025,
    &ssh_host_key_checking_disabled::ONE026,
    &transfer_mode_mismatch::ONE027,
    &ha_datastores_not_shared::ONE028,
    &unpublished_image::ONE029,
    &dangling_reference::ONE030,
    &host_namespace::ONE031,
    &invalid_opennebula_config::ONE032,
    &unreachable_daemon::ONE033,
    &image_tag_version_mismatch::ONE034,
    &tls_without_certificate::ONE050,
    &monitord_address_unstable::ONE051,
    &endpoint_scheme_mismatch::ONE052,
    &host_key_missing::ONE053,
    &duplicate_inventory_name::ONE054,
    &production_values_without_profile::ONE055,
    &monitor_address_auto_case::ONE056,
    &invalid_value::ONE100,
    &duplicate_key::ONE101,
    &ambiguous_yaml_value::ONE102,
    &ignore_without_reason::ONE103,
];
