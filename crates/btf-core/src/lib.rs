//! btf-core
