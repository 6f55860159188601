//! Generated documentation from the catalogue.
