//! Generated Spark Connect protobuf and gRPC types.
//!
//! All messages live in the `spark.connect` protobuf package and are re-exported
//! here at the crate root. The generated gRPC client is
//! [`spark_connect_service_client::SparkConnectServiceClient`].
//!
//! Vendored by scamtrends (vendor/README.md): `spark.connect.rs` is the code
//! the upstream build script generates from `proto/` with tonic-prost-build
//! 0.14, committed so that building needs no `protoc`.

#![allow(clippy::large_enum_variant)] // Generated protobuf code has large enum variants
#![allow(clippy::all)]

pub mod spark {
    pub mod connect {
        include!("spark.connect.rs");
    }
}

pub use spark::connect::*;
