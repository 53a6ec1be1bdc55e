//! Tokens: id_token and client_info decoding, JWKS validation (to be written).
