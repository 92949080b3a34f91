pub mod dns;
pub mod egress;
