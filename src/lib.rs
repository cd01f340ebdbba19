//! onechart: compiles typed OpenNebula deployment profiles into Helm charts, and lints values files and
//! rendered manifests for the pitfalls of running OpenNebula on Kubernetes.
pub mod cli;
pub mod commands;
pub mod compile;
pub mod fuzzing;
pub mod image;
pub mod input;
pub mod layers;
pub mod lint;
pub mod manifest;
pub mod model;
pub mod oneconf;
pub mod output;
pub mod pointer;
pub mod profile;
pub mod project;
pub mod release;
pub mod render;
pub mod report;
pub mod schema;
pub mod source;
pub mod strvals;
pub mod suggest;
pub mod upgrade;
pub mod yaml;
