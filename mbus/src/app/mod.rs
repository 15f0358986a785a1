//! The application layer (EN 13757-3): CI field, fixed and variable data structures, headers,
//! data records (DIF/DIFE/VIF/VIFE) and their exact values.
